//! Keeping `prometheus.yml` up to date by rendering only the jobs of the
//! requests a hook touched.
//!
//! `prometheus.yml` itself holds every accepted job, rendered, sorted by
//! its rendered name (`<job_name>-<request_id>`: its request id is the
//! name's last 36 characters). The unit state keeps, in row
//! `prometheus.jobs.file`, the file's length and CRC-32 as last written. A
//! hook that touched a few requests reads the file, checks it against that
//! sum, finds each job's text and name in it (the lines that open and close
//! a job, and its top-level `job_name`: see
//! [`config_file::job_spans`]), renders those requests' jobs again (or
//! drops them), drops the jobs of requests no longer received (their unit
//! departed, their relation broke: the endpoint lists the ids received
//! without decoding a request), and writes the file. Nothing else is kept:
//! a hook where a job comes or goes rewrites one file and one small row.
//!
//! The file is the state: when it does not match its sum (a hook that
//! failed after writing it, so that the unit state rolled back; an edit by
//! hand; no sum yet, as a new unit leaves it), every job is rendered from
//! the requests again.
//!
//! Row `prometheus.jobs.touched` holds the ids of the requests answered or
//! updated since the file was last written (committed with the hook, like
//! every unit-state change).

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::ops::Range;
use std::path::Path;

use prometheus_manual::PrometheusManualRequires;
use reactive_core::prelude::*;
use reactive_core::request::ResponderEndpoint;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::config_file::{self, AcceptedJob, FileJob, RenderedJob};

type Error = Box<dyn std::error::Error + Send + Sync>;

const FILE_KEY: &str = "prometheus.jobs.file";
/// The row where earlier versions kept each job's place in the file; it is
/// dropped with the file's sum after a charm upgrade.
const FORMER_LAYOUT_KEY: &str = "prometheus.jobs.layout";
const TOUCHED_KEY: &str = "prometheus.jobs.touched";

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
    ctx.unit_state().unset(FILE_KEY);
    ctx.unit_state().unset(FORMER_LAYOUT_KEY);
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

/// The length of a canonical request id (a UUID).
const ID_LEN: usize = 36;

/// The request id a rendered job name ends with (`None`: the name is not
/// `<job_name>-<request_id>`, so the file holding it is not as this charm
/// writes it).
fn request_id_of(job_name: &str) -> Option<&str> {
    let at = job_name.len().checked_sub(ID_LEN)?;
    let (head, id) = (job_name.get(..at)?, job_name.get(at..)?);
    // Read once per job of a thousand: one table lookup per byte.
    let canonical = id.bytes().zip(CANONICAL_ID).all(|(b, dash)| {
        if dash {
            b == b'-'
        } else {
            LOWER_HEX[usize::from(b)]
        }
    });
    (head.len() > 1 && head.ends_with('-') && canonical).then_some(id)
}

/// Where a canonical request id has its dashes (`true`) and its lowercase
/// hex digits.
const CANONICAL_ID: [bool; ID_LEN] = {
    let mut dashes = [false; ID_LEN];
    dashes[8] = true;
    dashes[13] = true;
    dashes[18] = true;
    dashes[23] = true;
    dashes
};

/// Which bytes are lowercase hex digits.
const LOWER_HEX: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = matches!(b as u8, b'0'..=b'9' | b'a'..=b'f');
        b += 1;
    }
    table
};

/// The file as it was written: its length and CRC-32.
#[derive(Debug, Serialize, Deserialize)]
struct FileSum {
    len: usize,
    crc32: u32,
}

/// Where a job's text is.
enum Text {
    /// In the file as read (a byte range of it).
    Kept(Range<usize>),
    /// Rendered in this hook.
    New(String),
}

/// One job of the table the file is written from. Its name ends with its
/// request id (checked when read from the file; made so by
/// [`config_file::render`]).
struct Job<'a> {
    job_name: Cow<'a, str>,
    text: Text,
}

impl Job<'_> {
    fn new(rendered: RenderedJob) -> Self {
        debug_assert_eq!(
            request_id_of(&rendered.job_name),
            Some(&*rendered.request_id)
        );
        Job {
            job_name: Cow::Owned(rendered.job_name),
            text: Text::New(rendered.text),
        }
    }

    fn request_id(&self) -> &str {
        &self.job_name[self.job_name.len() - ID_LEN..]
    }
}

/// `prometheus.yml` as read, when it is as the last write left it (its
/// length and CRC-32 as the unit state holds them).
fn read_as_written(ctx: &mut Context, file: &Path) -> Result<Option<String>, Error> {
    let Some(sum) = ctx.unit_state().get_raw(FILE_KEY)? else {
        return Ok(None);
    };
    let Ok(sum) = serde_json::from_str::<FileSum>(&sum) else {
        return Ok(None);
    };
    let Ok(content) = std::fs::read_to_string(file) else {
        return Ok(None);
    };
    let same = content.len() == sum.len && crc32fast::hash(content.as_bytes()) == sum.crc32;
    Ok(same.then_some(content))
}

/// The jobs of a file as written, in file order, their names borrowed from
/// it; `None` when one cannot be found, or its name does not end with a
/// request id (a file of another shape: every job is rendered again).
fn jobs_in(content: &str) -> Option<Vec<Job<'_>>> {
    config_file::jobs_in_file(content)?
        .into_iter()
        .map(|(span, job_name)| {
            request_id_of(&job_name)?;
            Some(Job {
                job_name,
                text: Text::Kept(span),
            })
        })
        .collect()
}

/// Bring the certificate folders and `prometheus.yml` in line with the
/// accepted requests; returns the number of jobs written.
///
/// Renders the touched requests' jobs (or all of them when the file is not
/// as last written), drops the jobs of requests no longer received, then
/// writes the file and its sum. The jobs kept are written from the file as
/// read, without a copy, their names borrowed from it.
pub fn write(
    ctx: &mut Context,
    ep: &PrometheusManualRequires,
    charm_dir: &Path,
) -> Result<usize, Error> {
    let file = charm_dir.join("prometheus.yml");
    // Looked up once per job: a set borrowed from the endpoint's index.
    let received = ep.received_request_id_set()?;
    let content = read_as_written(ctx, &file)?.unwrap_or_default();
    let (mut table, touched) = match jobs_in(&content) {
        Some(jobs) => (jobs, read_touched(ctx)?),
        None => {
            let all = received.iter().map(|id| id.to_string()).collect();
            (Vec::new(), all)
        }
    };
    // Jobs of requests no longer received, or touched, leave the table;
    // the touched ones come back below if they are accepted.
    let mut gone = Vec::new();
    table.retain(|job| {
        let id = job.request_id();
        let keep = received.contains(id) && !touched.contains(id);
        if !keep {
            gone.push(id.to_string());
        }
        keep
    });
    drop(received);
    let mut rendered = Vec::new();
    for request in ep.requests_with_ids(&touched)? {
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
    // A request id sent by two units renders once.
    let mut seen = BTreeSet::new();
    rendered.retain(|job| seen.insert(job.request_id.clone()));
    for id in gone {
        if !seen.contains(&id) {
            config_file::remove_folder(charm_dir, &id)?;
        }
    }
    table.extend(rendered.into_iter().map(Job::new));
    table.sort_by(|a, b| a.job_name.cmp(&b.job_name));
    let placed: Vec<FileJob> = table
        .iter()
        .map(|job| FileJob {
            request_id: job.request_id(),
            job_name: &job.job_name,
            text: match &job.text {
                Text::Kept(span) => &content[span.clone()],
                Text::New(text) => text,
            },
        })
        .collect();
    let written = config_file::write_file(charm_dir, &placed)?;
    let sum = FileSum {
        len: written.len,
        crc32: written.crc32,
    };
    ctx.unit_state().set_serialized(FILE_KEY, &sum)?;
    ctx.unit_state().unset(TOUCHED_KEY);
    Ok(table.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rendered_name_gives_its_request_id() {
        let id = "00534641-c568-42b1-bbfc-d02b545036c5";
        assert_eq!(request_id_of(&format!("node-{id}")), Some(id));
        assert_eq!(request_id_of(&format!("a-b-{id}")), Some(id));
        for name in [
            id.to_string(),                        // no job name before it
            format!("-{id}"),                      // an empty job name
            format!("node_{id}"),                  // no dash before it
            format!("node-{}", id.to_uppercase()), // not canonical
            format!("node-{}x", &id[..35]),        // not hex
            format!("node-{}", id.replace('-', "0")),
            "node".to_string(),
            "é".repeat(30),
        ] {
            assert_eq!(request_id_of(&name), None, "{name}");
        }
    }
}
