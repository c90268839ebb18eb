//! Shared by the state_* tests: a CarState on a temporary data directory with a manual
//! clock, calls through the generated dispatcher (no HTTP), and a way to put an object
//! into the bucket exactly as the COS side leaves it (a whole file under the objects
//! directory plus its `cos_objects` row).

#![allow(dead_code)]

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use car_api::service::{dispatch, ServiceError};
use car_emulator::car::state::{CarState, CosSettings};
use car_emulator::car::{Account, CallContext};
use car_emulator::{ManualClock, Store};
use md5::Digest;
use serde_json::{json, Value};

pub const BUCKET: &str = "carpackages-1250000000";
pub const REGION: &str = "ap-guangzhou";
/// 2023-11-14T22:13:20Z.
pub const START: u64 = 1_700_000_000;
/// Seconds processing takes (BEHAVIOUR.md: "Processing a package").
pub const PROCESSING: u64 = 6;
/// Seconds a deleted version stays `Deleting` (BEHAVIOUR.md: "DeleteApplicationVersion").
pub const DELETION: u64 = 10;

pub const ALICE: &str = "100000000001";
pub const BOB: &str = "100000000002";

pub struct Env {
    pub dir: tempfile::TempDir,
    pub clock: ManualClock,
    pub store: Arc<Store>,
    pub state: CarState,
}

fn open(dir: &std::path::Path, clock: &ManualClock) -> (Arc<Store>, CarState) {
    let store = Arc::new(Store::open(dir).expect("open store"));
    let state = CarState::open(
        store.clone(),
        Arc::new(clock.clone()),
        CosSettings {
            bucket: BUCKET.to_string(),
            region: REGION.to_string(),
        },
    )
    .expect("open state");
    (store, state)
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::at_unix(START);
        let (store, state) = open(dir.path(), &clock);
        Env {
            dir,
            clock,
            store,
            state,
        }
    }

    /// Closes the store and opens the same data directory again.
    pub fn reopen(self) -> Env {
        let Env {
            dir,
            clock,
            store,
            state,
        } = self;
        drop(state);
        drop(store);
        let (store, state) = open(dir.path(), &clock);
        Env {
            dir,
            clock,
            store,
            state,
        }
    }

    pub fn advance(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
    }

    pub fn now(&self) -> i64 {
        use car_emulator::Clock;
        self.clock.unix_seconds()
    }

    pub fn cx(&self, uin: &str) -> CallContext {
        CallContext {
            account: Account {
                uin: uin.to_string(),
                app_id: if uin == ALICE {
                    1_250_000_000
                } else {
                    1_250_000_001
                },
            },
            request_id: "00000000-0000-0000-0000-000000000000".to_string(),
            region: None,
            now: self.now(),
        }
    }

    pub async fn call_as(
        &self,
        uin: &str,
        action: &str,
        params: Value,
    ) -> Result<Value, ServiceError> {
        dispatch(&self.state, &self.cx(uin), action, params).await
    }

    /// Calls as Alice and expects success.
    pub async fn ok(&self, action: &str, params: Value) -> Value {
        self.ok_as(ALICE, action, params).await
    }

    pub async fn ok_as(&self, uin: &str, action: &str, params: Value) -> Value {
        match self.call_as(uin, action, params.clone()).await {
            Ok(v) => v,
            Err(e) => panic!("{action} {params} failed: {e}"),
        }
    }

    /// Calls as Alice and expects a refusal; returns it.
    pub async fn err(&self, action: &str, params: Value) -> ServiceError {
        self.err_as(ALICE, action, params).await
    }

    pub async fn err_as(&self, uin: &str, action: &str, params: Value) -> ServiceError {
        match self.call_as(uin, action, params.clone()).await {
            Ok(v) => panic!("{action} {params} succeeded with {v}; a refusal was expected"),
            Err(e) => {
                assert_documented(action, &e);
                e
            }
        }
    }

    /// Stores `body` as object `key` of the bucket the way the COS side does.
    pub fn put_object(&self, key: &str, body: &[u8]) {
        let blob = format!("test-{}", hex::encode(md5::Md5::digest(key.as_bytes())));
        let path = self.store.objects_dir().join(&blob);
        std::fs::File::create(&path)
            .and_then(|mut f| f.write_all(body))
            .unwrap();
        let etag = format!("\"{}\"", hex::encode(md5::Md5::digest(body)));
        let mut crc = crc64fast::Digest::new();
        crc.write(body);
        let crc = crc.sum64().to_string();
        let now = self.now();
        self.store
            .write(|tx| {
                tx.execute(
                    "INSERT OR REPLACE INTO cos_objects (bucket, key, size, etag, crc64, blob, modified_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    rusqlite::params![BUCKET, key, body.len() as i64, etag, crc, blob, now],
                )
            })
            .unwrap();
    }

    pub async fn create_app(&self, name: &str, kind: &str) -> String {
        let v = self
            .ok(
                "CreateApplication",
                json!({"ApplicationName": name, "ApplicationType": kind}),
            )
            .await;
        v["ApplicationId"].as_str().unwrap().to_string()
    }

    pub async fn set_exe(&self, app: &str, exe: &str) {
        self.ok(
            "ModifyApplicationBaseInfo",
            json!({
                "ApplicationId": app,
                "ApplicationExePath": exe,
                "ApplicationInterList": "",
                "ApplicationBaseInfo": {"WindowUseType": "ApplicationDesktop"}
            }),
        )
        .await;
    }

    /// CreateApplicationVersion, DescribeCosCredential, upload of `package` to the Path,
    /// CreateApplicationSnapshot; returns the version ID and the credential answer.
    pub async fn ship(&self, app: &str, file_name: &str, package: &[u8]) -> (String, Value) {
        let v = self
            .ok(
                "CreateApplicationVersion",
                json!({"ApplicationId": app, "ApplicationFileName": file_name}),
            )
            .await;
        let version = v["Version"]["ApplicationVersionId"]
            .as_str()
            .unwrap()
            .to_string();
        let cred = self
            .ok("DescribeCosCredential", json!({"ApplicationId": app}))
            .await;
        self.put_object(cred["Path"].as_str().unwrap(), package);
        self.ok(
            "CreateApplicationSnapshot",
            json!({"ApplicationId": app, "ApplicationDownloadUrl": ""}),
        )
        .await;
        (version, cred)
    }

    /// A released desktop application: exe path `Game/Game.exe`, one Inuse version.
    pub async fn released_app(&self, name: &str) -> (String, String) {
        let app = self.create_app(name, "Application3D").await;
        self.set_exe(&app, "Game/Game.exe").await;
        let (version, _) = self.ship(&app, "game.zip", &game_zip()).await;
        self.advance(PROCESSING);
        self.ok(
            "SetApplicationVersionOnline",
            json!({"ApplicationId": app, "ApplicationVersionId": version}),
        )
        .await;
        (app, version)
    }

    pub async fn versions(&self, app: &str) -> Vec<(String, String)> {
        let v = self
            .ok("DescribeApplicationVersion", json!({"ApplicationId": app}))
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

    pub async fn status_of(&self, app: &str, version: &str) -> String {
        self.versions(app)
            .await
            .into_iter()
            .find(|(id, _)| id == version)
            .map(|(_, s)| s)
            .unwrap_or_else(|| "<gone>".to_string())
    }
}

/// A zip archive holding `files` (deflated), built with the zip crate's writer.
pub fn zip_with(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, body) in files {
            if name.ends_with('/') {
                w.add_directory(*name, opts).unwrap();
            } else {
                w.start_file(*name, opts).unwrap();
                w.write_all(body).unwrap();
            }
        }
        w.finish().unwrap();
    }
    out.into_inner()
}

/// The package most tests ship: a Windows game with two executables.
pub fn game_zip() -> Vec<u8> {
    zip_with(&[
        ("Game/", b""),
        ("Game/Game.exe", b"MZ game"),
        ("Game/Tools/Crash Reporter.exe", b"MZ reporter"),
        ("Game/Data/level1.pak", b"level data"),
        ("readme.txt", b"hello"),
    ])
}

pub fn code(e: &ServiceError) -> &str {
    e.code().code()
}

/// The spec (Tencent's per-action error lists and the common API 3.0 codes).
const SPEC: &str = include_str!("../../../spec/car.json");

/// Refusals the emulator answers although the action's own list lacks the code; each is
/// named in car-behaviour.md and BEHAVIOUR.md.
const DOCUMENTED_ELSEWHERE: &[(&str, &str)] = &[(
    // car-behaviour.md: "unknown user session: ResourceNotFound.SessionNotFound".
    "DestroySession",
    "ResourceNotFound.SessionNotFound",
)];

/// Fails unless `e`'s code is one Tencent documents for `action` (its own list or the
/// common codes every action may answer).
pub fn assert_documented(action: &str, e: &ServiceError) {
    let spec: Value = serde_json::from_str(SPEC).expect("spec/car.json parses");
    let code = e.code().code();
    // Action lists hold code strings; the common list holds `{"code", "doc"}` objects.
    let listed = |v: &Value| {
        v.as_array().is_some_and(|codes| {
            codes
                .iter()
                .any(|c| c.as_str().or_else(|| c["code"].as_str()) == Some(code))
        })
    };
    let own = spec["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == action)
        .unwrap_or_else(|| panic!("{action} is not in spec/car.json"));
    assert!(
        listed(&own["errors"])
            || listed(&spec["common_errors"])
            || DOCUMENTED_ELSEWHERE.contains(&(action, code)),
        "{action} answered {code}, which neither its error list nor the common codes contain: {e}"
    );
}
