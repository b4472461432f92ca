//! Compile-time validation against `metadata.yaml`: every `endpoint.<name>.*` flag and `<name>-relation-*` hook
//! pattern must name an endpoint the charm declares.
//!
//! trybuild builds the cases in its own directory, so `CARGO_MANIFEST_DIR`
//! points there: the cases are checked against
//! `metadata.yaml` of this package through the `REACTIVE_METADATA_PATH`
//! override. This must stay the only test in this binary, since it sets the
//! variable for the whole process.
//!
//! Regenerate the expectations with `TRYBUILD=overwrite`, then read them:
//! they must be dominated by our own messages.

#[test]
fn ui_metadata() {
    let metadata = concat!(env!("CARGO_MANIFEST_DIR"), "/metadata.yaml");
    std::env::set_var("REACTIVE_METADATA_PATH", metadata);
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/metadata/fail/*.rs");
}
