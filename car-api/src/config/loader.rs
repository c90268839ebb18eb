//! The resolver: every setting from its strongest source, the profile read once.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::{ConfigError, Endpoint, Origin, Setting, Site};
use crate::credentials::{
    self, profile_name_problem, tccli_profile_name, Credentials, CvmRoleProvider,
    DefaultChainBuilder, ProvideCredentials, StsAssumeRoleProvider, TccliConfig,
    METADATA_ENDPOINT_VAR, PROFILE_VAR, REGION_VAR,
};
use crate::error::Error;
use crate::http::{load_ca_bundle, HttpSettings, ProxySettings};

/// The environment variable naming a CA bundle, as OpenSSL and Python read it.
const CA_BUNDLE_VAR: &str = "SSL_CERT_FILE";
/// Proxy variables, in the order they are read (upper case first, as `requests`).
const PROXY_VARS: [&str; 2] = ["HTTPS_PROXY", "https_proxy"];
const NO_PROXY_VARS: [&str; 2] = ["NO_PROXY", "no_proxy"];
/// The values `X-TC-Language` takes.
const LANGUAGES: [&str; 2] = ["en-US", "zh-CN"];

/// The output format a command line prints in; the library itself ignores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// JSON, as tccli prints it (the default).
    #[default]
    Json,
    /// Boxed columns.
    Table,
    /// Tab-separated values.
    Text,
}

impl OutputFormat {
    fn parse(s: &str) -> Option<OutputFormat> {
        match s {
            "json" => Some(OutputFormat::Json),
            "table" => Some(OutputFormat::Table),
            "text" => Some(OutputFormat::Text),
            _ => None,
        }
    }
}

/// A setting's value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved<T> {
    value: T,
    origin: Origin,
}

impl<T> Resolved<T> {
    fn new(value: T, origin: Origin) -> Self {
        Resolved { value, origin }
    }

    /// The value.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// Where it came from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }
}

/// Where the keys come from, before the environment and profile are consulted.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum CredentialsSource {
    /// The standard chain ([`crate::credentials::DefaultChain`]): explicit keys given to
    /// [`ConfigLoader::keys`], the environment, the profile, `~/.tencentcloud/credentials`,
    /// the CVM role.
    #[default]
    Chain,
    /// This provider alone. The environment and the profile are then not read for the
    /// other settings either: a program with its own provider supplies them.
    Provider(Arc<dyn ProvideCredentials>),
    /// The CVM instance role, from the metadata service (`CAR_METADATA_ENDPOINT`
    /// overrides its URL; `off` there is an error).
    CvmRole,
    /// STS AssumeRole, signed with keys from the standard chain, at the profile's
    /// `sts.endpoint` or else STS's public endpoint.
    AssumeRole {
        /// The role, e.g. `qcs::cam::uin/100000000001:roleName/car-ops`.
        role_arn: String,
        /// The session name.
        session_name: String,
    },
}

/// Collects settings with their origins, then resolves them in one pass
/// ([`ConfigLoader::resolve`]) by the precedence table of [`crate::config`].
#[derive(Debug, Clone)]
pub struct ConfigLoader {
    chain: DefaultChainBuilder,
    profile_origin: Option<Origin>,
    source: CredentialsSource,
    source_origin: Origin,
    region: Option<Resolved<String>>,
    endpoint: Option<Resolved<String>>,
    site: Option<Resolved<Site>>,
    language: Option<Resolved<String>>,
    output: Option<Resolved<String>>,
    proxy: Option<Resolved<String>>,
    ca_bundle: Option<Resolved<PathBuf>>,
    connect_timeout: Option<Resolved<Duration>>,
    timeout: Option<Resolved<Duration>>,
    proxy_from_env: bool,
    ca_bundle_from_env: bool,
    allow_insecure_http: bool,
    max_response_bytes: Option<usize>,
}

impl Default for ConfigLoader {
    fn default() -> Self {
        ConfigLoader::new()
    }
}

impl ConfigLoader {
    /// Reads the process environment and `$HOME/.tccli`.
    pub fn new() -> Self {
        ConfigLoader::with_chain(DefaultChainBuilder::default())
    }

    /// Takes the environment, home directory, profile and metadata settings of `chain`
    /// (so tests can isolate every input).
    pub fn with_chain(chain: DefaultChainBuilder) -> Self {
        ConfigLoader {
            chain,
            profile_origin: None,
            source: CredentialsSource::Chain,
            source_origin: Origin::Default,
            region: None,
            endpoint: None,
            site: None,
            language: None,
            output: None,
            proxy: None,
            ca_bundle: None,
            connect_timeout: None,
            timeout: None,
            proxy_from_env: false,
            ca_bundle_from_env: false,
            allow_insecure_http: false,
            max_response_bytes: None,
        }
    }

    /// The tccli profile to read (default: `TCCLI_PROFILE`, else `default`).
    pub fn profile(mut self, name: impl Into<String>, origin: Origin) -> Self {
        self.chain = self.chain.profile(name);
        self.profile_origin = Some(origin);
        self
    }

    /// Explicit keys, tried before every other source of the standard chain (and used
    /// to sign the AssumeRole call of [`CredentialsSource::AssumeRole`]).
    pub fn keys(mut self, credentials: Credentials) -> Self {
        self.chain = self.chain.explicit(credentials);
        self
    }

    /// Where the keys come from (default: the standard chain); `origin` names who asked,
    /// for messages.
    pub fn credentials_source(mut self, source: CredentialsSource, origin: Origin) -> Self {
        self.source = source;
        self.source_origin = origin;
        self
    }

    /// `X-TC-Region`.
    pub fn region(mut self, region: impl Into<String>, origin: Origin) -> Self {
        self.region = Some(Resolved::new(region.into(), origin));
        self
    }

    /// The endpoint: a host, `host:port` or an `http(s)://` URL.
    pub fn endpoint(mut self, endpoint: impl Into<String>, origin: Origin) -> Self {
        self.endpoint = Some(Resolved::new(endpoint.into(), origin));
        self
    }

    /// The site whose endpoint to use, unless an endpoint is given.
    pub fn site(mut self, site: Site, origin: Origin) -> Self {
        self.site = Some(Resolved::new(site, origin));
        self
    }

    /// `X-TC-Language`: `en-US` or `zh-CN`.
    pub fn language(mut self, language: impl Into<String>, origin: Origin) -> Self {
        self.language = Some(Resolved::new(language.into(), origin));
        self
    }

    /// The output format: `json`, `table` or `text`.
    pub fn output(mut self, output: impl Into<String>, origin: Origin) -> Self {
        self.output = Some(Resolved::new(output.into(), origin));
        self
    }

    /// The HTTPS proxy URL.
    pub fn https_proxy(mut self, url: impl Into<String>, origin: Origin) -> Self {
        self.proxy = Some(Resolved::new(url.into(), origin));
        self
    }

    /// A PEM file of certificates to trust besides the built-in roots.
    pub fn ca_bundle(mut self, path: impl Into<PathBuf>, origin: Origin) -> Self {
        self.ca_bundle = Some(Resolved::new(path.into(), origin));
        self
    }

    /// Time allowed to open a connection.
    pub fn connect_timeout(mut self, timeout: Duration, origin: Origin) -> Self {
        self.connect_timeout = Some(Resolved::new(timeout, origin));
        self
    }

    /// The deadline of a whole call, retries included.
    pub fn timeout(mut self, timeout: Duration, origin: Origin) -> Self {
        self.timeout = Some(Resolved::new(timeout, origin));
        self
    }

    /// Without an explicit proxy, use `HTTPS_PROXY`/`https_proxy`, except for the hosts
    /// in `NO_PROXY`/`no_proxy`. Off by default.
    pub fn proxy_from_env(mut self, on: bool) -> Self {
        self.proxy_from_env = on;
        self
    }

    /// Without an explicit CA bundle, use the one `SSL_CERT_FILE` names. Off by default.
    pub fn ca_bundle_from_env(mut self, on: bool) -> Self {
        self.ca_bundle_from_env = on;
        self
    }

    /// Accept plain `http://` (CAR, STS, metadata) on hosts that are not loopback.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Refuse responses larger than this.
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = Some(limit);
        self
    }

    /// Applies the precedence table: reads the profile's `.configure` once, checks every
    /// value, loads the CA bundle and sets up the credentials provider. Nothing is sent.
    pub fn resolve(self) -> Result<ResolvedConfig, Error> {
        let env = self.chain.env_ref().clone();
        let profile_given = self.chain.profile_ref().map(str::to_owned);
        let profile = tccli_profile_name(profile_given.as_deref(), &env);
        let profile_origin = match (&profile_given, self.profile_origin.clone()) {
            (Some(_), Some(o)) => o,
            (Some(_), None) => Origin::Builder("DefaultChainBuilder::profile"),
            (None, _) if env.get(PROFILE_VAR).is_some() => Origin::Env(PROFILE_VAR),
            (None, _) => Origin::Default,
        };
        let reads_machine = !matches!(self.source, CredentialsSource::Provider(_));
        let profile_explicit = profile_given.is_some();
        let home = self.chain.home_ref().cloned().or_else(|| env.home_dir());

        let file = match (&home, reads_machine) {
            (Some(home), true) => {
                if let Some(why) = profile_name_problem(&profile) {
                    return Err(ConfigError::malformed(
                        Setting::Profile,
                        profile_origin,
                        format!("expected a profile name, got {profile:?}: {why}"),
                    )
                    .into());
                }
                TccliConfig::load(home, &profile).map_err(|e| Error::config(e.to_string()))?
            }
            _ => None,
        };
        let in_file = || {
            file.as_ref()
                .map_or(Origin::Default, |f| Origin::Profile(f.path().to_path_buf()))
        };
        let from_file = |get: fn(&TccliConfig) -> Option<&str>| {
            file.as_ref()
                .and_then(get)
                .map(|v| Resolved::new(v.to_owned(), in_file()))
        };

        let region = self
            .region
            .clone()
            .or_else(|| {
                let env_region = (reads_machine && !profile_explicit)
                    .then(|| env.region())
                    .flatten();
                env_region.map(|r| Resolved::new(r, Origin::Env(REGION_VAR)))
            })
            .or_else(|| from_file(TccliConfig::region))
            .filter(|r| !r.value.is_empty());
        if let Some(r) = &region {
            credentials::check_plain_value(&r.value).map_err(|why| {
                ConfigError::malformed(
                    Setting::Region,
                    r.origin.clone(),
                    format!("expected a region such as ap-singapore, but the value {why}"),
                )
            })?;
        }

        // An explicit site beats the profile: tccli writes `car.endpoint` into every
        // profile, so letting it win would make the site setting useless there.
        let endpoint_text = match (&self.endpoint, &self.site) {
            (Some(e), _) => Some(e.clone()),
            (None, Some(_)) => None,
            (None, None) => from_file(TccliConfig::car_endpoint),
        };
        let endpoint = match endpoint_text {
            Some(e) => Resolved::new(Endpoint::parse_from(&e.value, e.origin.clone())?, e.origin),
            None => {
                let (site, origin) = match &self.site {
                    Some(s) => (s.value, s.origin.clone()),
                    None => (Site::default(), Origin::Default),
                };
                Resolved::new(
                    Endpoint::parse_text(site.host()).map_err(Error::config)?,
                    origin,
                )
            }
        };
        endpoint
            .value
            .check_transport(self.allow_insecure_http)
            .map_err(|why| ConfigError::new(Setting::Endpoint, endpoint.origin.clone(), why))?;

        let output = match self
            .output
            .clone()
            .or_else(|| from_file(TccliConfig::output))
        {
            Some(o) => match OutputFormat::parse(&o.value) {
                Some(f) => Resolved::new(f, o.origin),
                None => {
                    return Err(ConfigError::malformed(
                        Setting::Output,
                        o.origin,
                        format!("expected json, table or text, got {:?}", o.value),
                    )
                    .into())
                }
            },
            None => Resolved::new(OutputFormat::Json, Origin::Default),
        };

        let language = self
            .language
            .clone()
            .or_else(|| from_file(TccliConfig::language));
        if let Some(l) = &language {
            if !LANGUAGES.contains(&l.value.as_str()) {
                return Err(ConfigError::malformed(
                    Setting::Language,
                    l.origin.clone(),
                    format!("expected en-US or zh-CN, got {:?}", l.value),
                )
                .into());
            }
        }

        let mut origins = Vec::new();
        let http = self.http_settings(&env, &mut origins)?;

        let mut chain = self
            .chain
            .clone()
            .http_settings(http.clone())
            .allow_insecure_http(self.allow_insecure_http);
        let sts_endpoint = file
            .as_ref()
            .and_then(|f| f.sts_endpoint().map(str::to_owned));
        if let Some(e) = &sts_endpoint {
            chain = chain.sts_endpoint_default(e.clone());
        }
        let credentials: Arc<dyn ProvideCredentials> = match self.source {
            CredentialsSource::Chain => Arc::new(chain.build()),
            CredentialsSource::Provider(p) => p,
            CredentialsSource::CvmRole => {
                let provider = match env.get(METADATA_ENDPOINT_VAR).as_deref() {
                    Some("off") => {
                        return Err(ConfigError::new(
                            Setting::Credentials,
                            Origin::Env(METADATA_ENDPOINT_VAR),
                            format!(
                                "{} asks for the CVM role, but the metadata service is \
                                 switched off (`off`)",
                                self.source_origin
                            ),
                        )
                        .into())
                    }
                    Some(url) => CvmRoleProvider::new().with_base_url(url),
                    None => CvmRoleProvider::new(),
                };
                Arc::new(
                    provider
                        .allow_insecure_http(self.allow_insecure_http)
                        .with_http_settings(http.clone()),
                )
            }
            CredentialsSource::AssumeRole {
                role_arn,
                session_name,
            } => {
                let mut sts =
                    StsAssumeRoleProvider::new(Arc::new(chain.build()), role_arn, session_name)
                        .with_http_settings(http.clone())
                        .allow_insecure_http(self.allow_insecure_http);
                if let Some(e) = &sts_endpoint {
                    sts = sts.with_endpoint(e);
                }
                Arc::new(sts)
            }
        };

        let site = [Site::Intl, Site::China]
            .into_iter()
            .find(|s| endpoint.value.host().eq_ignore_ascii_case(s.host()));
        Ok(ResolvedConfig {
            profile: Resolved::new(profile, profile_origin),
            region,
            endpoint,
            site,
            output,
            language,
            http,
            origins,
            credentials,
        })
    }

    fn http_settings(
        &self,
        env: &credentials::Env,
        origins: &mut Vec<(Setting, Origin)>,
    ) -> Result<HttpSettings, Error> {
        let mut http = HttpSettings {
            allow_insecure_http: self.allow_insecure_http,
            ..HttpSettings::default()
        };
        if let Some(limit) = self.max_response_bytes {
            http.max_response_bytes = limit;
        }
        for (setting, given, slot) in [
            (
                Setting::ConnectTimeout,
                &self.connect_timeout,
                &mut http.connect_timeout,
            ),
            (Setting::Timeout, &self.timeout, &mut http.timeout),
        ] {
            if let Some(t) = given {
                if t.value.is_zero() {
                    return Err(ConfigError::malformed(
                        setting,
                        t.origin.clone(),
                        "expected a duration above zero, got 0 s",
                    )
                    .into());
                }
                *slot = t.value;
                origins.push((setting, t.origin.clone()));
            }
        }

        let from_env = |names: &[&'static str]| {
            names
                .iter()
                .find_map(|n| env.get(n).map(|v| Resolved::new(v, Origin::Env(n))))
        };
        let proxy = self
            .proxy
            .clone()
            .or_else(|| self.proxy_from_env.then(|| from_env(&PROXY_VARS)).flatten());
        if let Some(p) = proxy {
            // Not `malformed`: the `car` command line documents every proxy problem as
            // configuration (exit 5), whatever its source.
            let mut settings = ProxySettings::new(&p.value)
                .map_err(|why| ConfigError::new(Setting::Proxy, p.origin.clone(), why))?;
            // NO_PROXY qualifies the environment's proxy, not one given explicitly.
            if !p.origin.is_explicit() {
                if let Some(n) = from_env(&NO_PROXY_VARS) {
                    settings = settings.with_no_proxy(n.value);
                }
            }
            http.proxy = Some(settings);
            origins.push((Setting::Proxy, p.origin));
        }

        let bundle = self.ca_bundle.clone().or_else(|| {
            self.ca_bundle_from_env
                .then(|| from_env(&[CA_BUNDLE_VAR]))
                .flatten()
                .map(|r| Resolved::new(PathBuf::from(r.value), r.origin))
        });
        if let Some(b) = bundle {
            http.ca_bundle = Some(load_ca_bundle(&b.value, &b.origin)?);
            origins.push((Setting::CaBundle, b.origin));
        }
        Ok(http)
    }
}

/// Every setting resolved, with its origin; what a client is built from.
#[derive(Debug, Clone)]
pub struct ResolvedConfig {
    profile: Resolved<String>,
    region: Option<Resolved<String>>,
    endpoint: Resolved<Endpoint>,
    site: Option<Site>,
    output: Resolved<OutputFormat>,
    language: Option<Resolved<String>>,
    http: HttpSettings,
    origins: Vec<(Setting, Origin)>,
    credentials: Arc<dyn ProvideCredentials>,
}

impl ResolvedConfig {
    /// The profile name.
    pub fn profile(&self) -> &Resolved<String> {
        &self.profile
    }

    /// The region, if any source has one.
    pub fn region(&self) -> Option<&Resolved<String>> {
        self.region.as_ref()
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &Resolved<Endpoint> {
        &self.endpoint
    }

    /// The site, when the endpoint is one of the sites' own hosts.
    pub fn site(&self) -> Option<Site> {
        self.site
    }

    /// The output format, for command lines.
    pub fn output(&self) -> &Resolved<OutputFormat> {
        &self.output
    }

    /// `X-TC-Language`, if any source has one.
    pub fn language(&self) -> Option<&Resolved<String>> {
        self.language.as_ref()
    }

    /// The HTTP settings every client is built from.
    pub fn http(&self) -> &HttpSettings {
        &self.http
    }

    /// Where a timeout, proxy or CA bundle came from; [`Origin::Default`] when unset.
    pub fn origin_of(&self, setting: Setting) -> Origin {
        self.origins
            .iter()
            .find(|(s, _)| *s == setting)
            .map_or(Origin::Default, |(_, o)| o.clone())
    }

    /// The credentials provider.
    pub fn credentials(&self) -> &Arc<dyn ProvideCredentials> {
        &self.credentials
    }

    /// The same settings with another credentials provider (e.g. placeholder keys to
    /// show a request that is never sent).
    pub fn with_credentials_provider(mut self, provider: Arc<dyn ProvideCredentials>) -> Self {
        self.credentials = provider;
        self
    }
}
