//! `kill -9` of a `car emulator` process loses no acknowledged write and leaves nothing
//! half-written: an application created before the kill is listed after a restart on the
//! same data directory, and an upload cut off mid-body leaves no object and no temporary
//! file behind. Expected values come from the answers the emulator gave before the kill.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use car_api::cos_signing::{authorization, is_signed_header, CosRequest, KeyTime};
use common::{start_emulator, Running, Sandbox, BIN};
use serde_json::Value;

fn start(sb: &Sandbox, dir: &str) -> Running {
    start_emulator(sb, &["--data-dir", dir])
}

fn field<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str()
        .unwrap_or_else(|| panic!("{k} missing in {v}"))
}

/// Runs `car ARGS` against `emu` with its keys.
fn car(sb: &Sandbox, emu: &Running, args: &[&str]) -> Value {
    let mut sb_args = vec!["--endpoint", field(&emu.info, "endpoint")];
    sb_args.extend_from_slice(args);
    let out = Command::new(BIN)
        .args(&sb_args)
        .env_clear()
        .envs(sb.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("TENCENTCLOUD_SECRET_ID", field(&emu.info, "secret_id"))
        .env("TENCENTCLOUD_SECRET_KEY", field(&emu.info, "secret_key"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "car {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Opens a connection to the COS side and sends a signed request head for `key`.
fn cos_request(emu: &Running, cred: &Value, method: &str, length: Option<u64>) -> TcpStream {
    let host = field(&emu.info, "cos_endpoint")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let path = format!("/{}", field(cred, "Path"));
    let len = length.map(|l| l.to_string());
    let mut headers: Vec<(&str, &str)> = vec![("host", host.as_str())];
    if let Some(l) = &len {
        headers.push(("content-length", l));
    }
    headers.push(("x-cos-security-token", field(cred, "SessionToken")));
    let signed: Vec<(&str, &str)> = headers
        .iter()
        .copied()
        .filter(|(n, _)| is_signed_header(n))
        .collect();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let auth = authorization(
        field(cred, "SecretID"),
        field(cred, "SecretKey"),
        &CosRequest {
            method,
            path: &path,
            params: &[],
            headers: &signed,
        },
        KeyTime::around(now, 600),
    );
    let mut stream = TcpStream::connect(&host).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\n");
    for (n, v) in &headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str(&format!("authorization: {auth}\r\n\r\n"));
    stream.write_all(head.as_bytes()).unwrap();
    stream
}

#[test]
fn kill_9_loses_no_acknowledged_write_and_leaves_nothing_half_written() {
    let sb = Sandbox::empty();
    let dir = sb.path("emu");
    let dir = dir.to_str().unwrap();

    let emu = start(&sb, dir);
    let app = car(
        &sb,
        &emu,
        &[
            "create-application",
            "--application-name",
            "survivor",
            "--application-type",
            "Application3D",
        ],
    );
    let app_id = field(&app, "ApplicationId").to_string();
    car(
        &sb,
        &emu,
        &[
            "create-application-version",
            "--application-id",
            &app_id,
            "--application-file-name",
            "game.zip",
        ],
    );
    let cred = car(
        &sb,
        &emu,
        &[
            "describe-cos-credential",
            "--application-id",
            &app_id,
            "--application-file-name",
            "game.zip",
        ],
    );

    // An upload of 64 MiB announced, 8 MiB of it sent, then the process dies.
    let mut upload = cos_request(&emu, &cred, "PUT", Some(64 << 20));
    upload.write_all(&vec![7u8; 8 << 20]).unwrap();
    upload.flush().unwrap();
    // Kill only once the body is really being written: a temporary file with data in it.
    let objects = std::path::Path::new(dir).join("objects");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !std::fs::read_dir(&objects).unwrap().any(|e| {
        let e = e.unwrap();
        e.file_name().to_string_lossy().starts_with(".tmp-")
            && e.metadata().is_ok_and(|m| m.len() > 0)
    }) {
        assert!(
            std::time::Instant::now() < deadline,
            "the upload never reached the disk"
        );
        std::thread::yield_now();
    }
    let mut emu = emu;
    emu.child.kill().unwrap(); // SIGKILL
    emu.child.wait().unwrap();
    drop(upload);

    let emu = start(&sb, dir);
    let listed = car(
        &sb,
        &emu,
        &[
            "describe-application-list",
            "--offset",
            "0",
            "--limit",
            "10",
        ],
    );
    assert_eq!(listed["ApplicationTotal"], 1, "{listed}");
    assert_eq!(
        listed["UserApplicationList"][0]["ApplicationId"],
        app_id.as_str()
    );

    let mut head = cos_request(&emu, &cred, "HEAD", None);
    let mut answer = [0u8; 64];
    let n = head.read(&mut answer).unwrap();
    let status = String::from_utf8_lossy(&answer[..n]);
    assert!(status.starts_with("HTTP/1.1 404"), "{status}");
    let leftovers: Vec<String> = std::fs::read_dir(std::path::Path::new(dir).join("objects"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        leftovers.is_empty(),
        "half-written files remain: {leftovers:?}"
    );
}
