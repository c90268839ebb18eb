//! `docs/reference.md`: the action, enum and error-code tables, rendered from the spec.

use std::fmt::Write;

use car_spec::Checked;

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn sites(intl: bool, cn: bool) -> &'static str {
    match (intl, cn) {
        (true, true) => "intl, cn",
        (true, false) => "intl",
        (false, true) => "cn",
        (false, false) => "-",
    }
}

/// The whole reference page.
pub fn reference(spec: &Checked) -> String {
    let s = &spec.service;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!-- Generated from spec/car.json by `cargo xtask codegen`; do not edit. -->\n"
    );
    let _ = writeln!(
        out,
        "# {} API reference ({}, version {})\n",
        s.title, s.name, s.version
    );
    let _ = writeln!(out, "{}\n", s.doc);
    let _ = writeln!(
        out,
        "Endpoints: `{}` (international, the default) and `{}` (China).\n",
        s.endpoints.intl, s.endpoints.cn
    );

    let _ = writeln!(out, "## Actions\n");
    let _ = writeln!(out, "Rate limits are requests per second. Retry-safe actions are read-only and are retried after network failures; the others are retried only when the request provably never left or the server throttled it.\n");
    let _ = writeln!(
        out,
        "| Action | CLI command | Sites | Rate limit | Retry-safe | What it does |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for a in &spec.actions {
        let _ = writeln!(
            out,
            "| `{}` | `car {}` | {} | {} | {} | {} |",
            a.name,
            a.method.replace('_', "-"),
            sites(a.sites.intl, a.sites.cn),
            a.rate_limit,
            if a.retry_safe { "yes" } else { "no" },
            cell(&a.doc)
        );
    }

    let _ = writeln!(out, "\n## Parameters\n");
    for a in &spec.actions {
        let _ = writeln!(out, "### {}\n", a.name);
        let _ = writeln!(out, "{}\n", a.doc);
        if a.input.is_empty() {
            let _ = writeln!(out, "No parameters.\n");
        } else {
            let _ = writeln!(out, "| Parameter | Type | Required | Description |");
            let _ = writeln!(out, "|---|---|---|---|");
            for m in &a.input {
                let ty = match &m.enum_name {
                    Some(e) => format!("{} ({e})", m.ty.spec_name()),
                    None => m.ty.spec_name(),
                };
                let mut doc = cell(&m.doc);
                if !(m.sites.intl && m.sites.cn) {
                    doc.push_str(&format!(" Sites: {}.", sites(m.sites.intl, m.sites.cn)));
                }
                let _ = writeln!(
                    out,
                    "| `{}` | `{}` | {} | {} |",
                    m.wire,
                    ty,
                    if m.required { "yes" } else { "no" },
                    doc
                );
            }
            out.push('\n');
        }
        // Promised, never-null members are plain values in Rust; the rest are optional.
        let outputs: Vec<String> = a
            .output
            .iter()
            .map(|m| {
                if car_spec::validate::is_plain_output(m) {
                    m.wire.clone()
                } else {
                    format!("{} (optional)", m.wire)
                }
            })
            .chain(["RequestId".to_string()])
            .collect();
        let _ = writeln!(
            out,
            "Returns: {}.\n",
            outputs
                .iter()
                .map(|o| format!("`{o}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if !a.errors.is_empty() {
            let _ = writeln!(
                out,
                "Errors: {}.\n",
                a.errors
                    .iter()
                    .map(|e| format!("`{e}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }

    paging_and_waiting(&mut out, spec);
    let _ = writeln!(out, "## Enums\n");
    let _ = writeln!(
        out,
        "Documented values; the server may send others, which the SDK keeps as `Unknown(..)`.\n"
    );
    for e in &spec.enums {
        let values: Vec<String> = e.values.iter().map(|v| format!("`{}`", v.value)).collect();
        let _ = writeln!(
            out,
            "- **{}**: {} Values: {}.",
            e.name,
            e.doc,
            values.join(", ")
        );
    }

    let _ = writeln!(out, "\n## Error codes\n");
    let _ = writeln!(out, "| Code | Kind | Meaning |");
    let _ = writeln!(out, "|---|---|---|");
    for e in &spec.errors {
        let kind = match (e.service, e.common) {
            (true, true) => "service, common",
            (true, false) => "service",
            _ => "common",
        };
        let _ = writeln!(out, "| `{}` | {} | {} |", e.code, kind, cell(&e.doc));
    }
    out
}

/// The paginated actions and the waiters, with what ends them.
fn paging_and_waiting(out: &mut String, spec: &Checked) {
    let _ = writeln!(out, "## Paginators\n");
    let _ = writeln!(out, "`Client::<action>_paginator(request)` pages by `Offset`/`Limit` and yields `pages()` or `items()` as streams. Paging stops on an empty page, a page shorter than `Limit`, or the total reached; a server that sends the same page again ends the stream with an error.\n");
    let _ = writeln!(out, "| Action | Offset | Limit | Total | Items |");
    let _ = writeln!(out, "|---|---|---|---|---|");
    for a in &spec.actions {
        let Some(p) = &a.paginator else { continue };
        let items: Vec<String> = p
            .items
            .iter()
            .map(|(i, v)| match v {
                Some(v) => format!("`{}` ({v})", a.output[*i].wire),
                None => format!("`{}`", a.output[*i].wire),
            })
            .collect();
        let _ = writeln!(
            out,
            "| `{}` | `{}` | `{}` | `{}` | {} |",
            a.name,
            a.input[p.offset].wire,
            a.input[p.limit].wire,
            a.output[p.total].wire,
            items.join(", ")
        );
    }
    let _ = writeln!(out, "\n## Waiters\n");
    let _ = writeln!(out, "`Client::wait_until_<waiter>(request, key, &policy)` polls the action until the list entry whose key member equals `key` reaches a success state; a failure state or the policy's timeout ends it with an error.\n");
    let _ = writeln!(
        out,
        "| Waiter | Action | Entry of | Key | State | Success | Failure | Entry absent |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    let states = |v: &[String]| {
        if v.is_empty() {
            "-".to_string()
        } else {
            v.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    for w in &spec.waiters {
        let (Some(a), Some(t)) = (spec.action(&w.action), spec.type_def(&w.item_type)) else {
            continue;
        };
        let absent = match w.absent {
            car_spec::model::Absent::Pending => "keep waiting",
            car_spec::model::Absent::Success => "success",
            car_spec::model::Absent::Failure => "failure",
        };
        let _ = writeln!(
            out,
            "| `{}` | `{}` | `{}` | `{}` | `{}` | {} | {} | {absent} |",
            w.method,
            a.name,
            a.output[w.list].wire,
            t.members[w.key].wire,
            t.members[w.state].wire,
            states(&w.success),
            states(&w.failure)
        );
    }
    out.push('\n');
}
