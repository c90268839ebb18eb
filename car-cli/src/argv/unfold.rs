//! tccli's `--cli-unfold-argument`: one flag per leaf of the request
//! (`--Filters.0.Name`), assembled into the nested request.

use std::collections::BTreeMap;

use car_api::meta::{MemberMeta, Shape};
use serde_json::{Map, Value};

#[derive(Debug)]
pub enum Seg {
    Key(&'static str),
    Index(usize),
}

/// Where a leaf goes and what it holds.
#[derive(Debug)]
pub struct Path {
    pub segs: Vec<Seg>,
    pub shape: &'static Shape,
    /// A list of scalars: takes several words.
    pub words: bool,
}

#[derive(Debug)]
pub struct Leaf {
    pub flag: String,
    pub path: Path,
    pub words: Vec<String>,
}

fn is_scalar(s: &Shape) -> bool {
    !matches!(s, Shape::Object(_) | Shape::List(_))
}

/// Resolves `--Filters.0.Values` against the member's type.
pub fn path(m: &'static MemberMeta, flag: &str) -> Result<Path, String> {
    let mut segs = vec![Seg::Key(m.wire_name)];
    let mut shape: &'static Shape = &m.shape;
    let mut rest = flag.split('.').skip(1).peekable();
    loop {
        match shape {
            Shape::List(inner) if !is_scalar(inner) => {
                let Some(seg) = rest.next() else {
                    return Err(not_a_leaf(flag, "an index, e.g. .0"));
                };
                let index = seg
                    .parse::<usize>()
                    .ok()
                    .filter(|_| seg == "0" || !seg.starts_with('0'))
                    .ok_or_else(|| {
                        format!("--{flag}: expected an index (0, 1, ...) where {seg:?} is")
                    })?;
                segs.push(Seg::Index(index));
                shape = inner;
            }
            Shape::Object(type_name) => {
                let Some(t) = car_api::meta::type_meta(type_name) else {
                    return Err(format!("--{flag}: type {type_name} is not described"));
                };
                let Some(seg) = rest.next() else {
                    let fields: Vec<&str> = t.members.iter().map(|f| f.wire_name).collect();
                    return Err(not_a_leaf(
                        flag,
                        &format!("one of its fields: {}", fields.join(", ")),
                    ));
                };
                let Some(f) = t.members.iter().find(|f| f.wire_name == seg) else {
                    let hint = car_api::params::suggest(seg, t.members.iter().map(|f| f.wire_name))
                        .map(|s| format!(" (did you mean {s}?)"))
                        .unwrap_or_default();
                    return Err(format!("--{flag}: {type_name} has no field {seg:?}{hint}"));
                };
                segs.push(Seg::Key(f.wire_name));
                shape = &f.shape;
            }
            _ => {
                if let Some(seg) = rest.next() {
                    return Err(format!(
                        "--{flag}: {seg:?} goes below a {} value, which has no fields",
                        shape.spec_name()
                    ));
                }
                let words = matches!(shape, Shape::List(_));
                return Ok(Path { segs, shape, words });
            }
        }
    }
}

fn not_a_leaf(flag: &str, want: &str) -> String {
    format!("--{flag}: with --cli-unfold-argument, follow it with {want}")
}

enum Node {
    Value(Value),
    Object(BTreeMap<&'static str, Node>),
    List(BTreeMap<usize, Node>),
}

/// Builds the request members from the leaves; reports every problem at once.
pub fn build(leaves: &[Leaf]) -> Result<Map<String, Value>, Vec<String>> {
    let mut problems = Vec::new();
    let mut root: BTreeMap<&'static str, Node> = BTreeMap::new();
    for leaf in leaves {
        let value = match convert(leaf) {
            Ok(v) => v,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        insert(&mut root, &leaf.path.segs, value);
    }
    let mut out = Map::new();
    for (name, node) in root {
        match finish(node, name) {
            Ok(v) => {
                out.insert(name.to_string(), v);
            }
            Err(e) => problems.push(e),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

fn convert(leaf: &Leaf) -> Result<Value, String> {
    let one = |shape: &Shape, w: &str| {
        crate::actions::scalar(shape, w).map_err(|e| format!("--{}: {e}", leaf.flag))
    };
    match leaf.path.shape {
        Shape::List(inner) => leaf
            .words
            .iter()
            .map(|w| one(inner, w))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        shape => one(shape, &leaf.words[0]),
    }
}

fn insert(map: &mut BTreeMap<&'static str, Node>, segs: &[Seg], value: Value) {
    let Some((Seg::Key(k), rest)) = segs.split_first() else {
        return;
    };
    if rest.is_empty() {
        map.insert(k, Node::Value(value));
        return;
    }
    let child = map.entry(k).or_insert_with(|| match rest[0] {
        Seg::Index(_) => Node::List(BTreeMap::new()),
        Seg::Key(_) => Node::Object(BTreeMap::new()),
    });
    insert_node(child, rest, value);
}

fn insert_node(node: &mut Node, segs: &[Seg], value: Value) {
    match (node, segs.first()) {
        (Node::Object(map), Some(Seg::Key(_))) => insert(map, segs, value),
        (Node::List(items), Some(Seg::Index(i))) => {
            let rest = &segs[1..];
            if rest.is_empty() {
                items.insert(*i, Node::Value(value));
                return;
            }
            let child = items.entry(*i).or_insert_with(|| match rest[0] {
                Seg::Index(_) => Node::List(BTreeMap::new()),
                Seg::Key(_) => Node::Object(BTreeMap::new()),
            });
            insert_node(child, rest, value);
        }
        // Paths come from the type, so a key never meets a list or the reverse.
        _ => {}
    }
}

fn finish(node: Node, path: &str) -> Result<Value, String> {
    match node {
        Node::Value(v) => Ok(v),
        Node::Object(map) => {
            let mut out = Map::new();
            for (k, n) in map {
                out.insert(k.to_string(), finish(n, &format!("{path}.{k}"))?);
            }
            Ok(Value::Object(out))
        }
        Node::List(items) => {
            let indices: Vec<usize> = items.keys().copied().collect();
            if indices.iter().enumerate().any(|(want, got)| want != *got) {
                let shown: Vec<String> = indices.iter().map(usize::to_string).collect();
                return Err(format!(
                    "--{path}: indices must start at 0 and go up by 1, got {}",
                    shown.join(", ")
                ));
            }
            items
                .into_iter()
                .map(|(i, n)| finish(n, &format!("{path}.{i}")))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
    }
}
