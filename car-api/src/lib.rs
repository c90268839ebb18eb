//! Typed async client for Tencent Cloud CAR (Cloud Application Rendering), API version
//! 2022-01-10.
//!
//! Everything under [`types`], [`operations`], [`metadata`], [`ErrorCode`] and the
//! per-action methods of [`Client`] is generated from `spec/car.json` by `car-macros`;
//! the rest (signing, credentials, transport, retries, errors) is written by hand.
//!
//! ```no_run
//! # async fn demo() -> Result<(), car_api::Error> {
//! use car_api::{operations::DescribeApplicationListRequest, Client};
//! let client = Client::builder().build()?;
//! let apps = client.describe_application_list(DescribeApplicationListRequest::new(0, 10)).await?;
//! println!("{} applications (RequestId {})", apps.application_total.unwrap_or(0), apps.request_id);
//! # Ok(()) }
//! ```

pub mod config;
pub mod credentials;
pub mod meta;
pub mod params;
pub mod redact;
pub mod signing;

mod client;
mod error;
mod rate_limit;
mod retry;
#[cfg(feature = "test-server")]
pub mod test_server;

pub use client::{
    decode_response, Client, ClientBuilder, Operation, OperationVisitor, SignedRequest,
    DEFAULT_MAX_RESPONSE_BYTES,
};
pub use config::{Endpoint, RetryConfig, Site};
pub use error::{Error, ErrorKind};

car_macros::generate!("../../spec/car.json");
