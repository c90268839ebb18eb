//! Files derived from the spec: the expansion snapshots and the reference docs.

use std::path::{Path, PathBuf};

/// A file and the content it must have.
struct Derived {
    path: PathBuf,
    content: String,
}

const SNAPSHOT_SOURCE: &str = "car-spec/tests/snapshots.rs";

/// Where car-api's packaged copy of the spec lives.
const PACKAGED_SPEC: &str = "car-api/spec/car.json";

/// insta's file layout, so `cargo test` compares against what we write.
fn snapshot_file(body: &str) -> String {
    format!("---\nsource: {SNAPSHOT_SOURCE}\nexpression: out\n---\n{body}\n")
}

/// The snapshot body as insta reads it: everything after the header.
fn snapshot_body(file: &str) -> Option<&str> {
    let rest = file.strip_prefix("---\n")?;
    let end = rest.find("\n---\n")?;
    Some(&rest[end + 5..])
}

fn expansion(path: &Path) -> Result<String, String> {
    let src = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    car_spec::codegen::expand_to_string(&src).map_err(|e| format!("{}: {e}", path.display()))
}

fn derived(root: &Path) -> Result<Vec<Derived>, String> {
    let snaps = root.join("car-spec/tests/snapshots");
    let spec = crate::load_spec(root)?;
    Ok(vec![
        Derived {
            path: snaps.join("snapshots__car_spec_expansion.snap"),
            content: snapshot_file(&expansion(&root.join("spec/car.json"))?),
        },
        Derived {
            path: snaps.join("snapshots__fixture_expansion.snap"),
            content: snapshot_file(&expansion(&root.join("car-spec/tests/fixtures/mini.json"))?),
        },
        Derived {
            path: root.join("docs/reference.md"),
            content: crate::docs::reference(&spec),
        },
        // The published car-api crate cannot reach the workspace's spec/, so it ships
        // this copy; spec/car.json stays the one file people edit.
        Derived {
            path: root.join(PACKAGED_SPEC),
            content: std::fs::read_to_string(root.join("spec/car.json"))
                .map_err(|e| format!("cannot read spec/car.json: {e}"))?,
        },
    ])
}

fn is_fresh(d: &Derived, on_disk: &str) -> bool {
    if d.path.extension().is_some_and(|e| e == "snap") {
        // insta ignores trailing whitespace differences; so do we.
        match (snapshot_body(on_disk), snapshot_body(&d.content)) {
            (Some(a), Some(b)) => a.trim_end() == b.trim_end(),
            _ => false,
        }
    } else {
        on_disk == d.content
    }
}

/// Writes every derived file, or with `check` reports the stale ones and fails.
pub fn run(root: &Path, check: bool) -> Result<(), String> {
    let mut stale = Vec::new();
    for d in derived(root)? {
        let rel = d
            .path
            .strip_prefix(root)
            .unwrap_or(&d.path)
            .display()
            .to_string();
        let current = std::fs::read_to_string(&d.path).unwrap_or_default();
        if is_fresh(&d, &current) {
            continue;
        }
        if check {
            stale.push(rel);
        } else {
            if let Some(dir) = d.path.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
            std::fs::write(&d.path, &d.content).map_err(|e| format!("cannot write {rel}: {e}"))?;
            println!("updated {rel}");
        }
    }
    if stale.is_empty() {
        if check {
            println!("generated files are up to date");
        }
        Ok(())
    } else {
        Err(format!(
            "stale generated file(s):\n  {}\nrun `cargo xtask codegen` and commit the result",
            stale.join("\n  ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_round_trip() {
        let file = snapshot_file("pub mod x {}");
        assert_eq!(snapshot_body(&file), Some("pub mod x {}\n"));
        assert_eq!(snapshot_body("no header"), None);
    }

    #[test]
    fn check_names_stale_files_and_the_fix() {
        let dir = std::env::temp_dir().join(format!("xtask-check-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in [
            "spec",
            "car-spec/tests/fixtures",
            "car-spec/tests/snapshots",
            "docs",
        ] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        let root = crate::workspace_root();
        for f in ["spec/car.json", "car-spec/tests/fixtures/mini.json"] {
            std::fs::copy(root.join(f), dir.join(f)).unwrap();
        }
        let err = run(&dir, true).unwrap_err();
        assert!(
            err.contains("docs/reference.md") && err.contains("cargo xtask codegen"),
            "{err}"
        );
        run(&dir, false).unwrap();
        run(&dir, true).unwrap();
        // A spec edit makes the snapshot and docs stale again.
        let spec = std::fs::read_to_string(dir.join("spec/car.json")).unwrap();
        std::fs::write(
            dir.join("spec/car.json"),
            spec.replacen("\"rate_limit\": 100", "\"rate_limit\": 99", 1),
        )
        .unwrap();
        let err = run(&dir, true).unwrap_err();
        assert!(err.contains("snapshots__car_spec_expansion.snap"), "{err}");
        assert!(err.contains(PACKAGED_SPEC), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
