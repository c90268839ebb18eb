//! `car app`: routing and checks that need no server.

use std::process::Command;

/// `car` with an empty HOME (kept alive by the returned directory) and no keys.
fn car() -> (Command, tempfile::TempDir) {
    let home = tempfile::tempdir().unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_car"));
    c.env("HOME", home.path())
        .env_remove("TENCENTCLOUD_SECRET_ID")
        .env_remove("TENCENTCLOUD_SECRET_KEY");
    (c, home)
}

#[test]
fn a_missing_package_is_a_usage_error_before_anything_is_sent() {
    // The endpoint is a reserved `.invalid` name that never resolves: a request would
    // be a network error (exit 4), not this usage error (exit 2).
    let (mut c, _home) = car();
    let out = c
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
    let (mut c, _home) = car();
    let out = c.args(["app", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    for sub in ["release", "upload", "versions", "wait", "online", "uploads"] {
        assert!(text.contains(sub), "{text}");
    }
    // An option value `app` does not make a command an `app` command.
    let (mut c, _home) = car();
    let out = c
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
