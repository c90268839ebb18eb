//! `--output text`: a port of tccli's text printer (the AWS CLI's algorithm), fed what
//! tccli feeds it: the response as its model sees it, so columns stay where scripts
//! expect them even when the server leaves members out or adds new ones.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::escape::for_terminal;
use super::{is_scalar, ordered_keys, Hint};

/// tccli deserialises the response into its model and serialises it back: every member
/// the model knows is there (null where the server sent none, at every depth) and members
/// it does not know are gone. Without a model (a filtered result) the value is kept.
pub fn as_model(v: &Value, hint: Hint) -> Value {
    match (v, hint.members()) {
        (Value::Object(map), Some(members)) => {
            let mut out = Map::new();
            for m in members {
                let value = map
                    .get(m.wire_name)
                    .map_or(Value::Null, |x| as_model(x, Hint::Shape(&m.shape)));
                out.insert(m.wire_name.to_string(), value);
            }
            if matches!(hint, Hint::Response(_)) {
                let id = map.get("RequestId").cloned().unwrap_or(Value::Null);
                out.insert("RequestId".into(), id);
            }
            Value::Object(out)
        }
        (Value::Array(items), _) => {
            Value::Array(items.iter().map(|i| as_model(i, hint.element())).collect())
        }
        _ => v.clone(),
    }
}

/// The whole text output for `v`, newline-terminated.
pub fn render(v: &Value, hint: Hint) -> String {
    let mut out = String::new();
    text(&mut out, &as_model(v, hint), hint, None, None);
    out
}

/// Python's `str()`, which the printer applies to every field: `None`, `True`, and for a
/// list or dict that lands in a column, its repr.
fn py_str(v: &Value, hint: Hint) -> String {
    match v {
        Value::String(s) => for_terminal(s).into_owned(),
        other => py_repr(other, hint),
    }
}

fn py_repr(v: &Value, hint: Hint) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            (_, _, Some(f)) => py_float(f),
            _ => n.to_string(),
        },
        Value::String(s) => py_str_repr(s),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(|i| py_repr(i, hint.element())).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(map) => {
            // Python dicts keep insertion order: the model's member order.
            let inner: Vec<String> = ordered_keys(map, hint)
                .into_iter()
                .map(|k| {
                    let v = py_repr(&map[k.as_str()], hint.member(k));
                    format!("{}: {v}", py_str_repr(k))
                })
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}

/// Python's float repr: the shortest round-trip digits, `1e+20` style past 1e16 or below
/// 1e-4, and always a `.0` on integral values.
fn py_float(f: f64) -> String {
    if !f.is_finite() {
        return if f.is_nan() {
            "nan"
        } else if f > 0.0 {
            "inf"
        } else {
            "-inf"
        }
        .into();
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if f != 0.0 && !(-4..16).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    let fixed = format!("{f}");
    if fixed.contains('.') {
        fixed
    } else {
        format!("{fixed}.0")
    }
}

/// Python's `repr()` of a string: single quotes unless the text has a single quote and no
/// double quote; backslashes, the quote, and unprintable characters escaped.
fn py_str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if !py_printable(c) => {
                let n = u32::from(c);
                let _ = match n {
                    0..=0xff => write!(out, "\\x{n:02x}"),
                    0x100..=0xffff => write!(out, "\\u{n:04x}"),
                    _ => write!(out, "\\U{n:08x}"),
                };
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `str.isprintable()` for the characters that turn up in text: not a control,
/// format, separator (other than the space) or private-use character.
fn py_printable(c: char) -> bool {
    !(c.is_control()
        || matches!(u32::from(c),
            0xa0 | 0xad | 0x1680 | 0x2000..=0x200f | 0x2028..=0x202f | 0x205f..=0x2064
            | 0x2066..=0x206f | 0x3000 | 0xfeff | 0xfff9..=0xfffb | 0xe000..=0xf8ff))
}

fn ident(id: &str) -> String {
    for_terminal(&id.to_uppercase()).into_owned()
}

fn text(
    out: &mut String,
    v: &Value,
    hint: Hint,
    identifier: Option<&str>,
    scalar_keys: Option<&[String]>,
) {
    match v {
        Value::Object(map) => text_dict(out, map, hint, identifier, scalar_keys),
        Value::Array(items) => text_list(out, items, hint, identifier),
        other => {
            out.push_str(&py_str(other, hint));
            out.push('\n');
        }
    }
}

fn text_list(out: &mut String, items: &[Value], hint: Hint, identifier: Option<&str>) {
    if items.is_empty() {
        return;
    }
    let elem = hint.element();
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
            text(out, item, elem, identifier, Some(&keys));
        }
    } else if items.iter().any(Value::is_array) {
        let (scalars, rest): (Vec<&Value>, Vec<&Value>) = items.iter().partition(|v| is_scalar(v));
        if !scalars.is_empty() {
            text_scalars(out, &scalars, elem, identifier);
        }
        for r in rest {
            text(out, r, elem, identifier, None);
        }
    } else {
        text_scalars(out, &items.iter().collect::<Vec<_>>(), elem, identifier);
    }
}

fn text_scalars(out: &mut String, items: &[&Value], hint: Hint, identifier: Option<&str>) {
    match identifier {
        Some(id) => {
            for v in items {
                let _ = writeln!(out, "{}\t{}", ident(id), py_str(v, hint));
            }
        }
        None => {
            let row: Vec<String> = items.iter().map(|v| py_str(v, hint)).collect();
            out.push_str(&row.join("\t"));
            out.push('\n');
        }
    }
}

fn text_dict(
    out: &mut String,
    map: &Map<String, Value>,
    hint: Hint,
    identifier: Option<&str>,
    scalar_keys: Option<&[String]>,
) {
    // serde_json's map iterates in sorted key order, as the printer's `sorted()` does.
    let mut scalars: Vec<String> = Vec::new();
    let mut rest: Vec<(&String, &Value)> = Vec::new();
    match scalar_keys {
        None => {
            for (k, v) in map {
                if is_scalar(v) {
                    scalars.push(py_str(v, hint.member(k)));
                } else {
                    rest.push((k, v));
                }
            }
        }
        Some(keys) => {
            for k in keys {
                scalars.push(
                    map.get(k)
                        .map(|v| py_str(v, hint.member(k)))
                        .unwrap_or_default(),
                );
            }
            rest.extend(map.iter().filter(|(k, _)| !keys.contains(k)));
        }
    }
    if !scalars.is_empty() {
        if let Some(id) = identifier {
            scalars.insert(0, ident(id));
        }
        out.push_str(&scalars.join("\t"));
        out.push('\n');
    }
    for (k, v) in rest {
        text(out, v, hint.member(k), Some(k), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn response(action: &str) -> Hint {
        Hint::Response(car_api::meta::action(action).expect("action").output)
    }

    #[test]
    fn tab_separated_with_python_spellings() {
        let v = json!({"RequestId": "r", "Total": 2, "Items": [{"Id": "a", "On": true}, {"Id": "b", "On": null}]});
        assert_eq!(
            render(&v, Hint::None),
            "r\t2\nITEMS\ta\tTrue\nITEMS\tb\tNone\n"
        );
    }

    // tccli-conventions.md §7.3, observed: `DescribeConcurrentCount` prints
    // `req-3<TAB>0<TAB>5` (RequestId, Running, Total). With Running left out, tccli's
    // model fills it with None and the columns keep their places.
    #[test]
    fn absent_members_print_none_in_place() {
        let h = response("DescribeConcurrentCount");
        let full = json!({"RequestId": "req-3", "Running": 0, "Total": 5});
        assert_eq!(render(&full, h), "req-3\t0\t5\n");
        let partial = json!({"RequestId": "req-3", "Total": 5});
        assert_eq!(render(&partial, h), "req-3\tNone\t5\n");
        // A member the model does not know does not shift the columns either.
        let extra = json!({"RequestId": "req-3", "Running": 0, "Total": 5, "Busy": 9});
        assert_eq!(render(&extra, h), "req-3\t0\t5\n");
    }

    #[test]
    fn python_reprs() {
        assert_eq!(py_str_repr("a'b"), "\"a'b\"");
        assert_eq!(py_str_repr("a'b\"c"), "'a\\'b\"c'");
        assert_eq!(py_str_repr("x\\y\u{1b}\u{a0}é"), "'x\\\\y\\x1b\\xa0é'");
        assert_eq!(py_float(1e20), "1e+20");
        assert_eq!(py_float(1.5e-5), "1.5e-05");
        assert_eq!(py_float(2.0), "2.0");
        assert_eq!(py_float(0.25), "0.25");
        assert_eq!(
            py_repr(&json!([1, "a", null, true]), Hint::None),
            "[1, 'a', None, True]"
        );
    }

    #[test]
    fn server_text_cannot_reach_the_terminal_raw() {
        let v = json!({"Msg": "\u{1b}]0;owned\u{7}", "L": [{"\u{1b}[2J": "x"}]});
        let s = render(&v, Hint::None);
        assert!(!s.contains('\u{1b}'), "{s:?}");
        assert_eq!(s, "\\x1b]0;owned\\x07\nL\tx\n");
    }
}
