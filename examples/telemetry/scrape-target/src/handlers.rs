//! The scrape-target charm's handlers.

use prometheus_manual::PrometheusManualProvides;
use reactive_core::prelude::*;
use reactive_core::request::RequesterEndpoint;
use reactive_core::tools::WorkloadState;
use serde_json::{json, Value};

type HandlerResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

const ENDPOINT: &str = "metrics";

/// A non-empty string option, or `None`.
fn option(ctx: &Context, key: &str) -> Option<String> {
    ctx.config()
        .get_str(key)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// The job stanza for `address`, with TLS placeholders when certificates
/// are configured.
fn job_data(
    ctx: &Context,
    address: &str,
) -> (Value, Option<String>, Option<String>, Option<String>) {
    let port = ctx.config().get_i64("port").unwrap_or(9100);
    let scheme = ctx.config().get_str("scheme").unwrap_or("http").to_string();
    let mut job = json!({
        "static_configs": [{"targets": [format!("{address}:{port}")]}],
        "scheme": scheme,
    });
    let ca_cert = option(ctx, "ca-cert");
    let client = option(ctx, "client-cert").zip(option(ctx, "client-key"));
    let mut tls = serde_json::Map::new();
    if ca_cert.is_some() {
        tls.insert("ca_file".into(), json!("__ca_file__"));
    }
    if client.is_some() {
        tls.insert("cert_file".into(), json!("__cert_file__"));
        tls.insert("key_file".into(), json!("__key_file__"));
    }
    if !tls.is_empty() {
        job["tls_config"] = Value::Object(tls);
    }
    let (client_cert, client_key) = match client {
        Some((cert, key)) => (Some(cert), Some(key)),
        None => (None, None),
    };
    (job, ca_cert, client_cert, client_key)
}

/// Register one job, named by `job-name`, on every relation of the
/// endpoint, scraping this unit at its ingress address on that relation.
#[when("endpoint.metrics.joined")]
#[when_not("scrape-target.registered")]
fn register(ctx: &mut Context) -> HandlerResult {
    let job_name = ctx
        .config()
        .get_str("job-name")
        .unwrap_or("node")
        .to_string();
    let registered =
        ctx.with_endpoint::<PrometheusManualProvides, _>(ENDPOINT, |ep, ctx| -> HandlerResult {
            let relation_ids: Vec<String> = ep
                .relations()
                .keys()
                .into_iter()
                .map(String::from)
                .collect();
            for rid in relation_ids {
                let relation = &mut ep.relations_mut()[rid.as_str()];
                let ingress = relation
                    .to_publish()?
                    .get_raw("ingress-address")
                    .map(str::to_string);
                let address = match ingress {
                    Some(address) if !address.is_empty() => address,
                    _ => ctx.unit_get("private-address")?,
                };
                let (job, ca_cert, client_cert, client_key) = job_data(ctx, &address);
                ep.register_job(&job_name, job, ca_cert, client_cert, client_key, Some(&rid))?;
            }
            Ok(())
        });
    match registered {
        Some(result) => result?,
        None => {
            return Err(
                "no `metrics` endpoint of type PrometheusManualProvides in this hook".into(),
            )
        }
    }
    ctx.set_flag("scrape-target.registered");
    Ok(())
}

/// A config or relation change: register again on the next pass (a new
/// relation included; create-or-update keeps one request per job name and
/// relation).
#[when_any("config.changed", "endpoint.metrics.changed")]
fn reregister(ctx: &mut Context) {
    ctx.clear_flag("scrape-target.registered");
    ctx.clear_flag("endpoint.metrics.changed");
}

/// Report what the scrapers answered.
#[when("endpoint.metrics.has_responses")]
fn report_status(ctx: &mut Context) -> HandlerResult {
    let verdict = ctx.with_endpoint::<PrometheusManualProvides, _>(ENDPOINT, |ep, _| {
        let responses = ep.responses()?;
        let relations = ep.relations().len();
        let failure = responses.iter().find(|r| !r.success).map(|r| {
            r.reason
                .clone()
                .filter(|reason| !reason.is_empty())
                .unwrap_or_else(|| "registration failed".to_string())
        });
        Ok::<_, reactive_core::request::RequestError>((failure, relations))
    });
    let Some(verdict) = verdict else {
        return Ok(());
    };
    match verdict? {
        (Some(reason), _) => ctx.status_set(WorkloadState::Blocked, &reason)?,
        (None, n) => ctx.status_set(
            WorkloadState::Active,
            &format!("registered with {n} scraper(s)"),
        )?,
    }
    Ok(())
}

/// No scraper yet.
#[when_not("endpoint.metrics.joined")]
fn waiting(ctx: &mut Context) -> HandlerResult {
    ctx.status_set(WorkloadState::Waiting, "waiting for scraper")?;
    ctx.clear_flag("scrape-target.registered");
    Ok(())
}
