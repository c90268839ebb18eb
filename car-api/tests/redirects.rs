//! No outbound client follows a redirect: a 307 would re-send the signed body and the
//! `X-TC-Token` to whatever host it names, and a 302 would turn the call into a GET
//! that still carries the token. The redirect is an error naming its target, and the
//! second host receives nothing.

mod support;

use std::sync::Arc;

use car_api::credentials::{
    Credentials, CvmRoleProvider, ProvideCredentials, StaticProvider, StsAssumeRoleProvider,
};
use car_api::{Client, RetryConfig};
use serde_json::json;

const TOKEN: &str = "session-token-that-must-stay-home";

#[tokio::test]
async fn car_client_refuses_every_redirect_and_the_target_sees_nothing() {
    let (target, target_seen) = support::answering(support::json_ok(
        r#"{"Response":{"Total":1,"RunningNum":0,"Idle":1,"PreparingNum":0,"RequestId":"r"}}"#,
    ))
    .await;
    let target_url = format!("http://{target}/stolen");
    for status in [307, 302, 301, 308] {
        let (origin, origin_seen) =
            support::answering(support::redirect(status, &target_url)).await;
        let client = Client::builder()
            .credentials(Credentials::new("AKIDredirect", "key").with_token(TOKEN))
            .endpoint(format!("http://{origin}"))
            .retry(RetryConfig::disabled())
            .rate_limiting(false)
            .build()
            .unwrap();
        let action = car_api::meta::action("DescribeConcurrentCount").unwrap();
        let err = client.call_json(action, &json!({})).await.unwrap_err();
        assert_eq!(err.code(), "ClientInvalidResponse", "{status}: {err}");
        let shown = err.to_string();
        assert!(
            shown.contains(&format!("redirected to `{target_url}`"))
                && shown.contains(&format!("HTTP {status}")),
            "{status}: {shown}"
        );
        assert!(!shown.contains(TOKEN), "{shown}");
        assert_eq!(
            origin_seen.requests().len(),
            1,
            "{status}: sent once, not retried"
        );
        assert!(origin_seen.requests()[0].starts_with("POST / "));
    }
    assert_eq!(
        target_seen.requests(),
        Vec::<String>::new(),
        "no request, POST or GET, reached the redirect target"
    );
}

#[tokio::test]
async fn sts_refuses_redirects() {
    let (target, target_seen) = support::answering(support::json_ok("{}")).await;
    let target_url = format!("http://{target}/");
    for status in [307, 302] {
        let (origin, _) = support::answering(support::redirect(status, &target_url)).await;
        let source = StaticProvider::new(Credentials::new("AKIDsource", "key").with_token(TOKEN));
        let sts = StsAssumeRoleProvider::new(Arc::new(source), "qcs::cam::uin/1:roleName/r", "s")
            .with_endpoint(&format!("http://{origin}"));
        let err = sts.provide_credentials().await.unwrap_err().to_string();
        assert!(
            err.contains(&format!("redirected to `{target_url}`")),
            "{err}"
        );
    }
    assert!(target_seen.requests().is_empty());
}

#[tokio::test]
async fn metadata_service_redirects_are_refused() {
    let (target, target_seen) = support::answering(support::json_ok("role")).await;
    let target_url = format!("http://{target}/latest/meta-data/cam/security-credentials/");
    let (origin, _) = support::answering(support::redirect(302, &target_url)).await;
    // Both the role discovery and the credentials request.
    for provider in [
        CvmRoleProvider::new().with_base_url(format!("http://{origin}")),
        CvmRoleProvider::new()
            .with_base_url(format!("http://{origin}"))
            .with_role_name("car-ops"),
    ] {
        let err = provider.provide_credentials().await.unwrap_err();
        assert!(
            !err.is_not_configured(),
            "a redirect is not 'no metadata service': {err}"
        );
        assert!(
            err.to_string()
                .contains(&format!("redirected to `{target_url}`")),
            "{err}"
        );
    }
    assert!(target_seen.requests().is_empty());
}
