//! A private gateway with its own certificate authority: refused without the CA bundle,
//! trusted with it.

use car_api::credentials::Credentials;
use car_api::operations::DescribeConcurrentCountRequest;
use car_api::{Client, RetryConfig};
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

/// A minimal HTTP CONNECT proxy on loopback; counts the tunnels it opened.
async fn connect_proxy() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let tunnels = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = tunnels.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let count = count.clone();
            tokio::spawn(async move {
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                if reader.read_line(&mut line).await.is_err() {
                    return;
                }
                let Some(target) = line
                    .strip_prefix("CONNECT ")
                    .and_then(|r| r.split(' ').next())
                    .map(str::to_owned)
                else {
                    return;
                };
                // Skip the rest of the request head.
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).await.unwrap_or(0) == 0 || h == "\r\n" {
                        break;
                    }
                }
                let target = target.replace("localhost", "127.0.0.1");
                let Ok(mut upstream) = tokio::net::TcpStream::connect(&target).await else {
                    return;
                };
                let mut client = reader.into_inner();
                if client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await
                    .is_err()
                {
                    return;
                }
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    (url, tunnels)
}

#[tokio::test]
async fn https_goes_through_the_configured_proxy() {
    let server = TestServer::builder().tls().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("gateway-ca.pem");
    std::fs::write(&bundle, server.ca_pem().unwrap()).unwrap();
    let (proxy, tunnels) = connect_proxy().await;
    let client = Client::builder()
        .credentials(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY))
        .endpoint(server.endpoint())
        .ca_bundle(&bundle)
        .https_proxy(proxy)
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    client
        .describe_concurrent_count(DescribeConcurrentCountRequest::new())
        .await
        .unwrap();
    assert_eq!(
        tunnels.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "the request went through the proxy"
    );
    assert_eq!(server.requests().len(), 1);
    assert_eq!(server.requests()[0].rejected, None);
}
