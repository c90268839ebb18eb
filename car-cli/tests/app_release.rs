//! `car app release` end to end: the binary against the emulator's CAR state (behind a
//! minimal front door that checks no signature: the emulator's own TC3 front door is not
//! on this branch) and its COS router, sharing one store and one manual clock. The front
//! door moves the clock 40 s per call, so processing (6 s) is over by the first poll.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::State;
use axum::http::HeaderMap;
use car_api::service::dispatch;
use car_emulator::car::state::{CarState, CosSettings};
use car_emulator::car::{Account, CallContext};
use car_emulator::cos::{router, CosState};
use car_emulator::{Clock, ManualClock, Store};
use serde_json::{json, Value};

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
    f.clock.advance(Duration::from_secs(40));
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

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn game_zip() -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut out);
        w.start_file("Game/Game.exe", zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(b"MZ game").unwrap();
        // Incompressible filler so the package goes up in several parts.
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let filler: Vec<u8> = (0..3 * 1024 * 1024)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        w.start_file(
            "Game/Data/level.pak",
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored),
        )
        .unwrap();
        w.write_all(&filler).unwrap();
        w.finish().unwrap();
    }
    out.into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn release_uploads_in_parts_puts_the_version_online_and_prints_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("data")).unwrap());
    // Near real time: the CLI signs COS requests with the system clock.
    let clock = ManualClock::new(SystemTime::now());
    let bucket = "carpackages-1250000000";
    let state = CarState::open(
        store.clone(),
        Arc::new(clock.clone()),
        CosSettings {
            bucket: bucket.into(),
            region: "ap-guangzhou".into(),
        },
    )
    .unwrap();
    let cos = serve(router(CosState {
        store,
        clock: Arc::new(clock.clone()),
        bucket: bucket.into(),
        region: "ap-guangzhou".into(),
    }))
    .await;
    let meta = |name| car_api::meta::action(name).unwrap();
    let car = serve(
        axum::Router::new()
            .route("/", axum::routing::post(front))
            .with_state(Front {
                state,
                clock: clock.clone(),
            }),
    )
    .await;
    let client = car_api::Client::builder()
        .credentials(car_api::credentials::Credentials::new(
            "AKIDlocal",
            "local-secret",
        ))
        .endpoint(car.clone())
        .rate_limiting(false)
        .build()
        .unwrap();
    let created = client
        .call_json(
            meta("CreateApplication"),
            &json!({"ApplicationName": "Space Game", "ApplicationType": "Application3D"}),
        )
        .await
        .unwrap();
    let app = created["ApplicationId"].as_str().unwrap().to_string();
    client
        .call_json(
            meta("ModifyApplicationBaseInfo"),
            &json!({"ApplicationId": app, "ApplicationExePath": "Game/Game.exe",
                    "ApplicationInterList": "", "ApplicationBaseInfo": {"WindowUseType": "ApplicationDesktop"}}),
        )
        .await
        .unwrap();
    let package = dir.path().join("space-game.zip");
    std::fs::write(&package, game_zip()).unwrap();
    let home = dir.path().join("home");
    let args: Vec<String> = [
        "--endpoint",
        &car,
        "--secretId",
        "AKIDlocal",
        "--secretKey",
        "local-secret",
        "--output",
        "json",
        "app",
        "release",
        package.to_str().unwrap(),
        "--application-id",
        &app,
        "--online",
        "--cos-endpoint",
        &cos,
        "--part-size",
        "1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_car"))
            .args(&args)
            .env("HOME", home)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let summary: Value = serde_json::from_slice(&out.stdout).expect("a JSON summary on stdout");
    assert_eq!(summary["state"], "Inuse", "{summary}");
    assert_eq!(summary["online"], true);
    assert_eq!(
        summary["upload"]["size"],
        std::fs::metadata(&package).unwrap().len()
    );
    assert!(
        summary["upload"]["parts"].as_u64().unwrap() >= 3,
        "{summary}"
    );
    // Not a terminal and --output json: one JSON event per line on stderr.
    let events: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not NDJSON: {l}")))
        .collect();
    assert_eq!(
        events.first().map(|e| e["event"].clone()),
        Some(json!("started"))
    );
    let done = events.iter().filter(|e| e["event"] == "part_done").count() as u64;
    assert_eq!(done, summary["upload"]["parts"].as_u64().unwrap());
}
