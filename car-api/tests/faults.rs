//! Each retry class behaves as documented: throttling is always retried; 5xx, resets and
//! timeouts only for read-only actions; bad responses never; all within the attempt bound.

use std::time::Duration;

use car_api::credentials::Credentials;
use car_api::operations::{
    CreateApplicationRequest, CreateApplicationRequired, DescribeApplicationListRequest,
    DescribeApplicationListRequired,
};
use car_api::test_server::{Reply, TestServer, TEST_SECRET_ID, TEST_SECRET_KEY};
use car_api::types::ApplicationType;
use car_api::{Client, ErrorKind, RetryConfig};

fn client(server: &TestServer) -> Client {
    car_api::Client::builder()
        .credentials(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY))
        .endpoint(server.endpoint())
        .retry(RetryConfig {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            max_elapsed: Duration::from_secs(30),
        })
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap()
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
async fn timeouts_retry_only_read_only_actions() {
    let server = TestServer::start().unwrap();
    server.push_reply(Reply::Delay(
        Duration::from_secs(2),
        Box::new(Reply::ok(serde_json::json!({}))),
    ));
    client(&server)
        .describe_application_list(list())
        .await
        .unwrap();
    assert_eq!(server.requests().len(), 2);

    server.push_reply(Reply::Delay(
        Duration::from_secs(2),
        Box::new(Reply::ok(serde_json::json!({}))),
    ));
    let err = client(&server)
        .create_application(create())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "ClientTimeout");
    assert_eq!(server.requests().len(), 3);
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
    // Bind and release a port so nothing listens on it.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let c = car_api::Client::builder()
        .credentials(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY))
        .endpoint(format!("http://{addr}"))
        .retry(RetryConfig {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
            max_elapsed: Duration::from_secs(10),
        })
        .build()
        .unwrap();
    let err = c.create_application(create()).await.unwrap_err();
    assert_eq!(err.code(), "ClientNetworkError");
    assert!(err.message().contains("cannot connect"), "{err}");
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

/// Collects everything `tracing` writes, at every level.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn trace_output_names_action_attempt_and_request_id_but_no_secret() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = TestServer::builder()
        .token("session-token-SECRET")
        .start()
        .unwrap();
    server.push_reply(Reply::Status(503, "busy".into()));
    server.push_reply(Reply::ok(serde_json::json!({"SecretID": "AKIDcos", "SecretKey": "cos-SECRET-key", "SessionToken": "cos-SECRET-token"})));
    let c = car_api::Client::builder()
        .credentials(
            Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY).with_token("session-token-SECRET"),
        )
        .endpoint(server.endpoint())
        .retry(RetryConfig {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
            max_elapsed: Duration::from_secs(5),
        })
        .build()
        .unwrap();
    let resp = c
        .describe_cos_credential(car_api::operations::DescribeCosCredentialRequest::new(
            car_api::operations::DescribeCosCredentialRequired {
                application_id: "app-1".into(),
            },
        ))
        .await
        .unwrap();
    tracing::debug!(?resp, "caller logs the response");

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("action=\"DescribeCosCredential\"")
            || text.contains("action=DescribeCosCredential"),
        "{text}"
    );
    assert!(text.contains("attempt=2"), "{text}");
    assert!(text.contains(&resp.request_id), "{text}");
    assert!(text.contains("retrying"), "{text}");
    for secret in [
        TEST_SECRET_KEY,
        "session-token-SECRET",
        "cos-SECRET-key",
        "cos-SECRET-token",
    ] {
        assert!(
            !text.contains(secret),
            "`{secret}` leaked into trace output:\n{text}"
        );
    }
}
