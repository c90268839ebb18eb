//! The CAR front door checks who is calling as the service does: the official signer's
//! requests pass (through `car_api::Client`, proven on Tencent's vectors), and each
//! broken request gets the service's code without reaching the actions.

#[path = "frontdoor_support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::Duration;

use car_api::credentials::Credentials;
use car_api::operations::{DescribeApplicationListRequest, DescribeApplicationListRequired};
use car_emulator::ManualClock;
use serde_json::json;
use support::{builder, code, json, message, Call, Recorder};

const NOW: u64 = 1_767_225_600;

fn list_body() -> serde_json::Value {
    json!({"Offset": 0, "Limit": 10})
}

#[tokio::test]
async fn the_official_signer_gets_an_answer_in_the_envelope_with_a_fresh_request_id() {
    let recorder = Recorder::default();
    let emulator = builder(&recorder).start().await.unwrap();
    let client = car_api::Client::builder()
        .credentials(Credentials::new(
            emulator.secret_id(),
            emulator.secret_key(),
        ))
        .endpoint(emulator.endpoint())
        .region("ap-singapore")
        .build()
        .unwrap();
    let first = client
        .describe_application_list(DescribeApplicationListRequest::new(
            DescribeApplicationListRequired {
                offset: 0,
                limit: 10,
            },
        ))
        .await
        .unwrap();
    assert_eq!(first.application_total, 7);
    let second = client
        .describe_application_list(DescribeApplicationListRequest::new(
            DescribeApplicationListRequired {
                offset: 0,
                limit: 10,
            },
        ))
        .await
        .unwrap();
    assert_ne!(first.request_id, second.request_id);
    assert_eq!(first.request_id.len(), 36, "{}", first.request_id);

    let calls = recorder.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 2);
    let (action, context) = &calls[0];
    assert_eq!(action, "DescribeApplicationList");
    assert_eq!(context.request_id, first.request_id);
    assert_eq!(context.region.as_deref(), Some("ap-singapore"));
    assert_eq!(context.account, emulator.accounts().permanent().account);
}

struct Fixture {
    recorder: Recorder,
    clock: ManualClock,
    emulator: car_emulator::RunningEmulator,
}

async fn fixture() -> Fixture {
    let recorder = Recorder::default();
    let clock = ManualClock::at_unix(NOW);
    let emulator = builder(&recorder)
        .clock(Arc::new(clock.clone()))
        .start()
        .await
        .unwrap();
    Fixture {
        recorder,
        clock,
        emulator,
    }
}

#[tokio::test]
async fn each_authentication_failure_has_the_service_code_and_runs_nothing() {
    let f = fixture().await;
    let (id, key) = (f.emulator.secret_id(), f.emulator.secret_key());
    let ok = Call::new(id, key, "DescribeApplicationList", list_body(), NOW as i64);
    let (status, answer) = ok.send(f.emulator.endpoint()).await;
    assert_eq!((status, code(&answer)), (200, None), "{answer}");
    assert_eq!(answer["Response"]["ApplicationTotal"], 7);

    let wrong_key = "x".repeat(key.len());
    let cases = [
        (
            Call::new(
                id,
                &wrong_key,
                "DescribeApplicationList",
                list_body(),
                NOW as i64,
            ),
            "AuthFailure.SignatureFailure",
        ),
        (
            Call::new(
                "AKIDnobodyhasthisidEXAMPLE",
                key,
                "DescribeApplicationList",
                list_body(),
                NOW as i64,
            ),
            "AuthFailure.SecretIdNotFound",
        ),
        (
            Call::new(
                id,
                key,
                "DescribeApplicationList",
                list_body(),
                NOW as i64 - 301,
            ),
            "AuthFailure.SignatureExpire",
        ),
        (
            Call::new(
                id,
                key,
                "DescribeApplicationList",
                list_body(),
                NOW as i64 + 301,
            ),
            "AuthFailure.SignatureExpire",
        ),
        (
            Call {
                version: "2019-01-01",
                ..Call::new(id, key, "DescribeApplicationList", list_body(), NOW as i64)
            },
            "NoSuchVersion",
        ),
        (
            Call::new(id, key, "DescribeEverything", list_body(), NOW as i64),
            "InvalidAction",
        ),
        (
            Call {
                token: Some("a-token-for-nothing"),
                ..Call::new(id, key, "DescribeApplicationList", list_body(), NOW as i64)
            },
            "AuthFailure.TokenFailure",
        ),
    ];
    for (call, expected) in &cases {
        let (status, answer) = call.send(f.emulator.endpoint()).await;
        assert_eq!(status, 200, "{expected}: {answer}");
        assert_eq!(code(&answer), Some(*expected), "{answer}");
        let request_id = answer["Response"]["RequestId"].as_str().unwrap();
        assert_eq!(request_id.len(), 36, "{answer}");
        let shown = answer.to_string();
        assert!(!shown.contains(key) && !shown.contains(id), "{shown}");
    }
    assert_eq!(f.recorder.count(), 1, "only the good request ran");
}

#[tokio::test]
async fn skew_is_measured_by_the_injected_clock_at_five_minutes() {
    let f = fixture().await;
    let (id, key) = (f.emulator.secret_id(), f.emulator.secret_key());
    let call = Call::new(id, key, "DescribeApplicationList", list_body(), NOW as i64);
    f.clock.advance(Duration::from_secs(300));
    let (_, answer) = call.send(f.emulator.endpoint()).await;
    assert_eq!(
        code(&answer),
        None,
        "exactly 5 minutes is allowed: {answer}"
    );
    // The actions see the injected clock's time, not the request's or the system's.
    let calls = f.recorder.calls.lock().unwrap().clone();
    assert_eq!(calls[0].1.now, NOW as i64 + 300);
    f.clock.advance(Duration::from_secs(1));
    let (_, answer) = call.send(f.emulator.endpoint()).await;
    assert_eq!(
        code(&answer),
        Some("AuthFailure.SignatureExpire"),
        "{answer}"
    );
    assert!(message(&answer).contains(&NOW.to_string()), "{answer}");
}

#[tokio::test]
async fn temporary_keys_need_their_own_unexpired_token() {
    let f = fixture().await;
    let temp = f
        .emulator
        .accounts()
        .issue_temporary(f.emulator.store(), NOW as i64 + 60)
        .unwrap();
    let (token, _) = temp.temporary.clone().unwrap();
    let call = |token: Option<&'static str>| Call {
        token,
        ..Call::new(
            &temp.secret_id,
            &temp.secret_key,
            "DescribeApplicationList",
            list_body(),
            NOW as i64,
        )
    };
    let token: &'static str = Box::leak(token.into_boxed_str());
    let (_, answer) = call(Some(token)).send(f.emulator.endpoint()).await;
    assert_eq!(code(&answer), None, "{answer}");
    for (bad, why) in [
        (None, "needs its X-TC-Token"),
        (Some("not-the-token"), "does not belong to this SecretId"),
    ] {
        let (_, answer) = call(bad).send(f.emulator.endpoint()).await;
        assert_eq!(code(&answer), Some("AuthFailure.TokenFailure"), "{answer}");
        assert!(message(&answer).contains(why), "{answer}");
        assert!(!answer.to_string().contains(token), "{answer}");
    }
    f.clock.advance(Duration::from_secs(60));
    let (_, answer) = call(Some(token)).send(f.emulator.endpoint()).await;
    assert_eq!(code(&answer), Some("AuthFailure.TokenFailure"), "{answer}");
    assert!(message(&answer).contains("expired"), "{answer}");
    assert_eq!(f.recorder.count(), 1);
}

#[tokio::test]
async fn requests_that_are_not_signed_json_posts_are_refused_by_name() {
    let f = fixture().await;
    let http = reqwest::Client::new();
    let answer = json(
        http.get(format!("{}/", f.emulator.endpoint()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(code(&answer), Some("UnsupportedProtocol"), "{answer}");
    let answer = json(
        http.post(format!("{}/", f.emulator.endpoint()))
            .header("Content-Type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        code(&answer),
        Some("AuthFailure.InvalidAuthorization"),
        "{answer}"
    );
    assert!(message(&answer).contains("missing"), "{answer}");
    assert_eq!(f.recorder.count(), 0);
}
