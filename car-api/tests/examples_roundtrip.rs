//! Every request and response example Tencent publishes for the 33 actions (kept as data
//! in `fixtures/examples.json`) passes through our typed request and response types
//! unchanged: same member names, same JSON types, nothing dropped or added.

use car_api::{metadata::ACTIONS, visit_operation, Operation, OperationVisitor};
use serde_json::Value;

#[path = "support/filled_defaults.rs"]
mod filled_defaults;
use filled_defaults::drop_filled_defaults;

struct RoundTrip<'a> {
    request: &'a Value,
    response: &'a Value,
}

impl OperationVisitor for RoundTrip<'_> {
    type Output = Result<(), String>;

    fn visit<O: Operation>(self) -> Self::Output {
        let typed: O =
            serde_json::from_value(self.request.clone()).map_err(|e| format!("request: {e}"))?;
        let again = serde_json::to_value(&typed).map_err(|e| format!("request re-encode: {e}"))?;
        if &again != self.request {
            return Err(format!(
                "request changed:\n  example: {}\n  ours:    {again}",
                self.request
            ));
        }
        let inner = &self.response["Response"];
        let typed: O::Response =
            serde_json::from_value(inner.clone()).map_err(|e| format!("response: {e}"))?;
        let mut again =
            serde_json::to_value(&typed).map_err(|e| format!("response re-encode: {e}"))?;
        drop_filled_defaults(&mut again, inner);
        if &again != inner {
            return Err(format!(
                "response changed:\n  example: {inner}\n  ours:    {again}"
            ));
        }
        Ok(())
    }
}

#[test]
fn every_published_example_round_trips() {
    let text = include_str!("fixtures/examples.json");
    let examples: serde_json::Map<String, Value> = serde_json::from_str(text).unwrap();
    let mut failures = Vec::new();
    let mut count = 0;
    for (action, list) in &examples {
        for (i, ex) in list.as_array().unwrap().iter().enumerate() {
            count += 1;
            let visitor = RoundTrip {
                request: &ex["request"],
                response: &ex["response"],
            };
            match visit_operation(action, visitor) {
                None => failures.push(format!("{action}: not an action of the spec")),
                Some(Err(e)) => failures.push(format!("{action} example {i}: {e}")),
                Some(Ok(())) => {}
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} examples failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Every action of the spec has at least one published example.
    for a in ACTIONS {
        assert!(examples.contains_key(a.name), "no example for {}", a.name);
    }
    assert_eq!(examples.len(), 33);
}

#[test]
fn unset_optionals_are_omitted_not_null() {
    use car_api::operations::{DescribeApplicationListRequest, DescribeApplicationListRequired};
    let req = DescribeApplicationListRequest::new(DescribeApplicationListRequired {
        offset: 0,
        limit: 10,
    });
    assert_eq!(
        serde_json::to_string(&req).unwrap(),
        r#"{"Offset":0,"Limit":10}"#
    );
}

#[test]
fn unknown_enum_values_survive_a_round_trip() {
    use car_api::types::{ApplicationVersionStatus, UserApplicationVersion};
    let v: UserApplicationVersion = serde_json::from_str(
        r#"{"ApplicationVersionStatus":"Quarantined","ApplicationVersionId":"ver-1"}"#,
    )
    .unwrap();
    assert_eq!(
        v.application_version_status,
        ApplicationVersionStatus::Unknown("Quarantined".into())
    );
    assert_eq!(
        serde_json::to_value(&v).unwrap()["ApplicationVersionStatus"],
        "Quarantined"
    );
    assert_eq!(
        ApplicationVersionStatus::from("Inuse"),
        ApplicationVersionStatus::Inuse
    );
    assert_eq!(ApplicationVersionStatus::Inuse.as_str(), "Inuse");
}

#[test]
fn error_codes_round_trip_and_keep_unknown_ones() {
    use car_api::ErrorCode;
    for e in car_api::metadata::ERROR_CODES {
        let code = ErrorCode::from(e.code);
        assert!(!code.is_unknown(), "{}", e.code);
        assert_eq!(code.code(), e.code);
    }
    assert_eq!(
        ErrorCode::from("FailedOperation.ApplicationNotFind"),
        ErrorCode::FailedOperationApplicationNotFind
    );
    let unknown = ErrorCode::from("FailedOperation.BrandNew");
    assert!(unknown.is_unknown());
    assert_eq!(unknown.code(), "FailedOperation.BrandNew");
}

#[test]
fn required_parameters_are_constructor_arguments() {
    use car_api::operations::{
        CreateApplicationRequest, CreateApplicationRequired, DescribeCosCredentialRequest,
        DescribeCosCredentialRequired,
    };
    use car_api::types::ApplicationType;
    let req = CreateApplicationRequest::new(CreateApplicationRequired {
        application_name: "demo".into(),
        application_type: ApplicationType::Application3D,
    });
    assert_eq!(
        serde_json::to_value(&req).unwrap(),
        serde_json::json!({"ApplicationName": "demo", "ApplicationType": "Application3D"})
    );
    let req = DescribeCosCredentialRequest::new(DescribeCosCredentialRequired {
        application_id: "app-1".into(),
    })
    .application_file_name("pkg.zip");
    assert_eq!(
        serde_json::to_value(&req).unwrap(),
        serde_json::json!({"ApplicationId": "app-1", "ApplicationFileName": "pkg.zip"})
    );
}

#[test]
fn sensitive_fields_are_redacted_in_debug() {
    use car_api::operations::{
        CreateSessionRequest, CreateSessionRequired, DescribeCosCredentialResponse,
    };
    let resp: DescribeCosCredentialResponse = serde_json::from_str(
        r#"{"SecretID":"AKIDvisible","SecretKey":"topsecretkey","SessionToken":"tok-en-value","RequestId":"r-1"}"#,
    )
    .unwrap();
    let dbg = format!("{resp:?}");
    assert!(
        !dbg.contains("topsecretkey") && !dbg.contains("tok-en-value"),
        "{dbg}"
    );
    assert!(dbg.contains("redacted") && dbg.contains("r-1"), "{dbg}");
    let req = CreateSessionRequest::new(CreateSessionRequired {
        user_id: "u".into(),
        user_ip: "1.2.3.4".into(),
    })
    .client_session("c2VjcmV0LWJsb2I=");
    let dbg = format!("{req:?}");
    assert!(!dbg.contains("c2VjcmV0LWJsb2I="), "{dbg}");
}

#[test]
fn metadata_reflects_the_spec() {
    let apply = car_api::meta::action("ApplyConcurrent").unwrap();
    assert_eq!(apply.rate_limit, 100);
    assert!(!apply.retry_safe);
    let list = car_api::meta::action("DescribeApplicationList").unwrap();
    assert_eq!(list.rate_limit, 20);
    assert!(list.retry_safe);
    let count = car_api::meta::action("DescribeConcurrentCount").unwrap();
    let cat = count.input_member("ApplicationCategory").unwrap();
    assert!(cat.sites.cn && !cat.sites.intl);
    assert_eq!(ACTIONS.iter().filter(|a| a.sites.cn).count(), 7);
    assert!(car_api::meta::type_meta("ApplicationConcurrentPackage")
        .unwrap()
        .members
        .is_empty());
}
