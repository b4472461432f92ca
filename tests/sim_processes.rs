//! The deployment simulator's "real processes" mode: charm
//! binaries run one process per hook with exactly Juju's environment, their
//! hook tools on `PATH` being links to the simulator's client, answered by
//! the simulator's hook-tool server from the model. The production backend
//! (`ProcessTools`) is exercised end to end.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use reactive_core::tools::WorkloadState;
use reactive_testing::sim::{AppSpec, CharmRunner, Deployment, HookRun, ProcessCharm, SimError};
use serde_json::{json, Map, Value};

const TOOL: &str = env!("CARGO_BIN_EXE_reactive-sim-tool");
const CHARM: &str = env!("CARGO_BIN_EXE_reactive-sim-demo-charm");

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sim-demo-charm")
}

/// A scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "reactive-sim-processes-{}-{test}-{}",
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

fn config(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

fn deploy(model: &mut Deployment, app: &str, units: usize, values: Value) -> Result<(), SimError> {
    let charm = ProcessCharm::load(CHARM, &fixtures(), TOOL).unwrap();
    model.deploy(AppSpec {
        name: app.into(),
        runner: CharmRunner::Process(charm),
        charm_dir: fixtures(),
        units,
        config: config(values),
    })
}

fn status(model: &Deployment, unit: &str) -> Option<(WorkloadState, String)> {
    model
        .model()
        .units
        .get(unit)
        .and_then(|u| u.status.clone())
        .map(|s| (s.state, s.message))
}

fn active(message: &str) -> Option<(WorkloadState, String)> {
    Some((WorkloadState::Active, message.to_string()))
}

fn has_flag(model: &Deployment, unit: &str, flag: &str) -> bool {
    model.unit_flags(unit).iter().any(|f| f == flag)
}

fn unit_bag(model: &Deployment, relation: u32, unit: &str, key: &str) -> Option<String> {
    model
        .model()
        .relations
        .get(&relation)
        .and_then(|r| r.unit_data.get(unit))
        .and_then(|bag| bag.get(key).cloned())
}

/// Every hook went through the production backend: the charm's
/// `ProcessTools` ran as many tool processes as the server answered, and
/// each answered call reached the unit's simulated tools.
fn assert_went_through_processes(runs: &[HookRun]) {
    assert!(!runs.is_empty());
    for run in runs {
        let what = format!("{} on {}", run.hook, run.unit);
        let timing = run
            .process
            .as_ref()
            .unwrap_or_else(|| panic!("{what}: no timing"));
        let charm = timing
            .charm
            .as_ref()
            .unwrap_or_else(|| panic!("{what}: the charm wrote no timing line"));
        assert_eq!(charm.hook, run.hook, "{what}");
        assert_eq!(charm.unit, run.unit, "{what}");
        assert!(!timing.served.is_empty(), "{what}: no tool calls served");
        assert_eq!(charm.tool_calls as usize, timing.served.len(), "{what}");
        assert_eq!(run.calls.len(), timing.served.len(), "{what}");
        assert!(charm.tools <= charm.wall, "{what}");
        assert!(charm.wall <= timing.process, "{what}");
        assert!(charm.max_rss_kb.is_some_and(|kb| kb > 0), "{what}");
        assert!(charm.minor_faults.is_some_and(|n| n > 0), "{what}");
        for (served, call) in timing.served.iter().zip(&run.calls) {
            assert_eq!(served.unit, run.unit, "{what}");
            assert_eq!(served.tool, call.tool, "{what}");
            if run.result.is_ok() {
                assert_eq!(served.code, 0, "{what}: {served:?}");
            }
        }
    }
}

#[test]
fn two_apps_as_processes_relate_configure_and_lose_a_unit() {
    let scratch = Scratch::new("scenario");
    let mut model = Deployment::new(&scratch.0).unwrap();

    // ---- deploy -------------------------------------------------------------
    deploy(&mut model, "alpha", 2, json!({})).unwrap();
    deploy(&mut model, "beta", 1, json!({"greeting": "hi"})).unwrap();
    let runs = model.take_runs();
    assert_went_through_processes(&runs);
    let hooks: Vec<(String, String)> = runs
        .iter()
        .map(|r| (r.unit.clone(), r.hook.clone()))
        .collect();
    for (unit, hook) in [
        ("alpha/0", "install"),
        ("alpha/0", "leader-elected"),
        ("alpha/0", "config-changed"),
        ("alpha/0", "start"),
        ("alpha/1", "install"),
        ("alpha/1", "start"),
        ("beta/0", "leader-elected"),
    ] {
        assert!(
            hooks.contains(&(unit.to_string(), hook.to_string())),
            "{unit} {hook} not run: {hooks:?}"
        );
    }
    let install = runs
        .iter()
        .find(|r| r.unit == "alpha/0" && r.hook == "install")
        .unwrap();
    assert!(
        install.invoked.iter().any(|id| id.ends_with(":install")),
        "{:?}",
        install.invoked
    );
    assert_eq!(status(&model, "alpha/0"), active("ready: hello"));
    assert_eq!(status(&model, "alpha/1"), active("ready: hello"));
    assert_eq!(status(&model, "beta/0"), active("ready: hi"));
    for unit in ["alpha/0", "alpha/1", "beta/0"] {
        assert!(has_flag(&model, unit, "demo.installed"), "{unit}");
        assert!(!has_flag(&model, unit, "demo.linked"), "{unit}");
        // Config flags describe one hook only and are never persisted.
        assert!(!has_flag(&model, unit, "config.changed"), "{unit}");
    }
    assert!(has_flag(&model, "alpha/0", "leadership.is_leader"));
    assert!(!has_flag(&model, "alpha/1", "leadership.is_leader"));
    assert!(has_flag(&model, "alpha/1", "leadership.set.token"));
    {
        let m = model.model();
        assert_eq!(
            m.apps["alpha"]
                .leader_settings
                .get("token")
                .map(String::as_str),
            Some("token-of-alpha/0")
        );
        assert_eq!(m.apps["alpha"].version.as_deref(), Some("1.0.0"));
        assert!(!m.units["alpha/1"].ports.is_empty());
        // Every handler invocation was logged through `juju-log`.
        assert!(m.units["beta/0"]
            .logs
            .iter()
            .any(|(_, line)| line.starts_with("Invoking reactive handler: ")));
    }
    // The unit state DB is where Juju's environment says it is.
    assert!(model
        .unit_dir("alpha/0")
        .unwrap()
        .join(".unit-state.db")
        .exists());

    // ---- relate -------------------------------------------------------------
    let id = model.relate("alpha:link", "beta:serve").unwrap().number();
    let runs = model.take_runs();
    assert_went_through_processes(&runs);
    assert!(runs
        .iter()
        .any(|r| r.unit == "beta/0" && r.hook == "serve-relation-changed"));
    assert_eq!(
        unit_bag(&model, id, "beta/0", "greeting").as_deref(),
        Some("hi from beta/0")
    );
    assert_eq!(
        unit_bag(&model, id, "alpha/1", "greeting").as_deref(),
        Some("hello from alpha/1")
    );
    assert_eq!(
        model.model().relations[&id].app_data["alpha"]
            .get("leader")
            .map(String::as_str),
        Some("alpha/0")
    );
    assert_eq!(
        status(&model, "beta/0"),
        active("ready: hi; heard hello from alpha/0, hello from alpha/1")
    );
    assert_eq!(
        status(&model, "alpha/1"),
        active("ready: hello; heard hi from beta/0")
    );
    for unit in ["alpha/0", "alpha/1", "beta/0"] {
        assert!(has_flag(&model, unit, "demo.linked"), "{unit}");
        assert!(has_flag(&model, unit, "demo.remote-leader-known"), "{unit}");
    }

    // ---- config -------------------------------------------------------------
    model
        .config("alpha", config(json!({"greeting": "bonjour"})))
        .unwrap();
    let runs = model.take_runs();
    assert_went_through_processes(&runs);
    // The new greeting reached beta through `-relation-changed` hooks.
    assert!(runs
        .iter()
        .any(|r| r.unit == "beta/0" && r.hook == "serve-relation-changed"));
    assert_eq!(
        status(&model, "beta/0"),
        active("ready: hi; heard bonjour from alpha/0, bonjour from alpha/1")
    );
    assert_eq!(
        status(&model, "alpha/0"),
        active("ready: bonjour; heard hi from beta/0")
    );

    // ---- remove a unit ------------------------------------------------------
    model.remove_unit("alpha/1").unwrap();
    let runs = model.take_runs();
    assert_went_through_processes(&runs);
    let departed = runs
        .iter()
        .find(|r| r.unit == "beta/0" && r.hook == "serve-relation-departed")
        .expect("beta/0 saw alpha/1 depart");
    assert_eq!(departed.remote_unit.as_deref(), Some("alpha/1"));
    assert!(runs.iter().any(|r| r.unit == "alpha/1" && r.hook == "stop"));
    assert!(!model.model().units.contains_key("alpha/1"));
    assert_eq!(
        status(&model, "beta/0"),
        active("ready: hi; heard bonjour from alpha/0")
    );
    assert!(has_flag(&model, "beta/0", "demo.linked"));

    // The server kept account of every call.
    let host = model.process_host().expect("a process host");
    let stats = host.server().stats();
    assert!(stats.calls > 50, "{stats:?}");
    assert!(stats.per_tool.contains_key("relation-get"));
    assert!(stats.per_tool.contains_key("juju-log"));
    assert!(host.server().serving().is_none());
}

#[test]
fn a_failing_process_hook_stops_the_step_and_is_retried() {
    let scratch = Scratch::new("failure");
    let mut model = Deployment::new(&scratch.0).unwrap();
    deploy(&mut model, "alpha", 1, json!({})).unwrap();
    model.take_runs();
    let before = model.unit_flags("alpha/0");

    let err = model
        .config("alpha", config(json!({"fail": true, "greeting": "hey"})))
        .unwrap_err();
    match &err {
        SimError::HookFailed { unit, hook, error } => {
            assert_eq!(unit, "alpha/0");
            assert_eq!(hook, "config-changed");
            assert!(error.contains("exited with status 1"), "{error}");
            assert!(
                error.contains("asked to fail by the `fail` option"),
                "{error}"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    let runs = model.take_runs();
    let failed = runs.last().unwrap();
    assert!(failed.result.is_err());
    assert!(failed.process.as_ref().unwrap().charm.is_some());
    // Nothing of the failed hook persisted.
    assert_eq!(model.unit_flags("alpha/0"), before);
    assert_eq!(status(&model, "alpha/0"), active("ready: hello"));

    // The unit stays in error through the next step: its config-changed
    // waits behind the failed one (the same hook, queued once)...
    match model.config("alpha", config(json!({"fail": false}))) {
        Err(SimError::HookFailed { unit, hook, .. }) => {
            assert_eq!(
                (unit.as_str(), hook.as_str()),
                ("alpha/0", "config-changed")
            )
        }
        other => panic!("expected the unit to stay in error: {other:?}"),
    }
    assert!(
        model.take_runs().is_empty(),
        "no hook ran on the unit in error"
    );
    assert_eq!(status(&model, "alpha/0"), active("ready: hello"));
    // ... until it is resolved: the hook runs again, with the new config.
    model.resolved("alpha/0").unwrap();
    assert_eq!(status(&model, "alpha/0"), active("ready: hey"));
    assert!(model.failed_units().is_empty());
}

#[test]
fn the_client_outside_the_simulator() {
    // Under its own name: usage, exit 2.
    let out = Command::new(TOOL).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("relation-get"));

    // Under a tool's name without a server: an error, exit 1.
    let scratch = Scratch::new("client");
    let link = scratch.0.join("is-leader");
    std::os::unix::fs::symlink(TOOL, &link).unwrap();
    let out = Command::new(&link)
        .env_clear()
        .env("JUJU_UNIT_NAME", "a/0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("ERROR REACTIVE_SIM_SOCKET is not set"),
        "{stderr}"
    );

    // With a socket nobody listens on: an error naming it, exit 1.
    let out = Command::new(&link)
        .env_clear()
        .env("JUJU_UNIT_NAME", "a/0")
        .env("REACTIVE_SIM_SOCKET", scratch.0.join("none.sock"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("none.sock"));
}

#[test]
fn tool_links_answer_from_a_running_hook() {
    use reactive_testing::sim::process::ProcessHost;
    use reactive_testing::sim::{ModelState, UnitTools};
    use std::sync::{Arc, Mutex};

    let scratch = Scratch::new("links");
    let host = ProcessHost::start(&scratch.0.join("host")).unwrap();
    let tools_dir = host.tool_dir(Path::new(TOOL)).unwrap();
    let mut state = ModelState::default();
    state.add_app("app", Default::default(), config(json!({"port": 80})));
    state.add_unit("app/0", None);
    state.apps.get_mut("app").unwrap().leader = Some("app/0".into());
    let model = Arc::new(Mutex::new(state));
    let tools = Arc::new(Mutex::new(UnitTools::new(model.clone(), "app/0")));
    host.server().begin_hook("app/0", tools.clone(), None);

    let run = |unit: &str, tool: &str, args: &[&str], stdin: Option<&str>| {
        use std::io::Write;
        let mut child = Command::new(tools_dir.join(tool))
            .args(args)
            .env_clear()
            .env("JUJU_UNIT_NAME", unit)
            .env("REACTIVE_SIM_SOCKET", host.server().socket_path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
        drop(pipe);
        let out = child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(
        run("app/0", "config-get", &["--all", "--format=json"], None),
        (Some(0), "{\"port\":80}\n".into(), String::new())
    );
    assert_eq!(run("app/0", "is-leader", &[], None).1, "True\n");
    assert_eq!(run("app/0", "leader-set", &["a=1"], None).0, Some(0));
    assert_eq!(
        run("app/0", "leader-get", &["--format=json", "a"], None).1,
        "\"1\"\n"
    );
    let (code, _, stderr) = run(
        "app/0",
        "relation-set",
        &["-r", "db:7", "--file", "-"],
        Some("{\"k\": \"v\"}"),
    );
    assert_eq!(code, Some(1));
    assert!(stderr.contains("relation not found"), "{stderr}");
    let (code, _, stderr) = run("other/0", "is-leader", &[], None);
    assert_eq!(code, Some(1));
    assert!(stderr.starts_with("ERROR "), "{stderr}");
    let (code, _, stderr) = run("app/0", "status-set", &["sleepy"], None);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("invalid status"), "{stderr}");
    host.server().end_hook();
    let (code, _, _) = run("app/0", "is-leader", &[], None);
    assert_eq!(code, Some(1));
}
