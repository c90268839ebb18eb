//! Client configuration, resolved once: endpoint, site, region, language, output,
//! timeouts, TLS and proxy settings, and where credentials come from.
//!
//! [`ConfigLoader`] reads the tccli profile (`~/.tccli/<profile>.configure`) once and
//! applies one precedence table; [`crate::ClientBuilder`] and the `car` command line
//! both go through it. Each row lists its sources from strongest to weakest; the first
//! that has a value wins.
//!
//! | setting | explicit (builder method / `car` flag) | environment | profile (`.configure`) | default |
//! |---|---|---|---|---|
//! | profile | `profile` / `--profile` | `TCCLI_PROFILE` | — | `default` |
//! | credentials | `credentials`, `credentials_provider` / `--secretId`+`--secretKey`, `--use-cvm-role`, `--role-arn` | `TENCENTCLOUD_SECRET_ID`, `_KEY`, `_TOKEN` | `<profile>.credential` | `~/.tencentcloud/credentials`, then the CVM role |
//! | region | `region` / `--region` | `TENCENTCLOUD_REGION` | `region` | none (CAR needs none) |
//! | endpoint | `endpoint` / `--endpoint`, then `site` / `--site` | — | `car.endpoint` | the international site |
//! | output | — / `--output` | — | `output` | `json` |
//! | language | `language` / `--language` | — | `language` | none (the server's, English) |
//! | proxy | `https_proxy` / `--https-proxy` | `HTTPS_PROXY`, `https_proxy`, bypassed for `NO_PROXY`/`no_proxy`: only with `proxy_from_env(true)` | — | none |
//! | CA bundle | `ca_bundle` / `--ca-bundle` | `SSL_CERT_FILE`: only with `ca_bundle_from_env(true)` | — | built-in roots only |
//! | connect timeout | `connect_timeout` / `--timeout` (at most 5 s) | — | — | 5 s |
//! | timeout | `timeout` / `--timeout` | — | — | 60 s |
//!
//! Notes on the table:
//!
//! - An explicit profile (`profile` / `--profile`) skips the environment's keys and
//!   region, as tccli does: asking for a profile means that profile's settings.
//! - An explicit site beats the profile's `car.endpoint`: tccli writes that key into
//!   every profile, so letting it win would make the site setting useless.
//! - A [`crate::ClientBuilder`] given its own credentials provider reads neither the
//!   environment nor the profile for the other settings: the program supplies them.
//! - The library reads proxy and CA-bundle variables only when asked to
//!   ([`ConfigLoader::proxy_from_env`], [`ConfigLoader::ca_bundle_from_env`]), so
//!   what a program does never depends on a variable it did not choose to honour. The
//!   `car` command line turns both on, as tccli (through Python's `requests`) honours them.
//! - The timeout is the deadline of a whole call: every attempt and the waits between
//!   retries.
//!
//! A value that cannot be used is an [`crate::ErrorKind::Config`] error
//! ([`crate::Error::config_problem`]) naming the setting, where the value came from (flag,
//! builder method, environment variable or profile file and key), what was expected and
//! what was given. All HTTP clients (CAR, STS, the metadata service, COS) are built
//! from the one resolved [`crate::http::HttpSettings`].

mod loader;
mod problem;

use std::time::Duration;

use crate::error::Error;

pub use loader::{ConfigLoader, CredentialsSource, OutputFormat, Resolved, ResolvedConfig};
pub use problem::{ConfigError, Origin, Setting};

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

impl Site {
    fn parse_text(s: &str) -> Result<Site, String> {
        match s.to_ascii_lowercase().as_str() {
            "intl" | "international" => Ok(Site::Intl),
            "cn" | "china" => Ok(Site::China),
            _ => Err(format!(
                "expected `intl` or `cn`, got `{}`",
                s.escape_debug()
            )),
        }
    }

    /// Parses `intl`/`international` or `cn`/`china`; a configuration error names
    /// `origin`.
    pub fn parse_from(s: &str, origin: Origin) -> Result<Site, ConfigError> {
        Site::parse_text(s).map_err(|why| ConfigError::malformed(Setting::Site, origin, why))
    }
}

impl std::str::FromStr for Site {
    type Err = Error;
    fn from_str(s: &str) -> Result<Site, Error> {
        Ok(Site::parse_from(s, Origin::Builder("Site::from_str"))?)
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
        Ok(Endpoint::parse_from(
            input,
            Origin::Builder("Endpoint::parse"),
        )?)
    }

    /// [`Endpoint::parse`], with a configuration error naming `origin`.
    pub fn parse_from(input: &str, origin: Origin) -> Result<Endpoint, ConfigError> {
        Endpoint::parse_text(input)
            .map_err(|why| ConfigError::malformed(Setting::Endpoint, origin, why))
    }

    pub(crate) fn parse_text(input: &str) -> Result<Endpoint, String> {
        let bad = |why: &str| format!("{why}, got `{}`", redact_userinfo(input).escape_debug());
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
            assert_eq!(err.code(), "ClientConfigError", "{bad}");
            assert!(err.to_string().contains("endpoint"), "{err}");
            let problem = err.config_problem().expect("a configuration problem");
            assert_eq!(problem.setting(), Setting::Endpoint);
            assert!(problem.is_malformed());
            // The origin names where the value came from, with what was given.
            let err = Endpoint::parse_from(bad, Origin::Flag("--endpoint")).unwrap_err();
            let text = err.to_string();
            assert!(text.starts_with("--endpoint: expected "), "{text}");
            assert!(text.contains(&format!("got `{bad}`")), "{text}");
        }
    }

    #[test]
    fn site_parse() {
        assert_eq!("cn".parse::<Site>().unwrap(), Site::China);
        assert_eq!("INTL".parse::<Site>().unwrap(), Site::Intl);
        let err = "mars".parse::<Site>().unwrap_err();
        assert_eq!(err.code(), "ClientConfigError");
        let err = Site::parse_from("mars", Origin::Env("CAR_SITE")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment variable CAR_SITE (site): expected `intl` or `cn`, got `mars`"
        );
        assert_eq!(err.setting(), Setting::Site);
        assert!(err.is_malformed());
    }
}
