//! The provides side: a scrape target, requesting jobs.

use reactive_core::endpoint::EndpointBase;
use reactive_core::prelude::*;
use reactive_core::request::{RequestError, RequestRecord, ResponseRecord};
use serde_json::Value;

use crate::types::{JobRequest, JobResponse};

/// The `provides` side of `prometheus-manual`: registers scrape jobs with
/// the Prometheus units related to it.
///
/// Flags, besides every endpoint's: `endpoint.{endpoint_name}.has_responses`
/// and `endpoint.{endpoint_name}.all_responses` (from the request/response
/// pattern), and `endpoint.{endpoint_name}.available`, set while the
/// endpoint is joined and has at least one request.
#[derive(Debug, Default)]
pub struct PrometheusManualProvides {
    base: EndpointBase,
}

impl Endpoint for PrometheusManualProvides {
    fn from_base(base: EndpointBase) -> Self {
        PrometheusManualProvides { base }
    }

    fn base(&self) -> &EndpointBase {
        &self.base
    }

    fn base_mut(&mut self) -> &mut EndpointBase {
        &mut self.base
    }

    fn manage_flags(
        &mut self,
        ctx: &mut Context,
    ) -> Result<(), reactive_core::handler::HandlerError> {
        let available = self.is_joined() && !self.requests()?.is_empty();
        ctx.toggle_flag(&self.expand_name("available"), available);
        Ok(())
    }
}

impl RequesterEndpoint for PrometheusManualProvides {
    type Request = JobRequest;
}

#[endpoint(interface = "prometheus-manual", role = "provides", requester = JobRequest)]
impl PrometheusManualProvides {
    /// Register a manual job.
    ///
    /// `job_data` is the (unserialised) scrape job stanza. To keep job names
    /// unique, Prometheus appends the request id to `job_name` when it
    /// renders the job. Given a CA cert, Prometheus writes it to a file and
    /// replaces any `ca_file` in the job's TLS settings with its path (so
    /// put a placeholder there); given a client cert and key, likewise for
    /// `cert_file` and `key_file`.
    ///
    /// The job is created, or updated when one with the same `job_name`
    /// exists, on `relation` or, when none is given, on every relation of
    /// the endpoint: calling again with the same name never duplicates it.
    #[allow(clippy::too_many_arguments)]
    pub fn register_job(
        &mut self,
        job_name: &str,
        job_data: Value,
        ca_cert: Option<String>,
        client_cert: Option<String>,
        client_key: Option<String>,
        relation: Option<&str>,
    ) -> Result<(), RequestError> {
        let request = JobRequest {
            job_name: job_name.to_string(),
            job_data,
            ca_cert,
            client_cert,
            client_key,
        };
        let relation_ids: Vec<String> = match relation {
            Some(rid) => vec![rid.to_string()],
            None => self
                .relations()
                .keys()
                .into_iter()
                .map(String::from)
                .collect(),
        };
        for rid in relation_ids {
            self.create_or_update_request(&["job_name"], &rid, &request)?;
        }
        Ok(())
    }

    /// Every job request this unit submitted, ordered by request id.
    pub fn job_requests(&self) -> Result<Vec<RequestRecord<JobRequest>>, RequestError> {
        self.requests()
    }

    /// Every response received.
    pub fn job_responses(&self) -> Result<Vec<ResponseRecord<JobResponse>>, RequestError> {
        self.responses()
    }
}
