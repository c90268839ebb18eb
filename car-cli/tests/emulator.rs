//! `car emulator` as a script uses it: start it, read the first stdout line, call it with
//! the keys it printed, stop it with SIGTERM; `car emulator reset` empties the data
//! directory and refuses while an emulator holds it.

mod common;

use std::process::Command;
use std::time::Instant;

use common::{start_emulator as start, text, Running, Sandbox};

/// Sends SIGTERM and waits for the exit.
fn terminate(running: &mut Running) -> std::process::ExitStatus {
    let pid = running.child.id().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(sent.success());
    running.child.wait().unwrap()
}

#[test]
fn the_first_line_says_where_it_is_and_its_keys_sign_requests() {
    let sandbox = Sandbox::empty();
    let data = sandbox.path("emu");
    let mut emu = start(&sandbox, &["--data-dir", data.to_str().unwrap()]);
    let info = emu.info.clone();
    let mut keys: Vec<&String> = info.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "cos_endpoint",
            "data_dir",
            "endpoint",
            "secret_id",
            "secret_key"
        ]
    );
    assert_eq!(text(&info, "data_dir"), data.to_str().unwrap());
    assert!(
        text(&info, "endpoint").starts_with("http://127.0.0.1:"),
        "{info}"
    );

    // The printed keys pass the emulator's signature check; another key does not.
    let call = |key: &str| {
        let mut s = Sandbox::empty();
        s.set("TENCENTCLOUD_SECRET_ID", text(&info, "secret_id"));
        s.set("TENCENTCLOUD_SECRET_KEY", key);
        s.car(&[
            "describe-concurrent-count",
            "--endpoint",
            text(&info, "endpoint"),
            "--output",
            "json",
        ])
    };
    let wrong = call(&"x".repeat(32));
    assert!(
        wrong.stderr.contains("AuthFailure.SignatureFailure"),
        "{wrong:?}"
    );
    let right = call(text(&info, "secret_key"));
    assert!(!right.stderr.contains("AuthFailure"), "{right:?}");

    let status = terminate(&mut emu);
    assert!(status.success(), "{status:?}");

    // The same directory keeps its keys.
    let again = start(&sandbox, &["--data-dir", data.to_str().unwrap()]);
    assert_eq!(again.info["secret_id"], info["secret_id"]);
    assert_eq!(again.info["secret_key"], info["secret_key"]);
}

#[test]
fn reset_refuses_while_running_and_afterwards_the_keys_are_new() {
    let sandbox = Sandbox::empty();
    let data = sandbox.path("emu");
    let dir = data.to_str().unwrap();
    let mut emu = start(&sandbox, &["--data-dir", dir]);
    let busy = sandbox.car(&["emulator", "reset", "--data-dir", dir]);
    busy.expect(5);
    assert!(
        busy.stderr.contains("in use by another emulator"),
        "{busy:?}"
    );
    terminate(&mut emu);

    sandbox
        .car(&["emulator", "reset", "--data-dir", dir])
        .expect(0);
    let fresh = start(&sandbox, &["--data-dir", dir]);
    assert_ne!(fresh.info["secret_id"], emu.info["secret_id"]);
}

#[test]
fn the_default_data_directory_is_under_the_platform_data_dir() {
    let mut sandbox = Sandbox::empty();
    let xdg = sandbox.path("xdg-data");
    sandbox.set("XDG_DATA_HOME", xdg.to_str().unwrap());
    let emu = start(&sandbox, &[]);
    assert_eq!(
        text(&emu.info, "data_dir"),
        xdg.join("car").join("emulator").to_str().unwrap()
    );
}

#[test]
fn tls_adds_the_ca_file_to_the_info_line() {
    let sandbox = Sandbox::empty();
    let data = sandbox.path("emu");
    let emu = start(&sandbox, &["--data-dir", data.to_str().unwrap(), "--tls"]);
    assert!(text(&emu.info, "endpoint").starts_with("https://localhost:"));
    let ca = text(&emu.info, "ca_file");
    let pem = std::fs::read_to_string(ca).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
}

#[test]
fn a_bad_fault_or_address_is_a_usage_error_naming_it() {
    let sandbox = Sandbox::empty();
    let run = sandbox.car(&["emulator", "--fault", "CreateSession:explode"]);
    run.expect(2);
    assert!(
        run.stderr.contains("invalid fault `CreateSession:explode`"),
        "{run:?}"
    );
    assert!(run.stdout.is_empty(), "{run:?}");
    let run = sandbox.car(&["emulator", "--listen", "not-an-address"]);
    run.expect(2);
    assert!(run.stderr.contains("not-an-address"), "{run:?}");
}

/// Time from starting `car emulator` to its info line. Run in release mode:
/// `cargo test -p car-cli --release --test emulator -- --ignored --nocapture`.
#[test]
#[ignore]
fn measure_time_to_the_info_line() {
    let sandbox = Sandbox::empty();
    let mut times = Vec::new();
    for i in 0..10 {
        let data = sandbox.path(&format!("emu-{i}"));
        let started = Instant::now();
        let emu = start(&sandbox, &["--data-dir", data.to_str().unwrap()]);
        times.push(started.elapsed());
        drop(emu);
    }
    times.sort();
    println!(
        "time to the info line over 10 fresh data dirs: min {:?}, median {:?}, max {:?}",
        times[0], times[5], times[9]
    );
}
