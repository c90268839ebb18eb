//! The steps of `car app release` as separate commands, for people who script them:
//! `car app upload`, `versions`, `wait`, `online`, and `uploads list|abort` for
//! multipart uploads left unfinished, all against a real `car emulator` process. COS
//! faults given at its start interrupt uploads deterministically.

mod common;

use std::io::{BufRead, BufReader};
use std::time::Duration;

use axum::http::{Method, Uri};
use car_emulator::{Emulator, Fault, FaultKind};
use common::app::{events, AppEnv, MIB};
use serde_json::{json, Value};

/// `car create-application-snapshot` for the package uploaded to COS.
fn snapshot(env: &AppEnv, app: &str) {
    env.car(&[
        "create-application-snapshot",
        "--application-id",
        app,
        "--application-download-url",
        "",
    ])
    .expect(0);
}

fn upload(env: &AppEnv, app: &str, package: &str) -> common::Run {
    env.app(
        &["upload", package],
        &[
            "--application-id",
            app,
            "--part-size",
            "1",
            "--concurrency",
            "1",
        ],
    )
}

fn uploads(env: &AppEnv, app: &str) -> Vec<Value> {
    let v = env
        .app(&["uploads", "list"], &["--application-id", app])
        .expect(0)
        .json();
    v["uploads"].as_array().unwrap().clone()
}

#[test]
fn upload_wait_online_and_versions_ship_a_version_step_by_step() {
    let env = AppEnv::start(&[]);
    let app = env.create_app("Game/Game.exe");
    let version = env.create_version(&app, "space-game.zip");
    let package = env.package("space-game.zip", "Game/Game.exe", 2 * MIB);
    let size = std::fs::metadata(&package).unwrap().len();

    let run = upload(&env, &app, package.to_str().unwrap());
    run.expect(0);
    let up = run.json();
    assert_eq!(up["size"], size);
    assert_eq!(up["parts"], size.div_ceil(MIB as u64));
    assert_eq!(up["parts_sent"], up["parts"]);
    assert!(
        up["key"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/{app}/{version}/{app}.zip")),
        "{up}"
    );
    assert_eq!(events(&run.stderr)[0]["event"], "started");
    let vs = env.versions(&app);
    assert_eq!(vs[0]["ApplicationVersionStatus"], "Uploading", "{vs:?}");

    snapshot(&env, &app);
    let waited = env
        .car(&[
            "app",
            "wait",
            "--application-id",
            &app,
            "--version-id",
            &version,
        ])
        .expect(0)
        .json();
    assert_eq!(
        waited,
        json!({"application_id": app, "version_id": version, "state": "Normal"})
    );
    let online = env
        .car(&[
            "app",
            "online",
            "--application-id",
            &app,
            "--version-id",
            &version,
        ])
        .expect(0)
        .json();
    assert_eq!(online["state"], "Inuse");

    let vs = env.versions(&app);
    assert_eq!(vs.len(), 1);
    assert_eq!(vs[0]["ApplicationVersionId"], version.as_str());
    assert_eq!(vs[0]["ApplicationVersionName"], "space-game");
    assert_eq!(vs[0]["ApplicationVersionStatus"], "Inuse");
    // The emulator measured the object the upload left in COS.
    assert_eq!(vs[0]["ApplicationVersionSize"], size);
}

#[test]
fn online_refuses_a_package_without_the_launch_path_and_wait_online_releases_one_with_it() {
    let env = AppEnv::start(&[]);
    let app = env.create_app("Game/Game.exe");

    // A package without the application's launch path: processed, but not released.
    let first = env.create_version(&app, "wrong.zip");
    let wrong = env.package("wrong.zip", "Other/Other.exe", 10);
    upload(&env, &app, wrong.to_str().unwrap()).expect(0);
    snapshot(&env, &app);
    let run = env.car(&[
        "app",
        "wait",
        "--application-id",
        &app,
        "--version-id",
        &first,
        "--online",
    ]);
    assert_eq!(run.code, 3, "{run:?}");
    for expect in [
        "Game/Game.exe".to_string(),
        format!("version {first} (now Normal)"),
        format!("car app online --application-id {app} --version-id {first}"),
    ] {
        assert!(run.stderr.contains(&expect), "{expect:?} in {run:?}");
    }
    let run = env.car(&[
        "app",
        "online",
        "--application-id",
        &app,
        "--version-id",
        &first,
    ]);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(env.versions(&app)[0]["ApplicationVersionStatus"], "Normal");

    // Once the application's launch path is one the package has, `wait --online`
    // (the version is already processed) releases it.
    env.car(&[
        "modify-application-base-info",
        "--application-id",
        &app,
        "--application-exe-path",
        "Other/Other.exe",
        "--application-inter-list",
        "",
        "--application-base-info",
        r#"{"WindowUseType":"ApplicationDesktop"}"#,
    ])
    .expect(0);
    let waited = env.car(&[
        "app",
        "wait",
        "--application-id",
        &app,
        "--version-id",
        &first,
        "--online",
    ]);
    waited.expect(0);
    assert_eq!(
        waited.json(),
        json!({"application_id": app, "version_id": first, "state": "Inuse"})
    );
    assert_eq!(env.versions(&app)[0]["ApplicationVersionStatus"], "Inuse");
}

#[test]
fn wait_reports_a_package_that_failed_processing_with_what_to_run() {
    let env = AppEnv::start(&[]);
    let app = env.create_app("Game/Game.exe");
    let version = env.create_version(&app, "broken.zip");
    // Not a zip: the emulator cannot list it, so processing fails.
    let broken = env.sb.write("broken.zip", "this is not a zip archive");
    upload(&env, &app, broken.to_str().unwrap()).expect(0);
    snapshot(&env, &app);
    let run = env.car(&[
        "app",
        "wait",
        "--application-id",
        &app,
        "--version-id",
        &version,
    ]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains(&format!("version {version} (now CreateFailed)"))
            && run.stderr.contains(&format!(
                "car delete-application-version --application-id {app} --application-version-id {version}"
            )),
        "{run:?}"
    );
}

/// Names UploadPart 4, the last and short part of the 3 MiB packages here, apart from
/// the other COS requests, so a fault can hit it. A fault answers without reading the
/// request body; with a short body the client has sent it all by then and reads the
/// answer, where a 1 MiB body could meet a closed connection (a retried transport error).
fn last_part_apart(method: &Method, uri: &Uri) -> &'static str {
    match car_emulator::cos::operation_name(method, uri) {
        "UploadPart"
            if uri
                .query()
                .unwrap_or("")
                .split('&')
                .any(|kv| kv == "partNumber=4") =>
        {
            "UploadPart4"
        }
        other => other,
    }
}

/// An emulator in this process that refuses part 4, and an upload of a 3 MiB package
/// in 1 MiB parts that stopped there with parts 1-3 in COS: the application, the package and the upload ID
/// the progress events named.
async fn interrupted() -> (AppEnv, String, std::path::PathBuf, String) {
    let env = AppEnv::in_process(Emulator::builder().cos_classifier(last_part_apart).fault(
        Fault::cos("UploadPart4", FaultKind::Error("AccessDenied".into())),
    ))
    .await;
    let app = env.create_app("Game/Game.exe");
    env.create_version(&app, "game.zip");
    let package = env.package("game.zip", "Game/Game.exe", 3 * MIB);
    let failed = upload(&env, &app, package.to_str().unwrap());
    assert_eq!(failed.code, 4, "{failed:?}");
    assert!(failed.stdout.is_empty(), "{failed:?}");
    assert!(
        failed.stderr.contains("AccessDenied") && failed.stderr.contains("UploadPart 4"),
        "{failed:?}"
    );
    let event_lines: Vec<&str> = failed
        .stderr
        .lines()
        .filter(|l| l.starts_with('{') && l.contains("\"event\""))
        .collect();
    let upload_id = events(&event_lines.join("\n"))[0]["upload_id"]
        .as_str()
        .unwrap()
        .to_string();
    (env, app, package, upload_id)
}

/// Checks that `resumed` completed `upload_id` of `package`, sending only part 4.
#[track_caller]
fn assert_resumed(resumed: &common::Run, upload_id: &str, package: &std::path::Path) {
    resumed.expect(0);
    let report = resumed.json();
    assert_eq!(report["upload_id"], upload_id, "the same upload: {report}");
    assert_eq!(report["size"], std::fs::metadata(package).unwrap().len());
    assert_eq!(report["parts"], 4);
    assert_eq!(report["parts_reused"], 3, "parts 1-3 were kept: {report}");
    assert_eq!(report["parts_sent"], 1);
    assert_eq!(events(&resumed.stderr)[0]["reused_parts"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_upload_is_listed_and_resumed_by_running_the_upload_again() {
    let (env, app, package, upload_id) = interrupted().await;
    let listed = uploads(&env, &app);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["upload_id"], upload_id.as_str());
    let key = listed[0]["key"].as_str().unwrap().to_string();
    assert!(key.ends_with(&format!("/{app}.zip")), "{key}");

    // The same command again continues that upload instead of starting another.
    let resumed = upload(&env, &app, package.to_str().unwrap());
    assert_resumed(&resumed, &upload_id, &package);
    assert_eq!(resumed.json()["key"], key.as_str());
    assert!(uploads(&env, &app).is_empty(), "completed, so not listed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_with_no_checkpoint_continues_the_unfinished_one_cos_lists() {
    let (env, app, package, upload_id) = interrupted().await;
    // Another checkpoint directory (another machine, a wiped home) has no record of it.
    let elsewhere = env.sb.path("elsewhere");
    let resumed = env.app(
        &["upload", package.to_str().unwrap()],
        &[
            "--application-id",
            &app,
            "--part-size",
            "1",
            "--concurrency",
            "1",
            "--checkpoint-dir",
            elsewhere.to_str().unwrap(),
        ],
    );
    assert_resumed(&resumed, &upload_id, &package);
    assert!(uploads(&env, &app).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_killed_mid_way_resumes_from_the_parts_cos_holds() {
    // Part 4 gets no answer (for an hour): the upload is killed while waiting for it.
    let env = AppEnv::in_process(Emulator::builder().cos_classifier(last_part_apart).fault(
        Fault::cos("UploadPart4", FaultKind::Delay(Duration::from_secs(3600))),
    ))
    .await;
    let app = env.create_app("Game/Game.exe");
    env.create_version(&app, "game.zip");
    let package = env.package("game.zip", "Game/Game.exe", 3 * MIB);
    let mut child = env.spawn_app(
        &["upload", package.to_str().unwrap()],
        &[
            "--application-id",
            &app,
            "--part-size",
            "1",
            "--concurrency",
            "1",
        ],
    );
    // Parts 1-3 acknowledged (the events say so as they happen) and part 4 held by the
    // emulator (its one-shot fault is spent), then kill -9.
    let mut upload_id = String::new();
    let mut done = 0;
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let event: Value = serde_json::from_str(&line.unwrap()).expect("NDJSON");
        match event["event"].as_str() {
            Some("started") => upload_id = event["upload_id"].as_str().unwrap().to_string(),
            Some("part_done") => done += 1,
            _ => {}
        }
        if done == 3 {
            break;
        }
    }
    let faults = env.in_process_emulator().unwrap().faults();
    while !faults.active().is_empty() {
        std::thread::yield_now();
    }
    child.kill().unwrap();
    assert!(!child.wait().unwrap().success());

    let resumed = upload(&env, &app, package.to_str().unwrap());
    assert_resumed(&resumed, &upload_id, &package);
    assert!(
        events(&resumed.stderr)
            .iter()
            .all(|e| e["event"] != "retrying"),
        "part 4 went up at the first attempt: {}",
        resumed.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_abort_frees_an_unfinished_upload_and_the_next_upload_starts_afresh() {
    let (env, app, package, id) = interrupted().await;
    let listed = uploads(&env, &app);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["upload_id"], id.as_str());
    let aborted = env
        .app(
            &["uploads", "abort"],
            &["--application-id", &app, "--upload-id", &id],
        )
        .expect(0)
        .json();
    assert_eq!(aborted["upload_id"], id.as_str());
    assert_eq!(aborted["aborted"], true);
    assert_eq!(aborted["key"], listed[0]["key"]);
    assert!(uploads(&env, &app).is_empty());

    // Aborting it again is COS's NoSuchUpload, not a success.
    let again = env.app(
        &["uploads", "abort"],
        &["--application-id", &app, "--upload-id", &id],
    );
    assert_ne!(again.code, 0, "{again:?}");
    assert!(again.stderr.contains("NoSuchUpload"), "{again:?}");

    // The local checkpoint names the aborted upload; the next run starts a new one.
    let report = upload(&env, &app, package.to_str().unwrap())
        .expect(0)
        .json();
    assert_ne!(report["upload_id"], id.as_str());
    assert_eq!(report["parts_reused"], 0);
}

#[test]
fn upload_without_a_version_waiting_for_a_package_sends_nothing_to_cos() {
    let env = AppEnv::start(&["--fault", "cos:*:error=AccessDenied:rate=1"]);
    let app = env.create_app("Game/Game.exe");
    let package = env.package("game.zip", "Game/Game.exe", 10);
    let run = upload(&env, &app, package.to_str().unwrap());
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        !run.stderr.contains("AccessDenied") && run.stderr.contains("CreateApplicationVersion"),
        "CAR refuses before any COS request: {run:?}"
    );
}
