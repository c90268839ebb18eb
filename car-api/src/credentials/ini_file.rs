//! `~/.tencentcloud/credentials`, the INI file the official SDKs read:
//!
//! ```ini
//! [default]
//! secret_id = AKID...
//! secret_key = ...
//! ```

use std::path::{Path, PathBuf};

use super::file_access::read_optional;
use super::{Credentials, CredentialsError, ProvideCredentials, ProvideFuture};

/// The machine-wide file the official SDKs fall back to.
pub const SYSTEM_CREDENTIALS_FILE: &str = "/etc/tencentcloud/credentials";

/// Reads a profile section (default `[default]`) of the first existing file among
/// its paths: `<home>/.tencentcloud/credentials`, then any fallbacks.
#[derive(Debug, Clone)]
pub struct IniFileProvider {
    paths: Vec<PathBuf>,
    profile: String,
}

impl IniFileProvider {
    /// `<home>/.tencentcloud/credentials`, section `[profile]`.
    pub fn new(home: &Path, profile: impl Into<String>) -> Self {
        Self::with_path(home.join(".tencentcloud").join("credentials"), profile)
    }

    /// A specific file.
    pub fn with_path(path: impl Into<PathBuf>, profile: impl Into<String>) -> Self {
        IniFileProvider {
            paths: vec![path.into()],
            profile: profile.into(),
        }
    }

    /// Adds a file to read when the earlier ones do not exist
    /// (e.g. [`SYSTEM_CREDENTIALS_FILE`]).
    pub fn with_fallback(mut self, path: impl Into<PathBuf>) -> Self {
        self.paths.push(path.into());
        self
    }

    /// Reads the credentials now (blocking file I/O; files are tiny).
    pub fn read(&self) -> Result<Credentials, CredentialsError> {
        for path in &self.paths {
            let source = source_name(path);
            if let Some(text) = read_optional(path, &source, true)? {
                return parse_profile(&text, &self.profile, &source);
            }
        }
        let tried: Vec<String> = self.paths.iter().map(|p| p.display().to_string()).collect();
        Err(CredentialsError::not_configured(
            "credentials file",
            format!("none of {} exists", tried.join(", ")),
        ))
    }
}

impl ProvideCredentials for IniFileProvider {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(async move { self.read() })
    }
}

fn source_name(path: &Path) -> String {
    format!("credentials file {}", path.display())
}

fn parse_profile(text: &str, profile: &str, source: &str) -> Result<Credentials, CredentialsError> {
    let mut in_profile = false;
    let mut found_section = false;
    let mut secret_id = None;
    let mut secret_key = None;
    let mut token = None;
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let Some(name) = rest.strip_suffix(']') else {
                return Err(CredentialsError::invalid(
                    source,
                    format!("line {}: unterminated section header", index + 1),
                ));
            };
            in_profile = name.trim() == profile;
            found_section |= in_profile;
            continue;
        }
        // configparser accepts both `key = value` and `key: value`.
        let Some(split) = line.find(['=', ':']) else {
            return Err(CredentialsError::invalid(
                source,
                format!("line {}: expected `key = value`", index + 1),
            ));
        };
        if !in_profile {
            continue;
        }
        let key = line[..split].trim().to_ascii_lowercase();
        let value = unquote(line[split + 1..].trim());
        match key.as_str() {
            "secret_id" => secret_id = Some(value.to_owned()),
            "secret_key" => secret_key = Some(value.to_owned()),
            "token" => token = Some(value.to_owned()),
            _ => {}
        }
    }
    if !found_section {
        return Err(CredentialsError::not_configured(
            source,
            format!("no [{profile}] section"),
        ));
    }
    let missing =
        |key: &str| CredentialsError::invalid(source, format!("[{profile}] has no {key}"));
    let secret_id = secret_id
        .filter(|v| !v.is_empty())
        .ok_or_else(|| missing("secret_id"))?;
    let secret_key = secret_key
        .filter(|v| !v.is_empty())
        .ok_or_else(|| missing("secret_key"))?;
    super::check_credentials(
        Credentials::new(secret_id, secret_key).with_token(token.unwrap_or_default()),
        source,
        ["secret_id", "secret_key", "token"],
    )
}

/// The SDK docs show `secret_id = "..."`; real keys never contain quotes, so strip them.
fn unquote(value: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = value.strip_prefix(q).and_then(|v| v.strip_suffix(q)) {
            return inner;
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_default_and_named_sections() {
        let text = "# comment\n[default]\nsecret_id = AKIDdef\nSECRET_KEY: \"keydef\"\n\n[prod]\nsecret_id=AKIDprod\nsecret_key='keyprod'\ntoken = t\n";
        let c = parse_profile(text, "default", "f").unwrap();
        assert_eq!(
            (c.secret_id.as_str(), c.secret_key.as_str(), c.token),
            ("AKIDdef", "keydef", None)
        );
        let c = parse_profile(text, "prod", "f").unwrap();
        assert_eq!(
            (
                c.secret_id.as_str(),
                c.secret_key.as_str(),
                c.token.as_deref()
            ),
            ("AKIDprod", "keyprod", Some("t"))
        );
    }

    #[test]
    fn inner_whitespace_is_invalid_and_names_the_key() {
        let err = parse_profile(
            "[default]\nsecret_id = AKID x\nsecret_key = k\n",
            "default",
            "f",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "f: secret_id contains a space at character 5 of 6"
        );
    }

    #[test]
    fn missing_section_and_key() {
        let text = "[default]\nsecret_id = a\n";
        assert!(parse_profile(text, "other", "f")
            .unwrap_err()
            .is_not_configured());
        assert_eq!(
            parse_profile(text, "default", "f").unwrap_err().to_string(),
            "f: [default] has no secret_key"
        );
        assert_eq!(
            parse_profile("[default]\njunk\n", "default", "f")
                .unwrap_err()
                .to_string(),
            "f: line 2: expected `key = value`"
        );
    }
}
