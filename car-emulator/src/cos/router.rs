//! The axum router: one handler that decodes the address, authenticates, dispatches on
//! the operation, and stamps every answer with COS's common headers.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{Method, Uri};
use axum::response::Response;
use axum::Router;

use super::errors::{Code, CosError};
use super::request::{check_bucket, parse_target, Operation};
use super::{auth, listing, multipart, objects, CosState};
use crate::{grants, objects as meta};

/// The COS operation a request is, by COS's names (`PutObject`, `UploadPart`, …, and
/// `Unsupported`), so a fault layer can target operations by name.
pub fn operation_name(method: &Method, uri: &Uri) -> &'static str {
    Operation::of(method, uri).name()
}

#[derive(Clone)]
struct Shared {
    state: CosState,
    /// Why the tables could not be created, if they could not: every request reports it.
    schema_error: Option<Arc<str>>,
}

/// The COS XML API for `state.bucket`, creating the tables it needs in the store.
pub fn router(state: CosState) -> Router {
    let schema = [meta::SCHEMA, grants::SCHEMA, multipart::SCHEMA].concat();
    let schema_error = state.store.ensure_schema(&schema).err().map(|e| {
        tracing::error!("cos: cannot create the COS tables: {e}");
        Arc::from(e.to_string())
    });
    if schema_error.is_none() {
        recover(&state);
    }
    Router::new().fallback(handle).with_state(Shared {
        state,
        schema_error,
    })
}

/// Clears what a crash can leave in the objects directory; a failure only costs disk.
fn recover(state: &CosState) {
    let referenced = state.store.read(|c| {
        let mut names = meta::referenced_blobs(c)?;
        names.extend(multipart::referenced_blobs(c)?);
        Ok(names.into_iter().collect::<std::collections::HashSet<_>>())
    });
    let swept = referenced
        .map_err(|e| e.to_string())
        .and_then(|r| meta::sweep(&state.store.objects_dir(), &r).map_err(|e| e.to_string()));
    match swept {
        Ok(0) => {}
        Ok(n) => tracing::info!("cos: removed {n} files a crash left behind"),
        Err(e) => tracing::warn!("cos: cannot clear files a crash left behind: {e}"),
    }
}

async fn handle(State(shared): State<Shared>, request: Request) -> Response {
    let state = &shared.state;
    let request_id = format!("{:032x}", rand::random::<u128>());
    let head = request.method() == Method::HEAD;
    let resource = format!("{}{}", state.host(), request.uri().path());
    let result = match &shared.schema_error {
        Some(e) => Err(CosError::internal("the emulator's store is unusable", e)),
        None => dispatch(state, request).await,
    };
    let mut response = match result {
        Ok(response) => response,
        Err(e) => {
            let mut response = e.into_response(head, &resource, &request_id);
            if let Ok(v) = request_id.parse() {
                response.headers_mut().insert("x-cos-trace-id", v);
            }
            response
        }
    };
    let headers = response.headers_mut();
    if let Ok(v) = request_id.parse() {
        headers.insert("x-cos-request-id", v);
    }
    headers.insert(
        "Server",
        axum::http::HeaderValue::from_static("tencent-cos"),
    );
    response
}

async fn dispatch(state: &CosState, request: Request) -> Result<Response, CosError> {
    let (parts, body) = request.into_parts();
    let op = Operation::of(&parts.method, &parts.uri);
    check_bucket(&parts, &state.bucket, &state.region)?;
    let target = parse_target(&parts.uri)?;
    if op == Operation::Unsupported || (!op.is_bucket_level() && target.key.is_empty()) {
        return Err(not_offered(&parts.method, &parts.uri));
    }
    auth::authenticate(state, &parts, &target, op).await?;
    let headers = &parts.headers;
    match op {
        Operation::PutObject => objects::put(state, &target, headers, body).await,
        Operation::HeadObject => objects::head(state, &target).await,
        Operation::GetObject => objects::get(state, &target, headers).await,
        Operation::InitiateMultipartUpload => multipart::initiate(state, &target, headers).await,
        Operation::UploadPart => multipart::upload_part(state, &target, headers, body).await,
        Operation::ListParts => listing::list_parts(state, &target).await,
        Operation::ListMultipartUploads => listing::list_uploads(state, &target).await,
        Operation::CompleteMultipartUpload => multipart::complete(state, &target, body).await,
        Operation::AbortMultipartUpload => multipart::abort(state, &target).await,
        Operation::Unsupported => Err(not_offered(&parts.method, &parts.uri)),
    }
}

fn not_offered(method: &Method, uri: &Uri) -> CosError {
    CosError::new(
        Code::NotImplemented,
        format!(
            "{method} {} is not an operation this emulator offers (object and multipart uploads only)",
            uri.path()
        ),
    )
}
