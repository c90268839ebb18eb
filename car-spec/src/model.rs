//! The spec as written on disk: plain serde types, no interpretation beyond shape.
//!
//! Everything here mirrors `spec/car.json` one to one. Meaning (type references, enum
//! links, identifiers) is checked in [`crate::validate`], which turns a [`Spec`] into a
//! [`crate::Checked`] spec the generators can trust.

use serde::Deserialize;

/// A whole spec document.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub service: Service,
    pub actions: Vec<Action>,
    pub types: Vec<TypeDef>,
    pub enums: Vec<EnumDef>,
    /// Polling helpers: wait until a listed item reaches a state.
    #[serde(default)]
    pub waiters: Vec<WaiterDef>,
    /// The service's own error codes.
    pub errors: Vec<ErrorDef>,
    /// The codes every Tencent Cloud API 3.0 service may return.
    pub common_errors: Vec<ErrorDef>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Short name, also the TC3 signing service name (`car`).
    pub name: String,
    /// The `X-TC-Version` value.
    pub version: String,
    pub title: String,
    pub doc: String,
    pub endpoints: Endpoints,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoints {
    pub intl: String,
    pub cn: String,
}

/// A site that publishes the API: the international one or the China one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Site {
    Intl,
    Cn,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub name: String,
    pub doc: String,
    /// Free-form grouping used by docs and `--help` listings.
    pub category: String,
    pub sites: Vec<Site>,
    /// Requests per second the service allows for this action.
    pub rate_limit: u32,
    /// True when repeating the call after a network failure cannot change anything
    /// (read-only actions), so the runtime may retry it.
    pub retry_safe: bool,
    /// Offset/limit paging, for actions that list page by page.
    #[serde(default)]
    pub paginator: Option<PaginatorDef>,
    pub input: Vec<Member>,
    /// Response members; `RequestId` is implied and never listed.
    pub output: Vec<Member>,
    /// Codes this action is documented to return; each must be in `errors` or `common_errors`.
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// The wire name, exactly as Tencent spells it.
    pub name: String,
    /// `string`, `int64`, `uint64`, `bool`, `datetime`, a type name, or `list[...]` of those.
    #[serde(rename = "type")]
    pub ty: String,
    #[serde(default)]
    pub required: bool,
    /// Upstream promises this response member is always sent (`output_required`).
    #[serde(default)]
    pub output_required: bool,
    /// The server may send `null` for this member.
    #[serde(default)]
    pub nullable: bool,
    /// Holds a secret: redacted in `Debug`, logs and CLI debug output.
    #[serde(default)]
    pub sensitive: bool,
    /// An identifier that is half a secret (a temporary SecretId): `Debug` shows only
    /// its first characters, the way `Credentials` shows its own.
    #[serde(default)]
    pub masked: bool,
    /// Name of an enum in `enums` giving the documented values of a string member.
    #[serde(default, rename = "enum")]
    pub enum_name: Option<String>,
    /// Restricts the member to some sites; absent means every site of its action.
    #[serde(default)]
    pub sites: Option<Vec<Site>>,
    pub doc: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeDef {
    pub name: String,
    pub doc: String,
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumDef {
    pub name: String,
    pub doc: String,
    pub values: Vec<EnumValue>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumValue {
    /// The string on the wire.
    pub value: String,
    /// Rust variant name, when the value does not make a good one (e.g. the empty string).
    #[serde(default)]
    pub name: Option<String>,
    pub doc: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorDef {
    pub code: String,
    pub doc: String,
}

/// How an action pages: which input members move the window, which output members
/// carry the total and the items.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaginatorDef {
    /// Input member holding the number of items to skip.
    pub offset: String,
    /// Input member holding the page size.
    pub limit: String,
    /// Output member holding the number of items matching the query.
    pub total: String,
    /// Output list members holding a page's items; with several, each needs a variant.
    pub items: Vec<PageItems>,
}

/// One output list of a paginated action.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageItems {
    pub member: String,
    /// Variant of the generated item enum, when a page has several lists.
    #[serde(default)]
    pub variant: Option<String>,
}

/// Polls `action` until the item of `list` whose `key` member equals a given value
/// reaches one of the `success` states (or one of the `failure` states).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaiterDef {
    /// UpperCamelCase; the client method is `wait_until_<snake_case name>`.
    pub name: String,
    pub doc: String,
    pub action: String,
    /// Output list member of `action` to search.
    pub list: String,
    /// Member of the list's items that identifies the awaited item.
    pub key: String,
    /// Member of the list's items holding the state.
    pub state: String,
    pub success: Vec<String>,
    pub failure: Vec<String>,
    /// What it means when the awaited item is not in the list.
    pub absent: Absent,
}

/// A waiter's reading of an item missing from the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Absent {
    /// Not there yet: keep polling.
    Pending,
    /// Gone, which is what the waiter waits for.
    Success,
    /// Gone for good: stop with a failure.
    Failure,
}
