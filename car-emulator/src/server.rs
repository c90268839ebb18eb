//! Starting and stopping the emulator: the CAR API and the COS bucket on two loopback
//! listeners, over plain HTTP or (`tls`) HTTPS with a CA made for the start, one data
//! directory (a temporary one, removed on drop, when none is given), faults settable at
//! start and at run time, and a graceful shutdown that lets requests in flight finish.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, Uri};
use axum::response::Response;
use axum::Router;
use car_api::service::CarService;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower::ServiceExt;

use crate::car::accounts::Accounts;
use crate::car::frontdoor::{self, FrontDoor};
use crate::car::rate_limit::RateLimiter;
use crate::car::state::{CarState, CosSettings, PROCESSING_SECONDS};
use crate::car::CallContext;
use crate::clock::{Clock, SystemClock};
use crate::cos::{self, CosState};
use crate::faults::{self, Fault, FaultKind, Faults, Hangup, Side};
use crate::store::{Store, StoreError};
use crate::tls;

/// The region of the bucket the COS side serves.
pub const COS_REGION: &str = "ap-guangzhou";

/// What a CAR service implementation is opened with.
pub struct ServiceParts {
    /// The data directory's store.
    pub store: Arc<Store>,
    /// The emulator's clock.
    pub clock: Arc<dyn Clock>,
    /// The bucket DescribeCosCredential names (`name-appid`).
    pub bucket: String,
    /// Its region.
    pub region: String,
    /// How long a package takes to process ([`EmulatorBuilder::processing_delay`]).
    pub processing_delay: Duration,
}

type OpenService<S> = Box<dyn FnOnce(ServiceParts) -> Result<S, StoreError> + Send>;

/// Names a COS request's operation (e.g. `UploadPart`), for faults.
pub type CosClassifier = fn(&Method, &Uri) -> &'static str;

/// Why the emulator did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The data directory could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A listener could not be bound.
    #[error("cannot listen on {addr} for the {side} API: {source}")]
    Bind {
        /// `CAR` or `COS`.
        side: &'static str,
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The temporary data directory could not be made.
    #[error("cannot create a temporary data directory: {0}")]
    TempDir(#[source] std::io::Error),
    /// TLS could not be set up.
    #[error("{0}")]
    Tls(String),
}

/// The emulator.
#[derive(Debug)]
pub struct Emulator;

impl Emulator {
    /// A builder serving the emulator's own CAR state ([`CarState`]).
    pub fn builder() -> EmulatorBuilder<CarState> {
        Emulator::with_service(|p| {
            CarState::open(
                p.store,
                p.clock,
                CosSettings {
                    bucket: p.bucket,
                    region: p.region,
                },
            )
            .map(|state| state.with_processing_delay(p.processing_delay))
        })
    }

    /// A builder serving the CAR actions with the service `open` makes from the store.
    pub fn with_service<S>(
        open: impl FnOnce(ServiceParts) -> Result<S, StoreError> + Send + 'static,
    ) -> EmulatorBuilder<S> {
        EmulatorBuilder {
            data_dir: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            cos_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            clock: Arc::new(SystemClock),
            faults: Vec::new(),
            fault_seed: 0,
            rate_limits: false,
            tls: false,
            processing_delay: Duration::from_secs(PROCESSING_SECONDS.unsigned_abs()),
            cos_classifier: cos::operation_name,
            open: Box::new(open),
        }
    }
}

/// Configures and starts an emulator.
pub struct EmulatorBuilder<S> {
    data_dir: Option<PathBuf>,
    listen: SocketAddr,
    cos_listen: SocketAddr,
    clock: Arc<dyn Clock>,
    faults: Vec<Fault>,
    fault_seed: u64,
    rate_limits: bool,
    tls: bool,
    processing_delay: Duration,
    cos_classifier: CosClassifier,
    open: OpenService<S>,
}

impl<S> fmt::Debug for EmulatorBuilder<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorBuilder")
            .field("data_dir", &self.data_dir)
            .field("listen", &self.listen)
            .field("cos_listen", &self.cos_listen)
            .field("faults", &self.faults)
            .field("rate_limits", &self.rate_limits)
            .field("tls", &self.tls)
            .field("processing_delay", &self.processing_delay)
            .finish_non_exhaustive()
    }
}

impl<S> EmulatorBuilder<S>
where
    S: CarService<Context = CallContext> + 'static,
{
    /// Keeps state in `dir` (created if needed). Without it, a temporary directory is
    /// used and removed when the emulator is dropped.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// The CAR API's address (default `127.0.0.1:0`, a free port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// The COS API's address (default `127.0.0.1:0`).
    pub fn cos_listen(mut self, addr: SocketAddr) -> Self {
        self.cos_listen = addr;
        self
    }

    /// The clock for skew checks, expiries and rate-limit windows (default: the system's).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// A fault in force from the start.
    pub fn fault(mut self, fault: Fault) -> Self {
        self.faults.push(fault);
        self
    }

    /// The seed of the generator behind `rate=` faults (default 0).
    pub fn fault_seed(mut self, seed: u64) -> Self {
        self.fault_seed = seed;
        self
    }

    /// Enforces each action's documented rate limit (default: off).
    pub fn rate_limits(mut self, on: bool) -> Self {
        self.rate_limits = on;
        self
    }

    /// Serves HTTPS with a CA made for this start (default: plain HTTP).
    pub fn tls(mut self, on: bool) -> Self {
        self.tls = on;
        self
    }

    /// How long a package takes to process after CreateApplicationSnapshot, on the
    /// emulator's clock (default [`PROCESSING_SECONDS`], 6 s). Zero lets tests skip the
    /// wait: the version is settled on the next read.
    pub fn processing_delay(mut self, delay: Duration) -> Self {
        self.processing_delay = delay;
        self
    }

    /// How COS requests are named for faults.
    pub fn cos_classifier(mut self, classify: CosClassifier) -> Self {
        self.cos_classifier = classify;
        self
    }

    /// Opens the data directory, binds both listeners and starts serving on the current
    /// tokio runtime.
    pub async fn start(self) -> Result<RunningEmulator, StartError> {
        let (data_dir, temp_dir) = match self.data_dir {
            Some(dir) => (dir, None),
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("car-emulator-")
                    .tempdir()
                    .map_err(StartError::TempDir)?;
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        let store = Arc::new(Store::open(&data_dir)?);
        let accounts = Arc::new(Accounts::open(&store)?);
        let bucket = format!("car-emulator-{}", accounts.permanent().account.app_id);
        let service = (self.open)(ServiceParts {
            store: store.clone(),
            clock: self.clock.clone(),
            bucket: bucket.clone(),
            region: COS_REGION.to_owned(),
            processing_delay: self.processing_delay,
        })?;
        let tls = if self.tls {
            Some(tls::generate(&data_dir).map_err(StartError::Tls)?)
        } else {
            None
        };
        let bind = |side, addr| async move {
            TcpListener::bind(addr)
                .await
                .map_err(|source| StartError::Bind { side, addr, source })
        };
        let car_listener = bind("CAR", self.listen).await?;
        let cos_listener = bind("COS", self.cos_listen).await?;
        let car_addr = local_addr(&car_listener, "CAR", self.listen)?;
        let cos_addr = local_addr(&cos_listener, "COS", self.cos_listen)?;

        let faults = Faults::new(self.fault_seed);
        for f in self.faults {
            faults.push(f);
        }
        let door = Arc::new(FrontDoor {
            service: Arc::new(service),
            accounts: accounts.clone(),
            clock: self.clock.clone(),
            limiter: self.rate_limits.then(RateLimiter::new),
            faults: faults.clone(),
        });
        let car_router = frontdoor::router(door);
        let cos_router = cos::router(CosState {
            store: store.clone(),
            clock: self.clock.clone(),
            bucket,
            region: COS_REGION.to_owned(),
        });
        let cos_faults = CosFaults {
            faults: faults.clone(),
            classify: self.cos_classifier,
        };

        let (stop_tx, stop_rx) = watch::channel(false);
        let acceptor = tls.as_ref().map(|t| t.acceptor.clone());
        let tasks = vec![
            tokio::spawn(serve(
                car_listener,
                car_router,
                acceptor.clone(),
                stop_rx.clone(),
                None,
            )),
            tokio::spawn(serve(
                cos_listener,
                cos_router,
                acceptor,
                stop_rx,
                Some(cos_faults),
            )),
        ];
        let scheme = if tls.is_some() { "https" } else { "http" };
        let url = |addr: SocketAddr| match tls {
            // The leaf names localhost and 127.0.0.1; a name keeps hosts readable.
            Some(_) if addr.ip().is_loopback() => format!("{scheme}://localhost:{}", addr.port()),
            _ => format!("{scheme}://{addr}"),
        };
        let key = accounts.permanent();
        tracing::info!(
            endpoint = %url(car_addr),
            cos_endpoint = %url(cos_addr),
            data_dir = %data_dir.display(),
            "emulator started"
        );
        Ok(RunningEmulator {
            endpoint: url(car_addr),
            cos_endpoint: url(cos_addr),
            secret_id: key.secret_id.clone(),
            secret_key: key.secret_key.clone(),
            ca_file: tls.map(|t| t.ca_file),
            data_dir,
            accounts,
            store,
            faults,
            stop: stop_tx,
            tasks,
            _temp_dir: temp_dir,
        })
    }
}

fn local_addr(
    listener: &TcpListener,
    side: &'static str,
    addr: SocketAddr,
) -> Result<SocketAddr, StartError> {
    listener
        .local_addr()
        .map_err(|source| StartError::Bind { side, addr, source })
}

/// A running emulator. Dropping it stops serving at once; [`RunningEmulator::shutdown`]
/// lets requests in flight finish first.
pub struct RunningEmulator {
    endpoint: String,
    cos_endpoint: String,
    secret_id: String,
    secret_key: String,
    data_dir: PathBuf,
    ca_file: Option<PathBuf>,
    accounts: Arc<Accounts>,
    store: Arc<Store>,
    faults: Faults,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    // Dropped last: the directory goes once nothing uses it.
    _temp_dir: Option<tempfile::TempDir>,
}

impl fmt::Debug for RunningEmulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningEmulator")
            .field("endpoint", &self.endpoint)
            .field("cos_endpoint", &self.cos_endpoint)
            .field(
                "secret_id",
                &car_api::signing::mask_secret_id(&self.secret_id),
            )
            .field("secret_key", &"** redacted **")
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

impl RunningEmulator {
    /// The CAR API's base URL, e.g. `http://127.0.0.1:41234`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The COS bucket's base URL.
    pub fn cos_endpoint(&self) -> &str {
        &self.cos_endpoint
    }

    /// The data directory's permanent SecretId.
    pub fn secret_id(&self) -> &str {
        &self.secret_id
    }

    /// The data directory's permanent SecretKey.
    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// Where the state lives.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// With TLS, the CA certificate (PEM) clients should trust.
    pub fn ca_pem_path(&self) -> Option<&Path> {
        self.ca_file.as_deref()
    }

    /// The faults in force; push to add one while running.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// The keys the CAR side accepts (to issue temporary ones).
    pub fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    /// The data directory's store.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// The line `car emulator` prints first: `endpoint`, `cos_endpoint`, `secret_id`,
    /// `secret_key`, `data_dir` and, with TLS, `ca_file`.
    pub fn info_json(&self) -> serde_json::Value {
        let mut info = json!({
            "endpoint": self.endpoint,
            "cos_endpoint": self.cos_endpoint,
            "secret_id": self.secret_id,
            "secret_key": self.secret_key,
            "data_dir": self.data_dir.display().to_string(),
        });
        if let Some(ca) = &self.ca_file {
            info["ca_file"] = json!(ca.display().to_string());
        }
        info
    }

    /// Stops accepting connections, lets requests in flight finish, closes idle
    /// keep-alive connections, and returns when both listeners are done.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for task in std::mem::take(&mut self.tasks) {
            // A server task ends only by returning; a join error means it panicked,
            // which tracing has already reported.
            let _ = task.await;
        }
        tracing::info!("emulator stopped");
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Accepts connections until told to stop, then waits for the open ones to finish
/// their requests.
async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    mut stop: watch::Receiver<bool>,
    cos_faults: Option<CosFaults>,
) {
    let graceful = GracefulShutdown::new();
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            Some(_) = connections.join_next() => continue,
            a = listener.accept() => a,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Per-connection errors (a reset before accept, too many files) pass;
                // the listener itself stays usable.
                tracing::warn!("accepting a connection failed: {e}");
                continue;
            }
        };
        let router = router.clone();
        let watcher = graceful.watcher();
        let tls = tls.clone();
        let cos_faults = cos_faults.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |request: hyper::Request<_>| {
                let router = router.clone();
                let cos_faults = cos_faults.clone();
                async move { answer(router, request.map(Body::new), cos_faults).await }
            });
            let http = hyper::server::conn::http1::Builder::new();
            // Connection errors are the client's doing or a `reset` fault; neither is
            // the server's failure.
            match tls {
                Some(acceptor) => {
                    if let Ok(stream) = acceptor.accept(stream).await {
                        let conn = http.serve_connection(TokioIo::new(stream), service);
                        let _ = watcher.watch(conn).await;
                    }
                }
                None => {
                    let conn = http.serve_connection(TokioIo::new(stream), service);
                    let _ = watcher.watch(conn).await;
                }
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    while connections.join_next().await.is_some() {}
}

/// COS faults and how COS requests are named for them.
#[derive(Clone)]
struct CosFaults {
    faults: Faults,
    classify: CosClassifier,
}

/// Runs the router (after any COS fault); a response marked [`Hangup`] becomes an error,
/// on which hyper closes the connection without answering.
async fn answer(
    router: Router,
    request: Request,
    cos_faults: Option<CosFaults>,
) -> Result<Response, HangupError> {
    let fault = cos_faults.and_then(|c| {
        let operation = (c.classify)(request.method(), request.uri());
        let kind = c.faults.take(Side::Cos, operation)?;
        tracing::info!(operation, ?kind, "COS fault injected");
        Some(kind)
    });
    let response = match fault {
        Some(kind) => cos_fault(kind, request, router).await,
        None => run(router, request).await,
    };
    if response.extensions().get::<Hangup>().is_some() {
        return Err(HangupError);
    }
    Ok(response)
}

async fn run(router: Router, request: Request) -> Response {
    match router.oneshot(request).await {
        Ok(r) => r,
        Err(never) => match never {},
    }
}

#[derive(Debug)]
struct HangupError;

impl fmt::Display for HangupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection reset by a fault")
    }
}

impl std::error::Error for HangupError {}

/// Applies the COS faults in force to a request, naming it with `classify`.
async fn cos_fault(kind: FaultKind, request: Request, router: Router) -> Response {
    match kind {
        FaultKind::Throttle => cos_slow_down(),
        FaultKind::Error(code) => cos_error(400, &code, "fault injected"),
        FaultKind::Status(status) => faults::gateway_status(status),
        FaultKind::Reset => faults::hangup(),
        FaultKind::Delay(d) => {
            tokio::time::sleep(d).await;
            run(router, request).await
        }
        FaultKind::Truncate => faults::truncate(run(router, request).await).await,
    }
}

/// COS's throttling answer: 503 with `SlowDown` in its XML error form.
fn cos_slow_down() -> Response {
    cos_error(503, "SlowDown", "Please reduce your request rate.")
}

/// An error in COS's XML form. Only letters, digits, `.` and `_` of `code` are kept
/// (what a fault spec allows), so a code built by a library caller cannot break the XML.
fn cos_error(status: u16, code: &str, message: &str) -> Response {
    let code: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_'))
        .collect();
    let request_id = frontdoor::new_request_id(&mut rand::thread_rng());
    let body = format!(
        "<?xml version='1.0' encoding='utf-8' ?>\n<Error>\n\t<Code>{code}</Code>\n\t\
         <Message>{message}</Message>\n\t<RequestId>{request_id}</RequestId>\n</Error>"
    );
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = axum::http::StatusCode::from_u16(status)
        .unwrap_or(axum::http::StatusCode::SERVICE_UNAVAILABLE);
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/xml"),
    );
    response
}
