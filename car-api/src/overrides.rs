//! Settings for the calls made through one client handle, without a new client:
//! [`crate::Client::with_overrides`].

use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};

use crate::error::Error;

/// What to change for the calls made through one [`crate::Client`] handle. Unset fields
/// keep the client's settings.
///
/// ```no_run
/// # fn demo(client: &car_api::Client) -> Result<(), car_api::Error> {
/// use std::time::Duration;
/// use car_api::CallOverrides;
/// let traced = client.with_overrides(
///     CallOverrides::new()
///         .timeout(Duration::from_secs(5))
///         .max_attempts(1)
///         .header("X-Trace-Id", "7f3a9c"),
/// )?;
/// # let _ = traced; Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct CallOverrides {
    timeout: Option<Duration>,
    max_attempts: Option<u32>,
    headers: Vec<(String, String)>,
}

impl CallOverrides {
    /// Nothing changed yet.
    pub fn new() -> Self {
        CallOverrides::default()
    }

    /// The deadline of each call, retries included.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Attempts in all, the first included; 1 turns retries off.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts);
        self
    }

    /// An extra header sent with every attempt (a trace ID, say). Headers the signature
    /// covers or the API reads (`Authorization`, `Host`, `Content-Type`, `X-TC-*`) and
    /// those describing the body are refused by [`crate::Client::with_overrides`].
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

// Header values may carry tokens, so `Debug` shows names only.
impl std::fmt::Debug for CallOverrides {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallOverrides")
            .field("timeout", &self.timeout)
            .field("max_attempts", &self.max_attempts)
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Checked overrides, as the client applies them.
#[derive(Clone, Default)]
pub(crate) struct Overrides {
    pub(crate) timeout: Option<Duration>,
    pub(crate) max_attempts: Option<u32>,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
}

/// Headers whose values come from the request itself and are signed or framed by it.
const RESERVED: [&str; 6] = [
    "authorization",
    "host",
    "content-type",
    "content-length",
    "transfer-encoding",
    "connection",
];

impl Overrides {
    /// `self` with `more` applied on top: later values win, headers add up.
    pub(crate) fn merged(&self, more: CallOverrides) -> Result<Overrides, Error> {
        let mut out = self.clone();
        if let Some(t) = more.timeout {
            if t.is_zero() {
                return Err(Error::invalid_request(
                    Some("timeout"),
                    "expected a duration above zero, got 0 s",
                ));
            }
            out.timeout = Some(t);
        }
        if let Some(n) = more.max_attempts {
            if n == 0 {
                return Err(Error::invalid_request(
                    Some("max_attempts"),
                    "expected at least 1 (the first attempt), got 0",
                ));
            }
            out.max_attempts = Some(n);
        }
        for (name, value) in more.headers {
            out.headers.push(check_header(&name, &value)?);
        }
        Ok(out)
    }
}

fn check_header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), Error> {
    let shown = name.escape_debug().to_string();
    let parsed = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
        Error::invalid_request(
            Some("header"),
            format!("expected an HTTP header name (letters, digits, `-`), got \"{shown}\""),
        )
    })?;
    let lower = parsed.as_str();
    if RESERVED.contains(&lower) || lower.starts_with("x-tc-") {
        return Err(Error::invalid_request(
            Some("header"),
            format!(
                "\"{shown}\" is set by the client from the request and its signature; \
                 expected another header, such as X-Trace-Id"
            ),
        ));
    }
    // The value is not echoed: a header may carry a token.
    let value = HeaderValue::from_str(value).map_err(|_| {
        Error::invalid_request(
            Some("header"),
            format!(
                "the value of \"{shown}\" is not a valid header value; expected visible \
                 ASCII characters and spaces, without line breaks"
            ),
        )
    })?;
    Ok((parsed, value))
}

impl std::fmt::Debug for Overrides {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Overrides")
            .field("timeout", &self.timeout)
            .field("max_attempts", &self.max_attempts)
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_header_names_but_not_their_values() {
        let given = CallOverrides::new().header("X-Gateway-Token", "tok-s3cr3t");
        let checked = Overrides::default().merged(given.clone()).unwrap();
        for shown in [format!("{given:?}"), format!("{checked:?}")] {
            assert!(!shown.contains("tok-s3cr3t"), "{shown}");
            assert!(
                shown.to_ascii_lowercase().contains("x-gateway-token"),
                "{shown}"
            );
        }
    }

    #[test]
    fn signed_and_framing_headers_are_refused_in_any_case() {
        for name in [
            "Authorization",
            "HOST",
            "content-type",
            "X-TC-Action",
            "x-tc-token",
            "Content-Length",
        ] {
            let err = Overrides::default()
                .merged(CallOverrides::new().header(name, "v"))
                .unwrap_err();
            assert_eq!(err.code(), "ClientParamsError", "{name}");
            assert!(err.to_string().contains(name), "{name}: {err}");
        }
    }

    #[test]
    fn values_with_line_breaks_are_refused_without_being_echoed() {
        let err = Overrides::default()
            .merged(CallOverrides::new().header("X-Trace-Id", "secret\r\nX-Evil: 1"))
            .unwrap_err();
        assert!(!err.to_string().contains("secret"), "{err}");
        assert!(err.to_string().contains("X-Trace-Id"), "{err}");
        let err = Overrides::default()
            .merged(CallOverrides::new().header("Bad Name", "v"))
            .unwrap_err();
        assert!(err.to_string().contains("Bad Name"), "{err}");
    }

    #[test]
    fn later_overrides_win_and_headers_add_up() {
        let a = Overrides::default()
            .merged(
                CallOverrides::new()
                    .timeout(Duration::from_secs(5))
                    .max_attempts(2)
                    .header("X-A", "1"),
            )
            .unwrap();
        let b = a
            .merged(CallOverrides::new().max_attempts(1).header("X-B", "2"))
            .unwrap();
        assert_eq!(b.timeout, Some(Duration::from_secs(5)));
        assert_eq!(b.max_attempts, Some(1));
        let names: Vec<&str> = b.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["x-a", "x-b"]);
        assert!(a.merged(CallOverrides::new().max_attempts(0)).is_err());
        assert!(a
            .merged(CallOverrides::new().timeout(Duration::ZERO))
            .is_err());
    }
}
