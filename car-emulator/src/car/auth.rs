//! Who is calling: the checks the real service makes on a request's common headers
//! before it looks at the action, in its order — content type, `Authorization`,
//! timestamp skew (by the emulator's clock), SecretId, TC3 signature, token.

use axum::http::HeaderMap;
use car_api::service::ServiceError;
use car_api::signing::{self, Authorization, ReceivedRequest};

use crate::car::accounts::Key;

/// How far `X-TC-Timestamp` may be from the server's clock: five minutes, as Tencent's
/// "Signature v3" page says.
pub const MAX_SKEW_SECS: i64 = 300;

/// The request parts the checks read.
pub struct Incoming<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The path.
    pub path: &'a str,
    /// The query string, without `?`.
    pub query: &'a str,
    /// The headers as received.
    pub headers: &'a HeaderMap,
    /// The body as received.
    pub body: &'a [u8],
}

impl Incoming<'_> {
    /// A header's value; one that is not visible ASCII counts as absent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Checks the request's signature and returns the key that made it; `find` looks a
/// SecretId up among the keys accepted.
pub fn authenticate(
    find: impl Fn(&str) -> Option<Key>,
    now: i64,
    service: &str,
    request: &Incoming<'_>,
) -> Result<Key, ServiceError> {
    let content_type = request.header("content-type").unwrap_or_default();
    if !content_type.starts_with("application/json") {
        return Err(ServiceError::new(
            "InvalidRequest",
            format!("Content-Type must be application/json, got `{content_type}`"),
        ));
    }
    let Some(authorization) = request.header("authorization") else {
        return Err(ServiceError::new(
            "AuthFailure.InvalidAuthorization",
            "the Authorization header is missing",
        ));
    };
    let timestamp = match request.header("x-tc-timestamp") {
        None => {
            return Err(ServiceError::new(
                "MissingParameter",
                "the X-TC-Timestamp header is missing",
            ))
        }
        Some(t) => t.parse::<i64>().map_err(|_| {
            ServiceError::new(
                "InvalidParameter",
                format!("X-TC-Timestamp must be a Unix time in seconds, got `{t}`"),
            )
        })?,
    };
    if now.abs_diff(timestamp) > MAX_SKEW_SECS as u64 {
        return Err(ServiceError::new(
            "AuthFailure.SignatureExpire",
            format!(
                "the request timestamp {timestamp} is more than {MAX_SKEW_SECS} s from the server time {now}"
            ),
        ));
    }
    let parsed = Authorization::parse(authorization)
        .map_err(|e| ServiceError::new(e.error_code(), e.to_string()))?;
    let Some(key) = find(parsed.secret_id()) else {
        return Err(ServiceError::new(
            "AuthFailure.SecretIdNotFound",
            format!(
                "the SecretId {} is not known to this emulator",
                signing::mask_secret_id(parsed.secret_id())
            ),
        ));
    };
    let received = ReceivedRequest {
        method: request.method,
        path: request.path,
        query: request.query,
        timestamp,
        body: request.body,
    };
    signing::verify(&parsed, &key.secret_key, service, &received, |name| {
        request.header(name)
    })
    .map_err(|e| ServiceError::new(e.error_code(), e.to_string()))?;
    check_token(&key, request.header("x-tc-token"), now)?;
    Ok(key)
}

fn check_token(key: &Key, sent: Option<&str>, now: i64) -> Result<(), ServiceError> {
    let sent = sent.filter(|t| !t.is_empty());
    let refuse = |why: &str| Err(ServiceError::new("AuthFailure.TokenFailure", why));
    match (&key.temporary, sent) {
        (None, None) => Ok(()),
        (None, Some(_)) => refuse("this SecretId is a permanent key and takes no X-TC-Token"),
        (Some(_), None) => refuse("this SecretId is a temporary key and needs its X-TC-Token"),
        (Some((token, _)), Some(sent)) if !constant_time_eq(token, sent) => {
            refuse("the X-TC-Token does not belong to this SecretId")
        }
        (Some((_, expired_time)), Some(_)) if now >= *expired_time => refuse(&format!(
            "the temporary key expired at {expired_time} (server time {now})"
        )),
        (Some(_), Some(_)) => Ok(()),
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    // Lengths are not secret (tokens have a fixed length); the contents are.
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
