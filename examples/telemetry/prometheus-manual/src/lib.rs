//! The `prometheus-manual` relation interface: a scrape target asks
//! Prometheus to scrape it by sending a job request; Prometheus answers
//! each request with a response saying whether it accepted the job.
//!
//! Link this crate into a charm (`use prometheus_manual as _;` or use its
//! types) so that its endpoint types register.
#![deny(missing_docs)]

mod job;

pub use job::{render_job, render_job_value};
