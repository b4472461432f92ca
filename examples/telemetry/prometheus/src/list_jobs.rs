//! The `list-jobs` action: every scrape job the targets requested, with its
//! targets and the verdict on it.

use prometheus_manual::PrometheusManualRequires;
use reactive_core::prelude::*;
use reactive_core::request::RequestError;
use serde::Deserialize;
use serde_json::{json, Value};

type HandlerResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// How the `jobs` result is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// A JSON array of `{"job", "targets", "verdict", "reason"}`.
    Json,
    /// One line per job: `job: target, target (verdict)`.
    Text,
}

/// The parameters of `list-jobs` (see `actions.yaml`).
#[derive(Debug, Deserialize)]
pub struct ListJobsParams {
    /// `json` (the default) or `text`.
    pub format: Format,
}

/// One requested job as the action lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobListing {
    /// The requested job name.
    pub job: String,
    /// The targets of its `static_configs`.
    pub targets: Vec<String>,
    /// `accepted`, `rejected` or `pending`.
    pub verdict: &'static str,
    /// Why it was rejected.
    pub reason: Option<String>,
}

/// The targets of a scrape job stanza (`static_configs[*].targets[*]`).
pub fn targets_of(job_data: &Value) -> Vec<String> {
    job_data
        .get("static_configs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|config| config.get("targets").and_then(Value::as_array))
        .flatten()
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect()
}

/// The listing rendered as `format`.
pub fn render(jobs: &[JobListing], format: Format) -> String {
    match format {
        Format::Json => Value::Array(
            jobs.iter()
                .map(|j| {
                    json!({
                        "job": j.job,
                        "targets": j.targets,
                        "verdict": j.verdict,
                        "reason": j.reason,
                    })
                })
                .collect(),
        )
        .to_string(),
        Format::Text => jobs
            .iter()
            .map(|j| {
                let verdict = match &j.reason {
                    Some(reason) => format!("{}: {reason}", j.verdict),
                    None => j.verdict.to_string(),
                };
                format!("{}: {} ({verdict})", j.job, j.targets.join(", "))
            })
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// List every requested job in the `jobs` result, sorted by job name then
/// targets, and their number in `count`.
#[action("list-jobs")]
fn list_jobs(ctx: &mut Context, params: ListJobsParams) -> HandlerResult {
    let listed = ctx.with_endpoint::<PrometheusManualRequires, _>("scrape", |ep, _| {
        let mut jobs = Vec::new();
        for request in ep.all_requests()? {
            let (verdict, reason) = match request.response() {
                Some(r) if r.success => ("accepted", None),
                Some(r) => ("rejected", r.reason.clone()),
                None => ("pending", None),
            };
            jobs.push(JobListing {
                job: request.job_name.clone(),
                targets: targets_of(&request.job_data),
                verdict,
                reason,
            });
        }
        Ok::<_, RequestError>(jobs)
    });
    let mut jobs = match listed {
        Some(jobs) => jobs?,
        None => Vec::new(),
    };
    jobs.sort_by(|a, b| (&a.job, &a.targets).cmp(&(&b.job, &b.targets)));
    ctx.action_log(&format!("{} job(s) requested", jobs.len()))?;
    ctx.action_set("count", &jobs.len().to_string())?;
    ctx.action_set("jobs", &render(&jobs, params.format))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_and_renderings() {
        let data = json!({"static_configs": [{"targets": ["a:1", "b:2"]}, {"targets": ["c:3"]}]});
        assert_eq!(targets_of(&data), ["a:1", "b:2", "c:3"]);
        assert!(targets_of(&json!({})).is_empty());
        let jobs = [
            JobListing {
                job: "node".into(),
                targets: vec!["a:1".into()],
                verdict: "accepted",
                reason: None,
            },
            JobListing {
                job: "bad".into(),
                targets: vec![],
                verdict: "rejected",
                reason: Some("port 0".into()),
            },
        ];
        assert_eq!(
            render(&jobs, Format::Text),
            "node: a:1 (accepted)\nbad:  (rejected: port 0)"
        );
        let parsed: Value = serde_json::from_str(&render(&jobs, Format::Json)).unwrap();
        assert_eq!(
            parsed[1],
            json!({"job": "bad", "targets": [], "verdict": "rejected", "reason": "port 0"})
        );
    }
}
