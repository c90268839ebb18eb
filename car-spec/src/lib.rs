//! The CAR spec: one model shared by the `car-macros` proc-macro and `xtask`.
//!
//! [`parse`] reads and checks a spec document; [`codegen::generate`] turns the checked
//! spec into Rust tokens. Both are plain functions so they can be tested without a
//! macro expansion.

pub mod codegen;
pub mod model;
pub mod validate;

pub use model::Spec;
pub use validate::{Checked, SpecError, Ty};

/// Parses and checks a spec document. Malformed JSON, a wrong shape and every broken
/// rule come back as [`SpecError`]s that name the JSON path.
pub fn parse(src: &str) -> Result<Checked, Vec<SpecError>> {
    let de = &mut serde_json::Deserializer::from_str(src);
    let spec: Spec = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let path = if path == "." {
            "$".to_string()
        } else {
            format!("$.{path}")
        };
        vec![SpecError {
            path,
            message: format!("{inner}"),
        }]
    })?;
    validate::check(spec)
}
