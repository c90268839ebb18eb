//! The shapes of the static metadata tables the generator emits (`crate::metadata`).
//!
//! The CLI builds its commands from these tables, and the runtime reads rate limits and
//! retry safety from them, so a new action in the spec needs no hand-written code.

/// Which sites publish an action or member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sites {
    pub intl: bool,
    pub cn: bool,
}

/// A member's type as the wire sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    String,
    Int64,
    UInt64,
    Bool,
    /// An ISO-8601 timestamp carried as a JSON string.
    DateTime,
    /// A data type, by name (see [`TypeMeta`]).
    Object(&'static str),
    List(&'static Shape),
}

impl Shape {
    /// The spec's spelling, e.g. `list[Filter]`.
    pub fn spec_name(&self) -> String {
        match self {
            Shape::String => "string".into(),
            Shape::Int64 => "int64".into(),
            Shape::UInt64 => "uint64".into(),
            Shape::Bool => "bool".into(),
            Shape::DateTime => "datetime".into(),
            Shape::Object(n) => (*n).into(),
            Shape::List(inner) => format!("list[{}]", inner.spec_name()),
        }
    }
}

/// One request or response member.
#[derive(Debug, Clone, Copy)]
pub struct MemberMeta {
    /// Name on the wire, e.g. `ApplicationId`.
    pub wire_name: &'static str,
    /// Rust field name, e.g. `application_id`.
    pub field_name: &'static str,
    pub shape: Shape,
    pub required: bool,
    pub nullable: bool,
    /// Holds a secret; never print it.
    pub sensitive: bool,
    /// The enum listing its documented values, if any (see [`EnumMeta`]).
    pub enum_name: Option<&'static str>,
    pub sites: Sites,
    pub doc: &'static str,
}

/// One API action.
#[derive(Debug, Clone, Copy)]
pub struct ActionMeta {
    pub name: &'static str,
    /// Client method name, e.g. `describe_cos_credential`.
    pub method: &'static str,
    pub doc: &'static str,
    pub category: &'static str,
    pub sites: Sites,
    /// Requests per second the service allows.
    pub rate_limit: u32,
    /// Read-only: safe to repeat after a network failure.
    pub retry_safe: bool,
    pub input: &'static [MemberMeta],
    pub output: &'static [MemberMeta],
    pub errors: &'static [&'static str],
}

impl ActionMeta {
    /// The input member with this wire name.
    pub fn input_member(&self, wire_name: &str) -> Option<&'static MemberMeta> {
        self.input.iter().find(|m| m.wire_name == wire_name)
    }
}

/// A data type.
#[derive(Debug, Clone, Copy)]
pub struct TypeMeta {
    pub name: &'static str,
    pub doc: &'static str,
    pub members: &'static [MemberMeta],
}

/// A documented value of an enum.
#[derive(Debug, Clone, Copy)]
pub struct EnumValueMeta {
    pub value: &'static str,
    pub doc: &'static str,
}

/// A closed set of documented string values (the server may still send others).
#[derive(Debug, Clone, Copy)]
pub struct EnumMeta {
    pub name: &'static str,
    pub doc: &'static str,
    pub values: &'static [EnumValueMeta],
}

/// An error code from the spec's tables.
#[derive(Debug, Clone, Copy)]
pub struct ErrorCodeMeta {
    pub code: &'static str,
    pub doc: &'static str,
    /// One of the service's own codes.
    pub service: bool,
    /// One of the common API 3.0 codes.
    pub common: bool,
}

/// The service itself.
#[derive(Debug, Clone, Copy)]
pub struct ServiceMeta {
    pub name: &'static str,
    pub version: &'static str,
    pub title: &'static str,
    pub doc: &'static str,
    pub endpoint_intl: &'static str,
    pub endpoint_cn: &'static str,
}

/// Looks an action up by its API name (`DescribeCosCredential`).
pub fn action(name: &str) -> Option<&'static ActionMeta> {
    crate::metadata::ACTIONS.iter().find(|a| a.name == name)
}

/// Looks a data type up by name.
pub fn type_meta(name: &str) -> Option<&'static TypeMeta> {
    crate::metadata::TYPES.iter().find(|t| t.name == name)
}

/// Looks an enum up by name.
pub fn enum_meta(name: &str) -> Option<&'static EnumMeta> {
    crate::metadata::ENUMS.iter().find(|e| e.name == name)
}

/// Looks an error code up.
pub fn error_code(code: &str) -> Option<&'static ErrorCodeMeta> {
    crate::metadata::ERROR_CODES.iter().find(|e| e.code == code)
}
