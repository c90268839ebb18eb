//! Authentication and authorisation, before any state is touched (COS reference §5.5):
//! only temporary keys that DescribeCosCredential issued, each honoured with its own
//! `x-cos-security-token`, within its lifetime, for keys under its prefix in its bucket.
//!
//! Choices where COS's answer is not documented: an expired temporary key is
//! `400 ExpiredToken`; one not valid yet, a missing or wrong token and a key outside the
//! grant are `403 AccessDenied`; a signature window that has not started is
//! `403 RequestTimeTooSkewed`.

use axum::http::{header, request::Parts};
use car_api::cos_signing::{self, Authorization, CosRequest, VerifyError};

use super::errors::{Code, CosError};
use super::request::{strip_port, Operation, Target};
use super::CosState;
use crate::grants::{self, CosGrant};

fn denied(message: impl Into<String>) -> CosError {
    CosError::new(Code::AccessDenied, message)
}

/// Compares without an early exit, so the time taken does not say how much matched.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Lets the request through or says why not.
pub async fn authenticate(
    state: &CosState,
    parts: &Parts,
    target: &Target,
    op: Operation,
) -> Result<(), CosError> {
    let header = parts
        .headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| denied("Access Denied: anonymous requests are not allowed on this private bucket; sign the request"))?;
    let auth = header
        .to_str()
        .map_err(|_| denied("The Authorization header is not ASCII"))
        .and_then(|h| Authorization::parse(h).map_err(|e| denied(e.to_string())))?;

    let secret_id = auth.secret_id().to_owned();
    let grant = state
        .db(move |store| Ok(grants::lookup(store, &secret_id)?))
        .await?
        .ok_or_else(|| {
            CosError::new(
                Code::InvalidAccessKeyId,
                "The Access Key Id you provided does not exist in our records",
            )
        })?;

    check_token(parts, &grant)?;
    let now = state.clock.unix_seconds();
    if now >= grant.expired_time {
        return Err(CosError::new(
            Code::ExpiredToken,
            "The provided token has expired",
        ));
    }
    if now < grant.start_time {
        return Err(denied("The temporary key is not valid yet"));
    }
    check_signature(parts, target, &auth, &grant, now)?;

    // A bucket-level listing is allowed for the part of the bucket its prefix selects.
    let key = if op.is_bucket_level() {
        target.param("prefix").unwrap_or("")
    } else {
        target.key.as_str()
    };
    if !grant.covers(&state.bucket, key) {
        return Err(denied(format!(
            "Access Denied: the temporary key is valid only for keys under `{}` in {}",
            grant.prefix, grant.bucket
        )));
    }
    Ok(())
}

fn check_token(parts: &Parts, grant: &CosGrant) -> Result<(), CosError> {
    match parts.headers.get("x-cos-security-token") {
        None => Err(denied(
            "A temporary key needs its x-cos-security-token header",
        )),
        Some(token) if same_secret(token.to_str().unwrap_or(""), &grant.session_token) => Ok(()),
        Some(_) => Err(denied(
            "The x-cos-security-token does not belong to this temporary key",
        )),
    }
}

fn check_signature(
    parts: &Parts,
    target: &Target,
    auth: &Authorization,
    grant: &CosGrant,
    now: i64,
) -> Result<(), CosError> {
    let path = target.signed_path();
    let params: Vec<(&str, &str)> = target
        .params
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let headers: Vec<(&str, &str)> = parts
        .headers
        .iter()
        .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)))
        .collect();
    let request = CosRequest {
        method: parts.method.as_str(),
        path: &path,
        params: &params,
        headers: &headers,
    };
    let mut result = cos_signing::verify(auth, &grant.secret_key, &request, now);
    if result == Err(VerifyError::SignatureMismatch) {
        // An SDK with no explicit Host signs the host name without the port it connects to.
        let portless: Vec<(&str, &str)> = headers
            .iter()
            .map(|&(n, v)| {
                if n == "host" {
                    (n, strip_port(v))
                } else {
                    (n, v)
                }
            })
            .collect();
        if portless != headers {
            result = cos_signing::verify(
                auth,
                &grant.secret_key,
                &CosRequest {
                    headers: &portless,
                    ..request
                },
                now,
            );
        }
    }
    result.map_err(|e| match e {
        VerifyError::Expired { .. } | VerifyError::KeyTimeNotCurrent { .. } => denied(e.to_string()),
        VerifyError::NotYetValid { .. } => CosError::new(Code::RequestTimeTooSkewed, e.to_string()),
        VerifyError::MissingHeader(_)
        | VerifyError::MissingParam(_)
        | VerifyError::SignatureMismatch => CosError::new(
            Code::SignatureDoesNotMatch,
            format!("The request signature we calculated does not match the signature you provided: {e}"),
        ),
    })
}
