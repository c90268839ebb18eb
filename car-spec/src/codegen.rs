//! Spec -> Rust tokens. A plain function of the checked spec, so it is unit-tested and
//! snapshot-tested directly; `car-macros` only wraps it.
//!
//! The generated code expects the hand-written runtime of `car-api` at `crate::`
//! (`crate::Client`, `crate::Error`, `crate::Operation`, `crate::meta`, `crate::redact`,
//! `crate::service`).

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};

mod server;

use crate::model::Absent;
use crate::validate::{
    is_keyword, is_plain_output, Checked, CheckedAction, CheckedEnum, CheckedMember, CheckedType,
    CheckedWaiter, Sites, Ty,
};

/// Every item generated for a checked spec.
pub fn generate(spec: &Checked) -> TokenStream {
    let types = spec.types.iter().map(data_type);
    let enums = spec.enums.iter().map(string_enum_for);
    let requests = spec.actions.iter().map(request_type);
    let responses = spec.actions.iter().map(response_type);
    let error_code = error_code_enum(spec);
    let metadata = metadata(spec);
    let operations = spec
        .actions
        .iter()
        .enumerate()
        .map(|(i, a)| operation_impl(i, a));
    let methods = spec.actions.iter().map(|a| client_method(spec, a));
    let (item_enums, paginators): (Vec<_>, Vec<_>) =
        spec.actions.iter().map(paginator_impl).unzip();
    let waiters = spec.waiters.iter().map(|w| waiter_method(spec, w));
    let visit = visit_operation(spec);
    let service = server::service(spec);
    let service_doc = doc_attrs(&format!(
        "{} ({}), API version {}.",
        spec.service.title, spec.service.name, spec.service.version
    ));

    quote! {
        /// Data types and enums shared by requests and responses.
        pub mod types {
            #(#types)*
            #(#enums)*
        }

        /// One request type and one response type per action.
        pub mod operations {
            #[allow(unused_imports)]
            use super::types::*;
            #(#requests)*
            #(#responses)*
            #(#item_enums)*
            #(#paginators)*
        }

        #error_code

        #metadata

        #(#operations)*

        #visit

        #service

        #service_doc
        impl crate::Client {
            #(#methods)*
            #(#waiters)*
        }
    }
}

/// Pretty-prints generated tokens as a Rust source file.
pub fn pretty(tokens: TokenStream) -> Result<String, syn::Error> {
    let file: syn::File = syn::parse2(tokens)?;
    Ok(prettyplease::unparse(&file))
}

/// Parses, checks and pretty-prints the expansion of a spec document.
pub fn expand_to_string(src: &str) -> Result<String, String> {
    let checked = crate::parse(src).map_err(|errs| {
        errs.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    pretty(generate(&checked)).map_err(|e| e.to_string())
}

fn doc_attrs(doc: &str) -> TokenStream {
    let lines = doc.lines().map(|l| {
        let l = format!(" {l}");
        quote!(#[doc = #l])
    });
    quote!(#(#lines)*)
}

fn field_ident(m: &CheckedMember) -> Ident {
    if is_keyword(&m.field) {
        Ident::new_raw(&m.field, Span::call_site())
    } else {
        Ident::new(&m.field, Span::call_site())
    }
}

fn scalar_or_named(ty: &Ty, enum_name: Option<&str>) -> TokenStream {
    match ty {
        Ty::String | Ty::DateTime => match enum_name {
            Some(e) => {
                let e = format_ident!("{}", e);
                quote!(#e)
            }
            None => quote!(::std::string::String),
        },
        Ty::Int64 => quote!(i64),
        Ty::UInt64 => quote!(u64),
        Ty::Bool => quote!(bool),
        Ty::Object(n) => {
            let n = format_ident!("{}", n);
            quote!(#n)
        }
        Ty::List(inner) => {
            let inner = scalar_or_named(inner, enum_name);
            quote!(::std::vec::Vec<#inner>)
        }
    }
}

fn member_doc(m: &CheckedMember, is_input: bool) -> String {
    let mut doc = m.doc.clone();
    if m.ty == Ty::DateTime {
        doc.push_str("\n\nAn ISO-8601 timestamp, kept as the string the server sent.");
    }
    // Only what a caller sends depends on the site; responses are read the same way.
    if is_input && !(m.sites.intl && m.sites.cn) {
        let site = if m.sites.cn { "China" } else { "international" };
        doc.push_str(&format!("\n\nAccepted on the {site} site only."));
    }
    doc
}

/// How a struct's members are generated.
struct Shape<'a> {
    /// The struct's name, for the lenient-decoding helpers and log lines.
    owner: &'a str,
    /// Members are set by callers (requests and the types they contain).
    is_input: bool,
    /// A plain member the server leaves out or sends as null decodes to its default
    /// (and a debug log line) instead of failing the whole response.
    lenient: bool,
}

fn missing_fn(m: &CheckedMember) -> Ident {
    format_ident!("__missing_{}", m.field)
}

fn null_fn(m: &CheckedMember) -> Ident {
    format_ident!("__null_{}", m.field)
}

/// Struct fields with their serde attributes. `plain(m)` says which are not `Option`.
fn fields(
    shape: &Shape<'_>,
    members: &[CheckedMember],
    plain: impl Fn(&CheckedMember) -> bool,
) -> Vec<TokenStream> {
    let owner = format_ident!("{}", shape.owner);
    members
        .iter()
        .map(|m| {
            let ident = field_ident(m);
            let wire = &m.wire;
            let ty = scalar_or_named(&m.ty, m.enum_name.as_deref());
            let doc = doc_attrs(&member_doc(m, shape.is_input));
            if !plain(m) {
                quote! {
                    #doc
                    #[serde(rename = #wire, default, skip_serializing_if = "Option::is_none")]
                    pub #ident: ::std::option::Option<#ty>,
                }
            } else if shape.lenient {
                let missing = format!("{owner}::{}", missing_fn(m));
                let null = format!("{owner}::{}", null_fn(m));
                quote! {
                    #doc
                    #[serde(rename = #wire, default = #missing, deserialize_with = #null)]
                    pub #ident: #ty,
                }
            } else {
                quote! {
                    #doc
                    #[serde(rename = #wire)]
                    pub #ident: #ty,
                }
            }
        })
        .collect()
}

/// The functions serde calls for a lenient plain member that is missing or null.
fn lenient_helpers(
    shape: &Shape<'_>,
    members: &[CheckedMember],
    plain: impl Fn(&CheckedMember) -> bool,
) -> TokenStream {
    if !shape.lenient {
        return TokenStream::new();
    }
    let owner = shape.owner;
    let helpers = members.iter().filter(|m| plain(m)).map(|m| {
        let ty = scalar_or_named(&m.ty, m.enum_name.as_deref());
        let (missing, null, wire) = (missing_fn(m), null_fn(m), &m.wire);
        quote! {
            fn #missing() -> #ty {
                crate::wire::missing(#owner, #wire)
            }
            fn #null<'de, D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<#ty, D::Error> {
                crate::wire::non_null(deserializer, #owner, #wire)
            }
        }
    });
    let name = format_ident!("{}", owner);
    quote! {
        impl #name {
            #(#helpers)*
        }
    }
}

/// A `Debug` impl that prints sensitive members as redacted, masked identifiers by
/// their first characters, and of the members the spec does not know only the names.
fn debug_impl(
    name: &Ident,
    members: &[CheckedMember],
    extra: &[&str],
    unknown: bool,
) -> TokenStream {
    let label = name.to_string();
    let entries = members.iter().map(|m| {
        let ident = field_ident(m);
        let key = &m.field;
        if m.sensitive {
            quote!(.field(#key, &crate::redact::Redacted::of(&self.#ident)))
        } else if m.masked {
            quote!(.field(#key, &crate::wire::Masked(&self.#ident)))
        } else {
            quote!(.field(#key, &self.#ident))
        }
    });
    let extra = extra.iter().map(|f| {
        let ident = format_ident!("{}", f);
        quote!(.field(#f, &self.#ident))
    });
    let unknown = unknown
        .then(|| quote!(.field("extra", &self.extra.keys().collect::<::std::vec::Vec<_>>())));
    quote! {
        impl ::std::fmt::Debug for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(#label) #(#entries)* #(#extra)* #unknown .finish()
            }
        }
    }
}

/// The field that keeps response members the spec does not know.
fn extra_field() -> TokenStream {
    quote! {
        /// Members the server sent that this version of the client does not know, kept
        /// as received so nothing is lost when the service adds one.
        #[serde(flatten)]
        pub extra: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
    }
}

fn data_type(t: &CheckedType) -> TokenStream {
    let name = format_ident!("{}", t.name);
    let doc = doc_attrs(&t.doc);
    let plain = |m: &CheckedMember| t.is_plain(m);
    let shape = Shape {
        owner: &t.name,
        is_input: t.in_input,
        // Types callers build keep rejecting a missing required member; those only the
        // server sends are read leniently.
        lenient: !t.in_input,
    };
    let fields = fields(&shape, &t.members, plain);
    let helpers = lenient_helpers(&shape, &t.members, plain);
    let debug = debug_impl(&name, &t.members, &[], t.in_output);
    let default = (t.in_output || !t.members.iter().any(plain)).then(|| quote!(Default,));
    let extra = t.in_output.then(extra_field);
    let builder = t
        .in_input
        .then(|| builder_impl(&name, &t.name, &t.members, "value", t.in_output, plain));
    let accessors = concurrent_id_accessor(t);
    quote! {
        #doc
        #[derive(Clone, PartialEq, #default ::serde::Serialize, ::serde::Deserialize)]
        #[non_exhaustive]
        pub struct #name {
            #(#fields)*
            #extra
        }
        #debug
        #helpers
        #builder
        #accessors
    }
}

/// `ApplicationConcurrentPackage` has no documented members, yet four actions need the
/// `ConcurrentId` the server sends in it (Tencent's own examples show it).
fn concurrent_id_accessor(t: &CheckedType) -> Option<TokenStream> {
    (t.name == "ApplicationConcurrentPackage" && t.members.is_empty()).then(|| {
        let name = format_ident!("{}", t.name);
        quote! {
            impl #name {
                /// The package's `ConcurrentId`, as the server sent it; the ID that
                /// `ModifyConcurrentPackage`, `BindConcurrentPackagesToProject`,
                /// `UnbindConcurrentPackagesFromProject` and `ResetConcurrentPackages` take.
                pub fn concurrent_id(&self) -> ::std::option::Option<&str> {
                    self.extra.get("ConcurrentId").and_then(::serde_json::Value::as_str)
                }
            }
        }
    })
}

/// The type of a member as a plain struct field (no `Option`).
fn plain_ty(m: &CheckedMember) -> TokenStream {
    scalar_or_named(&m.ty, m.enum_name.as_deref())
}

/// `new(required)` plus one fluent setter per optional member. Required members
/// travel in a plain struct, so each is set by name and a missing one is a compile
/// error naming it (`missing field `user_ip` in initializer of `CreateSessionRequired``).
fn builder_impl(
    name: &Ident,
    base: &str,
    members: &[CheckedMember],
    kind: &str,
    has_extra: bool,
    plain: impl Fn(&CheckedMember) -> bool,
) -> TokenStream {
    let required: Vec<&CheckedMember> = members.iter().filter(|m| plain(m)).collect();
    let required_name = format_ident!("{}Required", base);
    let (params, unpack, required_struct) = if required.is_empty() {
        (quote!(), quote!(), quote!())
    } else {
        let decls = required.iter().map(|m| {
            let ident = field_ident(m);
            let ty = plain_ty(m);
            let doc = doc_attrs(&format!("`{}`: {}", m.wire, m.doc));
            quote!(#doc pub #ident: #ty,)
        });
        let names = required.iter().map(|m| field_ident(m));
        let doc = doc_attrs(&format!(
            "The required members of [`{name}`], each set by name; pass it to [`{name}::new`]."
        ));
        (
            quote!(required: #required_name),
            quote!(let #required_name { #(#names),* } = required;),
            quote! {
                #doc
                pub struct #required_name {
                    #(#decls)*
                }
            },
        )
    };
    let inits = members.iter().map(|m| {
        let ident = field_ident(m);
        if plain(m) {
            quote!(#ident)
        } else {
            quote!(#ident: ::std::option::Option::None)
        }
    });
    let extra_init = has_extra.then(|| quote!(extra: ::std::default::Default::default()));
    let new_doc = if required.is_empty() {
        format!("Creates the {kind} with no members set.")
    } else {
        let names: Vec<String> = required.iter().map(|m| format!("`{}`", m.wire)).collect();
        format!(
            "Creates the {kind} from its required members ({}), named in [`{required_name}`].",
            names.join(", ")
        )
    };
    let new_doc = doc_attrs(&new_doc);
    let setters = members.iter().filter(|m| !plain(m)).map(|m| {
        let ident = field_ident(m);
        let (ty, conv) = param(m);
        let doc = doc_attrs(&format!("Sets `{}`: {}", m.wire, m.doc));
        quote! {
            #doc
            #[must_use]
            pub fn #ident(mut self, #ident: #ty) -> Self {
                self.#ident = ::std::option::Option::Some(#conv);
                self
            }
        }
    });
    quote! {
        #required_struct
        impl #name {
            #new_doc
            #[allow(clippy::new_without_default)]
            pub fn new(#params) -> Self {
                #unpack
                Self { #(#inits,)* #extra_init }
            }
            #(#setters)*
        }
    }
}

fn request_type(a: &CheckedAction) -> TokenStream {
    let name = format_ident!("{}Request", a.name);
    let doc = doc_attrs(&format!("Parameters of `{}`: {}", a.name, a.doc));
    let shape = Shape {
        owner: &a.name,
        is_input: true,
        lenient: false,
    };
    let plain = |m: &CheckedMember| m.required;
    let fields = fields(&shape, &a.input, plain);
    let debug = debug_impl(&name, &a.input, &[], false);
    let builder = builder_impl(&name, &a.name, &a.input, "request", false, plain);
    quote! {
        #doc
        #[derive(Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct #name {
            #(#fields)*
        }
        #debug
        #builder
    }
}

fn response_type(a: &CheckedAction) -> TokenStream {
    let name_str = format!("{}Response", a.name);
    let name = format_ident!("{}", name_str);
    let doc = doc_attrs(&format!(
        "What `{}` returns. Build one with `Default` and field assignments (in tests, say).",
        a.name
    ));
    let shape = Shape {
        owner: &name_str,
        is_input: false,
        lenient: true,
    };
    let fields = fields(&shape, &a.output, is_plain_output);
    let helpers = lenient_helpers(&shape, &a.output, is_plain_output);
    let debug = debug_impl(&name, &a.output, &["request_id"], true);
    let extra = extra_field();
    quote! {
        #doc
        #[derive(Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
        #[non_exhaustive]
        pub struct #name {
            #(#fields)*
            /// The server's unique ID for this request; quote it when asking for support.
            #[serde(rename = "RequestId", default)]
            pub request_id: ::std::string::String,
            #extra
        }
        #debug
        #helpers
    }
}

fn string_enum_for(e: &CheckedEnum) -> TokenStream {
    let variants: Vec<(&str, &str, &str)> = e
        .values
        .iter()
        .map(|v| (v.variant.as_str(), v.value.as_str(), v.doc.as_str()))
        .collect();
    string_enum(&e.name, &e.doc, &variants, "as_str", true)
}

/// An open-ended string enum: known values get variants, anything else is kept in
/// `Unknown(String)` so newer server values round-trip unchanged.
fn string_enum(
    name: &str,
    doc: &str,
    variants: &[(&str, &str, &str)],
    accessor: &str,
    with_default: bool,
) -> TokenStream {
    let name = format_ident!("{}", name);
    let accessor = format_ident!("{}", accessor);
    let doc = doc_attrs(doc);
    let decls = variants.iter().map(|(v, value, d)| {
        let v = format_ident!("{}", v);
        let label = if value.is_empty() {
            "The empty string".to_string()
        } else {
            format!("`{value}`")
        };
        let d = doc_attrs(&format!("{label}: {d}"));
        quote!(#d #v,)
    });
    let to_str = variants.iter().map(|(v, value, _)| {
        let v = format_ident!("{}", v);
        quote!(Self::#v => #value,)
    });
    let from_str = variants.iter().map(|(v, value, _)| {
        let v = format_ident!("{}", v);
        quote!(#value => Self::#v,)
    });
    let values = variants.iter().map(|(_, value, _)| Literal::string(value));
    // The value a member the server left out decodes to: unknown, and empty.
    let default = with_default.then(|| {
        quote! {
            impl ::std::default::Default for #name {
                fn default() -> Self {
                    Self::Unknown(::std::string::String::new())
                }
            }
        }
    });
    quote! {
        #doc
        #[derive(Clone, PartialEq, Eq, Hash, Debug)]
        #[non_exhaustive]
        pub enum #name {
            #(#decls)*
            /// A value this version of the client does not know, kept exactly as received.
            Unknown(::std::string::String),
        }

        impl #name {
            /// Every value this version of the client knows.
            pub const KNOWN: &'static [&'static str] = &[#(#values),*];

            /// The value as it travels on the wire.
            pub fn #accessor(&self) -> &str {
                match self {
                    #(#to_str)*
                    Self::Unknown(other) => other.as_str(),
                }
            }

            /// True for a value this version of the client does not know.
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }
        }

        #default

        impl ::std::convert::From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #(#from_str)*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl ::std::convert::From<::std::string::String> for #name {
            fn from(value: ::std::string::String) -> Self {
                match Self::from(value.as_str()) {
                    Self::Unknown(_) => Self::Unknown(value),
                    known => known,
                }
            }
        }

        impl ::std::str::FromStr for #name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.#accessor())
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.#accessor())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                let value = <::std::string::String as ::serde::Deserialize>::deserialize(deserializer)?;
                Ok(Self::from(value))
            }
        }
    }
}

fn error_code_enum(spec: &Checked) -> TokenStream {
    let variants: Vec<(&str, &str, &str)> = spec
        .errors
        .iter()
        .map(|e| (e.variant.as_str(), e.code.as_str(), e.doc.as_str()))
        .collect();
    let doc = format!(
        "An error code {} can return: its own codes and the common API 3.0 codes.",
        spec.service.title
    );
    string_enum("ErrorCode", &doc, &variants, "code", false)
}

fn sites_tokens(s: Sites) -> TokenStream {
    let (intl, cn) = (s.intl, s.cn);
    quote!(crate::meta::Sites { intl: #intl, cn: #cn })
}

fn shape_tokens(ty: &Ty) -> TokenStream {
    match ty {
        Ty::String => quote!(crate::meta::Shape::String),
        Ty::Int64 => quote!(crate::meta::Shape::Int64),
        Ty::UInt64 => quote!(crate::meta::Shape::UInt64),
        Ty::Bool => quote!(crate::meta::Shape::Bool),
        Ty::DateTime => quote!(crate::meta::Shape::DateTime),
        Ty::Object(n) => quote!(crate::meta::Shape::Object(#n)),
        Ty::List(inner) => {
            let inner = shape_tokens(inner);
            quote!(crate::meta::Shape::List(&#inner))
        }
    }
}

fn member_meta(m: &CheckedMember) -> TokenStream {
    let (wire, field, doc) = (&m.wire, &m.field, &m.doc);
    let (required, nullable, sensitive) = (m.required, m.nullable, m.sensitive);
    let shape = shape_tokens(&m.ty);
    let enum_name = match &m.enum_name {
        Some(e) => quote!(::std::option::Option::Some(#e)),
        None => quote!(::std::option::Option::None),
    };
    let sites = sites_tokens(m.sites);
    quote! {
        crate::meta::MemberMeta {
            wire_name: #wire, field_name: #field, shape: #shape, required: #required,
            nullable: #nullable, sensitive: #sensitive, enum_name: #enum_name, sites: #sites, doc: #doc,
        }
    }
}

fn metadata(spec: &Checked) -> TokenStream {
    let s = &spec.service;
    let (name, version, title, doc, intl, cn) = (
        &s.name,
        &s.version,
        &s.title,
        &s.doc,
        &s.endpoints.intl,
        &s.endpoints.cn,
    );
    let actions = spec.actions.iter().map(|a| {
        let (aname, method, adoc, category) = (&a.name, &a.method, &a.doc, &a.category);
        let (rate, retry) = (a.rate_limit, a.retry_safe);
        let sites = sites_tokens(a.sites);
        let input = a.input.iter().map(member_meta);
        let output = a.output.iter().map(member_meta);
        let errors = &a.errors;
        quote! {
            crate::meta::ActionMeta {
                name: #aname, method: #method, doc: #adoc, category: #category, sites: #sites,
                rate_limit: #rate, retry_safe: #retry,
                input: &[#(#input),*], output: &[#(#output),*], errors: &[#(#errors),*],
            }
        }
    });
    let types = spec.types.iter().map(|t| {
        let (tname, tdoc) = (&t.name, &t.doc);
        let members = t.members.iter().map(member_meta);
        quote!(crate::meta::TypeMeta { name: #tname, doc: #tdoc, members: &[#(#members),*] })
    });
    let enums = spec.enums.iter().map(|e| {
        let (ename, edoc) = (&e.name, &e.doc);
        let values = e.values.iter().map(|v| {
            let (value, vdoc) = (&v.value, &v.doc);
            quote!(crate::meta::EnumValueMeta { value: #value, doc: #vdoc })
        });
        quote!(crate::meta::EnumMeta { name: #ename, doc: #edoc, values: &[#(#values),*] })
    });
    let errors = spec.errors.iter().map(|e| {
        let (code, edoc, service, common) = (&e.code, &e.doc, e.service, e.common);
        quote!(crate::meta::ErrorCodeMeta { code: #code, doc: #edoc, service: #service, common: #common })
    });
    let paginators = spec.actions.iter().filter_map(|a| {
        let p = a.paginator.as_ref()?;
        let (action, offset, limit, total) = (
            &a.name,
            &a.input[p.offset].wire,
            &a.input[p.limit].wire,
            &a.output[p.total].wire,
        );
        let items = p.items.iter().map(|(i, _)| &a.output[*i].wire);
        Some(quote! {
            crate::paginate::PaginatorMeta {
                action: #action, offset: #offset, limit: #limit, total: #total, items: &[#(#items),*],
            }
        })
    });
    let waiters = spec.waiters.iter().filter_map(|w| {
        let a = spec.action(&w.action)?;
        let t = spec.type_def(&w.item_type)?;
        let (name, method, action, doc) = (&w.name, &w.method, &w.action, &w.doc);
        let (list, key, state) = (&a.output[w.list].wire, &t.members[w.key].wire, &t.members[w.state].wire);
        let (success, failure) = (&w.success, &w.failure);
        let absent = match w.absent {
            Absent::Pending => quote!(crate::waiter::AbsentMeans::Pending),
            Absent::Success => quote!(crate::waiter::AbsentMeans::Success),
            Absent::Failure => quote!(crate::waiter::AbsentMeans::Failure),
        };
        Some(quote! {
            crate::waiter::WaiterMeta {
                name: #name, method: #method, doc: #doc, action: #action, list: #list, key: #key, state: #state,
                success: &[#(#success),*], failure: &[#(#failure),*], absent: #absent,
            }
        })
    });
    quote! {
        /// The spec as static data: what the CLI, docs and runtime build themselves from.
        pub mod metadata {
            /// The service: names, version and endpoints.
            pub static SERVICE: crate::meta::ServiceMeta = crate::meta::ServiceMeta {
                name: #name, version: #version, title: #title, doc: #doc, endpoint_intl: #intl, endpoint_cn: #cn,
            };
            /// Every action, in spec order.
            pub static ACTIONS: &[crate::meta::ActionMeta] = &[#(#actions),*];
            /// Every data type, in spec order.
            pub static TYPES: &[crate::meta::TypeMeta] = &[#(#types),*];
            /// Every enum, in spec order.
            pub static ENUMS: &[crate::meta::EnumMeta] = &[#(#enums),*];
            /// Every error code: the service's own first, then the common ones.
            pub static ERROR_CODES: &[crate::meta::ErrorCodeMeta] = &[#(#errors),*];
            /// How each paginated action pages, for code that works on JSON (the CLI).
            pub static PAGINATORS: &[crate::paginate::PaginatorMeta] = &[#(#paginators),*];
            /// Every waiter, for code that works on JSON (the CLI).
            pub static WAITERS: &[crate::waiter::WaiterMeta] = &[#(#waiters),*];
        }
    }
}

fn operation_impl(index: usize, a: &CheckedAction) -> TokenStream {
    let req = format_ident!("{}Request", a.name);
    let resp = format_ident!("{}Response", a.name);
    quote! {
        impl crate::Operation for self::operations::#req {
            type Response = self::operations::#resp;
            fn meta() -> &'static crate::meta::ActionMeta {
                &self::metadata::ACTIONS[#index]
            }
        }
    }
}

/// How a setter takes a value of a member, and how it stores it.
fn param(m: &CheckedMember) -> (TokenStream, TokenStream) {
    let ident = field_ident(m);
    let elem = |t: &Ty| scalar_or_named(t, m.enum_name.as_deref());
    match &m.ty {
        Ty::String | Ty::DateTime => {
            let t = elem(&m.ty);
            (quote!(impl ::std::convert::Into<#t>), quote!(#ident.into()))
        }
        Ty::List(inner) => {
            let t = elem(inner);
            (
                quote!(impl ::std::iter::IntoIterator<Item = impl ::std::convert::Into<#t>>),
                quote!(#ident.into_iter().map(::std::convert::Into::into).collect()),
            )
        }
        other => (elem(other), quote!(#ident)),
    }
}

fn sites_text(s: Sites) -> &'static str {
    match (s.intl, s.cn) {
        (true, true) => "both the international and the China site",
        (true, false) => "the international site only",
        _ => "the China site only",
    }
}

/// The method doc: what it does, where, how fast, whether it is retried, and every
/// documented error code with its meaning.
fn method_doc(spec: &Checked, a: &CheckedAction) -> String {
    let retry = if a.retry_safe {
        "read-only, so the client retries it after throttling (`RequestLimitExceeded*`), connection failures, timeouts and 5xx answers"
    } else {
        "it changes state, so the client retries it only when the server certainly did nothing: after throttling (`RequestLimitExceeded*`) or when the connection was never made; never after a timeout or 5xx answer, when the server may have acted"
    };
    let mut doc = format!(
        "Calls `{}`: {}\n\nPublished on {}. Rate limit: {} requests per second; {}.",
        a.name,
        a.doc,
        sites_text(a.sites),
        a.rate_limit,
        retry
    );
    if !a.errors.is_empty() {
        doc.push_str("\n\n# Errors\n\nBesides transport and credential failures, the service may answer with these codes (see [`crate::ErrorCode`]):\n");
        for code in &a.errors {
            let meaning = spec
                .errors
                .iter()
                .find(|e| &e.code == code)
                .map_or("", |e| e.doc.as_str());
            doc.push_str(&format!("\n- `{code}`: {meaning}"));
        }
    }
    doc
}

fn client_method(spec: &Checked, a: &CheckedAction) -> TokenStream {
    let method = format_ident!("{}", a.method);
    let req = format_ident!("{}Request", a.name);
    let resp = format_ident!("{}Response", a.name);
    let doc = doc_attrs(&method_doc(spec, a));
    let paginator = a.paginator.as_ref().map(|_| {
        let pmethod = format_ident!("{}_paginator", a.method);
        let pdoc = doc_attrs(&format!(
            "Pages through `{}`: a [`crate::paginate::Paginator`] whose `pages()` and `items()` are streams. Each page is one [`Client::{}`] call, with its errors and retries.",
            a.name, a.method
        ));
        quote! {
            #pdoc
            pub fn #pmethod(&self, request: self::operations::#req) -> crate::paginate::Paginator<self::operations::#req> {
                crate::paginate::Paginator::new(self.clone(), request)
            }
        }
    });
    quote! {
        #doc
        pub async fn #method(&self, request: self::operations::#req) -> ::std::result::Result<self::operations::#resp, crate::Error> {
            self.send(request).await
        }
        #paginator
    }
}

/// Reads an integer member of `owner` as `Option<i64>`.
fn int_read(owner: TokenStream, m: &CheckedMember, plain: bool) -> TokenStream {
    let f = field_ident(m);
    if plain {
        quote!(::std::option::Option::Some(#owner.#f))
    } else {
        quote!(#owner.#f)
    }
}

/// The item enum (for several lists) and the `Paginated` impl of a paginated action,
/// both for the `operations` module.
fn paginator_impl(a: &CheckedAction) -> (TokenStream, TokenStream) {
    let Some(p) = &a.paginator else {
        return (TokenStream::new(), TokenStream::new());
    };
    let req = format_ident!("{}Request", a.name);
    let resp = format_ident!("{}Response", a.name);
    let (offset, limit, total) = (&a.input[p.offset], &a.input[p.limit], &a.output[p.total]);
    let (off_f, lim_f) = (field_ident(offset), field_ident(limit));
    let (off_plain, lim_plain) = (offset.required, limit.required);
    let read_offset = if off_plain {
        quote!(self.#off_f)
    } else {
        quote!(self.#off_f.unwrap_or(0))
    };
    let set = |f: &Ident, plain: bool| {
        if plain {
            quote!(self.#f = value;)
        } else {
            quote!(self.#f = ::std::option::Option::Some(value);)
        }
    };
    let (set_offset, set_limit) = (set(&off_f, off_plain), set(&lim_f, lim_plain));
    let read_limit = int_read(quote!(self), limit, lim_plain);
    let read_total = int_read(quote!(response), total, is_plain_output(total));
    let lists: Vec<(&CheckedMember, Option<&String>)> = p
        .items
        .iter()
        .map(|(i, v)| (&a.output[*i], v.as_ref()))
        .collect();
    let element = |m: &CheckedMember| match &m.ty {
        Ty::List(inner) => scalar_or_named(inner, m.enum_name.as_deref()),
        other => scalar_or_named(other, m.enum_name.as_deref()),
    };
    let as_vec = |owner: TokenStream, m: &CheckedMember| {
        let f = field_ident(m);
        if is_plain_output(m) {
            quote!(#owner.#f)
        } else {
            quote!(#owner.#f.unwrap_or_default())
        }
    };
    let len = lists.iter().map(|(m, _)| {
        let f = field_ident(m);
        if is_plain_output(m) {
            quote!(response.#f.len())
        } else {
            quote!(response.#f.as_ref().map_or(0, ::std::vec::Vec::len))
        }
    });
    let same = lists.iter().map(|(m, _)| {
        let f = field_ident(m);
        quote!(a.#f == b.#f)
    });
    let (item_ty, item_enum, collect) = if lists.len() == 1 {
        let (m, _) = lists[0];
        let v = as_vec(quote!(response), m);
        (element(m), TokenStream::new(), quote!(#v))
    } else {
        let name = format_ident!("{}Item", a.name);
        let variants = lists.iter().map(|(m, v)| {
            let v = format_ident!("{}", v.map_or("Item", String::as_str));
            let t = element(m);
            let d = doc_attrs(&format!("An entry of `{}`: {}", m.wire, m.doc));
            quote!(#d #v(#t),)
        });
        let pushes = lists.iter().map(|(m, v)| {
            let v = format_ident!("{}", v.map_or("Item", String::as_str));
            let list = as_vec(quote!(response), m);
            quote!(items.extend(#list.into_iter().map(#name::#v));)
        });
        let doc = doc_attrs(&format!(
            "One item of a `{}` page, which lists several kinds of entry.",
            a.name
        ));
        (
            quote!(#name),
            quote! {
                #doc
                #[derive(Clone, PartialEq, Debug)]
                #[non_exhaustive]
                pub enum #name {
                    #(#variants)*
                }
            },
            quote! {{
                let mut items = ::std::vec::Vec::new();
                #(#pushes)*
                items
            }},
        )
    };
    let paginated = quote! {
        impl crate::paginate::Paginated for #req {
            type Item = #item_ty;
            fn offset(&self) -> i64 { #read_offset }
            fn set_offset(&mut self, value: i64) { #set_offset }
            fn limit(&self) -> ::std::option::Option<i64> { #read_limit }
            fn set_limit(&mut self, value: i64) { #set_limit }
            fn total(response: &#resp) -> ::std::option::Option<i64> { #read_total }
            fn page_len(response: &#resp) -> usize { #(#len)+* }
            fn same_items(a: &#resp, b: &#resp) -> bool { #(#same)&&* }
            fn into_items(response: #resp) -> ::std::vec::Vec<Self::Item> { #collect }
        }
    };
    (item_enum, paginated)
}

/// Reads a string member of `owner` as `Option<&str>`, whatever its generated shape.
fn str_read(owner: TokenStream, m: &CheckedMember, plain: bool) -> TokenStream {
    let f = field_ident(m);
    match (plain, m.enum_name.is_some()) {
        (true, _) => quote!(::std::option::Option::Some(#owner.#f.as_ref())),
        (false, true) => quote!(#owner.#f.as_ref().map(|v| v.as_str())),
        (false, false) => quote!(#owner.#f.as_deref()),
    }
}

fn waiter_method(spec: &Checked, w: &CheckedWaiter) -> TokenStream {
    let Some(a) = spec.action(&w.action) else {
        return TokenStream::new();
    };
    let Some(t) = spec.type_def(&w.item_type) else {
        return TokenStream::new();
    };
    let method = format_ident!("{}", w.method);
    let call = format_ident!("{}", a.method);
    let req = format_ident!("{}Request", a.name);
    let item = format_ident!("{}", t.name);
    let list_m = &a.output[w.list];
    let list = field_ident(list_m);
    let list_expr = if is_plain_output(list_m) {
        quote!(response.#list)
    } else {
        quote!(response.#list.unwrap_or_default())
    };
    let (key_m, state_m) = (&t.members[w.key], &t.members[w.state]);
    let key_read = str_read(quote!(item), key_m, t.is_plain(key_m));
    let state_read = str_read(quote!(item), state_m, t.is_plain(state_m));
    // Enum-typed plain members read through `as_ref`; strings need `as_str`.
    let state_read = if t.is_plain(state_m) {
        let f = field_ident(state_m);
        quote!(::std::option::Option::Some(item.#f.as_str()))
    } else {
        state_read
    };
    let key_read = if t.is_plain(key_m) {
        let f = field_ident(key_m);
        quote!(::std::option::Option::Some(item.#f.as_str()))
    } else {
        key_read
    };
    let (success, failure) = (&w.success, &w.failure);
    let name = &w.name;
    let (ret, absent, found) = match w.absent {
        Absent::Success => (
            quote!(()),
            quote!(crate::waiter::Check::Done(())),
            quote!(crate::waiter::Check::Done(())),
        ),
        Absent::Pending => (
            quote!(self::types::#item),
            quote!(crate::waiter::Check::Pending(::std::string::String::from(
                "absent"
            ))),
            quote!(crate::waiter::Check::Done(item)),
        ),
        Absent::Failure => (
            quote!(self::types::#item),
            quote!(crate::waiter::Check::Failed(::std::string::String::from(
                "absent"
            ))),
            quote!(crate::waiter::Check::Done(item)),
        ),
    };
    let absent_text = match w.absent {
        Absent::Success => "its absence is the success this waits for",
        Absent::Pending => "while it is absent, the wait goes on",
        Absent::Failure => "its absence ends the wait with a failure",
    };
    let list_states = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let doc = doc_attrs(&format!(
        "Waits until: {}\n\nPolls `{}` with `request` and picks the entry of `{}` whose `{}` equals `key` ({absent_text}). \
         Its `{}` ends the wait with success on {} and with [`crate::waiter::WaitError::Failed`] on {}. \
         `policy` bounds the whole wait and spaces the polls; time is tokio's clock.\n\n\
         # Errors\n\n[`crate::waiter::WaitError::TimedOut`] when the policy's timeout passes first (it names the last state seen), \
         [`crate::waiter::WaitError::Call`] when a poll fails after the client's own retries.",
        w.doc, a.name, list_m.wire, key_m.wire, state_m.wire, list_states(success), list_states(failure)
    ));
    if w.absent == Absent::Success {
        // Absence is the success here, so the answer must really show the list: typed
        // decoding reads a promised list the server left out as empty, which would look
        // like "deleted". The JSON waiter sees the difference.
        return quote! {
            #doc
            pub async fn #method(
                &self,
                request: self::operations::#req,
                key: impl ::std::convert::Into<::std::string::String>,
                policy: &crate::waiter::WaitPolicy,
            ) -> ::std::result::Result<(), crate::waiter::WaitError> {
                let call_error = |message: ::std::string::String| crate::waiter::WaitError::Call {
                    waiter: #name,
                    source: crate::Error::invalid_request(::std::option::Option::None, message),
                };
                let waiter = crate::waiter::waiter_meta(#name)
                    .ok_or_else(|| call_error(::std::format!("no waiter named {}", #name)))?;
                let params = ::serde_json::to_value(&request)
                    .map_err(|e| call_error(::std::format!("cannot encode the request: {e}")))?;
                self.wait_json(waiter, &params, &key.into(), policy).await.map(|_| ())
            }
        };
    }
    // A state the spec marks as success with `absent: success` never occurs; `found`
    // then only reports that the item is still there.
    let found_check = if w.absent == Absent::Success {
        quote! {
            let state = #state_read.unwrap_or("unset").to_owned();
            crate::waiter::Check::Pending(state)
        }
    } else {
        quote! {
            let state = #state_read.unwrap_or("unset");
            if [#(#success),*].contains(&state) {
                #found
            } else if [#(#failure),*].contains(&state) {
                crate::waiter::Check::Failed(state.to_owned())
            } else {
                crate::waiter::Check::Pending(state.to_owned())
            }
        }
    };
    quote! {
        #doc
        pub async fn #method(
            &self,
            request: self::operations::#req,
            key: impl ::std::convert::Into<::std::string::String>,
            policy: &crate::waiter::WaitPolicy,
        ) -> ::std::result::Result<#ret, crate::waiter::WaitError> {
            let key = key.into();
            crate::waiter::wait(policy, #name, || {
                let request = request.clone();
                let key = key.as_str();
                async move {
                    let response = self.#call(request).await?;
                    let found = #list_expr.into_iter().find(|item| #key_read == ::std::option::Option::Some(key));
                    ::std::result::Result::Ok(match found {
                        ::std::option::Option::None => #absent,
                        ::std::option::Option::Some(item) => { #found_check }
                    })
                }
            })
            .await
        }
    }
}

/// A name-to-type dispatch, so generic code (the CLI, tests) can reach the typed request
/// and response of an action known only by name.
fn visit_operation(spec: &Checked) -> TokenStream {
    let arms = spec.actions.iter().map(|a| {
        let name = &a.name;
        let req = format_ident!("{}Request", a.name);
        quote!(#name => ::std::option::Option::Some(visitor.visit::<self::operations::#req>()),)
    });
    quote! {
        /// Calls `visitor` with the request type of `action`; `None` for an unknown action.
        pub fn visit_operation<V: crate::OperationVisitor>(action: &str, visitor: V) -> ::std::option::Option<V::Output> {
            match action {
                #(#arms)*
                _ => ::std::option::Option::None,
            }
        }
    }
}
