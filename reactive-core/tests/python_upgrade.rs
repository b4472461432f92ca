//! Refreshing a unit from the Python build of a charm to its Rust build, and
//! back.
//!
//! The fixtures under `tests/fixtures/python-upgrade/` were written by the
//! real charms.reactive 1.5.3 and charmhelpers running the Python `probe`
//! charm of `scripts/make-python-fixtures.py`: the unit's `.unit-state.db`
//! and `.juju-persistent-config`, the model (config, leader settings,
//! relation data published) and what the Python charm did in the hooks a
//! refresh runs. The `probe` module below is the same charm in Rust.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use reactive_core::runtime::persistent_config::{
    PreviousConfigStore, CONFIG_FILE_NAME, LEGACY_KEY, PENDING_KEY,
};
use reactive_core::runtime::{run_hook, Charm, HookInput};
use reactive_core::{config::ConfigOptions, metadata::CharmMetadata};
use reactive_core::{HookInfo, Registry, UnitState};
use reactive_testing::sim::model::ModelState;
use reactive_testing::sim::UnitTools;
use serde_json::{json, Map, Value};

const METADATA: &str = "name: probe\nprovides:\n  info:\n    interface: probe-info\n";
const CONFIG: &str = "options:
  port: {type: int, default: 9100}
  mode: {type: string, default: fast}
  debug: {type: boolean, default: false}
  label: {type: string, default: \"\"}
";

/// The Rust build of the Python `probe` charm: each handler logs
/// `probe-ran: <name>` where the Python one does.
mod probe {
    use reactive_core::prelude::*;
    use reactive_core::tools::{DataBag, HookTools};
    use serde_json::json;

    type HandlerResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

    fn note(ctx: &Context, name: &str) {
        ctx.log(LogLevel::Info, &format!("probe-ran: {name}"));
    }

    #[when_not("probe.installed")]
    fn install(ctx: &mut Context) {
        note(ctx, "install");
        ctx.set_flag("probe.installed");
    }

    #[when("probe.installed")]
    #[when("config.changed")]
    fn configure(ctx: &mut Context) -> HandlerResult {
        note(ctx, "configure");
        let port = ctx.config().get_i64("port").unwrap_or_default();
        let mode = ctx.config().get_str("mode").unwrap_or_default().to_string();
        let data: DataBag = [("port".into(), port.to_string()), ("mode".into(), mode)].into();
        for rid in ctx.tools().with(|t| t.relation_ids("info"))? {
            ctx.tools().with(|t| t.relation_set(&rid, false, &data))?;
        }
        ctx.set_flag("probe.configured");
        Ok(())
    }

    /// Test-only (not in the Python charm): fail the hook on request.
    #[when("config.changed.mode")]
    fn explode(ctx: &mut Context) -> HandlerResult {
        match ctx.config().get_str("mode") {
            Some("explode") => Err("mode explode".into()),
            _ => Ok(()),
        }
    }

    #[when("config.changed.port")]
    fn port_changed(ctx: &mut Context) {
        note(ctx, "port_changed");
    }

    #[when("config.set.debug")]
    fn debug_on(ctx: &mut Context) {
        note(ctx, "debug_on");
    }

    #[when("config.default.label")]
    fn label_default(ctx: &mut Context) {
        note(ctx, "label_default");
    }

    #[when("probe.installed")]
    fn track_port(ctx: &mut Context) -> HandlerResult {
        let port = json!(ctx.config().get_i64("port"));
        if ctx.data_changed("probe.port", &port)? {
            note(ctx, "track_port");
        }
        Ok(())
    }

    #[only_once]
    fn first_run(ctx: &mut Context) {
        note(ctx, "first_run");
    }

    #[when("leadership.is_leader")]
    #[when_not("leadership.set.token")]
    fn set_token(ctx: &mut Context) -> HandlerResult {
        note(ctx, "set_token");
        let data: DataBag = [("token".into(), "t0k3n".into())].into();
        ctx.tools().with(|t| t.leader_set(&data))?;
        Ok(())
    }

    #[when("leadership.changed.token")]
    fn token_changed(ctx: &mut Context) {
        note(ctx, "token_changed");
    }

    /// Not a handler of the Python charm: what its hook runner logs at
    /// startup, the config flags of the hook (every hook: no flag is
    /// named `probe.never`).
    #[when_not("probe.never")]
    fn record_config_flags(ctx: &mut Context) {
        let flags: Vec<String> = ctx
            .get_flags()
            .into_iter()
            .filter(|f| f.starts_with("config."))
            .collect();
        ctx.log(
            LogLevel::Info,
            &format!("config-flags: {}", flags.join(" ")),
        );
    }
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/python-upgrade")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "python-upgrade-{tag}-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// A unit directory holding the Python unit's files.
    fn from_fixture(tag: &str) -> TempDir {
        let dir = TempDir::new(tag);
        for name in [".unit-state.db", CONFIG_FILE_NAME] {
            std::fs::copy(fixtures().join("unit").join(name), dir.0.join(name)).unwrap();
        }
        dir
    }

    fn config_file(&self) -> PathBuf {
        self.0.join(CONFIG_FILE_NAME)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn charm(map_only_once: bool) -> Charm {
    let mut registry = Registry::builder().module_prefix("python_upgrade::probe");
    if map_only_once {
        registry = registry.python_only_once(
            "reactive/probe.py:first_run",
            "tests/python_upgrade.rs:first_run",
        );
    }
    Charm::from_parts(
        CharmMetadata::parse(METADATA, "metadata.yaml").unwrap(),
        ConfigOptions::parse(CONFIG, "config.yaml").unwrap(),
        registry,
    )
    .unwrap()
}

/// The model the Python unit ran in, from `model.json`.
fn model_from_fixture() -> ModelState {
    let fixture = read_json(&fixtures().join("model.json"));
    let config: Map<String, Value> = fixture["config"].as_object().unwrap().clone();
    let mut model = ModelState::default();
    model.add_app(
        "probe",
        [("info".to_string(), "probe-info".to_string())].into(),
        config,
    );
    model.add_app(
        "consumer",
        [("info".to_string(), "probe-info".to_string())].into(),
        Map::new(),
    );
    model.add_unit("probe/0", Some("10.0.0.1".into()));
    model.add_unit("consumer/0", Some("10.0.0.2".into()));
    let app = model.apps.get_mut("probe").unwrap();
    if fixture["leader"] == json!(true) {
        app.leader = Some("probe/0".into());
    }
    app.leader_settings = serde_json::from_value(fixture["leader_settings"].clone()).unwrap();
    model.next_relation_id = 1;
    let relation = fixture["relations"]["info:1"].clone();
    let id = model.add_relation(&[("probe", "info"), ("consumer", "info")]);
    assert_eq!(id, 1);
    model.enter_relation(id, "probe/0");
    model.enter_relation(id, "consumer/0");
    let state = model.relations.get_mut(&id).unwrap();
    state.unit_data.insert(
        "probe/0".into(),
        serde_json::from_value(relation["published"].clone()).unwrap(),
    );
    model
}

/// What one hook did, in the terms of `python-continuation.json`.
#[derive(Debug, PartialEq)]
struct Ran {
    hook: String,
    ran: BTreeSet<String>,
    config_flags: Vec<String>,
    relation_sets: usize,
    changed_bags: usize,
}

fn fire(
    charm: &Charm,
    model: &Arc<Mutex<ModelState>>,
    dir: &Path,
    store: PreviousConfigStore,
    hook: &str,
) -> Ran {
    let tools = Arc::new(Mutex::new(UnitTools::new(model.clone(), "probe/0")));
    let logs_before = model.lock().unwrap().units["probe/0"].logs.len();
    let mut info = HookInfo::named(hook);
    info.unit_name = Some("probe/0".into());
    let outcome = run_hook(
        charm,
        HookInput {
            hook: info,
            state: UnitState::open(&dir.join(".unit-state.db")).unwrap(),
            tools: Box::new(tools.clone()),
            tracing: false,
            previous_config: store,
            process_ends: false,
        },
    );
    if let Err(e) = &outcome.result {
        panic!("{hook} failed: {e}");
    }
    drop(outcome);
    let mut tools = tools.lock().unwrap();
    let changed = tools.finish(true);
    let relation_sets = tools
        .calls()
        .iter()
        .filter(|c| c.tool == "relation-set")
        .count();
    drop(tools);
    let model = model.lock().unwrap();
    let mut ran = BTreeSet::new();
    let mut config_flags = Vec::new();
    for (_, line) in &model.units["probe/0"].logs[logs_before..] {
        if let Some(name) = line.strip_prefix("probe-ran: ") {
            ran.insert(name.to_string());
        } else if let Some(flags) = line.strip_prefix("config-flags: ") {
            config_flags = flags.split_whitespace().map(str::to_string).collect();
        }
    }
    Ran {
        hook: hook.to_string(),
        ran,
        config_flags,
        relation_sets,
        changed_bags: changed.len(),
    }
}

fn python_reference() -> Vec<Ran> {
    let reference = read_json(&fixtures().join("python-continuation.json"));
    reference
        .as_array()
        .unwrap()
        .iter()
        .map(|h| Ran {
            hook: h["hook"].as_str().unwrap().to_string(),
            ran: h["ran"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect(),
            config_flags: h["config_flags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect(),
            relation_sets: h["relation_sets"].as_array().unwrap().len(),
            changed_bags: 0,
        })
        .collect()
}

const REFRESH_HOOKS: [&str; 3] = ["upgrade-charm", "config-changed", "update-status"];

#[test]
fn a_python_unit_refreshed_to_rust_does_what_the_python_charm_would() {
    let dir = TempDir::from_fixture("py-to-rust");
    let file_before = std::fs::read(dir.config_file()).unwrap();
    let model = Arc::new(Mutex::new(model_from_fixture()));
    let published_before = model.lock().unwrap().relations[&1].unit_data["probe/0"].clone();
    let charm = charm(true);
    let store = PreviousConfigStore::in_charm_dir(&dir.0);
    let rust: Vec<Ran> = REFRESH_HOOKS
        .iter()
        .map(|hook| fire(&charm, &model, &dir.0, store.clone(), hook))
        .collect();
    let python = python_reference();
    assert_eq!(rust, python);
    for hook in &rust {
        assert!(
            hook.config_flags
                .iter()
                .all(|f| !f.starts_with("config.changed")),
            "{hook:?}"
        );
    }
    assert_eq!(
        model.lock().unwrap().relations[&1].unit_data["probe/0"],
        published_before,
        "relation data changed"
    );
    assert_eq!(
        std::fs::read(dir.config_file()).unwrap(),
        file_before,
        "an unchanged config rewrote the persistent config"
    );
}

#[test]
fn without_the_persistent_config_every_option_would_count_as_changed() {
    // The defect the file fixes: the previous config looked up elsewhere.
    let dir = TempDir::from_fixture("no-file");
    let model = Arc::new(Mutex::new(model_from_fixture()));
    let ran = fire(
        &charm(true),
        &model,
        &dir.0,
        PreviousConfigStore::UnitState,
        "upgrade-charm",
    );
    assert!(ran
        .config_flags
        .contains(&"config.changed.port".to_string()));
    assert!(ran.ran.contains("configure"), "{ran:?}");
    assert_eq!(ran.relation_sets, 1);
}

#[test]
fn only_once_marks_carry_over_only_when_mapped() {
    let dir = TempDir::from_fixture("once-unmapped");
    let model = Arc::new(Mutex::new(model_from_fixture()));
    let store = PreviousConfigStore::in_charm_dir(&dir.0);
    let ran = fire(
        &charm(false),
        &model,
        &dir.0,
        store.clone(),
        "upgrade-charm",
    );
    assert!(ran.ran.contains("first_run"), "{ran:?}");

    let dir = TempDir::from_fixture("once-mapped");
    let ran = fire(&charm(true), &model, &dir.0, store, "upgrade-charm");
    assert!(!ran.ran.contains("first_run"), "{ran:?}");
}

#[test]
fn a_real_config_change_after_the_refresh_is_seen() {
    let dir = TempDir::from_fixture("real-change");
    let model = Arc::new(Mutex::new(model_from_fixture()));
    let charm = charm(true);
    let store = PreviousConfigStore::in_charm_dir(&dir.0);
    fire(&charm, &model, &dir.0, store.clone(), "upgrade-charm");
    model.lock().unwrap().apps.get_mut("probe").unwrap().config["mode"] = json!("safe");
    let ran = fire(&charm, &model, &dir.0, store, "config-changed");
    assert_eq!(
        ran.config_flags,
        [
            "config.changed",
            "config.changed.mode",
            "config.default.debug",
            "config.default.label",
            "config.set.mode",
            "config.set.port"
        ]
    );
    assert_eq!(
        ran.ran,
        ["configure", "label_default"].map(String::from).into()
    );
    assert_eq!((ran.relation_sets, ran.changed_bags), (1, 1));
    // Written as charmhelpers writes it: json.dump, mode 0600.
    assert_eq!(
        std::fs::read_to_string(dir.config_file()).unwrap(),
        r#"{"debug": false, "label": "", "mode": "safe", "port": 9200}"#
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.config_file())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

/// The interpreter with charms.reactive 1.5.3, if this machine has one
/// (`REACTIVE_PYTHON`, else the venv the fixture script's header creates).
fn python_with_charms_reactive() -> Option<PathBuf> {
    let python = std::env::var_os("REACTIVE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/pyreactive/bin/python"));
    let ok = std::process::Command::new(&python)
        .args([
            "-c",
            "import charmhelpers.osplatform as p; p.get_platform = lambda: 'ubuntu'; import charms.reactive",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some(python)
}

#[test]
fn a_rust_unit_refreshed_back_to_python_sees_no_spurious_change() {
    let dir = TempDir::from_fixture("rust-to-py");
    let model = Arc::new(Mutex::new(model_from_fixture()));
    let charm = charm(true);
    let store = PreviousConfigStore::in_charm_dir(&dir.0);
    fire(&charm, &model, &dir.0, store.clone(), "upgrade-charm");
    model.lock().unwrap().apps.get_mut("probe").unwrap().config["port"] = json!(9300);
    let ran = fire(&charm, &model, &dir.0, store.clone(), "config-changed");
    assert!(ran.ran.contains("track_port") && ran.ran.contains("port_changed"));
    fire(&charm, &model, &dir.0, store, "update-status");

    // What the Python reader expects: charmhelpers' bytes for this config,
    // no leftover copy in the unit state.
    let written = std::fs::read_to_string(dir.config_file()).unwrap();
    let python_bytes = std::fs::read_to_string(fixtures().join("unit").join(CONFIG_FILE_NAME))
        .unwrap()
        .replace("9200", "9300");
    assert_eq!(written, python_bytes);
    let mut state = UnitState::open(&dir.0.join(".unit-state.db")).unwrap();
    assert_eq!(state.get(LEGACY_KEY).unwrap(), None);
    assert!(state.get(PENDING_KEY).unwrap().is_some());
    let names: Vec<String> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(names.is_empty(), "temporary files left: {names:?}");

    let Some(python) = python_with_charms_reactive() else {
        eprintln!("python with charms.reactive 1.5.3 not found: the Python side is not run");
        return;
    };
    // The model as the Python hook tools read it.
    let m = model.lock().unwrap();
    let python_model = json!({
        "config": m.apps["probe"].config,
        "leader": true,
        "leader_settings": m.apps["probe"].leader_settings,
        "relations": {"info:1": {
            "endpoint": "info",
            "units": ["consumer/0"],
            "data": {"consumer/0": m.relations[&1].unit_data["consumer/0"]},
            "published": m.relations[&1].unit_data["probe/0"],
        }},
    });
    drop(m);
    let model_path = dir.0.join("python-model.json");
    std::fs::write(&model_path, python_model.to_string()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/make-python-fixtures.py");
    let output = std::process::Command::new(python)
        .arg(script)
        .arg("continue")
        .arg(&dir.0)
        .arg(&model_path)
        .args(REFRESH_HOOKS)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Value = serde_json::from_slice(&output.stdout).unwrap();
    for (i, hook) in results.as_array().unwrap().iter().enumerate() {
        let flags = hook["config_flags"].as_array().unwrap();
        assert!(
            flags
                .iter()
                .all(|f| !f.as_str().unwrap().starts_with("config.changed")),
            "{hook}"
        );
        // Only the handler that runs in every hook: no track_port (the Rust
        // hash is Python's), no set_token (leadership.set.token carried
        // over), no relation-set. charms.reactive names an only_once mark
        // by the absolute path of the handler's file: the fixture's unit
        // ran in another directory than this test's, so first_run runs once
        // more here (under Juju the charm directory keeps its path, and the
        // Python mark, which the Rust charm keeps, is found again).
        let expected = if i == 0 {
            json!(["first_run", "label_default"])
        } else {
            json!(["label_default"])
        };
        assert_eq!(hook["ran"], expected, "{hook}");
        assert_eq!(hook["relation_sets"], json!([]), "{hook}");
    }
}

// ---- crash safety and migration ---------------------------------------------

/// A unit whose last hook committed config `port: 9300` but died before the
/// rename: the committed state names a temporary file that still exists.
#[test]
fn a_committed_write_whose_rename_was_lost_is_rolled_forward() {
    let dir = TempDir::from_fixture("roll-forward");
    let temp = format!("{CONFIG_FILE_NAME}.0123456789abcdef.tmp");
    let new = r#"{"debug": false, "label": "", "mode": "fast", "port": 9300}"#;
    std::fs::write(dir.0.join(&temp), new).unwrap();
    let mut state = UnitState::open(&dir.0.join(".unit-state.db")).unwrap();
    state.set(PENDING_KEY, json!(temp));
    state.commit().unwrap();
    drop(state);
    let model = Arc::new(Mutex::new(model_from_fixture()));
    model.lock().unwrap().apps.get_mut("probe").unwrap().config["port"] = json!(9300);
    let store = PreviousConfigStore::in_charm_dir(&dir.0);
    let ran = fire(&charm(true), &model, &dir.0, store, "config-changed");
    assert!(
        ran.config_flags
            .iter()
            .all(|f| !f.starts_with("config.changed")),
        "{ran:?}"
    );
    assert_eq!(std::fs::read_to_string(dir.config_file()).unwrap(), new);
    assert!(!dir.0.join(&temp).exists());
}

/// A hook that died after writing its temporary file but before the commit:
/// the retry compares with the old file, and the orphan is removed.
#[test]
fn an_uncommitted_write_is_ignored_and_its_file_removed() {
    let dir = TempDir::from_fixture("orphan");
    let orphan = dir
        .0
        .join(format!("{CONFIG_FILE_NAME}.fedcba9876543210.tmp"));
    std::fs::write(
        &orphan,
        r#"{"debug": false, "label": "", "mode": "fast", "port": 9300}"#,
    )
    .unwrap();
    let model = Arc::new(Mutex::new(model_from_fixture()));
    model.lock().unwrap().apps.get_mut("probe").unwrap().config["port"] = json!(9300);
    let store = PreviousConfigStore::in_charm_dir(&dir.0);
    let ran = fire(&charm(true), &model, &dir.0, store, "config-changed");
    assert!(ran
        .config_flags
        .contains(&"config.changed.port".to_string()));
    assert!(ran.ran.contains("configure"), "{ran:?}");
    assert!(!orphan.exists(), "the orphan was not removed");
    assert!(std::fs::read_to_string(dir.config_file())
        .unwrap()
        .contains("9300"));
}

/// A failed hook writes neither the unit state nor the file.
#[test]
fn a_failed_hook_leaves_the_file_as_it_was() {
    let dir = TempDir::from_fixture("failed");
    let before = std::fs::read(dir.config_file()).unwrap();
    let model = Arc::new(Mutex::new(model_from_fixture()));
    model.lock().unwrap().apps.get_mut("probe").unwrap().config["mode"] = json!("explode");
    let tools = UnitTools::new(model.clone(), "probe/0");
    let mut info = HookInfo::named("config-changed");
    info.unit_name = Some("probe/0".into());
    let outcome = run_hook(
        &charm(true),
        HookInput {
            hook: info,
            state: UnitState::open(&dir.0.join(".unit-state.db")).unwrap(),
            tools: Box::new(tools),
            tracing: false,
            previous_config: PreviousConfigStore::in_charm_dir(&dir.0),
            process_ends: false,
        },
    );
    assert!(outcome.result.is_err());
    drop(outcome);
    assert_eq!(std::fs::read(dir.config_file()).unwrap(), before);
    let temps = std::fs::read_dir(&dir.0)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".tmp")
        })
        .count();
    assert_eq!(temps, 0);
    // The retry (mode fixed) still sees the change.
    model.lock().unwrap().apps.get_mut("probe").unwrap().config["mode"] = json!("safe");
    let store = PreviousConfigStore::in_charm_dir(&dir.0);
    let ran = fire(&charm(true), &model, &dir.0, store, "config-changed");
    assert!(ran
        .config_flags
        .contains(&"config.changed.mode".to_string()));
}

/// A unit run by an earlier reactive-rs: the previous config is in the unit
/// state; it is read once, then the file replaces it.
#[test]
fn the_unit_state_copy_of_earlier_versions_is_migrated() {
    let dir = TempDir::from_fixture("migrate");
    std::fs::remove_file(dir.config_file()).unwrap();
    let mut state = UnitState::open(&dir.0.join(".unit-state.db")).unwrap();
    state.set(
        LEGACY_KEY,
        json!({"debug": false, "label": "", "mode": "fast", "port": 9200}),
    );
    state.commit().unwrap();
    drop(state);
    let model = Arc::new(Mutex::new(model_from_fixture()));
    let store = PreviousConfigStore::in_charm_dir(&dir.0);
    let ran = fire(&charm(true), &model, &dir.0, store, "upgrade-charm");
    assert!(
        ran.config_flags
            .iter()
            .all(|f| !f.starts_with("config.changed")),
        "{ran:?}"
    );
    let mut state = UnitState::open(&dir.0.join(".unit-state.db")).unwrap();
    assert_eq!(state.get(LEGACY_KEY).unwrap(), None);
    assert_eq!(
        std::fs::read_to_string(dir.config_file()).unwrap(),
        r#"{"debug": false, "label": "", "mode": "fast", "port": 9200}"#
    );
}

/// A file that is not JSON counts as no previous config, as in charmhelpers.
#[test]
fn a_corrupt_file_counts_every_option_as_changed_and_is_replaced() {
    let dir = TempDir::from_fixture("corrupt");
    std::fs::write(dir.config_file(), "{not json").unwrap();
    let model = Arc::new(Mutex::new(model_from_fixture()));
    let store = PreviousConfigStore::in_charm_dir(&dir.0);
    let ran = fire(&charm(true), &model, &dir.0, store, "config-changed");
    assert!(ran.config_flags.contains(&"config.changed".to_string()));
    let logs = model.lock().unwrap().units["probe/0"].logs.clone();
    assert!(
        logs.iter()
            .any(|(_, l)| l.contains(CONFIG_FILE_NAME) && l.contains("cannot be used")),
        "{logs:?}"
    );
    assert!(std::fs::read_to_string(dir.config_file())
        .unwrap()
        .starts_with('{'));
}
