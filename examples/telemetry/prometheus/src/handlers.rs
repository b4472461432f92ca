//! The prometheus charm's handlers.

use prometheus_manual::{JobResponse, PrometheusManualRequires};
use reactive_core::prelude::*;
use reactive_core::request::{RequestError, RequestRecord, ResponderEndpoint};
use reactive_core::tools::WorkloadState;

use crate::config_file::{write_config, AcceptedJob};
use crate::validate::problems;

type HandlerResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

const ENDPOINT: &str = "scrape";

/// The verdict on a request: `(success, reason)`.
fn verdict(request: &RequestRecord<prometheus_manual::JobRequest>) -> (bool, Option<String>) {
    let problems = problems(request.to_json_object());
    if problems.is_empty() {
        (true, None)
    } else {
        (false, Some(problems.join("; ")))
    }
}

/// Run `f` with the `scrape` endpoint; an error when it is missing.
fn with_scrape<R>(
    ctx: &mut Context,
    f: impl FnOnce(&mut PrometheusManualRequires, &mut Context) -> Result<R, RequestError>,
) -> Result<R, Box<dyn std::error::Error + Send + Sync>> {
    match ctx.with_endpoint::<PrometheusManualRequires, _>(ENDPOINT, f) {
        Some(result) => Ok(result?),
        None => Err("no `scrape` endpoint of type PrometheusManualRequires in this hook".into()),
    }
}

/// Judge each new request and answer it; refuse each unanswered request
/// that cannot be read at all, with the reason naming the field, so that
/// every requester gets an answer.
#[when("endpoint.scrape.new_requests")]
fn answer_new_requests(ctx: &mut Context) -> HandlerResult {
    with_scrape(ctx, |ep, _| {
        for request in ep.new_requests()? {
            let (success, reason) = verdict(&request);
            ep.respond_to(&request, success, reason)?;
        }
        for request in ep.malformed_requests()? {
            if !request.has_response() {
                let refusal = JobResponse {
                    success: false,
                    reason: Some(request.reason().to_string()),
                };
                ep.respond_to_malformed(&request, &refusal)?;
            }
        }
        Ok(())
    })?;
    ctx.set_flag("prometheus.config.stale");
    Ok(())
}

/// Judge every answered request again (an updated request on its new data)
/// and answer again where the verdict changed.
#[when("endpoint.scrape.changed")]
fn rejudge_changed_requests(ctx: &mut Context) -> HandlerResult {
    with_scrape(ctx, |ep, _| {
        for request in ep.all_requests()? {
            let Some(response) = request.response() else {
                continue;
            };
            let (success, reason) = verdict(&request);
            if response.success != success || response.reason != reason {
                ep.respond_to(&request, success, reason)?;
            }
        }
        Ok(())
    })?;
    ctx.set_flag("prometheus.config.stale");
    ctx.clear_flag("endpoint.scrape.changed");
    Ok(())
}

/// Forget the units that left.
#[when("endpoint.scrape.departed")]
fn forget_departed(ctx: &mut Context) -> HandlerResult {
    let departed = with_scrape(ctx, |ep, _| {
        let units: Vec<String> = ep
            .all_departed_units()
            .iter()
            .map(|u| format!("{} (relation {})", u.unit_name(), u.relation_id()))
            .collect();
        ep.all_departed_units_mut().clear();
        Ok(units)
    })?;
    for unit in departed {
        ctx.log(LogLevel::Info, &format!("scrape target {unit} departed"));
    }
    ctx.clear_flag("endpoint.scrape.departed");
    ctx.set_flag("prometheus.config.stale");
    Ok(())
}

/// Write the certificates and `prometheus.yml` for every accepted job, then
/// set `active` / `scraping N job(s)`.
#[when("prometheus.config.stale")]
fn write_prometheus_config(ctx: &mut Context) -> HandlerResult {
    let jobs = with_scrape(ctx, |ep, _| {
        let jobs: Vec<AcceptedJob> = ep
            .all_requests()?
            .into_iter()
            .filter(|r| r.response().is_some_and(|response| response.success))
            .map(|r| AcceptedJob {
                request_id: r.request_id().to_string(),
                job_name: r.job_name.clone(),
                job_data: r.job_data.clone(),
                ca_cert: r.ca_cert.clone(),
                client_cert: r.client_cert.clone(),
                client_key: r.client_key.clone(),
            })
            .collect();
        Ok(jobs)
    })?;
    let charm_dir = ctx
        .hook()
        .charm_dir
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from("."));
    let written = write_config(&charm_dir, &jobs)?;
    ctx.clear_flag("prometheus.config.stale");
    // Always, joined or not: in the last unit's -departed hook the charm
    // ends active with 0 jobs (the -broken hook then sets waiting).
    ctx.status_set(WorkloadState::Active, &format!("scraping {written} job(s)"))?;
    Ok(())
}

/// No target yet.
#[when_not("endpoint.scrape.joined")]
fn waiting(ctx: &mut Context) -> HandlerResult {
    ctx.status_set(WorkloadState::Waiting, "waiting for targets")?;
    Ok(())
}
