//! The stateless scripted server: a CAR API server on loopback that checks every request
//! the way the real service does (TC3 signature, timestamp, version, action, parameters)
//! and answers with scripted replies, a handler's answers, or sample data made from the
//! spec, recording every request it saw. Where a test needs exact control over one answer
//! (a malformed body, a given error, a status) rather than the stateful [`crate::Emulator`],
//! it uses this.
//!
//! The client's and the CLI's tests run against it; it runs on its own thread, so
//! synchronous tests (which start the `car` binary) can use it as well as async ones.
//!
//! The server never fails quietly: a panic in a handler or a connection task, or a
//! listener that stops accepting, is recorded and makes dropping the [`TestServer`]
//! panic, so the test that used it fails with the reason.
//!
//! Its checks are the emulator's front door's own (`car::frontdoor::admit`: signature,
//! skew, key, token, version, action, parameters), so both refuse a request alike; the
//! signature check rebuilds the canonical request with the signer's own code, and what ties
//! both to Tencent's is the known-answer tests in `car_api::signing` and car-api's
//! `tests/signing_vectors.rs` and `tests/signing_verify.rs`.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Request, Response};
use serde_json::{json, Map, Value};

use crate::car::accounts::Key;
use crate::car::auth::Incoming;
use crate::car::{frontdoor, Account};
use car_api::meta::{self, Shape};

/// The secret ID the server accepts by default.
pub const TEST_SECRET_ID: &str = "AKIDtestserverEXAMPLE0000000000000000";
/// The secret key the server accepts by default.
pub const TEST_SECRET_KEY: &str = "testserverSecretKeyEXAMPLE000000";

/// How the server answers one request that passed its checks.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Success: these members, plus a generated `RequestId`.
    Ok(Map<String, Value>),
    /// An API error in Tencent's envelope (HTTP 200).
    Error {
        /// The error code.
        code: String,
        /// The error message.
        message: String,
    },
    /// A gateway-style answer: this HTTP status and body.
    Status(u16, String),
    /// HTTP 200 with exactly these bytes (for malformed or truncated JSON).
    Raw(Vec<u8>),
    /// Waits, then answers.
    Delay(Duration, Box<Reply>),
    /// Closes the connection without answering.
    Hangup,
}

impl Reply {
    /// An API error reply.
    pub fn error(code: &str, message: &str) -> Reply {
        Reply::Error {
            code: code.into(),
            message: message.into(),
        }
    }

    /// A success reply from a JSON object literal.
    pub fn ok(members: Value) -> Reply {
        match members {
            Value::Object(m) => Reply::Ok(m),
            _ => Reply::Ok(Map::new()),
        }
    }
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// The `X-TC-Action` header.
    pub action: String,
    /// Every header, as received.
    pub headers: Vec<(String, String)>,
    /// The JSON body.
    pub body: Value,
    /// The error code the server's checks answered with, if any.
    pub rejected: Option<String>,
    /// When it arrived.
    pub received_at: std::time::Instant,
}

impl RecordedRequest {
    /// A header's value, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

type Handler = dyn Fn(&str, &Value) -> Reply + Send + Sync;

struct State {
    secret_id: String,
    secret_key: String,
    token: Option<String>,
    handler: Option<Arc<Handler>>,
    script: Mutex<VecDeque<Reply>>,
    log: Mutex<Vec<RecordedRequest>>,
    counter: Mutex<u64>,
    /// What went wrong inside the server; reported when it is dropped.
    failures: Mutex<Vec<String>>,
}

impl State {
    fn fail(&self, what: String) {
        lock(&self.failures).push(what);
    }
}

/// Configures a [`TestServer`].
pub struct TestServerBuilder {
    secret_id: String,
    secret_key: String,
    token: Option<String>,
    handler: Option<Arc<Handler>>,
    tls: bool,
}

impl TestServerBuilder {
    /// Serves HTTPS with a fresh self-signed certificate for `localhost`, which
    /// [`TestServer::ca_pem`] returns for clients to trust.
    pub fn tls(mut self) -> Self {
        self.tls = true;
        self
    }

    /// The only key pair the server accepts.
    pub fn credentials(mut self, secret_id: &str, secret_key: &str) -> Self {
        self.secret_id = secret_id.into();
        self.secret_key = secret_key.into();
        self
    }

    /// Requires this `X-TC-Token` on every request.
    pub fn token(mut self, token: &str) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Answers requests that passed the checks and found no scripted reply.
    pub fn handler(mut self, f: impl Fn(&str, &Value) -> Reply + Send + Sync + 'static) -> Self {
        self.handler = Some(Arc::new(f));
        self
    }

    /// Starts listening on `127.0.0.1` at a free port.
    pub fn start(self) -> std::io::Result<TestServer> {
        let state = Arc::new(State {
            secret_id: self.secret_id,
            secret_key: self.secret_key,
            token: self.token,
            handler: self.handler,
            script: Mutex::new(VecDeque::new()),
            log: Mutex::new(Vec::new()),
            counter: Mutex::new(0),
            failures: Mutex::new(Vec::new()),
        });
        let tls = if self.tls {
            Some(self_signed_acceptor()?)
        } else {
            None
        };
        let (acceptor, ca_pem) = match tls {
            Some((a, pem)) => (Some(a), Some(pem)),
            None => (None, None),
        };
        // Everything that can fail is set up here, so failures reach the caller.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let listener = {
            let _in_runtime = rt.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let st = state.clone();
        let thread = std::thread::Builder::new()
            .name("car-test-server".into())
            .spawn(move || rt.block_on(serve(listener, st, acceptor, stop_rx)))?;
        Ok(TestServer {
            addr,
            state,
            stop: Some(stop_tx),
            thread: Some(thread),
            ca_pem,
        })
    }
}

/// A running server; stops when dropped.
pub struct TestServer {
    addr: SocketAddr,
    state: Arc<State>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    ca_pem: Option<String>,
}

impl TestServer {
    /// A builder with the default credentials, no TLS and sample answers.
    pub fn builder() -> TestServerBuilder {
        TestServerBuilder {
            secret_id: TEST_SECRET_ID.into(),
            secret_key: TEST_SECRET_KEY.into(),
            token: None,
            handler: None,
            tls: false,
        }
    }

    /// A server with the default credentials and sample answers.
    pub fn start() -> std::io::Result<TestServer> {
        TestServer::builder().start()
    }

    /// `http://127.0.0.1:PORT` (or `https://localhost:PORT` with TLS), for a client's
    /// endpoint setting.
    pub fn endpoint(&self) -> String {
        match self.ca_pem {
            Some(_) => format!("https://localhost:{}", self.addr.port()),
            None => format!("http://{}", self.addr),
        }
    }

    /// With TLS, the PEM certificate clients must trust.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues a reply for the next request that passes the checks.
    pub fn push_reply(&self, reply: Reply) {
        lock(&self.state.script).push_back(reply);
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state.log).clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            // Fails only if the server loop has already ended, which `failures` records.
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            if t.join().is_err() {
                self.state.fail("the server thread panicked".into());
            }
        }
        let failures = std::mem::take(&mut *lock(&self.state.failures));
        if failures.is_empty() {
            return;
        }
        let report = format!("the test server failed:\n  {}", failures.join("\n  "));
        if std::thread::panicking() {
            // A second panic would abort the test binary; the first one fails the test.
            eprintln!("{report}");
        } else {
            panic!("{report}");
        }
    }
}

/// A loopback port held bound but not listening: connecting to it is refused, and no
/// other program can take the port while this value lives (unlike a port found by
/// binding and releasing a listener).
pub struct RefusingPort {
    // Held only to keep the port reserved.
    _socket: tokio::net::TcpSocket,
    addr: SocketAddr,
}

impl RefusingPort {
    /// Reserves a free port on `127.0.0.1`.
    pub fn new() -> std::io::Result<RefusingPort> {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        let addr = socket.local_addr()?;
        Ok(RefusingPort {
            _socket: socket,
            addr,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound, never-listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn self_signed_acceptor() -> std::io::Result<(tokio_rustls::TlsAcceptor, String)> {
    use tokio_rustls::rustls;
    let bad = |e: &dyn std::fmt::Display| std::io::Error::other(format!("cannot set up TLS: {e}"));
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).map_err(|e| bad(&e))?;
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| bad(&e))?
    .with_no_client_auth()
    .with_single_cert(vec![cert.cert.der().clone()], key)
    .map_err(|e| bad(&e))?;
    Ok((
        tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        cert.cert.pem(),
    ))
}

async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<State>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    // Connection tasks live in a set so a panic in one is seen, not lost with its task.
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            _ = &mut stop => break,
            Some(done) = connections.join_next() => {
                report_task(&state, done);
                continue;
            }
            a = listener.accept() => a,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Retrying would spin on a persistent error (e.g. out of descriptors).
                state.fail(format!("accepting a connection failed: {e}"));
                break;
            }
        };
        let st = state.clone();
        let tls = tls.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |req| handle(st.clone(), req));
            let http = hyper::server::conn::http1::Builder::new();
            // Connection errors are the client's doing (it hung up or timed out) or a
            // scripted `Reply::Hangup`; neither is a server failure.
            match tls {
                // A failed handshake (an untrusting client) just ends the connection.
                Some(acceptor) => {
                    if let Ok(stream) = acceptor.accept(stream).await {
                        let _ = http
                            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                            .await;
                    }
                }
                None => {
                    let _ = http
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                }
            }
        });
    }
    while let Some(done) = connections.try_join_next() {
        report_task(&state, done);
    }
    // Dropping the set cancels connections still open (e.g. a `Reply::Delay` in progress).
}

fn report_task(state: &State, done: Result<(), tokio::task::JoinError>) {
    if let Err(e) = done {
        if e.is_panic() {
            let payload = e.into_panic();
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a non-string panic".into());
            state.fail(format!("a connection task panicked: {message}"));
        }
    }
}

/// Returning `Err` makes hyper drop the connection without an answer.
#[derive(Debug)]
struct Hangup;
impl std::fmt::Display for Hangup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("hang up")
    }
}
impl std::error::Error for Hangup {}

async fn handle(
    state: Arc<State>,
    req: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Hangup> {
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let method_ok = req.method() == hyper::Method::POST && req.uri().path() == "/";
    let header_map = req.headers().clone();
    let query = req.uri().query().unwrap_or_default().to_owned();
    let body = match Limited::new(req.into_body(), 10 * 1024 * 1024)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return Ok(envelope(
                &state,
                Err((
                    "RequestSizeLimitExceeded",
                    "the request body is too large".into(),
                )),
            ))
        }
    };
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let action = header("x-tc-action").unwrap_or_default().to_string();
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    let verdict = if method_ok {
        verify(&state, &header_map, &query, &body)
    } else {
        Err((
            "UnsupportedProtocol".to_string(),
            "only POST / with a JSON body is supported".to_string(),
        ))
    };
    lock(&state.log).push(RecordedRequest {
        action: action.clone(),
        headers: headers.clone(),
        body: parsed.clone().unwrap_or(Value::Null),
        rejected: verdict.as_ref().err().map(|(c, _)| c.to_string()),
        received_at: std::time::Instant::now(),
    });
    if let Err(e) = verdict {
        return Ok(error_envelope(&state, &e.0, &e.1));
    }
    let params = parsed.unwrap_or(Value::Null);
    let scripted = lock(&state.script).pop_front();
    let reply = match scripted {
        Some(r) => r,
        None => match &state.handler {
            Some(h) => h(&action, &params),
            None => Reply::Ok(sample_response(&action)),
        },
    };
    answer(&state, reply).await
}

async fn answer(state: &State, mut reply: Reply) -> Result<Response<Full<Bytes>>, Hangup> {
    loop {
        return Ok(match reply {
            Reply::Delay(d, next) => {
                tokio::time::sleep(d).await;
                reply = *next;
                continue;
            }
            Reply::Ok(members) => envelope(state, Ok(members)),
            Reply::Error { code, message } => error_envelope(state, &code, &message),
            Reply::Status(status, body) => raw(status, body.into_bytes()),
            Reply::Raw(bytes) => raw(200, bytes),
            Reply::Hangup => return Err(Hangup),
        });
    }
}

fn raw(status: u16, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    resp
}

fn next_request_id(state: &State) -> String {
    let mut c = lock(&state.counter);
    *c += 1;
    format!("00000000-0000-4000-8000-{:012x}", *c)
}

fn envelope(
    state: &State,
    result: Result<Map<String, Value>, (&str, String)>,
) -> Response<Full<Bytes>> {
    match result {
        Ok(mut members) => {
            members.insert("RequestId".into(), Value::String(next_request_id(state)));
            raw(200, json!({ "Response": members }).to_string().into_bytes())
        }
        Err((code, message)) => error_envelope(state, code, &message),
    }
}

fn error_envelope(state: &State, code: &str, message: &str) -> Response<Full<Bytes>> {
    let body = json!({"Response": {"Error": {"Code": code, "Message": message}, "RequestId": next_request_id(state)}});
    raw(200, body.to_string().into_bytes())
}

type Verdict = Result<(), (String, String)>;

/// The account this server's key belongs to (nothing here depends on it).
const TEST_UIN: &str = "100000000001";
const TEST_APP_ID: u64 = 1_250_000_000;

/// The checks the real service makes before running an action: the emulator's own
/// (`car::frontdoor::admit`), with this server's one key pair.
fn verify(state: &State, headers: &hyper::HeaderMap, query: &str, body: &[u8]) -> Verdict {
    let key = Key {
        secret_id: state.secret_id.clone(),
        secret_key: state.secret_key.clone(),
        account: Account {
            uin: TEST_UIN.into(),
            app_id: TEST_APP_ID,
        },
        // The token never expires here: the tests of expiry use the emulator's clock.
        temporary: state.token.clone().map(|t| (t, i64::MAX)),
    };
    let incoming = Incoming {
        method: "POST",
        path: "/",
        query,
        headers,
        body,
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    frontdoor::admit(
        |id| (id == key.secret_id).then(|| key.clone()),
        now,
        &incoming,
    )
    .map(|_| ())
    .map_err(|e| (e.code().code().to_string(), e.message().to_string()))
}

/// A plausible success answer for `action`, made from the spec's output members.
pub fn sample_response(action: &str) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(a) = meta::action(action) {
        for m in a.output {
            out.insert(
                m.wire_name.into(),
                sample_value(&m.shape, m.enum_name, m.wire_name, 0),
            );
        }
    }
    out
}

fn sample_value(shape: &Shape, enum_name: Option<&str>, wire: &str, depth: usize) -> Value {
    match shape {
        Shape::String => match enum_name
            .and_then(meta::enum_meta)
            .and_then(|e| e.values.first())
        {
            Some(v) => Value::String(v.value.into()),
            None => Value::String(format!("sample-{wire}")),
        },
        Shape::DateTime => Value::String("2026-01-01T00:00:00+08:00".into()),
        Shape::Int64 | Shape::UInt64 => json!(1),
        Shape::Bool => json!(true),
        Shape::List(inner) => json!([sample_value(inner, enum_name, wire, depth + 1)]),
        Shape::Object(name) => {
            let mut obj = Map::new();
            if let (Some(t), true) = (meta::type_meta(name), depth < 4) {
                for m in t.members {
                    obj.insert(
                        m.wire_name.into(),
                        sample_value(&m.shape, m.enum_name, m.wire_name, depth + 1),
                    );
                }
            }
            Value::Object(obj)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;
    use car_api::signing;

    /// Sends one correctly signed request by hand and reads until the server closes.
    fn send_signed(server: &TestServer) -> String {
        let host = server.addr().to_string();
        let body = b"{}";
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            .as_secs() as i64;
        let headers = signing::tc3_headers(
            TEST_SECRET_ID,
            TEST_SECRET_KEY,
            None,
            car_api::metadata::SERVICE.name,
            car_api::metadata::SERVICE.version,
            "DescribeConcurrentCount",
            None,
            &host,
            now,
            None,
            body,
        );
        let mut request = String::from("POST / HTTP/1.1\r\n");
        for (k, v) in &headers {
            request.push_str(&format!("{k}: {v}\r\n"));
        }
        request.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n{{}}",
            body.len()
        ));
        let mut stream = std::net::TcpStream::connect(server.addr()).expect("connect");
        stream.write_all(request.as_bytes()).expect("write");
        let mut answer = Vec::new();
        // After a panic the connection ends without an answer, which is what we test.
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    }

    #[test]
    fn a_refusing_port_refuses() {
        let port = RefusingPort::new().expect("reserve a port");
        let err = std::net::TcpStream::connect(port.addr()).expect_err("nothing listens");
        assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
        assert_eq!(
            port.endpoint(),
            format!("http://127.0.0.1:{}", port.addr().port())
        );
    }

    #[test]
    fn a_healthy_server_answers_and_drops_quietly() {
        let server = TestServer::builder()
            .handler(|_, _| Reply::ok(json!({"Total": 7})))
            .start()
            .expect("start");
        let answer = send_signed(&server);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.contains(r#""Total":7"#), "{answer}");
        assert_eq!(server.requests()[0].rejected, None);
        drop(server);
    }

    #[test]
    #[should_panic(expected = "a connection task panicked: handler exploded")]
    fn a_panicking_handler_fails_the_test_when_the_server_is_dropped() {
        let server = TestServer::builder()
            .handler(|_, _| panic!("handler exploded"))
            .start()
            .expect("start");
        let answer = send_signed(&server);
        assert!(answer.is_empty(), "{answer}");
        drop(server);
    }
}
