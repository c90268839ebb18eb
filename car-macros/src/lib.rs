//! `generate!("path/to/spec.json")`: expands the CAR spec into types, client methods and
//! metadata. All the work happens in `car_spec`; this crate only reads the file, reports
//! spec mistakes as compile errors at the call site, and makes the compiler watch the file.
//!
//! Several paths may be given, the first existing one wins: `car-api` names the
//! workspace's `spec/car.json` first and its own packaged copy second, so a spec edit
//! takes effect at once in the workspace and the published crate still builds.

use proc_macro::TokenStream;
use quote::quote;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{LitStr, Token};

/// Generates the API surface from a spec file. Like `include_str!`, the path is relative
/// to the file that invokes the macro; with several paths, the first that exists is used.
#[proc_macro]
pub fn generate(input: TokenStream) -> TokenStream {
    let parsed = Punctuated::<LitStr, Token![,]>::parse_terminated.parse(input);
    let lits: Vec<LitStr> = match parsed {
        Ok(list) => list.into_iter().collect(),
        Err(e) => return e.to_compile_error().into(),
    };
    let Some(first) = lits.first() else {
        return syn::Error::new(
            proc_macro2::Span::call_site(),
            "expected the path of a spec file, e.g. generate!(\"../spec/car.json\")",
        )
        .to_compile_error()
        .into();
    };
    let found = lits
        .iter()
        .find(|lit| resolve(lit, &lit.value()).is_ok_and(|p| p.exists()));
    let chosen = match (found, lits.len()) {
        (Some(lit), _) => lit,
        // One path: its own read error says best what is wrong.
        (None, 1) => first,
        (None, _) => {
            let tried: Vec<String> = lits.iter().map(LitStr::value).collect();
            return syn::Error::new(
                first.span(),
                format!(
                    "none of the spec files exists (relative to the invoking file): {}",
                    tried.join(", ")
                ),
            )
            .to_compile_error()
            .into();
        }
    };
    expand(chosen)
        .unwrap_or_else(|e| e.to_compile_error())
        .into()
}

fn expand(lit: &LitStr) -> Result<proc_macro2::TokenStream, syn::Error> {
    let rel = lit.value();
    let path = resolve(lit, &rel)?;
    let src = std::fs::read_to_string(&path).map_err(|e| {
        syn::Error::new(
            lit.span(),
            format!("cannot read spec file {}: {e}", path.display()),
        )
    })?;
    let checked = car_spec::parse(&src).map_err(|errors| {
        let mut all: Option<syn::Error> = None;
        for e in errors {
            let err = syn::Error::new(lit.span(), format!("spec error in {rel} at {e}"));
            match &mut all {
                Some(a) => a.combine(err),
                None => all = Some(err),
            }
        }
        all.unwrap_or_else(|| syn::Error::new(lit.span(), "spec rejected"))
    })?;
    let generated = car_spec::codegen::generate(&checked);
    let tracked = path.to_string_lossy().into_owned();
    Ok(quote! {
        // Makes the compiler rebuild this crate whenever the spec file changes.
        const _: &[u8] = include_bytes!(#tracked);
        #generated
    })
}

/// Resolves `rel` against the invoking file's directory; falls back to the crate root
/// when the compiler cannot name the file (e.g. code produced by another macro).
fn resolve(lit: &LitStr, rel: &str) -> Result<std::path::PathBuf, syn::Error> {
    let from_file = lit
        .span()
        .unwrap()
        .local_file()
        .and_then(|f| f.parent().map(|d| d.join(rel)));
    if let Some(p) = from_file {
        // The compiler may name the file relative to its working directory; make the
        // path absolute so the `include_bytes!` we emit finds the same file.
        return std::fs::canonicalize(&p).map_err(|e| {
            syn::Error::new(
                lit.span(),
                format!("cannot read spec file {}: {e}", p.display()),
            )
        });
    }
    let base = std::env::var("CARGO_MANIFEST_DIR").map_err(|_| {
        syn::Error::new(
            lit.span(),
            "cannot tell where the invoking file is, and CARGO_MANIFEST_DIR is not set",
        )
    })?;
    Ok(std::path::Path::new(&base).join(rel))
}
