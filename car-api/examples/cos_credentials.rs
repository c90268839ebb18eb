//! Fetches the temporary COS credentials for uploading an application package and shows
//! where to upload, without ever printing the secrets: the response's `Debug` masks the
//! SecretID and redacts the key and token.
//!
//! Needs `CAR_APPLICATION_ID`; credentials and `CAR_ENDPOINT` as in `list_applications`.
//!
//! ```text
//! CAR_APPLICATION_ID=app-... cargo run -p car-api --example cos_credentials
//! ```

use car_api::operations::{DescribeCosCredentialRequest, DescribeCosCredentialRequired};
use car_api::Client;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut builder = Client::builder();
    if let Ok(endpoint) = std::env::var("CAR_ENDPOINT") {
        builder = builder.endpoint(endpoint);
    }
    let client = builder.build()?;
    let application_id =
        std::env::var("CAR_APPLICATION_ID").map_err(|_| "set CAR_APPLICATION_ID")?;
    let cos = client
        .describe_cos_credential(DescribeCosCredentialRequest::new(
            DescribeCosCredentialRequired { application_id },
        ))
        .await?;
    println!(
        "upload to cos://{}/{} in {}, credentials valid until {} (unix time)",
        cos.cos_bucket, cos.path, cos.cos_region, cos.expired_time
    );
    // Safe to log: secrets are masked or redacted.
    println!("{cos:?}");
    Ok(())
}
