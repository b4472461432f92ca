//! The requires side: Prometheus, answering job requests.

use reactive_core::endpoint::EndpointBase;
use reactive_core::prelude::*;
use reactive_core::request::{RequestError, RequestRecord};

use crate::types::{JobRequest, JobResponse};

/// The `requires` side of `prometheus-manual`: receives the scrape jobs the
/// related targets request and answers each.
///
/// Flags, besides every endpoint's: `endpoint.{endpoint_name}.has_requests`
/// and `endpoint.{endpoint_name}.new_requests` (from the request/response
/// pattern).
#[derive(Debug, Default)]
pub struct PrometheusManualRequires {
    base: EndpointBase,
}

impl Endpoint for PrometheusManualRequires {
    fn from_base(base: EndpointBase) -> Self {
        PrometheusManualRequires { base }
    }

    fn base(&self) -> &EndpointBase {
        &self.base
    }

    fn base_mut(&mut self) -> &mut EndpointBase {
        &mut self.base
    }
}

impl ResponderEndpoint for PrometheusManualRequires {
    type Request = JobRequest;
}

#[endpoint(interface = "prometheus-manual", role = "requires", responder = JobRequest)]
impl PrometheusManualRequires {
    /// Answer a request: accepted (`success`) or refused with a reason.
    pub fn respond_to(
        &mut self,
        request: &RequestRecord<JobRequest>,
        success: bool,
        reason: Option<String>,
    ) -> Result<(), RequestError> {
        self.respond(request, &JobResponse { success, reason })
    }
}
