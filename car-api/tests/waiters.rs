//! Waiters: the polling loop under tokio's paused clock (no real time passes), and the
//! generated `wait_until_*` methods against the loopback server.

use std::cell::Cell;
use std::time::Duration;

use car_api::credentials::Credentials;
use car_api::operations::{
    DescribeApplicationStatusRequest, DescribeApplicationStatusRequired,
    DescribeApplicationVersionRequest, DescribeApplicationVersionRequired,
};
use car_api::types::ApplicationVersionStatus;
use car_api::waiter::{wait, Check, WaitError, WaitPolicy};
use car_api::{Client, RetryConfig};
use car_emulator::test_server::{Reply, TestServer, TEST_SECRET_ID, TEST_SECRET_KEY};
use serde_json::json;
use tokio::time::Instant;

fn policy() -> WaitPolicy {
    WaitPolicy::with_timeout(Duration::from_secs(60))
        .interval(Duration::from_secs(4))
        .backoff(2.0, Duration::from_secs(10))
}

#[tokio::test(start_paused = true)]
async fn polls_back_off_until_done() {
    let start = Instant::now();
    let polls = Cell::new(Vec::new());
    let out = wait(&policy(), "Test", || {
        let mut seen = polls.take();
        seen.push(start.elapsed());
        let n = seen.len();
        polls.set(seen);
        async move {
            Ok(if n < 4 {
                Check::Pending(format!("step {n}"))
            } else {
                Check::Done(n)
            })
        }
    })
    .await
    .unwrap();
    assert_eq!(out, 4);
    // Gaps 4 s, then doubled to 8 s, then capped at 10 s.
    let secs: Vec<u64> = polls.take().iter().map(Duration::as_secs).collect();
    assert_eq!(secs, [0, 4, 12, 22]);
}

#[tokio::test(start_paused = true)]
async fn gives_up_at_the_timeout_naming_the_last_state() {
    let err = wait::<(), _, _>(&policy(), "Test", || async {
        Ok(Check::Pending("Creating".into()))
    })
    .await
    .unwrap_err();
    // Polls at 0, 4, 12, 22, 32, 42, 52 s; the next would start at 62 s, past 60 s.
    match &err {
        WaitError::TimedOut {
            waiter,
            attempts,
            last_state,
            elapsed,
        } => {
            assert_eq!(*waiter, "Test");
            assert_eq!(*attempts, 7);
            assert_eq!(last_state, "Creating");
            assert_eq!(*elapsed, Duration::from_secs(52));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("Creating"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn a_poll_that_hangs_is_cut_off_at_the_deadline() {
    let start = Instant::now();
    let err = wait::<(), _, _>(&policy(), "Test", std::future::pending)
        .await
        .unwrap_err();
    assert!(
        matches!(err, WaitError::TimedOut { attempts: 0, .. }),
        "{err:?}"
    );
    assert_eq!(start.elapsed(), Duration::from_secs(60));
}

#[tokio::test(start_paused = true)]
async fn a_failure_state_ends_the_wait() {
    let err = wait::<(), _, _>(&policy(), "Test", || async {
        Ok(Check::Failed("CreateFailed".into()))
    })
    .await
    .unwrap_err();
    assert!(
        matches!(&err, WaitError::Failed { state, .. } if state == "CreateFailed"),
        "{err:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn absurd_policies_do_not_panic() {
    let huge = WaitPolicy::with_timeout(Duration::MAX)
        .interval(Duration::MAX)
        .backoff(f64::MAX, Duration::MAX);
    let polls = Cell::new(0);
    let err = wait::<(), _, _>(&huge, "Test", || {
        polls.set(polls.get() + 1);
        async { Ok(Check::Pending("Creating".into())) }
    })
    .await
    .unwrap_err();
    // The second poll would start beyond any deadline the clock can hold.
    assert!(
        matches!(err, WaitError::TimedOut { attempts: 1, .. }),
        "{err:?}"
    );
    assert_eq!(polls.get(), 1);
}

fn client(server: &TestServer) -> Client {
    Client::builder()
        .credentials(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY))
        .endpoint(server.endpoint())
        .retry(RetryConfig::disabled())
        .rate_limiting(false)
        .build()
        .unwrap()
}

/// Polls without pausing: the server's scripted replies stand in for time passing.
fn now() -> WaitPolicy {
    WaitPolicy::with_timeout(Duration::from_secs(600)).interval(Duration::ZERO)
}

fn versions(status: &str) -> Reply {
    Reply::ok(json!({"Versions": [
        {"ApplicationVersionId": "ver-old", "ApplicationVersionStatus": "Inuse"},
        {"ApplicationVersionId": "ver-new", "ApplicationVersionStatus": status}
    ]}))
}

fn version_request() -> DescribeApplicationVersionRequest {
    DescribeApplicationVersionRequest::new(DescribeApplicationVersionRequired {
        application_id: "app-1".into(),
    })
}

#[tokio::test]
async fn version_ready_waits_through_uploading_and_creating() {
    let server = TestServer::start().unwrap();
    for s in ["Uploading", "Creating", "Normal"] {
        server.push_reply(versions(s));
    }
    let v = client(&server)
        .wait_until_application_version_ready(version_request(), "ver-new", &now())
        .await
        .unwrap();
    assert_eq!(v.application_version_id, "ver-new");
    assert_eq!(
        v.application_version_status,
        ApplicationVersionStatus::Normal
    );
    let sent = server.requests();
    assert_eq!(sent.len(), 3);
    assert!(sent
        .iter()
        .all(|r| r.action == "DescribeApplicationVersion"
            && r.body == json!({"ApplicationId": "app-1"})));
}

#[tokio::test]
async fn version_ready_fails_on_create_failed() {
    let server = TestServer::start().unwrap();
    server.push_reply(versions("Creating"));
    server.push_reply(versions("CreateFailed"));
    let err = client(&server)
        .wait_until_application_version_ready(version_request(), "ver-new", &now())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, WaitError::Failed { waiter: "ApplicationVersionReady", state } if state == "CreateFailed"),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn version_deleted_ends_when_the_version_is_gone() {
    let server = TestServer::start().unwrap();
    server.push_reply(versions("Deleting"));
    server.push_reply(Reply::ok(json!({"Versions": [
        {"ApplicationVersionId": "ver-old", "ApplicationVersionStatus": "Inuse"}
    ]})));
    client(&server)
        .wait_until_application_version_deleted(version_request(), "ver-new", &now())
        .await
        .unwrap();
    assert_eq!(server.requests().len(), 2);
}

/// An answer that leaves the list out says nothing about the version: it must not read
/// as "deleted" (typed decoding would fill the promised list with an empty one).
#[tokio::test]
async fn version_deleted_does_not_trust_an_answer_without_the_list() {
    let server = TestServer::start().unwrap();
    server.push_reply(Reply::ok(json!({})));
    server.push_reply(versions("Deleting"));
    server.push_reply(Reply::ok(json!({"Versions": []})));
    client(&server)
        .wait_until_application_version_deleted(version_request(), "ver-new", &now())
        .await
        .unwrap();
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn a_failed_poll_ends_the_wait_with_the_call_error() {
    let server = TestServer::start().unwrap();
    server.push_reply(Reply::error(
        "FailedOperation.ApplicationNotFind",
        "no application app-1",
    ));
    let err = client(&server)
        .wait_until_application_version_ready(version_request(), "ver-new", &now())
        .await
        .unwrap_err();
    assert_eq!(
        err.call_error().map(|e| e.code()),
        Some("FailedOperation.ApplicationNotFind")
    );
}

#[tokio::test]
async fn application_running_follows_the_run_status() {
    let server = TestServer::start().unwrap();
    for s in [
        "ApplicationCreating",
        "ApplicationNoConfigured",
        "ApplicationRunning",
    ] {
        server.push_reply(Reply::ok(json!({"StatusList": [
            {"ApplicationId": "app-1", "ApplicationRunStatus": s}
        ]})));
    }
    let request = DescribeApplicationStatusRequest::new(DescribeApplicationStatusRequired {
        application_id_list: vec!["app-1".into()],
    });
    let status = client(&server)
        .wait_until_application_running(request, "app-1", &now())
        .await
        .unwrap();
    assert_eq!(status.application_id, "app-1");
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn json_waiters_run_by_name() {
    let server = TestServer::start().unwrap();
    server.push_reply(versions("Creating"));
    server.push_reply(versions("Normal"));
    let waiter = car_api::waiter::waiter_meta("ApplicationVersionReady").unwrap();
    assert_eq!(
        car_api::waiter::waiter_meta("wait_until_application_version_ready").map(|w| w.name),
        Some("ApplicationVersionReady")
    );
    let entry = client(&server)
        .wait_json(
            waiter,
            &json!({"ApplicationId": "app-1"}),
            "ver-new",
            &now(),
        )
        .await
        .unwrap();
    assert_eq!(entry["ApplicationVersionStatus"], "Normal");
    assert_eq!(server.requests().len(), 2);
}
