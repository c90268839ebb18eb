//! Action subcommands built from the generated metadata table, and the request body
//! assembled from their flags. A new action in the spec is a new command here with no
//! code change.

use car_api::meta::{ActionMeta, MemberMeta, Shape};
use car_api::params::{describe_shape, ProblemKind};
use clap::{Arg, ArgAction, ArgMatches, Command};
use serde_json::{Map, Value};

/// `describe-cos-credential` for `DescribeCosCredential`.
pub fn command_name(a: &ActionMeta) -> String {
    a.method.replace('_', "-")
}

/// `--application-id` (without dashes) for `ApplicationId`, unless a global option
/// already has that name; then only tccli's spelling is offered.
pub fn flag_name(m: &MemberMeta) -> Option<String> {
    let kebab = m.field_name.trim_start_matches("r#").replace('_', "-");
    (!crate::cli::is_global_long(&kebab) && kebab != m.wire_name).then_some(kebab)
}

/// How a member is written on the command line, for messages.
pub fn flag_display(m: &MemberMeta) -> String {
    format!(
        "--{}",
        flag_name(m).unwrap_or_else(|| m.wire_name.to_string())
    )
}

/// The action named `name` in either spelling.
pub fn find(name: &str) -> Option<&'static ActionMeta> {
    car_api::metadata::ACTIONS
        .iter()
        .find(|a| a.name == name || command_name(a) == name)
}

/// A light entry for listings (`car --help`, unknown-command suggestions).
pub fn stub(a: &'static ActionMeta) -> Command {
    Command::new(command_name(a))
        .alias(a.name)
        .about(first_sentence(a.doc))
}

/// Up to the first full stop that ends a sentence (`i.e. ` and `e.g. ` do not).
fn first_sentence(doc: &str) -> &str {
    let bytes = doc.as_bytes();
    for (i, _) in doc.match_indices(". ") {
        if bytes.get(i + 2).is_some_and(u8::is_ascii_uppercase) {
            return &doc[..=i];
        }
    }
    doc
}

/// The full subcommand: one flag per input member, help with types, errors and limits.
pub fn command(a: &'static ActionMeta) -> Command {
    let mut cmd = Command::new(command_name(a))
        .alias(a.name)
        .about(a.doc)
        .after_help(after_help(a))
        .next_help_heading("Parameters");
    for m in a.input {
        cmd = cmd.arg(member_arg(a, m));
    }
    cmd
}

fn member_arg(a: &ActionMeta, m: &'static MemberMeta) -> Arg {
    let mut arg = Arg::new(m.wire_name)
        .value_name(value_name(&m.shape))
        .help(member_help(a, m));
    arg = match flag_name(m) {
        Some(kebab) => arg.long(kebab).visible_alias(m.wire_name),
        None => arg.long(m.wire_name),
    };
    match m.shape {
        Shape::List(inner) if is_scalar(inner) => arg.num_args(1..).action(ArgAction::Append),
        // Negative integers and strings that start with a dash are values, not flags.
        _ => arg
            .num_args(1)
            .action(ArgAction::Set)
            .allow_hyphen_values(true),
    }
}

fn is_scalar(shape: &Shape) -> bool {
    !matches!(shape, Shape::Object(_) | Shape::List(_))
}

fn value_name(shape: &Shape) -> &'static str {
    match shape {
        Shape::String => "STRING",
        Shape::Int64 => "INT",
        Shape::UInt64 => "UINT",
        Shape::Bool => "BOOL",
        Shape::DateTime => "DATETIME",
        Shape::List(inner) if is_scalar(inner) => value_name(inner),
        Shape::Object(_) | Shape::List(_) => "JSON",
    }
}

fn member_help(a: &ActionMeta, m: &MemberMeta) -> String {
    let mut h = String::new();
    if m.required {
        h.push_str("[required] ");
    }
    h.push_str(m.doc);
    h.push_str(&format!(" [type: {}", m.shape.spec_name()));
    if let Shape::List(inner) = m.shape {
        if is_scalar(inner) {
            h.push_str("; several values, or a JSON array");
        } else {
            h.push_str("; JSON");
        }
    } else if let Shape::Object(_) = m.shape {
        h.push_str("; JSON");
    }
    h.push(']');
    if let Some(e) = m.enum_name.and_then(car_api::meta::enum_meta) {
        let values: Vec<String> = e.values.iter().map(|v| format!("{:?}", v.value)).collect();
        h.push_str(&format!(" [values: {}]", values.join(", ")));
    }
    // Only worth saying when the member is narrower than its action.
    if m.sites != a.sites && !(m.sites.intl && m.sites.cn) {
        h.push_str(if m.sites.cn {
            " [China site only]"
        } else {
            " [international site only]"
        });
    }
    h
}

fn after_help(a: &ActionMeta) -> String {
    let mut s = String::new();
    let types = used_types(a.input);
    if !types.is_empty() {
        s.push_str("Data types:\n");
        for t in types {
            let members: Vec<String> = t
                .members
                .iter()
                .map(|m| {
                    format!(
                        "{:?}: {}{}",
                        m.wire_name,
                        m.shape.spec_name(),
                        if m.required { " (required)" } else { "" }
                    )
                })
                .collect();
            s.push_str(&format!("  {} {{{}}}\n", t.name, members.join(", ")));
        }
        s.push('\n');
    }
    if !a.errors.is_empty() {
        s.push_str("Errors:\n");
        let width = a.errors.iter().map(|e| e.len()).max().unwrap_or(0);
        for e in a.errors {
            let doc = car_api::meta::error_code(e).map(|c| c.doc).unwrap_or("");
            s.push_str(&format!("  {e:width$}  {doc}\n"));
        }
        s.push('\n');
    }
    let sites = match (a.sites.intl, a.sites.cn) {
        (true, true) => "international and China",
        (true, false) => "international only",
        (false, true) => "China only",
        (false, false) => "none",
    };
    s.push_str(&format!(
        "Rate limit: {} requests per second. Sites: {sites}. {}\n\n",
        a.rate_limit,
        if a.retry_safe {
            "Read-only (retried after network failures)."
        } else {
            "Not retried after network failures."
        }
    ));
    s.push_str(&format!("Example:\n  car {}", command_name(a)));
    for m in a.input.iter().filter(|m| m.required) {
        s.push_str(&format!(
            " {} {}",
            flag_display(m),
            shell_quote(&example_flag_value(m))
        ));
    }
    s.push_str(&format!("\n  car {}", a.name));
    for m in a.input.iter().filter(|m| m.required) {
        s.push_str(&format!(
            " --{} {}",
            m.wire_name,
            shell_quote(&example_flag_value(m))
        ));
    }
    s
}

/// The data types reachable from `members`, each once, in order of first use.
fn used_types(members: &'static [MemberMeta]) -> Vec<&'static car_api::meta::TypeMeta> {
    fn walk(shape: &Shape, out: &mut Vec<&'static car_api::meta::TypeMeta>) {
        match shape {
            Shape::List(inner) => walk(inner, out),
            Shape::Object(name) => {
                if let Some(t) = car_api::meta::type_meta(name) {
                    if !out.iter().any(|x| x.name == t.name) {
                        out.push(t);
                        for m in t.members {
                            walk(&m.shape, out);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for m in members {
        walk(&m.shape, &mut out);
    }
    out
}

/// A plausible value for a member, as typed on the command line.
pub fn example_flag_value(m: &MemberMeta) -> String {
    match m.shape {
        Shape::List(inner) if is_scalar(inner) => example_scalar(inner, m),
        Shape::Object(_) | Shape::List(_) => crate::input::skeleton_value(&m.shape).to_string(),
        _ => example_scalar(&m.shape, m),
    }
}

fn example_scalar(shape: &Shape, m: &MemberMeta) -> String {
    if let Some(v) = m
        .enum_name
        .and_then(car_api::meta::enum_meta)
        .and_then(|e| e.values.iter().find(|v| !v.value.is_empty()))
    {
        return v.value.to_string();
    }
    match shape {
        Shape::Int64 | Shape::UInt64 => "10".into(),
        Shape::Bool => "true".into(),
        Shape::DateTime => "2026-01-01T00:00:00+08:00".into(),
        _ => {
            let w = m.wire_name;
            if w.ends_with("Ip") {
                "203.0.113.7".into()
            } else if w.ends_with("Id") || w.ends_with("Ids") || w.ends_with("IdList") {
                format!("{}-1a2b3c4d", id_prefix(w))
            } else {
                format!(
                    "my-{}",
                    m.field_name.trim_start_matches("r#").replace('_', "-")
                )
            }
        }
    }
}

fn id_prefix(wire: &str) -> &'static str {
    if wire.contains("Project") {
        "cap"
    } else if wire.contains("Version") {
        "ver"
    } else if wire.contains("Concurrent") {
        "cp"
    } else if wire.contains("User") {
        "user"
    } else {
        "app"
    }
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:/+@".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Turns the action's flags into request members on top of `body` (from
/// `--cli-input-json`), then checks the whole body against the metadata. Every problem
/// is returned at once.
pub fn assemble(
    a: &'static ActionMeta,
    m: &ArgMatches,
    mut body: Value,
) -> Result<Value, Vec<String>> {
    let mut problems = Vec::new();
    let mut failed: Vec<&str> = Vec::new();
    if !body.is_object() {
        let what = car_api::params::describe_value(&body);
        return Err(vec![format!(
            "--cli-input-json: the request must be a JSON object, got {what}"
        )]);
    }
    let mut given = Map::new();
    for member in a.input {
        let Some(raw) = m.get_many::<String>(member.wire_name) else {
            continue;
        };
        let raw: Vec<&String> = raw.collect();
        match flag_value(member, &raw) {
            Ok(v) => {
                given.insert(member.wire_name.to_string(), v);
            }
            Err(p) => {
                problems.push(p);
                failed.push(member.wire_name);
            }
        }
    }
    if let Value::Object(map) = &mut body {
        map.extend(given);
    }
    for p in car_api::params::check(a, &body) {
        let top = p.path.split(['.', '[']).next().unwrap_or_default();
        if failed.contains(&top) {
            continue;
        }
        problems.push(describe_problem(a, &p));
    }
    if problems.is_empty() {
        Ok(body)
    } else {
        Err(problems)
    }
}

/// Names the flag next to top-level members, so the fix is obvious.
fn describe_problem(a: &ActionMeta, p: &car_api::params::ParamProblem) -> String {
    let flag = a
        .input_member(&p.path)
        .map(|m| format!(" ({})", flag_display(m)))
        .unwrap_or_default();
    match &p.kind {
        ProblemKind::Missing => format!("missing required parameter {}{flag}", p.path),
        ProblemKind::WrongType { expected, got } => {
            format!("parameter {}{flag}: expected {expected}, got {got}", p.path)
        }
        ProblemKind::Unknown { suggestion } => {
            let hint = suggestion
                .as_ref()
                .map(|s| format!(" (did you mean {s}?)"))
                .unwrap_or_default();
            format!("unknown parameter {} in --cli-input-json{hint}", p.path)
        }
        ProblemKind::NotAnObject { got } => {
            format!("--cli-input-json: the request must be a JSON object, got {got}")
        }
    }
}

fn flag_value(m: &MemberMeta, raw: &[&String]) -> Result<Value, String> {
    let flag = flag_display(m);
    match &m.shape {
        Shape::List(inner) if is_scalar(inner) => {
            if raw.len() == 1 && raw[0].trim_start().starts_with('[') {
                return parse_json_flag(m, raw[0]);
            }
            raw.iter()
                .map(|r| {
                    scalar(inner, r).map_err(|e| format!("parameter {} ({flag}): {e}", m.wire_name))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        Shape::Object(_) | Shape::List(_) => parse_json_flag(m, raw[0]),
        shape => {
            scalar(shape, raw[0]).map_err(|e| format!("parameter {} ({flag}): {e}", m.wire_name))
        }
    }
}

fn parse_json_flag(m: &MemberMeta, raw: &str) -> Result<Value, String> {
    serde_json::from_str(raw).map_err(|e| {
        format!(
            "parameter {} ({}): malformed JSON: {e}",
            m.wire_name,
            flag_display(m)
        )
    })
}

pub fn scalar(shape: &Shape, raw: &str) -> Result<Value, String> {
    let bad = || format!("expected {}, got {:?}", describe_shape(shape), raw);
    match shape {
        Shape::Int64 => raw
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| bad()),
        Shape::UInt64 => raw
            .trim()
            .parse::<u64>()
            .map(Value::from)
            .map_err(|_| bad()),
        // tccli's spellings of booleans.
        Shape::Bool => match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "t" | "1" => Ok(Value::Bool(true)),
            "false" | "f" | "0" => Ok(Value::Bool(false)),
            _ => Err(bad()),
        },
        _ => Ok(Value::String(raw.to_string())),
    }
}

/// The body with sensitive members hidden, for `--dry-run` and debug logs.
pub fn redacted_body(a: &ActionMeta, body: &Value) -> Value {
    let mut out = body.clone();
    if let Value::Object(map) = &mut out {
        for m in a.input.iter().filter(|m| m.sensitive) {
            if let Some(v) = map.get_mut(m.wire_name) {
                if !v.is_null() {
                    *v = Value::String("** redacted **".into());
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_builds_and_names_are_unique() {
        let mut names = std::collections::HashSet::new();
        for a in car_api::metadata::ACTIONS {
            let cmd = command(a);
            cmd.clone().debug_assert();
            assert!(names.insert(command_name(a)));
            assert!(names.insert(a.name.to_string()));
            assert!(find(a.name).is_some() && find(&command_name(a)).is_some());
        }
        assert_eq!(
            command_name(find("StartPublishStreamWithURL").unwrap()),
            "start-publish-stream-with-url"
        );
    }

    #[test]
    fn first_sentences() {
        assert_eq!(
            first_sentence("Lists files, i.e. exes. More here."),
            "Lists files, i.e. exes."
        );
        assert_eq!(first_sentence("One only."), "One only.");
    }

    #[test]
    fn flags_convert_with_types() {
        let a = find("DescribeApplicationList").unwrap();
        let m = command(a)
            .try_get_matches_from([
                "x",
                "--offset",
                "-1",
                "--Limit",
                "10",
                "--filters",
                r#"[{"Name":"ApplicationId","Values":["a"]}]"#,
            ])
            .unwrap();
        let body = assemble(a, &m, serde_json::json!({})).unwrap();
        assert_eq!(body["Offset"], -1);
        assert_eq!(body["Limit"], 10);
        let m = command(a)
            .try_get_matches_from(["x", "--offset", "abc", "--filters", "[{"])
            .unwrap();
        let p = assemble(a, &m, serde_json::json!({})).unwrap_err();
        assert_eq!(p.len(), 3, "{p:?}");
        assert!(
            p[0].contains("Offset (--offset): expected an integer, got \"abc\""),
            "{p:?}"
        );
        assert!(
            p[1].contains("malformed JSON") && p[1].contains("line 1 column 2"),
            "{p:?}"
        );
        assert_eq!(p[2], "missing required parameter Limit (--limit)");
    }
}
