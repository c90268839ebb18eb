//! Global options, and the look at argv that decides which subcommand to build: only
//! the action that was asked for is turned into a clap command, so start-up stays fast.

use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches, Command};

const GLOBAL: &str = "Global options";

/// Options that take a value: the argv scan must skip their value to find the action.
const VALUE_OPTIONS: &[&str] = &[
    "--profile",
    "--region",
    "--endpoint",
    "--site",
    "--timeout",
    "--language",
    "--https-proxy",
    "--ca-bundle",
    "--output",
    "--filter",
    "--waiter",
    "--cli-input-json",
];

/// Long names of global options, so an action member never takes one of them.
pub fn is_global_long(name: &str) -> bool {
    VALUE_OPTIONS.iter().any(|o| &o[2..] == name)
        || matches!(
            name,
            "dry-run" | "debug" | "verbose" | "generate-cli-skeleton" | "help" | "version"
        )
}

/// What the first positional argument names.
#[derive(Debug, Default)]
pub struct Scan {
    /// The first positional argument: an action, `configure`, `completions`, `help`.
    pub command: Option<String>,
    /// The positional after `help` (`car help describe-application-list`).
    pub help_target: Option<String>,
    /// `--output json` was given on the command line (errors then go out as JSON).
    pub json_errors: bool,
}

/// Finds the subcommand without a full parse; clap does the real parsing afterwards.
pub fn scan(args: &[String]) -> Scan {
    let mut out = Scan::default();
    let mut positionals = Vec::new();
    let mut i = 1;
    while i < args.len() {
        let a = args[i].as_str();
        if a == "--" {
            break;
        }
        if let Some(v) = a.strip_prefix("--output=") {
            out.json_errors = v == "json";
        } else if a == "--output" {
            out.json_errors = args.get(i + 1).is_some_and(|v| v == "json");
        }
        if a.starts_with('-') && a.len() > 1 {
            if VALUE_OPTIONS.contains(&a) {
                i += 1;
            }
        } else if positionals.is_empty() || (positionals.len() == 1 && positionals[0] == "help") {
            // Later positionals are values of action flags, which this scan does not know;
            // it keeps going only to see `--output`.
            positionals.push(a);
        }
        i += 1;
    }
    out.command = positionals.first().map(|s| s.to_string());
    if out.command.as_deref() == Some("help") {
        out.help_target = positionals.get(1).map(|s| s.to_string());
    }
    out
}

/// The root command with the global options and no subcommands yet.
pub fn root() -> Command {
    let s = car_api::metadata::SERVICE;
    Command::new("car")
        .version(env!("CARGO_PKG_VERSION"))
        .about(format!(
            "The command line for Tencent Cloud {} ({}, API {}).",
            s.name.to_uppercase(),
            s.title,
            s.version
        ))
        .long_about(format!(
            "The command line for Tencent Cloud {} ({}, API {}).\n\n{}",
            s.name.to_uppercase(),
            s.title,
            s.version,
            s.doc
        ))
        .after_help(
            "Every action is also accepted in tccli's spelling, with its parameters: \
             `car DescribeApplicationList --Offset 0 --Limit 10` is \
             `car describe-application-list --offset 0 --limit 10`.\n\
             Exit status: 0 success, 2 invalid input (nothing sent), 3 API error, \
             4 network/timeout/bad response, 5 credentials or configuration.",
        )
        .subcommand_value_name("ACTION")
        .arg_required_else_help(true)
        .args(global_args())
}

fn global_args() -> Vec<Arg> {
    let value = |id: &'static str, name: &'static str, help: &'static str| {
        Arg::new(id)
            .long(id)
            .value_name(name)
            .help(help)
            .global(true)
            .help_heading(GLOBAL)
            .action(ArgAction::Set)
    };
    vec![
        value("profile", "NAME", "tccli profile to use (default: $TCCLI_PROFILE, else `default`)"),
        value("region", "REGION", "Region (default: $TENCENTCLOUD_REGION, else the profile's region)"),
        value("endpoint", "URL", "API endpoint: host, host:port or URL; https unless http:// is given (default: the --site endpoint if given, else the profile's car.endpoint, else the international site)"),
        value("site", "SITE", "Which site's endpoint to use").value_parser(["intl", "cn"]),
        value("timeout", "SECONDS", "Time allowed for each request (default 60)"),
        value("language", "LANG", "Language of API messages").value_parser(["en-US", "zh-CN"]),
        value("https-proxy", "URL", "Send HTTPS requests through this proxy"),
        value("ca-bundle", "PEM", "Also trust the certificates in this PEM file (default: $SSL_CERT_FILE)"),
        value("output", "FORMAT", "Output format (default: the profile's output, else json)").value_parser(["json", "table", "text"]),
        value("filter", "EXPR", "JMESPath expression applied to the response before printing"),
        value(
            "waiter",
            "JSON",
            r#"Repeat the call until a JMESPath expression over the response equals a value: '{"expr":"Status","to":"Ready","timeout":180,"interval":5}'"#,
        ),
        value("cli-input-json", "JSON", "The whole request as JSON, or file://PATH to read it from a file; flags given too override its fields"),
        Arg::new("generate-cli-skeleton")
            .long("generate-cli-skeleton")
            .value_name("input|output")
            .help("Print a request template (or with =output, a response template) and send nothing")
            .num_args(0..=1)
            .require_equals(true)
            .default_missing_value("input")
            .value_parser(["input", "output"])
            .global(true)
            .help_heading(GLOBAL),
        Arg::new("dry-run")
            .long("dry-run")
            .help("Print the signed HTTP request, secrets redacted, and send nothing")
            .action(ArgAction::SetTrue)
            .global(true)
            .help_heading(GLOBAL),
        Arg::new("verbose")
            .short('v')
            .long("debug")
            .help("Log to stderr what is done (-vv for more); secrets are never logged")
            .action(ArgAction::Count)
            .global(true)
            .help_heading(GLOBAL),
    ]
}

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Table,
    Text,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "json" => Some(Format::Json),
            "table" => Some(Format::Table),
            "text" => Some(Format::Text),
            _ => None,
        }
    }
}

/// The global options as given on the command line.
#[derive(Debug, Default)]
pub struct Globals {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint: Option<String>,
    pub site: Option<String>,
    pub timeout: Option<Duration>,
    pub language: Option<String>,
    pub https_proxy: Option<String>,
    pub ca_bundle: Option<String>,
    pub output: Option<Format>,
    pub filter: Option<String>,
    pub waiter: Option<String>,
    pub cli_input_json: Option<String>,
    pub skeleton: Option<String>,
    pub dry_run: bool,
    pub verbose: u8,
}

impl Globals {
    pub fn from_matches(m: &ArgMatches) -> Result<Globals, crate::exit::Failure> {
        let s = |id: &str| m.get_one::<String>(id).cloned();
        let timeout = match s("timeout") {
            None => None,
            Some(t) => match t.parse::<f64>() {
                Ok(secs) if secs > 0.0 && secs.is_finite() && secs < 1e9 => {
                    Some(Duration::from_secs_f64(secs))
                }
                _ => {
                    return Err(crate::exit::Failure::usage(format!(
                        "--timeout: expected a number of seconds above zero, got {t:?}"
                    )))
                }
            },
        };
        Ok(Globals {
            profile: s("profile"),
            region: s("region"),
            endpoint: s("endpoint"),
            site: s("site"),
            timeout,
            language: s("language"),
            https_proxy: s("https-proxy"),
            ca_bundle: s("ca-bundle"),
            output: s("output").as_deref().and_then(Format::parse),
            filter: s("filter"),
            waiter: s("waiter"),
            cli_input_json: s("cli-input-json"),
            skeleton: s("generate-cli-skeleton"),
            dry_run: m.get_flag("dry-run"),
            verbose: m.get_count("verbose"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        std::iter::once("car")
            .chain(s.split_whitespace())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn finds_the_action_past_global_options() {
        let s = scan(&argv(
            "--region ap-x --dry-run --output json describe-cos-credential --application-id a",
        ));
        assert_eq!(s.command.as_deref(), Some("describe-cos-credential"));
        assert!(s.json_errors);
        let s = scan(&argv(
            "describe-application-list --offset abc --output json",
        ));
        assert!(s.json_errors);
        let s = scan(&argv("--output=table help DescribeCosCredential"));
        assert_eq!(s.command.as_deref(), Some("help"));
        assert_eq!(s.help_target.as_deref(), Some("DescribeCosCredential"));
        assert!(!s.json_errors);
        assert_eq!(scan(&argv("--profile")).command, None);
    }

    #[test]
    fn globals_cover_scan_list() {
        let root = root();
        for o in VALUE_OPTIONS {
            assert!(
                root.get_arguments().any(|a| a.get_long() == Some(&o[2..])),
                "{o}"
            );
        }
    }
}
