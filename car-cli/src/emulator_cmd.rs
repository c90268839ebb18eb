//! `car emulator`: runs the local CAR + COS emulator in the foreground, and
//! `car emulator reset` empties its data directory.
//!
//! The first line on stdout is one JSON object (`endpoint`, `cos_endpoint`, `secret_id`,
//! `secret_key`, `data_dir`, and `ca_file` with `--tls`) so scripts can start it and
//! read where it is; logs go to stderr. SIGINT or SIGTERM stops it: no new connections,
//! requests in flight finish, and it exits within five seconds.
//!
//! `--processing-delay SECONDS` (or `CAR_EMULATOR_PROCESSING_DELAY`, which `car --local`
//! honours too) sets how long a package takes to process; scripts and tests use 0.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use car_emulator::{Emulator, Fault, RunningEmulator};
use clap::{Arg, ArgAction, ArgMatches, Command};

use crate::exit::{print_stderr, print_stdout, Failure, Status};

/// The store's lock file (car_emulator::store), which `reset` holds while it empties
/// the directory.
const LOCK_FILE: &str = "emulator.lock";

/// How long a stop signal waits for requests in flight before giving up on them.
const STOP_GRACE: Duration = Duration::from_secs(4);

/// The environment variable that sets the processing delay when no option does.
pub const PROCESSING_DELAY_ENV: &str = "CAR_EMULATOR_PROCESSING_DELAY";

/// The `emulator` command's definition.
pub fn command() -> Command {
    let data_dir = Arg::new("data-dir")
        .long("data-dir")
        .value_name("DIR")
        .value_parser(clap::value_parser!(PathBuf))
        .help("Where state is kept (default: the platform data directory's car/emulator)");
    Command::new("emulator")
        .about("Run a local CAR and COS emulator (stateful, no account needed)")
        .arg(
            Arg::new("listen")
                .long("listen")
                .value_name("ADDR")
                .value_parser(clap::value_parser!(SocketAddr))
                .default_value("127.0.0.1:0")
                .help("Address of the CAR API; port 0 picks a free one"),
        )
        .arg(
            Arg::new("cos-listen")
                .long("cos-listen")
                .value_name("ADDR")
                .value_parser(clap::value_parser!(SocketAddr))
                .default_value("127.0.0.1:0")
                .help("Address of the COS API; port 0 picks a free one"),
        )
        .arg(data_dir.clone())
        .arg(
            Arg::new("fault")
                .long("fault")
                .value_name("SPEC")
                .action(ArgAction::Append)
                .help("Inject faults: [cos:]NAME:KIND[:next=N|:rate=F], KIND one of throttle, status=5xx, reset, delay=2s, truncate, error=CODE; e.g. CreateSession:throttle:next=3"),
        )
        .arg(
            Arg::new("rate-limits")
                .long("rate-limits")
                .action(ArgAction::SetTrue)
                .help("Enforce each action's documented rate limit"),
        )
        .arg(
            Arg::new("tls")
                .long("tls")
                .action(ArgAction::SetTrue)
                .help("Serve HTTPS with a CA made at start (its file is in the info line)"),
        )
        .arg(
            Arg::new("processing-delay")
                .long("processing-delay")
                .value_name("SECONDS")
                .help(format!(
                    "Seconds a package takes to process after CreateApplicationSnapshot (default {}, or ${PROCESSING_DELAY_ENV}); 0 for scripts and tests",
                    car_emulator::car::state::PROCESSING_SECONDS
                )),
        )
        .subcommand(
            Command::new("reset")
                .about("Empty the emulator's data directory (it must not be running)")
                .arg(data_dir),
        )
}

/// Runs `car emulator ARGS…` (`args` are the words after `emulator`).
pub fn run(args: &[String]) -> Result<(), Failure> {
    let words = std::iter::once("car emulator".to_owned()).chain(args.iter().cloned());
    let matches = match command().try_get_matches_from(words) {
        Ok(m) => m,
        Err(e)
            if matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            ) =>
        {
            print_stdout(&e.render().to_string());
            return Ok(());
        }
        Err(e) => return Err(Failure::from_clap(&e)),
    };
    match matches.subcommand() {
        Some(("reset", m)) => reset(&data_dir(m)?),
        _ => serve(&matches),
    }
}

/// The default data directory: `<platform data dir>/car/emulator`
/// (`~/.local/share/car/emulator` on Linux).
pub fn default_data_dir() -> Result<PathBuf, Failure> {
    directories::ProjectDirs::from("", "", "car")
        .map(|p| p.data_dir().join("emulator"))
        .ok_or_else(|| {
            Failure::config(
                "cannot find the platform data directory (no home directory); give --data-dir",
            )
        })
}

/// Starts an emulator in this process on free loopback ports with the data directory's
/// credentials: what `car --local` runs one command against.
pub async fn start_local(data_dir: Option<PathBuf>) -> Result<RunningEmulator, Failure> {
    let dir = match data_dir {
        Some(d) => d,
        None => default_data_dir()?,
    };
    let mut builder = Emulator::builder().data_dir(dir);
    if let Some(delay) = processing_delay(None)? {
        builder = builder.processing_delay(delay);
    }
    builder
        .start()
        .await
        .map_err(|e| Failure::config(e.to_string()))
}

/// The processing delay from `--processing-delay` (`option`), else from
/// `CAR_EMULATOR_PROCESSING_DELAY`; `None` keeps the emulator's default.
fn processing_delay(option: Option<&String>) -> Result<Option<Duration>, Failure> {
    let (name, value) = match option {
        Some(v) => ("--processing-delay", v.clone()),
        None => match std::env::var(PROCESSING_DELAY_ENV) {
            Ok(v) => (PROCESSING_DELAY_ENV, v),
            Err(std::env::VarError::NotPresent) => return Ok(None),
            Err(std::env::VarError::NotUnicode(v)) => {
                return Err(Failure::usage(format!(
                    "{PROCESSING_DELAY_ENV}: expected whole seconds (0 or more), got {v:?}"
                )))
            }
        },
    };
    value
        .trim()
        .parse::<u64>()
        .map(|s| Some(Duration::from_secs(s)))
        .map_err(|_| {
            Failure::usage(format!(
                "{name}: expected whole seconds (0 or more), got {value:?}"
            ))
        })
}

fn data_dir(m: &ArgMatches) -> Result<PathBuf, Failure> {
    match m.get_one::<PathBuf>("data-dir") {
        Some(d) => Ok(d.clone()),
        None => default_data_dir(),
    }
}

fn serve(m: &ArgMatches) -> Result<(), Failure> {
    let faults = m
        .get_many::<String>("fault")
        .into_iter()
        .flatten()
        .map(|spec| {
            spec.parse::<Fault>()
                .map_err(|e| Failure::usage(e.to_string()))
        })
        .collect::<Result<Vec<Fault>, Failure>>()?;
    let mut builder = Emulator::builder()
        .data_dir(data_dir(m)?)
        .listen(*m.get_one::<SocketAddr>("listen").expect("has a default"))
        .cos_listen(
            *m.get_one::<SocketAddr>("cos-listen")
                .expect("has a default"),
        )
        .rate_limits(m.get_flag("rate-limits"))
        .tls(m.get_flag("tls"));
    if let Some(delay) = processing_delay(m.get_one::<String>("processing-delay"))? {
        builder = builder.processing_delay(delay);
    }
    for f in faults {
        builder = builder.fault(f);
    }
    init_logging();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| {
            Failure::new(
                Status::Config,
                "ClientConfigError",
                format!("cannot start the runtime: {e}"),
            )
        })?;
    runtime.block_on(async {
        let emulator = builder
            .start()
            .await
            .map_err(|e| Failure::config(e.to_string()))?;
        print_stdout(&format!("{}\n", emulator.info_json()));
        let signal = stop_signal().await;
        tracing::info!("{signal}: stopping");
        if tokio::time::timeout(STOP_GRACE, emulator.shutdown())
            .await
            .is_err()
        {
            tracing::warn!(
                "requests still running after {} s were cut off",
                STOP_GRACE.as_secs()
            );
        }
        Ok(())
    })
}

/// Waits for SIGINT or (on Unix) SIGTERM and names it.
async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

/// Request and lifecycle logs on stderr; `RUST_LOG` overrides the level.
fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("car_emulator=info,car=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Empties `dir` while holding its lock, so a running emulator makes it refuse.
fn reset(dir: &Path) -> Result<(), Failure> {
    if !dir.exists() {
        print_stderr(&format!(
            "{} does not exist; nothing to reset\n",
            dir.display()
        ));
        return Ok(());
    }
    let store = car_emulator::Store::open(dir).map_err(|e| Failure::config(e.to_string()))?;
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Failure::config(format!("cannot read {}: {e}", dir.display())))?;
    for entry in entries {
        let entry =
            entry.map_err(|e| Failure::config(format!("cannot read {}: {e}", dir.display())))?;
        let path = entry.path();
        // The lock file stays: it is what we hold, and it carries no state.
        if entry.file_name() == LOCK_FILE {
            continue;
        }
        let removed = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        removed.map_err(|e| Failure::config(format!("cannot remove {}: {e}", path.display())))?;
    }
    drop(store);
    print_stderr(&format!("emptied {}\n", dir.display()));
    Ok(())
}
