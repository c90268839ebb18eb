//! Spec mistakes must surface as compile errors at the macro call site, naming the JSON
//! path and the action or member, and never as a panic inside the macro.

#[test]
fn spec_mistakes_are_compile_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
