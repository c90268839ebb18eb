//! `car`: the command line for Tencent Cloud CAR, a drop-in for `tccli car`.

mod actions;
mod app;
mod argv;
mod call;
mod cli;
mod completions;
mod configure;
mod emulator_cmd;
mod exit;
mod input;
mod output;
mod paging;
mod waiter;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::ArgMatches;
use serde_json::Value;

use exit::{print_stdout, Failure, Status};

fn main() -> ExitCode {
    // Shown on every run, with or without -v: the user has to fix the file.
    car_api::credentials::set_warning_handler(|w| {
        exit::print_stderr(&format!("warning: {w}\n"));
    });
    let args = match collect_args(std::env::args_os()) {
        Ok(args) => args,
        Err(f) => return ExitCode::from(f.report(false) as u8),
    };
    let json_errors = argv::wants_json_errors(&args);
    let status = match run(args) {
        Ok(()) => Status::Success,
        Err(f) => f.report(json_errors),
    };
    ExitCode::from(status as u8)
}

/// The arguments as text. One that is not UTF-8 is described, never echoed: it may be
/// a secret given to `--secretKey`.
fn collect_args(raw: impl Iterator<Item = OsString>) -> Result<Vec<String>, Failure> {
    let mut args: Vec<String> = Vec::new();
    for (i, a) in raw.enumerate() {
        match a.into_string() {
            Ok(s) => args.push(s),
            Err(a) => {
                let of = args
                    .last()
                    .filter(|p| p.starts_with("--") && !p.contains('='))
                    .map(|p| format!(" (the value of {p})"))
                    .unwrap_or_default();
                return Err(Failure::usage(format!(
                    "argument {i}{of} is not valid UTF-8 ({} bytes); car takes UTF-8 text only",
                    a.len()
                )));
            }
        }
    }
    Ok(args)
}

fn run(args: Vec<String>) -> Result<(), Failure> {
    if args.get(1).map(String::as_str) == Some("emulator") {
        return emulator_cmd::run(&args[2..]);
    }
    if app::wants(&args) {
        return app::run(args);
    }
    let line = argv::prepare(args)?;
    // Build only what this invocation needs: one action's flags, not all 33 commands'.
    let root = match &line.target {
        argv::Target::Action(a) | argv::Target::HelpFor(a) => {
            cli::root().subcommand(actions::command(a))
        }
        argv::Target::Configure => cli::configure_root().subcommand(configure::command()),
        argv::Target::Completions => cli::root().subcommand(completions::command()),
        argv::Target::Unknown(name) => return Err(argv::unknown(name)),
        argv::Target::Listing => car_api::metadata::ACTIONS
            .iter()
            .fold(cli::listing_root(), |r, a| r.subcommand(actions::stub(a)))
            .subcommand(configure::command())
            .subcommand(completions::command()),
    };
    let matches = match root.try_get_matches_from(line.args) {
        Ok(m) => m,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            // Through print_stdout, so `car --help > /dev/full` fails as any output would.
            let help = e.render();
            let text = if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
                help.ansi().to_string()
            } else {
                help.to_string()
            };
            print_stdout(&text);
            return Ok(());
        }
        Err(e) => return Err(Failure::from_clap(&e)),
    };
    let globals = cli::Globals::from_matches(&matches)?;
    if globals.verbose > 0 {
        init_tracing(globals.verbose);
    }
    match matches.subcommand() {
        Some(("configure", m)) => configure::run(m, globals.profile.as_deref()),
        Some(("completions", m)) => completions::run(m),
        Some((name, m)) => match actions::find(name) {
            Some(a) => run_action(a, m, &globals, line.unfolded),
            None => Err(argv::unknown(name)),
        },
        None => Err(Failure::usage("no command given; see `car --help`")),
    }
}

fn run_action(
    a: &'static car_api::meta::ActionMeta,
    m: &ArgMatches,
    g: &cli::Globals,
    unfolded: Option<serde_json::Map<String, Value>>,
) -> Result<(), Failure> {
    if let Some(which) = &g.skeleton {
        let skeleton = if which == "output" {
            let mut s = input::skeleton(a.output);
            if let Value::Object(map) = &mut s {
                map.insert("RequestId".into(), "String".into());
            }
            s
        } else {
            input::skeleton(a.input)
        };
        let hint = if which == "output" {
            output::Hint::Response(a.output)
        } else {
            output::Hint::Members(a.input)
        };
        print_stdout(&format!("{}\n", output::to_pretty_json(&skeleton, hint)));
        return Ok(());
    }
    let mut problems = Vec::new();
    let mut base = match &g.cli_input_json {
        Some(s) => input::load(s).map_err(Failure::usage)?,
        None => Value::Object(Default::default()),
    };
    if let (Some(leaves), Value::Object(map)) = (unfolded, &mut base) {
        map.extend(leaves);
    }
    let body = actions::assemble(a, m, base)
        .map_err(|p| problems.extend(p))
        .ok();
    // Expressions are compiled before anything is sent, so a typo costs no request.
    let filter = g.filter.as_deref().and_then(|f| {
        output::Filter::compile(f, "--filter")
            .map_err(|p| problems.push(p))
            .ok()
    });
    let waiter = g.waiter.as_deref().and_then(|w| {
        if !a.retry_safe {
            problems.push(format!(
                "--waiter: {} changes something, and a waiter repeats the call until the answer \
                 matches, so it would repeat the change; run it once, then wait with a Describe action",
                a.name
            ));
            return None;
        }
        waiter::Waiter::parse(w)
            .map_err(|p| problems.extend(p))
            .ok()
    });
    if g.all_pages {
        if let Err(p) = paging::check_all_pages(a) {
            problems.push(p);
        }
    }
    let named = g.wait_until.as_deref().and_then(|w| {
        paging::parse_wait_until(a, w, g.wait_timeout.as_deref())
            .map_err(|p| problems.push(p))
            .ok()
    });
    if g.wait_timeout.is_some() && g.wait_until.is_none() {
        problems.push("--wait-timeout: give --wait-until with it".into());
    }
    let chosen: Vec<&str> = [
        (g.waiter.is_some(), "--waiter"),
        (g.wait_until.is_some(), "--wait-until"),
        (g.all_pages, "--all-pages"),
    ]
    .into_iter()
    .filter_map(|(given, flag)| given.then_some(flag))
    .collect();
    if chosen.len() > 1 {
        problems.push(format!("{} cannot be combined", chosen.join(" and ")));
    }
    problems.extend(call::check_flags(g));
    match body {
        Some(body) if problems.is_empty() => call::run(
            g,
            call::Request {
                action: a,
                body,
                filter,
                waiter,
                named,
                all_pages: g.all_pages,
            },
        ),
        _ => Err(Failure::params(problems)),
    }
}

/// Logging costs start-up time, so it is set up only when asked for. Only this
/// program's and the runtime's events are shown: the runtime never logs secrets,
/// while lower layers might log raw headers.
fn init_tracing(level: u8) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::prelude::*;
    let lvl = if level >= 2 {
        LevelFilter::TRACE
    } else {
        LevelFilter::DEBUG
    };
    let targets = Targets::new()
        .with_target("car", lvl)
        .with_target("car_api", lvl);
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                .with_filter(targets),
        )
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_non_utf8_argument_is_described_not_echoed() {
        use std::os::unix::ffi::OsStringExt;
        let secret = OsString::from_vec(b"s3cr3t\xffkey".to_vec());
        let raw = ["car", "--secretKey"]
            .map(OsString::from)
            .into_iter()
            .chain([secret]);
        let f = collect_args(raw).unwrap_err();
        assert_eq!(
            f.messages,
            ["argument 2 (the value of --secretKey) is not valid UTF-8 (10 bytes); car takes UTF-8 text only"]
        );
    }
}
