//! Typed async client for Tencent Cloud CAR (Cloud Application Rendering), API version
//! 2022-01-10.
//!
//! Everything under [`types`], [`operations`], [`metadata`], [`ErrorCode`] and the
//! per-action methods of [`Client`] is generated from `spec/car.json` by `car-macros`;
//! the rest (signing, credentials, transport, retries, errors) is written by hand.
//!
//! Required request members are set by name, so a forgotten one is a compile error;
//! optional ones are fluent setters. Response members upstream promises are plain values,
//! the rest `Option`s:
//!
//! ```no_run
//! # async fn demo() -> Result<(), car_api::Error> {
//! use car_api::operations::{CreateSessionRequest, CreateSessionRequired};
//! use car_api::Client;
//! let client = Client::builder().build()?;
//! let request = CreateSessionRequest::new(CreateSessionRequired {
//!     user_id: "user-1".into(),
//!     user_ip: "203.0.113.7".into(),
//! })
//! .run_mode(car_api::types::RunMode::RunWithoutClient);
//! let session = client.create_session(request).await?;
//! println!("session ready (RequestId {})", session.request_id);
//! # Ok(()) }
//! ```
//!
//! Listing actions page through a [`futures_util::Stream`] of pages or items, and
//! `wait_until_*` methods poll until a resource reaches a state:
//!
//! ```no_run
//! # async fn demo(client: car_api::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use car_api::operations::{DescribeApplicationListRequest, DescribeApplicationListRequired};
//! use futures_util::TryStreamExt;
//! let request = DescribeApplicationListRequest::new(DescribeApplicationListRequired {
//!     offset: 0,
//!     limit: 50,
//! });
//! let apps: Vec<_> = client
//!     .describe_application_list_paginator(request)
//!     .items()
//!     .try_collect()
//!     .await?;
//! println!("{} applications", apps.len());
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

pub mod config;
pub mod cos_crc;
pub mod cos_signing;
pub mod credentials;
pub mod http;
pub mod meta;
pub mod paginate;
pub mod params;
pub mod redact;
pub mod service;
pub mod signing;
pub mod waiter;

mod client;
mod error;
mod overrides;
mod rate_limit;
mod retry;
mod wire;

pub use client::{
    decode_response, Client, ClientBuilder, Operation, OperationVisitor, SignedRequest,
    DEFAULT_MAX_RESPONSE_BYTES,
};
pub use config::{ConfigError, ConfigLoader, Endpoint, ResolvedConfig, RetryConfig, Site};
pub use error::{Error, ErrorKind};
pub use overrides::CallOverrides;
/// The client's jittered back-off, for other transports (the COS uploader) that retry
/// under the same [`RetryConfig`].
pub use retry::backoff;

// The workspace's spec first (edits take effect at once), then the copy packaged with
// the crate, which `cargo xtask codegen --check` keeps identical.
car_macros::generate!("../../spec/car.json", "../spec/car.json");
