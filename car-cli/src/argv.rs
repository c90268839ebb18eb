//! The command line as car and tccli both read it, before clap sees it.
//!
//! clap alone cannot tell `--application-id --dry-run` (a forgotten value) from
//! `--user-id -abc` (a value that starts with a dash), and it knows nothing of tccli's
//! forms (`ACTION help`, `--version 2022-01-10`, `--generate-cli-skeleton input`, a
//! repeated flag, unfolded `--Filters.0.Name` flags). This pass knows every option car
//! or tccli defines, so an option is never taken as a value: a value-taking option
//! followed by another option is refused, naming it, before anything is sent. Every
//! value it accepts is handed to clap in the `--name=value` form, which clap never
//! mistakes for an option.

use car_api::meta::{ActionMeta, MemberMeta, Shape};
use serde_json::{Map, Value};

use crate::actions;
use crate::exit::Failure;

/// What follows a global option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takes {
    Nothing,
    One,
    /// `--generate-cli-skeleton`: `input` or `output` may follow.
    Skeleton,
    /// `--version`: a date after it selects the API version (tccli); alone it prints
    /// car's version.
    Version,
}

/// Every global option of car and of tccli, by long name.
pub const GLOBALS: &[(&str, Takes)] = &[
    ("profile", Takes::One),
    ("region", Takes::One),
    ("endpoint", Takes::One),
    ("site", Takes::One),
    ("timeout", Takes::One),
    ("language", Takes::One),
    ("https-proxy", Takes::One),
    ("ca-bundle", Takes::One),
    ("output", Takes::One),
    ("filter", Takes::One),
    ("waiter", Takes::One),
    ("cli-input-json", Takes::One),
    ("secretId", Takes::One),
    ("secretKey", Takes::One),
    ("token", Takes::One),
    ("role-arn", Takes::One),
    ("role-session-name", Takes::One),
    ("request-client", Takes::One),
    ("use-cvm-role", Takes::Nothing),
    ("warning", Takes::Nothing),
    ("cli-unfold-argument", Takes::Nothing),
    ("detail", Takes::Nothing),
    ("dry-run", Takes::Nothing),
    ("insecure-http", Takes::Nothing),
    ("local", Takes::Nothing),
    ("data-dir", Takes::One),
    ("all-pages", Takes::Nothing),
    ("wait-until", Takes::One),
    ("wait-timeout", Takes::One),
    ("debug", Takes::Nothing),
    ("help", Takes::Nothing),
    ("generate-cli-skeleton", Takes::Skeleton),
    ("version", Takes::Version),
];

fn global(name: &str) -> Option<Takes> {
    GLOBALS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Target {
    Action(&'static ActionMeta),
    /// `car help ACTION`.
    HelpFor(&'static ActionMeta),
    Configure,
    Completions,
    /// Not a command car knows.
    Unknown(String),
    /// No command, or `car help`: the full listing.
    Listing,
}

/// The command line, checked and rewritten for clap.
#[derive(Debug)]
pub struct Prepared {
    pub args: Vec<String>,
    pub target: Target,
    /// The request members given as `--cli-unfold-argument` leaves.
    pub unfolded: Option<Map<String, Value>>,
}

/// `--output json` (or `=json`) is on the line: errors then go out as JSON.
pub fn wants_json_errors(args: &[String]) -> bool {
    let mut json = false;
    for (i, a) in args.iter().enumerate() {
        if a == "--" {
            break;
        }
        if let Some(v) = a.strip_prefix("--output=") {
            json = v == "json";
        } else if a == "--output" {
            json = args.get(i + 1).is_some_and(|v| v == "json");
        }
    }
    json
}

/// Finds the command, checks every option and rewrites the line for clap.
pub fn prepare(args: Vec<String>) -> Result<Prepared, Failure> {
    let found = locate(&args)?;
    let action = match &found.target {
        Target::Action(a) => Some(*a),
        _ => None,
    };
    let unfold = args
        .iter()
        .take_while(|a| *a != "--")
        .any(|a| a == "--cli-unfold-argument");
    let mut r = Rewriter {
        args: &args,
        action,
        command_at: found.at,
        unfold: unfold && action.is_some(),
        out: Vec::new(),
        leaves: Vec::new(),
        help: false,
        detail: false,
        problems: Vec::new(),
    };
    r.run()?;
    let unfolded = match (r.unfold, action) {
        (true, Some(_)) => match unfold::build(&r.leaves) {
            Ok(m) => Some(m),
            Err(p) => {
                r.problems.extend(p);
                None
            }
        },
        _ => None,
    };
    let mut out: Vec<String> = vec![args[0].clone()];
    if let (true, Some(at)) = (r.help, found.at) {
        // tccli's `ACTION help [--detail]`: the short help, or all of it.
        out.push(args[at].clone());
        out.push(if r.detail { "--help" } else { "-h" }.into());
        return Ok(Prepared {
            args: out,
            target: found.target,
            unfolded: None,
        });
    }
    if !r.problems.is_empty() {
        return Err(Failure::params(r.problems));
    }
    out.extend(r.out.into_iter().flat_map(|item| item.tokens));
    Ok(Prepared {
        args: out,
        target: found.target,
        unfolded,
    })
}

struct Located {
    target: Target,
    /// Index of the command word in argv.
    at: Option<usize>,
}

/// The first word that is not the value of a global option is the command.
fn locate(args: &[String]) -> Result<Located, Failure> {
    let words = positionals(args, 1);
    let Some(&(at, first)) = words.first() else {
        return Ok(Located {
            target: Target::Listing,
            at: None,
        });
    };
    let target = match first {
        "help" => match words.get(1).and_then(|(_, w)| actions::find(w)) {
            Some(a) => Target::HelpFor(a),
            None => match words.get(1) {
                Some((_, w)) => Target::Unknown(w.to_string()),
                None => Target::Listing,
            },
        },
        "configure" => Target::Configure,
        "completions" => Target::Completions,
        word => match actions::find(word) {
            Some(a) => Target::Action(a),
            None => return Err(misplaced(args, word, &words).unwrap_or_else(|| unknown(word))),
        },
    };
    Ok(Located {
        target,
        at: Some(at),
    })
}

/// The words of the line that are neither options nor values of global options.
fn positionals(args: &[String], from: usize) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut i = from;
    while i < args.len() {
        let a = args[i].as_str();
        if a == "--" {
            break;
        }
        if let Some(name) = a.strip_prefix("--") {
            if !name.contains('=') {
                match global(name) {
                    // An option after it is not its value; the rewrite reports that.
                    Some(Takes::One) if !args.get(i + 1).is_some_and(|n| is_global_option(n)) => {
                        i += 1
                    }
                    Some(Takes::Skeleton) if is_skeleton_word(args.get(i + 1)) => i += 1,
                    Some(Takes::Version) if is_date(args.get(i + 1)) => i += 1,
                    _ => {}
                }
            }
        } else if !(a.starts_with('-') && a.len() > 1) {
            out.push((i, a));
        }
        i += 1;
    }
    out
}

fn is_global_option(tok: &str) -> bool {
    tok == "--"
        || tok
            .strip_prefix("--")
            .is_some_and(|b| global(b.split('=').next().unwrap_or(b)).is_some())
}

/// A command word car does not know: explains the two common slips (tccli's
/// `car` service word kept, a parameter written before the action).
fn misplaced(args: &[String], word: &str, words: &[(usize, &str)]) -> Option<Failure> {
    // `car --profile delete-application ...`: the action was taken as the option's value.
    let at = words.first().map_or(args.len(), |(i, _)| *i);
    if let Some(pair) = args[1..at].windows(2).find(|p| {
        p[0].strip_prefix("--").and_then(global) == Some(Takes::One)
            && actions::find(&p[1]).is_some()
    }) {
        return Some(usage(format!(
            "{} expects a value, but is followed by the action {}; give {} a value",
            pair[0], pair[1], pair[0]
        )));
    }
    let (later_at, later) = words
        .iter()
        .skip(1)
        .find(|(_, w)| actions::find(w).is_some())?;
    let a = actions::find(later)?;
    if word == "car" && words.get(1).map(|(i, _)| *i) == Some(*later_at) {
        return Some(usage(format!(
            "`car car {later}`: drop the word `car`; tccli's `tccli car {later}` is `car {later}`"
        )));
    }
    // `car --application-id x delete-application`: `x` was taken for the command.
    let flag = args[1..*later_at]
        .iter()
        .filter_map(|t| t.strip_prefix("--"))
        .map(|t| t.split('=').next().unwrap_or(t))
        .find(|n| member(a, n).is_some())?;
    Some(before_action(flag, a))
}

fn before_action(flag: &str, a: &ActionMeta) -> Failure {
    usage(format!(
        "--{flag} is a parameter of {}: write it after the action name (`car {} --{flag} ...`); \
         only global options may come before it",
        a.name,
        actions::command_name(a)
    ))
}

pub fn unknown(word: &str) -> Failure {
    let pascal = word.chars().next().is_some_and(|c| c.is_ascii_uppercase());
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
    let hint = car_api::params::suggest(word, names.iter().map(String::as_str))
        .map(|s| format!(" (did you mean {s}?)"))
        .unwrap_or_default();
    Failure {
        code: "ClientUsageError".into(),
        ..Failure::usage(format!(
            "unknown command {word:?}{hint}; `car --help` lists them"
        ))
    }
}

fn usage(message: String) -> Failure {
    Failure {
        code: "ClientUsageError".into(),
        ..Failure::usage(message)
    }
}

fn is_skeleton_word(a: Option<&String>) -> bool {
    a.is_some_and(|a| a == "input" || a == "output")
}

/// `YYYY-MM-DD`, the shape tccli looks for after `--version`.
fn is_date(a: Option<&String>) -> bool {
    a.is_some_and(|a| {
        let b = a.as_bytes();
        b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    })
}

/// The member a parameter flag names: car's `--application-id` or tccli's `--ApplicationId`.
fn member(a: &'static ActionMeta, name: &str) -> Option<&'static MemberMeta> {
    a.input
        .iter()
        .find(|m| m.wire_name == name || actions::flag_name(m).as_deref() == Some(name))
}

/// A list of strings, integers, ...: its flag takes several words.
fn takes_words(m: &MemberMeta) -> bool {
    matches!(m.shape, Shape::List(inner) if !matches!(inner, Shape::Object(_) | Shape::List(_)))
}

/// Tokens handed to clap for one option; a later occurrence of the same key replaces
/// it (tccli: the last one wins).
struct Item {
    key: Option<String>,
    tokens: Vec<String>,
}

struct Rewriter<'a> {
    args: &'a [String],
    action: Option<&'static ActionMeta>,
    command_at: Option<usize>,
    unfold: bool,
    out: Vec<Item>,
    leaves: Vec<unfold::Leaf>,
    help: bool,
    detail: bool,
    problems: Vec<String>,
}

impl Rewriter<'_> {
    fn run(&mut self) -> Result<(), Failure> {
        let args = self.args;
        let mut i = 1;
        while i < args.len() {
            let tok = args[i].as_str();
            if tok == "--" {
                self.push(None, args[i..].to_vec());
                break;
            }
            if Some(i) == self.command_at {
                self.push(None, vec![tok.to_string()]);
                i += 1;
                continue;
            }
            let after_action = self.action.is_some() && self.command_at.is_some_and(|c| i > c);
            if tok == "help" && after_action {
                // tccli stops reading the line here; only `--detail` still counts.
                self.help = true;
                self.detail |= args[i + 1..].iter().any(|a| a == "--detail");
                break;
            }
            let Some(body) = tok.strip_prefix("--").filter(|b| !b.is_empty()) else {
                self.push(None, vec![tok.to_string()]);
                i += 1;
                continue;
            };
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (body, None),
            };
            i = match global(name) {
                Some(takes) => self.global(i, name, inline, takes)?,
                None => self.parameter(i, name, inline, after_action)?,
            };
        }
        Ok(())
    }

    fn push(&mut self, key: Option<String>, tokens: Vec<String>) {
        if let Some(k) = &key {
            self.out.retain(|item| item.key.as_ref() != Some(k));
        }
        self.out.push(Item { key, tokens });
    }

    /// Handles a global option at `i`; returns the index after it.
    fn global(
        &mut self,
        i: usize,
        name: &str,
        inline: Option<&str>,
        takes: Takes,
    ) -> Result<usize, Failure> {
        let args = self.args;
        match takes {
            Takes::Nothing => {
                if name == "detail" {
                    self.detail = true;
                }
                self.push(None, vec![args[i].clone()]);
                Ok(i + 1)
            }
            Takes::One => {
                let (value, next) = self.value_of(i, name, inline)?;
                self.push(Some(name.to_string()), vec![format!("--{name}={value}")]);
                Ok(next)
            }
            Takes::Skeleton => match inline {
                Some(_) => {
                    self.push(Some(name.into()), vec![args[i].clone()]);
                    Ok(i + 1)
                }
                None if is_skeleton_word(args.get(i + 1)) => {
                    self.push(Some(name.into()), vec![format!("--{name}={}", args[i + 1])]);
                    Ok(i + 2)
                }
                None => {
                    self.push(Some(name.into()), vec![args[i].clone()]);
                    Ok(i + 1)
                }
            },
            Takes::Version => {
                let (version, next) = match inline {
                    Some(v) => (v.to_string(), i + 1),
                    None if is_date(args.get(i + 1)) => (args[i + 1].clone(), i + 2),
                    None => {
                        self.push(None, vec![args[i].clone()]);
                        return Ok(i + 1);
                    }
                };
                let spec = car_api::metadata::SERVICE.version;
                if version != spec {
                    return Err(usage(format!(
                        "--version: car speaks CAR API version {spec} only, got {version:?}"
                    )));
                }
                // The one version car speaks: nothing to pass on.
                Ok(next)
            }
        }
    }

    /// Handles a parameter flag (or an unknown option) at `i`.
    fn parameter(
        &mut self,
        i: usize,
        name: &str,
        inline: Option<&str>,
        after_action: bool,
    ) -> Result<usize, Failure> {
        let args = self.args;
        let Some(a) = self.action else {
            self.push(None, vec![args[i].clone()]);
            return Ok(i + 1);
        };
        let head = name.split('.').next().unwrap_or(name);
        let Some(m) = member(a, head) else {
            // Unknown to car and tccli: clap reports it with a suggestion.
            self.push(None, vec![args[i].clone()]);
            return Ok(i + 1);
        };
        if !after_action {
            return Err(before_action(name, a));
        }
        if self.unfold {
            return self.leaf(i, name, inline, m);
        }
        if head != name {
            return Err(usage(format!(
                "--{name}: dotted parameter flags are tccli's unfolded form; add --cli-unfold-argument, \
                 or give --{head} as JSON"
            )));
        }
        let key = Some(m.wire_name.to_string());
        if !takes_words(m) {
            let (value, next) = self.value_of(i, name, inline)?;
            self.push(key, vec![format!("--{name}={value}")]);
            return Ok(next);
        }
        let (first, mut next) = self.value_of(i, name, inline)?;
        let mut tokens = vec![format!("--{name}={first}")];
        if inline.is_none() {
            while let Some(w) = args.get(next).filter(|w| !w.starts_with('-')) {
                if Some(next) == self.command_at || w == "help" {
                    break;
                }
                tokens.push(format!("--{name}={w}"));
                next += 1;
            }
        }
        if name == m.wire_name {
            self.push(key, tokens);
        } else {
            // car's own spelling of a list adds to it (`--project-ids a --project-ids b`),
            // as car has always documented; tccli's spelling above replaces, as tccli does.
            self.out.push(Item { key, tokens });
        }
        Ok(next)
    }

    /// An unfolded leaf: `--Filters.0.Values a b`.
    fn leaf(
        &mut self,
        i: usize,
        name: &str,
        inline: Option<&str>,
        m: &'static MemberMeta,
    ) -> Result<usize, Failure> {
        let args = self.args;
        let path = match unfold::path(m, name) {
            Ok(p) => p,
            Err(e) => {
                self.problems.push(e);
                return Ok(i + 1);
            }
        };
        let (words, next) = if path.words {
            // tccli: a list leaf takes every word up to the next option, possibly none.
            match inline {
                Some(v) => (vec![v.to_string()], i + 1),
                None => {
                    let mut n = i + 1;
                    let mut w = Vec::new();
                    while let Some(t) = args.get(n).filter(|t| !t.starts_with('-') && *t != "help")
                    {
                        w.push(t.clone());
                        n += 1;
                    }
                    (w, n)
                }
            }
        } else {
            let (v, n) = self.value_of(i, name, inline)?;
            (vec![v], n)
        };
        self.leaves.retain(|l| l.flag != name);
        self.leaves.push(unfold::Leaf {
            flag: name.to_string(),
            path,
            words,
        });
        Ok(next)
    }

    /// The value of the option at `i`: after `=`, else the next token, which must not
    /// be an option car or tccli knows.
    fn value_of(
        &self,
        i: usize,
        name: &str,
        inline: Option<&str>,
    ) -> Result<(String, usize), Failure> {
        if let Some(v) = inline {
            return Ok((v.to_string(), i + 1));
        }
        match self.args.get(i + 1) {
            None => Err(usage(format!(
                "--{name} expects a value, but nothing follows it"
            ))),
            Some(next) if self.is_option(next) => Err(usage(format!(
                "--{name} expects a value, but is followed by the option {next}; \
                 nothing was sent. To give a value that starts with a dash, write --{name}=VALUE"
            ))),
            Some(next) => Ok((next.clone(), i + 2)),
        }
    }

    /// An option car or tccli defines (or the `--` marker), which is never a value.
    fn is_option(&self, tok: &str) -> bool {
        if tok == "--" || tok == "-h" {
            return true;
        }
        if let Some(v) = tok.strip_prefix('-').filter(|v| !v.starts_with('-')) {
            return !v.is_empty() && v.chars().all(|c| c == 'v');
        }
        let Some(body) = tok.strip_prefix("--") else {
            return false;
        };
        let name = body.split('=').next().unwrap_or(body);
        if global(name).is_some() {
            return true;
        }
        let head = name.split('.').next().unwrap_or(name);
        self.action.is_some_and(|a| member(a, head).is_some())
    }
}

mod unfold;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn argv(s: &str) -> Vec<String> {
        std::iter::once("car")
            .chain(s.split_whitespace())
            .map(str::to_owned)
            .collect()
    }

    fn err(s: &str) -> String {
        prepare(argv(s)).unwrap_err().messages.join("\n")
    }

    #[test]
    fn an_option_is_never_a_value() {
        for (line, flag, next) in [
            (
                "delete-application --application-id --dry-run",
                "--application-id",
                "--dry-run",
            ),
            (
                "DeleteApplication --ApplicationId --help",
                "--ApplicationId",
                "--help",
            ),
            (
                "delete-application --application-id --region ap-x",
                "--application-id",
                "--region",
            ),
            (
                "delete-application --application-id --output=json",
                "--application-id",
                "--output=json",
            ),
            (
                "delete-application --application-id --generate-cli-skeleton",
                "--application-id",
                "--generate-cli-skeleton",
            ),
            (
                "delete-application --application-id --secretKey k",
                "--application-id",
                "--secretKey",
            ),
            (
                "delete-application --application-id -v",
                "--application-id",
                "-v",
            ),
            (
                "--region --profile p delete-application --application-id a",
                "--region",
                "--profile",
            ),
            (
                "describe-application-list --offset --ApplicationCategory x",
                "--offset",
                "--ApplicationCategory",
            ),
        ] {
            let e = err(line);
            assert!(
                e.contains(&format!(
                    "{flag} expects a value, but is followed by the option {next}"
                )),
                "{line}: {e}"
            );
        }
        assert!(err("delete-application --application-id")
            .contains("--application-id expects a value, but nothing follows it"));
    }

    #[test]
    fn values_starting_with_a_dash_are_values() {
        let p = prepare(argv("stop-publish-stream --user-id -abc --timeout -5")).unwrap();
        assert_eq!(
            &p.args[1..],
            ["stop-publish-stream", "--user-id=-abc", "--timeout=-5"]
        );
        let p = prepare(argv("stop-publish-stream --user-id=-abc")).unwrap();
        assert_eq!(p.args[2], "--user-id=-abc");
    }

    #[test]
    fn last_occurrence_wins() {
        let p = prepare(argv(
            "DeleteApplication --ApplicationId a --region r1 --application-id b --region r2",
        ))
        .unwrap();
        assert_eq!(
            &p.args[1..],
            ["DeleteApplication", "--application-id=b", "--region=r2"]
        );
        let p = prepare(argv(
            "DeleteApplicationProjects --ProjectIds a b --ProjectIds '[\"e\"]'",
        ))
        .unwrap();
        assert_eq!(
            &p.args[1..],
            ["DeleteApplicationProjects", "--ProjectIds='[\"e\"]'"]
        );
        let p = prepare(argv(
            "DeleteApplicationProjects --project-ids a --project-ids b",
        ))
        .unwrap();
        assert_eq!(&p.args[2..], ["--project-ids=a", "--project-ids=b"]);
        let p = prepare(argv("DeleteApplicationProjects --project-ids a -b c")).unwrap();
        assert_eq!(&p.args[2..], ["--project-ids=a", "-b", "c"]);
    }

    #[test]
    fn tccli_forms() {
        let p = prepare(argv("DescribeApplicationList help --detail")).unwrap();
        assert_eq!(&p.args[1..], ["DescribeApplicationList", "--help"]);
        let p = prepare(argv("DescribeApplicationList help")).unwrap();
        assert_eq!(&p.args[1..], ["DescribeApplicationList", "-h"]);
        let p = prepare(argv(
            "--detail DescribeApplicationList --cli-unfold-argument --Filters.x help --Limit",
        ))
        .unwrap();
        assert_eq!(&p.args[1..], ["DescribeApplicationList", "--help"]);
        let p = prepare(argv(
            "--version 2022-01-10 DescribeApplicationList --generate-cli-skeleton input",
        ))
        .unwrap();
        assert_eq!(
            &p.args[1..],
            ["DescribeApplicationList", "--generate-cli-skeleton=input"]
        );
        assert!(err("--version 2020-01-01 DescribeApplicationList")
            .contains("only, got \"2020-01-01\""));
        assert!(err("--version=x DescribeApplicationList").contains("got \"x\""));
        let p = prepare(argv("--version")).unwrap();
        assert_eq!(&p.args[1..], ["--version"]);
    }

    #[test]
    fn misplaced_words_are_explained() {
        assert!(err("car describe-application-list").contains("drop the word `car`"));
        let e = err("--application-id app-1 delete-application");
        assert!(
            e.contains("--application-id is a parameter of DeleteApplication: write it after"),
            "{e}"
        );
        let e = err("--ApplicationId=app-1 DeleteApplication");
        assert!(e.contains("--ApplicationId is a parameter"), "{e}");
        assert!(err("describe-aplication-list").contains("unknown command"));
        let e = err("--profile delete-application --application-id a");
        assert!(
            e.contains(
                "--profile expects a value, but is followed by the action delete-application"
            ),
            "{e}"
        );
    }

    #[test]
    fn unfolded_leaves_build_the_request() {
        // tccli-conventions.md §5, the observed example.
        let p = prepare(argv(
            "DescribeApplicationList --cli-unfold-argument --Offset 0 --Limit 20 \
             --Filters.0.Name ApplicationId --Filters.0.Values app-1 app-2",
        ))
        .unwrap();
        assert_eq!(
            Value::Object(p.unfolded.unwrap()),
            json!({"Offset": 0, "Limit": 20, "Filters": [{"Name": "ApplicationId", "Values": ["app-1", "app-2"]}]})
        );
        // Indices in any order; a bare list leaf is an empty list; the last one wins.
        let p = prepare(argv(
            "--cli-unfold-argument DescribeApplicationList --Filters.1.Name x --Filters.0.Name y \
             --Filters.0.Values --Filters.1.Values a --Filters.1.Values b",
        ))
        .unwrap();
        assert_eq!(
            p.unfolded.unwrap()["Filters"],
            json!([{"Name": "y", "Values": []}, {"Name": "x", "Values": ["b"]}])
        );
        let e = err("DescribeApplicationList --cli-unfold-argument --Filters.1.Name x");
        assert!(
            e.contains("indices must start at 0 and go up by 1, got 1"),
            "{e}"
        );
        let e = err("DescribeApplicationList --cli-unfold-argument --Filters '[]' --Offset x");
        assert!(
            e.contains("--Filters: with --cli-unfold-argument, follow it with an index"),
            "{e}"
        );
        assert!(
            e.contains("--Offset: expected an integer, got \"x\""),
            "{e}"
        );
        let e = err("DescribeApplicationList --Filters.0.Name x");
        assert!(e.contains("add --cli-unfold-argument"), "{e}");
    }

    #[test]
    fn json_errors_follow_the_last_output() {
        assert!(wants_json_errors(&argv("x --output json")));
        assert!(!wants_json_errors(&argv("x --output=json --output text")));
    }
}
