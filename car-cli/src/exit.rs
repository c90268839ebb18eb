//! Exit codes and the one place errors are printed, so every failure looks the same to
//! scripts: `error: ...` lines on stderr, or a JSON object there with `--output json`.

use std::io::Write;

use serde_json::{json, Value};

use crate::output::escape::for_terminal;

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
            | ErrorKind::Deadline { .. }
            | ErrorKind::InvalidResponse { .. } => Status::Network,
            // A flag whose value is not of the expected form is invalid input, like any
            // other malformed argument (the README's exit 2); a value of the right form
            // that cannot be used (a missing CA bundle, cleartext not allowed) and
            // everything from files or the environment is configuration (exit 5).
            ErrorKind::Config { .. }
                if err.config_problem().is_some_and(|p| {
                    p.is_malformed() && matches!(p.origin(), car_api::config::Origin::Flag(_))
                }) =>
            {
                Status::Usage
            }
            ErrorKind::Credentials(_) | ErrorKind::Config { .. } => Status::Config,
            ErrorKind::InvalidRequest { .. } => Status::Usage,
            // A kind added to the runtime later: the safest reading is "could not complete".
            _ => Status::Network,
        };
        // Exit 2 always reports bad input under its own code.
        let code = match status {
            Status::Usage => "ClientParamsError",
            _ => err.code(),
        };
        Failure {
            status,
            code: code.to_string(),
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

    /// Writes the failure to stderr and gives the exit status. Server text (codes,
    /// messages, request IDs) is escaped so it cannot drive the terminal.
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
        for line in self.lines() {
            let _ = writeln!(err, "{line}");
        }
        self.status
    }

    /// The text-mode lines: `error: CODE: MESSAGE (RequestId: ID)`, leaving out the parts
    /// that are empty, so a message-less error prints no dangling colon.
    fn lines(&self) -> Vec<String> {
        let request_id = self
            .request_id
            .as_deref()
            .filter(|r| !r.is_empty())
            .map(|r| format!(" (RequestId: {})", for_terminal(r)))
            .unwrap_or_default();
        let code = match self.code.as_str() {
            "ClientParamsError" | "ClientUsageError" => "",
            c => c.trim(),
        };
        let mut messages: Vec<&str> = self.messages.iter().map(|m| m.trim()).collect();
        if messages.is_empty() {
            messages.push("");
        }
        messages
            .into_iter()
            .map(|m| {
                let text = match (code.is_empty(), m.is_empty()) {
                    (false, false) => format!("{code}: {m}"),
                    (false, true) => code.to_string(),
                    (true, false) => m.to_string(),
                    (true, true) => "failed, and gave no reason".to_string(),
                };
                // A line break stays one, indented so it cannot pass for a new `error:`
                // line; every other control character is shown escaped.
                let shown: Vec<String> = text
                    .split('\n')
                    .map(|l| for_terminal(l).into_owned())
                    .collect();
                format!("error: {}{request_id}", shown.join("\n  "))
            })
            .collect()
    }
}

impl From<car_api::Error> for Failure {
    fn from(e: car_api::Error) -> Failure {
        Failure::from_api(&e)
    }
}

/// Writes to stdout. A closed pipe (`car ... | head`) is not an error: the reader has
/// what it wanted, so the rest is dropped quietly. Any other failure (a full disk) means
/// the result is lost; the run ends here with [`Status::Output`], since no caller could
/// do anything better with it.
pub fn print_stdout(text: &str) {
    if let Err(e) = write_stdout(text) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            let f = Failure::new(
                Status::Output,
                "ClientOutputError",
                format!("cannot write to standard output: {e}"),
            );
            std::process::exit(f.report(false) as i32);
        }
    }
}

fn write_stdout(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Writes to stderr, ignoring failures (a closed stderr must not turn into a panic).
pub fn print_stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: &str, message: &str, id: Option<&str>) -> Failure {
        Failure {
            request_id: id.map(str::to_owned),
            ..Failure::new(Status::Api, code, message)
        }
    }

    #[test]
    fn empty_parts_leave_no_dangling_colon() {
        assert_eq!(
            api("ResourceNotFound", "", Some("r-1")).lines(),
            ["error: ResourceNotFound (RequestId: r-1)"]
        );
        assert_eq!(
            api("InternalError", "  ", None).lines(),
            ["error: InternalError"]
        );
        assert_eq!(
            api("AuthFailure", "bad key", Some("")).lines(),
            ["error: AuthFailure: bad key"]
        );
        assert_eq!(
            Failure::usage("").lines(),
            ["error: failed, and gave no reason"]
        );
        assert_eq!(Failure::usage("bad").lines(), ["error: bad"]);
    }

    #[test]
    fn line_breaks_are_indented_continuations() {
        assert_eq!(
            api("FailedOperation", "first\nerror: fake\rx", None).lines(),
            ["error: FailedOperation: first\n  error: fake\\rx"]
        );
    }

    #[test]
    fn server_text_is_escaped() {
        let f = api("X\u{1b}[2J", "m\u{1b}]0;t\u{7}", Some("r\u{9b}"));
        assert_eq!(
            f.lines(),
            ["error: X\\x1b[2J: m\\x1b]0;t\\x07 (RequestId: r\\x9b)"]
        );
    }
}
