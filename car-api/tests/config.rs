//! Client configuration: defaults from a tccli profile, and clear errors for bad settings.
#![cfg(feature = "test-server")]

use car_api::credentials::{DefaultChain, Env};
use car_api::operations::DescribeConcurrentCountRequest;
use car_api::test_server::{TestServer, TEST_SECRET_ID, TEST_SECRET_KEY};
use car_api::{Client, Site};

fn home_with_profile(endpoint: &str, region: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join(".tccli");
    std::fs::create_dir_all(&dir).unwrap();
    let cred = serde_json::json!({"secretId": TEST_SECRET_ID, "secretKey": TEST_SECRET_KEY});
    std::fs::write(dir.join("default.credential"), cred.to_string()).unwrap();
    let conf = serde_json::json!({"_sys_param": {"region": region, "output": "json"}, "car": {"endpoint": endpoint}});
    std::fs::write(dir.join("default.configure"), conf.to_string()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["default.credential", "default.configure"] {
            std::fs::set_permissions(dir.join(f), std::fs::Permissions::from_mode(0o600)).unwrap();
        }
    }
    home
}

fn isolated_chain(
    home: &std::path::Path,
    env: &[(&str, &str)],
) -> car_api::credentials::DefaultChainBuilder {
    DefaultChain::builder()
        .home(home)
        .env(Env::from_map(
            env.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        ))
        .without_cvm_role()
        .system_credentials_file(None)
}

#[tokio::test]
async fn tccli_profile_supplies_credentials_region_and_endpoint() {
    let server = TestServer::start().unwrap();
    let home = home_with_profile(&server.endpoint(), "ap-tokyo");
    let client = Client::builder()
        .default_chain(isolated_chain(home.path(), &[]))
        .build()
        .unwrap();
    assert_eq!(client.endpoint().url(), format!("{}/", server.endpoint()));
    assert_eq!(client.region(), Some("ap-tokyo"));
    client
        .describe_concurrent_count(DescribeConcurrentCountRequest::new())
        .await
        .unwrap();
    let seen = server.requests();
    assert_eq!(seen[0].header("x-tc-region"), Some("ap-tokyo"));
    assert_eq!(seen[0].rejected, None);
}

#[tokio::test]
async fn environment_region_wins_over_the_profile_and_explicit_settings_win_over_both() {
    let server = TestServer::start().unwrap();
    let home = home_with_profile(&server.endpoint(), "ap-tokyo");
    let client = Client::builder()
        .default_chain(isolated_chain(
            home.path(),
            &[("TENCENTCLOUD_REGION", "ap-seoul")],
        ))
        .build()
        .unwrap();
    assert_eq!(client.region(), Some("ap-seoul"));
    let client = Client::builder()
        .default_chain(isolated_chain(
            home.path(),
            &[("TENCENTCLOUD_REGION", "ap-seoul")],
        ))
        .region("ap-bangkok")
        .site(Site::China)
        .build()
        .unwrap();
    assert_eq!(client.region(), Some("ap-bangkok"));
    assert_eq!(client.endpoint().host(), "car.tencentcloudapi.com");
}

#[test]
fn default_site_is_international() {
    let home = tempfile::tempdir().unwrap();
    let client = Client::builder()
        .default_chain(isolated_chain(home.path(), &[]))
        .build()
        .unwrap();
    assert_eq!(
        client.endpoint().url(),
        "https://car.intl.tencentcloudapi.com/"
    );
}

#[tokio::test]
async fn no_credentials_anywhere_is_a_credentials_error_listing_the_sources() {
    let home = tempfile::tempdir().unwrap();
    let client = Client::builder()
        .default_chain(isolated_chain(home.path(), &[]))
        .endpoint("http://127.0.0.1:9")
        .build()
        .unwrap();
    let err = client
        .describe_concurrent_count(DescribeConcurrentCountRequest::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "ClientCredentialsError");
    let text = err.to_string();
    assert!(
        text.contains("environment") && text.contains(".tccli"),
        "{text}"
    );
}

#[test]
fn bad_settings_are_named() {
    let home = tempfile::tempdir().unwrap();
    let base = || Client::builder().default_chain(isolated_chain(home.path(), &[]));
    let err = base()
        .ca_bundle(home.path().join("missing.pem"))
        .build()
        .unwrap_err();
    assert_eq!(err.code(), "ClientConfigError");
    assert!(err.to_string().contains("missing.pem"), "{err}");
    let pem = home.path().join("empty.pem");
    std::fs::write(&pem, "not a certificate\n").unwrap();
    let err = base().ca_bundle(&pem).build().unwrap_err();
    assert!(err.to_string().contains("empty.pem"), "{err}");
    let err = base().https_proxy("::not a url::").build().unwrap_err();
    assert!(err.to_string().contains("proxy"), "{err}");
    let err = base().language("fr-FR").build().unwrap_err();
    assert!(
        err.to_string().contains("language") && err.to_string().contains("fr-FR"),
        "{err}"
    );
    let err = base().endpoint("ftp://x").build().unwrap_err();
    assert!(err.to_string().contains("endpoint"), "{err}");
    let err = base()
        .timeout(std::time::Duration::ZERO)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("timeout"), "{err}");
}

#[test]
fn metadata_endpoint_can_be_switched_off_by_environment() {
    let home = tempfile::tempdir().unwrap();
    let chain = DefaultChain::builder()
        .home(home.path())
        .env(Env::from_map([(
            "CAR_METADATA_ENDPOINT".to_string(),
            "off".to_string(),
        )]))
        .system_credentials_file(None)
        .build();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    use car_api::credentials::ProvideCredentials;
    let err = rt
        .block_on(chain.provide_credentials())
        .unwrap_err()
        .to_string();
    assert!(!err.to_lowercase().contains("metadata"), "{err}");
}

#[test]
fn unusable_profile_endpoint_is_a_configuration_error_naming_the_file() {
    let home = home_with_profile("ftp://gateway", "ap-tokyo");
    let err = Client::builder()
        .default_chain(isolated_chain(home.path(), &[]))
        .build()
        .unwrap_err();
    assert_eq!(err.code(), "ClientConfigError");
    assert!(
        err.to_string().contains("default.configure: car.endpoint"),
        "{err}"
    );
    // An explicit site does not read the profile's endpoint at all.
    let client = Client::builder()
        .default_chain(isolated_chain(home.path(), &[]))
        .site(Site::China)
        .build()
        .unwrap();
    assert_eq!(client.endpoint().host(), "car.tencentcloudapi.com");
}

#[test]
fn an_unusable_proxy_url_is_not_echoed_with_its_password() {
    for proxy in ["http://bob:pr0xy-pa55@bad host:3128", "bob:pr0xy-pa55@[::1"] {
        let err = Client::builder()
            .credentials(car_api::credentials::Credentials::new("a", "b"))
            .https_proxy(proxy)
            .build()
            .unwrap_err();
        assert_eq!(err.code(), "ClientConfigError", "{err}");
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("pr0xy-pa55"), "{shown}");
        assert!(shown.contains("***@"), "{shown}");
    }
}
