//! Spec -> Rust tokens. A plain function of the checked spec, so it is unit-tested and
//! snapshot-tested directly; `car-macros` only wraps it.
//!
//! The generated code expects the hand-written runtime of `car-api` at `crate::`
//! (`crate::Client`, `crate::Error`, `crate::Operation`, `crate::meta`, `crate::redact`).

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};

use crate::validate::{
    is_keyword, Checked, CheckedAction, CheckedEnum, CheckedMember, CheckedType, Sites, Ty,
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
    let methods = spec.actions.iter().map(client_method);
    let visit = visit_operation(spec);
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
        }

        #error_code

        #metadata

        #(#operations)*

        #visit

        #service_doc
        impl crate::Client {
            #(#methods)*
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

fn member_doc(m: &CheckedMember) -> String {
    let mut doc = m.doc.clone();
    if m.ty == Ty::DateTime {
        doc.push_str("\n\nAn ISO-8601 timestamp, kept as the string the server sent.");
    }
    if !(m.sites.intl && m.sites.cn) {
        let site = if m.sites.cn { "China" } else { "international" };
        doc.push_str(&format!("\n\nAccepted on the {site} site only."));
    }
    doc
}

/// Struct fields with their serde attributes. `optional(m)` says which become `Option`.
fn fields(
    members: &[CheckedMember],
    optional: impl Fn(&CheckedMember) -> bool,
) -> Vec<TokenStream> {
    members
        .iter()
        .map(|m| {
            let ident = field_ident(m);
            let wire = &m.wire;
            let ty = scalar_or_named(&m.ty, m.enum_name.as_deref());
            let doc = doc_attrs(&member_doc(m));
            if optional(m) {
                quote! {
                    #doc
                    #[serde(rename = #wire, default, skip_serializing_if = "Option::is_none")]
                    pub #ident: ::std::option::Option<#ty>,
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

/// A `Debug` impl that prints sensitive members as redacted.
fn debug_impl(name: &Ident, members: &[CheckedMember], extra: &[&str]) -> TokenStream {
    let label = name.to_string();
    let entries = members.iter().map(|m| {
        let ident = field_ident(m);
        let key = &m.field;
        if m.sensitive {
            quote!(.field(#key, &crate::redact::Redacted::of(&self.#ident)))
        } else {
            quote!(.field(#key, &self.#ident))
        }
    });
    let extra = extra.iter().map(|f| {
        let ident = format_ident!("{}", f);
        quote!(.field(#f, &self.#ident))
    });
    quote! {
        impl ::std::fmt::Debug for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(#label) #(#entries)* #(#extra)* .finish()
            }
        }
    }
}

fn data_type(t: &CheckedType) -> TokenStream {
    let name = format_ident!("{}", t.name);
    let doc = doc_attrs(&t.doc);
    // A required member the server may still send as null must stay optional to parse.
    let optional = |m: &CheckedMember| !m.required || m.nullable;
    let fields = fields(&t.members, optional);
    let debug = debug_impl(&name, &t.members, &[]);
    let all_optional = t.members.iter().all(optional);
    let default = all_optional.then(|| quote!(Default,));
    let builder = builder_impl(&name, &t.members, "type", optional);
    quote! {
        #doc
        #[derive(Clone, PartialEq, #default ::serde::Serialize, ::serde::Deserialize)]
        pub struct #name {
            #(#fields)*
        }
        #debug
        #builder
    }
}

/// How a setter or constructor takes a value of `ty`, and how it stores it.
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

/// `new(required...)` plus one fluent setter per optional member.
fn builder_impl(
    name: &Ident,
    members: &[CheckedMember],
    kind: &str,
    optional: impl Fn(&CheckedMember) -> bool,
) -> TokenStream {
    let required: Vec<&CheckedMember> = members.iter().filter(|m| !optional(m)).collect();
    let args = required.iter().map(|m| {
        let ident = field_ident(m);
        let (ty, _) = param(m);
        quote!(#ident: #ty)
    });
    let inits = members.iter().map(|m| {
        let ident = field_ident(m);
        if !optional(m) {
            let (_, conv) = param(m);
            quote!(#ident: #conv)
        } else {
            quote!(#ident: ::std::option::Option::None)
        }
    });
    let new_doc = if required.is_empty() {
        format!("Creates the {kind} with no members set.")
    } else {
        let names: Vec<String> = required.iter().map(|m| format!("`{}`", m.wire)).collect();
        format!(
            "Creates the {kind} from its required members: {}.",
            names.join(", ")
        )
    };
    let new_doc = doc_attrs(&new_doc);
    let setters = members.iter().filter(|m| optional(m)).map(|m| {
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
        impl #name {
            #new_doc
            #[allow(clippy::new_without_default)]
            pub fn new(#(#args),*) -> Self {
                Self { #(#inits),* }
            }
            #(#setters)*
        }
    }
}

fn request_type(a: &CheckedAction) -> TokenStream {
    let name = format_ident!("{}Request", a.name);
    let doc = doc_attrs(&format!("Parameters of `{}`: {}", a.name, a.doc));
    let fields = fields(&a.input, |m| !m.required);
    let debug = debug_impl(&name, &a.input, &[]);
    let builder = builder_impl(&name, &a.input, "request", |m| !m.required);
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
    let name = format_ident!("{}Response", a.name);
    let doc = doc_attrs(&format!("What `{}` returns.", a.name));
    let fields = fields(&a.output, |_| true);
    let debug = debug_impl(&name, &a.output, &["request_id"]);
    quote! {
        #doc
        #[derive(Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
        pub struct #name {
            #(#fields)*
            /// The server's unique ID for this request; quote it when asking for support.
            #[serde(rename = "RequestId", default)]
            pub request_id: ::std::string::String,
        }
        #debug
    }
}

fn string_enum_for(e: &CheckedEnum) -> TokenStream {
    let variants: Vec<(&str, &str, &str)> = e
        .values
        .iter()
        .map(|v| (v.variant.as_str(), v.value.as_str(), v.doc.as_str()))
        .collect();
    string_enum(&e.name, &e.doc, &variants, "as_str")
}

/// An open-ended string enum: known values get variants, anything else is kept in
/// `Unknown(String)` so newer server values round-trip unchanged.
fn string_enum(
    name: &str,
    doc: &str,
    variants: &[(&str, &str, &str)],
    accessor: &str,
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
    quote! {
        #doc
        #[derive(Clone, PartialEq, Eq, Hash, Debug)]
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
    string_enum("ErrorCode", &doc, &variants, "code")
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

fn client_method(a: &CheckedAction) -> TokenStream {
    let method = format_ident!("{}", a.method);
    let req = format_ident!("{}Request", a.name);
    let resp = format_ident!("{}Response", a.name);
    let retry = if a.retry_safe {
        "read-only, so retried after network failures and 5xx answers"
    } else {
        "not retried after network failures, since it changes state"
    };
    let doc = doc_attrs(&format!(
        "Calls `{}`: {}\n\nRate limit: {} requests per second; {}.",
        a.name, a.doc, a.rate_limit, retry
    ));
    quote! {
        #doc
        pub async fn #method(&self, request: self::operations::#req) -> ::std::result::Result<self::operations::#resp, crate::Error> {
            self.send(request).await
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
