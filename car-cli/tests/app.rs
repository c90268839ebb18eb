//! `car app`: routing and checks that need no server.

use std::process::Command;

fn car() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_car"));
    let home = tempfile::tempdir().unwrap().keep();
    c.env("HOME", home)
        .env_remove("TENCENTCLOUD_SECRET_ID")
        .env_remove("TENCENTCLOUD_SECRET_KEY");
    c
}

#[test]
fn a_missing_package_is_a_usage_error_before_anything_is_sent() {
    // The endpoint is a closed-for-business address no test listens on: a request would
    // be a network error (exit 4), not this usage error (exit 2).
    let out = car()
        .args([
            "--endpoint",
            "https://car.invalid",
            "app",
            "release",
            "/nonexistent/pkg.zip",
            "--application-id",
            "app-1",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("/nonexistent/pkg.zip") && err.contains("nothing was created"),
        "{err}"
    );
}

#[test]
fn app_help_lists_the_subcommands_and_other_commands_are_unaffected() {
    let out = car().args(["app", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    for sub in ["release", "upload", "versions", "wait", "online", "uploads"] {
        assert!(text.contains(sub), "{text}");
    }
    // An option value `app` does not make a command an `app` command.
    let out = car()
        .args([
            "describe-application-list",
            "--offset",
            "0",
            "--limit",
            "1",
            "--filter",
            "app",
            "--dry-run",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
