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
        let outputs: Vec<&str> = a
            .output
            .iter()
            .map(|m| m.wire.as_str())
            .chain(["RequestId"])
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
