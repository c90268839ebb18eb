//! Turns a parsed [`Spec`] into a [`Checked`] one, or into a list of mistakes that each
//! name the JSON path and the action, type or member involved.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use heck::{ToSnakeCase, ToUpperCamelCase};

use crate::model::{Absent, Action, EnumDef, ErrorDef, Member, Site, Spec, TypeDef, WaiterDef};

/// One mistake in the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// Where in the document, e.g. `$.actions[3].input[1].type`.
    pub path: String,
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// A member's resolved type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    String,
    Int64,
    UInt64,
    Bool,
    /// An ISO-8601 timestamp, carried as a string.
    DateTime,
    /// A data type from the spec's `types`.
    Object(String),
    List(Box<Ty>),
}

impl Ty {
    /// The spec's own spelling, e.g. `list[Filter]`.
    pub fn spec_name(&self) -> String {
        match self {
            Ty::String => "string".into(),
            Ty::Int64 => "int64".into(),
            Ty::UInt64 => "uint64".into(),
            Ty::Bool => "bool".into(),
            Ty::DateTime => "datetime".into(),
            Ty::Object(n) => n.clone(),
            Ty::List(t) => format!("list[{}]", t.spec_name()),
        }
    }

    /// The innermost scalar or object type of a (possibly nested) list.
    pub fn element(&self) -> &Ty {
        match self {
            Ty::List(t) => t.element(),
            t => t,
        }
    }
}

/// Which sites publish an action or member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sites {
    pub intl: bool,
    pub cn: bool,
}

impl Sites {
    fn from_list(list: &[Site]) -> Sites {
        Sites {
            intl: list.contains(&Site::Intl),
            cn: list.contains(&Site::Cn),
        }
    }
}

#[derive(Debug, Clone)]
pub struct CheckedMember {
    /// Wire name, e.g. `SecretID`.
    pub wire: String,
    /// Rust field name in snake_case, without any `r#` prefix.
    pub field: String,
    pub ty: Ty,
    pub required: bool,
    pub output_required: bool,
    pub nullable: bool,
    pub sensitive: bool,
    pub masked: bool,
    pub enum_name: Option<String>,
    pub sites: Sites,
    pub doc: String,
}

/// Offset/limit paging of an action, with every member resolved.
#[derive(Debug, Clone)]
pub struct CheckedPaginator {
    /// Index into the action's input.
    pub offset: usize,
    pub limit: usize,
    /// Index into the action's output.
    pub total: usize,
    /// Output list members, each with its item enum variant (set when there are several).
    pub items: Vec<(usize, Option<String>)>,
}

/// A waiter whose action, list, key and state members all exist.
#[derive(Debug, Clone)]
pub struct CheckedWaiter {
    pub name: String,
    /// `wait_until_<snake name>`.
    pub method: String,
    pub doc: String,
    pub action: String,
    /// Index into the action's output.
    pub list: usize,
    /// The list's item type.
    pub item_type: String,
    /// Indexes into the item type's members.
    pub key: usize,
    pub state: usize,
    pub success: Vec<String>,
    pub failure: Vec<String>,
    pub absent: Absent,
}

#[derive(Debug, Clone)]
pub struct CheckedAction {
    pub name: String,
    /// Client method name, e.g. `describe_cos_credential`.
    pub method: String,
    pub doc: String,
    pub category: String,
    pub sites: Sites,
    pub rate_limit: u32,
    pub retry_safe: bool,
    pub paginator: Option<CheckedPaginator>,
    pub input: Vec<CheckedMember>,
    pub output: Vec<CheckedMember>,
    pub errors: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct CheckedType {
    pub name: String,
    pub doc: String,
    pub members: Vec<CheckedMember>,
    /// Reachable from some action's input, so callers build values of it.
    pub in_input: bool,
    /// Reachable from some action's output, so the server sends values of it.
    pub in_output: bool,
}

impl CheckedType {
    /// Whether `m` (one of this type's members) is generated as a plain value rather
    /// than an `Option`. Types callers build follow the input `required` flag, so
    /// nothing optional has to be invented for a request; types only the server
    /// sends follow upstream's `output_required`. Nullable members are always optional.
    pub fn is_plain(&self, m: &CheckedMember) -> bool {
        let promised = if self.in_input {
            m.required
        } else {
            m.output_required
        };
        promised && !m.nullable
    }
}

/// Whether response member `m` is generated as a plain value: upstream promises it and
/// never sends null.
pub fn is_plain_output(m: &CheckedMember) -> bool {
    m.output_required && !m.nullable
}

#[derive(Debug, Clone)]
pub struct CheckedEnumValue {
    pub value: String,
    pub variant: String,
    pub doc: String,
}

#[derive(Debug, Clone)]
pub struct CheckedEnum {
    pub name: String,
    pub doc: String,
    pub values: Vec<CheckedEnumValue>,
}

#[derive(Debug, Clone)]
pub struct CheckedError {
    pub code: String,
    pub variant: String,
    pub doc: String,
    /// Listed among the service's own codes.
    pub service: bool,
    /// Listed among the common API 3.0 codes.
    pub common: bool,
}

/// A spec that passed every check: generators may rely on every reference resolving.
#[derive(Debug, Clone)]
pub struct Checked {
    pub service: crate::model::Service,
    pub actions: Vec<CheckedAction>,
    pub types: Vec<CheckedType>,
    pub enums: Vec<CheckedEnum>,
    /// Service codes first, then common codes not already listed, each once.
    pub errors: Vec<CheckedError>,
    pub waiters: Vec<CheckedWaiter>,
}

impl Checked {
    pub fn action(&self, name: &str) -> Option<&CheckedAction> {
        self.actions.iter().find(|a| a.name == name)
    }
    pub fn type_def(&self, name: &str) -> Option<&CheckedType> {
        self.types.iter().find(|t| t.name == name)
    }
    pub fn enum_def(&self, name: &str) -> Option<&CheckedEnum> {
        self.enums.iter().find(|e| e.name == name)
    }
}

const RUST_KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "gen", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Keywords that cannot be raw identifiers, so a field named after one gets a `_` suffix.
const NON_RAW_KEYWORDS: &[&str] = &["crate", "self", "Self", "super"];

/// True when `name` is a Rust keyword (so generated code must write it as `r#name`).
pub fn is_keyword(name: &str) -> bool {
    RUST_KEYWORDS.contains(&name)
}

/// snake_case Rust name for a wire name, as used for fields and methods.
pub fn snake(name: &str) -> String {
    let s = name.to_snake_case();
    if NON_RAW_KEYWORDS.contains(&s.as_str()) {
        format!("{s}_")
    } else {
        s
    }
}

fn is_pascal_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_alphanumeric())
}

fn is_error_code(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(is_pascal_ident_loose)
}

// Error code segments may start with a lowercase letter in some Tencent services.
fn is_pascal_ident_loose(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric())
}

/// The Rust variant name for an enum value with no explicit `name`.
pub fn variant_for_value(value: &str) -> String {
    value.to_upper_camel_case()
}

/// The Rust variant name for an error code: its dotted segments joined.
pub fn variant_for_code(code: &str) -> String {
    code.split('.').map(|s| s.to_upper_camel_case()).collect()
}

struct Checker {
    errors: Vec<SpecError>,
}

/// Which member list is being checked: each allows different flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Input,
    Output,
    Type,
}

/// The names member types may refer to.
struct Scope<'a> {
    types: &'a HashSet<&'a str>,
    enums: &'a HashMap<&'a str, &'a EnumDef>,
    codes: &'a HashSet<&'a str>,
}

impl Checker {
    fn err(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(SpecError {
            path: path.into(),
            message: message.into(),
        });
    }

    fn require_doc(&mut self, path: &str, what: &str, doc: &str) {
        if doc.trim().is_empty() {
            self.err(
                format!("{path}.doc"),
                format!("{what} has no doc string; write one sentence saying what it is"),
            );
        }
    }

    fn parse_ty(
        &mut self,
        path: &str,
        owner: &str,
        text: &str,
        types: &HashSet<&str>,
    ) -> Option<Ty> {
        let t = text.trim();
        let ty = match t {
            "string" => Ty::String,
            "int64" => Ty::Int64,
            "uint64" => Ty::UInt64,
            "bool" => Ty::Bool,
            "datetime" => Ty::DateTime,
            _ if t.starts_with("list[") && t.ends_with(']') => {
                let inner = self.parse_ty(path, owner, &t[5..t.len() - 1], types)?;
                Ty::List(Box::new(inner))
            }
            _ if types.contains(t) => Ty::Object(t.to_string()),
            _ => {
                let mut known: Vec<&str> = types.iter().copied().collect();
                known.sort_unstable();
                self.err(
                    path,
                    format!(
                        "{owner}: unknown type `{t}`; expected string, int64, uint64, bool, datetime, list[...] or a type from `types` ({})",
                        known.join(", ")
                    ),
                );
                return None;
            }
        };
        Some(ty)
    }

    fn members(
        &mut self,
        path: &str,
        owner: &str,
        members: &[Member],
        parent_sites: Sites,
        side: Side,
        scope: &Scope<'_>,
    ) -> Vec<CheckedMember> {
        let (types, enums) = (scope.types, scope.enums);
        let mut out = Vec::new();
        let mut seen_wire: HashMap<&str, usize> = HashMap::new();
        let mut seen_field: HashMap<String, String> = HashMap::new();
        for (i, m) in members.iter().enumerate() {
            let mpath = format!("{path}[{i}]");
            let who = format!("{owner} member `{}`", m.name);
            if !is_pascal_ident(&m.name) {
                self.err(
                    format!("{mpath}.name"),
                    format!("{owner}: `{}` is not a valid member name (expected ASCII letters and digits starting with an uppercase letter)", m.name),
                );
                continue;
            }
            if let Some(first) = seen_wire.insert(&m.name, i) {
                self.err(
                    format!("{mpath}.name"),
                    format!(
                        "{owner}: duplicate member `{}` (first at index {first})",
                        m.name
                    ),
                );
                continue;
            }
            let field = snake(&m.name);
            if field == "request_id" && side == Side::Output {
                self.err(
                    format!("{mpath}.name"),
                    format!("{owner}: `RequestId` is implied on every response; do not list it"),
                );
                continue;
            }
            if let Some(other) = seen_field.insert(field.clone(), m.name.clone()) {
                self.err(
                    format!("{mpath}.name"),
                    format!("{owner}: member `{}` and member `{other}` both become the Rust field `{field}`", m.name),
                );
                continue;
            }
            self.require_doc(&mpath, &who, &m.doc);
            if field == "extra" && side != Side::Input {
                self.err(
                    format!("{mpath}.name"),
                    format!("{owner}: the Rust field `extra` holds members the spec does not know; rename the member"),
                );
                continue;
            }
            if m.output_required && side == Side::Input {
                self.err(
                    format!("{mpath}.output_required"),
                    format!(
                        "{who}: `output_required` applies to response members and data types only"
                    ),
                );
            }
            if m.masked && (m.sensitive || m.ty.trim() != "string") {
                self.err(format!("{mpath}.masked"), format!("{who}: `masked` is for string identifiers that are not otherwise `sensitive`"));
            }
            if side == Side::Output && m.required {
                self.err(format!("{mpath}.required"), format!("{who}: `required` applies to inputs only; responses may always omit a member"));
            }
            let Some(ty) = self.parse_ty(&format!("{mpath}.type"), &who, &m.ty, types) else {
                continue;
            };
            if let Some(e) = &m.enum_name {
                match enums.get(e.as_str()) {
                    None => self.err(
                        format!("{mpath}.enum"),
                        format!("{who}: unknown enum `{e}`"),
                    ),
                    Some(_) if *ty.element() != Ty::String => self.err(
                        format!("{mpath}.enum"),
                        format!(
                            "{who}: `enum` needs a string or list of strings, not `{}`",
                            m.ty
                        ),
                    ),
                    Some(_) => {}
                }
            }
            let sites = match &m.sites {
                None => parent_sites,
                Some(list) => {
                    let s = Sites::from_list(list);
                    if list.is_empty()
                        || (s.intl && !parent_sites.intl)
                        || (s.cn && !parent_sites.cn)
                    {
                        self.err(
                            format!("{mpath}.sites"),
                            format!("{who}: sites must be a non-empty subset of its owner's sites"),
                        );
                    }
                    s
                }
            };
            out.push(CheckedMember {
                wire: m.name.clone(),
                field,
                ty,
                required: m.required,
                output_required: m.output_required,
                nullable: m.nullable,
                sensitive: m.sensitive,
                masked: m.masked,
                enum_name: m.enum_name.clone(),
                sites,
                doc: m.doc.trim().to_string(),
            });
        }
        out
    }
}

/// Checks every rule and returns the checked spec, or every mistake found.
pub fn check(spec: Spec) -> Result<Checked, Vec<SpecError>> {
    let mut c = Checker { errors: Vec::new() };
    let all_sites = Sites {
        intl: true,
        cn: true,
    };

    if spec.service.name.is_empty() || !spec.service.name.chars().all(|ch| ch.is_ascii_lowercase())
    {
        c.err(
            "$.service.name",
            format!(
                "service name `{}` must be lowercase ASCII letters",
                spec.service.name
            ),
        );
    }
    c.require_doc("$.service", "the service", &spec.service.doc);

    // Names Rust items will carry, to catch collisions between generated items.
    let mut item_names: HashMap<String, String> = HashMap::new();
    let mut claim = |c: &mut Checker, name: String, path: String| {
        if let Some(prev) = item_names.insert(name.clone(), path.clone()) {
            c.err(
                path,
                format!("the Rust item `{name}` would be generated twice (also from {prev})"),
            );
        }
    };

    let mut type_names: HashSet<&str> = HashSet::new();
    for (i, t) in spec.types.iter().enumerate() {
        let path = format!("$.types[{i}]");
        if !is_pascal_ident(&t.name) {
            c.err(
                format!("{path}.name"),
                format!(
                    "`{}` is not a valid type name (expected UpperCamelCase ASCII)",
                    t.name
                ),
            );
        } else if !type_names.insert(&t.name) {
            c.err(
                format!("{path}.name"),
                format!("duplicate type `{}`", t.name),
            );
        } else {
            claim(&mut c, t.name.clone(), path);
        }
    }

    let mut enums: HashMap<&str, &EnumDef> = HashMap::new();
    let mut checked_enums = Vec::new();
    for (i, e) in spec.enums.iter().enumerate() {
        let path = format!("$.enums[{i}]");
        if !is_pascal_ident(&e.name) {
            c.err(
                format!("{path}.name"),
                format!(
                    "`{}` is not a valid enum name (expected UpperCamelCase ASCII)",
                    e.name
                ),
            );
            continue;
        }
        if enums.insert(&e.name, e).is_some() {
            c.err(
                format!("{path}.name"),
                format!("duplicate enum `{}`", e.name),
            );
            continue;
        }
        claim(&mut c, e.name.clone(), path.clone());
        c.require_doc(&path, &format!("enum `{}`", e.name), &e.doc);
        checked_enums.push(check_enum(&mut c, &path, e));
    }

    let errors = check_errors(&mut c, &spec.errors, &spec.common_errors, &mut claim);
    let codes: HashSet<&str> = errors.iter().map(|e| e.code.as_str()).collect();
    let scope = Scope {
        types: &type_names,
        enums: &enums,
        codes: &codes,
    };

    let mut checked_types = Vec::new();
    for (i, t) in spec.types.iter().enumerate() {
        let path = format!("$.types[{i}]");
        c.require_doc(&path, &format!("type `{}`", t.name), &t.doc);
        let members = c.members(
            &format!("{path}.members"),
            &format!("type `{}`", t.name),
            &t.members,
            all_sites,
            Side::Type,
            &scope,
        );
        checked_types.push(CheckedType {
            name: t.name.clone(),
            doc: t.doc.trim().to_string(),
            members,
            in_input: false,
            in_output: false,
        });
    }
    check_type_cycles(&mut c, &spec.types);

    let mut checked_actions = Vec::new();
    let mut action_names: HashMap<&str, usize> = HashMap::new();
    for (i, a) in spec.actions.iter().enumerate() {
        let path = format!("$.actions[{i}]");
        if let Some(a) = check_action(&mut c, &path, i, a, &mut action_names, &scope, &mut claim) {
            checked_actions.push(a);
        }
    }

    mark_type_usage(&mut checked_types, &checked_actions);
    for t in &checked_types {
        if t.in_input && t.members.iter().any(|m| t.is_plain(m)) {
            claim(
                &mut c,
                format!("{}Required", t.name),
                format!("$.types (`{}`)", t.name),
            );
        }
    }
    let mut waiters = Vec::new();
    let mut waiter_names = HashSet::new();
    for (i, w) in spec.waiters.iter().enumerate() {
        let path = format!("$.waiters[{i}]");
        if !waiter_names.insert(w.name.as_str()) {
            c.err(
                format!("{path}.name"),
                format!("duplicate waiter `{}`", w.name),
            );
            continue;
        }
        if let Some(w) = check_waiter(
            &mut c,
            &path,
            w,
            &checked_actions,
            &checked_types,
            &checked_enums,
        ) {
            waiters.push(w);
        }
    }

    if c.errors.is_empty() {
        Ok(Checked {
            service: spec.service,
            actions: checked_actions,
            types: checked_types,
            enums: checked_enums,
            errors,
            waiters,
        })
    } else {
        Err(c.errors)
    }
}

fn check_enum(c: &mut Checker, path: &str, e: &EnumDef) -> crate::validate::CheckedEnum {
    let mut values = Vec::new();
    let mut seen_values = HashSet::new();
    let mut seen_variants: HashMap<String, String> = HashMap::new();
    for (j, v) in e.values.iter().enumerate() {
        let vpath = format!("{path}.values[{j}]");
        if !seen_values.insert(v.value.as_str()) {
            c.err(
                format!("{vpath}.value"),
                format!("enum `{}`: duplicate value `{}`", e.name, v.value),
            );
            continue;
        }
        let variant = v
            .name
            .clone()
            .unwrap_or_else(|| variant_for_value(&v.value));
        if !is_pascal_ident(&variant) || variant == "Unknown" {
            c.err(
                format!("{vpath}.name"),
                format!(
                    "enum `{}`: value `{}` gives the variant name `{variant}`, which is not usable; set \"name\" to an UpperCamelCase identifier other than `Unknown`",
                    e.name, v.value
                ),
            );
            continue;
        }
        if let Some(other) = seen_variants.insert(variant.clone(), v.value.clone()) {
            c.err(
                format!("{vpath}.value"),
                format!(
                    "enum `{}`: values `{}` and `{other}` both become the variant `{variant}`",
                    e.name, v.value
                ),
            );
            continue;
        }
        c.require_doc(
            &vpath,
            &format!("enum `{}` value `{}`", e.name, v.value),
            &v.doc,
        );
        values.push(CheckedEnumValue {
            value: v.value.clone(),
            variant,
            doc: v.doc.trim().to_string(),
        });
    }
    CheckedEnum {
        name: e.name.clone(),
        doc: e.doc.trim().to_string(),
        values,
    }
}

fn check_errors(
    c: &mut Checker,
    service: &[ErrorDef],
    common: &[ErrorDef],
    claim: &mut impl FnMut(&mut Checker, String, String),
) -> Vec<CheckedError> {
    let mut out: Vec<CheckedError> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut variants: HashMap<String, String> = HashMap::new();
    for (table, list, is_common) in [("errors", service, false), ("common_errors", common, true)] {
        let mut seen = HashSet::new();
        for (i, e) in list.iter().enumerate() {
            let path = format!("$.{table}[{i}]");
            if !is_error_code(&e.code) {
                c.err(format!("{path}.code"), format!("`{}` is not a valid error code (expected dotted identifiers like `FailedOperation.SlowDown`)", e.code));
                continue;
            }
            if !seen.insert(e.code.as_str()) {
                c.err(
                    format!("{path}.code"),
                    format!("duplicate error code `{}` in `{table}`", e.code),
                );
                continue;
            }
            c.require_doc(&path, &format!("error code `{}`", e.code), &e.doc);
            if let Some(&k) = index.get(&e.code) {
                out[k].common |= is_common;
                continue;
            }
            let variant = variant_for_code(&e.code);
            if let Some(other) = variants.insert(variant.clone(), e.code.clone()) {
                c.err(
                    format!("{path}.code"),
                    format!(
                        "error codes `{}` and `{other}` both become the variant `{variant}`",
                        e.code
                    ),
                );
                continue;
            }
            index.insert(e.code.clone(), out.len());
            out.push(CheckedError {
                code: e.code.clone(),
                variant,
                doc: e.doc.trim().to_string(),
                service: !is_common,
                common: is_common,
            });
        }
    }
    claim(c, "ErrorCode".into(), "$.errors".into());
    out
}

fn check_action<'s>(
    c: &mut Checker,
    path: &str,
    i: usize,
    a: &'s Action,
    names: &mut HashMap<&'s str, usize>,
    scope: &Scope<'_>,
    claim: &mut impl FnMut(&mut Checker, String, String),
) -> Option<CheckedAction> {
    if !is_pascal_ident(&a.name) {
        c.err(format!("{path}.name"), format!("`{}` is not a valid action name (expected UpperCamelCase ASCII, like `DescribeApplicationList`)", a.name));
        return None;
    }
    if let Some(first) = names.insert(&a.name, i) {
        c.err(
            format!("{path}.name"),
            format!(
                "duplicate action `{}` (first at $.actions[{first}])",
                a.name
            ),
        );
        return None;
    }
    let who = format!("action `{}`", a.name);
    claim(c, format!("{}Request", a.name), path.to_string());
    claim(c, format!("{}Response", a.name), path.to_string());
    c.require_doc(path, &who, &a.doc);
    if a.sites.is_empty() {
        c.err(
            format!("{path}.sites"),
            format!("{who}: list at least one site (`intl`, `cn`)"),
        );
    }
    if a.rate_limit == 0 {
        c.err(
            format!("{path}.rate_limit"),
            format!("{who}: rate_limit must be at least 1 request per second"),
        );
    }
    let sites = Sites::from_list(&a.sites);
    let input = c.members(
        &format!("{path}.input"),
        &format!("{who} input"),
        &a.input,
        sites,
        Side::Input,
        scope,
    );
    let output = c.members(
        &format!("{path}.output"),
        &format!("{who} output"),
        &a.output,
        sites,
        Side::Output,
        scope,
    );
    let mut seen = HashSet::new();
    for (j, code) in a.errors.iter().enumerate() {
        if !scope.codes.contains(code.as_str()) {
            c.err(
                format!("{path}.errors[{j}]"),
                format!("{who}: error code `{code}` is not in `errors` or `common_errors`"),
            );
        } else if !seen.insert(code.as_str()) {
            c.err(
                format!("{path}.errors[{j}]"),
                format!("{who}: error code `{code}` is listed twice"),
            );
        }
    }
    let paginator = a
        .paginator
        .as_ref()
        .and_then(|p| check_paginator(c, &format!("{path}.paginator"), &who, p, &input, &output));
    if paginator.is_some() {
        claim(c, format!("{}Item", a.name), format!("{path}.paginator"));
    }
    if input.iter().any(|m| m.required) {
        claim(c, format!("{}Required", a.name), path.to_string());
    }
    Some(CheckedAction {
        paginator,
        name: a.name.clone(),
        method: snake(&a.name),
        doc: a.doc.trim().to_string(),
        category: a.category.clone(),
        sites,
        rate_limit: a.rate_limit,
        retry_safe: a.retry_safe,
        input,
        output,
        errors: a.errors.clone(),
    })
}

/// A type that contains itself without a list in between would be infinitely large.
fn check_type_cycles(c: &mut Checker, types: &[TypeDef]) {
    let direct: BTreeMap<&str, Vec<&str>> = types
        .iter()
        .map(|t| {
            let refs = t.members.iter().filter_map(|m| {
                let ty = m.ty.trim();
                (!ty.starts_with("list[")
                    && ty.chars().next().is_some_and(|ch| ch.is_ascii_uppercase()))
                .then_some(ty)
            });
            (t.name.as_str(), refs.collect())
        })
        .collect();
    for (i, t) in types.iter().enumerate() {
        let mut stack = vec![t.name.as_str()];
        let mut seen = HashSet::new();
        while let Some(n) = stack.pop() {
            for &r in direct.get(n).into_iter().flatten() {
                if r == t.name {
                    c.err(
                        format!("$.types[{i}]"),
                        format!(
                            "type `{}` contains itself; put the recursive member in a list",
                            t.name
                        ),
                    );
                    return;
                }
                if seen.insert(r) {
                    stack.push(r);
                }
            }
        }
    }
}

fn is_int64(ty: &Ty) -> bool {
    matches!(ty, Ty::Int64)
}

fn check_paginator(
    c: &mut Checker,
    path: &str,
    who: &str,
    p: &crate::model::PaginatorDef,
    input: &[CheckedMember],
    output: &[CheckedMember],
) -> Option<CheckedPaginator> {
    let find = |list: &[CheckedMember], name: &str| list.iter().position(|m| m.wire == name);
    let mut ok = true;
    let integer =
        |c: &mut Checker, list: &[CheckedMember], name: &str, key: &str, side: &str| match find(
            list, name,
        ) {
            Some(i) if is_int64(&list[i].ty) => Some(i),
            Some(_) => {
                c.err(
                    format!("{path}.{key}"),
                    format!("{who}: paginator {key} `{name}` must be an int64 {side} member"),
                );
                None
            }
            None => {
                c.err(
                    format!("{path}.{key}"),
                    format!("{who}: paginator {key} `{name}` is not an {side} member"),
                );
                None
            }
        };
    let offset = integer(c, input, &p.offset, "offset", "input");
    let limit = integer(c, input, &p.limit, "limit", "input");
    let total = integer(c, output, &p.total, "total", "output");
    if p.items.is_empty() {
        c.err(
            format!("{path}.items"),
            format!("{who}: a paginator needs at least one item list"),
        );
        ok = false;
    }
    let mut items = Vec::new();
    let mut variants = HashSet::new();
    for (j, it) in p.items.iter().enumerate() {
        let ipath = format!("{path}.items[{j}]");
        match find(output, &it.member) {
            Some(i) if matches!(output[i].ty, Ty::List(_)) => {}
            _ => {
                c.err(
                    format!("{ipath}.member"),
                    format!(
                        "{who}: paginator items `{}` must be an output list member",
                        it.member
                    ),
                );
                ok = false;
                continue;
            }
        }
        let variant = match (&it.variant, p.items.len()) {
            (None, 1) => None,
            (Some(v), n) if n > 1 && is_pascal_ident(v) && variants.insert(v.clone()) => {
                Some(v.clone())
            }
            _ => {
                c.err(format!("{ipath}.variant"), format!("{who}: with several item lists each needs a distinct UpperCamelCase `variant`; with one, none"));
                ok = false;
                continue;
            }
        };
        items.push((find(output, &it.member).unwrap_or_default(), variant));
    }
    match (offset, limit, total, ok) {
        (Some(offset), Some(limit), Some(total), true) => Some(CheckedPaginator {
            offset,
            limit,
            total,
            items,
        }),
        _ => None,
    }
}

fn check_waiter(
    c: &mut Checker,
    path: &str,
    w: &WaiterDef,
    actions: &[CheckedAction],
    types: &[CheckedType],
    enums: &[CheckedEnum],
) -> Option<CheckedWaiter> {
    let who = format!("waiter `{}`", w.name);
    if !is_pascal_ident(&w.name) {
        c.err(
            format!("{path}.name"),
            format!(
                "`{}` is not a valid waiter name (expected UpperCamelCase ASCII)",
                w.name
            ),
        );
        return None;
    }
    c.require_doc(path, &who, &w.doc);
    let Some(action) = actions.iter().find(|a| a.name == w.action) else {
        c.err(
            format!("{path}.action"),
            format!("{who}: unknown action `{}`", w.action),
        );
        return None;
    };
    let list = action.output.iter().position(|m| m.wire == w.list);
    let item_type = list.and_then(|i| match &action.output[i].ty {
        Ty::List(inner) => match inner.as_ref() {
            Ty::Object(n) => Some(n.clone()),
            _ => None,
        },
        _ => None,
    });
    let (Some(list), Some(item_type)) = (list, item_type) else {
        c.err(
            format!("{path}.list"),
            format!(
                "{who}: `{}` is not an output member of `{}` holding a list of a data type",
                w.list, w.action
            ),
        );
        return None;
    };
    let t = types.iter().find(|t| t.name == item_type)?;
    let string_member = |c: &mut Checker, name: &str, key: &str| {
        let i = t
            .members
            .iter()
            .position(|m| m.wire == name && m.ty == Ty::String);
        if i.is_none() {
            c.err(
                format!("{path}.{key}"),
                format!("{who}: `{name}` is not a string member of `{item_type}`"),
            );
        }
        i
    };
    let key = string_member(c, &w.key, "key");
    let state = string_member(c, &w.state, "state");
    let (key, state) = (key?, state?);
    if let Some(e) = t.members[state]
        .enum_name
        .as_ref()
        .and_then(|e| enums.iter().find(|x| &x.name == e))
    {
        for (list_name, values) in [("success", &w.success), ("failure", &w.failure)] {
            for (j, v) in values.iter().enumerate() {
                if !e.values.iter().any(|x| &x.value == v) {
                    c.err(
                        format!("{path}.{list_name}[{j}]"),
                        format!("{who}: `{v}` is not a value of enum `{}`", e.name),
                    );
                }
            }
        }
    }
    if w.success.is_empty() && w.absent != Absent::Success {
        c.err(format!("{path}.success"), format!("{who}: nothing would ever end the wait successfully; list success states or set `absent` to `success`"));
    }
    Some(CheckedWaiter {
        name: w.name.clone(),
        method: format!("wait_until_{}", snake(&w.name)),
        doc: w.doc.trim().to_string(),
        action: w.action.clone(),
        list,
        item_type,
        key,
        state,
        success: w.success.clone(),
        failure: w.failure.clone(),
        absent: w.absent,
    })
}

/// Marks each type reachable from an action's input or output, through nested types.
fn mark_type_usage(types: &mut [CheckedType], actions: &[CheckedAction]) {
    fn reach(types: &[CheckedType], from: &[CheckedMember], seen: &mut HashSet<String>) {
        for m in from {
            if let Ty::Object(n) = m.ty.element() {
                if seen.insert(n.clone()) {
                    if let Some(t) = types.iter().find(|t| &t.name == n) {
                        reach(types, &t.members, seen);
                    }
                }
            }
        }
    }
    let (mut ins, mut outs) = (HashSet::new(), HashSet::new());
    for a in actions {
        reach(types, &a.input, &mut ins);
        reach(types, &a.output, &mut outs);
    }
    for t in types.iter_mut() {
        t.in_input = ins.contains(&t.name);
        t.in_output = outs.contains(&t.name);
    }
}
