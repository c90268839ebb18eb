//! Temporary credentials of the CAM role bound to a CVM instance, from the
//! instance metadata service.

use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;

use super::cache::RefreshCache;
use super::http_client::{describe, LazyClient};
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
/// Off CVM the metadata host does not answer; the first call then fails quickly
/// (1 s connect timeout) with [`CredentialsError::NotConfigured`], so a chain skips it.
#[derive(Debug)]
pub struct CvmRoleProvider {
    base_url: String,
    // Discovered on first use; the instance's role rarely changes, and a 404 on the
    // role's credentials makes it be discovered again.
    role_name: Mutex<Option<String>>,
    cache: RefreshCache,
    http: LazyClient,
}

impl CvmRoleProvider {
    /// Uses [`DEFAULT_METADATA_BASE_URL`] and discovers the role name.
    pub fn new() -> Self {
        CvmRoleProvider {
            base_url: DEFAULT_METADATA_BASE_URL.to_owned(),
            role_name: Mutex::new(None),
            cache: RefreshCache::new(DEFAULT_REFRESH_MARGIN),
            http: LazyClient::new(Duration::from_secs(1), Duration::from_secs(3), false),
        }
    }

    /// Another metadata base URL (e.g. `http://127.0.0.1:PORT` in tests), without the path.
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into().trim_end_matches('/').to_owned();
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

    /// Connect and whole-request timeouts (default 1 s and 3 s).
    pub fn with_timeouts(mut self, connect: Duration, total: Duration) -> Self {
        self.http = LazyClient::new(connect, total, false);
        self
    }

    fn source_name(&self) -> String {
        format!("CVM role credentials {}{ROLE_PATH}", self.base_url)
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
        let client = self
            .http
            .get()
            .map_err(|e| CredentialsError::unavailable(&source, e))?;
        let role = match self.cached_role() {
            Some(role) => role,
            None => {
                let role = self.discover_role(client, &source).await?;
                self.remember_role(Some(role.clone()));
                role
            }
        };

        let url = format!("{}{ROLE_PATH}{role}", self.base_url);
        let response = client
            .get(&url)
            .send()
            .await
            .map_err(|e| CredentialsError::unavailable(&source, describe(&e)))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            self.remember_role(None);
            return Err(CredentialsError::unavailable(
                &source,
                format!("role {role:?} has no credentials (HTTP 404)"),
            ));
        }
        if !status.is_success() {
            return Err(CredentialsError::unavailable(
                &source,
                format!("HTTP {status} for role {role:?}"),
            ));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| CredentialsError::unavailable(&source, describe(&e)))?;
        parse_role_credentials(&body, &source)
    }

    async fn discover_role(
        &self,
        client: &reqwest::Client,
        source: &str,
    ) -> Result<String, CredentialsError> {
        let url = format!("{}{ROLE_PATH}", self.base_url);
        let response = match client.get(&url).send().await {
            Ok(r) => r,
            // Nothing listening: not on CVM, so not an error for a chain.
            Err(e) if e.is_connect() || e.is_timeout() => {
                return Err(CredentialsError::not_configured(
                    source,
                    format!("metadata service not reachable ({})", describe(&e)),
                ))
            }
            Err(e) => return Err(CredentialsError::unavailable(source, describe(&e))),
        };
        let status = response.status();
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
        let text = response
            .text()
            .await
            .map_err(|e| CredentialsError::unavailable(source, describe(&e)))?;
        text.lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| {
                CredentialsError::not_configured(source, "no CAM role is bound to this instance")
            })
    }
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
    Ok(
        Credentials::new(field("TmpSecretId")?, field("TmpSecretKey")?)
            .with_token(field("Token")?)
            .with_expiry(system_time_from_unix(expired)),
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
    fn parses_success() {
        let body = br#"{"TmpSecretId":"AKIDtmp","TmpSecretKey":"k","Token":"t","ExpiredTime":"1767225600","Expiration":"2026-01-01T00:00:00Z","Code":"Success"}"#;
        let c = parse_role_credentials(body, "cvm").unwrap();
        assert_eq!(c.expires_at, Some(system_time_from_unix(1_767_225_600)));
        assert_eq!(c.token.as_deref(), Some("t"));
    }
}
