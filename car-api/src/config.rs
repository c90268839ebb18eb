//! Client configuration: endpoint, site, timeouts, TLS and proxy settings.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::Error;

/// Which of Tencent Cloud's two sites to talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Site {
    /// The international site, `car.intl.tencentcloudapi.com`; the default.
    #[default]
    Intl,
    /// The China site, `car.tencentcloudapi.com`.
    China,
}

impl Site {
    /// The API host of this site.
    pub fn host(self) -> &'static str {
        match self {
            Site::Intl => crate::metadata::SERVICE.endpoint_intl,
            Site::China => crate::metadata::SERVICE.endpoint_cn,
        }
    }
}

impl std::str::FromStr for Site {
    type Err = Error;
    fn from_str(s: &str) -> Result<Site, Error> {
        match s.to_ascii_lowercase().as_str() {
            "intl" | "international" => Ok(Site::Intl),
            "cn" | "china" => Ok(Site::China),
            _ => Err(Error::invalid_request(
                Some("site"),
                format!("expected `intl` or `cn`, got `{s}`"),
            )),
        }
    }
}

/// Where requests go: the URL to connect to and the `Host` that is signed and sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    url: String,
    host: String,
}

impl Endpoint {
    /// Parses `host`, `host:port`, `https://host[:port][/]` or `http://host:port` (for
    /// local emulators and tests). Without a scheme, HTTPS is used.
    pub fn parse(input: &str) -> Result<Endpoint, Error> {
        let bad =
            |why: &str| Error::invalid_request(Some("endpoint"), format!("{why}, got `{input}`"));
        let trimmed = input.trim();
        let (scheme, rest) = match trimmed.split_once("://") {
            Some((s, r)) => (s.to_ascii_lowercase(), r),
            None => ("https".to_string(), trimmed),
        };
        if scheme != "https" && scheme != "http" {
            return Err(bad("expected an http:// or https:// URL or a host name"));
        }
        let host = rest.trim_end_matches('/');
        if host.is_empty() || host.contains(['/', '?', '#', ' ', '@']) {
            return Err(bad(
                "expected a host name with an optional port and no path",
            ));
        }
        if let Some((h, port)) = host.rsplit_once(':') {
            let bracketed_v6 = host.starts_with('[') && !h.ends_with(']');
            if !bracketed_v6 && (h.is_empty() || port.parse::<u16>().is_err()) {
                return Err(bad("expected a port number between 0 and 65535 after `:`"));
            }
        }
        Ok(Endpoint {
            url: format!("{scheme}://{host}/"),
            host: host.to_string(),
        })
    }

    /// The URL requests are posted to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The `Host` header value, which is also what TC3 signs.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// True for `localhost` and loopback addresses.
    pub fn is_loopback(&self) -> bool {
        let name = match self.host.rsplit_once(':') {
            Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
            _ => self.host.as_str(),
        };
        name == "localhost"
            || name
                .trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

/// How failed calls are retried.
#[derive(Debug, Clone)]
pub struct RetryConfig {
    /// Attempts in all, the first included; 1 turns retries off.
    pub max_attempts: u32,
    /// The first back-off; each later one doubles, with full jitter.
    pub initial_backoff: Duration,
    /// No single back-off is longer than this.
    pub max_backoff: Duration,
    /// No retry starts once this much time has passed since the first attempt.
    pub max_elapsed: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(60),
        }
    }
}

impl RetryConfig {
    /// No retries at all.
    pub fn disabled() -> RetryConfig {
        RetryConfig {
            max_attempts: 1,
            ..RetryConfig::default()
        }
    }
}

/// Settings for the HTTP connection.
#[derive(Debug, Clone)]
pub(crate) struct HttpSettings {
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub https_proxy: Option<String>,
    pub ca_bundle: Option<PathBuf>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(60),
            https_proxy: None,
            ca_bundle: None,
        }
    }
}

impl HttpSettings {
    pub(crate) fn build_client(&self) -> Result<reqwest::Client, Error> {
        let mut b = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .user_agent(concat!("car-api-rust/", env!("CARGO_PKG_VERSION")))
            .use_rustls_tls();
        match &self.https_proxy {
            Some(p) => {
                let proxy = reqwest::Proxy::https(p).map_err(|e| {
                    Error::config(format!("https proxy `{p}` is not a usable URL: {e}"))
                })?;
                b = b.proxy(proxy);
            }
            // Environment proxies would silently reroute loopback test traffic; only an
            // explicit setting applies.
            None => b = b.no_proxy(),
        }
        if let Some(path) = &self.ca_bundle {
            let pem = std::fs::read(path).map_err(|e| {
                Error::config(format!("cannot read CA bundle {}: {e}", path.display()))
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                Error::config(format!(
                    "CA bundle {} is not valid PEM: {e}",
                    path.display()
                ))
            })?;
            if certs.is_empty() {
                return Err(Error::config(format!(
                    "CA bundle {} holds no certificates",
                    path.display()
                )));
            }
            for c in certs {
                b = b.add_root_certificate(c);
            }
        }
        b.build()
            .map_err(|e| Error::config(format!("cannot set up the HTTP client: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse() {
        let e = Endpoint::parse("car.tencentcloudapi.com").unwrap();
        assert_eq!(e.url(), "https://car.tencentcloudapi.com/");
        assert_eq!(e.host(), "car.tencentcloudapi.com");
        let e = Endpoint::parse("http://127.0.0.1:8787").unwrap();
        assert_eq!(e.url(), "http://127.0.0.1:8787/");
        assert_eq!(e.host(), "127.0.0.1:8787");
        let e = Endpoint::parse("HTTPS://gw.example.com:8443/").unwrap();
        assert_eq!(e.url(), "https://gw.example.com:8443/");
        assert!(Endpoint::parse("http://127.0.0.1:8787")
            .unwrap()
            .is_loopback());
        assert!(Endpoint::parse("localhost").unwrap().is_loopback());
        assert!(Endpoint::parse("http://[::1]:80").unwrap().is_loopback());
        assert!(!Endpoint::parse("sts.tencentcloudapi.com")
            .unwrap()
            .is_loopback());
        for bad in [
            "",
            "ftp://x",
            "http://",
            "host:notaport",
            "https://h/path",
            "a b",
        ] {
            let err = Endpoint::parse(bad).unwrap_err();
            assert_eq!(err.code(), "ClientParamsError", "{bad}");
            assert!(err.to_string().contains("endpoint"), "{err}");
        }
    }

    #[test]
    fn site_parse() {
        assert_eq!("cn".parse::<Site>().unwrap(), Site::China);
        assert_eq!("INTL".parse::<Site>().unwrap(), Site::Intl);
        assert!("mars".parse::<Site>().is_err());
    }
}
