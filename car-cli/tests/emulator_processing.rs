//! How long the emulator takes to process a package: `car emulator --processing-delay
//! SECONDS`, and `CAR_EMULATOR_PROCESSING_DELAY` for it and for `car --local`. With 0 the
//! version is processed by the next read, where the default (6 s on the system clock)
//! would leave it `Creating`; the default itself is tested on a manual clock in
//! car-emulator's tests. Bad values are usage errors naming the setting.

mod common;

use common::app::{create_app, game_zip};
use common::{start_emulator, text, Run, Sandbox};

/// Creates a version of a new application and has it processed from a file:// URL;
/// returns the status DescribeApplicationVersion reports right after.
fn status_after_snapshot(sb: &Sandbox, car: impl Fn(&[&str]) -> Run) -> String {
    let app = create_app(&car, "Game/Game.exe");
    let package = sb.path("game.zip");
    std::fs::write(&package, game_zip("Game/Game.exe", 10)).unwrap();
    car(&[
        "create-application-version",
        "--application-id",
        &app,
        "--application-file-name",
        "game.zip",
    ])
    .expect(0);
    car(&[
        "create-application-snapshot",
        "--application-id",
        &app,
        "--application-download-url",
        &format!("file://{}", package.display()),
    ])
    .expect(0);
    let v = car(&["describe-application-version", "--application-id", &app])
        .expect(0)
        .json();
    v["Versions"][0]["ApplicationVersionStatus"]
        .as_str()
        .unwrap()
        .to_string()
}

fn served(delay: &str) -> String {
    let mut sb = Sandbox::empty();
    let data = sb.path("emulator");
    let emu = start_emulator(
        &sb,
        &[
            "--data-dir",
            data.to_str().unwrap(),
            "--processing-delay",
            delay,
        ],
    );
    sb.set("TENCENTCLOUD_SECRET_ID", text(&emu.info, "secret_id"));
    sb.set("TENCENTCLOUD_SECRET_KEY", text(&emu.info, "secret_key"));
    let endpoint = text(&emu.info, "endpoint").to_string();
    status_after_snapshot(&sb, |args| {
        let mut all = vec!["--endpoint", endpoint.as_str()];
        all.extend_from_slice(args);
        sb.car(&all)
    })
}

#[test]
fn car_emulator_processes_at_once_with_a_zero_delay() {
    assert_eq!(served("0"), "Normal");
}

fn local(delay: &str) -> String {
    let mut sb = Sandbox::empty();
    sb.set("CAR_EMULATOR_PROCESSING_DELAY", delay);
    let dir = sb.path("emulator").display().to_string();
    status_after_snapshot(&sb, |args| {
        let mut all = vec!["--local", "--data-dir", dir.as_str()];
        all.extend_from_slice(args);
        sb.car(&all)
    })
}

#[test]
fn car_local_takes_the_delay_from_the_environment() {
    assert_eq!(local("0"), "Normal");
}

#[test]
fn a_delay_that_is_not_whole_seconds_is_a_usage_error() {
    let sb = Sandbox::empty();
    let data = sb.path("emulator");
    let run = sb.car(&[
        "emulator",
        "--data-dir",
        data.to_str().unwrap(),
        "--processing-delay",
        "1.5",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("--processing-delay") && run.stderr.contains("\"1.5\""),
        "{run:?}"
    );
    assert!(run.stdout.is_empty(), "it did not start: {run:?}");

    let mut sb = Sandbox::empty();
    sb.set("CAR_EMULATOR_PROCESSING_DELAY", "-1");
    let dir = sb.path("emulator");
    let run = sb.car(&[
        "--local",
        "--data-dir",
        dir.to_str().unwrap(),
        "describe-concurrent-count",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("CAR_EMULATOR_PROCESSING_DELAY") && run.stderr.contains("\"-1\""),
        "{run:?}"
    );
    assert_eq!(run.stdout, "", "nothing answered: {run:?}");
}
