//! Judging a scrape job request: the problems that make Prometheus refuse
//! it, and the keys that would make Prometheus read a local file of the
//! remote side's choosing (and send it to a target the remote side picks),
//! each with a fixed text naming the field or key.

use serde_json::{Map, Value};

/// The problems with a request's fields (its JSON object), in a fixed
/// order; none means the job is accepted.
///
/// ```
/// use serde_json::json;
/// let fields = json!({"job_name": "node", "job_data": {"static_configs": [{"targets": ["h:0080"]}]}});
/// assert!(prometheus::validate::problems(fields.as_object().unwrap()).is_empty());
/// let bad = json!({"job_name": "", "job_data": {"static_configs": [{"targets": ["h:0"]}]}});
/// assert_eq!(prometheus::validate::problems(bad.as_object().unwrap()), vec![
///     "job_name must be a non-empty string".to_string(),
///     "target `h:0` must be host:port with a port from 1 to 65535".to_string(),
/// ]);
/// ```
pub fn problems(fields: &Map<String, Value>) -> Vec<String> {
    let mut problems = Vec::new();
    match fields.get("job_name") {
        Some(Value::String(name)) if !name.is_empty() => {}
        _ => problems.push("job_name must be a non-empty string".to_string()),
    }
    let job_data = fields.get("job_data").and_then(Value::as_object);
    let usable = job_data.is_some_and(|data| {
        data.contains_key("static_configs") || data.keys().any(|k| k.ends_with("_sd_configs"))
    });
    if !usable {
        problems.push(
            "job_data must be an object holding static_configs or a *_sd_configs key".to_string(),
        );
    }
    let static_configs = job_data
        .and_then(|d| d.get("static_configs"))
        .and_then(Value::as_array);
    for config in static_configs.into_iter().flatten() {
        let targets = config.get("targets").and_then(Value::as_array);
        for target in targets.into_iter().flatten() {
            if let Some(target) = target.as_str() {
                if !is_host_port(target) {
                    problems.push(format!(
                        "target `{target}` must be host:port with a port from 1 to 65535"
                    ));
                }
            }
        }
    }
    if let Some(data) = fields.get("job_data").filter(|d| d.is_object()) {
        let writes = CertsWritten {
            ca: carries(fields, "ca_cert"),
            client: carries(fields, "client_cert") && carries(fields, "client_key"),
        };
        let mut path = Vec::new();
        local_files(data, &writes, &mut path, &mut problems);
    }
    problems
}

/// Which certificate files the charm writes for a request (and puts into
/// its `tls_config`, over what the remote side wrote there).
struct CertsWritten {
    /// `ca_file`, for a non-empty `ca_cert`.
    ca: bool,
    /// `cert_file` and `key_file`, for a non-empty `client_cert` and
    /// `client_key`.
    client: bool,
}

/// Whether the request carries a non-empty string in `field`.
fn carries(fields: &Map<String, Value>, field: &str) -> bool {
    fields
        .get(field)
        .and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty())
}

/// Whether a key of a Prometheus job names a local file: `*_file`,
/// `*_files` and `file_sd_configs`.
fn is_file_key(key: &str) -> bool {
    key.ends_with("_file") || key.ends_with("_files") || key == "file_sd_configs"
}

/// Whether a string value names a local file or socket by URL.
fn is_local_url(value: &str) -> bool {
    let lower = value.trim_start().to_ascii_lowercase();
    lower.starts_with("file:") || lower.starts_with("unix:")
}

/// One path element of a key in `job_data`.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn dotted(path: &[Step<'_>]) -> String {
    let mut text = String::new();
    for step in path {
        match step {
            Step::Key(key) => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(key);
            }
            Step::Index(index) => text.push_str(&format!("[{index}]")),
        }
    }
    text
}

/// Whether the file key at `path` is one the charm overwrites with a file
/// it writes for this request: `tls_config.<key>` of the job, or of an
/// entry of a `*_sd_configs` list.
fn charm_writes(path: &[Step<'_>], key: &str, writes: &CertsWritten) -> bool {
    let written = match key {
        "ca_file" => writes.ca,
        "cert_file" | "key_file" => writes.client,
        _ => false,
    };
    let at_tls = match path {
        [Step::Key("tls_config")] => true,
        [Step::Key(list), Step::Index(_), Step::Key("tls_config")] => list.ends_with("_sd_configs"),
        _ => false,
    };
    written && at_tls
}

/// Note every key under `value` that names a local file (one problem per
/// key, not looking inside it), in document order.
fn local_files<'a>(
    value: &'a Value,
    writes: &CertsWritten,
    path: &mut Vec<Step<'a>>,
    problems: &mut Vec<String>,
) {
    let refuse = |path: &[Step<'_>], problems: &mut Vec<String>| {
        problems.push(format!(
            "job_data key `{}` names a local file, which a remote job may not",
            dotted(path)
        ));
    };
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                if is_file_key(key) && !charm_writes(path, key, writes) {
                    path.push(Step::Key(key));
                    refuse(path, problems);
                    path.pop();
                    continue;
                }
                path.push(Step::Key(key));
                local_files(inner, writes, path, problems);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (index, inner) in items.iter().enumerate() {
                path.push(Step::Index(index));
                local_files(inner, writes, path, problems);
                path.pop();
            }
        }
        Value::String(text) if is_local_url(text) => refuse(path, problems),
        _ => {}
    }
}

/// `host:port`, split at the last `:`, with a non-empty host and a port of
/// ASCII digits whose value is 1 to 65535 (`0080` is port 80).
pub fn is_host_port(target: &str) -> bool {
    let Some((host, port)) = target.rsplit_once(':') else {
        return false;
    };
    if host.is_empty() || port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let digits = port.trim_start_matches('0');
    digits.len() <= 5
        && digits
            .parse::<u32>()
            .is_ok_and(|p| (1..=65535).contains(&p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn judge(v: Value) -> Vec<String> {
        problems(v.as_object().unwrap())
    }

    #[test]
    fn host_port_rules() {
        for ok in [
            "h:1",
            "h:65535",
            "10.0.0.1:9100",
            "h:0080",
            "[::1]:80",
            "a:b:9",
        ] {
            assert!(is_host_port(ok), "{ok}");
        }
        for bad in [
            "h",
            ":80",
            "h:",
            "h:0",
            "h:65536",
            "h:-1",
            "h:+80",
            "h:8 0",
            "h:٣",
            "h:000000000000000000080x",
        ] {
            assert!(!is_host_port(bad), "{bad}");
        }
        assert!(is_host_port("h:0000000000000000000080"));
    }

    #[test]
    fn job_data_needs_static_or_sd_configs() {
        let msg = "job_data must be an object holding static_configs or a *_sd_configs key";
        assert_eq!(judge(json!({"job_name": "n", "job_data": {}})), [msg]);
        assert_eq!(judge(json!({"job_name": "n", "job_data": []})), [msg]);
        assert_eq!(judge(json!({"job_name": "n"})), [msg]);
        assert!(judge(json!({"job_name": "n", "job_data": {"dns_sd_configs": []}})).is_empty());
    }

    #[test]
    fn job_name_must_be_a_non_empty_string() {
        let data = json!({"static_configs": []});
        let msg = ["job_name must be a non-empty string"];
        assert_eq!(judge(json!({"job_name": 5, "job_data": data})), msg);
        assert_eq!(judge(json!({"job_data": data})), msg);
    }

    fn job_with(extra: Value) -> Value {
        let mut data = json!({"static_configs": [{"targets": ["h:80"]}]});
        for (k, v) in extra.as_object().unwrap() {
            data[k] = v.clone();
        }
        data
    }

    #[test]
    fn remote_keys_naming_local_files_are_refused_with_the_key() {
        for (extra, key) in [
            (
                json!({"authorization": {"credentials_file": "/etc/shadow"}}),
                "authorization.credentials_file",
            ),
            (
                json!({"bearer_token_file": "/var/lib/juju/agents/x/certs/y/client.key"}),
                "bearer_token_file",
            ),
            (
                json!({"basic_auth": {"username": "u", "password_file": "/etc/passwd"}}),
                "basic_auth.password_file",
            ),
            (
                json!({"oauth2": {"client_secret_file": "/s"}}),
                "oauth2.client_secret_file",
            ),
            (
                json!({"tls_config": {"key_file": "/k"}}),
                "tls_config.key_file",
            ),
            (
                json!({"tls_config": {"cert_file": "/c"}}),
                "tls_config.cert_file",
            ),
            (
                json!({"tls_config": {"ca_file": "/c"}}),
                "tls_config.ca_file",
            ),
            (
                json!({"file_sd_configs": [{"files": ["/etc/*.json"]}]}),
                "file_sd_configs",
            ),
            (
                json!({"kubernetes_sd_configs": [{"kubeconfig_file": "/k"}]}),
                "kubernetes_sd_configs[0].kubeconfig_file",
            ),
            (
                json!({"scrape_config_files": ["/x"]}),
                "scrape_config_files",
            ),
            (
                json!({"docker_sd_configs": [{"host": "unix:///var/run/docker.sock"}]}),
                "docker_sd_configs[0].host",
            ),
        ] {
            let problems = judge(json!({"job_name": "n", "job_data": job_with(extra.clone())}));
            assert_eq!(
                problems,
                [format!(
                    "job_data key `{key}` names a local file, which a remote job may not"
                )],
                "{extra}"
            );
        }
    }

    #[test]
    fn the_cert_files_the_charm_writes_for_the_request_are_allowed() {
        let tls =
            json!({"tls_config": {"ca_file": "__ca_file__", "cert_file": "x", "key_file": "y"}});
        let request = json!({
            "job_name": "n",
            "job_data": job_with(tls.clone()),
            "ca_cert": "PEM",
            "client_cert": "PEM",
            "client_key": "PEM",
        });
        assert_eq!(judge(request), [] as [String; 0]);
        // In a service discovery entry too.
        let sd = json!({"dns_sd_configs": [{"names": ["a"], "tls_config": {"ca_file": "x"}}]});
        let request = json!({"job_name": "n", "job_data": sd, "ca_cert": "PEM"});
        assert_eq!(judge(request), [] as [String; 0]);
        // Without the PEM the charm writes nothing there: refused.
        let request = json!({"job_name": "n", "job_data": job_with(tls.clone()), "ca_cert": "PEM"});
        assert_eq!(
            judge(request),
            [
                "job_data key `tls_config.cert_file` names a local file, which a remote job may not",
                "job_data key `tls_config.key_file` names a local file, which a remote job may not",
            ]
        );
        let request = json!({"job_name": "n", "job_data": job_with(tls), "ca_cert": "",
            "client_cert": "PEM", "client_key": "PEM"});
        assert_eq!(
            judge(request),
            ["job_data key `tls_config.ca_file` names a local file, which a remote job may not"]
        );
        // Only at the place the charm rewrites.
        let nested = json!({"oauth2": {"tls_config": {"ca_file": "/etc/shadow"}}});
        let request = json!({"job_name": "n", "job_data": job_with(nested), "ca_cert": "PEM"});
        assert_eq!(
            judge(request),
            ["job_data key `oauth2.tls_config.ca_file` names a local file, which a remote job may not"]
        );
    }

    #[test]
    fn every_bad_target_is_named_in_order() {
        let v = json!({"job_name": "n", "job_data": {"static_configs": [
            {"targets": ["a:1", "b:0"]}, {"targets": ["c"]}
        ]}});
        assert_eq!(
            judge(v),
            [
                "target `b:0` must be host:port with a port from 1 to 65535",
                "target `c` must be host:port with a port from 1 to 65535"
            ]
        );
    }
}
