//! The prometheus charm's handlers.

use prometheus_manual::{JobResponse, PrometheusManualRequires};
use reactive_core::prelude::*;
use reactive_core::request::{RequestError, RequestRecord, ResponderEndpoint};
use reactive_core::tools::WorkloadState;

use crate::jobs;
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
    let answered = with_scrape(ctx, |ep, _| {
        let mut answered = Vec::new();
        for request in ep.new_requests()? {
            let (success, reason) = verdict(&request);
            ep.respond_to(&request, success, reason)?;
            answered.push(request.request_id().to_string());
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
        Ok(answered)
    })?;
    jobs::touch(ctx, answered.iter().map(String::as_str))?;
    ctx.set_flag("prometheus.config.stale");
    Ok(())
}

/// Answer `requests` again where the verdict differs from the response
/// (unanswered ones are `answer_new_requests`'s).
fn rejudge(
    ep: &mut PrometheusManualRequires,
    requests: Vec<RequestRecord<prometheus_manual::JobRequest>>,
) -> Result<(), RequestError> {
    for request in requests {
        let Some(response) = request.response() else {
            continue;
        };
        let (success, reason) = verdict(&request);
        if response.success != success || response.reason != reason {
            ep.respond_to(&request, success, reason)?;
        }
    }
    Ok(())
}

/// Judge the answered requests updated in this hook again, on their new
/// data, and answer again where the verdict changed. A request whose data
/// did not change keeps its verdict, so only the updated ones are read.
#[when("endpoint.scrape.changed")]
fn rejudge_changed_requests(ctx: &mut Context) -> HandlerResult {
    let updated = with_scrape(ctx, |ep, _| {
        let updated = ep.changed_requests()?;
        let ids: Vec<String> = updated.iter().map(|r| r.request_id().to_string()).collect();
        rejudge(ep, updated)?;
        Ok(ids)
    })?;
    jobs::touch(ctx, updated.iter().map(String::as_str))?;
    ctx.set_flag("prometheus.config.stale");
    ctx.clear_flag("endpoint.scrape.changed");
    Ok(())
}

/// A new version of the charm may judge differently: judge every answered
/// request again.
#[hook("upgrade-charm")]
fn rejudge_all_requests(ctx: &mut Context) -> HandlerResult {
    with_scrape(ctx, |ep, _| {
        let all = ep.all_requests()?;
        rejudge(ep, all)
    })?;
    jobs::render_all_again(ctx);
    ctx.set_flag("prometheus.config.stale");
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

/// Write the certificates and `prometheus.yml` for every accepted job
/// (rendering again only the jobs of the requests answered or updated
/// since the last write, see [`jobs`]), then set `active` /
/// `scraping N job(s)`.
#[when("prometheus.config.stale")]
fn write_prometheus_config(ctx: &mut Context) -> HandlerResult {
    let charm_dir = ctx
        .hook()
        .charm_dir
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from("."));
    let written = match ctx.with_endpoint::<PrometheusManualRequires, _>(ENDPOINT, |ep, ctx| {
        jobs::write(ctx, ep, &charm_dir)
    }) {
        Some(written) => written?,
        None => {
            return Err("no `scrape` endpoint of type PrometheusManualRequires in this hook".into())
        }
    };
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
