//! Reading and writing the profile files in `~/.tccli` without giving another local
//! user a way in: the directory must be the user's own and closed to others, and each
//! file is written through a temporary file with an unpredictable name, created
//! exclusively (never through a planted symlink), made private while open, then renamed
//! over the target (which replaces a symlink there rather than writing through it).

use std::io::Write;
use std::path::Path;

use serde_json::{Map, Value};

use crate::exit::Failure;

/// A JSON object file; absent means empty. Errors give the position only, never the
/// content (it may hold a secret).
pub fn load(path: &Path) -> Result<Map<String, Value>, Failure> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Map::new()),
        Err(e) => {
            return Err(Failure::config(format!(
                "cannot read {}: {e}",
                path.display()
            )))
        }
    };
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(Failure::config(format!(
            "{}: expected a JSON object",
            path.display()
        ))),
        Err(e) => Err(Failure::config(format!(
            "{}: invalid JSON at line {} column {}",
            path.display(),
            e.line(),
            e.column()
        ))),
    }
}

/// Replaces `path` with `map` as JSON, mode 0600, so a crash never leaves a half-written
/// key file and the secret is never readable by others, even briefly.
pub fn save(path: &Path, map: &Map<String, Value>) -> Result<(), Failure> {
    let dir = path
        .parent()
        .ok_or_else(|| Failure::config(format!("{} has no directory", path.display())))?;
    private_dir(dir)?;
    let mut text = serde_json::to_string_pretty(map).map_err(|e| Failure::config(e.to_string()))?;
    text.push('\n');
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("profile");
    let write = || -> std::io::Result<()> {
        // O_CREAT|O_EXCL under a random name: an existing file or symlink is never opened.
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(dir)?;
        make_private(tmp.as_file())?;
        tmp.write_all(text.as_bytes())?;
        tmp.as_file().sync_all()?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    };
    // On failure the temporary file is removed when `tmp` drops.
    write().map_err(|e| Failure::config(format!("cannot write {}: {e}", path.display())))
}

/// Sets the mode on the open file, so it applies to what was created, not to whatever
/// the name points at later.
#[cfg(unix)]
fn make_private(f: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    f.set_permissions(std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn make_private(_f: &std::fs::File) -> std::io::Result<()> {
    Ok(())
}

/// Creates `dir` with mode 0700 if it is missing; refuses one that another user owns or
/// that group or others may write to, since they could swap the files in it.
fn private_dir(dir: &Path) -> Result<(), Failure> {
    match std::fs::metadata(dir) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut b = std::fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                b.mode(0o700);
            }
            b.create(dir)
                .map_err(|e| Failure::config(format!("cannot create {}: {e}", dir.display())))?;
        }
        Err(e) => {
            return Err(Failure::config(format!(
                "cannot use {}: {e}",
                dir.display()
            )))
        }
    }
    check_dir(dir)
}

#[cfg(unix)]
fn check_dir(dir: &Path) -> Result<(), Failure> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(dir)
        .map_err(|e| Failure::config(format!("cannot use {}: {e}", dir.display())))?;
    if !meta.is_dir() {
        return Err(Failure::config(format!(
            "{} is not a directory",
            dir.display()
        )));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    unsafe_dir_reason(meta.uid(), meta.mode(), me)
        .map_err(|why| Failure::config(format!("{}: {why}", dir.display())))
}

#[cfg(not(unix))]
fn check_dir(_dir: &Path) -> Result<(), Failure> {
    Ok(())
}

/// Why a directory with this owner and mode is not safe for `me`'s credentials.
#[cfg(unix)]
fn unsafe_dir_reason(owner: u32, mode: u32, me: u32) -> Result<(), String> {
    if owner != me {
        return Err(format!(
            "owned by user {owner}, not by you (user {me}); car will not write credentials there"
        ));
    }
    if mode & 0o022 != 0 {
        return Err(format!(
            "writable by group or others (mode {:04o}); car will not write credentials there \
             until it is private (chmod 700)",
            mode & 0o7777
        ));
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, PermissionsExt};

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).expect("stat").permissions().mode() & 0o7777
    }

    #[test]
    fn unsafe_directories_are_named() {
        assert_eq!(unsafe_dir_reason(1000, 0o40700, 1000), Ok(()));
        assert_eq!(unsafe_dir_reason(1000, 0o40755, 1000), Ok(()));
        let other = unsafe_dir_reason(0, 0o40700, 1000).err().unwrap();
        assert!(
            other.starts_with("owned by user 0, not by you (user 1000)"),
            "{other}"
        );
        for loose in [0o40770, 0o40707, 0o41777] {
            let why = unsafe_dir_reason(1000, loose, 1000).err().unwrap();
            assert!(
                why.contains("writable by group or others"),
                "{loose:o}: {why}"
            );
        }
    }

    // The old writer opened `.NAME.<pid>.tmp` with O_CREAT|O_TRUNC, following a symlink
    // planted there, then chmodded and renamed it: another file got overwritten.
    #[test]
    fn planted_temporary_names_are_never_followed() {
        let home = tempfile::tempdir().expect("tmp");
        let dir = home.path().join(".tccli");
        std::fs::create_dir(&dir).expect("mkdir");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        let victim = home.path().join("victim");
        std::fs::write(&victim, "precious").expect("write");
        std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let pid = std::process::id();
        for planted in [
            format!(".default.credential.{pid}.tmp"),
            ".default.credential.tmp".to_string(),
            "default.credential.tmp".to_string(),
            "default.credential~".to_string(),
        ] {
            symlink(&victim, dir.join(planted)).expect("symlink");
        }
        let target = dir.join("default.credential");
        let mut map = Map::new();
        map.insert("secretKey".into(), Value::String("s3cret".into()));
        save(&target, &map).expect("save");

        assert_eq!(std::fs::read_to_string(&victim).expect("read"), "precious");
        assert_eq!(mode(&victim), 0o644);
        assert_eq!(load(&target).expect("load"), map);
        assert_eq!(mode(&target), 0o600);
        assert!(!std::fs::symlink_metadata(&target)
            .expect("lstat")
            .is_symlink());
    }

    #[test]
    fn a_symlinked_target_is_replaced_not_written_through() {
        let home = tempfile::tempdir().expect("tmp");
        let dir = home.path().join(".tccli");
        let victim = home.path().join("victim");
        std::fs::write(&victim, "precious").expect("write");
        std::fs::create_dir(&dir).expect("mkdir");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        let target = dir.join("default.configure");
        symlink(&victim, &target).expect("symlink");
        save(&target, &Map::new()).expect("save");
        assert_eq!(std::fs::read_to_string(&victim).expect("read"), "precious");
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "{}\n");
    }

    #[test]
    fn a_loose_directory_is_refused_and_left_alone() {
        let home = tempfile::tempdir().expect("tmp");
        let dir = home.path().join(".tccli");
        std::fs::create_dir(&dir).expect("mkdir");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        let f = save(&dir.join("default.credential"), &Map::new()).expect_err("refused");
        assert_eq!(f.status, crate::exit::Status::Config);
        assert!(
            f.messages[0].contains("writable by group or others (mode 0777)"),
            "{:?}",
            f.messages
        );
        assert_eq!(std::fs::read_dir(&dir).expect("ls").count(), 0);
    }

    #[test]
    fn a_new_directory_is_private() {
        let home = tempfile::tempdir().expect("tmp");
        let dir = home.path().join(".tccli");
        save(&dir.join("p.configure"), &Map::new()).expect("save");
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("p.configure")), 0o600);
    }
}
