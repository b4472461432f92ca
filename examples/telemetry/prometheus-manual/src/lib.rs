//! The `prometheus-manual` relation interface: a scrape target asks
//! Prometheus to scrape it by sending a job request; Prometheus answers
//! each request with a response saying whether it accepted the job.
//!
//! - [`PrometheusManualProvides`] (the target's side) registers jobs with
//!   [`register_job`](PrometheusManualProvides::register_job);
//! - [`PrometheusManualRequires`] (Prometheus's side) reads them with
//!   `all_requests()` / `new_requests()` and answers with
//!   [`respond_to`](PrometheusManualRequires::respond_to).
//!
//! A charm that uses either side must link this crate (using its types
//! does) so that the endpoint types register.
#![deny(missing_docs)]

mod job;
mod provides;
mod requires;
mod types;

pub use job::{render_job, render_job_value};
pub use provides::PrometheusManualProvides;
pub use requires::PrometheusManualRequires;
pub use types::{JobRequest, JobRequestFields, JobRequestFinders, JobResponse, RenderJob};
