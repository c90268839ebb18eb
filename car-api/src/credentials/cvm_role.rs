//! Temporary credentials of the CAM role bound to a CVM instance, from the
//! instance metadata service.

use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;

use crate::config::{redact_userinfo, Endpoint};
use crate::http::HttpSettings;

use super::cache::RefreshCache;
use super::http_client::{describe, read_credentials_answer, LazyClient};
use super::{
    system_time_from_unix, Credentials, CredentialsError, ProvideCredentials, ProvideFuture,
    DEFAULT_REFRESH_MARGIN,
};

/// The metadata service as seen from inside a CVM instance.
pub const DEFAULT_METADATA_BASE_URL: &str = "http://metadata.tencentyun.com";

const ROLE_PATH: &str = "/latest/meta-data/cam/security-credentials/";

/// Reads `{base}/latest/meta-data/cam/security-credentials/<role>`; caches the result
/// and refreshes it [`DEFAULT_REFRESH_MARGIN`] before `ExpiredTime`.
///
/// Off CVM the metadata host does not answer; the first call then gives up after
/// [`METADATA_PROBE_TIMEOUT`] with [`CredentialsError::NotConfigured`], so a chain skips it.
///
/// The metadata service speaks plain http by design, on an address reachable only from
/// inside the instance. So plain http is accepted for its own host
/// ([`DEFAULT_METADATA_BASE_URL`]) and for link-local and loopback addresses; any other
/// http host needs [`CvmRoleProvider::allow_insecure_http`]. Redirects are refused.
#[derive(Debug)]
pub struct CvmRoleProvider {
    base_url: String,
    allow_insecure_http: bool,
    // Discovered on first use; the instance's role rarely changes, and a 404 on the
    // role's credentials makes it be discovered again.
    role_name: Mutex<Option<String>>,
    cache: RefreshCache,
    http: LazyClient,
    probe_timeout: Duration,
    // Connect and whole-request timeouts, kept when the HTTP settings change.
    timeouts: (Duration, Duration),
}

/// The longest the first request to the metadata service may take: off CVM nothing
/// answers, and every command would otherwise wait for it.
pub const METADATA_PROBE_TIMEOUT: Duration = Duration::from_secs(1);

const METADATA_HOST: &str = "metadata.tencentyun.com";
const DEFAULT_METADATA_TIMEOUT: Duration = Duration::from_secs(3);

impl CvmRoleProvider {
    /// Uses [`DEFAULT_METADATA_BASE_URL`] and discovers the role name.
    pub fn new() -> Self {
        CvmRoleProvider {
            base_url: DEFAULT_METADATA_BASE_URL.to_owned(),
            allow_insecure_http: false,
            role_name: Mutex::new(None),
            cache: RefreshCache::new(DEFAULT_REFRESH_MARGIN),
            http: LazyClient::metadata(
                HttpSettings::default(),
                METADATA_PROBE_TIMEOUT,
                DEFAULT_METADATA_TIMEOUT,
            ),
            probe_timeout: METADATA_PROBE_TIMEOUT,
            timeouts: (METADATA_PROBE_TIMEOUT, DEFAULT_METADATA_TIMEOUT),
        }
    }

    /// Another metadata base URL (e.g. `http://127.0.0.1:PORT` in tests), without the
    /// path. An unusable one is reported when credentials are asked for (see also
    /// [`CvmRoleProvider::base_url_error`]).
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into().trim_end_matches('/').to_owned();
        self
    }

    /// Accepts a plain http base URL on any host.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Why the base URL cannot be used, if it cannot.
    pub fn base_url_error(&self) -> Option<String> {
        self.endpoint().err()
    }

    fn endpoint(&self) -> Result<Endpoint, String> {
        let bad = |why: &str| format!("`{}`: {why}", redact_userinfo(&self.base_url));
        if !self.base_url.contains("://") {
            return Err(bad("expected an http:// or https:// URL"));
        }
        let endpoint = Endpoint::parse(&self.base_url)
            .map_err(|_| bad("expected http(s)://host[:port] without user, path or query"))?;
        let link_local = endpoint
            .host_name()
            .parse::<IpAddr>()
            .is_ok_and(|ip| match ip {
                IpAddr::V4(v4) => v4.is_link_local(),
                IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
            });
        let own_host = endpoint.host_name().eq_ignore_ascii_case(METADATA_HOST);
        if endpoint.is_cleartext() && !(link_local || own_host) {
            endpoint
                .check_transport(self.allow_insecure_http)
                .map_err(|why| bad(&why))?;
        }
        Ok(endpoint)
    }

    /// The TLS settings (CA bundle) of `settings`; the metadata service keeps its own
    /// short timeouts and is never reached through a proxy, since it is link-local.
    /// Its `allow_insecure_http` adds to [`CvmRoleProvider::allow_insecure_http`].
    pub fn with_http_settings(mut self, settings: HttpSettings) -> Self {
        self.allow_insecure_http |= settings.allow_insecure_http;
        let (connect, total) = self.timeouts;
        self.http = LazyClient::metadata(settings, connect, total);
        self
    }

    /// Uses this role instead of asking the metadata service which one is bound.
    pub fn with_role_name(self, role_name: impl Into<String>) -> Self {
        if let Ok(mut role) = self.role_name.lock() {
            *role = Some(role_name.into());
        }
        self
    }

    /// How long before expiry to refresh (default 5 minutes).
    pub fn with_refresh_margin(mut self, margin: Duration) -> Self {
        self.cache.set_margin(margin);
        self
    }

    /// Connect and whole-request timeouts (default 1 s and 3 s). The first request,
    /// which finds out whether a metadata service exists at all, is cut off after
    /// [`METADATA_PROBE_TIMEOUT`] at most.
    pub fn with_timeouts(mut self, connect: Duration, total: Duration) -> Self {
        self.http = LazyClient::metadata(self.http.settings().clone(), connect, total);
        self.probe_timeout = total.min(METADATA_PROBE_TIMEOUT);
        self.timeouts = (connect, total);
        self
    }

    fn source_name(&self) -> String {
        format!(
            "CVM role credentials {}{ROLE_PATH}",
            redact_userinfo(&self.base_url)
        )
    }

    fn cached_role(&self) -> Option<String> {
        self.role_name.lock().ok().and_then(|r| r.clone())
    }

    fn remember_role(&self, role: Option<String>) {
        if let Ok(mut slot) = self.role_name.lock() {
            *slot = role;
        }
    }

    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        let source = self.source_name();
        let endpoint = self
            .endpoint()
            .map_err(|why| CredentialsError::invalid(&source, why))?;
        let base = endpoint.url().trim_end_matches('/');
        let client = self
            .http
            .get()
            .map_err(|e| CredentialsError::unavailable(&source, e))?;
        let role = match self.cached_role() {
            Some(role) => role,
            None => {
                let role = self.discover_role(client, base, &source).await?;
                self.remember_role(Some(role.clone()));
                role
            }
        };

        // The role name comes from the service (or the caller); escaped, it stays one
        // path segment whatever it holds.
        let url = format!("{base}{ROLE_PATH}{}", escape_path_segment(&role));
        let response = client
            .get(&url)
            .send()
            .await
            .map_err(|e| CredentialsError::unavailable(&source, describe(&e)))?;
        let (status, body) = read_credentials_answer(response)
            .await
            .map_err(|why| CredentialsError::unavailable(&source, why))?;
        if status == reqwest::StatusCode::NOT_FOUND {
            self.remember_role(None);
            return Err(CredentialsError::unavailable(
                &source,
                format!(
                    "role {:?} has no credentials (HTTP 404)",
                    role.escape_debug()
                ),
            ));
        }
        if !status.is_success() {
            return Err(CredentialsError::unavailable(
                &source,
                format!("HTTP {status} for role {:?}", role.escape_debug()),
            ));
        }
        parse_role_credentials(&body, &source)
    }

    async fn discover_role(
        &self,
        client: &reqwest::Client,
        base: &str,
        source: &str,
    ) -> Result<String, CredentialsError> {
        let url = format!("{base}{ROLE_PATH}");
        let response = match client.get(&url).timeout(self.probe_timeout).send().await {
            Ok(r) => r,
            // Nothing listening or answering: not on CVM, so not an error for a chain.
            Err(e) if e.is_connect() || e.is_timeout() => {
                return Err(CredentialsError::not_configured(
                    source,
                    format!("metadata service not reachable ({})", describe(&e)),
                ))
            }
            Err(e) => return Err(CredentialsError::unavailable(source, describe(&e))),
        };
        let (status, body) = read_credentials_answer(response)
            .await
            .map_err(|why| CredentialsError::unavailable(source, why))?;
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(CredentialsError::not_configured(
                source,
                "no CAM role is bound to this instance (HTTP 404)",
            ));
        }
        if !status.is_success() {
            return Err(CredentialsError::unavailable(
                source,
                format!("HTTP {status}"),
            ));
        }
        let text = String::from_utf8_lossy(&body);
        text.lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| {
                CredentialsError::not_configured(source, "no CAM role is bound to this instance")
            })
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn escape_path_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Default for CvmRoleProvider {
    fn default() -> Self {
        CvmRoleProvider::new()
    }
}

impl ProvideCredentials for CvmRoleProvider {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(async move {
            let source = self.source_name();
            self.cache.get_or_refresh(&source, || self.fetch()).await
        })
    }
}

/// Parses the metadata answer; messages never include the body (it holds the keys).
fn parse_role_credentials(body: &[u8], source: &str) -> Result<Credentials, CredentialsError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        CredentialsError::unavailable(
            source,
            format!(
                "response is not JSON (line {} column {})",
                e.line(),
                e.column()
            ),
        )
    })?;
    let code = value.get("Code").and_then(Value::as_str).unwrap_or("");
    if code != "Success" {
        return Err(CredentialsError::unavailable(
            source,
            format!("metadata service answered Code {code:?}"),
        ));
    }
    let field = |name: &str| {
        value
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| CredentialsError::unavailable(source, format!("response lacks {name}")))
    };
    let expired = value
        .get("ExpiredTime")
        .and_then(unix_seconds)
        .ok_or_else(|| CredentialsError::unavailable(source, "response lacks ExpiredTime"))?;
    super::check_credentials(
        Credentials::new(field("TmpSecretId")?, field("TmpSecretKey")?)
            .with_token(field("Token")?)
            .with_expiry(system_time_from_unix(expired)),
        source,
        ["TmpSecretId", "TmpSecretKey", "Token"],
    )
}

/// Unix seconds given as an integer, a float or a numeric string.
pub(crate) fn unix_seconds(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_do_not_leak_secrets() {
        let body = br#"{"TmpSecretId":"AKIDtmp","TmpSecretKey":"tmp-secret","Token":"tok","Code":"Failed"}"#;
        let msg = parse_role_credentials(body, "cvm").unwrap_err().to_string();
        assert!(
            !msg.contains("tmp-secret") && !msg.contains("tok\""),
            "{msg}"
        );
        let body = br#"{"TmpSecretId":"AKIDtmp","TmpSecretKey":"tmp-secret","Code":"Success","ExpiredTime":1}"#;
        let msg = parse_role_credentials(body, "cvm").unwrap_err().to_string();
        assert_eq!(msg, "cvm: response lacks Token");
    }

    #[test]
    fn role_names_stay_one_path_segment() {
        assert_eq!(escape_path_segment("car-ops_1.x~"), "car-ops_1.x~");
        assert_eq!(escape_path_segment("../../x y"), "..%2F..%2Fx%20y");
        assert_eq!(escape_path_segment("a?b#c"), "a%3Fb%23c");
    }

    #[test]
    fn base_urls_are_checked() {
        let error = |url: &str| CvmRoleProvider::new().with_base_url(url).base_url_error();
        for ok in [
            DEFAULT_METADATA_BASE_URL,
            "http://169.254.0.23",
            "http://127.0.0.1:8080/",
            "http://[fe80::1]:80",
            "https://metadata.example",
        ] {
            assert_eq!(error(ok), None, "{ok}");
        }
        let msg = error("http://metadata.example").unwrap();
        assert!(msg.contains("cleartext"), "{msg}");
        assert_eq!(
            CvmRoleProvider::new()
                .allow_insecure_http(true)
                .with_base_url("http://metadata.example")
                .base_url_error(),
            None
        );
        for bad in [
            "metadata.tencentyun.com",
            "http://h/latest",
            "ftp://h",
            "http://u:pw@h",
        ] {
            let msg = error(bad).unwrap();
            assert!(msg.contains("expected") && !msg.contains("pw"), "{msg}");
        }
    }

    #[test]
    fn parses_success() {
        let body = br#"{"TmpSecretId":"AKIDtmp","TmpSecretKey":"k","Token":"t","ExpiredTime":"1767225600","Expiration":"2026-01-01T00:00:00Z","Code":"Success"}"#;
        let c = parse_role_credentials(body, "cvm").unwrap();
        assert_eq!(c.expires_at, Some(system_time_from_unix(1_767_225_600)));
        assert_eq!(c.token.as_deref(), Some("t"));
    }
}
