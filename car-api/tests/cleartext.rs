//! Plain http:// only to loopback unless the caller opts in with `allow_insecure_http`:
//! cleartext would expose the session token and, from STS, new temporary keys.

mod support;

use std::sync::Arc;

use car_api::credentials::{
    Credentials, DefaultChain, Env, ProvideCredentials, StaticProvider, StsAssumeRoleProvider,
};
use car_api::Client;

fn explicit() -> Credentials {
    Credentials::new("AKIDcleartext", "key").with_token("tok")
}

#[test]
fn a_non_loopback_http_endpoint_is_a_configuration_error() {
    // 192.0.2.0/24 is TEST-NET-1: never routed, and never contacted here anyway.
    for endpoint in [
        "http://192.0.2.10:8080",
        "http://car.example.com",
        "HTTP://10.1.2.3:80",
    ] {
        let err = Client::builder()
            .credentials(explicit())
            .endpoint(endpoint)
            .build()
            .unwrap_err();
        assert_eq!(err.code(), "ClientConfigError", "{endpoint}: {err}");
        let msg = err.to_string();
        assert!(
            msg.contains("cleartext")
                && msg.contains("allow_insecure_http(true)")
                && msg.contains("--insecure-http"),
            "{msg}"
        );
    }
}

#[test]
fn loopback_http_and_any_https_are_accepted_and_the_opt_in_allows_the_rest() {
    for endpoint in [
        "http://127.0.0.1:8080",
        "http://localhost:1",
        "http://[::1]:2",
        "car.example.com",
        "https://10.0.0.1",
    ] {
        Client::builder()
            .credentials(explicit())
            .endpoint(endpoint)
            .build()
            .unwrap_or_else(|e| panic!("{endpoint}: {e}"));
    }
    let client = Client::builder()
        .credentials(explicit())
        .endpoint("http://192.0.2.10:8080")
        .allow_insecure_http(true)
        .build()
        .unwrap();
    assert_eq!(client.endpoint().url(), "http://192.0.2.10:8080/");
}

#[test]
fn a_profiles_http_car_endpoint_is_refused_naming_the_file() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join(".tccli");
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("default.configure");
    std::fs::write(&conf, r#"{"car":{"endpoint":"http://192.0.2.10"}}"#).unwrap();
    let chain = || {
        DefaultChain::builder()
            .home(home.path())
            .env(Env::from_map::<&str, &str>([]))
            .without_cvm_role()
            .system_credentials_file(None)
    };
    let err = Client::builder()
        .default_chain(chain())
        .build()
        .unwrap_err();
    assert_eq!(err.code(), "ClientConfigError", "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("{}: car.endpoint:", conf.display())),
        "{msg}"
    );
    assert!(msg.contains("cleartext"), "{msg}");
    let client = Client::builder()
        .default_chain(chain())
        .allow_insecure_http(true)
        .build()
        .unwrap();
    assert_eq!(client.endpoint().url(), "http://192.0.2.10/");
}

#[tokio::test]
async fn a_non_loopback_http_sts_endpoint_is_refused_before_anything_is_sent() {
    let source = Arc::new(StaticProvider::new(explicit()));
    let err = StsAssumeRoleProvider::new(source.clone(), "qcs::cam::uin/1:roleName/r", "s")
        .with_endpoint("http://192.0.2.10:8080")
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(!err.is_not_configured());
    let msg = err.to_string();
    assert!(
        msg.contains("cleartext") && msg.contains("allow_insecure_http"),
        "{msg}"
    );

    // Loopback is fine: the request arrives.
    let (addr, seen) =
        support::answering(support::json_ok(r#"{"Response":{"RequestId":"r"}}"#)).await;
    let _ = StsAssumeRoleProvider::new(source, "qcs::cam::uin/1:roleName/r", "s")
        .with_endpoint(&format!("http://{addr}"))
        .provide_credentials()
        .await;
    assert_eq!(seen.requests().len(), 1);
}

#[tokio::test]
async fn a_role_profile_with_an_http_sts_endpoint_needs_the_opt_in() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join(".tccli");
    std::fs::create_dir_all(&dir).unwrap();
    let cred = dir.join("default.credential");
    std::fs::write(
        &cred,
        r#"{"secretId":"AKIDsrc","secretKey":"k","role-arn":"qcs::cam::uin/1:roleName/r","role-session-name":"s"}"#,
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&cred, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    std::fs::write(
        dir.join("default.configure"),
        r#"{"sts":{"endpoint":"http://192.0.2.10"}}"#,
    )
    .unwrap();
    let err = DefaultChain::builder()
        .home(home.path())
        .env(Env::from_map::<&str, &str>([]))
        .without_cvm_role()
        .system_credentials_file(None)
        .build()
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("cleartext"), "{err}");
}
