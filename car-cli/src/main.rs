//! `car`: the command line for Tencent Cloud CAR, a drop-in for `tccli car`.

mod actions;
mod call;
mod cli;
mod completions;
mod configure;
mod exit;
mod input;
mod output;
mod waiter;

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
    let (args, scan) = match collect_args() {
        Ok(args) => {
            let scan = cli::scan(&args);
            (args, scan)
        }
        Err(f) => return ExitCode::from(f.report(false) as u8),
    };
    let status = match run(args, &scan) {
        Ok(()) => Status::Success,
        Err(f) => f.report(scan.json_errors),
    };
    ExitCode::from(status as u8)
}

fn collect_args() -> Result<Vec<String>, Failure> {
    std::env::args_os()
        .enumerate()
        .map(|(i, a)| {
            a.into_string()
                .map_err(|a| Failure::usage(format!("argument {i} is not valid UTF-8: {a:?}")))
        })
        .collect()
}

fn run(args: Vec<String>, scan: &cli::Scan) -> Result<(), Failure> {
    let target = if scan.command.as_deref() == Some("help") {
        scan.help_target.as_deref()
    } else {
        scan.command.as_deref()
    };
    if let Some(name) = target
        .filter(|n| !n.starts_with('-') && !matches!(*n, "configure" | "completions" | "help"))
    {
        if actions::find(name).is_none() {
            return Err(unknown_command(name));
        }
    }
    // Build only what this invocation needs: one action's flags, not all 33 commands'.
    let root = cli::root();
    let root = match (target, target.and_then(actions::find)) {
        (_, Some(a)) => root.subcommand(actions::command(a)),
        (Some("configure"), None) => root.subcommand(configure::command()),
        (Some("completions"), None) => root.subcommand(completions::command()),
        _ => car_api::metadata::ACTIONS
            .iter()
            .fold(root, |r, a| r.subcommand(actions::stub(a)))
            .subcommand(configure::command())
            .subcommand(completions::command()),
    };
    let matches = match root.try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = e.print();
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
            Some(a) => run_action(a, m, &globals),
            None => Err(Failure::usage(format!(
                "unknown command {name:?}; see `car --help`"
            ))),
        },
        None => Err(Failure::usage("no command given; see `car --help`")),
    }
}

/// clap would list every loosely similar name in both spellings; one good guess, in
/// the spelling the user typed, is more useful.
fn unknown_command(name: &str) -> Failure {
    let pascal = name.chars().next().is_some_and(|c| c.is_ascii_uppercase());
    let names: Vec<String> = car_api::metadata::ACTIONS
        .iter()
        .map(|a| {
            if pascal {
                a.name.to_string()
            } else {
                actions::command_name(a)
            }
        })
        .chain(["configure".to_string(), "completions".to_string()])
        .collect();
    let hint = car_api::params::suggest(name, names.iter().map(String::as_str))
        .map(|s| format!(" (did you mean {s}?)"))
        .unwrap_or_default();
    Failure {
        code: "ClientUsageError".into(),
        ..Failure::usage(format!(
            "unknown command {name:?}{hint}; `car --help` lists them"
        ))
    }
}

fn run_action(
    a: &'static car_api::meta::ActionMeta,
    m: &ArgMatches,
    g: &cli::Globals,
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
    let base = match &g.cli_input_json {
        Some(s) => input::load(s).map_err(Failure::usage)?,
        None => Value::Object(Default::default()),
    };
    let body = actions::assemble(a, m, base)
        .map_err(|p| problems.extend(p))
        .ok();
    let filter = g.filter.as_deref().and_then(|f| {
        output::Filter::compile(f, "--filter")
            .map_err(|p| problems.push(p))
            .ok()
    });
    let waiter = g.waiter.as_deref().and_then(|w| {
        waiter::Waiter::parse(w)
            .map_err(|p| problems.extend(p))
            .ok()
    });
    match body {
        Some(body) if problems.is_empty() => call::run(
            g,
            call::Request {
                action: a,
                body,
                filter,
                waiter,
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
