//! Printing responses: JSON as tccli prints it (4-space indent, non-ASCII kept, members
//! in the spec's order with `RequestId` last), `text` (tab-separated, tccli's layout)
//! and `table` (aligned, boxed columns for people), after an optional JMESPath filter.

use std::fmt::Write as _;

use car_api::meta::{MemberMeta, Shape};
use serde_json::{Map, Value};

use crate::cli::Format;

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
                out.push_str(&Value::String((*k).clone()).to_string());
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
        other => out.push_str(&other.to_string()),
    }
}

/// A compiled `--filter` expression.
pub struct Filter(jmespath::Expression<'static>);

impl Filter {
    pub fn compile(expr: &str, option: &str) -> Result<Filter, String> {
        jmespath::compile(expr).map(Filter).map_err(|e| {
            format!(
                "{option}: invalid JMESPath expression: {}",
                one_line(&e.to_string())
            )
        })
    }

    pub fn search(&self, v: &Value) -> Result<Value, String> {
        let found = self
            .0
            .search(v)
            .map_err(|e| format!("--filter: {}", one_line(&e.to_string())))?;
        serde_json::to_value(&*found).map_err(|e| format!("--filter: {e}"))
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Formats a response (already filtered, if asked) for stdout, newline-terminated.
pub fn render(v: &Value, format: Format, hint: Hint, title: &str) -> String {
    match format {
        Format::Json => {
            let mut s = to_pretty_json(v, hint);
            s.push('\n');
            s
        }
        Format::Text => {
            let mut s = String::new();
            text(&mut s, v, None, None);
            s
        }
        Format::Table => table(v, hint, title),
    }
}

// ---- text: a port of tccli's (and the AWS CLI's) text output ----

/// How Python prints a scalar with `str()`, which tccli's text output uses.
fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        other => other.to_string(),
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Object(_) | Value::Array(_))
}

fn text(out: &mut String, v: &Value, identifier: Option<&str>, scalar_keys: Option<&[String]>) {
    match v {
        Value::Object(map) => text_dict(out, map, identifier, scalar_keys),
        Value::Array(items) => text_list(out, items, identifier),
        other => {
            out.push_str(&py_str(other));
            out.push('\n');
        }
    }
}

fn text_list(out: &mut String, items: &[Value], identifier: Option<&str>) {
    if items.is_empty() {
        return;
    }
    if items.iter().any(Value::is_object) {
        let mut keys: Vec<String> = items
            .iter()
            .filter_map(Value::as_object)
            .flat_map(|m| {
                m.iter()
                    .filter(|(_, v)| is_scalar(v))
                    .map(|(k, _)| k.clone())
            })
            .collect();
        keys.sort();
        keys.dedup();
        for item in items {
            text(out, item, identifier, Some(&keys));
        }
    } else if items.iter().any(Value::is_array) {
        let (scalars, rest): (Vec<&Value>, Vec<&Value>) = items.iter().partition(|v| is_scalar(v));
        if !scalars.is_empty() {
            text_scalars(out, &scalars, identifier);
        }
        for r in rest {
            text(out, r, identifier, None);
        }
    } else {
        text_scalars(out, &items.iter().collect::<Vec<_>>(), identifier);
    }
}

fn text_scalars(out: &mut String, items: &[&Value], identifier: Option<&str>) {
    match identifier {
        Some(id) => {
            for v in items {
                let _ = writeln!(out, "{}\t{}", id.to_uppercase(), py_str(v));
            }
        }
        None => {
            let row: Vec<String> = items.iter().map(|v| py_str(v)).collect();
            out.push_str(&row.join("\t"));
            out.push('\n');
        }
    }
}

fn text_dict(
    out: &mut String,
    map: &Map<String, Value>,
    identifier: Option<&str>,
    scalar_keys: Option<&[String]>,
) {
    let mut scalars: Vec<String> = Vec::new();
    let mut rest: Vec<(&String, &Value)> = Vec::new();
    match scalar_keys {
        None => {
            for (k, v) in map {
                if is_scalar(v) {
                    scalars.push(py_str(v));
                } else {
                    rest.push((k, v));
                }
            }
        }
        Some(keys) => {
            for k in keys {
                scalars.push(map.get(k).map(py_str).unwrap_or_default());
            }
            for (k, v) in map {
                if !keys.contains(k) {
                    rest.push((k, v));
                }
            }
        }
    }
    if !scalars.is_empty() {
        if let Some(id) = identifier {
            scalars.insert(0, id.to_uppercase());
        }
        out.push_str(&scalars.join("\t"));
        out.push('\n');
    }
    for (k, v) in rest {
        text(out, v, Some(k), None);
    }
}

// ---- table: boxed sections for people ----

struct Section {
    title: String,
    header: Option<Vec<String>>,
    rows: Vec<Vec<String>>,
}

fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.replace(['\n', '\r', '\t'], " "),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn table(v: &Value, hint: Hint, title: &str) -> String {
    let mut sections = Vec::new();
    collect_sections(v, hint, title, &mut sections);
    let mut out = String::new();
    for (i, s) in sections.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        draw(&mut out, s);
    }
    out
}

fn collect_sections(v: &Value, hint: Hint, title: &str, out: &mut Vec<Section>) {
    match v {
        Value::Object(map) => {
            let keys = ordered_keys(map, hint);
            let rows: Vec<Vec<String>> = keys
                .iter()
                .filter(|k| is_scalar(&map[k.as_str()]))
                .map(|k| vec![(*k).clone(), cell(&map[k.as_str()])])
                .collect();
            if !rows.is_empty() || map.is_empty() {
                out.push(Section {
                    title: title.to_string(),
                    header: None,
                    rows,
                });
            }
            for k in keys.iter().filter(|k| !is_scalar(&map[k.as_str()])) {
                let sub = if title.is_empty() {
                    (*k).clone()
                } else {
                    format!("{title}.{k}")
                };
                collect_sections(&map[k.as_str()], hint.member(k), &sub, out);
            }
        }
        Value::Array(items) if items.iter().any(Value::is_object) => {
            let elem = hint.element();
            let mut columns: Vec<String> = Vec::new();
            if let Some(members) = elem.members() {
                for m in members {
                    if items
                        .iter()
                        .any(|i| i.get(m.wire_name).is_some_and(is_scalar))
                    {
                        columns.push(m.wire_name.to_string());
                    }
                }
            }
            for item in items.iter().filter_map(Value::as_object) {
                for (k, val) in item {
                    if is_scalar(val) && !columns.contains(k) {
                        columns.push(k.clone());
                    }
                }
            }
            let rows = items
                .iter()
                .map(|item| match item {
                    Value::Object(m) => columns
                        .iter()
                        .map(|c| m.get(c).map(cell).unwrap_or_default())
                        .collect(),
                    other => vec![cell(other)],
                })
                .collect();
            out.push(Section {
                title: title.to_string(),
                header: Some(columns),
                rows,
            });
            for (i, item) in items.iter().enumerate() {
                if let Value::Object(m) = item {
                    for k in ordered_keys(m, elem)
                        .into_iter()
                        .filter(|k| !is_scalar(&m[k.as_str()]))
                    {
                        collect_sections(
                            &m[k.as_str()],
                            elem.member(k),
                            &format!("{title}[{i}].{k}"),
                            out,
                        );
                    }
                }
            }
        }
        Value::Array(items) => {
            let name = title.rsplit('.').next().unwrap_or(title).to_string();
            let rows = items
                .iter()
                .filter(|i| is_scalar(i))
                .map(|i| vec![cell(i)])
                .collect();
            out.push(Section {
                title: title.to_string(),
                header: Some(vec![name]),
                rows,
            });
            for (i, item) in items.iter().enumerate().filter(|(_, i)| !is_scalar(i)) {
                collect_sections(item, hint.element(), &format!("{title}[{i}]"), out);
            }
        }
        scalar => out.push(Section {
            title: title.to_string(),
            header: None,
            rows: vec![vec![cell(scalar)]],
        }),
    }
}

fn width(s: &str) -> usize {
    s.chars().count()
}

fn draw(out: &mut String, s: &Section) {
    if !s.title.is_empty() {
        out.push_str(&s.title);
        out.push('\n');
    }
    let ncols = s
        .header
        .as_ref()
        .map_or(0, Vec::len)
        .max(s.rows.iter().map(Vec::len).max().unwrap_or(0));
    if ncols == 0 {
        out.push_str("(empty)\n");
        return;
    }
    let mut widths = vec![0usize; ncols];
    for row in s.header.iter().chain(s.rows.iter()) {
        for (i, c) in row.iter().enumerate() {
            widths[i] = widths[i].max(width(c));
        }
    }
    let rule: String = {
        let mut r = String::from("+");
        for w in &widths {
            r.push_str(&"-".repeat(w + 2));
            r.push('+');
        }
        r.push('\n');
        r
    };
    let line = |out: &mut String, row: &[String]| {
        out.push('|');
        for (i, w) in widths.iter().enumerate() {
            let c = row.get(i).map(String::as_str).unwrap_or("");
            out.push(' ');
            out.push_str(c);
            out.push_str(&" ".repeat(w - width(c) + 1));
            out.push('|');
        }
        out.push('\n');
    };
    out.push_str(&rule);
    if let Some(h) = &s.header {
        line(out, h);
        out.push_str(&rule);
    }
    for row in &s.rows {
        line(out, row);
    }
    if s.rows.is_empty() {
        line(out, &["(none)".to_string()]);
    }
    out.push_str(&rule);
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
    fn text_is_tab_separated_like_tccli() {
        let v = json!({"RequestId": "r", "Total": 2, "Items": [{"Id": "a", "On": true}, {"Id": "b", "On": null}]});
        let mut s = String::new();
        text(&mut s, &v, None, None);
        assert_eq!(s, "r\t2\nITEMS\ta\tTrue\nITEMS\tb\tNone\n");
    }

    #[test]
    fn table_aligns_columns() {
        let v =
            json!({"RequestId": "r1", "Items": [{"Id": "a", "Name": "long name"}, {"Id": "bb"}]});
        let s = table(&v, Hint::None, "Act");
        assert!(s.contains("| RequestId | r1 |"), "{s}");
        assert!(s.contains("| Id | Name      |"), "{s}");
        assert!(s.contains("| bb |           |"), "{s}");
    }
}
