//! The one error type every call returns.

use std::fmt;
use std::time::Duration;

use crate::credentials::CredentialsError;
use crate::ErrorCode;

/// What went wrong with a call. Every variant can say which action it concerned and,
/// where the server answered, the `RequestId` to quote to support.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    action: Option<&'static str>,
    request_id: Option<String>,
}

/// The classes of failure, for callers that branch on them.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The API answered with an error code.
    Api {
        /// The code the server sent.
        code: ErrorCode,
        /// The server's message.
        message: String,
    },
    /// The request could not be sent or the connection broke.
    Transport {
        /// What failed.
        message: String,
        /// The underlying error, if any.
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// One attempt got no answer within the attempt time limit
    /// ([`crate::ClientBuilder::attempt_timeout`]), and it was not retried.
    Timeout {
        /// The time allowed.
        after: Duration,
    },
    /// The call's deadline passed: an attempt was cut off by it, or no retry could start
    /// in the time left.
    Deadline {
        /// The deadline of the whole call, retries and the waits between them included.
        after: Duration,
        /// Attempts started, the first included.
        attempts: u32,
        /// Time spent from the first attempt to giving up.
        elapsed: Duration,
        /// Why the last attempt failed, when it failed before the deadline.
        last_error: Option<Box<Error>>,
    },
    /// The server answered, but not with a well-formed API response.
    InvalidResponse {
        /// The HTTP status.
        status: u16,
        /// What is wrong with the answer.
        message: String,
        /// The start of the body, secrets masked.
        snippet: String,
    },
    /// No usable credentials.
    Credentials(Box<CredentialsError>),
    /// The request was rejected before sending: nothing left this process.
    InvalidRequest {
        /// The parameter at fault, if one is.
        parameter: Option<String>,
        /// What was expected and what was given.
        message: String,
    },
    /// The client itself is misconfigured (endpoint, proxy, CA bundle...).
    Config {
        /// What is wrong.
        message: String,
        /// The setting at fault, where its value came from, and whether it is malformed,
        /// when one setting is at fault.
        problem: Option<Box<crate::config::ConfigError>>,
    },
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Error {
        Error {
            kind,
            action: None,
            request_id: None,
        }
    }

    pub(crate) fn with_action(mut self, action: &'static str) -> Error {
        self.action = Some(action);
        self
    }

    pub(crate) fn with_request_id(mut self, request_id: Option<String>) -> Error {
        self.request_id = request_id.filter(|r| !r.is_empty());
        self
    }

    /// An API error, as the server sent it.
    pub(crate) fn api(
        code: impl Into<ErrorCode>,
        message: impl Into<String>,
        request_id: Option<String>,
    ) -> Error {
        Error::new(ErrorKind::Api {
            code: code.into(),
            message: message.into(),
        })
        .with_request_id(request_id)
    }

    /// A request rejected before sending.
    pub fn invalid_request(parameter: Option<&str>, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidRequest {
            parameter: parameter.map(str::to_owned),
            message: message.into(),
        })
    }

    pub(crate) fn config(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Config {
            message: message.into(),
            problem: None,
        })
    }

    /// The class of failure, for callers that branch on it.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The API error code, or a client-side code such as `ClientNetworkError`.
    pub fn code(&self) -> &str {
        match &self.kind {
            ErrorKind::Api { code, .. } => code.code(),
            ErrorKind::Transport { .. } => "ClientNetworkError",
            ErrorKind::Timeout { .. } | ErrorKind::Deadline { .. } => "ClientTimeout",
            ErrorKind::InvalidResponse { .. } => "ClientInvalidResponse",
            ErrorKind::Credentials(_) => "ClientCredentialsError",
            ErrorKind::InvalidRequest { .. } => "ClientParamsError",
            ErrorKind::Config { .. } => "ClientConfigError",
        }
    }

    /// The typed API error code, when the API answered with one.
    pub fn api_code(&self) -> Option<&ErrorCode> {
        match &self.kind {
            ErrorKind::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// A human-readable description, free of secrets.
    pub fn message(&self) -> String {
        match &self.kind {
            ErrorKind::Api { message, .. } => message.clone(),
            ErrorKind::Transport { message, .. } => message.clone(),
            ErrorKind::Timeout { after } => {
                format!("no answer within {:.1} s", after.as_secs_f64())
            }
            ErrorKind::Deadline {
                after,
                attempts,
                elapsed,
                last_error,
            } => {
                let tries = if *attempts == 1 {
                    "attempt"
                } else {
                    "attempts"
                };
                let spent = format!(
                    "gave up after {attempts} {tries} in {:.1} s",
                    elapsed.as_secs_f64()
                );
                match last_error {
                    None => format!("{spent}: deadline {} s reached", seconds(*after)),
                    Some(last) => format!(
                        "{spent}: the next attempt could not start before the {} s deadline; \
                         last error: {last}",
                        seconds(*after)
                    ),
                }
            }
            ErrorKind::InvalidResponse {
                status,
                message,
                snippet,
            } if snippet.is_empty() => {
                format!("{message} (HTTP {status})")
            }
            ErrorKind::InvalidResponse {
                status,
                message,
                snippet,
            } => {
                format!("{message} (HTTP {status}; body starts: {snippet})")
            }
            ErrorKind::Credentials(e) => e.to_string(),
            ErrorKind::InvalidRequest {
                parameter: Some(p),
                message,
            } => format!("parameter {p}: {message}"),
            ErrorKind::InvalidRequest {
                parameter: None,
                message,
            } => message.clone(),
            ErrorKind::Config { message, .. } => message.clone(),
        }
    }

    /// The server's RequestId, when it answered.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The configuration problem, when this is a configuration error about one setting.
    pub fn config_problem(&self) -> Option<&crate::config::ConfigError> {
        match &self.kind {
            ErrorKind::Config {
                problem: Some(p), ..
            } => Some(p),
            _ => None,
        }
    }

    /// The action the call was for.
    pub fn action(&self) -> Option<&str> {
        self.action
    }

    /// True when the API said the caller is sending too fast.
    pub fn is_throttling(&self) -> bool {
        matches!(&self.kind, ErrorKind::Api { code, .. } if code.code().starts_with("RequestLimitExceeded"))
    }
}

/// Whole seconds without a fraction, otherwise one decimal: `10`, `0.3`.
fn seconds(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        d.as_secs().to_string()
    } else {
        format!("{:.1}", d.as_secs_f64())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = self.message();
        if message.is_empty() {
            f.write_str(self.code())?;
        } else {
            write!(f, "{}: {message}", self.code())?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (RequestId: {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Transport {
                source: Some(s), ..
            } => Some(s.as_ref()),
            ErrorKind::Credentials(e) => Some(e.as_ref()),
            ErrorKind::Deadline {
                last_error: Some(e),
                ..
            } => Some(e.as_ref()),
            ErrorKind::Config {
                problem: Some(p), ..
            } => Some(p.as_ref()),
            _ => None,
        }
    }
}

impl From<CredentialsError> for Error {
    fn from(e: CredentialsError) -> Error {
        Error::new(ErrorKind::Credentials(Box::new(e)))
    }
}
