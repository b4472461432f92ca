//! Compile-time validation of `#[action]`: the name must be an action the
//! charm's `actions.yaml` declares (a misspelling suggests the closest),
//! the handler must have an action handler's signature, and it cannot be
//! combined with a flag condition.
//!
//! trybuild builds the cases in its own directory, so the cases are checked
//! against `actions.yaml` of this package through the
//! `REACTIVE_ACTIONS_PATH` override. This must stay the only test in this
//! binary, since it sets the variable for the whole process.
//!
//! Regenerate the expectations with `TRYBUILD=overwrite`, then read them:
//! they must be dominated by our own messages.

#[test]
fn ui_actions() {
    let actions = concat!(env!("CARGO_MANIFEST_DIR"), "/actions.yaml");
    std::env::set_var("REACTIVE_ACTIONS_PATH", actions);
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/actions/fail/*.rs");
}
