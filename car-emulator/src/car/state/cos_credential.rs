//! DescribeCosCredential: temporary COS keys for uploading the package of an
//! application's pending version, valid only for that version's object path.

use car_api::operations::*;
use car_api::service::ServiceError;
use car_api::ErrorCode;
use rusqlite::params;

use super::applications;
use super::db::{self, refuse};
use super::processing::{self, package_key};
use super::versions;
use super::CarState;
use crate::car::CallContext;

/// How long issued keys stay valid, in seconds (the default duration of Tencent Cloud's
/// temporary credentials).
pub const CREDENTIAL_SECONDS: i64 = 1800;

pub(crate) fn describe(
    state: &CarState,
    cx: &CallContext,
    req: DescribeCosCredentialRequest,
) -> Result<DescribeCosCredentialResponse, ServiceError> {
    processing::settle(state)?;
    let now = state.now();
    let key = db::write(&state.store, |tx| {
        let app = applications::load(tx, &cx.account.uin, &req.application_id)?;
        let Some(version) = versions::pending(tx, &app.id)? else {
            return Err(refuse(
                ErrorCode::OperationDenied,
                format!(
                    "application {} has no version waiting for a package; call CreateApplicationVersion first",
                    app.id
                ),
            ));
        };
        let ext = match &req.application_file_name {
            Some(name) => {
                let ext = versions::check_file_name("ApplicationFileName", &app, name)?;
                // The version follows the file actually shipped.
                let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
                tx.execute(
                    "UPDATE car_versions SET file_name = ?2, name = ?3 WHERE version_id = ?1",
                    params![version.id, name, stem],
                )?;
                ext
            }
            None => version.extension(),
        };
        let key = package_key(&cx.account.uin, &app.id, &version.id, &ext);
        tx.execute(
            "UPDATE car_versions SET package_key = ?2 WHERE version_id = ?1",
            params![version.id, key],
        )?;
        Ok(key)
    })?;
    let grant = crate::grants::issue(
        &state.store,
        &state.cos.bucket,
        &state.cos.region,
        &key,
        now,
        CREDENTIAL_SECONDS,
    )
    .map_err(|e| ServiceError::new(ErrorCode::InternalError, e.to_string()))?;
    let mut out = DescribeCosCredentialResponse::default();
    out.secret_id = grant.secret_id;
    out.secret_key = grant.secret_key;
    out.session_token = grant.session_token;
    out.cos_bucket = grant.bucket;
    out.cos_region = grant.region;
    out.path = key;
    out.start_time = grant.start_time;
    out.expired_time = grant.expired_time;
    Ok(out)
}
