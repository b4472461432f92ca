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
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use reactive_rs::telemetry;
use reactive_testing::sim::{
    CharmRunner, Deployment, Scenario, SimError, Status, Step, StepReport, UnitSnapshot,
};
use serde_json::{json, Value};

#[path = "../support/mod.rs"]
mod support;
use support::charm_binaries;

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

mod contract;

use contract::{check_contract, check_list_jobs, normalised, request_ids};

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
