//! Checks a JSON request body against an action's parameters before anything is sent:
//! unknown members (with a suggestion), missing required ones, and wrong JSON types, each
//! named by its path (`Filters[0].Name`). The CLI and the test server both use it.

use std::fmt;

use serde_json::Value;

use crate::config::Site;
use crate::meta::{ActionMeta, MemberMeta, Shape, TypeMeta};

/// One thing wrong with a request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamProblem {
    /// Where, e.g. `Limit` or `Filters[0].Values[2]`.
    pub path: String,
    /// What is wrong there.
    pub kind: ProblemKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
/// The kinds of [`ParamProblem`].
pub enum ProblemKind {
    /// Not a member of the action or type; `suggestion` is the closest known name.
    Unknown {
        /// The closest known member name, if one is close.
        suggestion: Option<String>,
    },
    /// A required member is absent (or null).
    Missing,
    /// The JSON value has the wrong type.
    WrongType {
        /// The type the spec gives.
        expected: String,
        /// The JSON type received.
        got: String,
    },
    /// The body is not a JSON object at all.
    NotAnObject {
        /// The JSON type received.
        got: String,
    },
}

impl fmt::Display for ParamProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ProblemKind::Unknown {
                suggestion: Some(s),
            } => write!(f, "unknown parameter {} (did you mean {s}?)", self.path),
            ProblemKind::Unknown { suggestion: None } => {
                write!(f, "unknown parameter {}", self.path)
            }
            ProblemKind::Missing => write!(f, "missing required parameter {}", self.path),
            ProblemKind::WrongType { expected, got } => {
                write!(f, "parameter {}: expected {expected}, got {got}", self.path)
            }
            ProblemKind::NotAnObject { got } => {
                write!(f, "the request must be a JSON object, got {got}")
            }
        }
    }
}

/// A short description of what a JSON value is, for error messages.
pub fn describe_value(v: &Value) -> String {
    let shown = |s: String| {
        if s.len() > 40 {
            format!(
                "{}…",
                &s[..s.char_indices().nth(37).map_or(s.len(), |(i, _)| i)]
            )
        } else {
            s
        }
    };
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!("string {}", shown(format!("{s:?}"))),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// What a shape expects, in words.
pub fn describe_shape(shape: &Shape) -> String {
    match shape {
        Shape::String => "a string".into(),
        Shape::Int64 => "an integer".into(),
        Shape::UInt64 => "a non-negative integer".into(),
        Shape::Bool => "a boolean (true or false)".into(),
        Shape::DateTime => "an ISO-8601 date-time string".into(),
        Shape::Object(name) => format!("a {name} object"),
        Shape::List(inner) => format!("a list of {}", plural(inner)),
    }
}

fn plural(shape: &Shape) -> String {
    match shape {
        Shape::String => "strings".into(),
        Shape::Int64 => "integers".into(),
        Shape::UInt64 => "non-negative integers".into(),
        Shape::Bool => "booleans".into(),
        Shape::DateTime => "date-time strings".into(),
        Shape::Object(name) => format!("{name} objects"),
        Shape::List(inner) => format!("lists of {}", plural(inner)),
    }
}

/// Every problem with `body` as the parameters of `action`; empty when it is fine.
pub fn check(action: &ActionMeta, body: &Value) -> Vec<ParamProblem> {
    let mut out = Vec::new();
    match body {
        Value::Object(_) => check_members(action.input, body, "", &mut out),
        other => out.push(ParamProblem {
            path: String::new(),
            kind: ProblemKind::NotAnObject {
                got: describe_value(other),
            },
        }),
    }
    out
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

fn check_members(members: &[MemberMeta], value: &Value, prefix: &str, out: &mut Vec<ParamProblem>) {
    let Value::Object(map) = value else { return };
    for m in members {
        match map.get(m.wire_name) {
            None | Some(Value::Null) if m.required => out.push(ParamProblem {
                path: join(prefix, m.wire_name),
                kind: ProblemKind::Missing,
            }),
            None | Some(Value::Null) => {}
            Some(v) => check_value(&m.shape, v, &join(prefix, m.wire_name), out),
        }
    }
    for key in map.keys() {
        if !members.iter().any(|m| m.wire_name == key) {
            let suggestion = suggest(key, members.iter().map(|m| m.wire_name));
            out.push(ParamProblem {
                path: join(prefix, key),
                kind: ProblemKind::Unknown { suggestion },
            });
        }
    }
}

fn check_value(shape: &Shape, v: &Value, path: &str, out: &mut Vec<ParamProblem>) {
    let ok = match shape {
        Shape::String | Shape::DateTime => v.is_string(),
        Shape::Int64 => v.is_i64(),
        Shape::UInt64 => v.is_u64(),
        Shape::Bool => v.is_boolean(),
        Shape::Object(name) => match (v, crate::meta::type_meta(name)) {
            // Every type the generator names has metadata; an object is the right shape
            // either way.
            (Value::Object(_), t) => {
                if let Some(t) = t {
                    check_members(t.members, v, path, out);
                }
                true
            }
            _ => false,
        },
        Shape::List(inner) => match v {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    check_value(inner, item, &format!("{path}[{i}]"), out);
                }
                true
            }
            _ => false,
        },
    };
    if !ok {
        out.push(ParamProblem {
            path: path.to_string(),
            kind: ProblemKind::WrongType {
                expected: describe_shape(shape),
                got: describe_value(v),
            },
        });
    }
}

/// A member sent to a site that does not publish it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteProblem {
    /// Where, e.g. `ApplicationCategory`.
    pub path: String,
    /// Why, naming both sites.
    pub reason: String,
}

/// True when some input member, at any depth, is missing from a site that publishes the
/// action; lets callers skip [`site_problems`] for the many actions where nothing can
/// be wrong.
pub fn has_site_limited_input(action: &ActionMeta) -> bool {
    limited_input(action, crate::meta::type_meta)
}

/// Finds a data type by name: the generated table, or in tests one with the nested
/// site-limited members the spec does not have (yet).
type Types = fn(&str) -> Option<&'static TypeMeta>;

fn limited_input(action: &ActionMeta, types: Types) -> bool {
    fn limited(action: &ActionMeta, members: &[MemberMeta], depth: usize, types: Types) -> bool {
        members.iter().any(|m| {
            (action.sites.intl && !m.sites.intl)
                || (action.sites.cn && !m.sites.cn)
                // The depth bound only stops a type that contains itself.
                || (depth < 8
                    && object_name(&m.shape)
                        .and_then(types)
                        .is_some_and(|t| limited(action, t.members, depth + 1, types)))
        })
    }
    limited(action, action.input, 0, types)
}

fn object_name(shape: &Shape) -> Option<&'static str> {
    match shape {
        Shape::Object(n) => Some(n),
        Shape::List(inner) => object_name(inner),
        _ => None,
    }
}

/// Members of `body` that `site` does not publish although it publishes the action
/// (the spec's per-member `sites`). Whole actions are not refused: both sites accept
/// the same protocol, and the China site's SDKs merely list fewer actions.
pub fn site_problems(action: &ActionMeta, body: &Value, site: Site) -> Vec<SiteProblem> {
    site_problems_in(action, body, site, crate::meta::type_meta)
}

fn site_problems_in(
    action: &ActionMeta,
    body: &Value,
    site: Site,
    types: Types,
) -> Vec<SiteProblem> {
    let mut out = Vec::new();
    let action_published = match site {
        Site::Intl => action.sites.intl,
        Site::China => action.sites.cn,
    };
    if action_published {
        site_members(action.input, body, "", site, types, &mut out);
    }
    out
}

fn site_members(
    members: &[MemberMeta],
    value: &Value,
    prefix: &str,
    site: Site,
    types: Types,
    out: &mut Vec<SiteProblem>,
) {
    let Value::Object(map) = value else { return };
    for m in members {
        let Some(v) = map.get(m.wire_name).filter(|v| !v.is_null()) else {
            continue;
        };
        let path = join(prefix, m.wire_name);
        let published = match site {
            Site::Intl => m.sites.intl,
            Site::China => m.sites.cn,
        };
        if !published {
            let (here, there) = match site {
                Site::Intl => ("the international site", "the China site"),
                Site::China => ("the China site", "the international site"),
            };
            out.push(SiteProblem {
                reason: format!("exists only on {there}, and this client talks to {here}"),
                path,
            });
            continue;
        }
        site_value(&m.shape, v, &path, site, types, out);
    }
}

fn site_value(
    shape: &Shape,
    v: &Value,
    path: &str,
    site: Site,
    types: Types,
    out: &mut Vec<SiteProblem>,
) {
    match (shape, v) {
        (Shape::Object(name), Value::Object(_)) => {
            if let Some(t) = types(name) {
                site_members(t.members, v, path, site, types, out);
            }
        }
        (Shape::List(inner), Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                site_value(inner, item, &format!("{path}[{i}]"), site, types, out);
            }
        }
        _ => {}
    }
}

/// The closest candidate by edit distance (case-insensitive), if it is close enough to
/// be a plausible typo.
pub fn suggest<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let g = given.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (edit_distance(&g, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_string())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(action: &str, body: Value) -> Vec<String> {
        check(crate::meta::action(action).unwrap(), &body)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn valid_body_passes() {
        let p = problems(
            "DescribeApplicationList",
            json!({"Offset": 0, "Limit": 10, "Filters": [{"Name": "ApplicationId", "Values": ["app-1"]}]}),
        );
        assert!(p.is_empty(), "{p:?}");
    }

    #[test]
    fn every_problem_is_named() {
        let p = problems(
            "DescribeApplicationList",
            json!({"Offset": "abc", "Filters": [{"Name": 3, "Valus": []}], "Limt": 5}),
        );
        assert!(
            p.contains(&"parameter Offset: expected an integer, got string \"abc\"".to_string()),
            "{p:?}"
        );
        assert!(
            p.contains(&"missing required parameter Limit".to_string()),
            "{p:?}"
        );
        assert!(
            p.contains(&"unknown parameter Limt (did you mean Limit?)".to_string()),
            "{p:?}"
        );
        assert!(
            p.contains(&"parameter Filters[0].Name: expected a string, got number 3".to_string()),
            "{p:?}"
        );
        assert!(
            p.contains(&"missing required parameter Filters[0].Values".to_string()),
            "{p:?}"
        );
        assert!(
            p.contains(&"unknown parameter Filters[0].Valus (did you mean Values?)".to_string()),
            "{p:?}"
        );
    }

    #[test]
    fn unsigned_and_lists() {
        let p = problems(
            "StartPublishStream",
            json!({"UserId": "u", "PublishStreamArgs": 5}),
        );
        assert!(
            p.iter()
                .any(|s| s.contains("PublishStreamArgs: expected a string")),
            "{p:?}"
        );
        let p = problems(
            "BindConcurrentPackagesToProject",
            json!({"ProjectId": "p", "ConcurrentIds": "x"}),
        );
        assert_eq!(
            p,
            vec![
                "parameter ConcurrentIds: expected a list of strings, got string \"x\"".to_string()
            ]
        );
        let p = problems("DescribeApplicationList", json!([1]));
        assert_eq!(
            p,
            vec!["the request must be a JSON object, got an array".to_string()]
        );
    }

    #[test]
    fn site_limited_members_are_named_with_the_reason() {
        // The spec (from the China site's API page) lists ApplicationCategory for
        // DescribeConcurrentCount on the China site only.
        let action = crate::meta::action("DescribeConcurrentCount").unwrap();
        assert!(has_site_limited_input(action));
        assert!(!has_site_limited_input(
            crate::meta::action("DescribeApplicationList").unwrap()
        ));
        let body = json!({"ApplicationCategory": "Game", "ProjectId": "cap-1"});
        let p = site_problems(action, &body, Site::Intl);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].path, "ApplicationCategory");
        assert_eq!(
            p[0].reason,
            "exists only on the China site, and this client talks to the international site"
        );
        assert!(site_problems(action, &body, Site::China).is_empty());
        assert!(site_problems(action, &json!({"ProjectId": "cap-1"}), Site::Intl).is_empty());
    }

    // Types of the test's own: the spec lists no member below the top level that only
    // one site publishes, nor a type that contains itself.
    mod nested_sites {
        use super::*;
        use crate::meta::Sites;

        const BOTH: Sites = Sites {
            intl: true,
            cn: true,
        };
        const CN_ONLY: Sites = Sites {
            intl: false,
            cn: true,
        };

        const fn member(wire_name: &'static str, shape: Shape, sites: Sites) -> MemberMeta {
            MemberMeta {
                wire_name,
                field_name: "",
                shape,
                required: false,
                nullable: false,
                sensitive: false,
                enum_name: None,
                sites,
                doc: "",
            }
        }

        const fn action(input: &'static [MemberMeta]) -> ActionMeta {
            ActionMeta {
                name: "MadeUp",
                method: "made_up",
                doc: "",
                category: "test",
                sites: BOTH,
                rate_limit: 20,
                retry_safe: true,
                input,
                output: &[],
                errors: &[],
            }
        }

        const fn type_meta(name: &'static str, members: &'static [MemberMeta]) -> TypeMeta {
            TypeMeta {
                name,
                doc: "",
                members,
            }
        }

        // MadeUp { Outer: Outer { Items: [Inner { Name, CnOnly }] } }
        static INNER: TypeMeta = type_meta(
            "Inner",
            &[
                member("Name", Shape::String, BOTH),
                member("CnOnly", Shape::String, CN_ONLY),
            ],
        );
        static OUTER: TypeMeta = type_meta(
            "Outer",
            &[member("Items", Shape::List(&Shape::Object("Inner")), BOTH)],
        );
        static NESTED: ActionMeta = action(&[member("Outer", Shape::Object("Outer"), BOTH)]);

        // Node { Next: Node }
        static NODE: TypeMeta = type_meta("Node", &[member("Next", Shape::Object("Node"), BOTH)]);
        static CYCLE: ActionMeta = action(&[member("Head", Shape::Object("Node"), BOTH)]);

        fn types(name: &str) -> Option<&'static TypeMeta> {
            [&INNER, &OUTER, &NODE].into_iter().find(|t| t.name == name)
        }

        fn paths(action: &ActionMeta, body: Value, site: Site) -> Vec<String> {
            site_problems_in(action, &body, site, types)
                .into_iter()
                .map(|p| p.path)
                .collect()
        }

        #[test]
        fn a_member_inside_lists_and_objects_is_found_and_named_by_its_path() {
            assert!(limited_input(&NESTED, types));
            let body = json!({"Outer": {"Items": [{"Name": "a"}, {"Name": "b", "CnOnly": "c"}]}});
            assert_eq!(
                paths(&NESTED, body.clone(), Site::Intl),
                ["Outer.Items[1].CnOnly"]
            );
            assert!(paths(&NESTED, body, Site::China).is_empty());
            // A value of the wrong shape is check()'s to report.
            let body = json!({"Outer": {"Items": {"CnOnly": "c"}}});
            assert!(paths(&NESTED, body, Site::Intl).is_empty());
        }

        #[test]
        fn a_type_that_contains_itself_ends_the_search() {
            assert!(!limited_input(&CYCLE, types));
            let body = json!({"Head": {"Next": {"Next": {"Next": {}}}}});
            assert!(paths(&CYCLE, body, Site::Intl).is_empty());
        }
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            suggest("applicationid", ["ApplicationId", "ProjectId"]).as_deref(),
            Some("ApplicationId")
        );
        assert_eq!(suggest("Zebra", ["ApplicationId", "ProjectId"]), None);
    }
}
