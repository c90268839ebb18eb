//! One set of HTTP settings from which every outbound client is built: the CAR API,
//! STS AssumeRole, the CVM metadata service, and the COS uploader.
//!
//! The rules are the same for all of them: rustls with the built-in roots plus an
//! optional CA bundle, redirects never followed (one would carry a signed request or
//! fresh keys to another host), responses read up to a size cap, and a proxy only when
//! one was configured. The metadata service is the exception for the proxy: it lives on
//! a link-local address that a proxy cannot reach, so it never goes through one.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::{redact_userinfo, ConfigError, Endpoint, Origin, Setting};
use crate::error::Error;

/// Responses larger than this are refused rather than buffered.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
/// Time allowed to open a connection unless configured otherwise.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time allowed for a whole call (every attempt and the waits between them) unless
/// configured otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// A proxy for HTTPS requests, with the hosts that bypass it.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxySettings {
    url: String,
    no_proxy: Option<String>,
}

impl ProxySettings {
    /// Checks that `url` can be used as an HTTPS proxy.
    pub fn new(url: impl Into<String>) -> Result<ProxySettings, String> {
        let url = url.into();
        reqwest::Proxy::https(&url).map_err(|e| {
            format!(
                "expected a proxy URL such as http://proxy.example:3128, got `{}` ({})",
                redact_userinfo(&url),
                crate::credentials::http_client::describe(&e)
            )
        })?;
        Ok(ProxySettings {
            url,
            no_proxy: None,
        })
    }

    /// Hosts that bypass the proxy, in `NO_PROXY` syntax: comma-separated host names
    /// (a leading `.` or none matches subdomains too), IP addresses, CIDR ranges, or `*`.
    pub fn with_no_proxy(mut self, no_proxy: impl Into<String>) -> Self {
        self.no_proxy = Some(no_proxy.into()).filter(|n| !n.trim().is_empty());
        self
    }

    /// The proxy URL; it may hold a password, so show [`ProxySettings::redacted_url`].
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The proxy URL with any `user:password@` replaced by `***@`.
    pub fn redacted_url(&self) -> String {
        redact_userinfo(&self.url)
    }

    /// The bypass list, if any.
    pub fn no_proxy(&self) -> Option<&str> {
        self.no_proxy.as_deref()
    }

    fn to_reqwest(&self) -> Result<reqwest::Proxy, Error> {
        let proxy = reqwest::Proxy::https(&self.url).map_err(|e| {
            Error::config(format!(
                "https proxy `{}` is not a usable URL ({})",
                self.redacted_url(),
                crate::credentials::http_client::describe(&e)
            ))
        })?;
        Ok(proxy.no_proxy(
            self.no_proxy
                .as_deref()
                .and_then(reqwest::NoProxy::from_string),
        ))
    }
}

impl fmt::Debug for ProxySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxySettings")
            .field("url", &self.redacted_url())
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}

/// Certificates to trust besides the built-in roots, read once from a PEM file.
#[derive(Clone)]
pub struct CaBundle {
    path: PathBuf,
    certificates: Vec<reqwest::Certificate>,
}

impl CaBundle {
    /// Reads every certificate in the PEM file at `path`. The message of the error says
    /// what is wrong with the file; the caller adds where the path came from.
    pub fn load(path: impl Into<PathBuf>) -> Result<CaBundle, String> {
        let path = path.into();
        let pem = std::fs::read(&path).map_err(|e| {
            format!(
                "expected a readable CA bundle (PEM file), got {} ({e})",
                path.display()
            )
        })?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            format!(
                "expected a CA bundle of PEM certificates, got {} which is not valid PEM ({e})",
                path.display()
            )
        })?;
        if certificates.is_empty() {
            return Err(format!(
                "expected a CA bundle of PEM certificates, got {} which holds none",
                path.display()
            ));
        }
        Ok(CaBundle { path, certificates })
    }

    /// The file the certificates came from.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl fmt::Debug for CaBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaBundle")
            .field("path", &self.path)
            .field("certificates", &self.certificates.len())
            .finish()
    }
}

/// How every outbound HTTP client is set up. Resolved once
/// ([`crate::config::ConfigLoader`]) and shared by the CAR client, STS, the metadata
/// service and the COS uploader, so a CA bundle or proxy given once applies everywhere.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct HttpSettings {
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
    /// Time allowed for one request; for CAR calls, the deadline of the whole call,
    /// retries included.
    pub timeout: Duration,
    /// Where HTTPS requests go through; `None` sends them directly (the environment's
    /// proxy variables are not read here; see [`crate::config::ConfigLoader::proxy_from_env`]).
    pub proxy: Option<ProxySettings>,
    /// Certificates trusted besides the built-in roots.
    pub ca_bundle: Option<CaBundle>,
    /// Accept plain `http://` to hosts that are not loopback.
    pub allow_insecure_http: bool,
    /// Responses larger than this are refused.
    pub max_response_bytes: usize,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            proxy: None,
            ca_bundle: None,
            allow_insecure_http: false,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

impl HttpSettings {
    /// A client for API requests (CAR, STS, COS): these settings' timeouts, proxy and
    /// CA bundle; no redirects.
    pub fn client(&self) -> Result<reqwest::Client, Error> {
        let mut b = self.base(self.connect_timeout, self.timeout);
        b = match &self.proxy {
            Some(p) => b.proxy(p.to_reqwest()?),
            None => b.no_proxy(),
        };
        b.build()
            .map_err(|e| Error::config(format!("cannot set up the HTTP client: {e}")))
    }

    /// A client for the instance metadata service: its own short timeouts, the same
    /// TLS and redirect rules, and never a proxy (the service is link-local).
    pub fn metadata_client(
        &self,
        connect_timeout: Duration,
        timeout: Duration,
    ) -> Result<reqwest::Client, Error> {
        self.base(connect_timeout, timeout)
            .no_proxy()
            .build()
            .map_err(|e| Error::config(format!("cannot set up the HTTP client: {e}")))
    }

    /// Refuses cleartext to a host that is not loopback unless
    /// [`HttpSettings::allow_insecure_http`] is set.
    pub fn check_transport(&self, endpoint: &Endpoint) -> Result<(), String> {
        endpoint.check_transport(self.allow_insecure_http)
    }

    fn base(&self, connect: Duration, total: Duration) -> reqwest::ClientBuilder {
        let mut b = reqwest::Client::builder()
            .connect_timeout(connect)
            .timeout(total)
            .user_agent(concat!("car-api-rust/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .use_rustls_tls();
        if let Some(bundle) = &self.ca_bundle {
            for c in &bundle.certificates {
                b = b.add_root_certificate(c.clone());
            }
        }
        b
    }
}

/// A CA bundle loaded for a setting, its errors naming the setting and origin.
pub(crate) fn load_ca_bundle(path: &Path, origin: &Origin) -> Result<CaBundle, Error> {
    CaBundle::load(path)
        .map_err(|why| ConfigError::new(Setting::CaBundle, origin.clone(), why).into_error())
}
