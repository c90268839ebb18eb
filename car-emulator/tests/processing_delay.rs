//! `EmulatorBuilder::processing_delay`: how long a version stays `Creating` after
//! CreateApplicationSnapshot, on the emulator's clock, through its front door. The
//! expected times are the ones each test sets (and CAR's documented default of a few
//! seconds, which the emulator fixes at `PROCESSING_SECONDS`).

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use car_api::credentials::Credentials;
use car_emulator::car::state::PROCESSING_SECONDS;
use car_emulator::{Emulator, ManualClock, RunningEmulator};
use serde_json::{json, Value};

struct Env {
    // Serves until the test ends.
    _emulator: RunningEmulator,
    client: car_api::Client,
    clock: ManualClock,
    dir: tempfile::TempDir,
}

impl Env {
    async fn start(delay: Option<Duration>) -> Env {
        // The client signs with the system clock, so the emulator's starts there.
        let clock = ManualClock::new(SystemTime::now());
        let mut builder = Emulator::builder().clock(Arc::new(clock.clone()));
        if let Some(d) = delay {
            builder = builder.processing_delay(d);
        }
        let emulator = builder.start().await.expect("emulator");
        let client = car_api::Client::builder()
            .credentials(Credentials::new(
                emulator.secret_id(),
                emulator.secret_key(),
            ))
            .endpoint(emulator.endpoint())
            .rate_limiting(false)
            .build()
            .expect("client");
        Env {
            _emulator: emulator,
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

    /// An application with a version whose package (a zip on disk) is being processed.
    async fn processing(&self) -> String {
        let app = self
            .call(
                "CreateApplication",
                json!({"ApplicationName": "Space Game", "ApplicationType": "Application3D"}),
            )
            .await["ApplicationId"]
            .as_str()
            .unwrap()
            .to_string();
        let path = self.dir.path().join("game.zip");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        zip.start_file("Game/Game.exe", zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(b"MZ").unwrap();
        zip.finish().unwrap();
        self.call(
            "CreateApplicationVersion",
            json!({"ApplicationId": app, "ApplicationFileName": "game.zip"}),
        )
        .await;
        self.call(
            "CreateApplicationSnapshot",
            json!({"ApplicationId": app,
                   "ApplicationDownloadUrl": format!("file://{}", path.display())}),
        )
        .await;
        app
    }

    async fn status(&self, app: &str) -> String {
        let v = self
            .call("DescribeApplicationVersion", json!({"ApplicationId": app}))
            .await;
        v["Versions"][0]["ApplicationVersionStatus"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Moves the clock to `secs` after the snapshot and reads the status.
    async fn status_after(&self, app: &str, secs: u64, elapsed: &mut u64) -> String {
        self.clock.advance(Duration::from_secs(secs - *elapsed));
        *elapsed = secs;
        self.status(app).await
    }
}

#[tokio::test]
async fn the_default_delay_is_processing_seconds() {
    let env = Env::start(None).await;
    let app = env.processing().await;
    let full = PROCESSING_SECONDS.unsigned_abs();
    let mut t = 0;
    assert_eq!(env.status(&app).await, "Creating");
    assert_eq!(env.status_after(&app, full - 1, &mut t).await, "Creating");
    assert_eq!(env.status_after(&app, full, &mut t).await, "Normal");
}

#[tokio::test]
async fn a_longer_delay_keeps_the_version_creating_until_it_is_over() {
    let env = Env::start(Some(Duration::from_secs(30))).await;
    let app = env.processing().await;
    let mut t = 0;
    assert_eq!(
        env.status_after(&app, PROCESSING_SECONDS.unsigned_abs(), &mut t)
            .await,
        "Creating"
    );
    assert_eq!(env.status_after(&app, 29, &mut t).await, "Creating");
    assert_eq!(env.status_after(&app, 30, &mut t).await, "Normal");
}

#[tokio::test]
async fn zero_settles_the_version_on_the_next_read() {
    let env = Env::start(Some(Duration::ZERO)).await;
    let app = env.processing().await;
    assert_eq!(env.status(&app).await, "Normal");
}

#[tokio::test]
async fn a_fraction_of_a_second_counts_as_a_whole_one() {
    // The emulator's clock counts whole seconds; rounding down would make 1.5 s one.
    let env = Env::start(Some(Duration::from_millis(1500))).await;
    let app = env.processing().await;
    let mut t = 0;
    assert_eq!(env.status_after(&app, 1, &mut t).await, "Creating");
    assert_eq!(env.status_after(&app, 2, &mut t).await, "Normal");
}
