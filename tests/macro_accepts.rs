//! Everything the macros accept compiles, with no warning: the cases under
//! `tests/accepts/` are compiled into this test binary (their `main`s are
//! unused), and their handlers run.

#[allow(dead_code)]
#[path = "accepts/attributes.rs"]
mod attributes;
#[allow(dead_code)]
#[path = "accepts/qualified_paths.rs"]
mod qualified_paths;
#[allow(dead_code)]
#[path = "accepts/signatures.rs"]
mod signatures;
#[allow(dead_code)]
#[path = "accepts/stacked_imports.rs"]
mod stacked_imports;

use reactive_core::Registry;

// For `qualified_paths`' `crate::when` and `crate::only_once`.
#[allow(unused_imports)]
pub(crate) use reactive_core::prelude::{only_once, when};

#[test]
fn every_accepted_handler_is_registered() {
    let registry = Registry::builder()
        .module_prefix("macro_accepts")
        .build()
        .unwrap();
    let modules = [
        "attributes",
        "qualified_paths",
        "signatures",
        "stacked_imports",
    ];
    for module in modules {
        let prefix = format!("macro_accepts::{module}");
        let count = registry
            .handlers()
            .iter()
            .filter(|h| h.descriptor().module_path.starts_with(&prefix))
            .count();
        assert!(count > 0, "no handler of {module} is registered");
    }
    // Attributes stacked through `crate::` paths make one handler.
    let stacked: Vec<&str> = registry
        .handlers()
        .iter()
        .map(|h| h.id())
        .filter(|id| id.ends_with(":crate_path_stacked"))
        .collect();
    assert_eq!(stacked.len(), 1, "{stacked:?}");
}
