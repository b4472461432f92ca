//! The prometheus example charm: validates the scrape jobs its targets
//! request over `prometheus-manual`, answers each, and writes
//! `prometheus.yml` with the accepted ones.
#![deny(missing_docs)]

pub mod config_file;
mod handlers;
pub mod jobs;
pub mod list_jobs;
pub mod validate;

reactive_core::charm!();
