//! The shapes of the static metadata tables the generator emits (`crate::metadata`).
//!
//! The CLI builds its commands from these tables, and the runtime reads rate limits and
//! retry safety from them, so a new action in the spec needs no hand-written code.

/// Which sites publish an action or member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sites {
    /// Published on the international site.
    pub intl: bool,
    /// Published on the China site.
    pub cn: bool,
}

/// A member's type as the wire sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A JSON string.
    String,
    /// A signed 64-bit integer.
    Int64,
    /// An unsigned 64-bit integer.
    UInt64,
    /// A JSON boolean.
    Bool,
    /// An ISO-8601 timestamp carried as a JSON string.
    DateTime,
    /// A data type, by name (see [`TypeMeta`]).
    Object(&'static str),
    /// A JSON array of the inner shape.
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
    /// Its JSON shape.
    pub shape: Shape,
    /// A request must carry it.
    pub required: bool,
    /// The server may send `null` for it.
    pub nullable: bool,
    /// Holds a secret; never print it.
    pub sensitive: bool,
    /// The enum listing its documented values, if any (see [`EnumMeta`]).
    pub enum_name: Option<&'static str>,
    /// The sites that accept it.
    pub sites: Sites,
    /// What it means.
    pub doc: &'static str,
}

/// One API action.
#[derive(Debug, Clone, Copy)]
pub struct ActionMeta {
    /// The action name, e.g. `DescribeCosCredential`.
    pub name: &'static str,
    /// Client method name, e.g. `describe_cos_credential`.
    pub method: &'static str,
    /// What the action does.
    pub doc: &'static str,
    /// Grouping used by docs and `--help` listings.
    pub category: &'static str,
    /// The sites that publish it.
    pub sites: Sites,
    /// Requests per second the service allows.
    pub rate_limit: u32,
    /// Read-only: safe to repeat after a network failure.
    pub retry_safe: bool,
    /// Request members.
    pub input: &'static [MemberMeta],
    /// Response members, `RequestId` excepted.
    pub output: &'static [MemberMeta],
    /// Error codes the action is documented to return.
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
    /// The type's Rust name.
    pub name: &'static str,
    /// What the type holds.
    pub doc: &'static str,
    /// Its members.
    pub members: &'static [MemberMeta],
}

/// A documented value of an enum.
#[derive(Debug, Clone, Copy)]
pub struct EnumValueMeta {
    /// The string on the wire.
    pub value: &'static str,
    /// What it means.
    pub doc: &'static str,
}

/// A closed set of documented string values (the server may still send others).
#[derive(Debug, Clone, Copy)]
pub struct EnumMeta {
    /// The enum's Rust name.
    pub name: &'static str,
    /// What the values describe.
    pub doc: &'static str,
    /// Every documented value.
    pub values: &'static [EnumValueMeta],
}

/// An error code from the spec's tables.
#[derive(Debug, Clone, Copy)]
pub struct ErrorCodeMeta {
    /// The code, e.g. `FailedOperation.ApplicationNotFind`.
    pub code: &'static str,
    /// What the code means.
    pub doc: &'static str,
    /// One of the service's own codes.
    pub service: bool,
    /// One of the common API 3.0 codes.
    pub common: bool,
}

/// The service itself.
#[derive(Debug, Clone, Copy)]
pub struct ServiceMeta {
    /// Short name, also the TC3 signing service name.
    pub name: &'static str,
    /// The `X-TC-Version` value.
    pub version: &'static str,
    /// The service's title.
    pub title: &'static str,
    /// What the service does.
    pub doc: &'static str,
    /// Host name of the international site.
    pub endpoint_intl: &'static str,
    /// Host name of the China site.
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
