//! `--output table`: boxed, aligned sections for people (car's own layout; scripts use
//! json or text). Cells are single-line, with control characters shown as escapes.

use serde_json::Value;

use super::escape::for_terminal;
use super::{is_scalar, ordered_keys, Hint};

/// Section titles and headers come from member names, which the server controls too.
fn label(s: &str) -> String {
    for_terminal(s).into_owned()
}

struct Section {
    title: String,
    header: Option<Vec<String>>,
    rows: Vec<Vec<String>>,
}

fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => for_terminal(s).into_owned(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

pub fn render(v: &Value, hint: Hint, title: &str) -> String {
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

/// The section as it may reach a terminal: member names (titles, headers, key cells)
/// escaped like values.
fn escaped(s: &Section) -> Section {
    let row = |r: &Vec<String>| r.iter().map(|c| label(c)).collect::<Vec<_>>();
    Section {
        title: label(&s.title),
        header: s.header.as_ref().map(row),
        rows: s.rows.iter().map(row).collect(),
    }
}

fn draw(out: &mut String, s: &Section) {
    let s = &escaped(s);
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
    fn table_aligns_columns() {
        let v =
            json!({"RequestId": "r1", "Items": [{"Id": "a", "Name": "long name"}, {"Id": "bb"}]});
        let s = render(&v, Hint::None, "Act");
        assert!(s.contains("| RequestId | r1 |"), "{s}");
        assert!(s.contains("| Id | Name      |"), "{s}");
        assert!(s.contains("| bb |           |"), "{s}");
    }

    #[test]
    fn server_text_is_escaped_in_cells_and_labels() {
        let v = json!({"Msg": "a\u{1b}[2Jb\nc", "\u{1b}]0;t\u{7}": [{"K\u{9b}": "v"}]});
        let s = render(&v, Hint::None, "Act");
        assert!(!s.chars().any(|c| c.is_control() && c != '\n'), "{s:?}");
        assert!(s.contains("| Msg | a\\x1b[2Jb\\nc |"), "{s}");
        assert!(s.contains("\\x1b]0;t\\x07"), "{s}");
        assert!(s.contains("| K\\x9b |"), "{s}");
    }
}
