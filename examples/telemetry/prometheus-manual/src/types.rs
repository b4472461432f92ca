//! The requests and responses of the interface.

use reactive_core::prelude::*;
use reactive_core::request::RequestRecord;
use serde_json::Value;

/// A scrape job a target asks Prometheus to run.
#[derive(Request, Debug, Clone, PartialEq)]
#[request(response = JobResponse)]
pub struct JobRequest {
    /// The desired job name; the request id is appended when rendered.
    pub job_name: String,
    /// A Prometheus scrape job stanza (a JSON object).
    pub job_data: Value,
    /// PEM of the CA that validates the target.
    pub ca_cert: Option<String>,
    /// PEM of the client certificate used to scrape.
    pub client_cert: Option<String>,
    /// PEM of the client key used to scrape.
    pub client_key: Option<String>,
}

/// Prometheus's verdict on a job request.
#[derive(Response, Debug, Clone, PartialEq)]
pub struct JobResponse {
    /// Whether the job was accepted.
    pub success: bool,
    /// Why not, when refused.
    pub reason: Option<String>,
}

/// Rendering a received (or created) job request for `scrape_configs`.
pub trait RenderJob {
    /// The job as JSON text: `job_data` with `job_name` set to
    /// `<job_name>-<request_id>` and the TLS placeholders replaced by the
    /// files given (see [`render_job`](crate::render_job)).
    fn to_json(
        &self,
        ca_file: Option<&str>,
        cert_file: Option<&str>,
        key_file: Option<&str>,
    ) -> String;

    /// [`RenderJob::to_json`] as a JSON value.
    fn to_json_value(
        &self,
        ca_file: Option<&str>,
        cert_file: Option<&str>,
        key_file: Option<&str>,
    ) -> Value;
}

impl RenderJob for RequestRecord<JobRequest> {
    fn to_json(
        &self,
        ca_file: Option<&str>,
        cert_file: Option<&str>,
        key_file: Option<&str>,
    ) -> String {
        self.to_json_value(ca_file, cert_file, key_file).to_string()
    }

    fn to_json_value(
        &self,
        ca_file: Option<&str>,
        cert_file: Option<&str>,
        key_file: Option<&str>,
    ) -> Value {
        crate::render_job_value(
            &self.job_name,
            self.request_id(),
            &self.job_data,
            ca_file,
            cert_file,
            key_file,
        )
    }
}
