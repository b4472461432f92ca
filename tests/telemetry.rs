//! The telemetry example end to end: the seven steps of
//! `examples/telemetry/scenario.yaml` (deploy, relate, reconfigure with a
//! valid, an invalid and a TLS job, remove a unit, remove the relation),
//! and the `list-jobs` action run on prometheus/0 after relating, on
//! the deployment simulator, with the
//! `scrape-target` and `prometheus` charms run in this process and as real
//! processes (their binaries, with hook tools served by the simulator).
//!
//! Each mode's run is recorded once (statuses, flags, published data,
//! `prometheus.yml`, the certificate files and their modes, logs, after
//! every step) and shared by the tests: one checks the contract step by
//! step in process, one as processes, and one that both modes observe the
//! same things once request ids and paths are normalised.
//!
//! The charm binaries are `target/<profile>/scrape-target` and
//! `target/<profile>/prometheus` of the target directory this test was
//! built in; the first test that needs them runs
//! `$CARGO build -p scrape-target -p prometheus` in that profile (a no-op
//! when they are fresh).
#![cfg(unix)]

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use reactive_rs::telemetry;
use reactive_testing::sim::{
    CharmRunner, Deployment, Scenario, SimError, Status, Step, StepReport, UnitSnapshot,
};
use serde_json::{json, Value};

const TOOL: &str = env!("CARGO_BIN_EXE_reactive-sim-tool");
const PROMETHEUS: &str = "prometheus/0";
const TARGET_0: &str = "scrape-target/0";
const TARGET_1: &str = "scrape-target/1";

static COUNTER: AtomicUsize = AtomicUsize::new(0);

// ---- running the scenario ------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    InProcess,
    Processes,
    /// In process, every remote bag read with `relation-get` as
    /// charms.reactive does (no relation-data snapshot).
    InProcessFresh,
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mode::InProcess => "in process",
            Mode::Processes => "as processes",
            Mode::InProcessFresh => "in process, fresh reads",
        })
    }
}

/// What one step left behind.
#[derive(Debug)]
struct Observed {
    /// The step of the scenario.
    step: Step,
    /// The simulator's report.
    report: StepReport,
    /// `prometheus.yml`, when present.
    prometheus_yml: Option<String>,
    /// Every file under prometheus/0's `certs/`: path relative to `certs/`
    /// to (content, permission bits).
    cert_files: BTreeMap<String, (String, u32)>,
    /// Every directory under `certs/`, relative to it.
    cert_dirs: BTreeSet<String>,
    /// Every unit's log lines so far.
    logs: BTreeMap<String, Vec<String>>,
}

/// One mode's run of the whole scenario.
#[derive(Debug)]
struct Run {
    mode: Mode,
    /// The absolute charm directory of prometheus/0.
    prometheus_dir: PathBuf,
    /// The scenario's working directory.
    workdir: PathBuf,
    steps: Vec<Observed>,
    /// Wall time of the steps (observation excluded).
    elapsed: Duration,
}

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn scenario() -> Scenario {
    Scenario::load(&manifest_dir().join("examples/telemetry/scenario.yaml"))
        .expect("the telemetry scenario loads")
}

fn as_process(name: &str) -> Result<(CharmRunner, PathBuf), SimError> {
    telemetry::as_process(name, charm_binaries(), Path::new(TOOL))
}

/// The directory holding the charm binaries, `target/<profile>` of this
/// test's own target directory and profile, after bringing them up to date
/// with cargo (built once per test run).
fn charm_binaries() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().expect("the test binary's path");
        // target/<profile>/deps/telemetry-<hash>
        let dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("the test runs from target/<profile>/deps/")
            .to_path_buf();
        let profile = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let parent = dir.parent().expect("a target directory").to_path_buf();
        // Cargo tags the root of a target directory; without the tag, the
        // parent is a target triple's directory (a cross build).
        let (target_dir, triple) = match parent.parent() {
            Some(root)
                if !parent.join("CACHEDIR.TAG").exists() && root.join("CACHEDIR.TAG").exists() =>
            {
                (
                    root.to_path_buf(),
                    parent.file_name().map(|t| t.to_os_string()),
                )
            }
            _ => (parent.clone(), None),
        };
        let mut args: Vec<OsString> = vec!["build".into(), "--quiet".into()];
        for charm in telemetry::CHARMS {
            args.push("-p".into());
            args.push(charm.into());
        }
        match profile.as_str() {
            "debug" => {}
            "release" => args.push("--release".into()),
            other => {
                args.push("--profile".into());
                args.push(other.into());
            }
        }
        if let Some(triple) = triple {
            args.push("--target".into());
            args.push(triple);
        }
        args.push("--target-dir".into());
        args.push(target_dir.into());
        args.push("--manifest-path".into());
        args.push(manifest_dir().join("Cargo.toml").into());
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
        let command = std::iter::once(&cargo)
            .chain(&args)
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        let present = || telemetry::CHARMS.iter().all(|c| dir.join(c).is_file());
        match Command::new(&cargo).args(&args).status() {
            Ok(status) if status.success() => {}
            outcome if present() => {
                eprintln!("warning: `{command}`: {outcome:?}; using the binaries present")
            }
            outcome => panic!(
                "the charm binaries are missing from {} and `{command}` failed: {outcome:?}",
                dir.display()
            ),
        }
        assert!(
            present(),
            "`{command}` left no charm binaries in {}",
            dir.display()
        );
        dir
    })
}

/// A fresh scratch directory.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "reactive-telemetry-test-{}-{name}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn list_certs(
    dir: &Path,
    prefix: &str,
    files: &mut BTreeMap<String, (String, u32)>,
    dirs: &mut BTreeSet<String>,
) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let entry = entry.unwrap();
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        let meta = entry.metadata().unwrap();
        if meta.is_dir() {
            dirs.insert(name.clone());
            list_certs(&entry.path(), &format!("{name}/"), files, dirs);
        } else {
            let content = std::fs::read_to_string(entry.path()).unwrap();
            files.insert(name, (content, meta.permissions().mode() & 0o7777));
        }
    }
}

fn observe(deployment: &Deployment, step: &Step, report: StepReport) -> Observed {
    let dir = deployment
        .unit_dir(PROMETHEUS)
        .expect("prometheus/0 exists");
    let mut cert_files = BTreeMap::new();
    let mut cert_dirs = BTreeSet::new();
    list_certs(&dir.join("certs"), "", &mut cert_files, &mut cert_dirs);
    let logs = deployment
        .model()
        .units
        .iter()
        .map(|(unit, record)| {
            let lines = record.logs.iter().map(|(_, line)| line.clone()).collect();
            (unit.clone(), lines)
        })
        .collect();
    Observed {
        step: step.clone(),
        report,
        prometheus_yml: std::fs::read_to_string(dir.join("prometheus.yml")).ok(),
        cert_files,
        cert_dirs,
        logs,
    }
}

/// Run the whole scenario in `mode`, observing after each step.
fn run(mode: Mode) -> Run {
    let scenario = scenario();
    let workdir = scratch(match mode {
        Mode::InProcess => "in-process",
        Mode::Processes => "processes",
        Mode::InProcessFresh => "in-process-fresh",
    });
    let catalog = match mode {
        Mode::InProcess => telemetry::in_process,
        Mode::Processes => as_process,
        Mode::InProcessFresh => telemetry::in_process_fresh,
    };
    if mode == Mode::Processes {
        charm_binaries(); // built before the clock starts
    }
    let mut deployment = Deployment::new(&workdir).unwrap();
    let mut steps = Vec::new();
    let mut elapsed = Duration::ZERO;
    for step in &scenario.steps {
        let started = Instant::now();
        let report = deployment.run_step(step, &catalog, &scenario.files);
        elapsed += started.elapsed();
        assert_eq!(
            report.error,
            None,
            "{mode}: step `{}` failed:\n{}",
            report.step,
            report.to_text()
        );
        steps.push(observe(&deployment, step, report));
    }
    let prometheus_dir = deployment.unit_dir(PROMETHEUS).unwrap().to_path_buf();
    drop(deployment);
    let _ = std::fs::remove_dir_all(&workdir);
    let hooks: usize = steps.iter().map(|o| o.report.hooks.len()).sum();
    eprintln!(
        "telemetry scenario, charms {mode}: {} steps, {hooks} hooks in {:.0} ms ({:.1} ms per hook)",
        steps.len(),
        elapsed.as_secs_f64() * 1000.0,
        elapsed.as_secs_f64() * 1000.0 / hooks.max(1) as f64
    );
    Run {
        mode,
        prometheus_dir,
        workdir,
        steps,
        elapsed,
    }
}

fn in_process_run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| run(Mode::InProcess))
}

fn processes_run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| run(Mode::Processes))
}

// ---- reading an observation -----------------------------------------------------

fn unit<'a>(o: &'a Observed, name: &str) -> &'a UnitSnapshot {
    o.report
        .units
        .iter()
        .find(|u| u.unit == name)
        .unwrap_or_else(|| panic!("{}: no unit {name}", o.report.step))
}

/// The state and message of the last `status-set` a hook ran.
fn last_status_set(h: &reactive_testing::sim::HookRun) -> Option<(String, String)> {
    let call = h.calls.iter().rev().find(|c| c.tool == "status-set")?;
    match call.args.as_slice() {
        [.., state, message] => Some((state.clone(), message.clone())),
        _ => None,
    }
}

fn status(o: &Observed, name: &str) -> (String, String) {
    unit(o, name)
        .status
        .as_ref()
        .map(|s| (s.state.to_string(), s.message.clone()))
        .unwrap_or_else(|| panic!("{}: {name} has no status", o.report.step))
}

/// Whether a flag is one the contract speaks of (the `changed.<key>` flags
/// and the like are left out).
fn of_interest(flag: &str) -> bool {
    const ENDPOINT_FLAGS: [&str; 9] = [
        "joined",
        "departed",
        "changed",
        "has_responses",
        "all_responses",
        "available",
        "has_requests",
        "new_requests",
        "broken",
    ];
    if let Some(rest) = flag.strip_prefix("endpoint.") {
        return rest
            .split_once('.')
            .is_some_and(|(_, tail)| ENDPOINT_FLAGS.contains(&tail));
    }
    flag.starts_with("scrape-target.")
        || flag.starts_with("prometheus.")
        || flag == "leadership.is_leader"
}

fn flags_of_interest(o: &Observed, name: &str) -> BTreeSet<String> {
    unit(o, name)
        .flags
        .iter()
        .filter(|f| of_interest(f))
        .cloned()
        .collect()
}

fn set(flags: &[&str]) -> BTreeSet<String> {
    flags.iter().map(|f| f.to_string()).collect()
}

/// A unit's published data on its only relation (none when it has none).
fn published<'a>(o: &'a Observed, name: &str) -> Option<&'a BTreeMap<String, String>> {
    let bags = &unit(o, name).published;
    assert!(
        bags.len() <= 1,
        "{}: {name} publishes on several relations",
        o.report.step
    );
    bags.values().next()
}

fn ingress(o: &Observed, name: &str) -> String {
    published(o, name)
        .and_then(|bag| bag.get("ingress-address"))
        .cloned()
        .unwrap_or_else(|| panic!("{}: {name} has no ingress-address", o.report.step))
}

/// Whether `id` is a canonical lowercase UUID v4.
fn is_uuid_v4(id: &str) -> bool {
    let b = id.as_bytes();
    id.len() == 36
        && [8, 13, 18, 23].iter().all(|&i| b[i] == b'-')
        && b.iter()
            .enumerate()
            .all(|(i, c)| [8, 13, 18, 23].contains(&i) || matches!(c, b'0'..=b'9' | b'a'..=b'f'))
        && b[14] == b'4'
        && matches!(b[19], b'8' | b'9' | b'a' | b'b')
}

/// The requests a unit publishes: request id to (raw value, decoded).
fn requests(o: &Observed, name: &str) -> BTreeMap<String, (String, Value)> {
    keyed(o, name, "request_")
}

/// The responses a unit publishes: request id to (raw value, decoded).
fn responses(o: &Observed, name: &str) -> BTreeMap<String, (String, Value)> {
    keyed(o, name, "response_")
}

fn keyed(o: &Observed, name: &str, prefix: &str) -> BTreeMap<String, (String, Value)> {
    let Some(bag) = published(o, name) else {
        return BTreeMap::new();
    };
    bag.iter()
        .filter_map(|(k, v)| {
            let id = k.strip_prefix(prefix)?;
            assert!(
                is_uuid_v4(id),
                "{}: {name}: `{k}` is no UUID v4 key",
                o.report.step
            );
            let decoded: Value = serde_json::from_str(v)
                .unwrap_or_else(|e| panic!("{}: {name}: `{k}` = {v}: {e}", o.report.step));
            Some((id.to_string(), (v.clone(), decoded)))
        })
        .collect()
}

/// The one request a target unit publishes: (id, raw, decoded).
fn only_request(o: &Observed, name: &str) -> (String, String, Value) {
    let all = requests(o, name);
    assert_eq!(all.len(), 1, "{}: {name} publishes {all:?}", o.report.step);
    let (id, (raw, decoded)) = all.into_iter().next().unwrap();
    (id, raw, decoded)
}

fn hooks(o: &Observed) -> Vec<(String, String, Option<String>)> {
    o.report
        .hooks
        .iter()
        .map(|h| (h.unit.clone(), h.hook.clone(), h.remote_unit.clone()))
        .collect()
}

fn hook(unit: &str, hook: &str, remote: Option<&str>) -> (String, String, Option<String>) {
    (
        unit.to_string(),
        hook.to_string(),
        remote.map(str::to_string),
    )
}

// ---- what the contract says -------------------------------------------------------

const SUCCESS: &str = r#"{"reason": null, "success": true}"#;

fn bad_target_reason(target: &str) -> String {
    format!("target `{target}` must be host:port with a port from 1 to 65535")
}

/// The request a target publishes, byte for byte (Python's
/// `json.dumps(sort_keys=True)`), for a job scraping `target`.
fn expected_request(id: &str, target: &str, ca_cert: Option<&str>) -> String {
    let job_data = match ca_cert {
        None => format!(r#"{{"scheme": "http", "static_configs": [{{"targets": ["{target}"]}}]}}"#),
        Some(_) => format!(
            r#"{{"scheme": "http", "static_configs": [{{"targets": ["{target}"]}}], "tls_config": {{"ca_file": "__ca_file__"}}}}"#
        ),
    };
    let ca = match ca_cert {
        None => "null".to_string(),
        Some(pem) => serde_json::to_string(pem).unwrap(),
    };
    format!(
        r#"{{"ca_cert": {ca}, "client_cert": null, "client_key": null, "job_data": {job_data}, "job_name": "node", "request_id": "{id}"}}"#
    )
}

/// `prometheus.yml` for these jobs, each (request id, target, with a CA):
/// JSON with 2-space indent, sorted keys and a final newline.
fn expected_prometheus_yml(run: &Run, jobs: &[(&str, &str, bool)]) -> (String, Value) {
    let mut rendered: Vec<Value> = jobs
        .iter()
        .map(|(id, target, ca)| {
            let mut job = json!({
                "job_name": format!("node-{id}"),
                "scheme": "http",
                "static_configs": [{"targets": [target]}],
            });
            if *ca {
                let file = run.prometheus_dir.join(format!("certs/{id}/ca.crt"));
                job["tls_config"] = json!({"ca_file": file.to_string_lossy()});
            }
            job
        })
        .collect();
    rendered.sort_by(|a, b| a["job_name"].as_str().cmp(&b["job_name"].as_str()));
    let value = json!({ "scrape_configs": rendered });
    (
        format!("{}\n", serde_json::to_string_pretty(&value).unwrap()),
        value,
    )
}

fn check_prometheus_yml(run: &Run, o: &Observed, jobs: &[(&str, &str, bool)]) {
    let what = format!("{}: {}", run.mode, o.report.step);
    let text = o
        .prometheus_yml
        .as_deref()
        .unwrap_or_else(|| panic!("{what}: no prometheus.yml"));
    let (expected_text, expected) = expected_prometheus_yml(run, jobs);
    let parsed: Value = serde_json::from_str(text).unwrap();
    assert_eq!(parsed, expected, "{what}: prometheus.yml");
    assert_eq!(text, expected_text, "{what}: prometheus.yml's form");
    // The same again, the way an operator would read it.
    let configs = parsed["scrape_configs"].as_array().unwrap();
    assert_eq!(configs.len(), jobs.len(), "{what}");
    let names: Vec<&str> = configs
        .iter()
        .map(|j| j["job_name"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "{what}: jobs sorted by job_name");
    // The report shows the file as it is.
    let shown = o
        .report
        .files
        .iter()
        .find(|f| f.name == "prometheus/0:prometheus.yml")
        .and_then(|f| f.content.as_deref());
    assert_eq!(shown, Some(text), "{what}: the report shows prometheus.yml");
}

fn check_certs(run: &Run, o: &Observed, with_ca: &[&str], pem: &str) {
    let what = format!("{}: {}", run.mode, o.report.step);
    let dirs: BTreeSet<String> = with_ca.iter().map(|id| id.to_string()).collect();
    assert_eq!(o.cert_dirs, dirs, "{what}: the folders under certs/");
    let files: BTreeMap<String, (String, u32)> = with_ca
        .iter()
        .map(|id| (format!("{id}/ca.crt"), (pem.to_string(), 0o644)))
        .collect();
    assert_eq!(
        o.cert_files, files,
        "{what}: the files under certs/ (content, mode)"
    );
}

/// Both targets' requests and prometheus's responses while related: one
/// request per target unit, each answered as `verdict` says.
fn check_requests_and_responses(
    run: &Run,
    o: &Observed,
    targets: &[&str],
    port: u16,
    ca_cert: Option<&str>,
    ids: &BTreeMap<String, String>,
) {
    let what = format!("{}: {}", run.mode, o.report.step);
    let answered = responses(o, PROMETHEUS);
    for target_unit in targets {
        let (id, raw, decoded) = only_request(o, target_unit);
        assert_eq!(
            Some(&id),
            ids.get(*target_unit),
            "{what}: {target_unit} keeps its request id (create-or-update)"
        );
        let target = format!("{}:{port}", ingress(o, target_unit));
        assert_eq!(
            raw,
            expected_request(&id, &target, ca_cert),
            "{what}: {target_unit}'s request"
        );
        assert_eq!(decoded["request_id"], json!(id), "{what}");
        let (response, _) = answered
            .get(&id)
            .unwrap_or_else(|| panic!("{what}: no response to {target_unit}'s request {id}"));
        let expected = if port == 0 {
            format!(
                r#"{{"reason": "{}", "success": false}}"#,
                bad_target_reason(&target)
            )
        } else {
            SUCCESS.to_string()
        };
        assert_eq!(response, &expected, "{what}: the response to {target_unit}");
    }
    // Responses only to requests seen on the relation (the response to a
    // departed unit's request stays published until the relation goes).
    let known: BTreeSet<&String> = ids.values().collect();
    for id in answered.keys() {
        assert!(
            known.contains(id),
            "{what}: a response to an unknown request {id}"
        );
    }
}

/// The statuses and flags of the targets while related, all answered.
fn check_related_targets(run: &Run, o: &Observed, targets: &[&str], port: u16) {
    let what = format!("{}: {}", run.mode, o.report.step);
    for target_unit in targets {
        let expected_status = if port == 0 {
            let target = format!("{}:0", ingress(o, target_unit));
            ("blocked".to_string(), bad_target_reason(&target))
        } else {
            (
                "active".to_string(),
                "registered with 1 scraper(s)".to_string(),
            )
        };
        assert_eq!(
            status(o, target_unit),
            expected_status,
            "{what}: {target_unit}"
        );
        let mut flags = set(&[
            "endpoint.metrics.joined",
            "endpoint.metrics.has_responses",
            "endpoint.metrics.all_responses",
            "endpoint.metrics.available",
            "scrape-target.registered",
        ]);
        if *target_unit == TARGET_0 {
            flags.insert("leadership.is_leader".into());
        }
        assert_eq!(
            flags_of_interest(o, target_unit),
            flags,
            "{what}: {target_unit}"
        );
        for id in responses(o, PROMETHEUS).keys() {
            let changed = format!("endpoint.metrics.changed.response_{id}");
            assert!(
                unit(o, target_unit).flags.contains(&changed),
                "{what}: {target_unit} lacks {changed}"
            );
        }
    }
}

fn check_related_prometheus(run: &Run, o: &Observed, jobs: usize, ids: &BTreeMap<String, String>) {
    let what = format!("{}: {}", run.mode, o.report.step);
    assert_eq!(
        status(o, PROMETHEUS),
        ("active".to_string(), format!("scraping {jobs} job(s)")),
        "{what}"
    );
    assert_eq!(
        flags_of_interest(o, PROMETHEUS),
        set(&[
            "leadership.is_leader",
            "endpoint.scrape.joined",
            "endpoint.scrape.has_requests",
        ]),
        "{what}: prometheus/0 (no new_requests, changed, departed, config.stale)"
    );
    for id in ids.values() {
        let changed = format!("endpoint.scrape.changed.request_{id}");
        assert!(
            unit(o, PROMETHEUS).flags.contains(&changed),
            "{what}: prometheus/0 lacks {changed}"
        );
    }
}

fn ca_pem(scenario_step: &Step) -> String {
    match scenario_step {
        Step::Config { values, .. } => values["ca-cert"].as_str().unwrap().to_string(),
        other => panic!("step 5 is no config step: {other:?}"),
    }
}

/// Check the seven steps of the contract on one run.
fn check_contract(run: &Run) {
    let mode = run.mode;
    // The action step is checked by `check_list_jobs`.
    let s: Vec<&Observed> = run
        .steps
        .iter()
        .filter(|o| !matches!(o.step, Step::RunAction { .. }))
        .collect();
    assert_eq!(
        s.len(),
        8,
        "{mode}: the scenario's steps (two deploys, then steps 2 to 7)"
    );
    let everyone_ran = |o: &Observed| {
        for h in &o.report.hooks {
            assert!(
                h.result.is_ok(),
                "{mode}: {}: {} on {} failed",
                o.report.step,
                h.hook,
                h.unit
            );
        }
    };
    s.iter().copied().for_each(everyone_ran);

    // ---- 1. deploy prometheus, then scrape-target ---------------------------
    let (o, what) = (&s[0], format!("{mode}: step 1 (deploy prometheus)"));
    assert!(
        matches!(&o.step, Step::Deploy { app, units: 1, .. } if app == "prometheus"),
        "{what}"
    );
    assert_eq!(
        hooks(o),
        ["install", "leader-elected", "config-changed", "start"].map(|h| hook(PROMETHEUS, h, None)),
        "{what}"
    );
    assert_eq!(
        status(o, PROMETHEUS),
        ("waiting".into(), "waiting for targets".into()),
        "{what}"
    );
    assert_eq!(
        flags_of_interest(o, PROMETHEUS),
        set(&["leadership.is_leader"]),
        "{what}"
    );
    assert!(
        o.prometheus_yml.is_none() && o.cert_dirs.is_empty(),
        "{what}"
    );

    let (o, what) = (&s[1], format!("{mode}: step 1 (deploy scrape-target)"));
    assert!(
        matches!(&o.step, Step::Deploy { app, units: 2, .. } if app == "scrape-target"),
        "{what}"
    );
    let mut expected = Vec::new();
    for h in ["install", "leader-elected", "config-changed", "start"] {
        expected.push(hook(TARGET_0, h, None));
    }
    for h in ["install", "config-changed", "start"] {
        expected.push(hook(TARGET_1, h, None));
    }
    assert_eq!(hooks(o), expected, "{what}");
    assert_eq!(
        o.report
            .units
            .iter()
            .map(|u| u.unit.as_str())
            .collect::<Vec<_>>(),
        [PROMETHEUS, TARGET_0, TARGET_1],
        "{what}"
    );
    assert_eq!(
        status(o, PROMETHEUS),
        ("waiting".into(), "waiting for targets".into()),
        "{what}"
    );
    for t in [TARGET_0, TARGET_1] {
        assert_eq!(
            status(o, t),
            ("waiting".into(), "waiting for scraper".into()),
            "{what}: {t}"
        );
        assert!(unit(o, t).published.is_empty(), "{what}: {t}");
    }
    // No request yet: every one (of none) is answered.
    assert_eq!(
        flags_of_interest(o, TARGET_0),
        set(&["leadership.is_leader", "endpoint.metrics.all_responses"]),
        "{what}"
    );
    assert_eq!(
        flags_of_interest(o, TARGET_1),
        set(&["endpoint.metrics.all_responses"]),
        "{what}"
    );
    assert!(
        o.prometheus_yml.is_none() && o.cert_dirs.is_empty(),
        "{what}"
    );

    // ---- 2. relate -----------------------------------------------------------
    let (o, what) = (&s[2], format!("{mode}: step 2 (relate)"));
    assert!(matches!(&o.step, Step::Relate(..)), "{what}");
    let h = hooks(o);
    assert!(h.len() > 11, "{what}: {h:?}");
    let created: BTreeSet<_> = h[..3].iter().cloned().collect();
    assert_eq!(
        created,
        BTreeSet::from([
            hook(PROMETHEUS, "scrape-relation-created", None),
            hook(TARGET_0, "metrics-relation-created", None),
            hook(TARGET_1, "metrics-relation-created", None),
        ]),
        "{what}: -relation-created first"
    );
    let mut pairs = BTreeSet::new();
    for pair in h[3..11].chunks(2) {
        let (joined, changed) = (&pair[0], &pair[1]);
        assert!(joined.1.ends_with("-relation-joined"), "{what}: {pair:?}");
        assert_eq!(
            (
                &changed.0,
                changed.1.replace("-changed", "-joined"),
                &changed.2
            ),
            (&joined.0, joined.1.clone(), &joined.2),
            "{what}: -joined then -changed for the same remote unit"
        );
        pairs.insert((joined.0.clone(), joined.2.clone().unwrap()));
    }
    let s_ = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(
        pairs,
        BTreeSet::from([
            s_(TARGET_0, PROMETHEUS),
            s_(TARGET_1, PROMETHEUS),
            s_(PROMETHEUS, TARGET_0),
            s_(PROMETHEUS, TARGET_1),
        ]),
        "{what}: every unit joins every remote unit"
    );
    for later in &h[11..] {
        assert!(
            later.1.ends_with("-relation-changed"),
            "{what}: then only -changed: {later:?}"
        );
    }
    let ids: BTreeMap<String, String> = [TARGET_0, TARGET_1]
        .iter()
        .map(|t| (t.to_string(), only_request(o, t).0))
        .collect();
    assert_ne!(ids[TARGET_0], ids[TARGET_1], "{what}");
    assert_ne!(ingress(o, TARGET_0), ingress(o, TARGET_1), "{what}");
    check_related_prometheus(run, o, 2, &ids);
    check_related_targets(run, o, &[TARGET_0, TARGET_1], 9100);
    check_requests_and_responses(run, o, &[TARGET_0, TARGET_1], 9100, None, &ids);
    assert_eq!(responses(o, PROMETHEUS).len(), 2, "{what}");
    let t = |unit: &str, port: u16| format!("{}:{port}", ingress(o, unit));
    let (t0, t1) = (t(TARGET_0, 9100), t(TARGET_1, 9100));
    check_prometheus_yml(
        run,
        o,
        &[(&ids[TARGET_0], &t0, false), (&ids[TARGET_1], &t1, false)],
    );
    check_certs(run, o, &[], "");

    // ---- 3. port=9200 --------------------------------------------------------
    let (o, what) = (&s[3], format!("{mode}: step 3 (port=9200)"));
    assert!(
        matches!(&o.step, Step::Config { values, .. } if values["port"] == json!(9200)),
        "{what}"
    );
    let h = hooks(o);
    assert_eq!(
        h[..2],
        [
            hook(TARGET_0, "config-changed", None),
            hook(TARGET_1, "config-changed", None)
        ],
        "{what}"
    );
    assert!(
        h[2..].iter().all(|x| x.1.ends_with("-relation-changed")),
        "{what}: {h:?}"
    );
    assert!(h.len() > 2, "{what}: the updated requests reach prometheus");
    check_related_prometheus(run, o, 2, &ids);
    check_related_targets(run, o, &[TARGET_0, TARGET_1], 9200);
    check_requests_and_responses(run, o, &[TARGET_0, TARGET_1], 9200, None, &ids);
    let (t0, t1) = (t(TARGET_0, 9200), t(TARGET_1, 9200));
    check_prometheus_yml(
        run,
        o,
        &[(&ids[TARGET_0], &t0, false), (&ids[TARGET_1], &t1, false)],
    );
    check_certs(run, o, &[], "");

    // ---- 4. port=0: refused --------------------------------------------------
    let (o, what) = (&s[4], format!("{mode}: step 4 (port=0)"));
    assert!(
        matches!(&o.step, Step::Config { values, .. } if values["port"] == json!(0)),
        "{what}"
    );
    check_related_prometheus(run, o, 0, &ids);
    check_related_targets(run, o, &[TARGET_0, TARGET_1], 0);
    check_requests_and_responses(run, o, &[TARGET_0, TARGET_1], 0, None, &ids);
    assert_eq!(
        status(o, TARGET_0).1,
        bad_target_reason(&t(TARGET_0, 0)),
        "{what}: the reason names the unit's own target"
    );
    check_prometheus_yml(run, o, &[]);
    assert_eq!(
        o.prometheus_yml.as_deref(),
        Some("{\n  \"scrape_configs\": []\n}\n"),
        "{what}"
    );
    check_certs(run, o, &[], "");

    // ---- 5. port=9200 and a CA: accepted, certificates written ---------------
    let (o, what) = (&s[5], format!("{mode}: step 5 (port=9200, ca-cert)"));
    let pem = ca_pem(&o.step);
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"), "{what}");
    check_related_prometheus(run, o, 2, &ids);
    check_related_targets(run, o, &[TARGET_0, TARGET_1], 9200);
    check_requests_and_responses(run, o, &[TARGET_0, TARGET_1], 9200, Some(&pem), &ids);
    check_prometheus_yml(
        run,
        o,
        &[(&ids[TARGET_0], &t0, true), (&ids[TARGET_1], &t1, true)],
    );
    check_certs(run, o, &[&ids[TARGET_0], &ids[TARGET_1]], &pem);
    let yml: Value = serde_json::from_str(o.prometheus_yml.as_deref().unwrap()).unwrap();
    for job in yml["scrape_configs"].as_array().unwrap() {
        let ca_file = Path::new(job["tls_config"]["ca_file"].as_str().unwrap());
        assert!(ca_file.is_absolute(), "{what}: {}", ca_file.display());
        let id = job["job_name"]
            .as_str()
            .unwrap()
            .strip_prefix("node-")
            .unwrap();
        assert_eq!(
            ca_file,
            run.prometheus_dir.join("certs").join(id).join("ca.crt"),
            "{what}: the job's ca_file is its own certificate"
        );
    }

    // ---- 6. remove scrape-target/1 -------------------------------------------
    let (o, what) = (
        &s[6],
        format!("{mode}: step 6 (remove-unit scrape-target/1)"),
    );
    assert_eq!(o.step, Step::RemoveUnit(TARGET_1.into()), "{what}");
    assert_eq!(
        hooks(o),
        [
            hook(TARGET_1, "metrics-relation-departed", Some(PROMETHEUS)),
            hook(TARGET_1, "metrics-relation-broken", None),
            hook(PROMETHEUS, "scrape-relation-departed", Some(TARGET_1)),
            hook(TARGET_1, "stop", None),
            hook(TARGET_1, "remove", None),
        ],
        "{what}"
    );
    let departed = &o.report.hooks[2];
    assert!(
        departed
            .invoked
            .iter()
            .any(|id| id.ends_with(":forget_departed")),
        "{what}: {:?}",
        departed.invoked
    );
    assert!(
        departed.flags_cleared.is_empty() && departed.flags_set.is_empty(),
        "{what}: endpoint.scrape.departed set and cleared in the hook: {departed:?}"
    );
    assert!(
        o.logs[PROMETHEUS].iter().any(|l| l
            .starts_with("scrape target scrape-target/1 (relation scrape:")
            && l.ends_with(") departed")),
        "{what}: the departed unit is logged: {:?}",
        o.logs[PROMETHEUS]
    );
    assert_eq!(
        o.report
            .units
            .iter()
            .map(|u| u.unit.as_str())
            .collect::<Vec<_>>(),
        [PROMETHEUS, TARGET_0],
        "{what}"
    );
    check_related_prometheus(run, o, 1, &ids);
    check_related_targets(run, o, &[TARGET_0], 9200);
    check_requests_and_responses(run, o, &[TARGET_0], 9200, Some(&pem), &ids);
    check_prometheus_yml(run, o, &[(&ids[TARGET_0], &t0, true)]);
    check_certs(run, o, &[&ids[TARGET_0]], &pem);

    // ---- 7. remove the relation ---------------------------------------------
    let (o, what) = (&s[7], format!("{mode}: step 7 (remove-relation)"));
    assert!(matches!(&o.step, Step::RemoveRelation(..)), "{what}");
    assert_eq!(
        hooks(o),
        [
            hook(PROMETHEUS, "scrape-relation-departed", Some(TARGET_0)),
            hook(PROMETHEUS, "scrape-relation-broken", None),
            hook(TARGET_0, "metrics-relation-departed", Some(PROMETHEUS)),
            hook(TARGET_0, "metrics-relation-broken", None),
        ],
        "{what}"
    );
    // The last unit's -departed hook writes the (now empty) config and
    // ends active; -broken then ends waiting.
    assert_eq!(
        last_status_set(&o.report.hooks[0]),
        Some(("active".into(), "scraping 0 job(s)".into())),
        "{what}: the end of scrape-relation-departed"
    );
    assert_eq!(
        last_status_set(&o.report.hooks[1]),
        Some(("waiting".into(), "waiting for targets".into())),
        "{what}: the end of scrape-relation-broken"
    );
    assert_eq!(
        status(o, PROMETHEUS),
        ("waiting".into(), "waiting for targets".into()),
        "{what}"
    );
    assert_eq!(
        flags_of_interest(o, PROMETHEUS),
        set(&["leadership.is_leader"]),
        "{what}: prometheus/0 (departed handled and cleared)"
    );
    assert_eq!(
        status(o, TARGET_0),
        ("waiting".into(), "waiting for scraper".into()),
        "{what}"
    );
    assert_eq!(
        flags_of_interest(o, TARGET_0),
        set(&["leadership.is_leader", "endpoint.metrics.departed"]),
        "{what}: scrape-target/0"
    );
    for u in &o.report.units {
        assert!(u.published.is_empty(), "{what}: {} still publishes", u.unit);
    }
    check_prometheus_yml(run, o, &[]);
    assert_eq!(
        o.prometheus_yml.as_deref(),
        Some("{\n  \"scrape_configs\": []\n}\n"),
        "{what}"
    );
    check_certs(run, o, &[], "");
}

/// The `list-jobs` action after relating: one run on prometheus/0 that
/// lists both targets' jobs, accepted, with their targets; it changes no
/// flag and starts no hook.
fn check_list_jobs(run: &Run) {
    let mode = run.mode;
    let o = &run.steps[3];
    let what = format!("{mode}: the list-jobs action");
    assert!(
        matches!(&o.step, Step::RunAction { unit, action, .. } if unit == PROMETHEUS && action == "list-jobs"),
        "{what}: {:?}",
        o.step
    );
    assert_eq!(hooks(o), [hook(PROMETHEUS, "list-jobs", None)], "{what}");
    let h = &o.report.hooks[0];
    assert_eq!(h.invoked.len(), 1, "{what}: {:?}", h.invoked);
    assert!(
        h.invoked[0].ends_with(":list_jobs"),
        "{what}: {:?}",
        h.invoked
    );
    assert!(
        h.flags_set.is_empty() && h.flags_cleared.is_empty(),
        "{what}: {h:?}"
    );
    assert_eq!(o.report.actions.len(), 1, "{what}");
    let a = &o.report.actions[0];
    assert_eq!(a.failure, None, "{what}");
    assert_eq!(a.params, json!({"format": "json"}), "{what}");
    assert_eq!(a.results["count"], "2", "{what}: {}", a.results);
    assert_eq!(a.logs, ["2 job(s) requested"], "{what}");
    let jobs: Value = serde_json::from_str(a.results["jobs"].as_str().unwrap()).unwrap();
    let jobs = jobs.as_array().unwrap();
    assert_eq!(jobs.len(), 2, "{what}: {jobs:?}");
    let relate = &run.steps[2];
    let mut targets = BTreeSet::new();
    for job in jobs {
        assert_eq!(job["verdict"], "accepted", "{what}: {job}");
        assert_eq!(job["reason"], Value::Null, "{what}: {job}");
        for t in job["targets"].as_array().unwrap() {
            targets.insert(t.as_str().unwrap().to_string());
        }
    }
    let expected: BTreeSet<String> = [TARGET_0, TARGET_1]
        .iter()
        .map(|t| format!("{}:9100", ingress(relate, t)))
        .collect();
    assert_eq!(targets, expected, "{what}");
    let text = o.report.to_text();
    assert!(
        text.contains("action list-jobs on prometheus/0: completed"),
        "{what}: {text}"
    );
    assert_eq!(
        o.report.to_json()["actions"][0]["results"]["count"],
        "2",
        "{what}"
    );
}

// ---- comparing the modes ------------------------------------------------------------

/// A step's observation as JSON, with the request ids (random) and the
/// working directory (per run) replaced by stable names.
fn normalised(run: &Run, o: &Observed, ids: &BTreeMap<String, String>) -> Value {
    let replace = |text: &str| -> String {
        let mut text = text.replace(&run.workdir.to_string_lossy().into_owned(), "<workdir>");
        for (unit, id) in ids {
            text = text.replace(id.as_str(), &format!("<request of {unit}>"));
        }
        text
    };
    let value = json!({
        "step": o.report.step,
        "error": o.report.error,
        "hooks": o.report.hooks.iter().map(|h| json!({
            "unit": h.unit,
            "hook": h.hook,
            "remote_unit": h.remote_unit,
            "invoked": h.invoked,
            "calls": h.calls.iter().map(|c| json!([c.tool, c.args])).collect::<Vec<_>>(),
            "flags_set": h.flags_set,
            "flags_cleared": h.flags_cleared,
            "result": format!("{:?}", h.result),
        })).collect::<Vec<_>>(),
        "units": o.report.units.iter().map(|u| json!({
            "unit": u.unit,
            "status": u.status,
            "flags": u.flags,
            "published": u.published,
        })).collect::<Vec<_>>(),
        "actions": o.report.actions.iter().map(|a| a.to_json()).collect::<Vec<_>>(),
        "prometheus.yml": o.prometheus_yml,
        "cert_files": o.cert_files,
        "cert_dirs": o.cert_dirs,
        "logs": o.logs,
    });
    let mut value: Value = serde_json::from_str(&replace(&value.to_string())).unwrap();
    // What is ordered by request id (random) is compared as sets.
    let sort = |v: &mut Value| {
        if let Value::Array(items) = v {
            items.sort_by_key(|item| item.to_string());
        }
    };
    for h in value["hooks"].as_array_mut().unwrap() {
        sort(&mut h["flags_set"]);
        sort(&mut h["flags_cleared"]);
    }
    for u in value["units"].as_array_mut().unwrap() {
        sort(&mut u["flags"]);
    }
    sort(&mut value["cert_dirs"]);
    if let Some(text) = value["prometheus.yml"].as_str() {
        let mut yml: Value = serde_json::from_str(text).unwrap();
        sort(&mut yml["scrape_configs"]);
        value["prometheus.yml"] = yml;
    }
    value
}

fn request_ids(run: &Run) -> BTreeMap<String, String> {
    [TARGET_0, TARGET_1]
        .iter()
        .map(|t| (t.to_string(), only_request(&run.steps[2], t).0))
        .collect()
}

// ---- the tests -----------------------------------------------------------------------

#[test]
fn the_seven_steps_in_process() {
    check_contract(in_process_run());
    check_list_jobs(in_process_run());
}

#[test]
fn the_seven_steps_as_processes() {
    let run = processes_run();
    check_contract(run);
    check_list_jobs(run);
    // Every hook ran the charm binary, its hook tools served by the
    // simulator through the production backend.
    for o in &run.steps {
        for h in &o.report.hooks {
            let what = format!("{}: {} on {}", o.report.step, h.hook, h.unit);
            let timing = h
                .process
                .as_ref()
                .unwrap_or_else(|| panic!("{what}: not a process"));
            let charm = timing
                .charm
                .as_ref()
                .unwrap_or_else(|| panic!("{what}: no timing line"));
            assert_eq!(
                (charm.hook.as_str(), charm.unit.as_str()),
                (h.hook.as_str(), h.unit.as_str())
            );
            assert_eq!(timing.served.len(), h.calls.len(), "{what}");
            assert_eq!(charm.tool_calls as usize, h.calls.len(), "{what}");
        }
    }
}

#[test]
fn both_modes_observe_the_same() {
    let (a, b) = (in_process_run(), processes_run());
    let (ids_a, ids_b) = (request_ids(a), request_ids(b));
    assert_eq!(a.steps.len(), b.steps.len());
    for (x, y) in a.steps.iter().zip(&b.steps) {
        let (x, y) = (normalised(a, x, &ids_a), normalised(b, y, &ids_b));
        if x != y {
            panic!(
                "step `{}` differs between the modes\n--- in process:\n{}\n--- as processes:\n{}",
                x["step"],
                serde_json::to_string_pretty(&x).unwrap(),
                serde_json::to_string_pretty(&y).unwrap()
            );
        }
    }
    assert!(a
        .steps
        .iter()
        .all(|o| o.report.hooks.iter().all(|h| h.process.is_none())));
    eprintln!(
        "telemetry scenario: {:.0} ms in process, {:.0} ms as processes",
        a.elapsed.as_secs_f64() * 1000.0,
        b.elapsed.as_secs_f64() * 1000.0
    );
}

/// A unit added to an application that is already related joins its
/// relations, with an address of its own (not one a removed unit had).
#[test]
fn a_target_added_after_relating_joins_in_both_modes() {
    let scenario = Scenario::parse(
        "name: telemetry-scale\n\
         steps:\n\
         \x20 - deploy: {app: prometheus, units: 1}\n\
         \x20 - deploy: {app: scrape-target, units: 2}\n\
         \x20 - relate: [scrape-target:metrics, prometheus:scrape]\n\
         \x20 - remove-unit: scrape-target/0\n\
         \x20 - add-unit: {app: scrape-target}\n\
         files: ['prometheus/0:prometheus.yml']\n",
        "telemetry-scale.yaml",
    )
    .unwrap();
    let target_2 = "scrape-target/2";
    let mut observed = Vec::new();
    for mode in [Mode::InProcess, Mode::Processes] {
        let workdir = scratch("add-unit");
        let catalog = match mode {
            Mode::InProcess | Mode::InProcessFresh => telemetry::in_process,
            Mode::Processes => as_process,
        };
        let mut deployment = Deployment::new(&workdir).unwrap();
        let reports = deployment.run_scenario(&scenario, &catalog, &mut |_| {});
        drop(deployment);
        let _ = std::fs::remove_dir_all(&workdir);
        assert_eq!(reports.len(), 5, "{mode}");
        for r in &reports {
            assert_eq!(r.error, None, "{mode}:\n{}", r.to_text());
        }
        let added = &reports[4];
        let what = format!("{mode}: {}", added.step);
        let hooks: Vec<(&str, &str, Option<&str>)> = added
            .hooks
            .iter()
            .map(|h| (h.unit.as_str(), h.hook.as_str(), h.remote_unit.as_deref()))
            .collect();
        assert_eq!(
            hooks.get(..8),
            Some(
                &[
                    (target_2, "install", None),
                    (target_2, "metrics-relation-created", None),
                    (target_2, "config-changed", None),
                    (target_2, "start", None),
                    (target_2, "metrics-relation-joined", Some(PROMETHEUS)),
                    (target_2, "metrics-relation-changed", Some(PROMETHEUS)),
                    (PROMETHEUS, "scrape-relation-joined", Some(target_2)),
                    (PROMETHEUS, "scrape-relation-changed", Some(target_2)),
                ][..]
            ),
            "{what}: {hooks:?}"
        );
        let units: Vec<&str> = added.units.iter().map(|u| u.unit.as_str()).collect();
        assert_eq!(units, [PROMETHEUS, TARGET_1, target_2], "{what}");
        let o = Observed {
            step: scenario.steps[4].clone(),
            report: added.clone(),
            prometheus_yml: added.files[0].content.clone(),
            cert_files: BTreeMap::new(),
            cert_dirs: BTreeSet::new(),
            logs: BTreeMap::new(),
        };
        assert_eq!(
            status(&o, PROMETHEUS),
            ("active".into(), "scraping 2 job(s)".into()),
            "{what}"
        );
        for t in [TARGET_1, target_2] {
            assert_eq!(
                status(&o, t),
                ("active".into(), "registered with 1 scraper(s)".into()),
                "{what}: {t}"
            );
        }
        assert!(
            flags_of_interest(&o, TARGET_1).contains("leadership.is_leader"),
            "{what}: scrape-target/1 leads once scrape-target/0 is gone"
        );
        let (a, b) = (ingress(&o, TARGET_1), ingress(&o, target_2));
        assert_ne!(a, b, "{what}: each unit has its own address");
        let yml: Value = serde_json::from_str(o.prometheus_yml.as_deref().unwrap()).unwrap();
        let mut targets: Vec<String> = yml["scrape_configs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| {
                j["static_configs"][0]["targets"][0]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        targets.sort();
        let mut expected = vec![format!("{a}:9100"), format!("{b}:9100")];
        expected.sort();
        assert_eq!(targets, expected, "{what}");
        observed.push(added.units.clone());
    }
    // Both modes agree on statuses (request ids differ).
    let statuses = |units: &Vec<UnitSnapshot>| -> Vec<Option<Status>> {
        units.iter().map(|u| u.status.clone()).collect()
    };
    assert_eq!(statuses(&observed[0]), statuses(&observed[1]));
}

/// The relation-data snapshot changes nothing a step leaves behind (the
/// hooks run, every unit's flags, published data and status, the files):
/// only the hook-tool calls, never more in a step than with fresh reads.
/// Within a step a handler may run in another hook: with fresh reads, a
/// prometheus hook sees a target's new data before that target's own
/// -changed hook, as charms.reactive does.
#[test]
fn the_relation_data_snapshot_changes_only_the_calls() {
    let a = in_process_run();
    let b = run(Mode::InProcessFresh);
    let (ids_a, ids_b) = (request_ids(a), request_ids(&b));
    assert_eq!(a.steps.len(), b.steps.len());
    let (mut calls_a, mut calls_b) = (0, 0);
    for (x, y) in a.steps.iter().zip(&b.steps) {
        let count = |o: &Observed| -> usize {
            o.report
                .hooks
                .iter()
                .flat_map(|h| &h.calls)
                .filter(|c| c.tool != "juju-log")
                .count()
        };
        let (cx, cy) = (count(x), count(y));
        assert!(
            cx <= cy,
            "{}: {cx} calls with the snapshot, {cy} without",
            x.report.step
        );
        calls_a += cx;
        calls_b += cy;
        let (mut x, mut y) = (normalised(a, x, &ids_a), normalised(&b, y, &ids_b));
        for v in [&mut x, &mut y] {
            v.as_object_mut().unwrap().remove("logs");
            for h in v["hooks"].as_array_mut().unwrap() {
                let h = h.as_object_mut().unwrap();
                for key in ["calls", "invoked", "flags_set", "flags_cleared"] {
                    h.remove(key);
                }
            }
        }
        if x != y {
            panic!(
                "step `{}` differs with fresh reads\n--- snapshot:\n{}\n--- fresh:\n{}",
                x["step"],
                serde_json::to_string_pretty(&x).unwrap(),
                serde_json::to_string_pretty(&y).unwrap()
            );
        }
    }
    assert!(
        calls_a < calls_b,
        "{calls_a} calls with the snapshot, {calls_b} without"
    );
    eprintln!(
        "telemetry scenario: {calls_a} hook-tool calls (juju-log aside) with the snapshot, {calls_b} with fresh reads"
    );
}
