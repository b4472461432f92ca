//! The scrape-target example charm: a workload that asks Prometheus to
//! scrape it, registering one job per relation over `prometheus-manual`.
#![deny(missing_docs)]

mod handlers;

reactive_core::charm!();
