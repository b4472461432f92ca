//! Compile-time validation: one compile-fail case per rule the
//! macros enforce, each with the message the user sees, plus a `pass` set of
//! everything the macros accept.
//!
//! Regenerate the expectations with `TRYBUILD=overwrite`, then read them:
//! they must be dominated by our own messages.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
