use reactive_core::endpoint::EndpointBase;
use reactive_core::prelude::*;

#[derive(Request)]
#[request(response = JobResponse)]
pub struct JobRequest {
    pub job_name: String,
}

#[derive(Response)]
pub struct JobResponse {
    pub success: bool,
}

pub struct Provides {
    base: EndpointBase,
}

impl Endpoint for Provides {
    fn from_base(base: EndpointBase) -> Self {
        Provides { base }
    }
    fn base(&self) -> &EndpointBase {
        &self.base
    }
    fn base_mut(&mut self) -> &mut EndpointBase {
        &mut self.base
    }
}

// Declared a requester, but `impl RequesterEndpoint for Provides` is missing.
#[endpoint(interface = "jobs", role = "provides", requester = JobRequest)]
impl Provides {}

fn main() {}
