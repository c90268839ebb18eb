//! The default provider chain: explicit > environment > tccli profile >
//! `~/.tencentcloud/credentials` > CVM instance role.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::OnceCell;

use super::cvm_role::{CvmRoleProvider, DEFAULT_METADATA_BASE_URL};
use super::env::{Env, EnvProvider, REGION_VAR};
use super::ini_file::{IniFileProvider, SYSTEM_CREDENTIALS_FILE};
use super::static_provider::StaticProvider;
use super::tccli::{tccli_profile_name, TccliConfig, TccliProfileProvider};
use super::{Credentials, CredentialsError, ProvideCredentials, ProvideFuture};
use crate::http::HttpSettings;

/// Environment variable that overrides (or, set to `off`, disables) the metadata service.
pub const METADATA_ENDPOINT_VAR: &str = "CAR_METADATA_ENDPOINT";

/// Tries each source in order and sticks with the first that has credentials.
///
/// A source with nothing configured is skipped; a source that is configured but broken
/// (malformed file, half-set variables, expired keys) stops the chain with its error,
/// since silently falling through to other keys would hide the mistake. When nothing
/// is found the error lists what every source said.
///
/// As with tccli, an explicitly chosen profile ([`DefaultChainBuilder::profile`]) skips
/// the environment variables: asking for a profile means that profile's keys.
#[derive(Debug)]
pub struct DefaultChain {
    sources: Vec<Arc<dyn ProvideCredentials>>,
    resolved: OnceCell<Arc<dyn ProvideCredentials>>,
    profile: String,
    profile_is_explicit: bool,
    home: Option<PathBuf>,
    env: Env,
}

/// Configures a [`DefaultChain`]; every input that normally comes from the machine
/// (environment, home directory, metadata service) can be replaced.
#[derive(Debug, Clone)]
pub struct DefaultChainBuilder {
    explicit: Option<Credentials>,
    profile: Option<String>,
    home: Option<PathBuf>,
    env: Env,
    metadata_base_url: Option<String>,
    system_credentials_file: Option<PathBuf>,
    sts_endpoint: Option<String>,
    // The profile's `sts.endpoint`, read by the config loader; an explicit one wins.
    sts_endpoint_default: Option<String>,
    allow_insecure_http: bool,
    http: Option<HttpSettings>,
}

impl Default for DefaultChainBuilder {
    fn default() -> Self {
        DefaultChainBuilder {
            explicit: None,
            profile: None,
            home: None,
            env: Env::process(),
            metadata_base_url: Some(DEFAULT_METADATA_BASE_URL.to_owned()),
            system_credentials_file: Some(PathBuf::from(SYSTEM_CREDENTIALS_FILE)),
            sts_endpoint: None,
            sts_endpoint_default: None,
            allow_insecure_http: false,
            http: None,
        }
    }
}

impl DefaultChainBuilder {
    /// Credentials given by the caller; they win over every other source.
    pub fn explicit(mut self, credentials: Credentials) -> Self {
        self.explicit = Some(credentials);
        self
    }

    /// The tccli / INI profile (default: `TCCLI_PROFILE`, else `default`).
    pub fn profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// The home directory holding `.tccli/` and `.tencentcloud/` (default: `HOME`).
    pub fn home(mut self, home: impl Into<PathBuf>) -> Self {
        self.home = Some(home.into());
        self
    }

    /// Where environment variables come from (default: the process environment).
    pub fn env(mut self, env: Env) -> Self {
        self.env = env;
        self
    }

    /// Metadata service base URL for the CVM role source.
    pub fn metadata_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.metadata_base_url = Some(base_url.into());
        self
    }

    /// Leaves out the CVM role source (and so never contacts the metadata service).
    pub fn without_cvm_role(mut self) -> Self {
        self.metadata_base_url = None;
        self
    }

    /// Machine-wide INI file read when `~/.tencentcloud/credentials` is absent
    /// (default [`SYSTEM_CREDENTIALS_FILE`]; `None` to skip).
    pub fn system_credentials_file(mut self, path: Option<PathBuf>) -> Self {
        self.system_credentials_file = path;
        self
    }

    /// STS endpoint for role profiles, overriding the profile's `sts.endpoint`.
    pub fn sts_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.sts_endpoint = Some(endpoint.into());
        self
    }

    /// The HTTP settings (CA bundle, proxy, timeouts) for STS; the metadata service
    /// takes the same TLS settings but its own timeouts and never a proxy.
    pub fn http_settings(mut self, settings: HttpSettings) -> Self {
        self.http = Some(settings);
        self
    }

    pub(crate) fn sts_endpoint_default(mut self, endpoint: String) -> Self {
        self.sts_endpoint_default = Some(endpoint);
        self
    }

    pub(crate) fn env_ref(&self) -> &Env {
        &self.env
    }

    pub(crate) fn profile_ref(&self) -> Option<&str> {
        self.profile.as_deref().filter(|p| !p.is_empty())
    }

    pub(crate) fn home_ref(&self) -> Option<&PathBuf> {
        self.home.as_ref()
    }

    /// Allows a plain `http://` STS endpoint on a host that is not loopback (off by
    /// default: the answer carries new keys). The metadata service is always allowed
    /// plain http on its own host and on link-local and loopback addresses.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Builds the chain. Does no I/O; sources are read on first use.
    ///
    /// `CAR_METADATA_ENDPOINT` in the environment replaces the default metadata service
    /// URL, and `off` there leaves the CVM role source out, so sandboxes and tests never
    /// reach for a host they cannot have.
    pub fn build(mut self) -> DefaultChain {
        let mut metadata_source = "metadata service";
        if self.metadata_base_url.as_deref() == Some(DEFAULT_METADATA_BASE_URL) {
            match self.env.get(METADATA_ENDPOINT_VAR).as_deref() {
                Some("off") => self.metadata_base_url = None,
                Some(url) if !url.is_empty() => {
                    self.metadata_base_url = Some(url.to_owned());
                    metadata_source = METADATA_ENDPOINT_VAR;
                }
                _ => {}
            }
        }
        let insecure = self.allow_insecure_http;
        let env = self.env;
        let home = self.home.or_else(|| env.home_dir());
        let profile_is_explicit = self.profile.is_some();
        let profile = tccli_profile_name(self.profile.as_deref(), &env);

        let mut sources: Vec<Arc<dyn ProvideCredentials>> = Vec::new();
        if let Some(credentials) = self.explicit {
            sources.push(Arc::new(StaticProvider::new(credentials)));
        }
        if profile_is_explicit {
            sources.push(Arc::new(Skipped(CredentialsError::not_configured(
                "environment",
                format!("not used because profile {profile:?} was chosen explicitly"),
            ))));
        } else {
            sources.push(Arc::new(EnvProvider::with_env(env.clone())));
        }
        match &home {
            Some(home) => {
                let mut tccli =
                    TccliProfileProvider::new(home, profile.clone()).allow_insecure_http(insecure);
                if let Some(url) = &self.metadata_base_url {
                    tccli = tccli.with_metadata_base_url(url.clone());
                }
                if let Some(endpoint) = self
                    .sts_endpoint
                    .as_ref()
                    .or(self.sts_endpoint_default.as_ref())
                {
                    tccli = tccli.with_sts_endpoint(endpoint.clone());
                }
                if let Some(http) = &self.http {
                    tccli = tccli.with_http_settings(http.clone());
                }
                sources.push(Arc::new(tccli));
                let mut ini = IniFileProvider::new(home, profile.clone());
                if let Some(path) = self.system_credentials_file {
                    ini = ini.with_fallback(path);
                }
                sources.push(Arc::new(ini));
            }
            None => {
                sources.push(Arc::new(Skipped(CredentialsError::not_configured(
                    "tccli profile and credentials files",
                    "no home directory (HOME is not set)",
                ))));
                if let Some(path) = self.system_credentials_file {
                    sources.push(Arc::new(IniFileProvider::with_path(path, profile.clone())));
                }
            }
        }
        if let Some(url) = self.metadata_base_url {
            let mut cvm = CvmRoleProvider::new()
                .allow_insecure_http(insecure)
                .with_base_url(url);
            if let Some(http) = &self.http {
                cvm = cvm.with_http_settings(http.clone());
            }
            // A bad CAR_METADATA_ENDPOINT is reported as such, not as an unreachable host.
            match cvm.base_url_error() {
                Some(why) => sources.push(Arc::new(Skipped(CredentialsError::invalid(
                    metadata_source,
                    why,
                )))),
                None => sources.push(Arc::new(cvm)),
            }
        }

        DefaultChain {
            sources,
            resolved: OnceCell::new(),
            profile,
            profile_is_explicit,
            home,
            env,
        }
    }
}

impl Default for DefaultChain {
    fn default() -> Self {
        DefaultChain::new()
    }
}

impl DefaultChain {
    /// The chain with every input taken from the machine (same as `builder().build()`).
    pub fn new() -> Self {
        DefaultChainBuilder::default().build()
    }

    /// A builder with every input taken from the machine.
    pub fn builder() -> DefaultChainBuilder {
        DefaultChainBuilder::default()
    }

    /// The profile name in use.
    pub fn profile(&self) -> &str {
        &self.profile
    }

    /// The home directory in use, if any.
    pub fn home(&self) -> Option<&Path> {
        self.home.as_deref()
    }

    /// The profile's tccli `.configure` file, if it exists.
    pub fn tccli_config(&self) -> Result<Option<TccliConfig>, CredentialsError> {
        match &self.home {
            Some(home) => TccliConfig::load(home, &self.profile),
            None => Ok(None),
        }
    }

    /// The region tccli would use: `TENCENTCLOUD_REGION` (unless a profile was chosen
    /// explicitly), else the profile's configured region.
    ///
    /// A region with whitespace or control characters is an error naming its source.
    pub fn region(&self) -> Result<Option<String>, CredentialsError> {
        if !self.profile_is_explicit {
            if let Some(region) = self.env.region() {
                super::check_plain_value(&region).map_err(|why| {
                    CredentialsError::invalid("environment", format!("{REGION_VAR} {why}"))
                })?;
                return Ok(Some(region));
            }
        }
        let Some(config) = self.tccli_config()? else {
            return Ok(None);
        };
        match config.region() {
            Some(region) => {
                super::check_plain_value(region).map_err(|why| {
                    CredentialsError::invalid(
                        format!("tccli config file {}", config.path().display()),
                        format!("region {why}"),
                    )
                })?;
                Ok(Some(region.to_owned()))
            }
            None => Ok(None),
        }
    }

    async fn provide(&self) -> Result<Credentials, CredentialsError> {
        if let Some(provider) = self.resolved.get() {
            return provider.provide_credentials().await;
        }
        let mut first = None;
        let provider = self
            .resolved
            .get_or_try_init(|| async {
                let mut attempts = Vec::new();
                for source in &self.sources {
                    match source.provide_credentials().await {
                        Ok(credentials) => {
                            // Long-lived keys are kept as they are; temporary ones stay
                            // with their source, which knows how to refresh them.
                            let keep: Arc<dyn ProvideCredentials> =
                                if credentials.expires_at.is_none() {
                                    Arc::new(StaticProvider::new(credentials.clone()))
                                } else {
                                    source.clone()
                                };
                            tracing::debug!(source = ?source, "credentials resolved");
                            first = Some(credentials);
                            return Ok(keep);
                        }
                        Err(e) if e.is_not_configured() => attempts.push(e),
                        Err(e) => return Err(e),
                    }
                }
                Err(CredentialsError::NoneFound { attempts })
            })
            .await?;
        match first {
            Some(credentials) => Ok(credentials),
            // Another caller resolved the chain while this one waited.
            None => provider.provide_credentials().await,
        }
    }
}

impl ProvideCredentials for DefaultChain {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(self.provide())
    }
}

/// A source left out of the chain, kept so the final error can say why.
#[derive(Debug)]
struct Skipped(CredentialsError);

impl ProvideCredentials for Skipped {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        let err = self.0.clone();
        Box::pin(async move { Err(err) })
    }
}
