//! `--cli-input-json` (a JSON string or `file://PATH`) and `--generate-cli-skeleton`.

use car_api::meta::{MemberMeta, Shape};
use serde_json::{Map, Value};

/// Reads and parses `--cli-input-json`. Errors name the file and the JSON position.
pub fn load(arg: &str) -> Result<Value, String> {
    let (text, source) = match arg.strip_prefix("file://") {
        Some(path) => {
            let path = expand_home(path);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                format!(
                    "--cli-input-json: cannot read file://{}: {}",
                    path,
                    io_reason(&e)
                )
            })?;
            (text, format!("--cli-input-json file://{path}"))
        }
        None => (arg.to_string(), "--cli-input-json".to_string()),
    };
    serde_json::from_str::<Value>(&text).map_err(|e| format!("{source}: malformed JSON: {e}"))
}

fn expand_home(path: &str) -> String {
    match (path.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) if !home.is_empty() => format!("{home}/{rest}"),
        _ => path.to_string(),
    }
}

/// The OS message without the "(os error N)" tail.
fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// A template holding every member with tccli's typed placeholders (`"String"`,
/// `"Integer"`, `"Boolean"`, `"Timestamp"`), nested types expanded.
pub fn skeleton(members: &[MemberMeta]) -> Value {
    skeleton_members(members, 0)
}

fn skeleton_members(members: &[MemberMeta], depth: usize) -> Value {
    let mut map = Map::new();
    for m in members {
        map.insert(m.wire_name.to_string(), skeleton_shape(&m.shape, depth));
    }
    Value::Object(map)
}

/// The placeholder for one shape (used by help examples too).
pub fn skeleton_value(shape: &Shape) -> Value {
    skeleton_shape(shape, 0)
}

fn skeleton_shape(shape: &Shape, depth: usize) -> Value {
    match shape {
        Shape::String => "String".into(),
        Shape::Int64 | Shape::UInt64 => "Integer".into(),
        Shape::Bool => "Boolean".into(),
        Shape::DateTime => "Timestamp".into(),
        Shape::List(inner) => Value::Array(vec![skeleton_shape(inner, depth + 1)]),
        Shape::Object(name) => match car_api::meta::type_meta(name) {
            // A self-referencing type would expand forever; stop with a named placeholder.
            Some(t) if depth < 8 => skeleton_members(t.members, depth + 1),
            _ => Value::String(format!("<{name} object>")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skeleton_expands_types() {
        let a = car_api::meta::action("DescribeApplicationList").unwrap();
        let s = skeleton(a.input);
        assert_eq!(s["Offset"], "Integer");
        assert_eq!(s["Filters"][0]["Values"][0], "String");
    }

    #[test]
    fn load_reports_position_and_file() {
        let e = load("{\n  \"a\": }").unwrap_err();
        assert!(e.contains("line 2 column"), "{e}");
        let e = load("file:///nonexistent/x.json").unwrap_err();
        assert!(
            e.contains("cannot read file:///nonexistent/x.json: No such file"),
            "{e}"
        );
    }
}
