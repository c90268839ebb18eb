//! The release workflow against the real emulator: its TC3 front door (signatures
//! checked with the emulator's keys), its CAR state and its COS router, reached with an
//! ordinary [`car_api::Client`]. The emulator runs on a manual clock that starts at the
//! system's time (the client signs with the system clock), with package processing
//! immediate unless a test says otherwise. Outcomes are read back through the API
//! (DescribeApplicationVersion, DescribeApplicationPathList), not through internals.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use car_api::credentials::Credentials;
use car_api::waiter::WaitPolicy;
use car_api::{Client, RetryConfig};
use car_emulator::{car::state::CarState, RunningEmulator};
use car_emulator::{Clock, Emulator, EmulatorBuilder, Fault, FaultKind, ManualClock};
use car_release::cos::{CosClient, Now, Target, UploadOptions};
use car_release::release::{
    release, upload_package, wait_ready, CarCosCredentials, PackageSource, ReleaseError,
    ReleaseOptions, Step,
};
use serde_json::{json, Value};

/// What the emulator holds for a version, as DescribeApplicationVersion tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Version {
    id: String,
    status: String,
    size: u64,
}

struct Env {
    emulator: RunningEmulator,
    client: Client,
    clock: ManualClock,
    dir: tempfile::TempDir,
}

impl Env {
    /// An emulator whose packages are processed at once.
    async fn start() -> Env {
        Env::start_with(|b| b.processing_delay(Duration::ZERO)).await
    }

    async fn start_with(
        configure: impl FnOnce(EmulatorBuilder<CarState>) -> EmulatorBuilder<CarState>,
    ) -> Env {
        let clock = ManualClock::new(SystemTime::now());
        let emulator = configure(Emulator::builder().clock(Arc::new(clock.clone())))
            .start()
            .await
            .expect("emulator");
        let client = Client::builder()
            .credentials(Credentials::new(
                emulator.secret_id(),
                emulator.secret_key(),
            ))
            .endpoint(emulator.endpoint())
            .region("ap-guangzhou")
            .retry(RetryConfig::disabled())
            .rate_limiting(false)
            .build()
            .expect("client");
        Env {
            emulator,
            client,
            clock,
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    async fn call(&self, action: &str, params: Value) -> Value {
        let meta = car_api::meta::action(action).expect("a spec action");
        self.client
            .call_json(meta, &params)
            .await
            .unwrap_or_else(|e| panic!("{action}: {e}"))
    }

    async fn app(&self, kind: &str, exe: &str) -> String {
        let v = self
            .call(
                "CreateApplication",
                json!({"ApplicationName": "Space Game", "ApplicationType": kind}),
            )
            .await;
        let id = v["ApplicationId"].as_str().unwrap().to_string();
        self.set_exe(&id, exe).await;
        id
    }

    async fn set_exe(&self, app: &str, exe: &str) {
        self.call(
            "ModifyApplicationBaseInfo",
            json!({"ApplicationId": app, "ApplicationExePath": exe, "ApplicationInterList": "",
                   "ApplicationBaseInfo": {"WindowUseType": "ApplicationDesktop"}}),
        )
        .await;
    }

    async fn versions(&self, app: &str) -> Vec<Version> {
        let v = self
            .call("DescribeApplicationVersion", json!({"ApplicationId": app}))
            .await;
        v["Versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| Version {
                id: v["ApplicationVersionId"].as_str().unwrap().to_string(),
                status: v["ApplicationVersionStatus"].as_str().unwrap().to_string(),
                size: v["ApplicationVersionSize"].as_u64().unwrap_or(0),
            })
            .collect()
    }

    async fn statuses(&self, app: &str) -> Vec<(String, String)> {
        self.versions(app)
            .await
            .into_iter()
            .map(|v| (v.id, v.status))
            .collect()
    }

    /// The files the emulator found in a version's package.
    async fn paths(&self, app: &str, version: &str) -> Vec<String> {
        let v = self
            .call(
                "DescribeApplicationPathList",
                json!({"ApplicationId": app, "ApplicationVersionId": version}),
            )
            .await;
        serde_json::from_value(v["PathList"].clone()).unwrap_or_default()
    }

    fn package(&self, name: &str) -> PathBuf {
        self.package_with(name, "Game/Game.exe")
    }

    fn package_with(&self, name: &str, exe: &str) -> PathBuf {
        let mut out = std::io::Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut out);
            let opts = zip::write::SimpleFileOptions::default();
            w.start_file(exe, opts).unwrap();
            w.write_all(b"MZ game").unwrap();
            w.start_file("Game/readme.txt", opts).unwrap();
            w.write_all(name.as_bytes()).unwrap();
            w.finish().unwrap();
        }
        let p = self.dir.path().join(name);
        std::fs::write(&p, out.into_inner()).unwrap();
        p
    }

    fn options(&self, app: &str, path: PathBuf) -> ReleaseOptions {
        let c = self.clock.clone();
        ReleaseOptions {
            application_id: app.to_string(),
            source: PackageSource::File(path),
            regions: Vec::new(),
            update_mode: None,
            prune_oldest: false,
            wait: true,
            online: true,
            // Polls are spaced a little so a waiting release does not spin.
            wait_policy: WaitPolicy::with_timeout(Duration::from_secs(600))
                .interval(Duration::from_millis(2))
                .backoff(1.0, Duration::from_millis(2)),
            cos_endpoint: Some(self.emulator.cos_endpoint().to_string()),
            upload: UploadOptions {
                now: Now::from_fn(move || c.unix_seconds()),
                ..UploadOptions::default()
            },
        }
    }

    /// Reads the version's status until `ready` says so, then moves the clock `by`:
    /// the moment work that is due later (a deletion, processing) has been scheduled.
    async fn advance_once(&self, app: &str, ready: impl Fn(&[Version]) -> bool, by: Duration) {
        loop {
            if ready(&self.versions(app).await) {
                self.clock.advance(by);
                return;
            }
            tokio::task::yield_now().await;
        }
    }
}

#[tokio::test]
async fn a_package_is_uploaded_processed_and_put_online() {
    let env = Env::start().await;
    let app = env.app("Application3D", "Game/Game.exe").await;
    let path = env.package("space-game.zip");
    let size = std::fs::metadata(&path).unwrap().len();
    let report = release(&env.client, &env.options(&app, path.clone()))
        .await
        .expect("release");
    assert_eq!(report.state, "Inuse");
    assert!(report.online);
    let upload = report.upload.expect("file mode uploads");
    assert_eq!(upload.size, size);
    // The key DescribeCosCredential names: <uin>/<app>/<version>/<app>.<ext>.
    assert!(
        upload
            .key
            .ends_with(&format!("/{app}/{}/{app}.zip", report.version_id)),
        "{}",
        upload.key
    );
    // The emulator read the uploaded object back: its size and its files.
    assert_eq!(
        env.versions(&app).await,
        vec![Version {
            id: report.version_id.clone(),
            status: "Inuse".into(),
            size
        }]
    );
    // DescribeApplicationPathList names the executables, in Windows form.
    assert_eq!(
        env.paths(&app, &report.version_id).await,
        ["Game\\Game.exe"],
        "the package arrived whole"
    );
}

#[tokio::test]
async fn a_missing_launch_path_is_refused_and_the_error_says_what_to_run() {
    let env = Env::start().await;
    let app = env.app("Application3D", "Game/Missing.exe").await;
    let err = release(&env.client, &env.options(&app, env.package("g.zip")))
        .await
        .unwrap_err();
    assert_eq!(err.step(), Some(Step::LaunchPath), "{err}");
    let vs = env.statuses(&app).await;
    assert_eq!(vs.len(), 1);
    assert_eq!(vs[0].1, "Normal", "processed but not released");
    let text = err.to_string();
    assert!(
        text.contains("Game/Missing.exe") && text.contains("(now Normal)"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "car app online --application-id {app} --version-id {}",
            vs[0].0
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "car delete-application-version --application-id {app} --application-version-id {}",
            vs[0].0
        )),
        "{text}"
    );
}

#[tokio::test]
async fn preflight_errors_create_nothing() {
    let env = Env::start().await;
    let app = env.app("Application3D", "Game/Game.exe").await;
    let wrong = env.dir.path().join("game.apk");
    std::fs::write(&wrong, b"x").unwrap();
    let empty = env.dir.path().join("empty.zip");
    std::fs::write(&empty, b"").unwrap();
    for (path, expect) in [
        (wrong, ".apk"),
        (empty, "0 bytes"),
        (env.dir.path().join("none.zip"), "none.zip"),
        (env.dir.path().to_path_buf(), "expected a file"),
    ] {
        let err = release(&env.client, &env.options(&app, path))
            .await
            .unwrap_err();
        assert!(matches!(err, ReleaseError::Preflight { .. }), "{err}");
        let text = err.to_string();
        assert!(
            text.contains(expect) && text.contains("nothing was created"),
            "{text}"
        );
    }
    let err = release(
        &env.client,
        &env.options("app-nothere", env.package("g.zip")),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ReleaseError::Preflight { .. }), "{err}");
    assert!(err.to_string().contains("app-nothere"), "{err}");
    let err = release(
        &env.client,
        &ReleaseOptions {
            source: PackageSource::Url("ftp://example.com/g.zip".into()),
            ..env.options(&app, env.package("g.zip"))
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ReleaseError::Preflight { .. }), "{err}");
    assert!(err.to_string().contains("ftp://example.com/g.zip"), "{err}");
    assert!(env.versions(&app).await.is_empty());
}

#[tokio::test]
async fn the_version_limit_is_refused_unless_the_oldest_may_be_pruned() {
    let env = Env::start().await;
    let app = env.app("Application3D", "Game/Game.exe").await;
    let mut ids = Vec::new();
    for n in 0..5 {
        let r = release(
            &env.client,
            &env.options(&app, env.package(&format!("v{n}.zip"))),
        )
        .await
        .expect("release");
        ids.push(r.version_id);
    }
    let err = release(&env.client, &env.options(&app, env.package("v5.zip")))
        .await
        .unwrap_err();
    assert!(matches!(err, ReleaseError::Preflight { .. }), "{err}");
    assert!(
        err.to_string().contains("--prune-oldest") && err.to_string().contains(&ids[0]),
        "{err}"
    );
    assert_eq!(env.versions(&app).await.len(), 5);

    // Pruning deletes the oldest version that is not live and waits until it is gone;
    // the emulator takes DELETION_SECONDS on its clock, moved once the deletion started.
    let opts = ReleaseOptions {
        prune_oldest: true,
        ..env.options(&app, env.package("v5.zip"))
    };
    let client = env.client.clone();
    let pruning = tokio::spawn(async move { release(&client, &opts).await });
    let oldest = ids[0].clone();
    env.advance_once(
        &app,
        |vs| vs.iter().any(|v| v.id == oldest && v.status == "Deleting"),
        Duration::from_secs(car_emulator::car::state::DELETION_SECONDS.unsigned_abs()),
    )
    .await;
    let r = pruning.await.unwrap().expect("release with pruning");
    assert_eq!(r.pruned_version_id.as_deref(), Some(ids[0].as_str()));
    let now: Vec<String> = env.versions(&app).await.into_iter().map(|v| v.id).collect();
    assert_eq!(now.len(), 5);
    assert!(!now.contains(&ids[0]) && now.contains(&r.version_id));
    assert!(ids[1..].iter().all(|id| now.contains(id)), "{now:?}");
}

#[tokio::test]
async fn the_launch_path_is_looked_up_in_the_new_version_not_the_live_one() {
    let env = Env::start().await;
    let app = env.app("Application3D", "Game/Game.exe").await;
    let first = release(&env.client, &env.options(&app, env.package("v1.zip")))
        .await
        .expect("first release");
    // The next package moves the executable; the live one does not have it.
    env.set_exe(&app, "Game/New.exe").await;
    let r = release(
        &env.client,
        &env.options(&app, env.package_with("v2.zip", "Game/New.exe")),
    )
    .await
    .expect("the new package has the new launch path");
    assert_eq!(r.state, "Inuse");
    let vs = env.statuses(&app).await;
    assert!(
        vs.contains(&(r.version_id.clone(), "Inuse".into())),
        "{vs:?}"
    );
    assert!(
        !vs.contains(&(first.version_id, "Inuse".into())),
        "only one version is live: {vs:?}"
    );
}

#[tokio::test]
async fn url_mode_creates_the_snapshot_from_the_url_and_uploads_nothing() {
    let env = Env::start().await;
    let app = env.app("Application3D", "Game/Game.exe").await;
    let path = env.package("from-url.zip");
    let opts = ReleaseOptions {
        source: PackageSource::Url(format!("file://{}", path.display())),
        // Any COS request would fail: the release must not make one.
        cos_endpoint: Some("http://cos.invalid".into()),
        ..env.options(&app, path.clone())
    };
    let r = release(&env.client, &opts).await.expect("release");
    assert!(r.upload.is_none());
    assert_eq!(
        env.versions(&app).await,
        vec![Version {
            id: r.version_id.clone(),
            status: "Inuse".into(),
            size: std::fs::metadata(&path).unwrap().len(),
        }]
    );
    assert_eq!(env.paths(&app, &r.version_id).await, ["Game\\Game.exe"]);
}

#[tokio::test]
async fn an_upload_failure_names_the_step_the_state_and_the_commands() {
    let env = Env::start().await;
    let app = env.app("Application3D", "Game/Game.exe").await;
    env.emulator.faults().push(Fault::cos(
        "PutObject",
        FaultKind::Error("AccessDenied".into()),
    ));
    let path = env.package("pkg.zip");
    let err = release(&env.client, &env.options(&app, path.clone()))
        .await
        .unwrap_err();
    assert_eq!(err.step(), Some(Step::Upload), "{err}");
    let vs = env.statuses(&app).await;
    assert_eq!(vs.len(), 1, "{vs:?}");
    assert_eq!(vs[0].1, "Uploading", "waits for its package: {vs:?}");
    let text = err.to_string();
    assert!(
        text.contains("AccessDenied") && text.contains("(now Uploading)"),
        "{text}"
    );
    let resume = format!(
        "car app upload {} --application-id {app} && car create-application-snapshot --application-id {app} --application-download-url '' && car app wait --application-id {app} --version-id {} --online",
        path.display(),
        vs[0].0
    );
    assert!(text.contains(&resume), "{text}\nexpected: {resume}");
    assert!(
        text.contains(&format!(
            "car delete-application-version --application-id {app} --application-version-id {}",
            vs[0].0
        )),
        "{text}"
    );
}

#[tokio::test]
async fn without_wait_the_version_is_left_processing_and_wait_ready_follows_it() {
    // The emulator's default processing time, on its clock.
    let env = Env::start_with(|b| b).await;
    let app = env.app("Application3D", "Game/Game.exe").await;
    let opts = ReleaseOptions {
        wait: false,
        online: false,
        ..env.options(&app, env.package("slow.zip"))
    };
    let r = release(&env.client, &opts).await.expect("release");
    assert_eq!(r.state, "Creating");
    assert!(!r.online);
    let processing = car_emulator::car::state::PROCESSING_SECONDS.unsigned_abs();
    env.clock.advance(Duration::from_secs(processing - 1));
    assert_eq!(
        env.statuses(&app).await,
        vec![(r.version_id.clone(), "Creating".into())]
    );
    let (client, ver, policy) = (
        env.client.clone(),
        r.version_id.clone(),
        opts.wait_policy.clone(),
    );
    let app2 = app.clone();
    let waiting = tokio::spawn(async move { wait_ready(&client, &app2, &ver, &policy).await });
    env.clock.advance(Duration::from_secs(1));
    assert_eq!(waiting.await.unwrap().expect("ready"), "Normal");
}

/// Names UploadPart 4, the last and short part of the test data, apart from the other
/// COS requests, so a fault can hit it. A fault answers without reading the request body;
/// with a short body the client has sent it all by then and reads the answer, where a
/// 1 MiB body could meet a closed connection instead (a retried transport error).
fn last_part_apart(method: &axum::http::Method, uri: &axum::http::Uri) -> &'static str {
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

const MIB: u64 = 1024 * 1024;

/// 3 MiB and a bit of bytes that do not repeat, different for each seed.
fn write_data(path: &std::path::Path, seed: u64) {
    let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ seed;
    let data: Vec<u8> = (0..3 * MIB + 4321)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    std::fs::write(path, data).unwrap();
}

/// An upload that stops at part 4 (refused by COS) after parts 1-3 are stored,
/// checkpointed in one directory: the package, its target and keys, the options, and the upload ID
/// COS lists for the key.
struct Unfinished {
    path: PathBuf,
    target: Target,
    source: CarCosCredentials,
    options: UploadOptions,
    upload_id: String,
}

async fn unfinished(env: &Env) -> Unfinished {
    let app = env.app("Application3D", "Game/Game.exe").await;
    env.call(
        "CreateApplicationVersion",
        json!({"ApplicationId": app, "ApplicationFileName": "big.zip"}),
    )
    .await;
    let source = CarCosCredentials::new(env.client.clone(), &app);
    let (_, bucket, region, key) = source.describe().await.expect("DescribeCosCredential");
    let target = Target {
        bucket,
        region,
        key,
        endpoint: Some(env.emulator.cos_endpoint().to_string()),
    };
    let path = env.dir.path().join("big.zip");
    write_data(&path, 1);
    let options = UploadOptions {
        part_size: MIB,
        multipart_threshold: MIB,
        concurrency: 1,
        checkpoint_dir: Some(env.dir.path().join("first-machine")),
        ..env.options(&app, path.clone()).upload
    };
    let err = upload_package(&path, &target, source.clone(), &options)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"), "{err}");
    let listed = cos_uploads(&target, &source, &options).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    Unfinished {
        upload_id: listed[0].upload_id.clone(),
        path,
        target,
        source,
        options,
    }
}

/// What List Multipart Uploads says about the target's key.
async fn cos_uploads(
    target: &Target,
    source: &CarCosCredentials,
    options: &UploadOptions,
) -> Vec<car_release::cos::ListedUpload> {
    CosClient::new(
        &options.http,
        target.endpoint.as_deref().unwrap(),
        Arc::new(source.clone()),
        options.now.clone(),
        RetryConfig::disabled(),
    )
    .unwrap()
    .list_uploads(&target.key)
    .await
    .expect("ListMultipartUploads")
}

async fn last_part_refused() -> Env {
    Env::start_with(|b| {
        b.processing_delay(Duration::ZERO)
            .cos_classifier(last_part_apart)
            .fault(Fault::cos(
                "UploadPart4",
                FaultKind::Error("AccessDenied".into()),
            ))
    })
    .await
}

#[tokio::test]
async fn an_unfinished_upload_in_cos_is_continued_without_a_local_checkpoint() {
    let env = last_part_refused().await;
    let u = unfinished(&env).await;
    // Another checkpoint directory (another machine) knows nothing of it; COS does.
    let elsewhere = UploadOptions {
        checkpoint_dir: Some(env.dir.path().join("second-machine")),
        ..u.options.clone()
    };
    let report = upload_package(&u.path, &u.target, u.source.clone(), &elsewhere)
        .await
        .expect("upload");
    assert_eq!(report.upload_id.as_deref(), Some(u.upload_id.as_str()));
    assert_eq!(
        (report.parts, report.parts_reused, report.parts_sent),
        (4, 3, 1)
    );
    assert!(cos_uploads(&u.target, &u.source, &u.options)
        .await
        .is_empty());
}

#[tokio::test]
async fn parts_of_another_file_in_a_found_upload_are_sent_again_not_kept() {
    let env = last_part_refused().await;
    let u = unfinished(&env).await;
    // The same name and size, other bytes: the parts in COS are not this file's.
    write_data(&u.path, 2);
    let elsewhere = UploadOptions {
        checkpoint_dir: Some(env.dir.path().join("second-machine")),
        ..u.options.clone()
    };
    let report = upload_package(&u.path, &u.target, u.source.clone(), &elsewhere)
        .await
        .expect("upload");
    assert_eq!(report.upload_id.as_deref(), Some(u.upload_id.as_str()));
    assert_eq!(
        (report.parts, report.parts_reused, report.parts_sent),
        (4, 0, 4)
    );
    // COS's CRC-64 of the whole object is the new file's.
    let mut crc = crc64fast::Digest::new();
    crc.write(&std::fs::read(&u.path).unwrap());
    assert_eq!(report.crc64, crc.sum64());
}
