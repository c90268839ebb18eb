//! What the client says about answers that are not plain successes: the truth, and
//! never a secret. Expected texts come from Tencent's documented error envelope
//! (`{"Response":{"Error":{"Code","Message"},"RequestId"}}`, every answer carries a
//! `RequestId`) and from the spec's `sensitive` and `sites` marks.

use std::sync::Arc;

use car_api::credentials::{
    Credentials, CredentialsError, DefaultChain, Env, ProvideCredentials, ProvideFuture,
};
use car_api::operations::{
    DescribeConcurrentCountRequest, DescribeCosCredentialRequest, DescribeCosCredentialRequired,
};
use car_api::{Client, RetryConfig, Site};
use car_emulator::test_server::{Reply, TestServer, TEST_SECRET_ID, TEST_SECRET_KEY};
use serde_json::json;

fn client(server: &TestServer) -> Client {
    Client::builder()
        .credentials(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY))
        .endpoint(server.endpoint())
        .retry(RetryConfig::disabled())
        .rate_limiting(false)
        .build()
        .unwrap()
}

#[tokio::test]
async fn an_api_error_under_a_5xx_or_4xx_status_reports_its_code() {
    let server = TestServer::start().unwrap();
    for status in [500, 503, 403] {
        server.push_reply(Reply::Status(
            status,
            json!({"Response": {"Error": {"Code": "InternalError", "Message": "backend failed"}, "RequestId": "req-5xx"}})
                .to_string(),
        ));
        let err = client(&server)
            .describe_concurrent_count(DescribeConcurrentCountRequest::new())
            .await
            .unwrap_err();
        assert_eq!(err.code(), "InternalError", "{status}: {err}");
        assert_eq!(err.request_id(), Some("req-5xx"));
        assert_eq!(
            err.to_string(),
            "InternalError: backend failed (RequestId: req-5xx)"
        );
    }
    // A gateway page without an envelope is still reported as what it is.
    server.push_reply(Reply::Status(502, "<html>Bad Gateway</html>".into()));
    let err = client(&server)
        .describe_concurrent_count(DescribeConcurrentCountRequest::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "ClientInvalidResponse", "{err}");
}

#[tokio::test]
async fn an_error_without_a_message_has_no_dangling_colon() {
    let server = TestServer::start().unwrap();
    server.push_reply(Reply::Raw(
        br#"{"Response":{"Error":{"Code":"FailedOperation","Message":""},"RequestId":"req-1"}}"#
            .to_vec(),
    ));
    let err = client(&server)
        .describe_concurrent_count(DescribeConcurrentCountRequest::new())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "FailedOperation (RequestId: req-1)");
}

#[tokio::test]
async fn a_response_without_request_id_is_invalid() {
    let server = TestServer::start().unwrap();
    for body in [r#"{"Response":{}}"#, r#"{"Response":{"RequestId":""}}"#] {
        server.push_reply(Reply::Raw(body.as_bytes().to_vec()));
        let err = client(&server)
            .call_json(
                car_api::meta::action("DescribeConcurrentCount").unwrap(),
                &json!({}),
            )
            .await
            .unwrap_err();
        assert_eq!(err.code(), "ClientInvalidResponse", "{body}: {err}");
        assert!(err.to_string().contains("has no `RequestId`"), "{err}");
    }
}

const COS_KEY: &str = "cosSecretKeyNeverShown0123456789";
const COS_TOKEN: &str = "cosSessionTokenNeverShown";

#[tokio::test]
async fn a_malformed_cos_credential_answer_never_shows_the_keys() {
    let server = TestServer::start().unwrap();
    let bodies = [
        // Wrong type on a later member: the snippet holds both secrets.
        format!(
            r#"{{"Response":{{"SecretKey":"{COS_KEY}","SessionToken":"{COS_TOKEN}","StartTime":"soon","RequestId":"r"}}}}"#
        ),
        // Wrong type on the secret itself: serde's message would quote it.
        r#"{"Response":{"SecretKey":98765432109876,"RequestId":"r"}}"#.to_string(),
        // Cut off inside the secret.
        format!(r#"{{"Response":{{"SessionToken":"{COS_TOKEN}"#),
        // Not JSON after the secret.
        format!(r#"{{"Response":{{"SecretKey":"{COS_KEY}"}} trailing"#),
    ];
    for body in bodies {
        server.push_reply(Reply::Raw(body.clone().into_bytes()));
        let err = client(&server)
            .describe_cos_credential(DescribeCosCredentialRequest::new(
                DescribeCosCredentialRequired {
                    application_id: "app-1".into(),
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), "ClientInvalidResponse", "{body}: {err}");
        for shown in [err.to_string(), format!("{err:?}")] {
            for secret in [COS_KEY, COS_TOKEN, "98765432109876"] {
                assert!(!shown.contains(secret), "{body}\n{shown}");
            }
        }
        assert!(
            err.to_string().contains("** redacted **"),
            "the snippet is kept, with the value masked: {err}"
        );
    }
}

/// Credentials that cannot be had: a request that passed the client's checks stops
/// here, so nothing ever leaves for the real site hosts used below.
#[derive(Debug)]
struct Unavailable;

impl ProvideCredentials for Unavailable {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(async { Err(CredentialsError::NoneFound { attempts: vec![] }) })
    }
}

#[tokio::test]
async fn a_member_of_the_other_site_is_refused_before_sending() {
    let on = |site: Site| {
        Client::builder()
            .credentials_provider(Unavailable)
            .site(site)
            .retry(RetryConfig::disabled())
            .build()
            .unwrap()
    };
    let body = json!({"ProjectId": "cap-1", "ApplicationCategory": "DESKTOP"});
    let action = car_api::meta::action("DescribeConcurrentCount").unwrap();
    let err = on(Site::Intl).call_json(action, &body).await.unwrap_err();
    assert_eq!(err.code(), "ClientParamsError", "{err}");
    assert_eq!(
        err.to_string(),
        "ClientParamsError: parameter ApplicationCategory: exists only on the China site, and this client talks to the international site"
    );
    // The typed call is checked too.
    let mut typed = DescribeConcurrentCountRequest::new();
    typed.application_category = Some("DESKTOP".parse().unwrap());
    let err = on(Site::Intl)
        .describe_concurrent_count(typed.clone())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "ClientParamsError", "{err}");
    // And so is a dry run, which shows what would be sent.
    let err = on(Site::Intl)
        .sign(action, serde_json::to_vec(&body).unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "ClientParamsError", "{err}");
    // The China site takes it: the call gets as far as asking for credentials.
    let err = on(Site::China).call_json(action, &body).await.unwrap_err();
    assert_eq!(err.code(), "ClientCredentialsError", "{err}");
    let err = on(Site::China)
        .describe_concurrent_count(typed)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "ClientCredentialsError", "{err}");
}

#[tokio::test]
async fn whitespace_in_keys_is_a_credentials_error_and_nothing_is_sent() {
    let server = TestServer::start().unwrap();
    for (id, key) in [("AKID x", TEST_SECRET_KEY), (TEST_SECRET_ID, "key\n")] {
        let chain = DefaultChain::builder()
            .env(Env::from_map([
                ("TENCENTCLOUD_SECRET_ID", id),
                ("TENCENTCLOUD_SECRET_KEY", key),
            ]))
            .home(tempfile::tempdir().unwrap().path())
            .without_cvm_role()
            .system_credentials_file(None);
        let err = Client::builder()
            .default_chain(chain)
            .endpoint(server.endpoint())
            .rate_limiting(false)
            .build()
            .unwrap()
            .describe_concurrent_count(DescribeConcurrentCountRequest::new())
            .await
            .unwrap_err();
        assert_eq!(err.code(), "ClientCredentialsError", "{err}");
        assert!(
            err.to_string()
                .contains("environment: TENCENTCLOUD_SECRET_"),
            "{err}"
        );
        assert!(err.to_string().contains(" at character "), "{err}");
    }
    assert!(server.requests().is_empty());
}

#[derive(Debug)]
struct CustomProvider(Credentials);

impl ProvideCredentials for CustomProvider {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        let c = self.0.clone();
        Box::pin(async move { Ok(c) })
    }
}

#[tokio::test]
async fn a_custom_provider_giving_a_bad_token_is_a_config_error_not_a_retried_network_error() {
    let server = TestServer::start().unwrap();
    let client = Client::builder()
        .credentials_provider(Arc::new(CustomProvider(
            Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY).with_token("tok\r\nX-Evil: 1"),
        )))
        .endpoint(server.endpoint())
        .rate_limiting(false)
        .build()
        .unwrap();
    let err = client
        .describe_concurrent_count(DescribeConcurrentCountRequest::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "ClientConfigError", "{err}");
    assert_eq!(
        err.to_string(),
        "ClientConfigError: the credentials provider gave a token that contains a line break at character 4 of 14"
    );
    assert!(server.requests().is_empty());
}

#[test]
fn whitespace_in_the_region_names_where_it_came_from() {
    let home = tempfile::tempdir().unwrap();
    let chain = |env: &[(&str, &str)]| {
        DefaultChain::builder()
            .env(Env::from_map(env.iter().copied()))
            .home(home.path())
            .without_cvm_role()
            .system_credentials_file(None)
    };
    let err = Client::builder()
        .default_chain(chain(&[("TENCENTCLOUD_REGION", "ap-guangzhou ")]))
        .build()
        .unwrap_err();
    assert_eq!(err.code(), "ClientConfigError", "{err}");
    assert_eq!(
        err.message(),
        "environment variable TENCENTCLOUD_REGION (region): expected a region such as \
         ap-singapore, but the value contains a space at character 13 of 13"
    );

    let dir = home.path().join(".tccli");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("default.configure"),
        r#"{"_sys_param":{"region":"ap-\tx"}}"#,
    )
    .unwrap();
    let err = Client::builder()
        .default_chain(chain(&[]))
        .build()
        .unwrap_err();
    assert_eq!(
        err.message(),
        format!(
            "{}: region: expected a region such as ap-singapore, but the value contains a \
             tab at character 4 of 5",
            dir.join("default.configure").display()
        )
    );

    let err = Client::builder()
        .credentials(Credentials::new("a", "b"))
        .region("ap-x\n")
        .build()
        .unwrap_err();
    assert_eq!(err.code(), "ClientConfigError", "{err}");
    assert_eq!(
        err.message(),
        "region (given to ClientBuilder::region): expected a region such as ap-singapore, \
         but the value contains a line break at character 5 of 5"
    );
}
