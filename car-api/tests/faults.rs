//! Each retry class behaves as documented: throttling is always retried; 5xx, resets and
//! timeouts only for read-only actions; bad responses never; all within the attempt and
//! time bounds. Attempts are counted where they land (the server's log) or, when no
//! request can land, by the credentials asked for (one per attempt).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use car_api::credentials::{Credentials, ProvideCredentials, ProvideFuture};
use car_api::operations::{
    CreateApplicationRequest, CreateApplicationRequired, DescribeApplicationListRequest,
    DescribeApplicationListRequired,
};
use car_api::types::ApplicationType;
use car_api::{Client, ErrorKind, RetryConfig};
use car_emulator::test_server::{RefusingPort, Reply, TestServer, TEST_SECRET_ID, TEST_SECRET_KEY};

fn retry(max_attempts: u32) -> RetryConfig {
    RetryConfig {
        max_attempts,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        max_elapsed: Duration::from_secs(30),
    }
}

/// No attempt here should time out, however busy the machine: the timeout is generous.
fn client(server: &TestServer) -> Client {
    car_api::Client::builder()
        .credentials(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY))
        .endpoint(server.endpoint())
        .retry(retry(3))
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// A request that must time out waits on a reply held far longer than its attempt's
/// 3 s; one that must not has seconds to spare on loopback, and the call's deadline
/// leaves room for a retry.
fn timing_out_client(server: &TestServer) -> Client {
    car_api::Client::builder()
        .credentials(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY))
        .endpoint(server.endpoint())
        .retry(retry(3))
        .timeout(Duration::from_secs(60))
        .attempt_timeout(Duration::from_secs(3))
        .build()
        .unwrap()
}

/// A reply that never comes while the test runs.
fn never() -> Reply {
    Reply::Delay(
        Duration::from_secs(3600),
        Box::new(Reply::ok(serde_json::json!({}))),
    )
}

/// The test keys, counting how often they are asked for: once per attempt.
#[derive(Debug, Default)]
struct CountingKeys(AtomicU32);

impl CountingKeys {
    fn count(&self) -> u32 {
        self.0.load(Ordering::SeqCst)
    }
}

impl ProvideCredentials for CountingKeys {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Ok(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY)) })
    }
}

fn list() -> DescribeApplicationListRequest {
    DescribeApplicationListRequest::new(DescribeApplicationListRequired {
        offset: 0,
        limit: 10,
    })
}

fn create() -> CreateApplicationRequest {
    CreateApplicationRequest::new(CreateApplicationRequired {
        application_name: "demo".into(),
        application_type: ApplicationType::Application3D,
    })
}

#[tokio::test]
async fn throttled_then_success_even_for_a_create_action() {
    let server = TestServer::start().unwrap();
    server.push_reply(Reply::error("RequestLimitExceeded", "slow down"));
    server.push_reply(Reply::error(
        "RequestLimitExceeded.UinLimitExceeded",
        "slow down",
    ));
    let resp = client(&server).create_application(create()).await.unwrap();
    assert!(!resp.application_id.is_empty());
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn throttling_gives_up_after_the_attempt_bound() {
    let server = TestServer::start().unwrap();
    for _ in 0..5 {
        server.push_reply(Reply::error("RequestLimitExceeded", "slow down"));
    }
    let err = client(&server)
        .describe_application_list(list())
        .await
        .unwrap_err();
    assert!(err.is_throttling());
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn bad_gateway_on_a_read_only_action_is_retried() {
    let server = TestServer::start().unwrap();
    server.push_reply(Reply::Status(502, "<html>Bad Gateway</html>".into()));
    let resp = client(&server)
        .describe_application_list(list())
        .await
        .unwrap();
    assert!(resp.application_total > 0);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn every_5xx_status_counts_as_a_server_failure_and_4xx_is_final() {
    // 500 is the lowest 5xx: the server may have acted, so read-only actions retry.
    let server = TestServer::start().unwrap();
    server.push_reply(Reply::Status(500, "internal".into()));
    client(&server)
        .describe_application_list(list())
        .await
        .unwrap();
    assert_eq!(server.requests().len(), 2);
    // 499 is no server failure: the same request would get the same answer.
    server.push_reply(Reply::Status(499, "client closed".into()));
    let err = client(&server)
        .describe_application_list(list())
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::InvalidResponse { status: 499, .. }),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn bad_gateway_on_a_create_action_is_not_retried() {
    let server = TestServer::start().unwrap();
    server.push_reply(Reply::Status(502, "<html>Bad Gateway</html>".into()));
    let err = client(&server)
        .create_application(create())
        .await
        .unwrap_err();
    assert_eq!(server.requests().len(), 1);
    assert!(
        matches!(err.kind(), ErrorKind::InvalidResponse { status: 502, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("HTTP 502") && err.to_string().contains("Bad Gateway"),
        "{err}"
    );
    assert_eq!(err.action(), Some("CreateApplication"));
}

#[tokio::test]
async fn truncated_json_is_reported_clearly_and_not_retried() {
    let server = TestServer::start().unwrap();
    server.push_reply(Reply::Raw(
        br#"{"Response": {"ApplicationTotal": 3, "RequestId": "abc"#.to_vec(),
    ));
    let err = client(&server)
        .describe_application_list(list())
        .await
        .unwrap_err();
    assert_eq!(server.requests().len(), 1);
    assert_eq!(err.code(), "ClientInvalidResponse");
    let text = err.to_string();
    assert!(
        text.contains("truncated") && text.contains("ApplicationTotal"),
        "{text}"
    );
}

#[tokio::test]
async fn non_json_and_envelope_less_answers() {
    let server = TestServer::start().unwrap();
    server.push_reply(Reply::Raw(b"<html>maintenance</html>".to_vec()));
    let err = client(&server)
        .describe_application_list(list())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("not valid JSON") && err.to_string().contains("maintenance"),
        "{err}"
    );
    server.push_reply(Reply::Raw(br#"{"Result": 1}"#.to_vec()));
    let err = client(&server)
        .describe_application_list(list())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no `Response` object"), "{err}");
    server.push_reply(Reply::ok(serde_json::json!({"ApplicationTotal": "three"})));
    let err = client(&server)
        .describe_application_list(list())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("DescribeApplicationListResponse"),
        "{err}"
    );
    assert!(err.request_id().is_some());
}

#[tokio::test]
async fn oversized_response_is_refused() {
    let server = TestServer::start().unwrap();
    let big = "x".repeat(4096);
    server.push_reply(Reply::ok(serde_json::json!({"ApplicationId": big})));
    let c = car_api::Client::builder()
        .credentials(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY))
        .endpoint(server.endpoint())
        .max_response_bytes(1024)
        .build()
        .unwrap();
    let err = c.create_application(create()).await.unwrap_err();
    assert!(err.to_string().contains("larger than 1024 bytes"), "{err}");
}

#[tokio::test]
async fn a_timeout_on_a_read_only_action_is_retried() {
    let server = TestServer::start().unwrap();
    server.push_reply(never());
    timing_out_client(&server)
        .describe_application_list(list())
        .await
        .unwrap();
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_timeout_on_a_create_action_is_final() {
    let server = TestServer::start().unwrap();
    server.push_reply(never());
    let err = timing_out_client(&server)
        .create_application(create())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "ClientTimeout");
    assert!(
        matches!(err.kind(), ErrorKind::Timeout { after } if *after == Duration::from_secs(3)),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn the_call_timeout_is_a_deadline_that_names_attempts_and_time_spent() {
    let server = TestServer::start().unwrap();
    server.push_reply(never());
    let c = car_api::Client::builder()
        .credentials(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY))
        .endpoint(server.endpoint())
        .retry(retry(3))
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    // Read-only, so retries would be allowed: only the deadline stops the call.
    let err = c.describe_application_list(list()).await.unwrap_err();
    assert_eq!(err.code(), "ClientTimeout");
    assert!(
        matches!(
            err.kind(),
            ErrorKind::Deadline { after, attempts: 1, last_error: None, .. }
                if *after == Duration::from_millis(500)
        ),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.starts_with("ClientTimeout: gave up after 1 attempt in ")
            && text.ends_with(": deadline 0.5 s reached"),
        "{text}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn connection_reset_retries_only_read_only_actions() {
    let server = TestServer::start().unwrap();
    server.push_reply(Reply::Hangup);
    client(&server)
        .describe_application_list(list())
        .await
        .unwrap();
    assert_eq!(server.requests().len(), 2);

    server.push_reply(Reply::Hangup);
    let err = client(&server)
        .create_application(create())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "ClientNetworkError");
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn refused_connection_never_reached_the_server_so_even_creates_retry() {
    let port = RefusingPort::new().unwrap();
    let keys = Arc::new(CountingKeys::default());
    let c = car_api::Client::builder()
        .credentials_provider(keys.clone())
        .endpoint(port.endpoint())
        .retry(retry(3))
        .build()
        .unwrap();
    let err = c.create_application(create()).await.unwrap_err();
    assert_eq!(err.code(), "ClientNetworkError");
    assert!(err.message().contains("cannot connect"), "{err}");
    assert_eq!(keys.count(), 3, "every allowed attempt was made");
}

#[tokio::test]
async fn no_retry_starts_after_max_elapsed() {
    let server = TestServer::start().unwrap();
    for _ in 0..4 {
        server.push_reply(Reply::error("RequestLimitExceeded", "slow down"));
    }
    let c = car_api::Client::builder()
        .credentials(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY))
        .endpoint(server.endpoint())
        .retry(RetryConfig {
            max_elapsed: Duration::ZERO,
            ..retry(4)
        })
        .build()
        .unwrap();
    let err = c.describe_application_list(list()).await.unwrap_err();
    assert!(err.is_throttling(), "{err}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn retries_wait_between_attempts() {
    // Twelve waits drawn from 0..=100 ms: they add up to under 100 ms with probability
    // 1/12! (about 2e-9); skipping the waits makes the attempts arrive together.
    let server = TestServer::start().unwrap();
    for _ in 0..12 {
        server.push_reply(Reply::error("RequestLimitExceeded", "slow down"));
    }
    let c = car_api::Client::builder()
        .credentials(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY))
        .endpoint(server.endpoint())
        .retry(RetryConfig {
            max_attempts: 13,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(100),
            max_elapsed: Duration::from_secs(600),
        })
        .build()
        .unwrap();
    c.describe_application_list(list()).await.unwrap();
    let seen = server.requests();
    assert_eq!(seen.len(), 13);
    let spread = seen[12].received_at - seen[0].received_at;
    assert!(spread >= Duration::from_millis(100), "{spread:?}");
}

#[tokio::test]
async fn server_side_parameter_checks_match_the_spec() {
    let server = TestServer::start().unwrap();
    let meta = car_api::meta::action("DescribeApplicationList").unwrap();
    let err = client(&server)
        .call_json(meta, &serde_json::json!({"Offset": 0}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "MissingParameter");
    assert!(err.message().contains("Limit"), "{err}");
}

/// Some gateways wrap a real API error in a 4xx/5xx status. The code inside is the
/// answer; the status only says whether the server may have failed mid-way: under a 5xx
/// a read-only action is tried again, under a 4xx it is not (the request itself was
/// refused, and sending it again would be refused again).
#[tokio::test]
async fn an_api_error_under_a_5xx_is_retried_for_a_read_only_action_but_not_under_a_4xx() {
    let envelope = r#"{"Response":{"Error":{"Code":"InternalError","Message":"backend busy"},"RequestId":"r-1"}}"#;

    let server = TestServer::start().unwrap();
    server.push_reply(Reply::Status(503, envelope.into()));
    let resp = client(&server)
        .describe_application_list(list())
        .await
        .unwrap();
    assert!(resp.application_total > 0);
    assert_eq!(
        server.requests().len(),
        2,
        "503 with an API error: tried again"
    );

    let server = TestServer::start().unwrap();
    server.push_reply(Reply::Status(403, envelope.into()));
    let err = client(&server)
        .describe_application_list(list())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "InternalError", "{err}");
    assert_eq!(server.requests().len(), 1, "403 with an API error: final");
}
