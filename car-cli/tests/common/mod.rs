//! Runs the real `car` binary in a sealed environment: a temporary HOME, only the
//! variables a test gives, and the metadata service switched off.

#![allow(dead_code)]

pub mod app;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use car_emulator::test_server::{TEST_SECRET_ID, TEST_SECRET_KEY};

pub const BIN: &str = env!("CARGO_BIN_EXE_car");

pub struct Sandbox {
    pub home: tempfile::TempDir,
    pub vars: Vec<(String, String)>,
}

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn expect(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "exit status\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    pub fn stderr_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stderr)
            .unwrap_or_else(|e| panic!("stderr is not JSON ({e}):\n{}", self.stderr))
    }
}

impl Sandbox {
    /// Test keys in the environment.
    pub fn with_keys() -> Sandbox {
        let mut s = Sandbox::empty();
        s.set("TENCENTCLOUD_SECRET_ID", TEST_SECRET_ID);
        s.set("TENCENTCLOUD_SECRET_KEY", TEST_SECRET_KEY);
        s
    }

    /// No credentials anywhere.
    pub fn empty() -> Sandbox {
        let home = tempfile::tempdir().expect("temp dir");
        let mut s = Sandbox {
            home,
            vars: Vec::new(),
        };
        s.set("HOME", &s.home.path().display().to_string());
        s.set("CAR_METADATA_ENDPOINT", "off");
        s
    }

    pub fn set(&mut self, k: &str, v: &str) {
        self.vars.retain(|(key, _)| key != k);
        self.vars.push((k.into(), v.into()));
    }

    pub fn unset(&mut self, k: &str) {
        self.vars.retain(|(key, _)| key != k);
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.home.path().join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        std::fs::write(&p, text).expect("write");
        p
    }

    pub fn car(&self, args: &[&str]) -> Run {
        self.car_stdin(args, None)
    }

    pub fn car_stdin(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env_clear()
            .envs(self.vars.iter().map(|(k, v)| (k, v)))
            .current_dir(self.home.path());
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn car");
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().expect("stdin");
            let _ = pipe.write_all(input.as_bytes());
        }
        let out = child.wait_with_output().expect("wait car");
        let run = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        assert_no_panic(&run, args);
        run
    }
}

#[track_caller]
pub fn assert_no_panic(run: &Run, args: &[&str]) {
    for text in [&run.stdout, &run.stderr] {
        assert!(
            !text.contains("panicked at"),
            "car {args:?} panicked:\n{text}"
        );
        assert!(
            !text.contains("RUST_BACKTRACE"),
            "car {args:?} panicked:\n{text}"
        );
    }
    assert!(
        run.code >= 0,
        "car {args:?} was killed by a signal:\n{}",
        run.stderr
    );
}

#[cfg(unix)]
pub fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777
}

/// A `car emulator` process and the info line it printed.
pub struct Running {
    pub child: Child,
    pub info: Value,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `car emulator ARGS` and reads its info line (killed on drop).
pub fn start_emulator(sandbox: &Sandbox, args: &[&str]) -> Running {
    let mut child = Command::new(BIN)
        .arg("emulator")
        .args(args)
        .env_clear()
        .envs(sandbox.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start car emulator");
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .expect("read the info line");
    let info = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("the first line is not JSON ({e}): {line:?}"));
    Running { child, info }
}

pub fn text<'a>(info: &'a Value, key: &str) -> &'a str {
    info[key]
        .as_str()
        .unwrap_or_else(|| panic!("`{key}` missing from {info}"))
}
