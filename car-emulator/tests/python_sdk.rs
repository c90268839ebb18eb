//! The emulator, driven by clients nobody here wrote: Tencent's Python SDK
//! (tencentcloud-sdk-python-intl-en) signs every CAR call with its own TC3 code and
//! cos-python-sdk-v5 uploads the package multipart with its own COS signatures, through
//! the whole release sequence, then one published example request of each of the 33
//! actions. Expected values come from car-behaviour facts (path shape, statuses, EXIST /
//! NO_EXIST), the package the script built (size, CRC-64 computed here) and each action's
//! documented error codes.
//!
//! Needs both SDKs; `CAR_PYTHON` names an interpreter that has them. `.ci/run` installs
//! pinned versions into a venv and runs this test; without `CAR_PYTHON` it fails.

use std::collections::HashMap;
use std::process::Command;

use car_api::metadata::ACTIONS;
use car_emulator::Emulator;
use serde_json::Value;

fn host(endpoint: &str) -> String {
    endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the official Python SDKs; CI installs them and sets CAR_PYTHON"]
async fn the_official_python_sdks_release_a_version_and_call_every_action() {
    let python = std::env::var("CAR_PYTHON").expect(
        "CAR_PYTHON must name a python with tencentcloud-sdk-python-intl-en and cos-python-sdk-v5",
    );
    let emulator = Emulator::builder().start().await.unwrap();
    let work = tempfile::tempdir().unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/release_sequence.py"
    );
    let examples = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../car-api/tests/fixtures/examples.json"
    );
    let args = [
        script.to_string(),
        host(emulator.endpoint()),
        host(emulator.cos_endpoint()),
        emulator.secret_id().to_string(),
        emulator.secret_key().to_string(),
        work.path().display().to_string(),
        examples.to_string(),
    ];
    let out = tokio::task::spawn_blocking(move || Command::new(&python).args(args).output())
        .await
        .unwrap()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "script failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let step = |name: &str| -> &Value {
        lines
            .iter()
            .find(|l| l["step"] == name)
            .unwrap_or_else(|| panic!("no step {name} in\n{stdout}"))
    };

    let app_id = step("CreateApplication")["application_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(app_id.starts_with("app-"), "{app_id}");
    let version_id = step("CreateApplicationVersion")["version_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(version_id.starts_with("ver-"), "{version_id}");

    // car-behaviour: Path is <uin>/<app-id>/<version-id>/<app-id>.<ext>.
    let cred = step("DescribeCosCredential");
    let path = cred["path"].as_str().unwrap();
    let segments: Vec<&str> = path.split('/').collect();
    assert_eq!(segments.len(), 4, "{path}");
    assert!(segments[0].chars().all(|c| c.is_ascii_digit()), "{path}");
    assert_eq!(segments[1], app_id);
    assert_eq!(segments[2], version_id);
    assert_eq!(segments[3], format!("{app_id}.zip"));
    assert!(cred["expired"].as_i64().unwrap() > cred["start"].as_i64().unwrap());

    let upload = step("upload");
    let package = std::fs::read(upload["package"].as_str().unwrap()).unwrap();
    assert_eq!(upload["size"].as_u64().unwrap(), package.len() as u64);
    let mut crc = crc64fast::Digest::new();
    crc.write(&package);
    assert_eq!(upload["crc64"].as_str().unwrap(), crc.sum64().to_string());
    assert_eq!(
        step("scope")["refused"],
        true,
        "a key outside the granted path must be refused"
    );

    assert_eq!(step("DescribeApplicationVersion")["status"], "Normal");
    let paths: Vec<&str> = step("DescribeApplicationPathList")["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    // Tencent's example answer lists Windows paths (`xxxx\\xxx.exe`).
    assert!(paths.contains(&"Game\\Binaries\\Game.exe"), "{paths:?}");
    assert!(paths.contains(&"Tools\\Setup.exe"), "{paths:?}");
    assert!(!paths.iter().any(|p| p.ends_with(".txt")), "{paths:?}");
    let files: HashMap<String, String> = step("DescribeApplicationFileInfo")["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["FilePath"].as_str().unwrap().to_string(),
                f["FileState"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(files["Game/Binaries/Game.exe"], "EXIST");
    assert_eq!(files["Game/Missing.exe"], "NO_EXIST");
    assert_eq!(
        step("SetApplicationVersionOnline")["statuses"][&version_id],
        "Inuse"
    );

    // One published example of each action: the SDK signs and parses it; the answer is a
    // success or one of the codes that action documents, never an auth or decoding failure.
    // Some published examples carry placeholders (`"Type": "abc"`), so the common API 3.0
    // codes (parameter errors among them) are acceptable answers too.
    let spec: Value =
        serde_json::from_str(include_str!("../../spec/car.json")).expect("spec/car.json parses");
    let common: Vec<&str> = spec["common_errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    let calls: Vec<&Value> = lines.iter().filter(|l| l.get("action").is_some()).collect();
    assert_eq!(calls.len(), ACTIONS.len(), "{stdout}");
    for c in calls {
        let action = c["action"].as_str().unwrap();
        if c["ok"] == true {
            continue;
        }
        let code = c["code"].as_str().unwrap();
        let meta = ACTIONS.iter().find(|a| a.name == action).unwrap();
        assert!(
            meta.errors.contains(&code)
                || common.contains(&code)
                // car-behaviour.md: an unknown user session is SessionNotFound, though
                // DestroySession's own list leaves the code out.
                || (action == "DestroySession" && code == "ResourceNotFound.SessionNotFound"),
            "{action} answered {code}, which neither its error list ({:?}) nor the common codes contain",
            meta.errors
        );
    }
}
