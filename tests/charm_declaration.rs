//! A charm's declaration selects exactly that charm, even in a program
//! that links several charms (this test binary links both telemetry
//! charms and the interface they share).

use std::collections::BTreeSet;

use reactive_core::runtime::Charm;
use reactive_core::CharmDeclaration;

fn load(declaration: CharmDeclaration) -> Charm {
    Charm::load_with(declaration.source_dir(), declaration.registry()).unwrap()
}

/// The charm's own handlers: the package named in every id.
fn own_handlers(charm: &Charm) -> Vec<String> {
    charm
        .registry
        .handlers()
        .iter()
        .filter(|h| h.endpoint().is_none())
        .map(|h| h.id().to_string())
        .collect()
}

#[test]
fn two_charms_linked_into_one_binary_each_see_only_their_own_handlers() {
    let target = load(scrape_target::charm());
    let prometheus = load(prometheus::charm());

    let target_ids = own_handlers(&target);
    let prometheus_ids = own_handlers(&prometheus);
    assert!(target_ids.len() >= 4, "{target_ids:?}");
    assert!(prometheus_ids.len() >= 5, "{prometheus_ids:?}");
    assert!(
        target_ids
            .iter()
            .all(|id| id.starts_with("scrape-target/src/")),
        "{target_ids:?}"
    );
    assert!(
        prometheus_ids
            .iter()
            .all(|id| id.starts_with("prometheus/src/")),
        "{prometheus_ids:?}"
    );
    // Both charms keep their handlers in src/handlers.rs, and both have a
    // handler called `waiting`: the ids still differ.
    assert!(target_ids.iter().any(|id| id.ends_with(":waiting")));
    assert!(prometheus_ids.iter().any(|id| id.ends_with(":waiting")));
    let all: BTreeSet<&String> = target_ids.iter().chain(&prometheus_ids).collect();
    assert_eq!(all.len(), target_ids.len() + prometheus_ids.len());
}

#[test]
fn each_charm_gets_the_endpoint_types_of_its_own_metadata() {
    let target = load(scrape_target::charm());
    let prometheus = load(prometheus::charm());
    let endpoints = |charm: &Charm| -> Vec<(String, &'static str)> {
        charm
            .registry
            .endpoint_types()
            .iter()
            .map(|(name, ty)| (name.clone(), ty.serves.role))
            .collect()
    };
    assert_eq!(endpoints(&target), [("metrics".to_string(), "provides")]);
    assert_eq!(endpoints(&prometheus), [("scrape".to_string(), "requires")]);
    // Endpoint handlers run once per endpoint of the charm, named by it.
    for handler in target.registry.handlers() {
        if let Some(endpoint) = handler.endpoint() {
            assert_eq!(endpoint, "metrics", "{}", handler.id());
            assert!(handler.id().starts_with("prometheus-manual/src/"));
        }
    }
}

#[test]
fn handler_ids_are_stable_names_of_package_file_line_and_function() {
    let first = own_handlers(&load(prometheus::charm()));
    let again = own_handlers(&load(prometheus::charm()));
    assert_eq!(first, again);
    let id = first
        .iter()
        .find(|id| id.ends_with(":answer_new_requests"))
        .unwrap();
    let (file, rest) = id.split_once(':').unwrap();
    assert_eq!(file, "prometheus/src/handlers.rs");
    let line: u32 = rest.split(':').next().unwrap().parse().unwrap();
    let source =
        std::fs::read_to_string(prometheus::charm().source_dir().join("src/handlers.rs")).unwrap();
    let at_line = source.lines().nth(line as usize - 1).unwrap();
    assert!(at_line.contains("fn answer_new_requests"), "{at_line}");
}

#[test]
fn a_declaration_of_a_package_without_handlers_is_an_error() {
    let declaration = CharmDeclaration::new("not-a-linked-charm", env!("CARGO_MANIFEST_DIR"));
    let error = declaration.registry().build().unwrap_err().to_string();
    assert!(error.contains("`not-a-linked-charm`"), "{error}");
    assert!(error.contains("selects no handler"), "{error}");
}
