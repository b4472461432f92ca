//! Rendering a requested job for Prometheus's `scrape_configs`.

use serde_json::{Map, Value};

/// Render a job: a copy of `job_data` with `job_name` set to
/// `<job_name>-<request_id>`, the TLS file placeholders replaced by the
/// paths given, serialised with sorted keys (so equal jobs render equal).
///
/// - With `ca_file`: a top-level `tls_config` object, when there is one,
///   gets `ca_file` set (none is created); in every `*_sd_configs` list, an
///   entry whose `tls_config` is a non-empty object already holding
///   `ca_file` gets it replaced.
/// - With both `cert_file` and `key_file`: a top-level `tls_config` gets
///   `cert_file` and `key_file` set; in `*_sd_configs` entries with a
///   non-empty `tls_config`, existing `cert_file` / `key_file` keys are
///   replaced.
///
/// ```
/// use serde_json::json;
/// let job = json!({"static_configs": [{"targets": ["10.0.0.2:9100"]}],
///                  "tls_config": {"ca_file": "__ca_file__"}});
/// let rendered = prometheus_manual::render_job("node", "id-1", &job, Some("/c/ca.crt"), None, None);
/// assert_eq!(
///     rendered,
///     r#"{"job_name":"node-id-1","static_configs":[{"targets":["10.0.0.2:9100"]}],"tls_config":{"ca_file":"/c/ca.crt"}}"#
/// );
/// ```
pub fn render_job(
    job_name: &str,
    request_id: &str,
    job_data: &Value,
    ca_file: Option<&str>,
    cert_file: Option<&str>,
    key_file: Option<&str>,
) -> String {
    render_job_value(job_name, request_id, job_data, ca_file, cert_file, key_file).to_string()
}

/// [`render_job`] as a JSON value (object keys sorted).
pub fn render_job_value(
    job_name: &str,
    request_id: &str,
    job_data: &Value,
    ca_file: Option<&str>,
    cert_file: Option<&str>,
    key_file: Option<&str>,
) -> Value {
    let mut job: Map<String, Value> = match job_data {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    job.insert(
        "job_name".into(),
        Value::String(format!("{job_name}-{request_id}")),
    );
    let client = cert_file.zip(key_file);
    if let Some(Value::Object(tls)) = job.get_mut("tls_config") {
        if let Some(ca) = ca_file {
            tls.insert("ca_file".into(), Value::String(ca.into()));
        }
        if let Some((cert, key)) = client {
            tls.insert("cert_file".into(), Value::String(cert.into()));
            tls.insert("key_file".into(), Value::String(key.into()));
        }
    }
    for (key, value) in job.iter_mut() {
        if !key.ends_with("_sd_configs") {
            continue;
        }
        let Value::Array(entries) = value else {
            continue;
        };
        for entry in entries {
            let Some(Value::Object(tls)) = entry.get_mut("tls_config") else {
                continue;
            };
            if tls.is_empty() {
                continue;
            }
            if let Some(ca) = ca_file {
                if tls.contains_key("ca_file") {
                    tls.insert("ca_file".into(), Value::String(ca.into()));
                }
            }
            if let Some((cert, key)) = client {
                if tls.contains_key("cert_file") {
                    tls.insert("cert_file".into(), Value::String(cert.into()));
                }
                if tls.contains_key("key_file") {
                    tls.insert("key_file".into(), Value::String(key.into()));
                }
            }
        }
    }
    Value::Object(job)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn job_name_gets_the_request_id_and_data_is_copied() {
        let job = json!({"static_configs": [{"targets": ["h:1"]}], "scheme": "http"});
        let v = render_job_value("node", "abc", &job, None, None, None);
        assert_eq!(
            v,
            json!({"job_name": "node-abc", "static_configs": [{"targets": ["h:1"]}], "scheme": "http"})
        );
    }

    #[test]
    fn ca_file_fills_top_level_tls_config_but_never_creates_one() {
        let with = json!({"tls_config": {"ca_file": "__ca_file__"}});
        let v = render_job_value("j", "1", &with, Some("/ca"), None, None);
        assert_eq!(v["tls_config"]["ca_file"], "/ca");
        let without = json!({"static_configs": []});
        let v = render_job_value("j", "1", &without, Some("/ca"), None, None);
        assert!(v.get("tls_config").is_none());
    }

    #[test]
    fn sd_configs_entries_replace_only_existing_keys_in_non_empty_tls_config() {
        let job = json!({
            "file_sd_configs": [
                {"tls_config": {"ca_file": "x", "cert_file": "y"}},
                {"tls_config": {}},
                {"tls_config": {"insecure_skip_verify": true}},
                {"files": ["a"]}
            ],
            "other": [{"tls_config": {"ca_file": "keep"}}]
        });
        let v = render_job_value("j", "1", &job, Some("/ca"), Some("/cert"), Some("/key"));
        assert_eq!(
            v["file_sd_configs"][0]["tls_config"],
            json!({"ca_file": "/ca", "cert_file": "/cert"})
        );
        assert_eq!(v["file_sd_configs"][1]["tls_config"], json!({}));
        assert_eq!(
            v["file_sd_configs"][2]["tls_config"],
            json!({"insecure_skip_verify": true})
        );
        assert_eq!(v["file_sd_configs"][3], json!({"files": ["a"]}));
        assert_eq!(v["other"][0]["tls_config"]["ca_file"], "keep");
    }

    #[test]
    fn client_files_need_both_cert_and_key() {
        let job = json!({"tls_config": {}});
        let v = render_job_value("j", "1", &job, None, Some("/cert"), None);
        assert_eq!(v["tls_config"], json!({}));
        let v = render_job_value("j", "1", &job, None, Some("/cert"), Some("/key"));
        assert_eq!(
            v["tls_config"],
            json!({"cert_file": "/cert", "key_file": "/key"})
        );
    }

    #[test]
    fn rendering_sorts_keys() {
        let a = render_job(
            "j",
            "1",
            &json!({"b": 1, "a": {"d": 1, "c": 2}}),
            None,
            None,
            None,
        );
        assert_eq!(a, r#"{"a":{"c":2,"d":1},"b":1,"job_name":"j-1"}"#);
    }
}
