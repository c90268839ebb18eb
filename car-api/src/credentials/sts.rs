//! Temporary credentials from STS `AssumeRole` (API 2018-08-13), signed with
//! longer-lived source credentials.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::cache::RefreshCache;
use super::cvm_role::unix_seconds;
use super::http_client::{describe_via, read_credentials_answer, LazyClient};
use super::{
    system_time_from_unix, unix_now, Credentials, CredentialsError, ProvideCredentials,
    ProvideFuture, DEFAULT_REFRESH_MARGIN,
};
use crate::config::{redact_userinfo, Endpoint};
use crate::http::HttpSettings;
use crate::signing::tc3_headers;

/// STS's public endpoint.
pub const DEFAULT_STS_ENDPOINT: &str = "sts.tencentcloudapi.com";
const STS_VERSION: &str = "2018-08-13";
// The official SDKs always call STS in this region; STS is global, the header is required.
const DEFAULT_STS_REGION: &str = "ap-guangzhou";
const DEFAULT_DURATION_SECONDS: u64 = 7200;

/// Calls `AssumeRole` with credentials from another provider; caches the result and
/// refreshes it before expiry. Concurrent callers share one refresh.
#[derive(Debug)]
pub struct StsAssumeRoleProvider {
    source: Arc<dyn ProvideCredentials>,
    role_arn: String,
    role_session_name: String,
    duration_seconds: u64,
    // A bad endpoint is reported when credentials are asked for, naming the source.
    endpoint: Result<Endpoint, String>,
    region: String,
    cache: RefreshCache,
    http: LazyClient,
    allow_insecure_http: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AssumeRoleRequest<'a> {
    role_arn: &'a str,
    role_session_name: &'a str,
    duration_seconds: u64,
}

fn parse_endpoint(raw: &str) -> Result<Endpoint, String> {
    Endpoint::parse_text(raw).map_err(|_| raw.to_string())
}

/// STS answers small requests quickly; without settings of their own these apply.
fn default_settings() -> HttpSettings {
    HttpSettings {
        connect_timeout: Duration::from_secs(3),
        timeout: Duration::from_secs(10),
        ..HttpSettings::default()
    }
}

impl StsAssumeRoleProvider {
    /// Assumes `role_arn` (e.g. `qcs::cam::uin/100000000001:roleName/car-ops`) as
    /// `role_session_name`, for 7200 s, through [`DEFAULT_STS_ENDPOINT`].
    pub fn new(
        source: Arc<dyn ProvideCredentials>,
        role_arn: impl Into<String>,
        role_session_name: impl Into<String>,
    ) -> Self {
        StsAssumeRoleProvider {
            source,
            role_arn: role_arn.into(),
            role_session_name: role_session_name.into(),
            duration_seconds: DEFAULT_DURATION_SECONDS,
            http: LazyClient::api(default_settings()),
            endpoint: parse_endpoint(DEFAULT_STS_ENDPOINT),
            region: DEFAULT_STS_REGION.to_owned(),
            cache: RefreshCache::new(DEFAULT_REFRESH_MARGIN),
            allow_insecure_http: false,
        }
    }

    /// Another endpoint: a host (`sts.internal.tencentcloudapi.com`, HTTPS) or a URL
    /// such as `http://127.0.0.1:8080`.
    pub fn with_endpoint(mut self, endpoint: &str) -> Self {
        self.endpoint = parse_endpoint(endpoint);
        self
    }

    /// The CA bundle, proxy and timeouts to call STS with (default: built-in roots, no
    /// proxy, 3 s to connect, 10 s in all). Its `allow_insecure_http` adds to
    /// [`StsAssumeRoleProvider::allow_insecure_http`].
    pub fn with_http_settings(mut self, settings: HttpSettings) -> Self {
        self.http = LazyClient::api(settings);
        self
    }

    /// Requested lifetime in seconds (STS allows up to 43200; default 7200).
    pub fn with_duration_seconds(mut self, seconds: u64) -> Self {
        self.duration_seconds = seconds;
        self
    }

    /// The `X-TC-Region` sent to STS (default `ap-guangzhou`, as the official SDKs).
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// How long before expiry to refresh (default 5 minutes).
    pub fn with_refresh_margin(mut self, margin: Duration) -> Self {
        self.cache.set_margin(margin);
        self
    }

    /// Accepts a plain `http://` endpoint on a host that is not loopback. Off by
    /// default: the answer carries new keys, and the request the source's token.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    fn source_name(&self) -> String {
        let at = match &self.endpoint {
            Ok(e) => e.url(),
            Err(raw) => {
                return format!(
                    "STS AssumeRole {} at {}",
                    self.role_arn,
                    redact_userinfo(raw)
                )
            }
        };
        format!("STS AssumeRole {} at {at}", self.role_arn)
    }

    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        let name = self.source_name();
        let endpoint = self.endpoint.as_ref().map_err(|raw| {
            CredentialsError::invalid(
                &name,
                format!("`{}` is not a usable STS endpoint", redact_userinfo(raw)),
            )
        })?;
        endpoint
            .check_transport(self.allow_insecure_http || self.http.settings().allow_insecure_http)
            .map_err(|why| CredentialsError::invalid(&name, why))?;
        let timestamp = unix_now().ok_or_else(|| {
            CredentialsError::invalid(&name, "the system clock is set before 1970")
        })?;
        let base = self.source.provide_credentials().await?;
        let client = self
            .http
            .get()
            .map_err(|e| CredentialsError::unavailable(&name, e))?;
        let body = serde_json::to_vec(&AssumeRoleRequest {
            role_arn: &self.role_arn,
            role_session_name: &self.role_session_name,
            duration_seconds: self.duration_seconds,
        })
        .map_err(|e| CredentialsError::invalid(&name, format!("cannot encode request: {e}")))?;
        let headers = tc3_headers(
            &base.secret_id,
            &base.secret_key,
            base.token(),
            "sts",
            STS_VERSION,
            "AssumeRole",
            Some(&self.region),
            endpoint.host(),
            timestamp,
            None,
            &body,
        );
        let mut request = client.post(endpoint.url()).body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = request.send().await.map_err(|e| {
            let proxy = self.http.settings().proxy.as_ref().map(|p| p.url());
            CredentialsError::unavailable(&name, describe_via(&e, proxy))
        })?;
        let (status, bytes) = read_credentials_answer(response)
            .await
            .map_err(|why| CredentialsError::unavailable(&name, why))?;
        parse_assume_role_response(status, &bytes, &name)
    }
}

impl ProvideCredentials for StsAssumeRoleProvider {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(async move {
            let name = self.source_name();
            self.cache.get_or_refresh(&name, || self.fetch()).await
        })
    }
}

/// Messages name fields, never their values (the body holds the new keys).
fn parse_assume_role_response(
    status: reqwest::StatusCode,
    body: &[u8],
    source: &str,
) -> Result<Credentials, CredentialsError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        CredentialsError::unavailable(
            source,
            format!(
                "HTTP {status}: response is not JSON (line {} column {})",
                e.line(),
                e.column()
            ),
        )
    })?;
    let Some(response) = value.get("Response") else {
        return Err(CredentialsError::unavailable(
            source,
            format!("HTTP {status}: response has no Response object"),
        ));
    };
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_owned();
    if let Some(error) = response.get("Error") {
        let code = text(error.get("Code"));
        if code.is_empty() {
            return Err(CredentialsError::unavailable(
                source,
                format!("HTTP {status}: response has an Error without a Code"),
            ));
        }
        return Err(CredentialsError::Service {
            source_name: source.to_owned(),
            code,
            message: text(error.get("Message")),
            request_id: text(response.get("RequestId")),
        });
    }
    let missing =
        |what: &str| CredentialsError::unavailable(source, format!("response lacks {what}"));
    let creds = response
        .get("Credentials")
        .ok_or_else(|| missing("Response.Credentials"))?;
    let field = |name: &str| {
        creds
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| missing(&format!("Response.Credentials.{name}")))
    };
    let expired = response
        .get("ExpiredTime")
        .and_then(unix_seconds)
        .ok_or_else(|| missing("Response.ExpiredTime"))?;
    super::check_credentials(
        Credentials::new(field("TmpSecretId")?, field("TmpSecretKey")?)
            .with_token(field("Token")?)
            .with_expiry(system_time_from_unix(expired)),
        source,
        ["TmpSecretId", "TmpSecretKey", "Token"],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        let e = parse_endpoint("sts.tencentcloudapi.com").unwrap();
        assert_eq!(
            (e.url(), e.host()),
            (
                "https://sts.tencentcloudapi.com/",
                "sts.tencentcloudapi.com"
            )
        );
        assert!(!e.is_loopback());
        let e = parse_endpoint("http://127.0.0.1:8080/").unwrap();
        assert_eq!(
            (e.url(), e.host()),
            ("http://127.0.0.1:8080/", "127.0.0.1:8080")
        );
        assert!(e.is_loopback());
        assert!(parse_endpoint("http://[::1]:9").unwrap().is_loopback());
        assert!(parse_endpoint("http://localhost:9").unwrap().is_loopback());
        assert_eq!(parse_endpoint("ftp://sts").unwrap_err(), "ftp://sts");
    }

    #[test]
    fn api_error_is_reported_with_code() {
        let body = br#"{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"bad sig"},"RequestId":"r-1"}}"#;
        let err = parse_assume_role_response(reqwest::StatusCode::OK, body, "STS").unwrap_err();
        assert_eq!(
            err.to_string(),
            "STS: AuthFailure.SignatureFailure: bad sig (RequestId: r-1)"
        );
    }
}
