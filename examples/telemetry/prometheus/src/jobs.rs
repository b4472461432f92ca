//! The accepted jobs as `prometheus.yml` holds them, kept in the unit
//! state so that a hook renders only the jobs whose requests it touched.
//!
//! Rows (committed with the hook, like every unit-state change):
//! - `prometheus.job.<request_id>`: one accepted job,
//!   `{"job_name": .., "text": .., "certs": bool}` (a [`RenderedJob`]);
//! - `prometheus.jobs.touched`: the ids of the requests answered or
//!   updated since the file was last written;
//! - `prometheus.jobs.built`: the table holds every accepted job (without
//!   it, the next write renders them all: a new unit, or a unit state of a
//!   version that kept no table).
//!
//! A request that left (its unit departed, its relation broke) is dropped
//! from the table when the file is written, by comparing the table with the
//! ids of the requests received, which the endpoint lists without decoding
//! them.

use std::collections::BTreeSet;
use std::path::Path;

use prometheus_manual::PrometheusManualRequires;
use reactive_core::prelude::*;
use reactive_core::request::ResponderEndpoint;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::config_file::{self, AcceptedJob, RenderedJob};

type Error = Box<dyn std::error::Error + Send + Sync>;

const JOB_PREFIX: &str = "prometheus.job.";
const TOUCHED_KEY: &str = "prometheus.jobs.touched";
const BUILT_KEY: &str = "prometheus.jobs.built";

/// Note requests answered or updated in this hook: their jobs are rendered
/// again (or dropped) when the file is next written.
pub fn touch<'a>(
    ctx: &mut Context,
    request_ids: impl IntoIterator<Item = &'a str>,
) -> Result<(), Error> {
    let mut touched = read_touched(ctx)?;
    let before = touched.len();
    touched.extend(request_ids.into_iter().map(str::to_string));
    if touched.len() != before {
        ctx.unit_state().set(TOUCHED_KEY, json!(touched));
    }
    Ok(())
}

/// Have the next write render every job again (after a charm upgrade,
/// whose rendering may differ).
pub fn render_all_again(ctx: &mut Context) {
    ctx.unit_state().unset(BUILT_KEY);
}

fn read_touched(ctx: &mut Context) -> Result<BTreeSet<String>, Error> {
    Ok(match ctx.unit_state().get(TOUCHED_KEY)? {
        Some(Value::Array(ids)) => ids
            .iter()
            .filter_map(|id| id.as_str().map(str::to_string))
            .collect(),
        _ => BTreeSet::new(),
    })
}

fn row(job: &RenderedJob) -> Value {
    json!({"job_name": job.job_name, "text": job.text, "certs": job.has_certs})
}

/// A row as stored.
#[derive(Deserialize)]
struct Row {
    job_name: String,
    text: String,
    certs: bool,
}

fn from_row(request_id: &str, text: &str) -> Option<RenderedJob> {
    let row: Row = serde_json::from_str(text).ok()?;
    Some(RenderedJob {
        request_id: request_id.to_string(),
        job_name: row.job_name,
        text: row.text,
        has_certs: row.certs,
    })
}

/// Bring the table, the certificate folders and `prometheus.yml` in line
/// with the accepted requests; returns the number of jobs written.
///
/// Renders the touched requests' jobs (or all of them when the table is not
/// built), drops the jobs of requests no longer received, then writes the
/// file from the table.
pub fn write(
    ctx: &mut Context,
    ep: &PrometheusManualRequires,
    charm_dir: &Path,
) -> Result<usize, Error> {
    let built = ctx.unit_state().get(BUILT_KEY)? == Some(Value::Bool(true));
    let received = ep.received_request_ids()?;
    let mut touched = if built {
        read_touched(ctx)?
    } else {
        received.clone()
    };
    let mut table: Vec<RenderedJob> = Vec::new();
    let mut stale = Vec::new();
    for (key, value) in ctx.unit_state().get_range_raw(JOB_PREFIX)? {
        let id = &key[JOB_PREFIX.len()..];
        if !received.contains(id) {
            stale.push(id.to_string());
            continue;
        }
        match from_row(id, &value) {
            Some(job) => table.push(job),
            // A row that cannot be read is rendered again.
            None => {
                touched.insert(id.to_string());
            }
        }
    }
    let requests = ep.requests_with_ids(&touched)?;
    let mut rendered = Vec::new();
    for request in &requests {
        if !request.response().is_some_and(|r| r.success) {
            continue;
        }
        rendered.push(config_file::render(
            charm_dir,
            &AcceptedJob {
                request_id: request.request_id().to_string(),
                job_name: request.job_name.clone(),
                job_data: request.job_data.clone(),
                ca_cert: request.ca_cert.clone(),
                client_cert: request.client_cert.clone(),
                client_key: request.client_key.clone(),
            },
        )?);
    }
    // Touched requests not accepted now (refused, or gone) leave the table.
    let accepted: BTreeSet<&str> = rendered.iter().map(|j| j.request_id.as_str()).collect();
    table.retain(|job| {
        let keep = !touched.contains(&job.request_id);
        if !keep && !accepted.contains(job.request_id.as_str()) {
            stale.push(job.request_id.clone());
        }
        keep
    });
    for id in &stale {
        ctx.unit_state().unset(&format!("{JOB_PREFIX}{id}"));
        config_file::remove_folder(charm_dir, id)?;
    }
    for job in &rendered {
        ctx.unit_state()
            .set(&format!("{JOB_PREFIX}{}", job.request_id), row(job));
    }
    // A request id sent by two units renders once.
    let mut seen = BTreeSet::new();
    rendered.retain(|job| seen.insert(job.request_id.clone()));
    table.extend(rendered);
    config_file::write_file(charm_dir, &table)?;
    ctx.unit_state().unset(TOUCHED_KEY);
    if !built {
        ctx.unit_state().set(BUILT_KEY, Value::Bool(true));
    }
    Ok(table.len())
}
