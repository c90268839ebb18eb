//! Tencent's official Python SDK, run against our loopback server: its signatures pass
//! our server's checks (so server and signer agree with Tencent's code), its request
//! bodies satisfy our spec's parameter checks, and it parses our answers.
//!
//! Needs the SDK (`pip install tencentcloud-sdk-python-intl-en`); `CAR_PYTHON` names the
//! interpreter that has it (default `python3`). `#[ignore]`d because of that; CI installs
//! the SDK and runs it.

use std::process::Command;

use car_emulator::test_server::{TestServer, TEST_SECRET_ID, TEST_SECRET_KEY};
use serde_json::Value;

#[test]
#[ignore = "needs tencentcloud-sdk-python-intl-en; CI installs it and sets CAR_PYTHON"]
fn official_python_sdk_against_the_test_server() {
    let server = TestServer::start().unwrap();
    let python = std::env::var("CAR_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/official_sdk_calls.py"
    );
    let out = Command::new(&python)
        .arg(script)
        .arg(server.addr().to_string())
        .args([TEST_SECRET_ID, TEST_SECRET_KEY])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{python} failed:\n{}\n{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(results.len(), 5, "{stdout}");
    for r in &results[..4] {
        assert_eq!(r["ok"], true, "{r}");
        assert!(
            r["response"]["RequestId"]
                .as_str()
                .is_some_and(|s| !s.is_empty()),
            "{r}"
        );
    }
    assert_eq!(results[0]["response"]["ApplicationTotal"], 1);
    assert_eq!(results[4]["ok"], false);
    assert_eq!(results[4]["code"], "AuthFailure.SignatureFailure");

    let seen = server.requests();
    assert_eq!(seen.len(), 5);
    for r in &seen[..4] {
        assert_eq!(r.rejected, None, "{} was rejected", r.action);
    }
    assert_eq!(
        seen[3].body["ApplicationName"],
        "\u{4e91}\u{6e32}\u{67d3} \u{2713}"
    );
}
