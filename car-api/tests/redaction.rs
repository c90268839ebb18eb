//! Secrets stay out of `Debug` output, but whether a secret was set still shows: a
//! missing `SecretKey` and a hidden one must look different when debugging.

use car_api::operations::{
    CreateSessionRequest, CreateSessionRequired, DescribeCosCredentialResponse,
};
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
    // A plain text left empty (a promised member the server left out) hides nothing and
    // must look different from a hidden one.
    assert_eq!(format!("{:?}", Redacted::of(&String::new())), "\"\"");
    assert_eq!(format!("{:?}", Redacted::of("")), "\"\"");
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
    // The SecretID shows as `Credentials` shows its own: the first four characters.
    assert!(
        shown.contains("\"AKID****\"") && !shown.contains("AKIDvisible"),
        "{shown}"
    );
    assert!(shown.contains("r-1"), "{shown}");
    assert!(
        shown.contains("session_token: \"\""),
        "the absent SessionToken shows as empty, not as hidden: {shown}"
    );

    let required = || CreateSessionRequired {
        user_id: "user-1".into(),
        user_ip: "10.0.0.1".into(),
    };
    let req = CreateSessionRequest::new(required()).client_session("c2VjcmV0");
    let shown = format!("{req:?}");
    assert!(!shown.contains("c2VjcmV0"), "{shown}");
    assert!(shown.contains(MARK) && shown.contains("user-1"), "{shown}");
    let shown = format!("{:?}", CreateSessionRequest::new(required()));
    assert!(!shown.contains(MARK), "nothing secret was set: {shown}");
}
