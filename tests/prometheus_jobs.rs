//! The prometheus example renders only the jobs of the requests a hook
//! touched; after every hook its `prometheus.yml` and `certs/` must be what
//! rendering every accepted request gives: through changes, a refusal, a
//! departure, a damaged or missing sum, a file edited by hand, a unit
//! state an earlier version left, and a charm upgrade. The jobs not touched
//! are taken from the file as it is.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use prometheus::config_file::{write_config, AcceptedJob};
use reactive_testing::harness::Harness;
use serde_json::{json, Value};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh temporary directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(what: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "reactive-prometheus-jobs-{what}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn id(n: usize) -> String {
    format!("{n:08}-2222-4333-8444-555555555555")
}

/// The request unit `n` sends: job `node`, its target on `port`, a CA
/// cert when `ca` is given.
fn request(n: usize, port: u16, ca: Option<&str>) -> Value {
    let mut job_data = json!({"static_configs": [{"targets": [format!("10.0.0.{n}:{port}")]}]});
    if ca.is_some() {
        job_data["tls_config"] = json!({"ca_file": "__ca_file__"});
    }
    json!({"request_id": id(n), "job_name": "node", "job_data": job_data, "ca_cert": ca})
}

/// Every file under `dir` (relative path → contents), `dir`'s own path
/// written as `<dir>` in them.
fn files(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                if name == "prometheus.yml" || name.starts_with("certs/") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    out.insert(
                        name,
                        text.replace(&dir.to_string_lossy().into_owned(), "<dir>"),
                    );
                }
            }
        }
    }
    out
}

/// What rendering every accepted request gives, in a directory of its own.
fn expected(h: &Harness, rid: &str, sent: &BTreeMap<String, Value>) -> BTreeMap<String, String> {
    let published = h.published(rid).unwrap();
    let mut jobs = Vec::new();
    for request in sent.values() {
        let id = request["request_id"].as_str().unwrap();
        let accepted = published
            .get(&format!("response_{id}"))
            .and_then(|r| serde_json::from_str::<Value>(r).ok())
            .is_some_and(|r| r["success"] == json!(true));
        if accepted {
            jobs.push(AcceptedJob {
                request_id: id.to_string(),
                job_name: request["job_name"].as_str().unwrap().to_string(),
                job_data: request["job_data"].clone(),
                ca_cert: request["ca_cert"].as_str().map(str::to_string),
                client_cert: None,
                client_key: None,
            });
        }
    }
    let scratch = Scratch::new("expected");
    write_config(&scratch.0, &jobs).unwrap();
    files(&scratch.0)
}

#[test]
fn the_file_is_what_rendering_every_accepted_request_gives_after_every_hook() {
    let dir = Scratch::new("charm");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/telemetry/prometheus");
    for file in ["metadata.yaml", "config.yaml"] {
        std::fs::copy(source.join(file), dir.0.join(file)).unwrap();
    }
    let mut h = Harness::from_charm_dir(&dir.0, prometheus::charm().registry()).unwrap();
    h.fire("install").unwrap();
    let rid = h.add_relation("scrape", "target").unwrap().to_string();
    let mut sent: BTreeMap<String, Value> = BTreeMap::new();
    let send = |h: &mut Harness, sent: &mut BTreeMap<String, Value>, unit: &str, request: Value| {
        let key = format!("request_{}", request["request_id"].as_str().unwrap());
        h.set_remote_unit_data(&rid, unit, &[(&key, &request.to_string())])
            .unwrap();
        sent.insert(unit.to_string(), request);
    };
    let check = |h: &Harness, sent: &BTreeMap<String, Value>, step: &str| {
        assert_eq!(files(&dir.0), expected(h, &rid, sent), "after {step}");
    };

    for n in 0..4 {
        let unit = format!("target/{n}");
        h.add_remote_unit(&rid, &unit).unwrap();
        let ca = (n % 2 == 1).then_some("CA PEM");
        send(&mut h, &mut sent, &unit, request(n, 9100, ca));
        h.fire_relation("joined", &rid, Some(&unit)).unwrap();
        check(&h, &sent, &format!("{unit} joined"));
    }
    assert_eq!(files(&dir.0).len(), 3, "the file and two certs");

    send(
        &mut h,
        &mut sent,
        "target/1",
        request(1, 9200, Some("CA PEM")),
    );
    h.fire_relation("changed", &rid, Some("target/1")).unwrap();
    check(&h, &sent, "a port changed");

    send(&mut h, &mut sent, "target/3", request(3, 0, Some("CA PEM")));
    h.fire_relation("changed", &rid, Some("target/3")).unwrap();
    check(&h, &sent, "a request refused");
    assert!(!dir.0.join("certs").join(id(3)).exists());

    send(
        &mut h,
        &mut sent,
        "target/2",
        request(2, 9300, Some("OTHER CA")),
    );
    h.fire_relation("changed", &rid, Some("target/2")).unwrap();
    check(&h, &sent, "a cert added");

    h.remove_remote_unit(&rid, "target/1").unwrap();
    h.fire_relation("departed", &rid, Some("target/1")).unwrap();
    sent.remove("target/1");
    check(&h, &sent, "a unit departed");
    assert!(!dir.0.join("certs").join(id(1)).exists());

    // Only the file's sum is kept: no row of the jobs' places.
    assert!(h
        .unit_state()
        .get("prometheus.jobs.layout")
        .unwrap()
        .is_none());
    // A unit state an earlier version left, with such a row (damaged,
    // even): the row is not read, and goes with the next upgrade.
    h.unit_state()
        .set("prometheus.jobs.layout", json!({"len": "damaged"}));
    h.unit_state().commit().unwrap();
    send(&mut h, &mut sent, "target/0", request(0, 9500, None));
    h.fire_relation("changed", &rid, Some("target/0")).unwrap();
    check(&h, &sent, "a change beside an earlier version's layout row");

    // A damaged sum: every job rendered again.
    h.unit_state()
        .set("prometheus.jobs.file", json!({"len": "damaged"}));
    h.unit_state().commit().unwrap();
    send(&mut h, &mut sent, "target/0", request(0, 9550, None));
    h.fire_relation("changed", &rid, Some("target/0")).unwrap();
    check(&h, &sent, "a change with a damaged sum");

    // The file's length and checksum missing: every job rendered again.
    h.unit_state().unset("prometheus.jobs.file");
    h.unit_state().commit().unwrap();
    send(&mut h, &mut sent, "target/0", request(0, 9560, None));
    h.fire_relation("changed", &rid, Some("target/0")).unwrap();
    check(&h, &sent, "a change without the file's sum");

    // A new port: the file's sum changes with the file.
    let sum = |h: &mut Harness| h.unit_state().get_raw("prometheus.jobs.file").unwrap();
    let before = sum(&mut h);
    send(&mut h, &mut sent, "target/0", request(0, 10570, None));
    h.fire_relation("changed", &rid, Some("target/0")).unwrap();
    check(&h, &sent, "a change of one more digit");
    assert_ne!(sum(&mut h), before, "the file's sum did not change");

    // The jobs not touched are written from the file as read: a job
    // edited in the file, with the sum made to match, stays edited through
    // a change of another job (rendering every job would undo the edit).
    let file = dir.0.join("prometheus.yml");
    let forged = std::fs::read_to_string(&file)
        .unwrap()
        .replace("10.0.0.2:9300", "10.0.0.2:9301");
    std::fs::write(&file, &forged).unwrap();
    let forged_sum = json!({"len": forged.len(), "crc32": crc32fast::hash(forged.as_bytes())});
    h.unit_state().set("prometheus.jobs.file", forged_sum);
    h.unit_state().commit().unwrap();
    send(&mut h, &mut sent, "target/0", request(0, 9580, None));
    h.fire_relation("changed", &rid, Some("target/0")).unwrap();
    let kept = std::fs::read_to_string(&file).unwrap();
    assert!(kept.contains("10.0.0.2:9301"), "{kept}");
    assert!(kept.contains("10.0.0.0:9580"), "{kept}");
    std::fs::write(&file, kept.replace("10.0.0.2:9301", "10.0.0.2:9300")).unwrap();

    // A file edited by hand (the same length, so that only its checksum
    // tells), or written by a hook that then failed: it no longer matches
    // its sum, and is written again in full.
    let edited = std::fs::read_to_string(&file)
        .unwrap()
        .replace("10.0.0.2:9300", "10.0.0.2:9999");
    std::fs::write(&file, edited).unwrap();
    send(&mut h, &mut sent, "target/0", request(0, 9600, None));
    h.fire_relation("changed", &rid, Some("target/0")).unwrap();
    check(&h, &sent, "a change after the file was edited");

    h.fire("upgrade-charm").unwrap();
    check(&h, &sent, "upgrade-charm");
    assert!(h
        .unit_state()
        .get("prometheus.jobs.layout")
        .unwrap()
        .is_none());
    h.fire("update-status").unwrap();
    check(&h, &sent, "update-status");
}
