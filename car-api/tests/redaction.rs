//! Secrets stay out of `Debug` output, but whether a secret was set still shows: a
//! missing `SecretKey` and a hidden one must look different when debugging.

use car_api::operations::{CreateSessionRequest, DescribeCosCredentialResponse};
use car_api::redact::Redacted;

const MARK: &str = "\"** redacted **\"";

#[test]
fn present_values_are_hidden_and_absent_ones_say_none() {
    let secret = String::from("s3cr3t-value");
    assert_eq!(format!("{:?}", Redacted::of(&Some(secret.clone()))), MARK);
    assert_eq!(format!("{:?}", Redacted::of(&None::<String>)), "None");
    assert_eq!(format!("{:?}", Redacted::of(&secret)), MARK);
    assert_eq!(format!("{:?}", Redacted::of(secret.as_str())), MARK);
    // An empty secret is still a secret that was set.
    assert_eq!(format!("{:?}", Redacted::of(&Some(String::new()))), MARK);
}

#[test]
fn generated_types_redact_sensitive_members_only() {
    // Member names and sensitivity as Tencent's DescribeCosCredential page lists them.
    let resp: DescribeCosCredentialResponse = serde_json::from_str(
        r#"{"SecretID":"AKIDvisible","SecretKey":"cos-secret-key-value","RequestId":"r-1"}"#,
    )
    .unwrap();
    let shown = format!("{resp:?}");
    assert!(!shown.contains("cos-secret-key-value"), "{shown}");
    assert_eq!(
        shown.matches(MARK).count(),
        1,
        "only SecretKey is set: {shown}"
    );
    assert!(
        shown.contains("AKIDvisible") && shown.contains("r-1"),
        "{shown}"
    );
    assert!(
        shown.contains("None"),
        "the absent SessionToken shows as None: {shown}"
    );

    let req = CreateSessionRequest::new("user-1", "10.0.0.1").client_session("c2VjcmV0");
    let shown = format!("{req:?}");
    assert!(!shown.contains("c2VjcmV0"), "{shown}");
    assert!(shown.contains(MARK) && shown.contains("user-1"), "{shown}");
    let shown = format!("{:?}", CreateSessionRequest::new("user-1", "10.0.0.1"));
    assert!(!shown.contains(MARK), "nothing secret was set: {shown}");
}
