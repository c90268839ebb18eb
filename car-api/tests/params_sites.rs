//! Which members each site refuses, checked against the sites' own lists.
//!
//! Expected values come from `tests/data/car-api-summary.json`, a verbatim copy of the
//! project's reference summary: which site lists each action (`cn`, `intl`, from the
//! China and international tccli `api.json`) and, for a member only one of them lists,
//! `only_in`. It is compiled in, so a missing copy fails the build instead of skipping.

use std::collections::BTreeSet;

use car_api::meta::{ActionMeta, MemberMeta, Shape, Sites};
use car_api::params::{check, has_site_limited_input, site_problems};
use car_api::Site;
use serde_json::{json, Map, Value};

const SUMMARY: &str = include_str!("data/car-api-summary.json");

fn summary() -> Value {
    serde_json::from_str(SUMMARY).expect("tests/data/car-api-summary.json is valid JSON")
}

fn actions(summary: &Value) -> &Map<String, Value> {
    let actions = summary["actions"]
        .as_object()
        .expect("the summary has an `actions` object");
    // CAR 2022-01-10 has 33 actions; fewer means the copy was truncated or replaced.
    assert_eq!(
        actions.len(),
        33,
        "tests/data/car-api-summary.json lost actions"
    );
    actions
}

fn flag(v: &Value, key: &str) -> bool {
    v[key]
        .as_bool()
        .unwrap_or_else(|| panic!("`{key}` is a boolean in {v}"))
}

/// Whether the summary's member is listed by `site` (`cn` or `intl`).
fn member_on(member: &Value, site: &str) -> bool {
    member["only_in"].as_str().is_none_or(|only| only == site)
}

/// The type inside any lists, and how many lists wrap it: `list[Filter]` -> (1, `Filter`).
fn unwrap_lists(ty: &str) -> (usize, &str) {
    match ty.strip_prefix("list[").and_then(|t| t.strip_suffix(']')) {
        Some(inner) => {
            let (depth, t) = unwrap_lists(inner);
            (depth + 1, t)
        }
        None => (0, ty),
    }
}

/// The object type a summary type names, through lists; the summary writes both
/// `object[VideoEncodeConfig]` and `list[Filter]`.
fn object_of(ty: &str) -> Option<&str> {
    let (_, inner) = unwrap_lists(ty);
    match inner
        .strip_prefix("object[")
        .and_then(|t| t.strip_suffix(']'))
    {
        Some(name) => Some(name),
        None if is_scalar(inner) => None,
        None => Some(inner),
    }
}

fn is_scalar(ty: &str) -> bool {
    matches!(ty, "string" | "int64" | "uint64" | "bool" | "datetime_iso")
}

/// Paths of the members in `members` (and the objects below them) that `site` does not
/// list, for a body that carries every member once.
fn unlisted(summary: &Value, members: &Value, prefix: &str, site: &str, out: &mut Vec<String>) {
    for m in members.as_array().expect("a member list") {
        let name = m["name"].as_str().expect("a member name");
        let ty = m["type"].as_str().expect("a member type");
        let path = if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}.{name}")
        };
        if !member_on(m, site) {
            out.push(path);
            continue;
        }
        if let Some(object) = object_of(ty) {
            // The body built below puts one element in each list.
            let path = format!("{path}{}", "[0]".repeat(unwrap_lists(ty).0));
            unlisted(summary, &summary["objects"][object], &path, site, out);
        }
    }
}

/// A value of the summary type `ty` with every member of every object present.
fn sample(summary: &Value, ty: &str) -> Value {
    if let Some(inner) = ty.strip_prefix("list[").and_then(|t| t.strip_suffix(']')) {
        return json!([sample(summary, inner)]);
    }
    match (ty, object_of(ty)) {
        (_, Some(name)) => object(summary, &summary["objects"][name]),
        ("int64" | "uint64", _) => json!(1),
        ("bool", _) => json!(true),
        ("datetime_iso", _) => json!("2022-01-10T00:00:00Z"),
        _ => json!("x"),
    }
}

fn object(summary: &Value, members: &Value) -> Value {
    let mut map = Map::new();
    for m in members.as_array().expect("a member list") {
        let ty = m["type"].as_str().expect("a member type");
        map.insert(
            m["name"].as_str().expect("a member name").to_owned(),
            sample(summary, ty),
        );
    }
    Value::Object(map)
}

fn meta(name: &str) -> &'static ActionMeta {
    car_api::meta::action(name).unwrap_or_else(|| panic!("{name} is in the client's metadata"))
}

#[test]
fn the_summary_copy_is_read_the_way_it_is_written() {
    // Spot checks of the helpers above on entries of the summary itself.
    let summary = summary();
    let count = &summary["actions"]["DescribeConcurrentCount"];
    assert!(flag(count, "cn") && flag(count, "intl"));
    let category = &count["input"][1];
    assert_eq!(category["name"], "ApplicationCategory");
    assert!(member_on(category, "cn") && !member_on(category, "intl"));
    assert_eq!(object_of("list[Filter]"), Some("Filter"));
    assert_eq!(
        object_of("object[VideoEncodeConfig]"),
        Some("VideoEncodeConfig")
    );
    assert_eq!(object_of("list[string]"), None);
    assert_eq!(unwrap_lists("list[list[string]]"), (2, "string"));
    assert_eq!(
        sample(&summary, "list[Filter]"),
        json!([{"Name": "x", "Values": ["x"]}])
    );
}

#[test]
fn the_client_lists_each_action_on_the_sites_that_list_it() {
    let summary = summary();
    for (name, a) in actions(&summary) {
        assert_eq!(
            meta(name).sites,
            Sites {
                intl: flag(a, "intl"),
                cn: flag(a, "cn")
            },
            "{name}"
        );
    }
}

#[test]
fn an_action_has_site_limited_input_exactly_when_a_listing_site_lacks_a_member() {
    let summary = summary();
    let mut limited = BTreeSet::new();
    for (name, a) in actions(&summary) {
        let lacks = |site: &str| {
            let mut out = Vec::new();
            unlisted(&summary, &a["input"], "", site, &mut out);
            flag(a, site) && !out.is_empty()
        };
        let expected = lacks("intl") || lacks("cn");
        assert_eq!(has_site_limited_input(meta(name)), expected, "{name}");
        if expected {
            limited.insert(name.as_str());
        }
    }
    // Both sites list DescribeConcurrentCount; only the China one lists its
    // ApplicationCategory. Every other member is listed wherever its action is.
    assert_eq!(limited, BTreeSet::from(["DescribeConcurrentCount"]));
}

#[test]
fn a_full_body_is_refused_only_the_members_the_site_lacks() {
    let summary = summary();
    for (name, a) in actions(&summary) {
        let action = meta(name);
        let body = object(&summary, &a["input"]);
        let problems = check(action, &body);
        assert!(problems.is_empty(), "{name}: {body}: {problems:?}");
        for (site, key) in [(Site::Intl, "intl"), (Site::China, "cn")] {
            let mut expected = Vec::new();
            // A site that does not list the action at all refuses nothing: both accept
            // the same protocol.
            if flag(a, key) {
                unlisted(&summary, &a["input"], "", key, &mut expected);
            }
            let got: Vec<String> = site_problems(action, &body, site)
                .into_iter()
                .map(|p| p.path)
                .collect();
            assert_eq!(got, expected, "{name} on {key}");
        }
    }
}

// No member the summary lists is missing from exactly the China site, so this takes a
// made-up action that both sites list with a member only the international one does.
static INTL_ONLY: [MemberMeta; 2] = [
    member(
        "Shared",
        Sites {
            intl: true,
            cn: true,
        },
    ),
    member(
        "IntlOnly",
        Sites {
            intl: true,
            cn: false,
        },
    ),
];
static BOTH_SITES: ActionMeta = ActionMeta {
    name: "MadeUp",
    method: "made_up",
    doc: "",
    category: "test",
    sites: Sites {
        intl: true,
        cn: true,
    },
    rate_limit: 20,
    retry_safe: true,
    input: &INTL_ONLY,
    output: &[],
    errors: &[],
};

const fn member(wire_name: &'static str, sites: Sites) -> MemberMeta {
    MemberMeta {
        wire_name,
        field_name: "",
        shape: Shape::String,
        required: false,
        nullable: false,
        sensitive: false,
        enum_name: None,
        sites,
        doc: "",
    }
}

#[test]
fn a_member_only_the_international_site_lists_is_refused_by_the_china_site() {
    assert!(has_site_limited_input(&BOTH_SITES));
    let body = json!({"Shared": "a", "IntlOnly": "b"});
    let problems = site_problems(&BOTH_SITES, &body, Site::China);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, "IntlOnly");
    assert_eq!(
        problems[0].reason,
        "exists only on the international site, and this client talks to the China site"
    );
    let problems = site_problems(&BOTH_SITES, &body, Site::Intl);
    assert!(problems.is_empty(), "{problems:?}");
    // Absent or null, it is not sent.
    for body in [
        json!({"Shared": "a"}),
        json!({"Shared": "a", "IntlOnly": null}),
    ] {
        let problems = site_problems(&BOTH_SITES, &body, Site::China);
        assert!(problems.is_empty(), "{body}: {problems:?}");
    }
}
