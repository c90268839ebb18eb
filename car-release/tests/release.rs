//! The release workflow against the emulator's CAR state and COS router, sharing one
//! store and one manual clock. The CAR side is reached through a minimal front door (the
//! emulator's TC3 front door is not on this branch): it checks no signature, dispatches
//! to the state, and moves the clock 10 s per call so package processing (6 s) finishes
//! while the workflow waits.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use car_api::credentials::Credentials;
use car_api::service::dispatch;
use car_api::waiter::WaitPolicy;
use car_api::{Client, RetryConfig};
use car_emulator::car::state::{CarState, CosSettings};
use car_emulator::car::{Account, CallContext};
use car_emulator::cos::{router, CosState};
use car_emulator::{Clock, ManualClock, Store};
use car_release::cos::{Now, UploadOptions};
use car_release::release::{release, PackageSource, ReleaseError, ReleaseOptions, Step};
use serde_json::{json, Value};

const BUCKET: &str = "carpackages-1250000000";
const REGION: &str = "ap-guangzhou";

#[derive(Clone)]
struct Front {
    state: CarState,
    clock: ManualClock,
}

async fn front(
    State(f): State<Front>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ([(&'static str, &'static str); 1], String) {
    f.clock.advance(Duration::from_secs(10));
    let action = headers
        .get("x-tc-action")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let params: Value = serde_json::from_slice(&body).unwrap_or(json!({}));
    let cx = CallContext {
        account: Account {
            uin: "100000000001".into(),
            app_id: 1_250_000_000,
        },
        request_id: "00000000-0000-0000-0000-000000000001".into(),
        region: None,
        now: f.clock.unix_seconds(),
    };
    let mut out = match dispatch(&f.state, &cx, &action, params).await {
        Ok(v) => v,
        Err(e) => json!({"Error": {"Code": e.code().code(), "Message": e.message()}}),
    };
    out["RequestId"] = json!(cx.request_id);
    (
        [("content-type", "application/json")],
        json!({ "Response": out }).to_string(),
    )
}

struct Env {
    client: Client,
    cos_endpoint: String,
    clock: ManualClock,
    dir: tempfile::TempDir,
}

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

impl Env {
    async fn start() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(&dir.path().join("data")).unwrap());
        let clock = ManualClock::at_unix(1_700_000_000);
        let state = CarState::open(
            store.clone(),
            Arc::new(clock.clone()),
            CosSettings {
                bucket: BUCKET.into(),
                region: REGION.into(),
            },
        )
        .unwrap();
        let cos_endpoint = serve(router(CosState {
            store,
            clock: Arc::new(clock.clone()),
            bucket: BUCKET.into(),
            region: REGION.into(),
        }))
        .await;
        let car = serve(
            axum::Router::new()
                .route("/", axum::routing::post(front))
                .with_state(Front {
                    state,
                    clock: clock.clone(),
                }),
        )
        .await;
        let client = Client::builder()
            .credentials(Credentials::new("AKIDlocal", "local-secret"))
            .endpoint(car)
            .retry(RetryConfig::disabled())
            .rate_limiting(false)
            .build()
            .unwrap();
        Env {
            client,
            cos_endpoint,
            clock,
            dir,
        }
    }

    async fn call(&self, action: &str, params: Value) -> Value {
        let meta = car_api::meta::action(action).expect("a spec action");
        self.client.call_json(meta, &params).await.unwrap()
    }

    async fn app(&self, kind: &str, exe: &str) -> String {
        let v = self
            .call(
                "CreateApplication",
                json!({"ApplicationName": "Space Game", "ApplicationType": kind}),
            )
            .await;
        let id = v["ApplicationId"].as_str().unwrap().to_string();
        self.call(
            "ModifyApplicationBaseInfo",
            json!({"ApplicationId": id, "ApplicationExePath": exe, "ApplicationInterList": "",
                   "ApplicationBaseInfo": {"WindowUseType": "ApplicationDesktop"}}),
        )
        .await;
        id
    }

    async fn versions(&self, app: &str) -> Vec<(String, String)> {
        let v = self
            .call("DescribeApplicationVersion", json!({"ApplicationId": app}))
            .await;
        v["Versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["ApplicationVersionId"].as_str().unwrap().to_string(),
                    v["ApplicationVersionStatus"].as_str().unwrap().to_string(),
                )
            })
            .collect()
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
            wait_policy: WaitPolicy::with_timeout(Duration::from_secs(600))
                .interval(Duration::ZERO),
            cos_endpoint: Some(self.cos_endpoint.clone()),
            upload: UploadOptions {
                now: Now::from_fn(move || c.unix_seconds()),
                ..UploadOptions::default()
            },
        }
    }
}

#[tokio::test]
async fn a_package_is_uploaded_processed_and_put_online() {
    let env = Env::start().await;
    let app = env.app("Application3D", "Game/Game.exe").await;
    let path = env.package("space-game.zip");
    let report = release(&env.client, &env.options(&app, path.clone()))
        .await
        .expect("release");
    assert_eq!(report.state, "Inuse");
    let upload = report.upload.expect("file mode uploads");
    assert_eq!(upload.size, std::fs::metadata(&path).unwrap().len());
    assert!(
        upload
            .key
            .ends_with(&format!("/{}/{}.zip", report.version_id, app)),
        "{}",
        upload.key
    );
    assert_eq!(
        env.versions(&app).await,
        vec![(report.version_id, "Inuse".to_string())]
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
    let text = err.to_string();
    assert!(
        text.contains("Game/Missing.exe") && text.contains("(now Normal)"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "car app online --application-id {app} --version-id ver-"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "car delete-application-version --application-id {app}"
        )),
        "{text}"
    );
    let vs = env.versions(&app).await;
    assert_eq!(vs.len(), 1);
    assert_eq!(vs[0].1, "Normal", "not released");
}

#[tokio::test]
async fn preflight_errors_create_nothing() {
    let env = Env::start().await;
    let app = env.app("Application3D", "Game/Game.exe").await;
    let wrong = env.dir.path().join("game.apk");
    std::fs::write(&wrong, b"x").unwrap();
    for (path, expect) in [
        (wrong, ".apk"),
        (env.dir.path().join("none.zip"), "none.zip"),
    ] {
        let err = release(&env.client, &env.options(&app, path))
            .await
            .unwrap_err();
        assert!(matches!(err, ReleaseError::Preflight { .. }), "{err}");
        assert!(err.to_string().contains(expect), "{err}");
    }
    let err = release(
        &env.client,
        &env.options("app-nothere", env.package("g.zip")),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("app-nothere"), "{err}");
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
    let opts = ReleaseOptions {
        prune_oldest: true,
        ..env.options(&app, env.package("v5.zip"))
    };
    let r = release(&env.client, &opts)
        .await
        .expect("release with pruning");
    assert_eq!(r.pruned_version_id.as_deref(), Some(ids[0].as_str()));
    let now: Vec<String> = env.versions(&app).await.into_iter().map(|v| v.0).collect();
    assert_eq!(now.len(), 5);
    assert!(!now.contains(&ids[0]) && now.contains(&r.version_id));
}

#[tokio::test]
async fn the_launch_path_is_looked_up_in_the_new_version_not_the_live_one() {
    let env = Env::start().await;
    let app = env.app("Application3D", "Game/Game.exe").await;
    release(&env.client, &env.options(&app, env.package("v1.zip")))
        .await
        .expect("first release");
    // The next package moves the executable; the live one does not have it.
    env.call(
        "ModifyApplicationBaseInfo",
        json!({"ApplicationId": app, "ApplicationExePath": "Game/New.exe", "ApplicationInterList": "",
               "ApplicationBaseInfo": {"WindowUseType": "ApplicationDesktop"}}),
    )
    .await;
    let r = release(
        &env.client,
        &env.options(&app, env.package_with("v2.zip", "Game/New.exe")),
    )
    .await
    .expect("the new package has the new launch path");
    assert_eq!(r.state, "Inuse");
}

#[tokio::test]
async fn url_mode_creates_the_snapshot_from_the_url_and_uploads_nothing() {
    let env = Env::start().await;
    let app = env.app("Application3D", "Game/Game.exe").await;
    let path = env.package("from-url.zip");
    let opts = ReleaseOptions {
        source: PackageSource::Url(format!("file://{}", path.display())),
        ..env.options(&app, path)
    };
    let r = release(&env.client, &opts).await.expect("release");
    assert!(r.upload.is_none());
    assert_eq!(
        env.versions(&app).await,
        vec![(r.version_id, "Inuse".to_string())]
    );
}

#[tokio::test]
async fn an_upload_failure_names_the_step_the_state_and_the_commands() {
    let env = Env::start().await;
    let app = env.app("Application3D", "Game/Game.exe").await;
    let opts = ReleaseOptions {
        cos_endpoint: Some("ftp://127.0.0.1".into()),
        ..env.options(&app, env.package("pkg.zip"))
    };
    let err = release(&env.client, &opts).await.unwrap_err();
    assert_eq!(err.step(), Some(Step::Upload), "{err}");
    let text = err.to_string();
    assert!(text.contains("(now Uploading)"), "{text}");
    assert!(
        text.contains(&format!(
            "car app upload {} --application-id {app}",
            env.dir.path().join("pkg.zip").display()
        )),
        "{text}"
    );
    assert!(text.contains("car create-application-snapshot"), "{text}");
    assert!(text.contains("car delete-application-version"), "{text}");
}
