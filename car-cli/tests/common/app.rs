//! `car app` tests against a real emulator (packages processed at once), a `car emulator`
//! process or one in the test's runtime (for what only the library offers, such as a COS
//! classifier): the sandbox holds its keys, every `car` call names its CAR endpoint, and
//! packages are zips built here with a known launch path.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use car_emulator::car::state::CarState;
use car_emulator::{EmulatorBuilder, RunningEmulator};
use serde_json::Value;

use super::{start_emulator, text, Run, Running, Sandbox, BIN};

pub const MIB: usize = 1024 * 1024;

/// A zip holding `exe` and, stored uncompressed, `filler` bytes that do not repeat (so
/// a package of several MiB goes up in several parts and a misplaced part shows).
pub fn game_zip(exe: &str, filler: usize) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut out);
        w.start_file(exe, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(b"MZ game").unwrap();
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let bytes: Vec<u8> = (0..filler)
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
        w.write_all(&bytes).unwrap();
        w.finish().unwrap();
    }
    out.into_inner()
}

/// NDJSON lines (the progress events on stderr when it is not a terminal).
#[track_caller]
pub fn events(stderr: &str) -> Vec<Value> {
    stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not NDJSON: {l}")))
        .collect()
}

/// An application, created and given a launch path with the `car` at hand.
pub fn create_app(car: impl Fn(&[&str]) -> Run, exe: &str) -> String {
    let created = car(&[
        "create-application",
        "--application-name",
        "Space Game",
        "--application-type",
        "Application3D",
    ])
    .expect(0)
    .json();
    let app = created["ApplicationId"].as_str().unwrap().to_string();
    car(&[
        "modify-application-base-info",
        "--application-id",
        &app,
        "--application-exe-path",
        exe,
        "--application-inter-list",
        "",
        "--application-base-info",
        r#"{"WindowUseType":"ApplicationDesktop"}"#,
    ])
    .expect(0);
    app
}

/// A running emulator and a sandbox with its keys.
pub struct AppEnv {
    pub sb: Sandbox,
    /// What `car emulator` prints first (`endpoint`, `cos_endpoint`, keys).
    pub info: Value,
    _server: Server,
}

/// Kept alive for the test; stopped on drop.
enum Server {
    Process(Running),
    InProcess(RunningEmulator),
}

impl AppEnv {
    /// Starts the emulator with `extra` options (faults) on a data directory in the
    /// sandbox.
    pub fn start(extra: &[&str]) -> AppEnv {
        let sb = Sandbox::empty();
        let data = sb.path("emulator");
        let mut args = vec![
            "--data-dir",
            data.to_str().unwrap(),
            "--processing-delay",
            "0",
        ];
        args.extend_from_slice(extra);
        let emu = start_emulator(&sb, &args);
        AppEnv::with_keys(sb, emu.info.clone(), Server::Process(emu))
    }

    /// Starts `builder` (with immediate processing) on the current tokio runtime, which
    /// must keep running while `car` is called: a multi-threaded one.
    pub async fn in_process(builder: EmulatorBuilder<CarState>) -> AppEnv {
        let sb = Sandbox::empty();
        let emu = builder
            .data_dir(sb.path("emulator"))
            .processing_delay(Duration::ZERO)
            .start()
            .await
            .expect("emulator");
        AppEnv::with_keys(sb, emu.info_json(), Server::InProcess(emu))
    }

    fn with_keys(mut sb: Sandbox, info: Value, server: Server) -> AppEnv {
        sb.set("TENCENTCLOUD_SECRET_ID", text(&info, "secret_id"));
        sb.set("TENCENTCLOUD_SECRET_KEY", text(&info, "secret_key"));
        AppEnv {
            sb,
            info,
            _server: server,
        }
    }

    /// The emulator, when it runs in this process.
    pub fn in_process_emulator(&self) -> Option<&RunningEmulator> {
        match &self._server {
            Server::InProcess(e) => Some(e),
            Server::Process(_) => None,
        }
    }

    pub fn endpoint(&self) -> &str {
        text(&self.info, "endpoint")
    }

    pub fn cos(&self) -> &str {
        text(&self.info, "cos_endpoint")
    }

    /// `car --endpoint <emulator> ARGS`.
    pub fn car(&self, args: &[&str]) -> Run {
        let mut all = vec!["--endpoint", self.endpoint()];
        all.extend_from_slice(args);
        self.sb.car(&all)
    }

    /// `car --endpoint <emulator> app SUB ARGS --cos-endpoint <emulator's COS>`.
    pub fn app(&self, sub: &[&str], args: &[&str]) -> Run {
        self.car(&self.app_args(sub, args))
    }

    fn app_args<'a>(&'a self, sub: &[&'a str], args: &[&'a str]) -> Vec<&'a str> {
        let mut all = vec!["app"];
        all.extend_from_slice(sub);
        all.extend_from_slice(args);
        all.extend_from_slice(&["--cos-endpoint", self.cos()]);
        all
    }

    /// Starts what [`AppEnv::app`] runs, with stdout and stderr piped, and returns at once.
    pub fn spawn_app(&self, sub: &[&str], args: &[&str]) -> Child {
        Command::new(BIN)
            .args(["--endpoint", self.endpoint()])
            .args(self.app_args(sub, args))
            .env_clear()
            .envs(self.sb.vars.iter().map(|(k, v)| (k, v)))
            .current_dir(self.sb.home.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn car")
    }

    pub fn create_app(&self, exe: &str) -> String {
        create_app(|a| self.car(a), exe)
    }

    /// Writes a package into the sandbox.
    pub fn package(&self, name: &str, exe: &str, filler: usize) -> PathBuf {
        let p = self.sb.path(name);
        std::fs::write(&p, game_zip(exe, filler)).unwrap();
        p
    }

    /// The versions as `car app versions` lists them.
    pub fn versions(&self, app: &str) -> Vec<Value> {
        let v = self
            .car(&["app", "versions", "--application-id", app])
            .expect(0)
            .json();
        v["Versions"].as_array().unwrap().clone()
    }

    /// CreateApplicationVersion; the new version's ID.
    pub fn create_version(&self, app: &str, file: &str) -> String {
        let v = self
            .car(&[
                "create-application-version",
                "--application-id",
                app,
                "--application-file-name",
                file,
            ])
            .expect(0)
            .json();
        v["Version"]["ApplicationVersionId"]
            .as_str()
            .unwrap()
            .to_string()
    }
}
