//! `cargo xtask`: regenerate and check everything derived from `spec/car.json`.
//!
//! - `cargo xtask codegen` rewrites the expansion snapshots and the generated docs.
//! - `cargo xtask codegen --check` fails, naming each stale file, when they are out of date.
//! - `cargo xtask spec-diff PATH/api.json [--site intl|cn]` compares the spec with an
//!   upstream API definition in Tencent's format and exits non-zero on drift.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod codegen;
mod docs;
mod spec_diff;

const USAGE: &str = "usage: cargo xtask codegen [--check]\n       cargo xtask spec-diff PATH/TO/api.json [--site intl|cn]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("codegen") => match &args[1..] {
            [] => codegen::run(&workspace_root(), false),
            [flag] if flag == "--check" => codegen::run(&workspace_root(), true),
            _ => Err(USAGE.to_string()),
        },
        Some("spec-diff") => spec_diff_cmd(&args[1..]),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("{msg}");
            ExitCode::FAILURE
        }
    }
}

fn spec_diff_cmd(args: &[String]) -> Result<(), String> {
    let mut path = None;
    let mut site = spec_diff::SiteFilter::Intl;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--site" => {
                site = match it.next().map(String::as_str) {
                    Some("intl") => spec_diff::SiteFilter::Intl,
                    Some("cn") => spec_diff::SiteFilter::Cn,
                    other => {
                        return Err(format!(
                            "--site takes `intl` or `cn`, got {other:?}\n{USAGE}"
                        ))
                    }
                }
            }
            p if path.is_none() && !p.starts_with('-') => path = Some(PathBuf::from(p)),
            other => return Err(format!("unexpected argument `{other}`\n{USAGE}")),
        }
    }
    let path = path.ok_or_else(|| USAGE.to_string())?;
    let spec = load_spec(&workspace_root())?;
    let upstream = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let upstream: serde_json::Value = serde_json::from_str(&upstream)
        .map_err(|e| format!("{} is not valid JSON: {e}", path.display()))?;
    let drift = spec_diff::diff(&spec, &upstream, site)?;
    if drift.is_empty() {
        println!("no drift: spec/car.json matches {}", path.display());
        Ok(())
    } else {
        for d in &drift {
            println!("{d}");
        }
        Err(format!(
            "{} difference(s) between spec/car.json and {}",
            drift.len(),
            path.display()
        ))
    }
}

/// The workspace root: xtask lives one level below it.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

pub fn load_spec(root: &Path) -> Result<car_spec::Checked, String> {
    let path = root.join("spec/car.json");
    let src = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    car_spec::parse(&src).map_err(|errs| {
        let lines: Vec<String> = errs.iter().map(|e| format!("spec/car.json: {e}")).collect();
        lines.join("\n")
    })
}
