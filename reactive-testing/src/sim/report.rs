//! What a simulated step did, readable on a terminal and as JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{json, Value};

use super::deployment::{Deployment, HookRun};
use super::model::Status;
use reactive_core::names::RelationId;
use reactive_core::tools::DataBag;

/// One unit's state after a step.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitSnapshot {
    /// The unit.
    pub unit: String,
    /// Its workload status.
    pub status: Option<Status>,
    /// Its persisted flags, sorted.
    pub flags: Vec<String>,
    /// Its published data on each relation (relation id as it sees it).
    pub published: BTreeMap<RelationId, DataBag>,
}

/// A file of a unit's charm directory, as it is after a step.
#[derive(Debug, Clone, PartialEq)]
pub struct FileSnapshot {
    /// `unit:relative/path`.
    pub name: String,
    /// Its text, or `None` when absent.
    pub content: Option<String>,
}

/// What a step did and left.
#[derive(Debug, Clone, PartialEq)]
pub struct StepReport {
    /// The step, described.
    pub step: String,
    /// Every hook run, in order.
    pub hooks: Vec<HookRun>,
    /// Every unit afterwards.
    pub units: Vec<UnitSnapshot>,
    /// The actions the step ran, with their results.
    pub actions: Vec<super::action::ActionResult>,
    /// Chosen files afterwards.
    pub files: Vec<FileSnapshot>,
    /// The error that stopped the step, if any.
    pub error: Option<String>,
}

impl Deployment {
    /// Every unit's status, flags and published data now.
    pub fn snapshot_units(&self) -> Vec<UnitSnapshot> {
        let model = self.model();
        let mut units: Vec<&String> = model.units.keys().collect();
        units.sort_by(|a, b| reactive_core::names::unit_order(a, b));
        units
            .into_iter()
            .map(|unit| {
                let record = &model.units[unit];
                let published = model
                    .relations
                    .values()
                    .filter_map(|r| {
                        let bag = r.unit_data.get(unit)?;
                        let endpoint = r.endpoints.get(&record.app)?;
                        let rid = RelationId::new(endpoint, r.id);
                        Some((rid, bag.clone()))
                    })
                    .collect();
                UnitSnapshot {
                    unit: unit.clone(),
                    status: record.status.clone(),
                    flags: self.unit_flags(unit),
                    published,
                }
            })
            .collect()
    }

    /// The files named `unit:relative/path`, as they are now.
    pub fn snapshot_files(&self, names: &[String]) -> Vec<FileSnapshot> {
        names
            .iter()
            .map(|name| {
                let content = name.split_once(':').and_then(|(unit, path)| {
                    let dir = self.unit_dir(unit)?;
                    std::fs::read_to_string(dir.join(path)).ok()
                });
                FileSnapshot {
                    name: name.clone(),
                    content,
                }
            })
            .collect()
    }
}

/// A relation value as reports show it: private keys (PEM blocks of any
/// `PRIVATE KEY` kind, raw or inside JSON-encoded strings) are replaced by
/// `<redacted private key>`, so that a report never carries a secret.
pub fn redact_secrets(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after_begin = &rest[start..];
        let Some(header_end) = after_begin[11..].find("-----").map(|i| i + 11 + 5) else {
            break;
        };
        let header = &after_begin[..header_end];
        if !header.contains("PRIVATE KEY") {
            out.push_str(&rest[..start + header_end]);
            rest = &rest[start + header_end..];
            continue;
        }
        out.push_str(&rest[..start]);
        out.push_str("<redacted private key>");
        let end = after_begin
            .find("-----END ")
            .and_then(|e| after_begin[e + 9..].find("-----").map(|i| e + 9 + i + 5))
            .unwrap_or(after_begin.len());
        rest = &after_begin[end..];
    }
    out.push_str(rest);
    out
}

/// [`redact_secrets`], and every one of `values` (the content of the
/// model's secrets, see
/// [`SecretStore::values`](super::secret_model::SecretStore::values))
/// replaced by `<redacted>`.
pub fn redact_secret_values(value: &str, values: &[String]) -> String {
    super::secret_model::scrub_values(&redact_secrets(value), values)
}

fn bag_json(bag: &DataBag) -> Value {
    Value::Object(
        bag.iter()
            .map(|(k, v)| (k.clone(), Value::String(redact_secrets(v))))
            .collect(),
    )
}

impl StepReport {
    /// Replace every one of `values` (secret content) wherever the report
    /// shows text: the step's description, published data, statuses, hook
    /// and step errors, files and the recorded tool calls. A step's report is scrubbed with the
    /// model's secrets before it is returned.
    pub fn scrub(&mut self, values: &[String]) {
        if values.is_empty() {
            return;
        }
        let scrub = |text: &mut String| *text = redact_secret_values(text, values);
        scrub(&mut self.step);
        for hook in &mut self.hooks {
            if let Err(e) = &mut hook.result {
                scrub(e);
            }
            for call in &mut hook.calls {
                call.args.iter_mut().for_each(scrub);
            }
        }
        for unit in &mut self.units {
            if let Some(status) = &mut unit.status {
                scrub(&mut status.message);
            }
            for bag in unit.published.values_mut() {
                bag.values_mut().for_each(scrub);
            }
        }
        for file in &mut self.files {
            if let Some(content) = &mut file.content {
                scrub(content);
            }
        }
        if let Some(e) = &mut self.error {
            scrub(e);
        }
    }

    /// The report as JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "step": self.step,
            "error": self.error,
            "hooks": self.hooks.iter().map(|h| json!({
                "unit": h.unit,
                "hook": h.hook,
                "remote_unit": h.remote_unit,
                "invoked": h.invoked,
                "tool_calls": h.calls.len(),
                "flags_set": h.flags_set,
                "flags_cleared": h.flags_cleared,
                "ok": h.result.is_ok(),
                "error": h.result.as_ref().err(),
                "duration_us": u64::try_from(h.duration.as_micros()).unwrap_or(u64::MAX),
            })).collect::<Vec<_>>(),
            "units": self.units.iter().map(|u| json!({
                "unit": u.unit,
                "status": u.status,
                "flags": u.flags,
                "published": u.published.iter().map(|(rid, bag)| (rid.to_string(), bag_json(bag))).collect::<serde_json::Map<_, _>>(),
            })).collect::<Vec<_>>(),
            "actions": self.actions.iter().map(|a| a.to_json()).collect::<Vec<_>>(),
            "files": self.files.iter().map(|f| json!({"name": f.name, "content": f.content})).collect::<Vec<_>>(),
        })
    }

    /// The report as text for a terminal.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "== {}", self.step);
        let _ = writeln!(out, "   hooks:");
        for h in &self.hooks {
            let remote = h
                .remote_unit
                .as_ref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            let outcome = match &h.result {
                Ok(()) => String::new(),
                Err(e) => format!("  FAILED: {e}"),
            };
            let _ = writeln!(
                out,
                "     {:<16} {}{remote}  [{} tool calls, {:.1} ms]{outcome}",
                h.unit,
                h.hook,
                h.calls.len(),
                h.duration.as_secs_f64() * 1000.0
            );
            for id in &h.invoked {
                let _ = writeln!(out, "         ran {id}");
            }
            if !h.flags_set.is_empty() {
                let _ = writeln!(out, "         +flags {}", h.flags_set.join(" "));
            }
            if !h.flags_cleared.is_empty() {
                let _ = writeln!(out, "         -flags {}", h.flags_cleared.join(" "));
            }
        }
        for a in &self.actions {
            let status = match &a.failure {
                None => "completed".to_string(),
                Some(message) => format!("FAILED: {message}"),
            };
            let _ = writeln!(out, "   action {} on {}: {status}", a.action, a.unit);
            for line in &a.logs {
                let _ = writeln!(out, "     log: {line}");
            }
            let results = serde_json::to_string_pretty(&a.results).unwrap_or_default();
            for line in results.lines() {
                let _ = writeln!(out, "     | {}", redact_secrets(line));
            }
        }
        let _ = writeln!(out, "   units:");
        for u in &self.units {
            let status = u
                .status
                .as_ref()
                .map(|s| format!("{}: {}", s.state, s.message))
                .unwrap_or_else(|| "unknown".into());
            let _ = writeln!(out, "     {:<16} {status}", u.unit);
            let _ = writeln!(out, "         flags: {}", u.flags.join(" "));
            for (rid, bag) in &u.published {
                let _ = writeln!(out, "         published on {rid}:");
                for (k, v) in bag {
                    let v = &redact_secrets(v);
                    let shown = if v.len() > 160 {
                        let mut end = 160;
                        while !v.is_char_boundary(end) {
                            end -= 1;
                        }
                        format!("{}…", &v[..end])
                    } else {
                        v.clone()
                    };
                    let _ = writeln!(out, "           {k} = {shown}");
                }
            }
        }
        for f in &self.files {
            match &f.content {
                Some(content) => {
                    let _ = writeln!(out, "   file {}:", f.name);
                    for line in content.lines() {
                        let _ = writeln!(out, "     | {line}");
                    }
                }
                None => {
                    let _ = writeln!(out, "   file {}: (absent)", f.name);
                }
            }
        }
        if let Some(e) = &self.error {
            let _ = writeln!(out, "   ERROR: {e}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::redact_secrets;

    #[test]
    fn private_keys_are_redacted_and_certificates_kept() {
        let key = "{\"client_key\": \"-----BEGIN EC PRIVATE KEY-----\\nMHcCAQ\\n-----END EC PRIVATE KEY-----\\n\", \"x\": 1}";
        let shown = redact_secrets(key);
        assert!(!shown.contains("MHcCAQ"), "{shown}");
        assert!(shown.contains("<redacted private key>"), "{shown}");
        assert!(shown.ends_with("\\n\", \"x\": 1}"), "{shown}");
        let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
        assert_eq!(redact_secrets(cert), cert);
        let unterminated = "a -----BEGIN PRIVATE KEY----- secret";
        assert_eq!(redact_secrets(unterminated), "a <redacted private key>");
    }
}
