//! Compile-time validation: one compile-fail case per rule the macros
//! enforce, each with the message the user sees. (What the macros accept is
//! compiled as an ordinary test: the facade's `tests/macro_accepts.rs`.)
//!
//! Regenerate the expectations with `TRYBUILD=overwrite`, then read them:
//! they must be dominated by our own messages.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
}
