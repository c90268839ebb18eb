//! Exit codes and the one place errors are printed, so every failure looks the same to
//! scripts: `error: ...` lines on stderr, or a JSON object there with `--output json`.

use std::io::Write;

use serde_json::{json, Value};

/// The documented exit statuses. Scripts branch on these, so they never change meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Success = 0,
    /// Invalid input or usage: nothing was sent.
    Usage = 2,
    /// The API answered with an error.
    Api = 3,
    /// Network failure, timeout, or an answer that is not a valid API response.
    Network = 4,
    /// Credentials or configuration.
    Config = 5,
    /// The request was sent, but its result could not be shown: standard output could
    /// not be written (a full disk, say). Not "nothing was sent", not an API error.
    Output = 6,
}

/// A failed invocation: what to print and how to exit.
#[derive(Debug)]
pub struct Failure {
    pub status: Status,
    /// `FailedOperation.ApplicationNotFind`, `ClientParamsError`, ...
    pub code: String,
    /// One message per problem; input errors report all of them at once.
    pub messages: Vec<String>,
    pub request_id: Option<String>,
    /// Already formatted text (clap's usage errors) printed as is in text mode.
    pub rendered: Option<String>,
}

impl Failure {
    pub fn new(status: Status, code: &str, message: impl Into<String>) -> Failure {
        Failure {
            status,
            code: code.into(),
            messages: vec![message.into()],
            request_id: None,
            rendered: None,
        }
    }

    pub fn usage(message: impl Into<String>) -> Failure {
        Failure::new(Status::Usage, "ClientParamsError", message)
    }

    pub fn params(messages: Vec<String>) -> Failure {
        Failure {
            status: Status::Usage,
            code: "ClientParamsError".into(),
            messages,
            request_id: None,
            rendered: None,
        }
    }

    pub fn config(message: impl Into<String>) -> Failure {
        Failure::new(Status::Config, "ClientConfigError", message)
    }

    /// A clap parse error (unknown flag, unknown subcommand...). Help and version
    /// requests are not failures and are handled before this.
    pub fn from_clap(err: &clap::Error) -> Failure {
        let rendered = err.render().to_string();
        // For JSON, keep the problem and its tip, drop the usage block.
        let summary: Vec<&str> = rendered
            .lines()
            .map(str::trim)
            .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
            .filter(|l| !l.is_empty())
            .collect();
        let message = summary.join(" ");
        let message = message
            .strip_prefix("error: ")
            .unwrap_or(&message)
            .to_string();
        Failure {
            status: Status::Usage,
            code: "ClientUsageError".into(),
            messages: vec![message],
            request_id: None,
            rendered: Some(rendered),
        }
    }

    /// Classifies a runtime error by its kind.
    pub fn from_api(err: &car_api::Error) -> Failure {
        use car_api::ErrorKind;
        let status = match err.kind() {
            ErrorKind::Api { .. } => Status::Api,
            ErrorKind::Transport { .. }
            | ErrorKind::Timeout { .. }
            | ErrorKind::InvalidResponse { .. } => Status::Network,
            ErrorKind::Credentials(_) | ErrorKind::Config { .. } => Status::Config,
            ErrorKind::InvalidRequest { .. } => Status::Usage,
            // A kind added to the runtime later: the safest reading is "could not complete".
            _ => Status::Network,
        };
        Failure {
            status,
            code: err.code().to_string(),
            messages: vec![err.message()],
            request_id: err.request_id().map(str::to_owned),
            rendered: None,
        }
    }

    fn as_json(&self) -> Value {
        let mut error = json!({ "Code": self.code, "Message": self.messages.join("; ") });
        if self.messages.len() > 1 {
            error["Problems"] = json!(self.messages);
        }
        json!({ "Error": error, "RequestId": self.request_id })
    }

    /// Writes the failure to stderr and gives the exit status.
    pub fn report(&self, json_errors: bool) -> Status {
        let mut err = std::io::stderr().lock();
        if json_errors {
            let text = crate::output::to_pretty_json(&self.as_json(), crate::output::Hint::None);
            let _ = writeln!(err, "{text}");
            return self.status;
        }
        if let Some(r) = &self.rendered {
            let _ = write!(err, "{r}");
            return self.status;
        }
        let request_id = self
            .request_id
            .as_ref()
            .map(|r| format!(" (RequestId: {r})"))
            .unwrap_or_default();
        let with_code = !matches!(self.code.as_str(), "ClientParamsError" | "ClientUsageError");
        for m in &self.messages {
            if with_code {
                let _ = writeln!(err, "error: {}: {m}{request_id}", self.code);
            } else {
                let _ = writeln!(err, "error: {m}{request_id}");
            }
        }
        self.status
    }
}

impl From<car_api::Error> for Failure {
    fn from(e: car_api::Error) -> Failure {
        Failure::from_api(&e)
    }
}

/// Writes to stdout, ignoring a closed pipe (`car ... | head` must not fail or panic).
pub fn print_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Writes to stderr, ignoring failures (a closed stderr must not turn into a panic).
pub fn print_stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
}
