//! A private gateway with its own certificate authority: refused without the CA bundle,
//! trusted with it.

use std::sync::Arc;

use car_api::credentials::Credentials;
use car_api::operations::DescribeConcurrentCountRequest;
use car_api::test_server::{TestServer, TEST_SECRET_ID, TEST_SECRET_KEY};
use car_api::{Client, RetryConfig};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;

/// Terminates TLS on a loopback port and relays the plain bytes to `backend`.
async fn tls_gateway(backend: std::net::SocketAddr) -> (u16, String) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert_pem = cert.cert.pem();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else { return };
                let Ok(mut plain) = TcpStream::connect(backend).await else { return };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    (port, cert_pem)
}

#[tokio::test]
async fn extra_ca_bundle_makes_a_private_gateway_trusted() {
    let server = TestServer::start().unwrap();
    let (port, pem) = tls_gateway(server.addr()).await;
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("gateway-ca.pem");
    std::fs::write(&bundle, pem).unwrap();
    let builder = || {
        Client::builder()
            .credentials(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY))
            .endpoint(format!("https://localhost:{port}"))
            .retry(RetryConfig::disabled())
    };

    let err = builder().build().unwrap().describe_concurrent_count(DescribeConcurrentCountRequest::new()).await.unwrap_err();
    assert_eq!(err.code(), "ClientNetworkError", "{err}");
    assert!(server.requests().is_empty(), "nothing passes an untrusted TLS handshake");

    let resp = builder().ca_bundle(&bundle).build().unwrap().describe_concurrent_count(DescribeConcurrentCountRequest::new()).await.unwrap();
    assert!(!resp.request_id.is_empty());
    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].rejected, None);
    assert_eq!(seen[0].header("host"), Some(format!("localhost:{port}").as_str()));
}
