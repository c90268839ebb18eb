//! The CAR API side: TC3 authentication, the envelope, parameter checks and the state
//! behind all 33 actions.

pub mod accounts;
pub mod auth;
pub mod frontdoor;
pub mod params;
pub mod rate_limit;
pub mod state;

/// What the front door knows about a request when it hands the parameters to the state:
/// the `Context` of the emulator's [`car_api::service::CarService`] implementation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallContext {
    /// The account the signing key belongs to; every resource is owned by one account.
    pub account: Account,
    /// The RequestId this answer will carry.
    pub request_id: String,
    /// `X-TC-Region`, when the caller sent one.
    pub region: Option<String>,
    /// The emulator clock's time when the request arrived (Unix seconds).
    pub now: i64,
}

/// A Tencent Cloud account as CAR sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The account's UIN (the first segment of DescribeCosCredential's `Path`).
    pub uin: String,
    /// The account's APPID (the suffix of its COS bucket names).
    pub app_id: u64,
}
