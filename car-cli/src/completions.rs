//! `car completions bash|zsh|fish`: shell completion scripts for every action and flag.

use clap::{Arg, ArgMatches, Command};
use clap_complete::Shell;

use crate::exit::Failure;

pub fn command() -> Command {
    Command::new("completions")
        .about("Print a shell completion script: car completions bash > /etc/bash_completion.d/car")
        .arg(Arg::new("shell").required(true).value_parser([
            "bash",
            "zsh",
            "fish",
            "elvish",
            "powershell",
        ]))
}

/// The whole command tree, every action with its flags: only completions need it.
pub fn full_tree() -> Command {
    let mut root = crate::cli::root()
        .subcommand(crate::configure::command())
        .subcommand(command());
    for a in car_api::metadata::ACTIONS {
        root = root.subcommand(crate::actions::command(a));
    }
    root
}

pub fn run(m: &ArgMatches) -> Result<(), Failure> {
    let shell: Shell = m
        .get_one::<String>("shell")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Failure::usage("expected a shell: bash, zsh, fish, elvish or powershell"))?;
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut full_tree(), "car", &mut buf);
    crate::exit::print_stdout(&String::from_utf8_lossy(&buf));
    Ok(())
}
