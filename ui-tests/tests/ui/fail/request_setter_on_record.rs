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

// A record is a read-only snapshot: only a `RequestMut` has setters.
fn rename(record: &mut RequestRecord<JobRequest>) {
    let _ = record.set_job_name("renamed".to_string());
}

fn main() {}
