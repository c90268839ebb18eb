//! Turns a parsed [`Spec`] into a [`Checked`] one, or into a list of mistakes that each
//! name the JSON path and the action, type or member involved.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use heck::{ToSnakeCase, ToUpperCamelCase};

use crate::model::{Action, EnumDef, ErrorDef, Member, Site, Spec, TypeDef};

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
    pub nullable: bool,
    pub sensitive: bool,
    pub enum_name: Option<String>,
    pub sites: Sites,
    pub doc: String,
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
    pub input: Vec<CheckedMember>,
    pub output: Vec<CheckedMember>,
    pub errors: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct CheckedType {
    pub name: String,
    pub doc: String,
    pub members: Vec<CheckedMember>,
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
        is_output: bool,
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
            if field == "request_id" && is_output {
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
            if is_output && m.required {
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
                nullable: m.nullable,
                sensitive: m.sensitive,
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
            false,
            &scope,
        );
        checked_types.push(CheckedType {
            name: t.name.clone(),
            doc: t.doc.trim().to_string(),
            members,
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

    if c.errors.is_empty() {
        Ok(Checked {
            service: spec.service,
            actions: checked_actions,
            types: checked_types,
            enums: checked_enums,
            errors,
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
        false,
        scope,
    );
    let output = c.members(
        &format!("{path}.output"),
        &format!("{who} output"),
        &a.output,
        sites,
        true,
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
    Some(CheckedAction {
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
