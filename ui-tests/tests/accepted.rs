//! What the macros accept against a charm's files compiles, with no
//! warning: the cases are compiled into this test binary against this
//! package's own `metadata.yaml` and `actions.yaml` (their `main`s are
//! unused), and their handlers are registered.

#[allow(dead_code)]
#[path = "ui/actions/pass/signatures.rs"]
mod action_signatures;
#[allow(dead_code)]
#[path = "ui/metadata/pass/known_endpoints.rs"]
mod known_endpoints;

use reactive_core::Registry;

#[test]
fn every_accepted_handler_is_registered() {
    let registry = Registry::builder()
        .module_prefix("accepted")
        .build()
        .unwrap();
    for module in ["action_signatures", "known_endpoints"] {
        let prefix = format!("accepted::{module}");
        let count = registry
            .handlers()
            .iter()
            .filter(|h| h.descriptor().module_path.starts_with(&prefix))
            .count();
        assert!(count > 0, "no handler of {module} is registered");
    }
}
