//! All 33 actions through the typed client against the loopback server, which checks
//! each TC3 signature and the parameters against the spec, and answers with Tencent's
//! published example response for the action.

use std::future::Future;
use std::pin::Pin;

#[path = "support/filled_defaults.rs"]
mod filled_defaults;
use filled_defaults::drop_filled_defaults;

use car_api::credentials::Credentials;
use car_api::meta::{self, MemberMeta, Shape};
use car_api::{visit_operation, Client, Operation, OperationVisitor, RetryConfig};
use car_emulator::test_server::{Reply, TestServer, TEST_SECRET_ID, TEST_SECRET_KEY};
use serde_json::{Map, Value};

fn examples() -> Map<String, Value> {
    serde_json::from_str(include_str!("fixtures/examples.json")).unwrap()
}

/// Replaces string values outside a member's documented enum with its first value (the
/// server, like the real one, refuses others) and names what it replaced.
fn repair_enums(members: &[MemberMeta], value: &mut Value, at: &str, fixed: &mut Vec<String>) {
    let Some(object) = value.as_object_mut() else {
        return;
    };
    for m in members {
        if let Some(v) = object.get_mut(m.wire_name) {
            repair_value(
                &m.shape,
                m.enum_name,
                v,
                &format!("{at}.{}", m.wire_name),
                fixed,
            );
        }
    }
}

fn repair_value(
    shape: &Shape,
    enum_name: Option<&str>,
    v: &mut Value,
    at: &str,
    fixed: &mut Vec<String>,
) {
    match shape {
        Shape::String => {
            if let (Some(e), Some(s)) = (enum_name.and_then(meta::enum_meta), v.as_str()) {
                if !e.values.iter().any(|d| d.value == s) {
                    *v = Value::String(e.values[0].value.to_string());
                    fixed.push(at.to_string());
                }
            }
        }
        Shape::List(inner) => {
            for item in v.as_array_mut().into_iter().flatten() {
                repair_value(inner, enum_name, item, at, fixed);
            }
        }
        Shape::Object(t) => {
            if let Some(t) = meta::type_meta(t) {
                repair_enums(t.members, v, at, fixed);
            }
        }
        _ => {}
    }
}

fn client(server: &TestServer) -> Client {
    Client::builder()
        .credentials(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY))
        .endpoint(server.endpoint())
        .region("ap-singapore")
        .retry(RetryConfig::disabled())
        .build()
        .unwrap()
}

type Call = Pin<Box<dyn Future<Output = Result<Value, String>> + Send>>;

struct Send_ {
    client: Client,
    request: Value,
}

impl OperationVisitor for Send_ {
    type Output = Call;
    fn visit<O: Operation>(self) -> Call {
        Box::pin(async move {
            let typed: O = serde_json::from_value(self.request).map_err(|e| e.to_string())?;
            let resp = self.client.send(typed).await.map_err(|e| e.to_string())?;
            serde_json::to_value(&resp).map_err(|e| e.to_string())
        })
    }
}

#[tokio::test]
async fn every_action_round_trips_through_the_typed_client() {
    let mut ex = examples();
    // Tencent's examples are sent as published, except values the API's own enum lists
    // rule out; those are named here so a new one shows up as a failure.
    let mut fixed = Vec::new();
    for (action, list) in ex.iter_mut() {
        let inputs = meta::action(action).expect("action").input;
        repair_enums(inputs, &mut list[0]["request"], action, &mut fixed);
    }
    assert_eq!(
        fixed,
        [
            "CreateApplicationProject.Type",
            "CreateApplicationProject.ProjectType",
            "DescribeConcurrentPackages.Filters.Name",
            "ModifyApplicationBaseInfo.ApplicationBaseInfo.WindowCaptureMode"
        ]
    );
    let responses = ex.clone();
    let server = TestServer::builder()
        .handler(move |action, _params| {
            let resp = responses[action][0]["response"]["Response"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            let mut resp = resp;
            resp.remove("RequestId");
            Reply::Ok(resp)
        })
        .start()
        .unwrap();
    let client = client(&server);
    for (action, list) in &ex {
        let example = &list[0];
        let call = visit_operation(
            action,
            Send_ {
                client: client.clone(),
                request: example["request"].clone(),
            },
        )
        .unwrap();
        let got = call.await.unwrap_or_else(|e| panic!("{action}: {e}"));
        let mut want = example["response"]["Response"].clone();
        want.as_object_mut().unwrap().remove("RequestId");
        let mut got_members = got.clone();
        let request_id = got_members
            .as_object_mut()
            .unwrap()
            .remove("RequestId")
            .unwrap();
        drop_filled_defaults(&mut got_members, &want);
        assert_eq!(got_members, want, "{action}");
        assert!(
            request_id.as_str().unwrap().starts_with("00000000-"),
            "{action}: {request_id}"
        );
    }
    let seen = server.requests();
    assert_eq!(seen.len(), ex.len());
    for (req, (action, list)) in seen.iter().zip(&ex) {
        assert_eq!(req.rejected, None, "{action}");
        assert_eq!(&req.action, action);
        assert_eq!(req.body, list[0]["request"], "{action}: body on the wire");
        assert_eq!(req.header("x-tc-version"), Some("2022-01-10"));
        assert_eq!(req.header("x-tc-region"), Some("ap-singapore"));
        assert!(req
            .header("authorization")
            .unwrap()
            .starts_with("TC3-HMAC-SHA256 Credential=AKIDtestserver"));
    }
}

#[tokio::test]
async fn wrong_key_is_rejected_by_signature_check() {
    let server = TestServer::start().unwrap();
    let client = Client::builder()
        .credentials(Credentials::new(TEST_SECRET_ID, "not-the-right-key"))
        .endpoint(server.endpoint())
        .build()
        .unwrap();
    let err = client
        .describe_application_list(car_api::operations::DescribeApplicationListRequest::new(
            car_api::operations::DescribeApplicationListRequired {
                offset: 0,
                limit: 10,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "AuthFailure.SignatureFailure");
    assert_eq!(err.action(), Some("DescribeApplicationList"));
    let id = err.request_id().unwrap().to_string();
    assert!(
        err.to_string().contains(&format!("(RequestId: {id})")),
        "{err}"
    );
    assert!(!err.to_string().contains("not-the-right-key"));
}

#[tokio::test]
async fn temporary_token_is_sent_and_checked() {
    let server = TestServer::builder().token("tmp-token+/=").start().unwrap();
    let ok = Client::builder()
        .credentials(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY).with_token("tmp-token+/="))
        .endpoint(server.endpoint())
        .build()
        .unwrap();
    ok.describe_concurrent_count(car_api::operations::DescribeConcurrentCountRequest::new())
        .await
        .unwrap();
    let bad = Client::builder()
        .credentials(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY))
        .endpoint(server.endpoint())
        .build()
        .unwrap();
    let err = bad
        .describe_concurrent_count(car_api::operations::DescribeConcurrentCountRequest::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "AuthFailure.TokenFailure");
}

#[tokio::test]
async fn typed_api_errors_carry_code_message_and_request_id() {
    let server = TestServer::start().unwrap();
    server.push_reply(Reply::error(
        "FailedOperation.ApplicationNotFind",
        "no application app-x",
    ));
    let err = client(&server)
        .describe_cos_credential(car_api::operations::DescribeCosCredentialRequest::new(
            car_api::operations::DescribeCosCredentialRequired {
                application_id: "app-x".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        err.api_code(),
        Some(&car_api::ErrorCode::FailedOperationApplicationNotFind)
    );
    assert_eq!(err.message(), "no application app-x");
    assert_eq!(
        err.to_string(),
        format!(
            "FailedOperation.ApplicationNotFind: no application app-x (RequestId: {})",
            err.request_id().unwrap()
        )
    );
    server.push_reply(Reply::error("FailedOperation.SomethingNew", "new"));
    let err = client(&server)
        .describe_cos_credential(car_api::operations::DescribeCosCredentialRequest::new(
            car_api::operations::DescribeCosCredentialRequired {
                application_id: "app-x".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        err.api_code(),
        Some(&car_api::ErrorCode::Unknown(
            "FailedOperation.SomethingNew".into()
        ))
    );
}

#[tokio::test]
async fn sensitive_response_fields_stay_out_of_debug() {
    let server = TestServer::start().unwrap();
    server.push_reply(Reply::ok(serde_json::json!({"SecretID": "AKIDcos", "SecretKey": "cos-secret-key-value", "SessionToken": "cos-token-value"})));
    let resp = client(&server)
        .describe_cos_credential(car_api::operations::DescribeCosCredentialRequest::new(
            car_api::operations::DescribeCosCredentialRequired {
                application_id: "app-x".into(),
            },
        ))
        .await
        .unwrap();
    assert_eq!(resp.secret_key, "cos-secret-key-value");
    let dbg = format!("{resp:?}");
    assert!(
        !dbg.contains("cos-secret-key-value") && !dbg.contains("cos-token-value"),
        "{dbg}"
    );
}

#[tokio::test]
async fn client_debug_has_no_secrets() {
    let server = TestServer::start().unwrap();
    let c = client(&server);
    let dbg = format!("{c:?}");
    assert!(!dbg.contains(TEST_SECRET_KEY), "{dbg}");
    let signed = c
        .sign(
            car_api::meta::action("DescribeApplicationList").unwrap(),
            b"{}".to_vec(),
        )
        .await
        .unwrap();
    let dbg = format!("{signed:?}");
    assert!(
        !dbg.contains(TEST_SECRET_KEY) && dbg.contains("Signature=** redacted **"),
        "{dbg}"
    );
}
