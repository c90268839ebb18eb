//! The shape of the generated surface: named required inputs (compile-time), plain
//! promised outputs that tolerate a server leaving them out, kept unknown members, and
//! secrets kept out of `Debug`.

use std::io::Write;
use std::sync::{Arc, Mutex};

use car_api::operations::{
    DescribeApplicationListResponse, DescribeApplicationProjectsResponse,
    DescribeConcurrentPackagesResponse, DescribeCosCredentialResponse,
    StartPublishStreamWithURLRequest, StartPublishStreamWithURLRequired,
};
use car_api::types::ApplicationConcurrentPackage;

#[test]
fn missing_required_inputs_do_not_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `f` with a debug-level subscriber and returns what it logged.
fn logged(f: impl FnOnce()) -> String {
    let out = Captured::default();
    let writer = out.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    let bytes = out.0.lock().unwrap().clone();
    String::from_utf8(bytes).unwrap()
}

#[test]
fn a_promised_member_left_out_or_null_gets_its_default_and_a_debug_line() {
    // Upstream marks all three output_required; Tencent's own example leaves out the
    // mobile list, and here the total comes as null.
    let mut resp = None;
    let log = logged(|| {
        resp = Some(
            serde_json::from_str::<DescribeApplicationListResponse>(
                r#"{"UserApplicationList":[{"ApplicationId":"app-1"}],"ApplicationTotal":null,"RequestId":"r-1"}"#,
            )
            .unwrap(),
        );
    });
    let resp = resp.unwrap();
    let total: i64 = resp.application_total;
    assert_eq!(total, 0);
    assert!(resp.user_mobile_application_list.is_empty());
    assert_eq!(resp.user_application_list[0].application_id, "app-1");
    // Members of the nested item the example left out are defaults too.
    assert_eq!(resp.user_application_list[0].application_name, "");
    assert!(
        log.contains("DescribeApplicationListResponse")
            && log.contains("UserMobileApplicationList")
            && log.contains("ApplicationTotal")
            && log.contains("DEBUG"),
        "{log}"
    );
}

#[test]
fn nullable_members_stay_optional() {
    // Upstream allows null for both members of DescribeApplicationProjects' answer.
    let resp: DescribeApplicationProjectsResponse =
        serde_json::from_str(r#"{"Total":null,"RequestId":"r-1"}"#).unwrap();
    let total: Option<i64> = resp.total;
    assert_eq!(total, None);
    assert_eq!(resp.projects, None);
}

#[test]
fn members_the_spec_does_not_know_are_kept() {
    let text = r#"{"ApplicationTotal":1,"UserApplicationList":[],"UserMobileApplicationList":[],"BrandNew":{"x":1},"RequestId":"r-1"}"#;
    let resp: DescribeApplicationListResponse = serde_json::from_str(text).unwrap();
    assert_eq!(resp.extra["BrandNew"], serde_json::json!({"x": 1}));
    // And they go back out unchanged.
    let again = serde_json::to_value(&resp).unwrap();
    assert_eq!(again, serde_json::from_str::<serde_json::Value>(text).unwrap());
}

#[test]
fn concurrent_packages_expose_the_concurrent_id() {
    // ApplicationConcurrentPackage has no documented members, yet ModifyConcurrentPackage
    // and three other actions need its ConcurrentId (Tencent's examples show it).
    let resp: DescribeConcurrentPackagesResponse = serde_json::from_str(
        r#"{"Total":1,"ConcurrentPackages":[{"ConcurrentId":"cp-1a2b","Name":"pkg"}],"RequestId":"r-1"}"#,
    )
    .unwrap();
    let packages = resp.concurrent_packages.unwrap();
    assert_eq!(packages[0].concurrent_id(), Some("cp-1a2b"));
    assert_eq!(packages[0].extra["Name"], "pkg");
    assert_eq!(ApplicationConcurrentPackage::default().concurrent_id(), None);
}

#[test]
fn responses_can_be_built_in_tests() {
    // Non-exhaustive, so outside the crate: Default plus field assignment.
    let mut resp = DescribeApplicationListResponse::default();
    resp.application_total = 3;
    resp.request_id = "r-1".into();
    assert_eq!(resp.application_total, 3);
}

#[test]
fn cos_secret_id_is_masked_like_credentials() {
    let resp: DescribeCosCredentialResponse = serde_json::from_str(
        r#"{"SecretID":"AKIDcosTemporary1234567890","SecretKey":"cos-secret-key","SessionToken":"cos-token","RequestId":"r-1"}"#,
    )
    .unwrap();
    let dbg = format!("{resp:?}");
    assert!(!dbg.contains("AKIDcosTemporary1234567890"), "{dbg}");
    assert!(dbg.contains("AKID****"), "{dbg}");
    assert!(!dbg.contains("cos-secret-key") && !dbg.contains("cos-token"), "{dbg}");
    // The value itself is untouched.
    assert_eq!(resp.secret_id, "AKIDcosTemporary1234567890");
}

#[test]
fn publish_stream_url_is_redacted() {
    let url = "rtmp://push.example.com/live/stream?txSecret=0123456789abcdef&txTime=65A0B1C2";
    let req = StartPublishStreamWithURLRequest::new(StartPublishStreamWithURLRequired {
        user_id: "user-1".into(),
        publish_stream_url: url.into(),
    });
    let dbg = format!("{req:?}");
    assert!(!dbg.contains("txSecret") && !dbg.contains("push.example.com"), "{dbg}");
    assert!(dbg.contains("redacted") && dbg.contains("user-1"), "{dbg}");
    let meta = car_api::meta::action("StartPublishStreamWithURL").unwrap();
    assert!(meta.input_member("PublishStreamURL").unwrap().sensitive);
}
