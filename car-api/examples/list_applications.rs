//! Lists every application of the account, page by page, with the paginator.
//!
//! Credentials come from `TENCENTCLOUD_SECRET_ID` / `TENCENTCLOUD_SECRET_KEY` (or the
//! rest of the default chain); `CAR_ENDPOINT` overrides the endpoint (e.g. a local
//! server), `CAR_PAGE_SIZE` the page size (default 20).
//!
//! ```text
//! cargo run -p car-api --example list_applications
//! ```

use car_api::operations::{
    DescribeApplicationListItem, DescribeApplicationListRequest, DescribeApplicationListRequired,
};
use car_api::Client;
use futures_util::TryStreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut builder = Client::builder();
    if let Ok(endpoint) = std::env::var("CAR_ENDPOINT") {
        builder = builder.endpoint(endpoint);
    }
    let client = builder.build()?;
    let limit = match std::env::var("CAR_PAGE_SIZE") {
        Ok(v) => v
            .parse()
            .map_err(|e| format!("CAR_PAGE_SIZE: expected a whole number, got {v:?}: {e}"))?,
        Err(_) => 20,
    };
    let request =
        DescribeApplicationListRequest::new(DescribeApplicationListRequired { offset: 0, limit });
    let mut items = client.describe_application_list_paginator(request).items();
    let mut count = 0;
    while let Some(item) = items.try_next().await? {
        match item {
            DescribeApplicationListItem::Desktop(app) => {
                println!("desktop {} {}", app.application_id, app.application_name)
            }
            DescribeApplicationListItem::Mobile(app) => {
                println!("mobile  {} {}", app.application_id, app.application_name)
            }
            // Kinds of entry a later API version may add.
            _ => println!("other entry"),
        }
        count += 1;
    }
    println!("{count} application(s)");
    Ok(())
}
