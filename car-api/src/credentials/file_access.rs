//! Reading credential and config files: absent vs unreadable, permission warnings,
//! and JSON errors reported by position only (serde's value-echoing messages could
//! leak a secret).

use std::collections::HashSet;
use std::fmt;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use super::CredentialsError;

/// Reads a file, `Ok(None)` if it does not exist. Reports (see [`set_warning_handler`])
/// a file that holds secrets and that group or others may access.
pub(crate) fn read_optional(
    path: &Path,
    source_name: &str,
    holds_secrets: bool,
) -> Result<Option<String>, CredentialsError> {
    let read = std::fs::File::open(path).and_then(|mut file| {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut file, &mut text)?;
        Ok((file, text))
    });
    match read {
        Ok((file, text)) => {
            if holds_secrets {
                check_permissions(&file, path);
            }
            Ok(Some(text))
        }
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) if e.kind() == ErrorKind::InvalidData => Err(CredentialsError::invalid(
            source_name,
            "file is not valid UTF-8",
        )),
        Err(e) => Err(CredentialsError::invalid(
            source_name,
            format!("cannot read file: {e}"),
        )),
    }
}

/// Something about where credentials come from that the user should fix, though it
/// does not stop them from working.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialsWarning {
    /// A file holding secrets that group or others may read or write.
    InsecurePermissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits, e.g. `0o644`.
        mode: u32,
    },
}

impl fmt::Display for CredentialsWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialsWarning::InsecurePermissions { path, mode } => write!(
                f,
                "credential file {} is accessible by group or others (mode {:03o}); \
                 restrict it with `chmod 600 {}`",
                path.display(),
                mode & 0o777,
                path.display()
            ),
        }
    }
}

static WARNING_HANDLER: OnceLock<fn(&CredentialsWarning)> = OnceLock::new();

/// Sends every [`CredentialsWarning`] to `handler` (e.g. a CLI printing it on stderr)
/// instead of a `tracing` WARN event, which is the default since a library should not
/// print. Set once per process; returns false if a handler was already set.
pub fn set_warning_handler(handler: fn(&CredentialsWarning)) -> bool {
    WARNING_HANDLER.set(handler).is_ok()
}

fn warn(warning: CredentialsWarning) {
    match WARNING_HANDLER.get() {
        Some(handler) => handler(&warning),
        None => tracing::warn!("{warning}"),
    }
}

/// Parses JSON text; errors give only the position and kind of the problem.
pub(crate) fn parse_json(
    text: &str,
    source_name: &str,
) -> Result<serde_json::Value, CredentialsError> {
    serde_json::from_str(text).map_err(|e| {
        CredentialsError::invalid(
            source_name,
            format!("invalid JSON at line {} column {}", e.line(), e.column()),
        )
    })
}

#[cfg(unix)]
fn check_permissions(file: &std::fs::File, path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    static WARNED: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

    let Ok(meta) = file.metadata() else {
        return;
    };
    let mode = meta.permissions().mode();
    if mode & 0o077 == 0 {
        return;
    }
    // Providers may re-read a file on every call; once per file and process is enough.
    let first_time = match WARNED.lock() {
        Ok(mut warned) => warned
            .get_or_insert_with(HashSet::new)
            .insert(path.to_path_buf()),
        Err(_) => true,
    };
    if first_time {
        warn(CredentialsWarning::InsecurePermissions {
            path: path.to_path_buf(),
            mode,
        });
    }
}

#[cfg(not(unix))]
fn check_permissions(_file: &std::fs::File, _path: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_do_not_echo_content() {
        let err = parse_json("{\n  \"secretKey\": \"s3cr3t\"\n  \"x\": 1}", "f").unwrap_err();
        let msg = err.to_string();
        assert_eq!(msg, "f: invalid JSON at line 3 column 3");
        assert!(!msg.contains("s3cr3t"));
    }

    #[test]
    fn missing_file_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_optional(&dir.path().join("nope"), "f", true), Ok(None));
    }
}
