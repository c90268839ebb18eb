//! Where API keys come from: a provider chain compatible with Tencent Cloud's official
//! SDKs and `tccli` (environment variables, `~/.tccli/<profile>.credential`,
//! `~/.tencentcloud/credentials`, CVM instance roles, STS AssumeRole).
//!
//! Every provider implements [`ProvideCredentials`] and can be shared as
//! `Arc<dyn ProvideCredentials>`. Most callers want [`DefaultChain`]:
//!
//! ```no_run
//! # async fn demo() -> Result<(), car_api::credentials::CredentialsError> {
//! use car_api::credentials::{DefaultChain, ProvideCredentials};
//! let chain = DefaultChain::builder().build();
//! let creds = chain.provide_credentials().await?;
//! # let _ = creds; Ok(()) }
//! ```
//!
//! Secrets never appear in `Debug` output, error messages or logs.

mod cache;
mod chain;
mod cvm_role;
mod env;
mod file_access;
pub(crate) mod http_client;
mod ini_file;
mod static_provider;
mod sts;
mod tccli;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use chain::{DefaultChain, DefaultChainBuilder, METADATA_ENDPOINT_VAR};
pub use cvm_role::{CvmRoleProvider, DEFAULT_METADATA_BASE_URL, METADATA_PROBE_TIMEOUT};
pub use env::{
    Env, EnvProvider, REGION_VAR, SECRET_ID_VAR, SECRET_KEY_VAR, SESSION_TOKEN_VAR, TOKEN_VAR,
};
pub use file_access::{set_warning_handler, CredentialsWarning};
pub use ini_file::{IniFileProvider, SYSTEM_CREDENTIALS_FILE};
pub use static_provider::StaticProvider;
pub use sts::{StsAssumeRoleProvider, DEFAULT_STS_ENDPOINT};
pub use tccli::{
    check_profile_name, profile_name_problem, tccli_profile_name, ServiceConfig, TccliConfig,
    TccliProfileProvider, PROFILE_VAR,
};

/// How long before expiry temporary credentials are refreshed by default.
///
/// Tencent rejects requests whose timestamp is more than 300 s off, so refreshing
/// five minutes early keeps signed requests valid even when they are retried.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// An API key pair, plus a session token and expiry for temporary credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// SecretId (`AKID...`).
    pub secret_id: String,
    /// SecretKey. Never shown by `Debug`.
    pub secret_key: String,
    /// Session token of temporary credentials, sent as `X-TC-Token`.
    pub token: Option<String>,
    /// When temporary credentials stop working; `None` for long-lived keys.
    pub expires_at: Option<SystemTime>,
}

impl Credentials {
    /// Long-lived credentials without token or expiry.
    pub fn new(secret_id: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Credentials {
            secret_id: secret_id.into(),
            secret_key: secret_key.into(),
            token: None,
            expires_at: None,
        }
    }

    /// Sets the session token; an empty token means none, as in the official SDKs.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        let token = token.into();
        self.token = (!token.is_empty()).then_some(token);
        self
    }

    /// Sets the expiry time.
    pub fn with_expiry(mut self, expires_at: SystemTime) -> Self {
        self.expires_at = Some(expires_at);
        self
    }

    /// The token as `Option<&str>`, ready for [`crate::signing::tc3_headers`].
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// True when `expires_at` is set and not after `now`.
    pub fn is_expired_at(&self, now: SystemTime) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// True when the credentials have expired.
    pub fn is_expired(&self) -> bool {
        self.is_expired_at(SystemTime::now())
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field(
                "secret_id",
                &crate::signing::mask_secret_id(&self.secret_id),
            )
            .field("secret_key", &"<redacted>")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("expires_at", &self.expires_at.map(format_system_time))
            .finish()
    }
}

/// Why credentials could not be had. Every message starts with the source it is about
/// (e.g. `environment`, `tccli profile file /home/x/.tccli/default.credential`) and
/// never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// The source holds nothing (file absent, variables unset); a chain moves on.
    #[error("{source_name}: {reason}")]
    NotConfigured {
        /// The source, e.g. `environment`.
        source_name: String,
        /// What was missing.
        reason: String,
    },
    /// The source exists but is unusable: malformed file, missing key, half-set variables.
    #[error("{source_name}: {reason}")]
    Invalid {
        /// The source, usually naming the file.
        source_name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The source gave credentials whose expiry has passed.
    #[error("{source_name}: credentials expired at {expired_at}")]
    Expired {
        /// The source.
        source_name: String,
        /// RFC 3339 UTC time of expiry.
        expired_at: String,
    },
    /// A remote source (metadata service, STS) could not be reached or answered badly.
    #[error("{source_name}: {reason}")]
    Unavailable {
        /// The source, with its URL.
        source_name: String,
        /// Transport error or unexpected status.
        reason: String,
    },
    /// A remote source answered with an API error.
    #[error("{source_name}: {}", service_text(.code, .message, .request_id))]
    Service {
        /// The source, with its URL.
        source_name: String,
        /// API error code, e.g. `AuthFailure.SecretIdNotFound`.
        code: String,
        /// API error message.
        message: String,
        /// RequestId of the failed call.
        request_id: String,
    },
    /// No source in a chain had credentials; lists what each one said.
    #[error("no credentials found: {}", join_attempts(.attempts))]
    NoneFound {
        /// Each source's answer, in chain order.
        attempts: Vec<CredentialsError>,
    },
}

impl CredentialsError {
    /// True when the source simply had nothing configured, so a chain may try the next one.
    pub fn is_not_configured(&self) -> bool {
        matches!(self, CredentialsError::NotConfigured { .. })
    }

    pub(crate) fn not_configured(
        source_name: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        CredentialsError::NotConfigured {
            source_name: source_name.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn invalid(source_name: impl Into<String>, reason: impl Into<String>) -> Self {
        CredentialsError::Invalid {
            source_name: source_name.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn unavailable(source_name: impl Into<String>, reason: impl Into<String>) -> Self {
        CredentialsError::Unavailable {
            source_name: source_name.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn expired(source_name: impl Into<String>, at: SystemTime) -> Self {
        CredentialsError::Expired {
            source_name: source_name.into(),
            expired_at: format_system_time(at),
        }
    }
}

/// `code: message (RequestId: id)`, leaving out the parts the server left empty.
fn service_text(code: &str, message: &str, request_id: &str) -> String {
    let mut out = code.to_owned();
    if !message.is_empty() {
        out.push_str(": ");
        out.push_str(message);
    }
    if !request_id.is_empty() {
        out.push_str(&format!(" (RequestId: {request_id})"));
    }
    out
}

fn join_attempts(attempts: &[CredentialsError]) -> String {
    if attempts.is_empty() {
        return "no sources configured".to_owned();
    }
    attempts
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The boxed future returned by [`ProvideCredentials::provide_credentials`].
pub type ProvideFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Credentials, CredentialsError>> + Send + 'a>>;

/// A source of credentials. Object safe, so it can be shared as `Arc<dyn ProvideCredentials>`.
///
/// Implementations that fetch temporary credentials cache them and refresh before
/// expiry; callers should ask for credentials before every request rather than keep them.
pub trait ProvideCredentials: Send + Sync + fmt::Debug {
    /// Returns currently valid credentials.
    fn provide_credentials(&self) -> ProvideFuture<'_>;
}

impl<T: ProvideCredentials + ?Sized> ProvideCredentials for Arc<T> {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        (**self).provide_credentials()
    }
}

impl<T: ProvideCredentials + ?Sized> ProvideCredentials for Box<T> {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        (**self).provide_credentials()
    }
}

/// Refuses whitespace and control characters in a key, token or region: they cannot
/// be sent in a header, and are nearly always a copy-and-paste slip. The message says
/// where, never what the value is.
pub(crate) fn check_plain_value(value: &str) -> Result<(), String> {
    match value
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_whitespace() || c.is_control())
    {
        Some((i, c)) => {
            let what = match c {
                ' ' => "a space".to_owned(),
                '\t' => "a tab".to_owned(),
                '\n' | '\r' => "a line break".to_owned(),
                c if c.is_whitespace() => format!("whitespace U+{:04X}", u32::from(c)),
                c => format!("control character U+{:04X}", u32::from(c)),
            };
            Err(format!(
                "contains {what} at character {} of {}",
                i + 1,
                value.chars().count()
            ))
        }
        None => Ok(()),
    }
}

/// Checks each part of `credentials`; `names` says what the SecretId, SecretKey and
/// token are called at the source (variable names, file keys).
pub(crate) fn check_credentials(
    credentials: Credentials,
    source: &str,
    names: [&str; 3],
) -> Result<Credentials, CredentialsError> {
    let parts = [
        Some(credentials.secret_id.as_str()),
        Some(credentials.secret_key.as_str()),
        credentials.token(),
    ];
    for (name, value) in names.iter().zip(parts) {
        if let Some(why) = value.and_then(|v| check_plain_value(v).err()) {
            return Err(CredentialsError::invalid(source, format!("{name} {why}")));
        }
    }
    Ok(credentials)
}

/// `SystemTime` from Unix seconds (negative values clamp to the epoch).
pub(crate) fn system_time_from_unix(secs: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).unwrap_or(0))
}

/// `YYYY-MM-DDTHH:MM:SSZ`, for messages about expiry.
pub(crate) fn format_system_time(t: SystemTime) -> String {
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    };
    let (y, m, d) = crate::signing::civil_from_unix(secs);
    let tod = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        tod / 3600,
        tod / 60 % 60,
        tod % 60
    )
}

/// Current Unix time in seconds; `None` when the clock is set before 1970.
pub(crate) fn unix_now() -> Option<i64> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secrets() {
        let c = Credentials::new("AKIDsecretidvalue", "the-secret-key-value")
            .with_token("the-session-token")
            .with_expiry(system_time_from_unix(1_767_225_600));
        let shown = format!("{c:?}");
        assert!(!shown.contains("the-secret-key-value"), "{shown}");
        assert!(!shown.contains("the-session-token"), "{shown}");
        assert!(!shown.contains("secretidvalue"), "{shown}");
        assert!(shown.contains("AKID****"), "{shown}");
        assert!(shown.contains("2026-01-01T00:00:00Z"), "{shown}");
    }

    #[test]
    fn whitespace_and_control_characters_are_named_by_position() {
        assert_eq!(check_plain_value("AKIDabc"), Ok(()));
        assert_eq!(
            check_plain_value("AKID abc").unwrap_err(),
            "contains a space at character 5 of 8"
        );
        assert_eq!(
            check_plain_value("key\n").unwrap_err(),
            "contains a line break at character 4 of 4"
        );
        assert_eq!(
            check_plain_value("a\u{7f}").unwrap_err(),
            "contains control character U+007F at character 2 of 2"
        );
        assert_eq!(
            check_plain_value("a\u{a0}").unwrap_err(),
            "contains whitespace U+00A0 at character 2 of 2"
        );
        let err = check_credentials(
            Credentials::new("id", "k\tey").with_token("t"),
            "environment",
            ["A", "B", "C"],
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment: B contains a tab at character 2 of 4"
        );
        assert!(!err.is_not_configured());
    }

    #[test]
    fn empty_token_means_none() {
        assert_eq!(Credentials::new("a", "b").with_token("").token, None);
    }

    #[test]
    fn formats_times() {
        assert_eq!(format_system_time(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            format_system_time(system_time_from_unix(1_551_113_065)),
            "2019-02-25T16:44:25Z"
        );
    }

    #[test]
    fn service_errors_leave_out_empty_parts() {
        let e = |message: &str, request_id: &str| CredentialsError::Service {
            source_name: "STS".into(),
            code: "InternalError".into(),
            message: message.into(),
            request_id: request_id.into(),
        };
        assert_eq!(
            e("", "r-1").to_string(),
            "STS: InternalError (RequestId: r-1)"
        );
        assert_eq!(e("down", "").to_string(), "STS: InternalError: down");
    }

    #[test]
    fn none_found_lists_attempts() {
        let e = CredentialsError::NoneFound {
            attempts: vec![
                CredentialsError::not_configured("environment", "not set"),
                CredentialsError::not_configured("ini", "absent"),
            ],
        };
        assert_eq!(
            e.to_string(),
            "no credentials found: environment: not set; ini: absent"
        );
    }
}
