//! The generated serving side: `dispatch` routes an action name and its parameters to
//! the matching `CarService` method and encodes what it returns. Inputs and expected
//! outputs are Tencent's published examples (`fixtures/examples.json`), an independent
//! fact; the error codes are the ones the API documents for these cases.

use std::sync::Mutex;

use car_api::operations::{DescribeApplicationListRequest, DescribeApplicationListResponse};
use car_api::service::{dispatch, CarService, ServiceError};
use car_api::ErrorCode;
use serde_json::{json, Value};

#[path = "support/filled_defaults.rs"]
mod filled_defaults;
use filled_defaults::drop_filled_defaults;

fn example(action: &str) -> (Value, Value) {
    let all: Value = serde_json::from_str(include_str!("fixtures/examples.json")).unwrap();
    let ex = &all[action][0];
    (ex["request"].clone(), ex["response"]["Response"].clone())
}

/// Implements one action: answers with a canned response and keeps what it was asked.
struct OneAction {
    answer: DescribeApplicationListResponse,
    seen: Mutex<Vec<(String, DescribeApplicationListRequest)>>,
}

impl CarService for OneAction {
    type Context = String;

    async fn describe_application_list(
        &self,
        context: &String,
        request: DescribeApplicationListRequest,
    ) -> Result<DescribeApplicationListResponse, ServiceError> {
        self.seen.lock().unwrap().push((context.clone(), request));
        Ok(self.answer.clone())
    }
}

fn service() -> OneAction {
    let (_, response) = example("DescribeApplicationList");
    OneAction {
        answer: serde_json::from_value(response).unwrap(),
        seen: Mutex::new(Vec::new()),
    }
}

#[tokio::test]
async fn an_implemented_action_gets_the_typed_request_and_its_answer_goes_out_whole() {
    let svc = service();
    let (request, response) = example("DescribeApplicationList");
    let cx = "account-1".to_string();
    let mut out = dispatch(&svc, &cx, "DescribeApplicationList", request.clone())
        .await
        .unwrap();

    let seen = svc.seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, "account-1");
    assert_eq!(serde_json::to_value(&seen[0].1).unwrap(), request);

    // The server sets RequestId in the envelope; dispatch leaves it out.
    let mut expected = response.clone();
    expected.as_object_mut().unwrap().remove("RequestId");
    drop_filled_defaults(&mut out, &expected);
    assert_eq!(out, expected);
}

#[tokio::test]
async fn an_action_nobody_implemented_is_unsupported_and_names_itself() {
    let (request, _) = example("CreateSession");
    let err = dispatch(&service(), &String::new(), "CreateSession", request)
        .await
        .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::UnsupportedOperation);
    assert_eq!(err.code().to_string(), "UnsupportedOperation");
    assert!(err.message().contains("CreateSession"), "{err}");
}

#[tokio::test]
async fn an_unknown_action_is_invalid_action() {
    let err = dispatch(&service(), &String::new(), "DescribeEverything", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.code().to_string(), "InvalidAction");
    assert!(err.message().contains("DescribeEverything"), "{err}");
}

#[tokio::test]
async fn parameters_that_do_not_fit_are_invalid_and_name_the_member() {
    let svc = service();
    for (params, member) in [
        (json!({"Offset": 0}), "Limit"),
        (json!({"Offset": 0, "Limit": 10, "Colour": "red"}), "Colour"),
    ] {
        let err = dispatch(&svc, &String::new(), "DescribeApplicationList", params)
            .await
            .unwrap_err();
        assert_eq!(err.code().to_string(), "InvalidParameter");
        assert!(err.message().contains(member), "{err}");
    }
    assert!(
        svc.seen.lock().unwrap().is_empty(),
        "nothing reached the method"
    );
}
