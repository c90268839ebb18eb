//! Client configuration: defaults from a tccli profile, and clear errors for bad settings.

use car_api::credentials::{DefaultChain, Env};
use car_api::operations::DescribeConcurrentCountRequest;
use car_api::{Client, Site};
use car_emulator::test_server::{TestServer, TEST_SECRET_ID, TEST_SECRET_KEY};

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

fn write_configure(home: &std::path::Path, value: serde_json::Value) -> std::path::PathBuf {
    let dir = home.join(".tccli");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("default.configure");
    std::fs::write(&path, value.to_string()).unwrap();
    path
}

#[test]
fn the_resolver_applies_one_precedence_table_and_says_where_each_value_came_from() {
    use car_api::config::{ConfigLoader, Origin, OutputFormat};
    let home = tempfile::tempdir().unwrap();
    let file = write_configure(
        home.path(),
        serde_json::json!({
            "_sys_param": {"region": "ap-tokyo", "output": "table", "language": "zh-CN"},
            "car": {"endpoint": "gw.example:8443"}
        }),
    );
    let loader = || {
        ConfigLoader::with_chain(isolated_chain(
            home.path(),
            &[("TENCENTCLOUD_REGION", "ap-seoul")],
        ))
    };

    // Nothing explicit: environment over profile, profile over default.
    let c = loader().resolve().unwrap();
    assert_eq!(c.region().unwrap().value(), "ap-seoul");
    assert_eq!(
        c.region().unwrap().origin(),
        &Origin::Env("TENCENTCLOUD_REGION")
    );
    assert_eq!(c.endpoint().value().url(), "https://gw.example:8443/");
    assert_eq!(c.endpoint().origin(), &Origin::Profile(file.clone()));
    assert_eq!(*c.output().value(), OutputFormat::Table);
    assert_eq!(c.language().unwrap().value(), "zh-CN");
    assert_eq!(c.profile().value(), "default");
    assert_eq!(c.http().timeout, std::time::Duration::from_secs(60));

    // Explicit beats both; an explicit site beats the profile's endpoint.
    let c = loader()
        .region("ap-bangkok", Origin::Flag("--region"))
        .site(Site::China, Origin::Flag("--site"))
        .output("text", Origin::Flag("--output"))
        .language("en-US", Origin::Flag("--language"))
        .timeout(std::time::Duration::from_secs(9), Origin::Flag("--timeout"))
        .resolve()
        .unwrap();
    assert_eq!(c.region().unwrap().value(), "ap-bangkok");
    assert_eq!(c.endpoint().value().host(), "car.tencentcloudapi.com");
    assert_eq!(c.endpoint().origin(), &Origin::Flag("--site"));
    assert_eq!(*c.output().value(), OutputFormat::Text);
    assert_eq!(c.language().unwrap().value(), "en-US");
    assert_eq!(c.http().timeout, std::time::Duration::from_secs(9));
    assert_eq!(
        c.origin_of(car_api::config::Setting::Timeout),
        Origin::Flag("--timeout")
    );

    // An explicit profile skips the environment's region, as tccli does.
    let c = loader()
        .profile("default", Origin::Flag("--profile"))
        .resolve()
        .unwrap();
    assert_eq!(c.region().unwrap().value(), "ap-tokyo");
}

#[tokio::test]
async fn the_profile_language_reaches_the_server_through_the_library_too() {
    let server = TestServer::start().unwrap();
    let home = home_with_profile(&server.endpoint(), "ap-tokyo");
    write_configure(
        home.path(),
        serde_json::json!({"_sys_param": {"language": "zh-CN"}, "car": {"endpoint": server.endpoint()}}),
    );
    let client = Client::builder()
        .default_chain(isolated_chain(home.path(), &[]))
        .build()
        .unwrap();
    client
        .describe_concurrent_count(DescribeConcurrentCountRequest::new())
        .await
        .unwrap();
    assert_eq!(server.requests()[0].header("x-tc-language"), Some("zh-CN"));
}

#[test]
fn configuration_errors_name_the_setting_its_origin_and_what_was_expected() {
    use car_api::config::{ConfigLoader, Origin, Setting};
    use car_api::ErrorKind;
    let home = tempfile::tempdir().unwrap();
    let file = write_configure(
        home.path(),
        serde_json::json!({"_sys_param": {"language": "fr-FR", "output": "yaml"}}),
    );
    let loader = || ConfigLoader::with_chain(isolated_chain(home.path(), &[]));

    let err = loader()
        .output("json", Origin::Flag("--output"))
        .resolve()
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Config { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "ClientConfigError: {}: language: expected en-US or zh-CN, got \"fr-FR\"",
            file.display()
        )
    );
    let p = err.config_problem().unwrap();
    assert_eq!(p.setting(), Setting::Language);
    assert_eq!(p.origin(), &Origin::Profile(file.clone()));

    let err = loader()
        .language("en-US", Origin::Flag("--language"))
        .resolve()
        .unwrap_err();
    assert_eq!(
        err.message(),
        format!(
            "{}: output: expected json, table or text, got \"yaml\"",
            file.display()
        )
    );

    let ok = || {
        loader()
            .language("en-US", Origin::Flag("--language"))
            .output("json", Origin::Flag("--output"))
    };
    let cases: Vec<(ConfigLoader, Setting, &str)> =
        vec![
        (
            ok().endpoint("ftp://gw", Origin::Flag("--endpoint")),
            Setting::Endpoint,
            "--endpoint: expected an http:// or https:// URL or a host name, got `ftp://gw`",
        ),
        (
            ok().timeout(std::time::Duration::ZERO, Origin::Builder("ClientBuilder::timeout")),
            Setting::Timeout,
            "timeout (given to ClientBuilder::timeout): expected a duration above zero, got 0 s",
        ),
        (
            ok().connect_timeout(std::time::Duration::ZERO, Origin::Flag("--timeout")),
            Setting::ConnectTimeout,
            "--timeout: expected a duration above zero, got 0 s",
        ),
        (
            ok().endpoint("http://gw.example", Origin::Flag("--endpoint")),
            Setting::Endpoint,
            "--endpoint: `http://gw.example/` is plain http://",
        ),
        (
            ok().ca_bundle(home.path().join("none.pem"), Origin::Flag("--ca-bundle")),
            Setting::CaBundle,
            "--ca-bundle: expected a readable CA bundle (PEM file), got ",
        ),
    ];
    for (loader, setting, start) in cases {
        let err = loader.resolve().unwrap_err();
        assert_eq!(err.code(), "ClientConfigError", "{err}");
        assert!(err.message().starts_with(start), "{err}");
        assert_eq!(err.config_problem().unwrap().setting(), setting);
    }

    // A proxy from the environment is named by its variable, password hidden.
    let err = ConfigLoader::with_chain(isolated_chain(
        home.path(),
        &[("HTTPS_PROXY", "http://bob:pa55w0rd@bad host:1")],
    ))
    .language("en-US", Origin::Flag("--language"))
    .output("json", Origin::Flag("--output"))
    .proxy_from_env(true)
    .resolve()
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("environment variable HTTPS_PROXY (proxy): expected a proxy URL"),
        "{text}"
    );
    assert!(!text.contains("pa55w0rd"), "{text}");
}
