//! Every credentials provider for real: files in a temporary HOME, loopback HTTP
//! servers standing in for the CVM metadata service and STS.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use car_api::credentials::Credentials;
use car_api::credentials::{
    CredentialsError, CvmRoleProvider, DefaultChain, Env, EnvProvider, IniFileProvider,
    ProvideCredentials, StaticProvider, StsAssumeRoleProvider, TccliConfig, TccliProfileProvider,
};
use car_api::signing::tc3_headers;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const SOURCE_ID: &str = "AKIDsourceid0000000000000000000000";
const SOURCE_KEY: &str = "source-secret-key-never-printed";
const TMP_KEY: &str = "temporary-secret-key-never-printed";

// ---------------------------------------------------------------------------
// A tiny HTTP/1.1 responder on 127.0.0.1: one request per connection.

#[derive(Debug, Clone)]
struct Recorded {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Recorded {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct Reply {
    status: u16,
    body: String,
    delay: Duration,
}

fn ok(body: impl Into<String>) -> Reply {
    Reply {
        status: 200,
        body: body.into(),
        delay: Duration::ZERO,
    }
}

struct TestServer {
    base: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl TestServer {
    async fn start(handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler = Arc::new(handler);
        let log = requests.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let handler = handler.clone();
                let log = log.clone();
                tokio::spawn(async move {
                    let Some(request) = read_request(&mut stream).await else {
                        return;
                    };
                    log.lock().unwrap().push(request.clone());
                    let reply = handler(&request);
                    tokio::time::sleep(reply.delay).await;
                    let text = format!(
                        "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                        reply.status,
                        reply.body.len(),
                        reply.body
                    );
                    let _ = stream.write_all(text.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        TestServer { base, requests }
    }

    fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<Recorded> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).ok()?;
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let path = first.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Recorded {
        method,
        path,
        headers,
        body,
    })
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

// ---------------------------------------------------------------------------
// Fixtures.

fn write_file(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

fn tccli_credential(home: &Path, profile: &str, value: Value) -> PathBuf {
    let path = home.join(".tccli").join(format!("{profile}.credential"));
    write_file(&path, &serde_json::to_string_pretty(&value).unwrap());
    path
}

fn empty_env() -> Env {
    Env::from_map::<&str, &str>([])
}

/// A chain confined to `home`: no process env, no /etc file, no metadata service.
fn isolated_chain(home: &Path) -> car_api::credentials::DefaultChainBuilder {
    DefaultChain::builder()
        .home(home)
        .env(empty_env())
        .system_credentials_file(None)
        .without_cvm_role()
}

fn sts_success(expired_time: i64) -> String {
    json!({"Response": {
        "Credentials": {"Token": "sts-token", "TmpSecretId": "AKIDtmp", "TmpSecretKey": TMP_KEY},
        "ExpiredTime": expired_time,
        "Expiration": "2030-01-01T00:00:00Z",
        "RequestId": "req-sts-1"
    }})
    .to_string()
}

/// Recomputes the TC3 signature of a recorded STS request with the source keys.
fn assert_sts_request_signed(
    req: &Recorded,
    secret_id: &str,
    secret_key: &str,
    token: Option<&str>,
) {
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/");
    assert_eq!(req.header("Content-Type"), Some("application/json"));
    assert_eq!(req.header("X-TC-Action"), Some("AssumeRole"));
    assert_eq!(req.header("X-TC-Version"), Some("2018-08-13"));
    assert_eq!(req.header("X-TC-Region"), Some("ap-guangzhou"));
    assert_eq!(req.header("X-TC-Token"), token);
    let timestamp: i64 = req.header("X-TC-Timestamp").unwrap().parse().unwrap();
    assert!((timestamp - unix_now()).abs() < 60);
    let host = req.header("Host").unwrap();
    let expected = tc3_headers(
        secret_id,
        secret_key,
        token,
        "sts",
        "2018-08-13",
        "AssumeRole",
        Some("ap-guangzhou"),
        host,
        timestamp,
        None,
        &req.body,
    );
    let auth = &expected
        .iter()
        .find(|(k, _)| *k == "Authorization")
        .unwrap()
        .1;
    assert_eq!(req.header("Authorization"), Some(auth.as_str()));
}

// ---------------------------------------------------------------------------
// Static and environment.

#[tokio::test]
async fn static_provider_returns_and_expires() {
    let c = Credentials::new(SOURCE_ID, SOURCE_KEY);
    assert_eq!(
        StaticProvider::new(c.clone())
            .provide_credentials()
            .await
            .unwrap(),
        c
    );
    let old = c.with_expiry(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    let err = StaticProvider::new(old)
        .provide_credentials()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "explicit credentials: credentials expired at 2023-11-14T22:13:20Z"
    );
}

#[tokio::test]
async fn env_provider_reads_injected_variables() {
    let env = Env::from_map([
        ("TENCENTCLOUD_SECRET_ID", SOURCE_ID),
        ("TENCENTCLOUD_SECRET_KEY", SOURCE_KEY),
        ("TENCENTCLOUD_TOKEN", "env-token"),
        ("TENCENTCLOUD_REGION", "ap-shanghai"),
    ]);
    let c = EnvProvider::with_env(env.clone())
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(
        (c.secret_id.as_str(), c.secret_key.as_str()),
        (SOURCE_ID, SOURCE_KEY)
    );
    assert_eq!(c.token(), Some("env-token"));
    assert_eq!(env.region().as_deref(), Some("ap-shanghai"));

    let err = EnvProvider::with_env(Env::from_map([("TENCENTCLOUD_SECRET_ID", SOURCE_ID)]))
        .provide_credentials()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "environment: TENCENTCLOUD_SECRET_ID is set but TENCENTCLOUD_SECRET_KEY is not"
    );
}

// ---------------------------------------------------------------------------
// tccli profile files.

#[tokio::test]
async fn tccli_profile_keys_and_token() {
    let home = tempfile::tempdir().unwrap();
    tccli_credential(
        home.path(),
        "default",
        json!({"secretId": SOURCE_ID, "secretKey": SOURCE_KEY, "token": "tccli-token"}),
    );
    let c = TccliProfileProvider::new(home.path(), "default")
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(
        (c.secret_id.as_str(), c.secret_key.as_str()),
        (SOURCE_ID, SOURCE_KEY)
    );
    assert_eq!(c.token(), Some("tccli-token"));
}

#[tokio::test]
async fn tccli_malformed_json_names_file_and_position() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join(".tccli/default.credential");
    write_file(
        &path,
        &format!("{{\n  \"secretId\": \"{SOURCE_ID}\",\n    \"secretKey\" \"{SOURCE_KEY}\"\n}}"),
    );
    let err = TccliProfileProvider::new(home.path(), "default")
        .provide_credentials()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "tccli profile file {}: invalid JSON at line 3 column 17",
            path.display()
        )
    );
    assert!(!err.to_string().contains(SOURCE_KEY));
    assert!(matches!(err, CredentialsError::Invalid { .. }));
}

#[tokio::test]
async fn tccli_missing_key_and_wrong_type() {
    let home = tempfile::tempdir().unwrap();
    let path = tccli_credential(home.path(), "default", json!({"secretId": SOURCE_ID}));
    let err = TccliProfileProvider::new(home.path(), "default")
        .provide_credentials()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "tccli profile file {}: missing \"secretKey\"",
            path.display()
        )
    );
    tccli_credential(
        home.path(),
        "default",
        json!({"secretId": SOURCE_ID, "secretKey": 42}),
    );
    let err = TccliProfileProvider::new(home.path(), "default")
        .provide_credentials()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "tccli profile file {}: \"secretKey\" must be a string",
            path.display()
        )
    );
}

#[cfg(unix)]
#[tokio::test]
async fn tccli_unreadable_file_is_a_clear_error() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join(".tccli");
    // A directory where the file should be cannot be read as a file, even as root.
    std::fs::create_dir_all(dir.join("default.credential")).unwrap();
    let err = TccliProfileProvider::new(home.path(), "default")
        .provide_credentials()
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!(
            "tccli profile file {}: cannot read file: ",
            dir.join("default.credential").display()
        )),
        "{msg}"
    );
}

#[tokio::test]
async fn tccli_expired_login_names_source() {
    let home = tempfile::tempdir().unwrap();
    let path = tccli_credential(
        home.path(),
        "sso",
        json!({"type": "sso", "secretId": SOURCE_ID, "secretKey": SOURCE_KEY, "token": "t", "expiresAt": 1_700_000_000}),
    );
    let err = TccliProfileProvider::new(home.path(), "sso")
        .provide_credentials()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "tccli profile file {}: credentials expired at 2023-11-14T22:13:20Z",
            path.display()
        )
    );
    // A login that is still valid carries its expiry.
    let later = unix_now() + 3600;
    tccli_credential(
        home.path(),
        "sso",
        json!({"type": "sso", "secretId": SOURCE_ID, "secretKey": SOURCE_KEY, "token": "t", "expiresAt": later}),
    );
    let c = TccliProfileProvider::new(home.path(), "sso")
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(
        c.expires_at,
        Some(UNIX_EPOCH + Duration::from_secs(later as u64))
    );
}

#[tokio::test]
async fn tccli_config_region_and_endpoints() {
    let home = tempfile::tempdir().unwrap();
    write_file(
        &home.path().join(".tccli/prod.configure"),
        r#"{"_sys_param": {"region": "ap-singapore", "output": "json", "arrayCount": 10, "warning": "off"},
            "car": {"endpoint": "car.intl.tencentcloudapi.com", "version": "2022-01-10"},
            "cvm": {"endpoint": "cvm.intl.tencentcloudapi.com", "version": "2017-03-12"}}"#,
    );
    let config = TccliConfig::load(home.path(), "prod").unwrap().unwrap();
    assert_eq!(config.region(), Some("ap-singapore"));
    assert_eq!(config.output(), Some("json"));
    assert_eq!(config.car_endpoint(), Some("car.intl.tencentcloudapi.com"));
    assert_eq!(config.car_version(), Some("2022-01-10"));
    assert_eq!(TccliConfig::load(home.path(), "absent").unwrap(), None);

    // Through the chain: TCCLI_PROFILE picks the profile, TENCENTCLOUD_REGION wins.
    let chain = isolated_chain(home.path())
        .env(Env::from_map([("TCCLI_PROFILE", "prod")]))
        .build();
    assert_eq!(chain.profile(), "prod");
    assert_eq!(chain.region().unwrap().as_deref(), Some("ap-singapore"));
    let chain = isolated_chain(home.path())
        .env(Env::from_map([
            ("TCCLI_PROFILE", "prod"),
            ("TENCENTCLOUD_REGION", "ap-tokyo"),
        ]))
        .build();
    assert_eq!(chain.region().unwrap().as_deref(), Some("ap-tokyo"));

    write_file(&home.path().join(".tccli/bad.configure"), "[1, 2");
    let err = TccliConfig::load(home.path(), "bad").unwrap_err();
    assert!(err.to_string().starts_with("tccli config file "), "{err}");
    assert!(
        err.to_string()
            .ends_with("bad.configure: invalid JSON at line 1 column 5"),
        "{err}"
    );
}

#[cfg(unix)]
#[cfg(unix)]
#[tokio::test]
async fn credential_file_open_to_group_or_others_warns_but_works() {
    use std::os::unix::fs::PermissionsExt;
    // Group-only bits matter as much as world bits: the whole of 0o077 is checked.
    for mode in [0o644, 0o640, 0o620, 0o604, 0o610] {
        let home = tempfile::tempdir().unwrap();
        let path = tccli_credential(
            home.path(),
            "default",
            json!({"secretId": SOURCE_ID, "secretKey": SOURCE_KEY}),
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();

        let captured = Arc::new(Mutex::new(Vec::<String>::new()));
        let _guard = tracing::subscriber::set_default(CaptureWarnings(captured.clone()));
        let c = TccliProfileProvider::new(home.path(), "default")
            .provide_credentials()
            .await
            .unwrap();
        assert_eq!(c.secret_id, SOURCE_ID);
        let warnings = captured.lock().unwrap().clone();
        let expected = format!(
            "credential file {} is accessible by group or others (mode {mode:03o})",
            path.display()
        );
        assert!(
            warnings.iter().any(|w| w.contains(&expected)),
            "{mode:o}: {warnings:?}"
        );
        assert!(warnings.iter().all(|w| !w.contains(SOURCE_KEY)));
    }
}

#[cfg(unix)]
#[tokio::test]
async fn private_credential_file_gives_no_warning() {
    let home = tempfile::tempdir().unwrap();
    tccli_credential(
        home.path(),
        "default",
        json!({"secretId": SOURCE_ID, "secretKey": SOURCE_KEY}),
    );
    let captured = Arc::new(Mutex::new(Vec::<String>::new()));
    let _guard = tracing::subscriber::set_default(CaptureWarnings(captured.clone()));
    TccliProfileProvider::new(home.path(), "default")
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(captured.lock().unwrap().clone(), Vec::<String>::new());
}

/// Records WARN events as text (message plus fields).
struct CaptureWarnings(Arc<Mutex<Vec<String>>>);

impl tracing::Subscriber for CaptureWarnings {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        if *event.metadata().level() != tracing::Level::WARN {
            return;
        }
        struct Text(String);
        impl tracing::field::Visit for Text {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0.push_str(&format!("{}={:?} ", field.name(), value));
            }
        }
        let mut text = Text(String::new());
        event.record(&mut text);
        self.0.lock().unwrap().push(text.0);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

// ---------------------------------------------------------------------------
// ~/.tencentcloud/credentials.

#[tokio::test]
async fn ini_file_default_and_profile_sections() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join(".tencentcloud/credentials");
    write_file(
        &path,
        &format!("[default]\nsecret_id = {SOURCE_ID}\nsecret_key = {SOURCE_KEY}\n\n[prod]\nsecret_id = AKIDprod\nsecret_key = prodkey\n"),
    );
    let c = IniFileProvider::new(home.path(), "default")
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(
        (c.secret_id.as_str(), c.secret_key.as_str()),
        (SOURCE_ID, SOURCE_KEY)
    );
    let c = IniFileProvider::new(home.path(), "prod")
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(c.secret_id, "AKIDprod");

    write_file(&path, "[default]\nsecret_id = AKIDonly\n");
    let err = IniFileProvider::new(home.path(), "default")
        .provide_credentials()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "credentials file {}: [default] has no secret_key",
            path.display()
        )
    );

    // The system-wide fallback is read only when the home file is absent.
    let other = tempfile::tempdir().unwrap();
    let system = other.path().join("etc-credentials");
    write_file(
        &system,
        "[default]\nsecret_id = AKIDsys\nsecret_key = syskey\n",
    );
    let c = IniFileProvider::new(other.path(), "default")
        .with_fallback(&system)
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(c.secret_id, "AKIDsys");
}

// ---------------------------------------------------------------------------
// CVM instance role.

fn metadata_handler(expired_in: i64) -> impl Fn(&Recorded) -> Reply + Send + Sync + 'static {
    move |req| match req.path.as_str() {
        "/latest/meta-data/cam/security-credentials/" => ok("car-role"),
        "/latest/meta-data/cam/security-credentials/car-role" => ok(json!({
            "TmpSecretId": "AKIDcvm",
            "TmpSecretKey": TMP_KEY,
            "ExpiredTime": unix_now() + expired_in,
            "Expiration": "2030-01-01T00:00:00Z",
            "Token": "cvm-token",
            "Code": "Success"
        })
        .to_string()),
        _ => Reply {
            status: 404,
            body: String::new(),
            delay: Duration::ZERO,
        },
    }
}

// Paused time: the refresh schedule follows tokio's clock too, so `advance` makes a
// refresh due at once instead of sleeping through credentials' lifetime.
#[tokio::test(start_paused = true)]
async fn cvm_role_fetches_caches_and_refreshes() {
    let server = TestServer::start(metadata_handler(3600)).await;
    let provider = CvmRoleProvider::new().with_base_url(&server.base);
    let c = provider.provide_credentials().await.unwrap();
    assert_eq!(
        (c.secret_id.as_str(), c.secret_key.as_str(), c.token()),
        ("AKIDcvm", TMP_KEY, Some("cvm-token"))
    );
    assert!(c.expires_at.is_some());
    provider.provide_credentials().await.unwrap();
    // Role list + credentials once; the second call is served from cache.
    assert_eq!(server.count(), 2);
    assert!(server.requests().iter().all(|r| r.method == "GET"));

    // Five minutes before expiry they are refreshed (the role name is remembered).
    tokio::time::advance(Duration::from_secs(3600 - 300 - 5)).await;
    provider.provide_credentials().await.unwrap();
    assert_eq!(server.count(), 2, "not yet due");
    tokio::time::advance(Duration::from_secs(10)).await;
    provider.provide_credentials().await.unwrap();
    assert_eq!(
        server.count(),
        3,
        "due: one request, to the remembered role"
    );
    assert_eq!(
        server.requests()[2].path,
        "/latest/meta-data/cam/security-credentials/car-role"
    );
}

/// A metadata address that accepts connections and reads requests but never answers
/// (the kernel completes the handshake for a held listener).
async fn silent_metadata() -> (String, Arc<Mutex<Vec<Recorded>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut stream, _)) = listener.accept().await {
            if let Some(request) = read_request(&mut stream).await {
                log.lock().unwrap().push(request);
            }
            held.push(stream);
        }
    });
    (base, seen)
}

// Paused tokio time: the clock jumps to the next timer whenever the runtime is idle,
// so the elapsed time is the timeout the code set, measured exactly and without waiting.
#[tokio::test(start_paused = true)]
async fn cvm_role_probe_gives_up_after_one_second_when_nothing_answers() {
    let (base, seen) = silent_metadata().await;
    let started = tokio::time::Instant::now();
    let err = CvmRoleProvider::new()
        .with_base_url(&base)
        .provide_credentials()
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(err.is_not_configured(), "{err}");
    assert!(
        err.to_string().contains("metadata service not reachable"),
        "{err}"
    );
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen.len(),
        1,
        "the probe reached the server and got no answer"
    );
    assert_eq!(seen[0].path, "/latest/meta-data/cam/security-credentials/");
    assert_eq!(elapsed, car_api::credentials::METADATA_PROBE_TIMEOUT);
    assert_eq!(elapsed, Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn the_chain_probes_the_metadata_service_only_when_nothing_else_has_credentials() {
    let (base, seen) = silent_metadata().await;
    let home = tempfile::tempdir().unwrap();
    let chain = |env: Env| {
        DefaultChain::builder()
            .home(home.path())
            .env(env)
            .system_credentials_file(None)
            .metadata_base_url(base.clone())
            .build()
    };
    chain(Env::from_map([
        ("TENCENTCLOUD_SECRET_ID", SOURCE_ID),
        ("TENCENTCLOUD_SECRET_KEY", SOURCE_KEY),
    ]))
    .provide_credentials()
    .await
    .unwrap();
    assert!(
        seen.lock().unwrap().is_empty(),
        "keys in the environment: no probe"
    );

    let started = tokio::time::Instant::now();
    let err = chain(empty_env()).provide_credentials().await.unwrap_err();
    assert!(matches!(err, CredentialsError::NoneFound { .. }), "{err}");
    assert_eq!(seen.lock().unwrap().len(), 1);
    assert!(
        started.elapsed() <= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn credential_answers_larger_than_64_kib_are_refused() {
    let padding = "x".repeat(70 * 1024);
    let big = json!({"Response": {"Padding": padding, "RequestId": "r"}}).to_string();
    let big_metadata = big.clone();
    let metadata = TestServer::start(move |_| ok(big_metadata.clone())).await;
    let err = CvmRoleProvider::new()
        .with_base_url(&metadata.base)
        .with_role_name("r")
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("response larger than 65536 bytes"),
        "{err}"
    );

    let sts = TestServer::start(move |_| ok(big.clone())).await;
    let err = StsAssumeRoleProvider::new(source(), "qcs::cam::uin/1:roleName/r", "s")
        .with_endpoint(&sts.base)
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("response larger than 65536 bytes"),
        "{err}"
    );
}

#[tokio::test]
async fn whitespace_in_keys_is_a_credentials_error_naming_the_source() {
    let err = EnvProvider::with_env(Env::from_map([
        ("TENCENTCLOUD_SECRET_ID", "AKID x"),
        ("TENCENTCLOUD_SECRET_KEY", "k"),
    ]))
    .provide_credentials()
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "environment: TENCENTCLOUD_SECRET_ID contains a space at character 5 of 6"
    );

    let home = tempfile::tempdir().unwrap();
    let path = tccli_credential(
        home.path(),
        "default",
        json!({"secretId": SOURCE_ID, "secretKey": "key\n"}),
    );
    let err = TccliProfileProvider::new(home.path(), "default")
        .provide_credentials()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "tccli profile file {}: \"secretKey\" contains a line break at character 4 of 4",
            path.display()
        )
    );

    let err = StaticProvider::new(Credentials::new("AKID", "k").with_token("t\u{1b}"))
        .provide_credentials()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "explicit credentials: token contains control character U+001B at character 2 of 2"
    );
}

#[tokio::test]
async fn cvm_role_failure_code_does_not_leak_body() {
    let server = TestServer::start(|req| match req.path.as_str() {
        "/latest/meta-data/cam/security-credentials/" => ok("r"),
        _ => ok(json!({"Code": "Failed", "TmpSecretKey": TMP_KEY}).to_string()),
    })
    .await;
    let err = CvmRoleProvider::new()
        .with_base_url(&server.base)
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Code \"Failed\""), "{err}");
    assert!(!err.to_string().contains(TMP_KEY));
}

#[tokio::test]
async fn tccli_cvm_role_profile_uses_metadata() {
    let server = TestServer::start(metadata_handler(3600)).await;
    let home = tempfile::tempdir().unwrap();
    tccli_credential(home.path(), "default", json!({"type": "cvm-role"}));
    let c = TccliProfileProvider::new(home.path(), "default")
        .with_metadata_base_url(&server.base)
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(c.secret_id, "AKIDcvm");
}

// ---------------------------------------------------------------------------
// STS AssumeRole.

fn source() -> Arc<dyn ProvideCredentials> {
    Arc::new(StaticProvider::new(Credentials::new(SOURCE_ID, SOURCE_KEY)))
}

#[tokio::test]
async fn sts_request_is_tc3_signed_and_parsed() {
    let server = TestServer::start(|_| ok(sts_success(unix_now() + 7200))).await;
    let provider = StsAssumeRoleProvider::new(
        source(),
        "qcs::cam::uin/100000000001:roleName/car",
        "car-session",
    )
    .with_endpoint(&server.base);
    let c = provider.provide_credentials().await.unwrap();
    assert_eq!(
        (c.secret_id.as_str(), c.secret_key.as_str(), c.token()),
        ("AKIDtmp", TMP_KEY, Some("sts-token"))
    );

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let req = &requests[0];
    assert_eq!(
        req.header("Host"),
        Some(server.base.trim_start_matches("http://"))
    );
    assert_sts_request_signed(req, SOURCE_ID, SOURCE_KEY, None);
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(
        body,
        json!({"RoleArn": "qcs::cam::uin/100000000001:roleName/car", "RoleSessionName": "car-session", "DurationSeconds": 7200})
    );

    // Cached: no second request.
    provider.provide_credentials().await.unwrap();
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn sts_source_token_is_sent_and_signed() {
    let server = TestServer::start(|_| ok(sts_success(unix_now() + 7200))).await;
    let src = Arc::new(StaticProvider::new(
        Credentials::new(SOURCE_ID, SOURCE_KEY).with_token("src-token"),
    ));
    StsAssumeRoleProvider::new(src, "arn", "s")
        .with_endpoint(&server.base)
        .with_duration_seconds(900)
        .provide_credentials()
        .await
        .unwrap();
    let req = &server.requests()[0];
    assert_sts_request_signed(req, SOURCE_ID, SOURCE_KEY, Some("src-token"));
    assert_eq!(
        serde_json::from_slice::<Value>(&req.body).unwrap()["DurationSeconds"],
        900
    );
}

// Paused time: the server's delay keeps the callers overlapping without real waiting.
#[tokio::test(start_paused = true)]
async fn sts_concurrent_callers_cause_one_request() {
    let server = TestServer::start(|_| Reply {
        status: 200,
        body: sts_success(unix_now() + 7200),
        delay: Duration::from_millis(150),
    })
    .await;
    let provider =
        Arc::new(StsAssumeRoleProvider::new(source(), "arn", "s").with_endpoint(&server.base));
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let provider = provider.clone();
            tokio::spawn(async move { provider.provide_credentials().await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().secret_id, "AKIDtmp");
    }
    assert_eq!(server.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn sts_refresh_near_expiry_is_deduplicated() {
    let server = TestServer::start(|_| Reply {
        status: 200,
        body: sts_success(unix_now() + 7200),
        delay: Duration::from_millis(100),
    })
    .await;
    let provider =
        Arc::new(StsAssumeRoleProvider::new(source(), "arn", "s").with_endpoint(&server.base));
    provider.provide_credentials().await.unwrap();
    assert_eq!(server.count(), 1);
    // Inside the 5-minute margin: due. Sixteen callers at once cause one refresh.
    tokio::time::advance(Duration::from_secs(7200 - 299)).await;
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let provider = provider.clone();
            tokio::spawn(async move { provider.provide_credentials().await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(server.count(), 2);
}

// The answers' expiry is whole seconds from now, so the refresh time is known to within
// a second; the checks stand 10 s either side of it.
#[tokio::test(start_paused = true)]
async fn sts_refresh_margin_set_on_the_provider_is_used() {
    let server = TestServer::start(|_| ok(sts_success(unix_now() + 7200))).await;
    let provider = StsAssumeRoleProvider::new(source(), "arn", "s")
        .with_endpoint(&server.base)
        .with_refresh_margin(Duration::from_secs(60));
    provider.provide_credentials().await.unwrap();
    // Inside the default five minutes, outside the one minute set.
    tokio::time::advance(Duration::from_secs(7200 - 70)).await;
    provider.provide_credentials().await.unwrap();
    assert_eq!(server.count(), 1, "70 s before expiry");
    tokio::time::advance(Duration::from_secs(20)).await;
    provider.provide_credentials().await.unwrap();
    assert_eq!(server.count(), 2, "50 s before expiry");
}

#[tokio::test(start_paused = true)]
async fn cvm_role_refresh_margin_set_on_the_provider_is_used() {
    let server = TestServer::start(metadata_handler(3600)).await;
    let provider = CvmRoleProvider::new()
        .with_base_url(&server.base)
        .with_refresh_margin(Duration::from_secs(60));
    provider.provide_credentials().await.unwrap();
    assert_eq!(server.count(), 2, "role name and credentials");
    tokio::time::advance(Duration::from_secs(3600 - 70)).await;
    provider.provide_credentials().await.unwrap();
    assert_eq!(server.count(), 2, "70 s before expiry");
    tokio::time::advance(Duration::from_secs(20)).await;
    provider.provide_credentials().await.unwrap();
    assert_eq!(server.count(), 3, "50 s before expiry");
}

#[tokio::test]
async fn sts_api_error_names_source_and_code() {
    let server = TestServer::start(|_| {
        ok(json!({"Response": {"Error": {"Code": "AuthFailure.SecretIdNotFound", "Message": "The SecretId is not found"}, "RequestId": "req-42"}}).to_string())
    })
    .await;
    let err = StsAssumeRoleProvider::new(source(), "qcs::cam::uin/1:roleName/r", "s")
        .with_endpoint(&server.base)
        .provide_credentials()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "STS AssumeRole qcs::cam::uin/1:roleName/r at {}/: AuthFailure.SecretIdNotFound: The SecretId is not found (RequestId: req-42)",
            server.base
        )
    );
    assert!(!err.to_string().contains(SOURCE_KEY));
}

#[tokio::test]
async fn sts_expired_answer_is_an_error() {
    let server = TestServer::start(|_| ok(sts_success(1_700_000_000))).await;
    let err = StsAssumeRoleProvider::new(source(), "arn", "s")
        .with_endpoint(&server.base)
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(matches!(err, CredentialsError::Expired { .. }));
    assert!(
        err.to_string().starts_with("STS AssumeRole arn at "),
        "{err}"
    );
    assert!(
        err.to_string()
            .ends_with("credentials expired at 2023-11-14T22:13:20Z"),
        "{err}"
    );
}

#[tokio::test]
async fn tccli_role_profile_assumes_role_via_configured_sts_endpoint() {
    let server = TestServer::start(|_| ok(sts_success(unix_now() + 7200))).await;
    let home = tempfile::tempdir().unwrap();
    tccli_credential(
        home.path(),
        "ops",
        json!({"secretId": SOURCE_ID, "secretKey": SOURCE_KEY, "role-arn": "qcs::cam::uin/1:roleName/ops", "role-session-name": "tccli"}),
    );
    write_file(
        &home.path().join(".tccli/ops.configure"),
        &json!({"_sys_param": {"region": "ap-guangzhou"}, "sts": {"endpoint": server.base, "version": "2018-08-13"}}).to_string(),
    );
    let provider = TccliProfileProvider::new(home.path(), "ops");
    let c = provider.provide_credentials().await.unwrap();
    assert_eq!(
        (c.secret_id.as_str(), c.token()),
        ("AKIDtmp", Some("sts-token"))
    );
    provider.provide_credentials().await.unwrap();
    assert_eq!(
        server.count(),
        1,
        "the role provider and its cache are kept"
    );
    let req = &server.requests()[0];
    assert_sts_request_signed(req, SOURCE_ID, SOURCE_KEY, None);
    assert_eq!(
        serde_json::from_slice::<Value>(&req.body).unwrap()["RoleSessionName"],
        "tccli"
    );
}

// ---------------------------------------------------------------------------
// The default chain.

#[tokio::test]
async fn chain_order_explicit_env_tccli_ini() {
    let home = tempfile::tempdir().unwrap();
    tccli_credential(
        home.path(),
        "default",
        json!({"secretId": "AKIDtccli", "secretKey": "k1"}),
    );
    write_file(
        &home.path().join(".tencentcloud/credentials"),
        "[default]\nsecret_id = AKIDini\nsecret_key = k2\n",
    );
    let env = Env::from_map([
        ("TENCENTCLOUD_SECRET_ID", "AKIDenv"),
        ("TENCENTCLOUD_SECRET_KEY", "k0"),
    ]);

    let id =
        |chain: DefaultChain| async move { chain.provide_credentials().await.unwrap().secret_id };
    assert_eq!(
        id(isolated_chain(home.path())
            .env(env.clone())
            .explicit(Credentials::new("AKIDexplicit", "k"))
            .build())
        .await,
        "AKIDexplicit"
    );
    assert_eq!(
        id(isolated_chain(home.path()).env(env.clone()).build()).await,
        "AKIDenv"
    );
    assert_eq!(id(isolated_chain(home.path()).build()).await, "AKIDtccli");
    // An explicitly chosen profile ignores the environment, as tccli does.
    assert_eq!(
        id(isolated_chain(home.path())
            .env(env)
            .profile("default")
            .build())
        .await,
        "AKIDtccli"
    );
    std::fs::remove_file(home.path().join(".tccli/default.credential")).unwrap();
    assert_eq!(id(isolated_chain(home.path()).build()).await, "AKIDini");
}

#[tokio::test(start_paused = true)]
async fn chain_reports_every_source_when_nothing_is_found() {
    let home = tempfile::tempdir().unwrap();
    let (metadata, _seen) = silent_metadata().await;
    let chain = DefaultChain::builder()
        .home(home.path())
        .env(empty_env())
        .system_credentials_file(None)
        .metadata_base_url(&metadata)
        .build();
    let err = chain.provide_credentials().await.unwrap_err();
    let CredentialsError::NoneFound { attempts } = &err else {
        panic!("{err}")
    };
    assert_eq!(attempts.len(), 4, "{err}");
    let msg = err.to_string();
    assert!(msg.starts_with("no credentials found: environment: TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY are not set; "), "{msg}");
    assert!(
        msg.contains(&format!(
            "tccli profile file {}: file not found",
            home.path().join(".tccli/default.credential").display()
        )),
        "{msg}"
    );
    assert!(msg.contains(".tencentcloud/credentials exists"), "{msg}");
    assert!(msg.contains(&format!("CVM role credentials {metadata}/latest/meta-data/cam/security-credentials/: metadata service not reachable")), "{msg}");
}

#[tokio::test]
async fn chain_stops_at_a_broken_source() {
    let home = tempfile::tempdir().unwrap();
    write_file(&home.path().join(".tccli/default.credential"), "{");
    write_file(
        &home.path().join(".tencentcloud/credentials"),
        "[default]\nsecret_id = AKIDini\nsecret_key = k2\n",
    );
    let err = isolated_chain(home.path())
        .build()
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(err.to_string().starts_with("tccli profile file "), "{err}");
    assert!(
        err.to_string()
            .ends_with("default.credential: invalid JSON at line 1 column 1"),
        "{err}"
    );
}

#[tokio::test]
async fn chain_falls_through_to_cvm_role_and_keeps_it() {
    let server = TestServer::start(metadata_handler(3600)).await;
    let home = tempfile::tempdir().unwrap();
    let chain = DefaultChain::builder()
        .home(home.path())
        .env(empty_env())
        .system_credentials_file(None)
        .metadata_base_url(&server.base)
        .build();
    assert_eq!(
        chain.provide_credentials().await.unwrap().secret_id,
        "AKIDcvm"
    );
    assert_eq!(
        chain.provide_credentials().await.unwrap().secret_id,
        "AKIDcvm"
    );
    assert_eq!(
        server.count(),
        2,
        "resolved once, then served from the role provider's cache"
    );
}

// Paused time: the server's delay keeps the callers overlapping without real waiting.
#[tokio::test(start_paused = true)]
async fn chain_resolves_once_under_concurrency() {
    let server = TestServer::start(|_| Reply {
        status: 200,
        body: sts_success(unix_now() + 7200),
        delay: Duration::from_millis(100),
    })
    .await;
    let home = tempfile::tempdir().unwrap();
    tccli_credential(
        home.path(),
        "default",
        json!({"secretId": SOURCE_ID, "secretKey": SOURCE_KEY, "role-arn": "arn", "role-session-name": "s"}),
    );
    let chain: Arc<dyn ProvideCredentials> = Arc::new(
        isolated_chain(home.path())
            .sts_endpoint(&server.base)
            .build(),
    );
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let chain = chain.clone();
            tokio::spawn(async move { chain.provide_credentials().await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().secret_id, "AKIDtmp");
    }
    assert_eq!(server.count(), 1);
}

// ---------------------------------------------------------------------------
// Redaction.

#[tokio::test]
async fn debug_output_never_shows_secrets() {
    let c = Credentials::new(SOURCE_ID, SOURCE_KEY).with_token("session-token-value");
    let shown = format!("{c:?}");
    assert!(!shown.contains(SOURCE_KEY), "{shown}");
    assert!(!shown.contains("session-token-value"), "{shown}");
    assert!(!shown.contains(SOURCE_ID), "{shown}");
    assert!(shown.contains("AKID****"), "{shown}");

    let server = TestServer::start(|_| ok(sts_success(unix_now() + 7200))).await;
    let provider = StsAssumeRoleProvider::new(Arc::new(StaticProvider::new(c.clone())), "arn", "s")
        .with_endpoint(&server.base);
    provider.provide_credentials().await.unwrap();
    let shown = format!("{provider:?}");
    for secret in [SOURCE_KEY, "session-token-value", TMP_KEY, "sts-token"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    let chain = DefaultChain::builder()
        .env(empty_env())
        .without_cvm_role()
        .explicit(c)
        .build();
    chain.provide_credentials().await.unwrap();
    let shown = format!("{chain:?}");
    assert!(!shown.contains(SOURCE_KEY), "{shown}");
}

#[tokio::test]
async fn a_bad_car_metadata_endpoint_is_reported_as_such_without_its_password() {
    let home = tempfile::tempdir().unwrap();
    for (value, why) in [
        (
            "http://user:m3ta-pw@169.254.0.23",
            "expected http(s)://host[:port]",
        ),
        (
            "http://169.254.0.23/latest",
            "expected http(s)://host[:port]",
        ),
        ("metadata.internal", "expected an http:// or https:// URL"),
        ("http://metadata.example.com", "cleartext"),
    ] {
        let err = DefaultChain::builder()
            .home(home.path())
            .env(Env::from_map([("CAR_METADATA_ENDPOINT", value)]))
            .system_credentials_file(None)
            .build()
            .provide_credentials()
            .await
            .unwrap_err();
        let msg = err.to_string();
        assert!(!err.is_not_configured(), "{msg}");
        assert!(msg.contains("CAR_METADATA_ENDPOINT: `"), "{value}: {msg}");
        assert!(msg.contains(why), "{value}: {msg}");
        assert!(!msg.contains("m3ta-pw"), "{msg}");
    }
}

#[tokio::test]
async fn the_role_name_stays_one_path_segment_of_the_metadata_url() {
    let server = TestServer::start(|req| match req.path.as_str() {
        "/latest/meta-data/cam/security-credentials/" => ok("../../user-data?x=1#y"),
        _ => Reply {
            status: 404,
            body: String::new(),
            delay: Duration::ZERO,
        },
    })
    .await;
    let _ = CvmRoleProvider::new()
        .with_base_url(&server.base)
        .provide_credentials()
        .await;
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "/latest/meta-data/cam/security-credentials/",
            "/latest/meta-data/cam/security-credentials/..%2F..%2Fuser-data%3Fx%3D1%23y",
        ]
    );
}
