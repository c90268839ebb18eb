//! `car app release` end to end with no stand-in: the real binary against the real
//! emulator, either in its own process (`car --local --data-dir DIR`, packages processed
//! at once through `CAR_EMULATOR_PROCESSING_DELAY=0`) or as a `car emulator` process.
//! Expected values come from the files written here (sizes, the launch path in the zip)
//! and the ids the emulator's own answers gave.

mod common;

use common::app::{create_app, events, game_zip, AppEnv, MIB};
use common::{Run, Sandbox};
use serde_json::json;

/// `car --local --data-dir DIR …` with immediate processing.
struct Local {
    sb: Sandbox,
    dir: String,
}

impl Local {
    fn new() -> Local {
        let mut sb = Sandbox::empty();
        sb.set("CAR_EMULATOR_PROCESSING_DELAY", "0");
        let dir = sb.path("emulator").display().to_string();
        Local { sb, dir }
    }

    fn car(&self, args: &[&str]) -> Run {
        let mut all = vec!["--local", "--data-dir", &self.dir];
        all.extend_from_slice(args);
        self.sb.car(&all)
    }
}

#[test]
fn local_release_uploads_in_parts_puts_the_version_online_and_prints_a_summary() {
    let local = Local::new();
    let app = create_app(|a| local.car(a), "Game/Game.exe");
    let package = local.sb.path("space-game.zip");
    std::fs::write(&package, game_zip("Game/Game.exe", 3 * MIB)).unwrap();
    let size = std::fs::metadata(&package).unwrap().len();

    let run = local.car(&[
        "--output",
        "json",
        "app",
        "release",
        package.to_str().unwrap(),
        "--application-id",
        &app,
        "--online",
        "--part-size",
        "1",
    ]);
    run.expect(0);
    let summary = run.json();
    assert_eq!(summary["application_id"], app.as_str());
    assert_eq!(summary["state"], "Inuse", "{summary}");
    assert_eq!(summary["online"], true);
    assert_eq!(summary["pruned_version_id"], json!(null));
    let version = summary["version_id"].as_str().unwrap().to_string();
    let upload = &summary["upload"];
    assert_eq!(upload["size"], size);
    // 1 MiB parts of a file of 3 MiB and a bit.
    assert_eq!(upload["parts"], size.div_ceil(MIB as u64), "{summary}");
    assert_eq!(upload["parts_sent"], upload["parts"]);
    assert_eq!(upload["parts_reused"], 0);
    assert!(upload["upload_id"].is_string(), "multipart: {summary}");
    assert!(
        upload["key"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/{app}/{version}/{app}.zip")),
        "{summary}"
    );
    assert!(upload["crc64"].is_u64() && upload["throughput_mib_s"].is_number());

    // Not a terminal: one JSON event per line on stderr, nothing else.
    let evs = events(&run.stderr);
    assert_eq!(evs[0]["event"], "started", "{}", run.stderr);
    assert_eq!(evs[0]["size"], size);
    assert_eq!(evs[0]["parts"], upload["parts"]);
    assert_eq!(evs[0]["upload_id"], upload["upload_id"]);
    let mut done: Vec<u64> = evs
        .iter()
        .filter(|e| e["event"] == "part_done")
        .map(|e| e["number"].as_u64().unwrap())
        .collect();
    done.sort_unstable();
    assert_eq!(
        done,
        (1..=upload["parts"].as_u64().unwrap()).collect::<Vec<_>>()
    );

    // The next command (another process, the same data directory) sees it live, with
    // the package's size and files.
    let listed = local
        .car(&["app", "versions", "--application-id", &app])
        .expect(0)
        .json();
    assert_eq!(
        listed["Versions"][0]["ApplicationVersionId"],
        version.as_str()
    );
    assert_eq!(listed["Versions"][0]["ApplicationVersionStatus"], "Inuse");
    assert_eq!(listed["Versions"][0]["ApplicationVersionSize"], size);
    let paths = local
        .car(&[
            "describe-application-path-list",
            "--application-id",
            &app,
            "--application-version-id",
            &version,
        ])
        .expect(0)
        .json();
    // The executables, in Windows form.
    assert_eq!(paths["PathList"], json!(["Game\\Game.exe"]), "{paths}");
}

#[test]
fn without_output_json_the_summary_is_still_json_and_events_go_to_stderr() {
    // A small package: one PUT, one part_done event.
    let env = AppEnv::start(&[]);
    let app = env.create_app("Game/Game.exe");
    let package = env.package("small.zip", "Game/Game.exe", 1000);
    let run = env.app(
        &["release", package.to_str().unwrap()],
        &["--application-id", &app, "--wait"],
    );
    run.expect(0);
    let summary = run.json();
    assert_eq!(summary["state"], "Normal", "processed, not released");
    assert_eq!(summary["online"], false);
    assert_eq!(summary["upload"]["parts"], 1);
    assert_eq!(summary["upload"]["upload_id"], json!(null));
    let evs = events(&run.stderr);
    let kinds: Vec<&str> = evs.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["started", "part_done"], "{}", run.stderr);
    let vs = env.versions(&app);
    assert_eq!(vs.len(), 1);
    assert_eq!(vs[0]["ApplicationVersionStatus"], "Normal");
}

#[test]
fn an_upload_failure_exits_non_zero_naming_the_step_the_state_and_the_commands() {
    let env = AppEnv::start(&["--fault", "cos:PutObject:error=AccessDenied"]);
    let app = env.create_app("Game/Game.exe");
    let package = env.package("pkg.zip", "Game/Game.exe", 1000);
    let run = env.app(
        &["release", package.to_str().unwrap()],
        &["--application-id", &app, "--online"],
    );
    assert_eq!(run.code, 3, "an API-side failure: {run:?}");
    assert!(run.stdout.is_empty(), "no summary: {run:?}");
    let vs = env.versions(&app);
    assert_eq!(vs.len(), 1);
    assert_eq!(vs[0]["ApplicationVersionStatus"], "Uploading");
    let version = vs[0]["ApplicationVersionId"].as_str().unwrap();
    for expect in [
        "ReleaseStepFailed".to_string(),
        "uploading the package failed".to_string(),
        "AccessDenied".to_string(),
        format!("version {version} (now Uploading)"),
        format!(
            "car app upload {} --application-id {app}",
            package.display()
        ),
        format!("car app wait --application-id {app} --version-id {version} --online"),
        format!(
            "car delete-application-version --application-id {app} --application-version-id {version}"
        ),
    ] {
        assert!(run.stderr.contains(&expect), "{expect:?} in\n{}", run.stderr);
    }
}

#[test]
fn preflight_errors_exit_2_and_create_nothing() {
    let env = AppEnv::start(&[]);
    let app = env.create_app("Game/Game.exe");
    let apk = env.sb.write("game.apk", "x");
    let empty = env.sb.write("empty.zip", "");
    for (path, expect) in [
        (apk.display().to_string(), ".apk"),
        (empty.display().to_string(), "0 bytes"),
    ] {
        let run = env.app(&["release", &path], &["--application-id", &app]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.stderr.contains(expect) && run.stderr.contains("nothing was created"),
            "{run:?}"
        );
    }
    let package = env.package("g.zip", "Game/Game.exe", 10);
    let run = env.app(
        &["release", package.to_str().unwrap()],
        &["--application-id", "app-nothere0"],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("app-nothere0"), "{run:?}");
    assert!(env.versions(&app).is_empty());
}

#[test]
fn url_mode_has_the_emulator_read_the_package_and_uploads_nothing() {
    // Any COS request would be refused: the release must make none.
    let env = AppEnv::start(&["--fault", "cos:*:error=AccessDenied:rate=1"]);
    let app = env.create_app("Game/Game.exe");
    let package = env.package("from-url.zip", "Game/Game.exe", 1000);
    let url = format!("file://{}", package.display());
    let run = env.app(
        &["release", "--url", &url],
        &["--application-id", &app, "--online"],
    );
    run.expect(0);
    let summary = run.json();
    assert_eq!(summary["state"], "Inuse");
    assert_eq!(summary["upload"], json!(null));
    assert!(run.stderr.is_empty(), "no progress events: {}", run.stderr);
    let vs = env.versions(&app);
    assert_eq!(vs[0]["ApplicationVersionName"], "from-url");
    assert_eq!(
        vs[0]["ApplicationVersionSize"],
        std::fs::metadata(&package).unwrap().len()
    );
}
