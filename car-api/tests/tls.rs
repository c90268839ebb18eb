//! A private gateway with its own certificate authority: refused without the CA bundle,
//! trusted with it.

use car_api::credentials::Credentials;
use car_api::operations::DescribeConcurrentCountRequest;
use car_api::{Client, RetryConfig};
use car_emulator::test_proxy::ConnectProxy;
use car_emulator::test_server::{TestServer, TEST_SECRET_ID, TEST_SECRET_KEY};

#[tokio::test]
async fn extra_ca_bundle_makes_a_private_gateway_trusted() {
    let server = TestServer::builder().tls().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("gateway-ca.pem");
    std::fs::write(&bundle, server.ca_pem().unwrap()).unwrap();
    let builder = || {
        Client::builder()
            .credentials(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY))
            .endpoint(server.endpoint())
            .retry(RetryConfig::disabled())
    };

    let err = builder()
        .build()
        .unwrap()
        .describe_concurrent_count(DescribeConcurrentCountRequest::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "ClientNetworkError", "{err}");
    assert!(
        server.requests().is_empty(),
        "nothing passes an untrusted TLS handshake"
    );

    let resp = builder()
        .ca_bundle(&bundle)
        .build()
        .unwrap()
        .describe_concurrent_count(DescribeConcurrentCountRequest::new())
        .await
        .unwrap();
    assert!(!resp.request_id.is_empty());
    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].rejected, None);
    assert_eq!(
        seen[0].header("host"),
        Some(format!("localhost:{}", server.addr().port()).as_str())
    );
}

#[tokio::test]
async fn https_goes_through_the_configured_proxy() {
    let server = TestServer::builder().tls().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("gateway-ca.pem");
    std::fs::write(&bundle, server.ca_pem().unwrap()).unwrap();
    let proxy = ConnectProxy::start().unwrap();
    let client = Client::builder()
        .credentials(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY))
        .endpoint(server.endpoint())
        .ca_bundle(&bundle)
        .https_proxy(proxy.url())
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    client
        .describe_concurrent_count(DescribeConcurrentCountRequest::new())
        .await
        .unwrap();
    assert_eq!(
        proxy.tunnels().len(),
        1,
        "the request went through the proxy"
    );
    assert_eq!(server.requests().len(), 1);
    assert_eq!(server.requests()[0].rejected, None);
}
