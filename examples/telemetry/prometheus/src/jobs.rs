//! Keeping `prometheus.yml` up to date by rendering only the jobs of the
//! requests a hook touched.
//!
//! `prometheus.yml` itself holds every accepted job, rendered. The unit
//! state keeps its layout (row `prometheus.jobs.layout`): each job's
//! rendered name (`<job_name>-<request_id>`: its request id is the name's
//! last 36 characters), whether it has certificates and the length of its
//! text in the file; and, in row `prometheus.jobs.file`, the file's length
//! and CRC-32. Apart because the file's sum changes with every write and
//! the layout only when a job comes, goes, or changes its length or
//! certificates (not for a new port of as many digits). A hook that
//! touched a few requests reads the layout and the file, renders those
//! requests' jobs again (or drops them), drops the jobs of requests no
//! longer received (their unit departed, their relation broke: the
//! endpoint lists the ids received without decoding a request), and writes
//! the file, and the layout if it changed.
//!
//! The file is the state: when it does not match the layout (a hook that
//! failed after writing it, so that the unit state rolled back; an edit by
//! hand; no layout yet, as an earlier version or a new unit leaves it),
//! every job is rendered from the requests again.
//!
//! Row `prometheus.jobs.touched` holds the ids of the requests answered or
//! updated since the file was last written (committed with the hook, like
//! every unit-state change).

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::path::Path;

use prometheus_manual::PrometheusManualRequires;
use reactive_core::prelude::*;
use reactive_core::request::ResponderEndpoint;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::config_file::{self, AcceptedJob, FileJob, RenderedJob};

type Error = Box<dyn std::error::Error + Send + Sync>;

const LAYOUT_KEY: &str = "prometheus.jobs.layout";
const FILE_KEY: &str = "prometheus.jobs.file";
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
    ctx.unit_state().unset(LAYOUT_KEY);
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
/// `<job_name>-<request_id>`, so the layout holding it is not ours).
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

/// One job as the layout records it.
#[derive(Debug)]
struct Placed<'a> {
    /// Borrowed from the layout row's text.
    job_name: Cow<'a, str>,
    certs: bool,
    /// The length in bytes of its text as the file holds it (indented).
    len: usize,
}

/// The layout row's text: one JSON string holding each job as
/// `<len> <certs> <name length> <name>` (`certs`: `0` or `1`; the name's
/// length in bytes, so that a name may hold any character), the jobs
/// separated by `;`. A thousand jobs read by splitting one string in
/// place, each name borrowed from it.
fn layout_text<'a>(jobs: impl Iterator<Item = Placed<'a>>) -> String {
    let mut text = String::new();
    let mut digits = itoa::Buffer::new();
    for job in jobs {
        if !text.is_empty() {
            text.push(';');
        }
        let name = job.job_name.as_ref();
        text.push_str(digits.format(job.len));
        text.push_str(if job.certs { " 1 " } else { " 0 " });
        text.push_str(digits.format(name.len()));
        text.push(' ');
        text.push_str(name);
    }
    text
}

/// The jobs of a layout row's text, in file order; `None` when it does
/// not read as [`layout_text`] writes it, or a job's name does not end
/// with a request id (an earlier shape, or an edit by hand: the layout
/// counts as damaged).
fn parse_layout(text: &str) -> Option<Vec<Placed<'_>>> {
    let mut jobs = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (len, after) = number_then_space(rest)?;
        let (certs, after) = match after.as_bytes() {
            [b'0', b' ', ..] => (false, &after[2..]),
            [b'1', b' ', ..] => (true, &after[2..]),
            _ => return None,
        };
        let (name_len, after) = number_then_space(after)?;
        let name = after.get(..name_len)?;
        request_id_of(name)?;
        jobs.push(Placed {
            job_name: Cow::Borrowed(name),
            certs,
            len,
        });
        rest = match &after[name_len..] {
            "" => "",
            more => more.strip_prefix(';').filter(|m| !m.is_empty())?,
        };
    }
    Some(jobs)
}

/// The decimal number `text` starts with, and what follows the space
/// after it.
fn number_then_space(text: &str) -> Option<(usize, &str)> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 12 || text.as_bytes().get(digits) != Some(&b' ') {
        return None;
    }
    Some((text[..digits].parse().ok()?, &text[digits + 1..]))
}

/// The layout row's JSON string, decoded: borrowed from the row when it
/// holds no escape.
fn decode_layout(raw: &str) -> Option<Cow<'_, str>> {
    match serde_json::from_str::<&str>(raw) {
        Ok(text) => Some(Cow::Borrowed(text)),
        Err(_) => serde_json::from_str::<String>(raw).ok().map(Cow::Owned),
    }
}

/// The file as it was written: its length and CRC-32 (its jobs, in file
/// order, are the layout row).
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
/// request id (checked when read from the layout; made so by
/// [`config_file::render`]).
struct Job<'a> {
    job_name: Cow<'a, str>,
    has_certs: bool,
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
            has_certs: rendered.has_certs,
            text: Text::New(rendered.text),
        }
    }

    fn request_id(&self) -> &str {
        &self.job_name[self.job_name.len() - ID_LEN..]
    }
}

/// `prometheus.yml` as read, with its jobs, when it matches the layout
/// (`layout`: the layout row's decoded text, which the jobs' names borrow
/// from).
fn read_jobs<'a>(
    ctx: &mut Context,
    file: &Path,
    layout: Option<&'a str>,
) -> Result<Option<(String, Vec<Job<'a>>)>, Error> {
    let Some(sum) = ctx.unit_state().get_raw(FILE_KEY)? else {
        return Ok(None);
    };
    let Ok(sum) = serde_json::from_str::<FileSum>(&sum) else {
        return Ok(None);
    };
    let Some(text) = layout else {
        return Ok(None);
    };
    let Some(layout) = parse_layout(text) else {
        return Ok(None);
    };
    let Ok(content) = std::fs::read_to_string(file) else {
        return Ok(None);
    };
    if content.len() != sum.len || crc32fast::hash(content.as_bytes()) != sum.crc32 {
        return Ok(None);
    }
    let spans = config_file::job_spans(&content, layout.iter().map(|j| j.len));
    let Some(spans) = spans else {
        return Ok(None);
    };
    let jobs = layout
        .into_iter()
        .zip(spans)
        .map(|(placed, span)| Job {
            job_name: placed.job_name,
            has_certs: placed.certs,
            text: Text::Kept(span),
        })
        .collect();
    Ok(Some((content, jobs)))
}

/// Bring the certificate folders and `prometheus.yml` in line with the
/// accepted requests; returns the number of jobs written.
///
/// Renders the touched requests' jobs (or all of them when the file does
/// not match its layout), drops the jobs of requests no longer received,
/// then writes the file, and its layout if a job came, went, or changed
/// its length or certificates. The jobs kept are written from the file as
/// read, without a copy, their names borrowed from the layout as read.
pub fn write(
    ctx: &mut Context,
    ep: &PrometheusManualRequires,
    charm_dir: &Path,
) -> Result<usize, Error> {
    let file = charm_dir.join("prometheus.yml");
    // Looked up once per job: a set borrowed from the endpoint's index.
    let received = ep.received_request_id_set()?;
    let layout_row = ctx.unit_state().get_raw(LAYOUT_KEY)?;
    let layout = layout_row.as_deref().and_then(decode_layout);
    let (content, mut table, touched, had_layout) = match read_jobs(ctx, &file, layout.as_deref())?
    {
        Some((content, jobs)) => (content, jobs, read_touched(ctx)?, true),
        None => {
            let all = received.iter().map(|id| id.to_string()).collect();
            (String::new(), Vec::new(), all, false)
        }
    };
    // Jobs of requests no longer received, or touched, leave the table;
    // the touched ones come back below if they are accepted. What the
    // layout said of each (certificates, length), by name: put back alike,
    // the layout need not be written again.
    let mut gone = Vec::new();
    let mut taken_out: HashMap<String, (bool, usize)> = HashMap::new();
    table.retain(|job| {
        let id = job.request_id();
        let keep = received.contains(id) && !touched.contains(id);
        if !keep {
            gone.push(id.to_string());
            if let Text::Kept(span) = &job.text {
                taken_out.insert(job.job_name.to_string(), (job.has_certs, span.len()));
            }
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
            has_certs: job.has_certs,
        })
        .collect();
    let written = config_file::write_file(charm_dir, &placed)?;
    drop(placed);
    drop(content);
    let count = table.len();
    let mut put_back = 0;
    let layout_unchanged = had_layout
        && table
            .iter()
            .zip(&written.span_lens)
            .all(|(job, len)| match job.text {
                Text::Kept(_) => true,
                Text::New(_) => {
                    put_back += 1;
                    taken_out.get(job.job_name.as_ref()) == Some(&(job.has_certs, *len))
                }
            })
        && put_back == taken_out.len();
    let sum = FileSum {
        len: written.len,
        crc32: written.crc32,
    };
    ctx.unit_state().set_serialized(FILE_KEY, &sum)?;
    ctx.unit_state().unset(TOUCHED_KEY);
    if layout_unchanged {
        return Ok(count);
    }
    let layout = layout_text(
        table
            .into_iter()
            .zip(written.span_lens)
            .map(|(job, len)| Placed {
                job_name: job.job_name,
                certs: job.has_certs,
                len,
            }),
    );
    ctx.unit_state().set_string(LAYOUT_KEY, &layout);
    Ok(count)
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

    #[test]
    fn a_layout_reads_back_as_written_with_its_names_borrowed() {
        let id = "00534641-c568-42b1-bbfc-d02b545036c5";
        let odd = format!("a;b 1 \"c\"\n-{id}");
        let jobs = [(format!("node-{id}"), false, 10), (odd.clone(), true, 1234)];
        let text = layout_text(jobs.iter().map(|(name, certs, len)| Placed {
            job_name: Cow::Borrowed(name),
            certs: *certs,
            len: *len,
        }));
        assert_eq!(
            text,
            format!("10 0 {} node-{id};1234 1 {} {odd}", 41, odd.len())
        );
        let read = parse_layout(&text).unwrap();
        let read: Vec<_> = read
            .iter()
            .map(|p| (p.job_name.to_string(), p.certs, p.len))
            .collect();
        assert_eq!(read, jobs);
        assert!(parse_layout(&text)
            .unwrap()
            .iter()
            .all(|p| matches!(p.job_name, Cow::Borrowed(_))));
        // Through the row's JSON string, escapes and all.
        let row = serde_json::to_string(&text).unwrap();
        assert_eq!(decode_layout(&row).unwrap(), text);
        let plain = serde_json::to_string(&format!("10 0 41 node-{id}")).unwrap();
        assert!(matches!(decode_layout(&plain), Some(Cow::Borrowed(_))));
        assert_eq!(parse_layout("").unwrap().len(), 0);
    }

    #[test]
    fn a_layout_that_does_not_read_as_written_counts_as_damaged() {
        let id = "00534641-c568-42b1-bbfc-d02b545036c5";
        for bad in [
            // A name that does not end with a request id.
            "10 0 4 node".to_string(),
            // A name longer or shorter than its length says.
            format!("10 0 42 node-{id}"),
            format!("10 0 40 node-{id}"),
            // Certificates neither 0 nor 1; a missing or signed number.
            format!("10 2 41 node-{id}"),
            format!("0 41 node-{id}"),
            format!("-10 0 41 node-{id}"),
            format!(" 10 0 41 node-{id}"),
            // An empty job, a trailing separator, a cut entry.
            format!("10 0 41 node-{id};"),
            format!("10 0 41 node-{id};;10 0 41 node-{id}"),
            "10 0".to_string(),
            // A length too long to be one.
            format!("1234567890123 0 41 node-{id}"),
            // Earlier shapes: each job as an array, with its request id
            // first or not; the whole layout as one object.
            format!(r#"[["node-{id}", false, 10]]"#),
            format!(r#"[["{id}", "node-{id}", false, 10]]"#),
            format!(r#"{{"len": 1, "crc32": 2, "jobs": [["node-{id}", false, 10]]}}"#),
        ] {
            assert!(parse_layout(&bad).is_none(), "{bad}");
        }
        // A row that is not a JSON string does not decode at all.
        assert!(decode_layout(r#"[["node", false, 10]]"#).is_none());
        assert!(decode_layout("not json").is_none());
    }
}
