//! Judging a scrape job request: the problems that make Prometheus refuse
//! it, each with a fixed text.

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
    problems
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
