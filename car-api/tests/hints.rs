//! TLS and connection failures say what is probably wrong and what to do, tested
//! against loopback servers that really make each mistake.

mod support;

use std::sync::Arc;

use car_api::credentials::Credentials;
use car_api::operations::DescribeConcurrentCountRequest;
use car_api::{Client, ClientBuilder, RetryConfig};
use car_emulator::test_server::{TestServer, TEST_SECRET_ID, TEST_SECRET_KEY};
use tokio::io::AsyncWriteExt;

fn builder(endpoint: &str) -> ClientBuilder {
    Client::builder()
        .credentials(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY))
        .endpoint(endpoint)
        .retry(RetryConfig::disabled())
        .rate_limiting(false)
}

async fn failure(client: Client) -> car_api::Error {
    client
        .describe_concurrent_count(DescribeConcurrentCountRequest::new())
        .await
        .unwrap_err()
}

#[tokio::test]
async fn https_to_a_plain_http_server_suggests_http() {
    let server = TestServer::start().unwrap();
    let endpoint = format!("https://localhost:{}", server.addr().port());
    let err = failure(builder(&endpoint).build().unwrap()).await;
    assert_eq!(err.code(), "ClientNetworkError", "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("the server does not speak TLS") && msg.contains("http://"),
        "{msg}"
    );
}

#[tokio::test]
async fn an_unknown_issuer_suggests_a_ca_bundle() {
    let server = TestServer::builder().tls().start().unwrap();
    let err = failure(builder(&server.endpoint()).build().unwrap()).await;
    let msg = err.to_string();
    assert!(
        msg.contains("not issued by a trusted certificate authority")
            && msg.contains("--ca-bundle")
            && msg.contains("ca_bundle"),
        "{msg}"
    );
}

/// A TLS server whose certificate is a self-signed CA certificate, the kind made with
/// `openssl req -x509` defaults, presented as the server's own certificate.
async fn server_with_a_ca_certificate_as_its_own() -> (String, String) {
    use tokio_rustls::rustls;
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(stream).await {
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    (format!("https://localhost:{port}"), cert.pem())
}

#[tokio::test]
async fn a_self_signed_ca_certificate_used_by_the_server_itself_is_explained() {
    let (endpoint, pem) = server_with_a_ca_certificate_as_its_own().await;
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("self.pem");
    std::fs::write(&bundle, pem).unwrap();
    let err = failure(builder(&endpoint).ca_bundle(&bundle).build().unwrap()).await;
    let msg = err.to_string();
    assert!(
        msg.contains("CA certificate") && msg.contains("server certificate signed by"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_proxy_that_refuses_the_tunnel_is_named() {
    let server = TestServer::builder().tls().start().unwrap();
    let (proxy, seen) = support::answering(
        "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string(),
    )
    .await;
    let err = failure(
        builder(&server.endpoint())
            .https_proxy(format!("http://{proxy}"))
            .build()
            .unwrap(),
    )
    .await;
    assert!(
        seen.requests()[0].starts_with("CONNECT "),
        "{:?}",
        seen.requests()
    );
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("the proxy http://{proxy} refused")),
        "{msg}"
    );
    assert!(server.requests().is_empty());
}
