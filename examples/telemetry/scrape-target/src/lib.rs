//! The scrape-target example charm: a workload that asks Prometheus to
//! scrape it, registering one job per relation over `prometheus-manual`.
#![deny(missing_docs)]

mod handlers;

use reactive_core::registry::RegistryBuilder;

/// The charm's source directory, holding its `metadata.yaml` and
/// `config.yaml`.
pub const CHARM_DIR: &str = env!("CARGO_MANIFEST_DIR");

/// This charm's handlers (and, through its metadata, its endpoints'), for
/// running it in process beside other charms.
pub fn registry() -> RegistryBuilder {
    reactive_core::Registry::builder().module_prefix(module_path!())
}
