//! Compares our spec with an upstream API definition in Tencent's `api.json` format
//! (as shipped in the tccli packages): actions, members, data types, member types,
//! required flags, and for what the server sends, `output_required` and nullability.

use std::collections::BTreeSet;

use car_spec::validate::{CheckedMember, Sites};
use car_spec::Checked;
use serde_json::Value;

/// Which of our actions and members to hold against the upstream file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteFilter {
    Intl,
    Cn,
}

impl SiteFilter {
    fn admits(self, s: Sites) -> bool {
        match self {
            SiteFilter::Intl => s.intl,
            SiteFilter::Cn => s.cn,
        }
    }
}

/// Upstream's type for a member, in our spelling (`list[Filter]`, `datetime`, ...).
fn upstream_type(m: &Value) -> Option<String> {
    let ty = m.get("type")?.as_str()?;
    let member = m.get("member")?.as_str()?;
    let scalar = |name: &str| match name {
        "datetime_iso" | "datetime" => "datetime".to_string(),
        other => other.to_string(),
    };
    Some(match ty {
        "list" => format!("list[{}]", scalar(member)),
        "object" => member.to_string(),
        _ => scalar(member),
    })
}

struct UpMember<'a> {
    name: &'a str,
    ty: Option<String>,
    required: Option<bool>,
    output_required: Option<bool>,
    nullable: Option<bool>,
}

fn upstream_members<'a>(upstream: &'a Value, object: &str) -> Result<Vec<UpMember<'a>>, String> {
    let members = upstream
        .pointer(&format!("/objects/{object}/members"))
        .and_then(Value::as_array)
        .ok_or_else(|| format!("upstream file has no `objects.{object}.members`"))?;
    Ok(members
        .iter()
        .filter_map(|m| {
            Some(UpMember {
                name: m.get("name")?.as_str()?,
                ty: upstream_type(m),
                required: m.get("required").and_then(Value::as_bool),
                output_required: m.get("output_required").and_then(Value::as_bool),
                nullable: m.get("value_allowed_null").and_then(Value::as_bool),
            })
        })
        .filter(|m| m.name != "RequestId")
        .collect())
}

/// Which flags to hold against upstream for one member list.
#[derive(Clone, Copy)]
struct Checks {
    required: bool,
    /// `output_required` and `value_allowed_null`: what the server promises to send.
    output: bool,
}

fn compare_members(
    out: &mut Vec<String>,
    owner: &str,
    ours: &[CheckedMember],
    theirs: &[UpMember<'_>],
    site: SiteFilter,
    checks: Checks,
) {
    let ours: Vec<&CheckedMember> = ours.iter().filter(|m| site.admits(m.sites)).collect();
    for t in theirs {
        let Some(o) = ours.iter().find(|o| o.wire == t.name) else {
            out.push(format!(
                "missing member: {owner}.{} (upstream has it, the spec does not)",
                t.name
            ));
            continue;
        };
        if let Some(ty) = &t.ty {
            let mine = o.ty.spec_name();
            if &mine != ty {
                out.push(format!(
                    "type mismatch: {owner}.{}: spec `{mine}`, upstream `{ty}`",
                    t.name
                ));
            }
        }
        if checks.required {
            if let Some(req) = t.required {
                if req != o.required {
                    out.push(format!(
                        "required mismatch: {owner}.{}: spec {}, upstream {req}",
                        t.name, o.required
                    ));
                }
            }
        }
        if checks.output {
            // Upstream leaves both flags out where they are false.
            let n = t.nullable.unwrap_or(false);
            if n != o.nullable {
                out.push(format!(
                    "nullable mismatch: {owner}.{}: spec {}, upstream {n}",
                    t.name, o.nullable
                ));
            }
            let r = t.output_required.unwrap_or(false);
            if r != o.output_required {
                out.push(format!(
                    "output_required mismatch: {owner}.{}: spec {}, upstream {r}",
                    t.name, o.output_required
                ));
            }
        }
    }
    for o in ours {
        if !theirs.iter().any(|t| t.name == o.wire) {
            out.push(format!(
                "extra member: {owner}.{} (the spec has it, upstream does not)",
                o.wire
            ));
        }
    }
}

/// Every difference, one line each; empty when the two agree.
pub fn diff(spec: &Checked, upstream: &Value, site: SiteFilter) -> Result<Vec<String>, String> {
    let actions = upstream
        .get("actions")
        .and_then(Value::as_object)
        .ok_or("upstream file has no `actions` object; is it a tccli api.json?")?;
    let objects = upstream
        .get("objects")
        .and_then(Value::as_object)
        .ok_or("upstream file has no `objects` object")?;
    let mut out = Vec::new();

    if let Some(v) = upstream
        .pointer("/metadata/apiVersion")
        .and_then(Value::as_str)
    {
        if v != spec.service.version {
            out.push(format!(
                "version mismatch: spec {}, upstream {v}",
                spec.service.version
            ));
        }
    }

    let ours: Vec<_> = spec
        .actions
        .iter()
        .filter(|a| site.admits(a.sites))
        .collect();
    for (name, def) in actions {
        let Some(a) = ours.iter().find(|a| &a.name == name) else {
            out.push(format!("missing action: {name}"));
            continue;
        };
        let input = def.get("input").and_then(Value::as_str).unwrap_or_default();
        let output = def
            .get("output")
            .and_then(Value::as_str)
            .unwrap_or_default();
        compare_members(
            &mut out,
            &format!("{name}.input"),
            &a.input,
            &upstream_members(upstream, input)?,
            site,
            Checks {
                required: true,
                output: false,
            },
        );
        compare_members(
            &mut out,
            &format!("{name}.output"),
            &a.output,
            &upstream_members(upstream, output)?,
            site,
            Checks {
                required: false,
                output: true,
            },
        );
    }
    for a in &ours {
        if !actions.contains_key(&a.name) {
            out.push(format!("extra action: {}", a.name));
        }
    }

    let upstream_types: BTreeSet<&str> = objects
        .keys()
        .map(String::as_str)
        .filter(|k| {
            !actions.values().any(|a| {
                a.get("input").and_then(Value::as_str) == Some(k)
                    || a.get("output").and_then(Value::as_str) == Some(k)
            })
        })
        .collect();
    for name in &upstream_types {
        match spec.type_def(name) {
            None => out.push(format!("missing type: {name}")),
            Some(t) => compare_members(
                &mut out,
                name,
                &t.members,
                &upstream_members(upstream, name)?,
                SiteFilter::Intl,
                Checks {
                    required: true,
                    output: true,
                },
            ),
        }
    }
    // A type only the other site uses is not drift; one nothing references is.
    for t in &spec.types {
        if !upstream_types.contains(t.name.as_str()) && site == SiteFilter::Intl {
            out.push(format!("extra type: {}", t.name));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Value {
        let path = crate::workspace_root().join("xtask/fixtures").join(name);
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    fn mini() -> Checked {
        let path = crate::workspace_root().join("car-spec/tests/fixtures/mini.json");
        car_spec::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn matching_file_has_no_drift() {
        let d = diff(&mini(), &fixture("mini-api.json"), SiteFilter::Intl).unwrap();
        assert!(d.is_empty(), "{d:#?}");
    }

    #[test]
    fn every_kind_of_drift_is_listed() {
        let d = diff(&mini(), &fixture("mini-api-drift.json"), SiteFilter::Intl).unwrap();
        let expect = [
            "missing action: DeleteWidget",
            "extra action: CreateWidget",
            "missing member: DescribeWidgets.input.Region (upstream has it, the spec does not)",
            "extra member: DescribeWidgets.input.Type (the spec has it, upstream does not)",
            "type mismatch: DescribeWidgets.input.Limit: spec `uint64`, upstream `int64`",
            "required mismatch: DescribeWidgets.input.Offset: spec true, upstream false",
            "type mismatch: DescribeWidgets.output.Widgets: spec `list[Widget]`, upstream `Widget`",
            "missing type: Gadget",
            "nullable mismatch: Widget.WidgetId: spec true, upstream false",
            "output_required mismatch: DescribeWidgets.output.Total: spec true, upstream false",
            "extra type: Empty",
        ];
        for e in expect {
            assert!(d.iter().any(|l| l == e), "expected `{e}` in {d:#?}");
        }
        assert_eq!(d.len(), expect.len(), "{d:#?}");
    }

    #[test]
    fn site_filter_drops_other_site_members() {
        // The China site also takes `LegacyMode`; the intl fixture lacks it, so a cn
        // comparison against the same file reports it.
        let d = diff(&mini(), &fixture("mini-api.json"), SiteFilter::Cn).unwrap();
        assert!(
            d.iter()
                .any(|l| l.contains("extra member: DescribeWidgets.input.LegacyMode")),
            "{d:#?}"
        );
    }

    #[test]
    fn not_an_api_json() {
        assert!(diff(&mini(), &serde_json::json!({"x": 1}), SiteFilter::Intl).is_err());
    }
}
