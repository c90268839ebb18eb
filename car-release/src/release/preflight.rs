//! Checks on the package file that need no network: it exists, is a readable, non-empty
//! file, and its extension is one CAR accepts for the application's type.

use std::path::Path;

use car_api::types::ApplicationType;

use super::error::ReleaseError;

/// The package extensions CAR accepts for `kind` (car-behaviour.md: zip/rar/7z for desktop
/// applications, apk/xapk/zip for mobile); `None` for types no package is shipped for.
pub fn allowed_extensions(kind: &ApplicationType) -> Option<&'static [&'static str]> {
    match kind {
        ApplicationType::Application3D | ApplicationType::ApplicationXr => {
            Some(&["zip", "rar", "7z"])
        }
        ApplicationType::ApplicationApk => Some(&["apk", "xapk", "zip"]),
        _ => None,
    }
}

/// Checks `path` as a package for an application of type `kind` (or only as a file when
/// `kind` is `None`); returns its size.
pub fn check_package(path: &Path, kind: Option<&ApplicationType>) -> Result<u64, ReleaseError> {
    let shown = path.display();
    let meta = std::fs::metadata(path)
        .map_err(|e| ReleaseError::preflight(format!("package {shown}: cannot read it ({e})")))?;
    if !meta.is_file() {
        return Err(ReleaseError::preflight(format!(
            "package {shown}: expected a file, got a directory or special file"
        )));
    }
    std::fs::File::open(path)
        .map_err(|e| ReleaseError::preflight(format!("package {shown}: cannot open it ({e})")))?;
    if meta.len() == 0 {
        return Err(ReleaseError::preflight(format!(
            "package {shown}: expected a non-empty file, got 0 bytes"
        )));
    }
    if let Some(kind) = kind {
        let allowed = allowed_extensions(kind).ok_or_else(|| {
            ReleaseError::preflight(format!(
                "the application's type {} takes no uploaded package",
                kind.as_str()
            ))
        })?;
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        if !allowed.contains(&ext.as_str()) {
            return Err(ReleaseError::preflight(format!(
                "package {shown}: expected a .{} file for a {} application, got {}",
                allowed.join(" / ."),
                kind.as_str(),
                if ext.is_empty() {
                    "no extension".to_string()
                } else {
                    format!(".{ext}")
                }
            )));
        }
    }
    Ok(meta.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn each_preflight_error_names_the_file_and_what_was_expected() {
        let dir = tempfile::tempdir().unwrap();
        let desktop = ApplicationType::Application3D;
        let missing = check_package(&dir.path().join("nope.zip"), Some(&desktop)).unwrap_err();
        assert!(missing.to_string().contains("nope.zip"), "{missing}");
        let empty = check_package(&file(dir.path(), "e.zip", b""), Some(&desktop)).unwrap_err();
        assert!(empty.to_string().contains("non-empty"), "{empty}");
        let apk = check_package(&file(dir.path(), "g.apk", b"x"), Some(&desktop)).unwrap_err();
        assert!(
            apk.to_string().contains(".zip / .rar / .7z") && apk.to_string().contains(".apk"),
            "{apk}"
        );
        let d = check_package(dir.path(), Some(&desktop)).unwrap_err();
        assert!(d.to_string().contains("expected a file"), "{d}");
        assert!(d.to_string().contains("nothing was created"), "{d}");
    }

    #[test]
    fn the_types_take_the_documented_extensions() {
        let dir = tempfile::tempdir().unwrap();
        let mobile = ApplicationType::ApplicationApk;
        for ok in ["a.apk", "b.XAPK", "c.zip"] {
            check_package(&file(dir.path(), ok, b"x"), Some(&mobile)).unwrap();
        }
        assert!(check_package(&file(dir.path(), "d.7z", b"x"), Some(&mobile)).is_err());
        for ok in ["e.zip", "f.rar", "g.7z"] {
            check_package(
                &file(dir.path(), ok, b"x"),
                Some(&ApplicationType::ApplicationXr),
            )
            .unwrap();
        }
    }
}
