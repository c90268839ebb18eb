//! The emulator's COS router on a held loopback listener, behind a small fault layer that
//! counts operations and can fail, hold or tamper with chosen requests; a manual clock;
//! and a credential source that issues real grants from the emulator's store.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use car_api::http::HttpSettings;
use car_api::RetryConfig;
use car_emulator::cos::{operation_name, router, CosState};
use car_emulator::{grants, Clock, ManualClock, Store};
use car_release::cos::{
    CosClient, CosCredentials, CosError, CredentialSource, Now, Progress, ProgressEvent, Target,
    UploadOptions,
};
use futures_util::future::BoxFuture;

pub const BUCKET: &str = "examplebucket-1250000000";
pub const REGION: &str = "ap-guangzhou";
pub const PREFIX: &str = "100/app-1/ver-1/";
pub const KEY: &str = "100/app-1/ver-1/app-1.zip";
/// 2026-01-01T00:00:00Z.
pub const START: u64 = 1_767_225_600;
pub const MIB: u64 = 1024 * 1024;

/// What the fault layer does and has seen.
#[derive(Default)]
pub struct Faults {
    pub upload_parts: AtomicU32,
    pub completes: AtomicU32,
    pub puts: AtomicU32,
    /// Answer this many more UploadPart requests with 503 SlowDown.
    pub slow_down_parts: AtomicU32,
    /// Answer this many more UploadPart requests with 500 InternalError.
    pub internal_error_parts: AtomicU32,
    /// Drop the connection of this many more UploadPart requests without an answer (the
    /// handler task panics, so hyper closes the socket mid-request, as a reset would).
    pub reset_parts: AtomicU32,
    /// When non-zero, UploadPart requests for higher part numbers never get an answer.
    pub hold_parts_above: AtomicU32,
    /// When non-zero, this part's answer carries a wrong CRC-64.
    pub corrupt_crc_of_part: AtomicU32,
    /// Refuse Complete with 500 (and count it).
    pub fail_complete: AtomicBool,
}

fn part_number(req: &Request) -> u32 {
    req.uri()
        .query()
        .unwrap_or("")
        .split('&')
        .find_map(|kv| kv.strip_prefix("partNumber="))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn cos_error(status: StatusCode, code: &str) -> Response {
    let body = format!(
        "<?xml version='1.0' encoding='utf-8' ?><Error><Code>{code}</Code><Message>injected</Message>\
         <Resource>r</Resource><RequestId>injected-1</RequestId></Error>"
    );
    (status, [("content-type", "application/xml")], body).into_response()
}

/// Takes one from `counter` if it is above zero.
fn take(counter: &AtomicU32) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

async fn fault_layer(faults: Arc<Faults>, req: Request, next: Next) -> Response {
    let op = operation_name(req.method(), req.uri());
    match op {
        "UploadPart" => {
            faults.upload_parts.fetch_add(1, Ordering::SeqCst);
            let n = part_number(&req);
            if take(&faults.slow_down_parts) {
                return cos_error(StatusCode::SERVICE_UNAVAILABLE, "SlowDown");
            }
            if take(&faults.internal_error_parts) {
                return cos_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalError");
            }
            if take(&faults.reset_parts) {
                panic!("injected connection reset (expected in this test)");
            }
            let hold = faults.hold_parts_above.load(Ordering::SeqCst);
            if hold != 0 && n > hold {
                std::future::pending::<()>().await;
            }
            let mut resp = next.run(req).await;
            if faults.corrupt_crc_of_part.load(Ordering::SeqCst) == n {
                resp.headers_mut()
                    .insert("x-cos-hash-crc64ecma", HeaderValue::from_static("12345"));
            }
            resp
        }
        "CompleteMultipartUpload" => {
            faults.completes.fetch_add(1, Ordering::SeqCst);
            if faults.fail_complete.load(Ordering::SeqCst) {
                return cos_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalError");
            }
            next.run(req).await
        }
        "PutObject" => {
            faults.puts.fetch_add(1, Ordering::SeqCst);
            next.run(req).await
        }
        _ => next.run(req).await,
    }
}

/// Issues a fresh emulator grant at the clock's time on every fetch, and counts them.
pub struct Issuer {
    pub store: Arc<Store>,
    pub clock: ManualClock,
    pub ttl: i64,
    pub fetches: AtomicU64,
}

impl CredentialSource for Issuer {
    fn fetch(&self) -> BoxFuture<'_, Result<CosCredentials, CosError>> {
        Box::pin(async move {
            self.fetches.fetch_add(1, Ordering::SeqCst);
            let g = grants::issue(
                &self.store,
                BUCKET,
                REGION,
                PREFIX,
                self.clock.unix_seconds(),
                self.ttl,
            )
            .map_err(|e| CosError::Credentials(e.to_string()))?;
            Ok(CosCredentials {
                secret_id: g.secret_id,
                secret_key: g.secret_key,
                session_token: Some(g.session_token),
                expired_time: Some(g.expired_time),
            })
        })
    }
}

pub struct Cos {
    pub base: String,
    pub clock: ManualClock,
    pub store: Arc<Store>,
    pub faults: Arc<Faults>,
    pub issuer: Arc<Issuer>,
    pub dir: tempfile::TempDir,
}

impl Cos {
    pub async fn start() -> Cos {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Arc::new(Store::open(&dir.path().join("data")).expect("store"));
        store.ensure_schema(grants::SCHEMA).expect("grants table");
        let clock = ManualClock::at_unix(START);
        let faults = Arc::new(Faults::default());
        let f = faults.clone();
        let app = router(CosState {
            store: store.clone(),
            clock: Arc::new(clock.clone()),
            bucket: BUCKET.into(),
            region: REGION.into(),
        })
        .layer(middleware::from_fn(move |req, next| {
            fault_layer(f.clone(), req, next)
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        let issuer = Arc::new(Issuer {
            store: store.clone(),
            clock: clock.clone(),
            ttl: 1800,
            fetches: AtomicU64::new(0),
        });
        Cos {
            base: format!("http://{addr}"),
            clock,
            store,
            faults,
            issuer,
            dir,
        }
    }

    pub fn target(&self) -> Target {
        Target {
            bucket: BUCKET.into(),
            region: REGION.into(),
            key: KEY.into(),
            endpoint: Some(self.base.clone()),
        }
    }

    pub fn now(&self) -> Now {
        let c = self.clock.clone();
        Now::from_fn(move || c.unix_seconds())
    }

    pub fn checkpoints(&self) -> PathBuf {
        self.dir.path().join("checkpoints")
    }

    /// 1 MiB parts, two at a time, a checkpoint, quick retries, this emulator's clock.
    pub fn options(&self) -> UploadOptions {
        UploadOptions {
            part_size: MIB,
            concurrency: 2,
            multipart_threshold: MIB,
            checkpoint_dir: Some(self.checkpoints()),
            retry: RetryConfig {
                max_attempts: 4,
                initial_backoff: Duration::from_millis(1),
                max_backoff: Duration::from_millis(5),
                max_elapsed: Duration::from_secs(60),
            },
            now: self.now(),
            ..UploadOptions::default()
        }
    }

    pub fn client(&self) -> CosClient {
        CosClient::new(
            &HttpSettings::default(),
            &self.base,
            self.issuer.clone(),
            self.now(),
            RetryConfig::default(),
        )
        .expect("client")
    }

    /// The stored object's bytes, fetched with a signed GET.
    pub async fn object(&self) -> Vec<u8> {
        let resp = self
            .client()
            .send("GetObject", reqwest::Method::GET, KEY, &[], None)
            .await
            .expect("GET");
        resp.bytes().await.expect("body").to_vec()
    }

    pub fn parts_sent(&self) -> u32 {
        self.faults.upload_parts.load(Ordering::SeqCst)
    }
}

/// Deterministic, non-repeating bytes (so a misplaced part cannot look right).
pub fn data(len: u64, seed: u8) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ u64::from(seed);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write");
    p
}

/// A progress callback that sends every event into a channel.
pub fn channel_progress() -> (
    Progress,
    tokio::sync::mpsc::UnboundedReceiver<ProgressEvent>,
) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let p: Progress = Arc::new(move |e: &ProgressEvent| {
        let _ = tx.send(e.clone());
    });
    (p, rx)
}
