//! `car --local`: each command runs against an emulator started in its own process, on
//! a data directory that outlives it, so what one command creates the next one lists.
//! Expected values come from the commands' own answers (the id CreateApplication
//! returned) and the documented exit codes (2 usage, 5 configuration).

mod common;

use common::{start_emulator, Sandbox};

#[test]
fn what_one_local_command_creates_the_next_one_lists() {
    let sb = Sandbox::empty();
    let dir = sb.path("emu");
    let dir = dir.to_str().unwrap();
    let created = sb
        .car(&[
            "--local",
            "--data-dir",
            dir,
            "create-application",
            "--application-name",
            "demo",
            "--application-type",
            "Application3D",
        ])
        .expect(0)
        .json();
    let id = created["ApplicationId"].as_str().unwrap().to_string();
    assert!(id.starts_with("app-"), "{created}");

    let listed = sb
        .car(&[
            "--local",
            "--data-dir",
            dir,
            "describe-application-list",
            "--offset",
            "0",
            "--limit",
            "10",
        ])
        .expect(0)
        .json();
    assert_eq!(listed["ApplicationTotal"], 1, "{listed}");
    assert_eq!(
        listed["UserApplicationList"][0]["ApplicationId"],
        id.as_str()
    );
    assert_eq!(listed["UserApplicationList"][0]["ApplicationName"], "demo");

    // A fresh directory is a fresh account: nothing there.
    let other = sb.path("other");
    let empty = sb
        .car(&[
            "--local",
            "--data-dir",
            other.to_str().unwrap(),
            "describe-application-list",
            "--offset",
            "0",
            "--limit",
            "10",
        ])
        .expect(0)
        .json();
    assert_eq!(empty["ApplicationTotal"], 0, "{empty}");
}

#[test]
fn local_refuses_another_endpoint_or_key_source_and_creates_nothing() {
    let sb = Sandbox::with_keys();
    let dir = sb.path("emu");
    let dir = dir.to_str().unwrap();
    for extra in [
        &["--endpoint", "http://127.0.0.1:9"][..],
        &["--site", "cn"],
        &["--use-cvm-role"],
        &[
            "--role-arn",
            "qcs::cam::uin/1:roleName/x",
            "--role-session-name",
            "s",
        ],
    ] {
        let mut args = vec!["--local", "--data-dir", dir];
        args.extend_from_slice(extra);
        args.extend([
            "create-application",
            "--application-name",
            "x",
            "--application-type",
            "Application3D",
        ]);
        let run = sb.car(&args);
        run.expect(2);
        assert!(run.stderr.contains("--local"), "{}", run.stderr);
    }
    assert!(
        !std::path::Path::new(dir).exists(),
        "a refused command must not even create the data directory"
    );
    let run = sb.car(&["--data-dir", dir, "describe-concurrent-count"]);
    run.expect(2);
    assert!(run.stderr.contains("--data-dir"), "{}", run.stderr);
}

#[test]
fn local_on_a_directory_a_running_emulator_holds_is_a_configuration_error() {
    let sb = Sandbox::empty();
    let dir = sb.path("emu");
    let dir = dir.to_str().unwrap();
    let emulator = start_emulator(&sb, &["--data-dir", dir]);
    let run = sb.car(&["--local", "--data-dir", dir, "describe-concurrent-count"]);
    drop(emulator);
    run.expect(5);
    assert!(run.stderr.contains("in use"), "{}", run.stderr);
}
