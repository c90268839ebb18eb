//! `car completions bash|zsh|fish`: shell completion scripts for every action and flag.

use car_api::meta::ActionMeta;
use clap::builder::PossibleValuesParser;
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
        root = root.subcommand(with_documented_values(a, crate::actions::command(a)));
    }
    root
}

/// Offers each member's documented values. Only completions get them: the server may
/// accept values the documentation does not list, so parsing must not refuse others.
fn with_documented_values(a: &'static ActionMeta, mut cmd: Command) -> Command {
    for m in a.input {
        let Some(e) = m.enum_name.and_then(car_api::meta::enum_meta) else {
            continue;
        };
        let values: Vec<&'static str> = e
            .values
            .iter()
            .map(|v| v.value)
            .filter(|v| !v.is_empty())
            .collect();
        cmd = cmd.mut_arg(m.wire_name, |arg| {
            arg.value_parser(PossibleValuesParser::new(values))
        });
    }
    cmd
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_values_are_offered() {
        let tree = full_tree();
        let a = tree
            .find_subcommand("create-session")
            .expect("create-session");
        let arg = a
            .get_arguments()
            .find(|x| x.get_id() == "Role")
            .expect("Role");
        let values: Vec<String> = arg
            .get_possible_values()
            .iter()
            .map(|v| v.get_name().to_string())
            .collect();
        // car-enums.json: CreateSessionRequest.Role is Player or Viewer.
        assert_eq!(values, ["Player", "Viewer"]);
    }
}
