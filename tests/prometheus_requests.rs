//! The prometheus example's answers to hostile or malformed scrape
//! requests, through the single-unit harness: every requester gets an
//! answer, and no job may make Prometheus read a local file.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use reactive_testing::harness::Harness;
use serde_json::{json, Value};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A charm directory (the example's metadata and config) in a fresh
/// temporary directory, removed when dropped: the charm writes
/// `prometheus.yml` and `certs/` there.
struct CharmDir(PathBuf);

impl CharmDir {
    fn new() -> CharmDir {
        let dir = std::env::temp_dir().join(format!(
            "reactive-prometheus-requests-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let source =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/telemetry/prometheus");
        for file in ["metadata.yaml", "config.yaml"] {
            std::fs::copy(source.join(file), dir.join(file)).unwrap();
        }
        CharmDir(dir)
    }
}

impl Drop for CharmDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const MALFORMED: &str = "88888888-2222-4333-8444-555555555555";
const READS_A_FILE: &str = "77777777-2222-4333-8444-555555555555";
const FINE: &str = "66666666-2222-4333-8444-555555555555";

fn answer(h: &Harness, rid: &str, id: &str) -> Value {
    let published = h.published(rid).unwrap();
    let raw = published
        .get(&format!("response_{id}"))
        .unwrap_or_else(|| panic!("no answer to {id}: {published:?}"));
    serde_json::from_str(raw).unwrap()
}

#[test]
fn malformed_and_file_reading_requests_are_refused_with_a_reason() {
    let dir = CharmDir::new();
    let mut h = Harness::from_charm_dir(&dir.0, prometheus::charm().registry()).unwrap();
    h.fire("install").unwrap();
    let rid = h.add_relation("scrape", "target").unwrap();
    h.add_remote_unit(&rid, "target/0").unwrap();
    let statics = json!({"static_configs": [{"targets": ["h:9100"]}]});
    let mut reads_a_file = statics.clone();
    reads_a_file["authorization"] = json!({"credentials_file": "/etc/shadow"});
    let request = |id: &str, job_name: Value, job_data: &Value| {
        json!({"request_id": id, "job_name": job_name, "job_data": job_data}).to_string()
    };
    h.set_remote_unit_data(
        &rid,
        "target/0",
        &[
            (
                &format!("request_{MALFORMED}"),
                &request(MALFORMED, json!(5), &statics),
            ),
            (
                &format!("request_{READS_A_FILE}"),
                &request(READS_A_FILE, json!("node"), &reads_a_file),
            ),
            (
                &format!("request_{FINE}"),
                &request(FINE, json!("fine"), &statics),
            ),
        ],
    )
    .unwrap();
    h.fire_relation("joined", &rid, Some("target/0")).unwrap();

    let malformed = answer(&h, &rid, MALFORMED);
    assert_eq!(malformed["success"], json!(false));
    assert!(
        malformed["reason"]
            .as_str()
            .unwrap()
            .contains("field `job_name`"),
        "{malformed}"
    );
    let reads = answer(&h, &rid, READS_A_FILE);
    assert_eq!(reads["success"], json!(false));
    assert!(
        reads["reason"]
            .as_str()
            .unwrap()
            .contains("`authorization.credentials_file`"),
        "{reads}"
    );
    assert_eq!(answer(&h, &rid, FINE)["success"], json!(true));
    let config = std::fs::read_to_string(dir.0.join("prometheus.yml")).unwrap();
    assert!(!config.contains("/etc/shadow"), "{config}");
    assert!(config.contains(&format!("fine-{FINE}")), "{config}");

    // Answered: the next hook has nothing new.
    h.fire("update-status").unwrap();
    assert!(!h.is_flag_set("endpoint.scrape.new_requests"));
}
