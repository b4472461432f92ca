//! The prometheus example charm: validates the scrape jobs its targets
//! request over `prometheus-manual`, answers each, and writes
//! `prometheus.yml` with the accepted ones.
#![deny(missing_docs)]

pub mod config_file;
mod handlers;
pub mod validate;

use reactive_core::registry::RegistryBuilder;

/// The charm's source directory, holding its `metadata.yaml` and
/// `config.yaml`.
pub const CHARM_DIR: &str = env!("CARGO_MANIFEST_DIR");

/// This charm's handlers (and, through its metadata, its endpoints'), for
/// running it in process beside other charms.
pub fn registry() -> RegistryBuilder {
    reactive_core::Registry::builder().module_prefix(module_path!())
}
