//! Parameters are checked from the spec before an action runs, with the service's codes,
//! and each action's documented rate limit holds when enforcement is on.

#[path = "frontdoor_support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::Duration;

use car_emulator::ManualClock;
use serde_json::{json, Value};
use support::{builder, code, message, Call, Recorder};

const NOW: u64 = 1_767_225_600;

async fn call(emulator: &car_emulator::RunningEmulator, action: &str, body: Value) -> Value {
    Call::new(
        emulator.secret_id(),
        emulator.secret_key(),
        action,
        body,
        NOW as i64,
    )
    .send(emulator.endpoint())
    .await
    .1
}

#[tokio::test]
async fn each_parameter_error_has_its_code_and_names_the_parameter() {
    let recorder = Recorder::default();
    let emulator = builder(&recorder)
        .clock(Arc::new(ManualClock::at_unix(NOW)))
        .start()
        .await
        .unwrap();
    for (action, body, expected, named) in [
        (
            "DescribeApplicationList",
            json!({"Offset": 0}),
            "MissingParameter",
            "Limit",
        ),
        (
            "DescribeApplicationList",
            json!({"Offset": 0, "Limit": 10, "Limt": 5}),
            "UnknownParameter",
            "Limt",
        ),
        (
            "DescribeApplicationList",
            json!({"Offset": "abc", "Limit": 10}),
            "InvalidParameter",
            "Offset",
        ),
        (
            "DescribeApplicationList",
            json!({"Offset": 0, "Limit": 10, "Filters": [{"Name": 3, "Values": []}]}),
            "InvalidParameter",
            "Filters[0].Name",
        ),
        (
            "CreateApplication",
            json!({"ApplicationName": "a", "ApplicationType": "Application9D"}),
            "InvalidParameterValue",
            "ApplicationType",
        ),
        (
            "DescribeApplicationList",
            json!([1, 2]),
            "InvalidParameter",
            "JSON object",
        ),
    ] {
        let answer = call(&emulator, action, body.clone()).await;
        assert_eq!(code(&answer), Some(expected), "{body}: {answer}");
        assert!(message(&answer).contains(named), "{body}: {answer}");
    }
    // The documented value set is in the message, so a caller can fix the call.
    let answer = call(
        &emulator,
        "CreateApplication",
        json!({"ApplicationName": "a", "ApplicationType": "Application9D"}),
    )
    .await;
    assert!(message(&answer).contains("Application3D"), "{answer}");
    assert_eq!(recorder.count(), 0, "no bad request reached the actions");

    let answer = call(
        &emulator,
        "CreateApplication",
        json!({"ApplicationName": "a", "ApplicationType": "Application3D"}),
    )
    .await;
    assert_eq!(answer["Response"]["ApplicationId"], "app-1", "{answer}");
}

#[tokio::test]
async fn a_body_that_is_not_json_or_too_large_is_refused() {
    let recorder = Recorder::default();
    let emulator = builder(&recorder)
        .clock(Arc::new(ManualClock::at_unix(NOW)))
        .start()
        .await
        .unwrap();
    let mut not_json = Call::new(
        emulator.secret_id(),
        emulator.secret_key(),
        "DescribeApplicationList",
        json!({}),
        NOW as i64,
    );
    not_json.body = "{\"Offset\": 0,".into();
    let (_, answer) = not_json.send(emulator.endpoint()).await;
    assert_eq!(code(&answer), Some("InvalidParameter"), "{answer}");
    assert!(message(&answer).contains("not valid JSON"), "{answer}");

    let mut huge = not_json;
    huge.body = format!(
        "{{\"ApplicationName\": \"{}\"}}",
        "a".repeat(10 * 1024 * 1024)
    );
    let (_, answer) = huge.send(emulator.endpoint()).await;
    assert_eq!(code(&answer), Some("RequestSizeLimitExceeded"), "{answer}");
    assert_eq!(recorder.count(), 0);
}

#[tokio::test]
async fn the_documented_rate_limit_holds_per_second_of_the_injected_clock() {
    let recorder = Recorder::default();
    let clock = ManualClock::at_unix(NOW);
    let emulator = builder(&recorder)
        .clock(Arc::new(clock.clone()))
        .rate_limits(true)
        .start()
        .await
        .unwrap();
    let limit = car_api::meta::action("DescribeApplicationList")
        .unwrap()
        .rate_limit;
    assert_eq!(limit, 20, "the spec's limit for DescribeApplicationList");
    let body = json!({"Offset": 0, "Limit": 10});
    for i in 0..limit {
        let answer = call(&emulator, "DescribeApplicationList", body.clone()).await;
        assert_eq!(code(&answer), None, "request {i}: {answer}");
    }
    let answer = call(&emulator, "DescribeApplicationList", body.clone()).await;
    assert_eq!(code(&answer), Some("RequestLimitExceeded"), "{answer}");
    // Another action has its own budget.
    let answer = call(
        &emulator,
        "CreateApplication",
        json!({"ApplicationName": "a", "ApplicationType": "Application3D"}),
    )
    .await;
    assert_eq!(code(&answer), None, "{answer}");
    clock.advance(Duration::from_secs(1));
    let answer = call(&emulator, "DescribeApplicationList", body).await;
    assert_eq!(code(&answer), None, "a new second: {answer}");
    assert_eq!(recorder.count(), limit as usize + 2);
}

#[tokio::test]
async fn without_enforcement_there_is_no_limit() {
    let recorder = Recorder::default();
    let emulator = builder(&recorder)
        .clock(Arc::new(ManualClock::at_unix(NOW)))
        .start()
        .await
        .unwrap();
    for i in 0..25 {
        let answer = call(
            &emulator,
            "DescribeApplicationList",
            json!({"Offset": 0, "Limit": 1}),
        )
        .await;
        assert_eq!(code(&answer), None, "request {i}: {answer}");
    }
}
