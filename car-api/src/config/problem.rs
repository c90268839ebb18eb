//! What a configuration error says: the setting, where its value came from, what was
//! expected and what was given.

use std::fmt;
use std::path::PathBuf;

use crate::error::{Error, ErrorKind};

/// A setting of the precedence table in [`crate::config`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Setting {
    /// The tccli profile name.
    Profile,
    /// Where the keys come from.
    Credentials,
    /// `X-TC-Region`.
    Region,
    /// The API endpoint.
    Endpoint,
    /// The site whose endpoint is used.
    Site,
    /// The CLI's output format.
    Output,
    /// `X-TC-Language`.
    Language,
    /// The HTTPS proxy.
    Proxy,
    /// Extra trusted certificates.
    CaBundle,
    /// Time allowed to connect.
    ConnectTimeout,
    /// Deadline of a whole call.
    Timeout,
}

impl Setting {
    /// The setting's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Setting::Profile => "profile",
            Setting::Credentials => "credentials",
            Setting::Region => "region",
            Setting::Endpoint => "endpoint",
            Setting::Site => "site",
            Setting::Output => "output",
            Setting::Language => "language",
            Setting::Proxy => "proxy",
            Setting::CaBundle => "CA bundle",
            Setting::ConnectTimeout => "connect timeout",
            Setting::Timeout => "timeout",
        }
    }

    /// The key in a tccli `.configure` file holding this setting.
    fn profile_key(self) -> &'static str {
        match self {
            Setting::Endpoint => "car.endpoint",
            other => other.name(),
        }
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// A command-line flag, e.g. `--endpoint`.
    Flag(&'static str),
    /// A method of the builder, e.g. `ClientBuilder::endpoint`.
    Builder(&'static str),
    /// An environment variable, e.g. `TENCENTCLOUD_REGION`.
    Env(&'static str),
    /// A tccli `.configure` file.
    Profile(PathBuf),
    /// Nobody set it; the built-in default applies.
    Default,
}

impl Origin {
    /// True for a flag or builder method: what the caller asked for directly.
    pub fn is_explicit(&self) -> bool {
        matches!(self, Origin::Flag(_) | Origin::Builder(_))
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag(name) => f.write_str(name),
            Origin::Builder(name) => f.write_str(name),
            Origin::Env(name) => write!(f, "environment variable {name}"),
            Origin::Profile(path) => write!(f, "profile file {}", path.display()),
            Origin::Default => f.write_str("default"),
        }
    }
}

/// A setting that cannot be used, and why. Shown as `WHERE: what was expected, what was
/// given`, where `WHERE` names the flag, builder method, environment variable or profile
/// file and key it came from; never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    setting: Setting,
    origin: Origin,
    message: String,
    malformed: bool,
}

impl ConfigError {
    /// The value is there but cannot be used: a missing file, cleartext not allowed.
    pub(crate) fn new(setting: Setting, origin: Origin, message: impl Into<String>) -> Self {
        ConfigError {
            setting,
            origin,
            message: message.into(),
            malformed: false,
        }
    }

    /// The value is not of the expected form (a typo, a bad URL).
    pub(crate) fn malformed(setting: Setting, origin: Origin, message: impl Into<String>) -> Self {
        ConfigError {
            malformed: true,
            ..ConfigError::new(setting, origin, message)
        }
    }

    /// The setting at fault.
    pub fn setting(&self) -> Setting {
        self.setting
    }

    /// Where its value came from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// True when the value is not of the expected form at all (rather than naming
    /// something unusable, such as a missing file).
    pub fn is_malformed(&self) -> bool {
        self.malformed
    }

    pub(crate) fn into_error(self) -> Error {
        Error::new(ErrorKind::Config {
            message: self.to_string(),
            problem: Some(Box::new(self)),
        })
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.origin {
            Origin::Flag(_) => write!(f, "{}: {}", self.origin, self.message),
            Origin::Builder(method) => {
                write!(f, "{} (given to {method}): {}", self.setting, self.message)
            }
            Origin::Env(_) => write!(f, "{} ({}): {}", self.origin, self.setting, self.message),
            Origin::Profile(path) => write!(
                f,
                "{}: {}: {}",
                path.display(),
                self.setting.profile_key(),
                self.message
            ),
            Origin::Default => write!(f, "{}: {}", self.setting, self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Error {
        e.into_error()
    }
}
