//! One set of HTTP settings for every outbound client: STS honours the CA bundle and the
//! proxy the CAR client uses, and proxies from the environment apply only when asked
//! for, `NO_PROXY` included.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use car_api::config::{ConfigLoader, CredentialsSource, Origin};
use car_api::credentials::{
    Credentials, DefaultChain, Env, ProvideCredentials, StaticProvider, StsAssumeRoleProvider,
};
use car_api::http::{CaBundle, HttpSettings, ProxySettings};
use car_api::operations::DescribeConcurrentCountRequest;
use car_api::{Client, RetryConfig};
use car_emulator::test_proxy::ConnectProxy;
use car_emulator::test_server::{TestServer, TEST_SECRET_ID, TEST_SECRET_KEY};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What STS answers to AssumeRole (the shape of Tencent's documented example).
fn sts_answer() -> String {
    let body = serde_json::json!({"Response": {
        "Credentials": {"Token": "sts-token", "TmpSecretId": "AKIDtmp", "TmpSecretKey": "tmp-key"},
        "ExpiredTime": 4_102_444_800i64,
        "Expiration": "2100-01-01T00:00:00Z",
        "RequestId": "req-sts-1"
    }})
    .to_string();
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// An HTTPS server for `localhost` with a fresh self-signed certificate, answering
/// every request with `answer`; returns its port, the PEM to trust and a request count.
async fn tls_stub(answer: String) -> (u16, String, Arc<AtomicUsize>) {
    use tokio_rustls::rustls;
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert.cert.der().clone()], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, answer, seen) = (acceptor.clone(), answer.clone(), seen.clone());
            tokio::spawn(async move {
                // An untrusting client ends the handshake; that is its right.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !request_complete(&buf) {
                    match tls.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                seen.fetch_add(1, Ordering::SeqCst);
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, cert.cert.pem(), count)
}

fn request_complete(buf: &[u8]) -> bool {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    buf.len() >= end + 4 + length
}

fn source() -> Arc<dyn ProvideCredentials> {
    Arc::new(StaticProvider::new(Credentials::new(
        "AKIDsource",
        "source-key",
    )))
}

fn bundle_file(dir: &tempfile::TempDir, pem: &str) -> std::path::PathBuf {
    let path = dir.path().join("private-ca.pem");
    std::fs::write(&path, pem).unwrap();
    path
}

#[tokio::test]
async fn sts_trusts_the_ca_bundle_of_the_http_settings() {
    let (port, pem, count) = tls_stub(sts_answer()).await;
    let dir = tempfile::tempdir().unwrap();
    let endpoint = format!("https://localhost:{port}");

    // Without the bundle the private CA is unknown, and the message says what to do.
    let err = StsAssumeRoleProvider::new(source(), "arn", "s")
        .with_endpoint(&endpoint)
        .provide_credentials()
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("--ca-bundle"), "{err}");
    assert_eq!(count.load(Ordering::SeqCst), 0);

    let mut settings = HttpSettings::default();
    settings.ca_bundle = Some(CaBundle::load(bundle_file(&dir, &pem)).unwrap());
    let creds = StsAssumeRoleProvider::new(source(), "arn", "s")
        .with_endpoint(&endpoint)
        .with_http_settings(settings)
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(creds.secret_id, "AKIDtmp");
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn sts_goes_through_the_proxy_of_the_http_settings() {
    let (port, pem, count) = tls_stub(sts_answer()).await;
    let proxy = ConnectProxy::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut settings = HttpSettings::default();
    settings.ca_bundle = Some(CaBundle::load(bundle_file(&dir, &pem)).unwrap());
    settings.proxy = Some(ProxySettings::new(proxy.url()).unwrap());
    StsAssumeRoleProvider::new(source(), "arn", "s")
        .with_endpoint(&format!("https://localhost:{port}"))
        .with_http_settings(settings)
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(proxy.tunnels(), [format!("localhost:{port}")]);
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

/// The resolver hands the CA bundle and proxy it resolved to the STS provider of a role:
/// the same settings the CAR client gets.
#[tokio::test]
async fn a_resolved_role_calls_sts_with_the_resolved_ca_bundle_and_proxy() {
    let (port, pem, count) = tls_stub(sts_answer()).await;
    let proxy = ConnectProxy::start().unwrap();
    let home = tempfile::tempdir().unwrap();
    let tccli = home.path().join(".tccli");
    std::fs::create_dir_all(&tccli).unwrap();
    std::fs::write(
        tccli.join("default.configure"),
        serde_json::json!({"sts": {"endpoint": format!("https://localhost:{port}")}}).to_string(),
    )
    .unwrap();
    let bundle = bundle_file(&home, &pem);
    let chain = DefaultChain::builder()
        .home(home.path())
        .env(Env::from_map([("HTTPS_PROXY", proxy.url())]))
        .without_cvm_role()
        .system_credentials_file(None);
    let config = ConfigLoader::with_chain(chain)
        .keys(Credentials::new("AKIDsource", "source-key"))
        .credentials_source(
            CredentialsSource::AssumeRole {
                role_arn: "qcs::cam::uin/1:roleName/r".into(),
                session_name: "s".into(),
            },
            Origin::Flag("--role-arn"),
        )
        .ca_bundle(&bundle, Origin::Flag("--ca-bundle"))
        .proxy_from_env(true)
        .resolve()
        .unwrap();
    assert_eq!(
        config.origin_of(car_api::config::Setting::Proxy),
        Origin::Env("HTTPS_PROXY")
    );
    let creds = config.credentials().provide_credentials().await.unwrap();
    assert_eq!(creds.token.as_deref(), Some("sts-token"));
    assert_eq!(proxy.tunnels(), [format!("localhost:{port}")]);
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

async fn call_through(env: &[(&str, &str)], from_env: bool) -> (TestServer, usize) {
    let server = TestServer::builder().tls().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bundle = bundle_file(&dir, server.ca_pem().unwrap());
    let proxy = ConnectProxy::start().unwrap();
    let vars: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.replace("{proxy}", proxy.url())))
        .collect();
    let client = Client::builder()
        .default_chain(DefaultChain::builder().env(Env::from_map(vars)))
        .credentials(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY))
        .endpoint(server.endpoint())
        .ca_bundle(&bundle)
        .proxy_from_env(from_env)
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    client
        .describe_concurrent_count(DescribeConcurrentCountRequest::new())
        .await
        .unwrap();
    let n = proxy.tunnels().len();
    (server, n)
}

#[tokio::test]
async fn proxy_variables_apply_only_when_asked_for_and_no_proxy_bypasses_them() {
    let (server, tunnels) = call_through(&[("HTTPS_PROXY", "{proxy}")], true).await;
    assert_eq!((tunnels, server.requests().len()), (1, 1), "HTTPS_PROXY");
    let (_, tunnels) = call_through(&[("https_proxy", "{proxy}")], true).await;
    assert_eq!(tunnels, 1, "https_proxy");

    // Off by default: the variable is there, but the library does not read it.
    let (server, tunnels) = call_through(&[("HTTPS_PROXY", "{proxy}")], false).await;
    assert_eq!((tunnels, server.requests().len()), (0, 1), "not asked for");

    for no_proxy in ["localhost", "example.com,localhost", "*"] {
        for var in ["NO_PROXY", "no_proxy"] {
            let (server, tunnels) =
                call_through(&[("HTTPS_PROXY", "{proxy}"), (var, no_proxy)], true).await;
            assert_eq!(
                (tunnels, server.requests().len()),
                (0, 1),
                "{var}={no_proxy}"
            );
        }
    }
    let (_, tunnels) = call_through(
        &[("HTTPS_PROXY", "{proxy}"), ("NO_PROXY", "example.com")],
        true,
    )
    .await;
    assert_eq!(tunnels, 1, "a NO_PROXY for other hosts");
}

#[tokio::test]
async fn an_explicit_proxy_beats_the_environment_and_ignores_no_proxy() {
    let server = TestServer::builder().tls().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bundle = bundle_file(&dir, server.ca_pem().unwrap());
    let explicit = ConnectProxy::start().unwrap();
    let from_env = ConnectProxy::start().unwrap();
    let client = Client::builder()
        .default_chain(DefaultChain::builder().env(Env::from_map([
            ("HTTPS_PROXY", from_env.url()),
            ("NO_PROXY", "localhost"),
        ])))
        .credentials(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY))
        .endpoint(server.endpoint())
        .ca_bundle(&bundle)
        .https_proxy(explicit.url())
        .proxy_from_env(true)
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    client
        .describe_concurrent_count(DescribeConcurrentCountRequest::new())
        .await
        .unwrap();
    assert_eq!(explicit.tunnels().len(), 1);
    assert!(from_env.tunnels().is_empty());
}

#[test]
fn http_settings_never_show_a_proxy_password() {
    let mut settings = HttpSettings::default();
    settings.proxy = Some(ProxySettings::new("http://bob:pr0xy-pa55@proxy.example:3128").unwrap());
    let shown = format!("{settings:?}");
    assert!(!shown.contains("pr0xy-pa55"), "{shown}");
    assert!(shown.contains("http://***@proxy.example:3128"), "{shown}");
}

/// The metadata service is link-local: it takes the CA bundle of the settings but never
/// their proxy.
#[tokio::test]
async fn the_metadata_service_uses_the_ca_bundle_but_never_the_proxy() {
    let body = serde_json::json!({
        "TmpSecretId": "AKIDcvm", "TmpSecretKey": "cvm-key", "Token": "cvm-token",
        "ExpiredTime": 4_102_444_800i64, "Expiration": "2100-01-01T00:00:00Z", "Code": "Success"
    })
    .to_string();
    let answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (port, pem, count) = tls_stub(answer).await;
    let proxy = ConnectProxy::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut settings = HttpSettings::default();
    settings.ca_bundle = Some(CaBundle::load(bundle_file(&dir, &pem)).unwrap());
    settings.proxy = Some(ProxySettings::new(proxy.url()).unwrap());
    let creds = car_api::credentials::CvmRoleProvider::new()
        .with_base_url(format!("https://localhost:{port}"))
        .with_role_name("car-role")
        .with_http_settings(settings)
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(creds.secret_id, "AKIDcvm");
    assert_eq!(count.load(Ordering::SeqCst), 1);
    assert!(proxy.tunnels().is_empty());
}

/// Another client (the COS uploader's) built from a CAR client's settings trusts the
/// same CA bundle and goes through the same proxy.
#[tokio::test]
async fn other_clients_are_built_from_the_car_clients_settings() {
    let (port, pem, count) = tls_stub(sts_answer()).await;
    let proxy = ConnectProxy::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let car = Client::builder()
        .credentials(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY))
        .ca_bundle(bundle_file(&dir, &pem))
        .https_proxy(proxy.url())
        .build()
        .unwrap();
    let other = car.http_settings().client().unwrap();
    let status = other
        .put(format!("https://localhost:{port}/object"))
        .body("bytes")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    assert_eq!(count.load(Ordering::SeqCst), 1);
    assert_eq!(proxy.tunnels(), [format!("localhost:{port}")]);
}
