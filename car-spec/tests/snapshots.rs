//! The generated surface, pretty-printed, for the real spec and for a fixture that uses
//! every construct. A spec or generator change shows up here as a readable diff;
//! `cargo xtask codegen` accepts it.

use std::path::Path;

fn expand(path: &Path) -> String {
    let src =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    car_spec::codegen::expand_to_string(&src).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn fixture_expansion() {
    let out = expand(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini.json"));
    insta::assert_snapshot!("fixture_expansion", out);
}

#[test]
fn car_spec_expansion() {
    let out = expand(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/car.json"));
    insta::assert_snapshot!("car_spec_expansion", out);
}
