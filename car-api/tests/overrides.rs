//! Per-call overrides through `Client::with_overrides`: timeout, attempts and extra
//! headers for some calls, without a new client.

use std::time::Duration;

use car_api::credentials::Credentials;
use car_api::operations::{DescribeApplicationListRequest, DescribeApplicationListRequired};
use car_api::{CallOverrides, Client, ErrorKind, RetryConfig};
use car_emulator::test_server::{Reply, TestServer, TEST_SECRET_ID, TEST_SECRET_KEY};

fn list() -> DescribeApplicationListRequest {
    DescribeApplicationListRequest::new(DescribeApplicationListRequired {
        offset: 0,
        limit: 10,
    })
}

fn client(server: &TestServer) -> Client {
    Client::builder()
        .credentials(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY))
        .endpoint(server.endpoint())
        .retry(RetryConfig {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            max_elapsed: Duration::from_secs(30),
        })
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

#[tokio::test]
async fn extra_headers_are_sent_with_each_attempt_and_the_signature_still_holds() {
    let server = TestServer::start().unwrap();
    server.push_reply(Reply::error("RequestLimitExceeded", "slow down"));
    let base = client(&server);
    let traced = base
        .with_overrides(CallOverrides::new().header("X-Trace-Id", "trace-7f3a"))
        .unwrap();
    traced.describe_application_list(list()).await.unwrap();
    let seen = server.requests();
    assert_eq!(seen.len(), 2, "throttled once, then answered");
    for r in &seen {
        assert_eq!(r.header("x-trace-id"), Some("trace-7f3a"));
    }
    assert_eq!(
        seen[1].rejected, None,
        "the signature covers what it should"
    );

    // The client it came from is unchanged.
    base.describe_application_list(list()).await.unwrap();
    assert_eq!(server.requests()[2].header("x-trace-id"), None);
}

#[tokio::test]
async fn headers_that_would_break_signing_are_refused_before_anything_is_sent() {
    let server = TestServer::start().unwrap();
    let c = client(&server);
    for name in ["Authorization", "Host", "Content-Type", "X-TC-Region"] {
        let err = c
            .with_overrides(CallOverrides::new().header(name, "x"))
            .unwrap_err();
        assert_eq!(err.code(), "ClientParamsError", "{name}");
        assert!(err.to_string().contains(name), "{err}");
    }
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn max_attempts_applies_to_calls_through_the_handle_only() {
    let server = TestServer::start().unwrap();
    for _ in 0..3 {
        server.push_reply(Reply::error("RequestLimitExceeded", "slow down"));
    }
    let base = client(&server);
    let once = base
        .with_overrides(CallOverrides::new().max_attempts(1))
        .unwrap();
    let err = once.describe_application_list(list()).await.unwrap_err();
    assert!(err.is_throttling(), "{err}");
    assert_eq!(server.requests().len(), 1);
    // The client's own 4 attempts: two more throttled answers, then success.
    base.describe_application_list(list()).await.unwrap();
    assert_eq!(server.requests().len(), 4);
}

#[tokio::test]
async fn a_timeout_override_is_the_deadline_of_calls_through_the_handle() {
    let server = TestServer::start().unwrap();
    // Held far longer than the override, and far shorter than the client's 30 s.
    server.push_reply(Reply::Delay(
        Duration::from_secs(3600),
        Box::new(Reply::ok(serde_json::json!({}))),
    ));
    let quick = client(&server)
        .with_overrides(CallOverrides::new().timeout(Duration::from_millis(300)))
        .unwrap();
    let err = quick.describe_application_list(list()).await.unwrap_err();
    match err.kind() {
        ErrorKind::Deadline {
            after, attempts, ..
        } => {
            assert_eq!(*after, Duration::from_millis(300));
            assert_eq!(*attempts, 1);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("deadline 0.3 s reached"), "{err}");

    // A longer override than the client's own timeout is honoured too: the transport's
    // timer follows the call's deadline, not the client's.
    let slow = TestServer::start().unwrap();
    slow.push_reply(Reply::Delay(
        Duration::from_millis(600),
        Box::new(Reply::ok(serde_json::json!({}))),
    ));
    let short_client = Client::builder()
        .credentials(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY))
        .endpoint(slow.endpoint())
        .retry(RetryConfig::disabled())
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    short_client
        .with_overrides(CallOverrides::new().timeout(Duration::from_secs(60)))
        .unwrap()
        .describe_application_list(list())
        .await
        .unwrap();
}
