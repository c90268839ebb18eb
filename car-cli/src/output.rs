//! Printing responses: JSON as tccli prints it (4-space indent, non-ASCII kept, members
//! in the spec's order with `RequestId` last), `text` (tab-separated, tccli's layout)
//! and `table` (aligned, boxed columns for people), after an optional JMESPath filter.

pub mod escape;
mod filter;
mod table;
mod text;

use car_api::meta::{MemberMeta, Shape};
use serde_json::{Map, Value};

pub use filter::Filter;
pub use text::as_model;

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

/// What is known about a value's members, to print them in the spec's order.
#[derive(Clone, Copy)]
pub enum Hint {
    None,
    /// A response object: these members, then `RequestId`.
    Response(&'static [MemberMeta]),
    Members(&'static [MemberMeta]),
    Shape(&'static Shape),
}

impl Hint {
    fn members(self) -> Option<&'static [MemberMeta]> {
        match self {
            Hint::Response(m) | Hint::Members(m) => Some(m),
            Hint::Shape(Shape::Object(name)) => car_api::meta::type_meta(name).map(|t| t.members),
            _ => None,
        }
    }

    fn member(self, key: &str) -> Hint {
        self.members()
            .and_then(|ms| ms.iter().find(|m| m.wire_name == key))
            .map_or(Hint::None, |m| Hint::Shape(&m.shape))
    }

    fn element(self) -> Hint {
        match self {
            Hint::Shape(Shape::List(inner)) => Hint::Shape(inner),
            _ => Hint::None,
        }
    }
}

/// Null, booleans, numbers and strings: what the text printer puts in columns.
fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Object(_) | Value::Array(_))
}

/// Keys in print order: known members first in spec order, then others sorted, and
/// `RequestId` last on a response (as tccli's response models print).
fn ordered_keys(map: &Map<String, Value>, hint: Hint) -> Vec<&String> {
    let mut keys: Vec<&String> = Vec::with_capacity(map.len());
    if let Some(members) = hint.members() {
        for m in members {
            if let Some((k, _)) = map.get_key_value(m.wire_name) {
                keys.push(k);
            }
        }
    }
    let is_response = matches!(hint, Hint::Response(_));
    for k in map.keys() {
        if !(keys.contains(&k) || is_response && k == "RequestId") {
            keys.push(k);
        }
    }
    if is_response {
        if let Some((k, _)) = map.get_key_value("RequestId") {
            keys.push(k);
        }
    }
    keys
}

/// Pretty JSON with a 4-space indent, like Python's `json.dumps(indent=4, ensure_ascii=False)`.
pub fn to_pretty_json(v: &Value, hint: Hint) -> String {
    let mut out = String::new();
    write_json(&mut out, v, hint, 0);
    out
}

fn write_json(out: &mut String, v: &Value, hint: Hint, depth: usize) {
    let pad = |out: &mut String, d: usize| {
        for _ in 0..d {
            out.push_str("    ");
        }
    };
    match v {
        Value::Object(map) if !map.is_empty() => {
            out.push_str("{\n");
            let keys = ordered_keys(map, hint);
            for (i, k) in keys.iter().enumerate() {
                pad(out, depth + 1);
                out.push_str(&escape::json_string(k));
                out.push_str(": ");
                write_json(out, &map[k.as_str()], hint.member(k), depth + 1);
                if i + 1 < keys.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            pad(out, depth);
            out.push('}');
        }
        Value::Array(items) if !items.is_empty() => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                pad(out, depth + 1);
                write_json(out, item, hint.element(), depth + 1);
                if i + 1 < items.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            pad(out, depth);
            out.push(']');
        }
        Value::String(s) => out.push_str(&escape::json_string(s)),
        other => out.push_str(&other.to_string()),
    }
}

/// Formats a response (already filtered, if asked) for stdout, newline-terminated.
pub fn render(v: &Value, format: Format, hint: Hint, title: &str) -> String {
    match format {
        Format::Json => {
            let mut s = to_pretty_json(v, hint);
            s.push('\n');
            s
        }
        Format::Text => text::render(v, hint),
        Format::Table => table::render(v, hint, title),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_matches_python_indent_4() {
        let v = json!({"b": [1, {"x": "é"}], "a": {}, "c": []});
        assert_eq!(
            to_pretty_json(&v, Hint::None),
            "{\n    \"a\": {},\n    \"b\": [\n        1,\n        {\n            \"x\": \"é\"\n        }\n    ],\n    \"c\": []\n}"
        );
    }

    #[test]
    fn response_members_in_spec_order_request_id_last() {
        let a = car_api::meta::action("DescribeApplicationList").unwrap();
        let v =
            json!({"RequestId": "r", "ApplicationTotal": 1, "UserApplicationList": [], "Zzz": 1});
        let s = to_pretty_json(&v, Hint::Response(a.output));
        let pos = |k: &str| s.find(k).unwrap();
        assert!(pos("UserApplicationList") < pos("ApplicationTotal"));
        assert!(pos("Zzz") < pos("RequestId"));
    }

    #[test]
    fn json_output_escapes_every_control_character() {
        let v = json!({"M\u{9b}": "\u{1b}]0;t\u{7}\u{7f}"});
        let s = render(&v, Format::Json, Hint::None, "A");
        assert!(!s.chars().any(|c| c.is_control() && c != '\n'), "{s:?}");
        assert_eq!(serde_json::from_str::<Value>(&s).ok(), Some(v));
    }
}
