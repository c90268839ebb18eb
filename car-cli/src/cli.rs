//! Global options: car's own and tccli's, as clap arguments, and what they say.

use std::time::Duration;

pub use crate::output::Format;
use clap::{Arg, ArgAction, ArgMatches, Command};

const GLOBAL: &str = "Global options";
const TCCLI: &str = "tccli's global options";

/// Long names of global options, so an action member never takes one of them.
pub fn is_global_long(name: &str) -> bool {
    crate::argv::GLOBALS.iter().any(|(n, _)| *n == name)
}

/// The root command with the global options and no subcommands yet.
pub fn root() -> Command {
    root_with(global_args())
}

/// The root for the listing of every action (`car`, `car --help`): the stubs are never
/// run, so the options are not copied into each of them, which would cost more than
/// the rest of the start-up.
pub fn listing_root() -> Command {
    root_with(global_args().into_iter().map(|a| a.global(false)).collect())
}

/// The root for `car configure`: only the options that apply to it, so its help does
/// not list request options it would ignore.
pub fn configure_root() -> Command {
    root_with(
        global_args()
            .into_iter()
            .filter(|a| matches!(a.get_id().as_str(), "profile" | "verbose"))
            .collect(),
    )
}

fn root_with(args: Vec<Arg>) -> Command {
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
             4 network/timeout/bad response, 5 credentials or configuration, \
             6 sent but the result could not be shown as asked (stdout unwritable, \
             or --filter failed on the result, which is then printed whole).",
        )
        .subcommand_value_name("ACTION")
        .arg_required_else_help(true)
        .args(args)
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
        Arg::new("all-pages")
            .long("all-pages")
            .help("For actions that page (Offset/Limit): fetch every page and print one response with the lists merged")
            .action(ArgAction::SetTrue)
            .global(true)
            .help_heading(GLOBAL),
        value("wait-until", "NAME=KEY", "Repeat a Describe action until one of the spec's named waiters is satisfied for KEY, e.g. ApplicationVersionReady=ver-1a2b3c4d; prints the entry"),
        value("wait-timeout", "SECONDS", "Time allowed for --wait-until (default 180)"),
        Arg::new("local")
            .long("local")
            .help("Run the command against the built-in emulator (started in this process, state kept in its data directory): no account, no network")
            .action(ArgAction::SetTrue)
            .global(true)
            .help_heading(GLOBAL),
        value("data-dir", "DIR", "The emulator's data directory for --local (default: the platform data directory, e.g. ~/.local/share/car/emulator)"),
        Arg::new("insecure-http")
            .long("insecure-http")
            .help("Allow a plain http:// endpoint (CAR or STS) on a host that is not loopback; keys and tokens then cross the network in cleartext")
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
        tccli("secretId", "ID", "SecretId to sign with; with --secretKey, beats the environment and the profile"),
        tccli("secretKey", "KEY", "SecretKey to sign with (see --secretId)"),
        tccli("token", "TOKEN", "Session token sent with --secretId and --secretKey"),
        tccli("role-arn", "ARN", "With --role-session-name: sign with temporary keys from STS AssumeRole (the profile's sts.endpoint, else sts.tencentcloudapi.com)"),
        tccli("role-session-name", "NAME", "Session name for --role-arn"),
        tccli("request-client", "NAME", "Appended to the X-TC-RequestClient header, as tccli does"),
        tccli_flag("use-cvm-role", "Sign with the CVM instance's role credentials from the metadata service"),
        tccli_flag("cli-unfold-argument", "Give structured parameters one leaf at a time: --Filters.0.Name N --Filters.0.Values V1 V2"),
        tccli_flag("warning", "Accepted for tccli compatibility; car always shows its warnings"),
        tccli_flag("detail", "With `car ACTION help`: the full help"),
    ]
}

fn tccli(id: &'static str, name: &'static str, help: &'static str) -> Arg {
    Arg::new(id)
        .long(id)
        .value_name(name)
        .help(help)
        .global(true)
        .help_heading(TCCLI)
        .action(ArgAction::Set)
}

fn tccli_flag(id: &'static str, help: &'static str) -> Arg {
    Arg::new(id)
        .long(id)
        .help(help)
        .global(true)
        .help_heading(TCCLI)
        .action(ArgAction::SetTrue)
}

/// A value that must never be printed, not even by `{:?}`.
#[derive(Clone, Default)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("** redacted **")
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
    pub insecure_http: bool,
    /// `--local`: run against an in-process emulator.
    pub local: bool,
    /// `--data-dir`: the emulator's data directory under `--local`.
    pub data_dir: Option<String>,
    pub all_pages: bool,
    pub wait_until: Option<String>,
    pub wait_timeout: Option<String>,
    pub verbose: u8,
    pub secret_id: Option<Secret>,
    pub secret_key: Option<Secret>,
    pub token: Option<Secret>,
    pub role_arn: Option<String>,
    pub role_session_name: Option<String>,
    pub use_cvm_role: bool,
    pub request_client: Option<String>,
}

impl Globals {
    /// Reads what `m` defines; `car configure` defines only some of the options.
    pub fn from_matches(m: &ArgMatches) -> Result<Globals, crate::exit::Failure> {
        let s = |id: &str| m.try_get_one::<String>(id).ok().flatten().cloned();
        let flag = |id: &str| m.try_get_one::<bool>(id).ok().flatten() == Some(&true);
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
            dry_run: flag("dry-run"),
            insecure_http: flag("insecure-http"),
            local: flag("local"),
            data_dir: s("data-dir"),
            all_pages: flag("all-pages"),
            wait_until: s("wait-until"),
            wait_timeout: s("wait-timeout"),
            verbose: m
                .try_get_one::<u8>("verbose")
                .ok()
                .flatten()
                .copied()
                .unwrap_or(0),
            secret_id: s("secretId").map(Secret),
            secret_key: s("secretKey").map(Secret),
            token: s("token").map(Secret),
            role_arn: s("role-arn"),
            role_session_name: s("role-session-name"),
            use_cvm_role: flag("use-cvm-role"),
            request_client: s("request-client"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_global_the_argv_pass_knows_is_defined() {
        let root = root();
        for (name, _) in crate::argv::GLOBALS {
            assert!(
                root.get_arguments().any(|a| a.get_long() == Some(name))
                    || matches!(*name, "help" | "version"),
                "{name}"
            );
        }
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        let g = Globals {
            secret_key: Some(Secret("s3cr3t-key".into())),
            token: Some(Secret("s3cr3t-token".into())),
            ..Globals::default()
        };
        let shown = format!("{g:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }
}
