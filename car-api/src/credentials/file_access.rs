//! Reading credential and config files: absent vs unreadable, permission warnings,
//! and JSON errors reported by position only (serde's value-echoing messages could
//! leak a secret).

use std::collections::HashSet;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::CredentialsError;

/// Reads a file, `Ok(None)` if it does not exist. Warns once per path when a file
/// that holds secrets is readable by everyone.
pub(crate) fn read_optional(
    path: &Path,
    source_name: &str,
    holds_secrets: bool,
) -> Result<Option<String>, CredentialsError> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            if holds_secrets {
                warn_if_world_readable(path);
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
fn warn_if_world_readable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    static WARNED: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    if meta.permissions().mode() & 0o004 == 0 {
        return;
    }
    // Providers may re-read a file on every call; one warning per file is enough.
    let first_time = match WARNED.lock() {
        Ok(mut warned) => warned
            .get_or_insert_with(HashSet::new)
            .insert(path.to_path_buf()),
        Err(_) => true,
    };
    if first_time {
        tracing::warn!(
            path = %path.display(),
            "credential file is readable by all users; restrict it with `chmod 600`"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_world_readable(_path: &Path) {}

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
