//! tccli's profile files in `~/.tccli/`:
//!
//! * `<profile>.credential`: JSON `{"secretId", "secretKey", "token"?}`; or with
//!   `"role-arn"`/`"role-session-name"` (STS AssumeRole with those keys); or
//!   `{"type": "cvm-role"}`; `oauth`/`sso` logins also store `"expiresAt"` (Unix s).
//! * `<profile>.configure`: JSON with `"_sys_param": {"region", "output", "language"}`
//!   (tccli before 3.0.30 wrote these at the top level, and still migrates them) and one
//!   object per service, e.g. `"car": {"endpoint": "car.tencentcloudapi.com", "version": "2022-01-10"}`.
//!
//! The profile name comes from an explicit argument, else `TCCLI_PROFILE`, else `default`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use super::cvm_role::{unix_seconds, CvmRoleProvider, DEFAULT_METADATA_BASE_URL};
use super::env::Env;
use super::file_access::{parse_json, read_optional};
use super::static_provider::StaticProvider;
use super::sts::StsAssumeRoleProvider;
use super::{
    system_time_from_unix, Credentials, CredentialsError, ProvideCredentials, ProvideFuture,
};
use crate::http::HttpSettings;

/// tccli's profile variable.
pub const PROFILE_VAR: &str = "TCCLI_PROFILE";
const SYS_PARAM: &str = "_sys_param";

/// The profile name tccli would use: `explicit`, else `TCCLI_PROFILE`, else `default`.
pub fn tccli_profile_name(explicit: Option<&str>, env: &Env) -> String {
    explicit
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .or_else(|| env.get(PROFILE_VAR))
        .unwrap_or_else(|| "default".to_owned())
}

/// Why `name` cannot be a tccli profile name, if it cannot.
///
/// tccli takes any profile name and makes it part of a file name,
/// `~/.tccli/NAME.credential`, so the one rule that keeps reads and writes inside
/// `~/.tccli` is that the name is a single plain file-name component: not empty, `.` or
/// `..`, and without `/`, `\` or control characters. Every other name tccli accepts
/// (`my work.2`, say) stays usable.
pub fn profile_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() || name == "." || name == ".." {
        Some("it must name a file in ~/.tccli")
    } else if name.contains(['/', '\\']) {
        Some("it must not contain / or \\, since it names a file in ~/.tccli")
    } else if name.chars().any(char::is_control) {
        Some("it must not contain control characters")
    } else {
        None
    }
}

/// Refuses a profile name that would lead outside `~/.tccli` (see
/// [`profile_name_problem`]).
pub fn check_profile_name(name: &str) -> Result<(), CredentialsError> {
    match profile_name_problem(name) {
        None => Ok(()),
        Some(why) => Err(CredentialsError::invalid(
            "tccli profile",
            format!(
                "\"{}\" is not a valid profile name: {why}",
                name.escape_debug()
            ),
        )),
    }
}

fn tccli_dir(home: &Path) -> PathBuf {
    home.join(".tccli")
}

/// Endpoint and API version for one service in a `.configure` file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceConfig {
    /// Host such as `car.intl.tencentcloudapi.com` (tccli stores hosts, not URLs).
    pub endpoint: Option<String>,
    /// API version such as `2022-01-10`.
    pub version: Option<String>,
}

/// The settings of a tccli `<profile>.configure` file that matter to this crate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TccliConfig {
    path: PathBuf,
    region: Option<String>,
    output: Option<String>,
    language: Option<String>,
    services: BTreeMap<String, ServiceConfig>,
}

impl TccliConfig {
    /// `<home>/.tccli/<profile>.configure`.
    pub fn path_for(home: &Path, profile: &str) -> PathBuf {
        tccli_dir(home).join(format!("{profile}.configure"))
    }

    /// Reads `<home>/.tccli/<profile>.configure`; `Ok(None)` when it does not exist.
    /// An invalid profile name (see [`check_profile_name`]) is an error: nothing outside
    /// `~/.tccli` is read.
    pub fn load(home: &Path, profile: &str) -> Result<Option<TccliConfig>, CredentialsError> {
        check_profile_name(profile)?;
        Self::load_path(&Self::path_for(home, profile))
    }

    /// Reads a `.configure` file at any path; `Ok(None)` when it does not exist.
    pub fn load_path(path: &Path) -> Result<Option<TccliConfig>, CredentialsError> {
        let source = format!("tccli config file {}", path.display());
        match read_optional(path, &source, false)? {
            Some(text) => Self::parse(&text, path).map(Some),
            None => Ok(None),
        }
    }

    /// Parses `.configure` JSON; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<TccliConfig, CredentialsError> {
        let source = format!("tccli config file {}", path.display());
        let value = parse_json(text, &source)?;
        let Value::Object(root) = value else {
            return Err(CredentialsError::invalid(&source, "expected a JSON object"));
        };
        let sys = root.get(SYS_PARAM).and_then(Value::as_object);
        // `_sys_param` wins; top-level keys are the pre-3.0.30 layout.
        let setting = |key: &str| {
            sys.and_then(|s| string_at(s, key))
                .or_else(|| string_at(&root, key))
        };
        let services = root
            .iter()
            .filter(|(name, _)| name.as_str() != SYS_PARAM)
            .filter_map(|(name, v)| {
                let obj = v.as_object()?;
                Some((
                    name.clone(),
                    ServiceConfig {
                        endpoint: string_at(obj, "endpoint"),
                        version: string_at(obj, "version"),
                    },
                ))
            })
            .collect();
        Ok(TccliConfig {
            path: path.to_path_buf(),
            region: setting("region"),
            output: setting("output"),
            language: setting("language"),
            services,
        })
    }

    /// The file this was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Default region (`tccli configure set region ...`).
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// Output format: `json`, `table` or `text`.
    pub fn output(&self) -> Option<&str> {
        self.output.as_deref()
    }

    /// Language for `X-TC-Language`: `zh-CN` or `en-US`.
    pub fn language(&self) -> Option<&str> {
        self.language.as_deref()
    }

    /// Settings of one service (`car`, `sts`, ...).
    pub fn service(&self, name: &str) -> Option<&ServiceConfig> {
        self.services.get(name)
    }

    /// `car.endpoint`.
    pub fn car_endpoint(&self) -> Option<&str> {
        self.service("car").and_then(|s| s.endpoint.as_deref())
    }

    /// `car.version`.
    pub fn car_version(&self) -> Option<&str> {
        self.service("car").and_then(|s| s.version.as_deref())
    }

    /// `sts.endpoint`, used for profiles with `role-arn`.
    pub fn sts_endpoint(&self) -> Option<&str> {
        self.service("sts").and_then(|s| s.endpoint.as_deref())
    }
}

fn string_at(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Credentials from `<home>/.tccli/<profile>.credential`, following tccli's rules for
/// role and CVM-role profiles.
#[derive(Debug)]
pub struct TccliProfileProvider {
    home: PathBuf,
    profile: String,
    metadata_base_url: String,
    sts_endpoint: Option<String>,
    allow_insecure_http: bool,
    http: Option<HttpSettings>,
    // Role profiles get one long-lived provider so its cache (and refresh dedup)
    // survives across calls.
    delegate: Mutex<Option<Arc<dyn ProvideCredentials>>>,
}

impl TccliProfileProvider {
    /// Reads `<home>/.tccli/<profile>.credential`.
    pub fn new(home: &Path, profile: impl Into<String>) -> Self {
        TccliProfileProvider {
            home: home.to_path_buf(),
            profile: profile.into(),
            metadata_base_url: DEFAULT_METADATA_BASE_URL.to_owned(),
            sts_endpoint: None,
            allow_insecure_http: false,
            http: None,
            delegate: Mutex::new(None),
        }
    }

    /// Accepts a plain `http://` STS or metadata endpoint on a host that is not
    /// loopback (see [`StsAssumeRoleProvider::allow_insecure_http`]).
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// The HTTP settings (CA bundle, proxy, timeouts) for STS in role profiles, and the
    /// TLS settings for the metadata service in CVM-role profiles.
    pub fn with_http_settings(mut self, settings: HttpSettings) -> Self {
        self.http = Some(settings);
        self
    }

    /// Metadata service for `"type": "cvm-role"` profiles.
    pub fn with_metadata_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.metadata_base_url = base_url.into();
        self
    }

    /// STS endpoint for `role-arn` profiles, overriding `sts.endpoint` in `.configure`.
    pub fn with_sts_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.sts_endpoint = Some(endpoint.into());
        self
    }

    /// The profile name.
    pub fn profile(&self) -> &str {
        &self.profile
    }

    /// `<home>/.tccli/<profile>.credential`.
    pub fn credential_path(&self) -> PathBuf {
        tccli_dir(&self.home).join(format!("{}.credential", self.profile))
    }

    fn delegate(&self) -> Option<Arc<dyn ProvideCredentials>> {
        self.delegate.lock().ok().and_then(|d| d.clone())
    }

    /// Keeps the first delegate if another caller set one meanwhile.
    fn set_delegate(&self, new: Arc<dyn ProvideCredentials>) -> Arc<dyn ProvideCredentials> {
        match self.delegate.lock() {
            Ok(mut slot) => slot.get_or_insert(new).clone(),
            Err(_) => new,
        }
    }

    async fn provide(&self) -> Result<Credentials, CredentialsError> {
        if let Some(delegate) = self.delegate() {
            return delegate.provide_credentials().await;
        }
        check_profile_name(&self.profile)?;
        let path = self.credential_path();
        let source = format!("tccli profile file {}", path.display());
        let Some(text) = read_optional(&path, &source, true)? else {
            return Err(CredentialsError::not_configured(&source, "file not found"));
        };
        let Value::Object(file) = parse_json(&text, &source)? else {
            return Err(CredentialsError::invalid(&source, "expected a JSON object"));
        };

        if optional_str(&file, "type", &source)? == Some("cvm-role") {
            let mut cvm = CvmRoleProvider::new()
                .allow_insecure_http(self.allow_insecure_http)
                .with_base_url(self.metadata_base_url.clone());
            if let Some(http) = &self.http {
                cvm = cvm.with_http_settings(http.clone());
            }
            return self.set_delegate(Arc::new(cvm)).provide_credentials().await;
        }

        let credentials = read_keys(&file, &source)?;
        let role_arn = optional_str(&file, "role-arn", &source)?;
        let session = optional_str(&file, "role-session-name", &source)?;
        match (role_arn, session) {
            (Some(role_arn), Some(session)) => {
                let endpoint = match &self.sts_endpoint {
                    Some(e) => Some(e.clone()),
                    None => TccliConfig::load(&self.home, &self.profile)?
                        .and_then(|c| c.sts_endpoint().map(str::to_owned)),
                };
                let base = StaticProvider::named(credentials, source);
                let mut sts = StsAssumeRoleProvider::new(Arc::new(base), role_arn, session)
                    .allow_insecure_http(self.allow_insecure_http);
                if let Some(http) = &self.http {
                    sts = sts.with_http_settings(http.clone());
                }
                if let Some(endpoint) = endpoint {
                    sts = sts.with_endpoint(&endpoint);
                }
                self.set_delegate(Arc::new(sts)).provide_credentials().await
            }
            (Some(_), None) => Err(CredentialsError::invalid(
                &source,
                "\"role-arn\" is set but \"role-session-name\" is not",
            )),
            (None, Some(_)) => Err(CredentialsError::invalid(
                &source,
                "\"role-session-name\" is set but \"role-arn\" is not",
            )),
            (None, None) => match credentials.expires_at {
                Some(at) if credentials.is_expired() => Err(CredentialsError::expired(&source, at)),
                _ => Ok(credentials),
            },
        }
    }
}

impl ProvideCredentials for TccliProfileProvider {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(self.provide())
    }
}

/// `secretId`, `secretKey`, optional `token` and `expiresAt`.
fn read_keys(file: &Map<String, Value>, source: &str) -> Result<Credentials, CredentialsError> {
    let required = |key: &str| {
        optional_str(file, key, source)?
            .ok_or_else(|| CredentialsError::invalid(source, format!("missing \"{key}\"")))
    };
    let mut credentials = Credentials::new(required("secretId")?, required("secretKey")?);
    if let Some(token) = optional_str(file, "token", source)? {
        credentials = credentials.with_token(token);
    }
    if let Some(v) = file.get("expiresAt").filter(|v| !v.is_null()) {
        let secs = unix_seconds(v).ok_or_else(|| {
            CredentialsError::invalid(source, "\"expiresAt\" is not a Unix time in seconds")
        })?;
        credentials = credentials.with_expiry(system_time_from_unix(secs));
    }
    super::check_credentials(
        credentials,
        source,
        ["\"secretId\"", "\"secretKey\"", "\"token\""],
    )
}

/// A string value; `null` and `""` count as absent (tccli writes both).
fn optional_str<'a>(
    file: &'a Map<String, Value>,
    key: &str,
    source: &str,
) -> Result<Option<&'a str>, CredentialsError> {
    match file.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(CredentialsError::invalid(
            source,
            format!("\"{key}\" must be a string"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configure_current_and_legacy_layouts() {
        let current = r#"{"_sys_param":{"region":"ap-singapore","output":"table","language":"en-US"},
            "car":{"endpoint":"car.intl.tencentcloudapi.com","version":"2022-01-10"},
            "sts":{"endpoint":"sts.intl.tencentcloudapi.com","version":"2018-08-13"}}"#;
        let c = TccliConfig::parse(current, Path::new("x.configure")).unwrap();
        assert_eq!(c.region(), Some("ap-singapore"));
        assert_eq!(c.output(), Some("table"));
        assert_eq!(c.language(), Some("en-US"));
        assert_eq!(c.car_endpoint(), Some("car.intl.tencentcloudapi.com"));
        assert_eq!(c.car_version(), Some("2022-01-10"));
        assert_eq!(c.sts_endpoint(), Some("sts.intl.tencentcloudapi.com"));

        let legacy = r#"{"region":"ap-guangzhou","output":"json","car":{"endpoint":"car.tencentcloudapi.com"}}"#;
        let c = TccliConfig::parse(legacy, Path::new("x.configure")).unwrap();
        assert_eq!(
            (c.region(), c.output()),
            (Some("ap-guangzhou"), Some("json"))
        );
        assert_eq!(c.car_version(), None);
    }

    #[test]
    fn profile_names_cannot_leave_the_tccli_directory() {
        for ok in ["default", "prod-2", "a.b_c", "my work.2", ".hidden"] {
            assert_eq!(check_profile_name(ok), Ok(()), "{ok}");
        }
        let home = tempfile::tempdir().unwrap();
        // A readable file one level up: a traversal would find and parse it.
        std::fs::write(home.path().join("x.configure"), r#"{"region":"ap-x"}"#).unwrap();
        std::fs::create_dir(home.path().join(".tccli")).unwrap();
        for bad in ["../x", "..", ".", "a/b", "a\\b", "", "x\u{0}"] {
            let err = TccliConfig::load(home.path(), bad).unwrap_err();
            assert!(
                err.to_string().contains("not a valid profile name"),
                "{bad}: {err}"
            );
        }
        let provider = TccliProfileProvider::new(home.path(), "../x");
        let err = block_on(provider.provide_credentials()).unwrap_err();
        assert!(
            err.to_string().contains("not a valid profile name"),
            "{err}"
        );
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn profile_name_precedence() {
        let env = Env::from_map([(PROFILE_VAR, "fromenv")]);
        assert_eq!(tccli_profile_name(Some("cli"), &env), "cli");
        assert_eq!(tccli_profile_name(None, &env), "fromenv");
        assert_eq!(
            tccli_profile_name(None, &Env::from_map::<&str, &str>([])),
            "default"
        );
    }
}
