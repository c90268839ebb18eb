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
        let name = self.host_name();
        name.eq_ignore_ascii_case("localhost")
            || name
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// True when requests go out unencrypted (`http://`).
    pub fn is_cleartext(&self) -> bool {
        self.url.starts_with("http://")
    }

    /// The host without port or IPv6 brackets.
    pub(crate) fn host_name(&self) -> &str {
        let name = match self.host.rsplit_once(':') {
            Some((h, port))
                if port.chars().all(|c| c.is_ascii_digit())
                    && (!self.host.starts_with('[') || h.ends_with(']')) =>
            {
                h
            }
            _ => self.host.as_str(),
        };
        name.trim_start_matches('[').trim_end_matches(']')
    }

    /// Refuses cleartext to anything but loopback unless `insecure_ok`: a signed
    /// request carries the session token, and STS answers carry new keys.
    pub(crate) fn check_transport(&self, insecure_ok: bool) -> Result<(), String> {
        if !self.is_cleartext() || insecure_ok || self.is_loopback() {
            return Ok(());
        }
        Err(format!(
            "`{}` is plain http:// to a host that is not loopback, so credentials would \
             travel in cleartext; use https://, or opt in explicitly with \
             allow_insecure_http(true) (car: --insecure-http)",
            self.url
        ))
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
            .redirect(reqwest::redirect::Policy::none())
            .use_rustls_tls();
        match &self.https_proxy {
            Some(p) => {
                let proxy = reqwest::Proxy::https(p).map_err(|e| {
                    Error::config(format!(
                        "https proxy `{}` is not a usable URL ({})",
                        redact_userinfo(p),
                        crate::credentials::http_client::describe(&e)
                    ))
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

/// A URL with any `user:password@` part replaced, safe to show in messages.
pub(crate) fn redact_userinfo(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let authority_end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    match url[start..authority_end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..start], &url[start + at..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_hidden() {
        assert_eq!(
            redact_userinfo("http://bob:s3cret@proxy.example:3128"),
            "http://***@proxy.example:3128"
        );
        assert_eq!(redact_userinfo("bob:s3cret@proxy:1/x@y"), "***@proxy:1/x@y");
        assert_eq!(redact_userinfo("http://proxy:1"), "http://proxy:1");
    }

    #[test]
    fn cleartext_only_to_loopback_unless_opted_in() {
        for ok in [
            "http://127.0.0.1:80",
            "http://localhost:9",
            "http://[::1]:8",
            "https://gw.example",
        ] {
            assert_eq!(
                Endpoint::parse(ok).unwrap().check_transport(false),
                Ok(()),
                "{ok}"
            );
        }
        for bad in [
            "http://10.0.0.8:80",
            "http://gw.example",
            "http://127.0.0.1.nip.io:80",
        ] {
            let e = Endpoint::parse(bad).unwrap();
            let msg = e.check_transport(false).unwrap_err();
            assert!(
                msg.contains("cleartext") && msg.contains("allow_insecure_http"),
                "{msg}"
            );
            assert_eq!(e.check_transport(true), Ok(()));
        }
    }

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
