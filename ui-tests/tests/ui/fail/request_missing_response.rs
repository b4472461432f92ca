use reactive_core::prelude::*;

#[derive(Request)]
pub struct JobRequest {
    pub job_name: String,
}

#[derive(Response)]
pub struct JobResponse {
    pub success: bool,
}

#[derive(Request)]
#[request(reply = JobResponse)]
pub struct OtherRequest {
    pub job_name: String,
}

fn main() {}
