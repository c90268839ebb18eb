//! What a retried call writes to `tracing`: action, attempt and request ID, no secret.
//!
//! Alone in its own test binary on purpose: `tracing` caches per call site whether
//! anyone listens, and a test here listens through a thread-local subscriber. Another
//! test reaching the same call sites first, on a thread without one, would have them
//! cached as unheard and this test would miss lines at random.

use std::time::Duration;

use car_api::credentials::Credentials;
use car_api::RetryConfig;
use car_emulator::test_server::{Reply, TestServer, TEST_SECRET_ID, TEST_SECRET_KEY};

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
