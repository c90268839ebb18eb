//! The CAR API's front door: `POST /` with the `X-TC-*` headers, answered as the
//! service answers — HTTP 200 with `{"Response": {…, "RequestId"}}`, errors as
//! `{"Response": {"Error": {"Code", "Message"}, "RequestId"}}` — after the checks the
//! service makes (signature, version, action, parameters, rate limit) and any fault in
//! force; then the action goes to the [`CarService`] behind the door.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::response::Response;
use axum::Router;
use car_api::meta::{self, ActionMeta};
use car_api::service::{dispatch, CarService, ServiceError};
use http_body_util::{BodyExt, Limited};
use rand::Rng;
use serde_json::{json, Value};

use crate::car::accounts::{Accounts, Key};
use crate::car::auth::{self, Incoming};
use crate::car::rate_limit::RateLimiter;
use crate::car::{params, CallContext};
use crate::clock::Clock;
use crate::faults::{self, FaultKind, Faults, Side};

/// The largest request body accepted: 10 MB, the API 3.0 limit for `POST` requests.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// Everything the front door needs; shared by all connections.
pub struct FrontDoor<S> {
    /// The actions' implementation.
    pub service: Arc<S>,
    /// The keys accepted.
    pub accounts: Arc<Accounts>,
    /// Dates skew checks, rate-limit windows and the call context.
    pub clock: Arc<dyn Clock>,
    /// Present when rate limits are enforced.
    pub limiter: Option<RateLimiter>,
    /// Faults in force.
    pub faults: Faults,
}

/// The CAR API as an axum router.
pub fn router<S>(door: Arc<FrontDoor<S>>) -> Router
where
    S: CarService<Context = CallContext> + Send + Sync + 'static,
{
    Router::new().fallback(handle::<S>).with_state(door)
}

async fn handle<S>(State(door): State<Arc<FrontDoor<S>>>, request: Request) -> Response
where
    S: CarService<Context = CallContext> + Send + Sync + 'static,
{
    let request_id = new_request_id(&mut rand::thread_rng());
    let outcome = answer(&door, request, &request_id).await;
    match outcome {
        Answer::Api(result) => {
            if let Err(e) = &result {
                tracing::info!(request_id, code = %e.code(), "refused: {}", e.message());
            }
            envelope(result, &request_id)
        }
        Answer::Fault(kind, action) => {
            tracing::info!(request_id, action, ?kind, "fault injected");
            fault_response(kind, &request_id).await
        }
    }
}

enum Answer {
    Api(Result<Value, ServiceError>),
    Fault(FaultKind, &'static str),
}

async fn answer<S>(door: &FrontDoor<S>, request: Request, request_id: &str) -> Answer
where
    S: CarService<Context = CallContext> + Send + Sync + 'static,
{
    let (parts, body) = request.into_parts();
    if parts.method != Method::POST || parts.uri.path() != "/" {
        return Answer::Api(Err(ServiceError::new(
            "UnsupportedProtocol",
            format!(
                "only POST / with a JSON body is supported, got {} {}",
                parts.method,
                parts.uri.path()
            ),
        )));
    }
    let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return Answer::Api(Err(ServiceError::new(
                "RequestSizeLimitExceeded",
                format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
            )))
        }
    };
    let incoming = Incoming {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or_default(),
        headers: &parts.headers,
        body: &body,
    };
    let now = door.clock.now();
    let now_secs = door.clock.unix_seconds();
    let (key, action, params) = match admit(|id| door.accounts.find(id), now_secs, &incoming) {
        Ok(admitted) => admitted,
        Err(e) => return Answer::Api(Err(e)),
    };
    if let Some(kind) = door.faults.take(Side::Car, action.name) {
        if let FaultKind::Delay(d) = kind {
            tokio::time::sleep(d).await;
        } else {
            return Answer::Fault(kind, action.name);
        }
    }
    if let Some(limiter) = &door.limiter {
        if !limiter.admit(&key.account.uin, action.name, action.rate_limit, now) {
            return Answer::Api(Err(throttled(action.name, action.rate_limit)));
        }
    }
    let context = CallContext {
        account: key.account,
        request_id: request_id.to_owned(),
        region: incoming
            .header("x-tc-region")
            .filter(|r| !r.is_empty())
            .map(str::to_owned),
        now: now_secs,
    };
    if action.retry_safe {
        return Answer::Api(dispatch(door.service.as_ref(), &context, action.name, params).await);
    }
    // An action that changes state commits a synced SQLite transaction, which blocks
    // for milliseconds: it runs on a blocking thread so readers keep being served.
    let service = door.service.clone();
    let handle = tokio::runtime::Handle::current();
    let name = action.name;
    let ran = tokio::task::spawn_blocking(move || {
        handle.block_on(dispatch(service.as_ref(), &context, name, params))
    })
    .await;
    Answer::Api(ran.unwrap_or_else(|e| {
        Err(ServiceError::new(
            "InternalError",
            format!("{name} failed inside the emulator: {e}"),
        ))
    }))
}

/// The checks the service makes before it runs an action, in its order: the caller
/// (signature, skew, key, token), the API version, the action, the JSON body and its
/// parameters. Shared with the scripted [`crate::test_server`], so both refuse alike.
pub fn admit(
    find: impl Fn(&str) -> Option<Key>,
    now_secs: i64,
    incoming: &Incoming<'_>,
) -> Result<(Key, &'static ActionMeta, Value), ServiceError> {
    let key = auth::authenticate(find, now_secs, car_api::metadata::SERVICE.name, incoming)?;
    let version = incoming.header("x-tc-version").unwrap_or_default();
    if version != car_api::metadata::SERVICE.version {
        return Err(ServiceError::new(
            "NoSuchVersion",
            format!(
                "version `{version}` of car does not exist; this emulator serves {}",
                car_api::metadata::SERVICE.version
            ),
        ));
    }
    let action_name = incoming.header("x-tc-action").unwrap_or_default();
    let Some(action) = meta::action(action_name) else {
        return Err(ServiceError::invalid_action(action_name));
    };
    let params: Value = serde_json::from_slice(incoming.body).map_err(|e| {
        ServiceError::new(
            "InvalidParameter",
            format!("the request body is not valid JSON: {e}"),
        )
    })?;
    params::check(action, &params)?;
    Ok((key, action, params))
}

fn throttled(action: &str, per_second: u32) -> ServiceError {
    ServiceError::new(
        "RequestLimitExceeded",
        format!("{action} allows {per_second} requests per second; try again later"),
    )
}

async fn fault_response(kind: FaultKind, request_id: &str) -> Response {
    match kind {
        FaultKind::Throttle => envelope(
            Err(ServiceError::new(
                "RequestLimitExceeded",
                "the request was throttled (fault injected)",
            )),
            request_id,
        ),
        FaultKind::Error(code) => envelope(
            Err(ServiceError::new(
                code.as_str(),
                format!("{code} (fault injected)"),
            )),
            request_id,
        ),
        FaultKind::Status(status) => faults::gateway_status(status),
        FaultKind::Reset => faults::hangup(),
        FaultKind::Truncate => faults::truncate(envelope(Ok(json!({})), request_id)).await,
        // Handled before dispatch: a delayed request is otherwise answered normally.
        FaultKind::Delay(_) => envelope(Ok(json!({})), request_id),
    }
}

/// Tencent's envelope around members or an error, with the request's ID.
pub fn envelope(result: Result<Value, ServiceError>, request_id: &str) -> Response {
    let body = match result {
        Ok(mut members) => {
            if let Some(map) = members.as_object_mut() {
                map.insert("RequestId".into(), Value::String(request_id.to_owned()));
            }
            json!({ "Response": members })
        }
        Err(e) => json!({"Response": {
            "Error": {"Code": e.code().to_string(), "Message": e.message()},
            "RequestId": request_id,
        }}),
    };
    // Straight into bytes (`to_string` goes through `fmt::Write` a piece at a time).
    // Writing a `Value` to memory cannot fail: its keys are strings and a Vec takes all.
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let mut response = Response::new(Body::from(bytes));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A random RFC 4122 version-4 UUID in its usual text form, as the service's RequestIds
/// look.
pub fn new_request_id(rng: &mut impl Rng) -> String {
    let mut b: [u8; 16] = rng.gen();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_version_4_uuids_and_differ() {
        let mut rng = rand::thread_rng();
        let a = new_request_id(&mut rng);
        let b = new_request_id(&mut rng);
        assert_ne!(a, b);
        for id in [a, b] {
            let groups: Vec<&str> = id.split('-').collect();
            let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
            assert_eq!(lens, [8, 4, 4, 4, 12], "{id}");
            assert!(groups[2].starts_with('4'), "{id}");
            assert!("89ab".contains(&groups[3][..1]), "{id}");
            assert!(
                id.bytes().all(|c| c == b'-' || c.is_ascii_hexdigit()),
                "{id}"
            );
        }
    }
}
