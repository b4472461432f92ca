//! A metadata file that is not valid YAML: one error per macro invocation,
//! naming the file and the line (the other problems with metadata files are
//! unit tests of `reactive-macros/src/metadata.rs`).
//!
//! Its own test binary, because it sets `REACTIVE_METADATA_PATH` for the
//! whole process to another file than `compile_fail_metadata.rs` does.

#[test]
fn ui_metadata_malformed() {
    let metadata = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/ui/metadata/malformed/metadata.yaml"
    );
    std::env::set_var("REACTIVE_METADATA_PATH", metadata);
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/metadata/malformed/*.rs");
}
