//! The deployment simulator when things go wrong: a hook that fails in the
//! middle of a scenario, bad scenario files, a charm with a malformed
//! `metadata.yaml` (loaded in process, as a process charm, and read by a
//! running charm binary), and a model that never settles.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use reactive_core::prelude::*;
use reactive_core::runtime::Charm;
use reactive_core::tools::{DataBag, HookTools};
use reactive_testing::sim::{
    AppSpec, CharmRunner, Deployment, ProcessCharm, Scenario, SimError, StepReport, UnitSnapshot,
};
use serde_json::json;

const TOOL: &str = env!("CARGO_BIN_EXE_reactive-sim-tool");
const DEMO_CHARM: &str = env!("CARGO_BIN_EXE_reactive-sim-demo-charm");

static COUNTER: AtomicUsize = AtomicUsize::new(0);

type HandlerResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// A scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "reactive-sim-failures-{}-{test}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// A charm directory `name` under the scratch directory, holding these
    /// files.
    fn charm(&self, name: &str, files: &[(&str, &str)]) -> PathBuf {
        let dir = self.0.join("charms").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        for (file, text) in files {
            std::fs::write(dir.join(file), text).unwrap();
        }
        dir
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Write `value` under `key` in this unit's bag on each of these relations
/// (held back by the simulator until the hook succeeds, as Juju does).
fn publish(ctx: &mut Context, relation_ids: &[String], key: &str, value: &str) -> HandlerResult {
    let mut bag = DataBag::new();
    bag.insert(key.to_string(), value.to_string());
    for rid in relation_ids {
        ctx.tools().with(|t| t.relation_set(rid, false, &bag))?;
    }
    Ok(())
}

/// `source` publishes its `value` option on every `out` relation.
mod source {
    use super::*;

    pub const METADATA: &str = "name: source\nprovides:\n  out:\n    interface: echo\n";
    pub const CONFIG: &str = "options:\n  value: {type: string, default: \"\"}\n";

    pub fn registry() -> reactive_core::registry::RegistryBuilder {
        Registry::builder().module_prefix(module_path!())
    }

    fn publish_value(ctx: &mut Context) -> HandlerResult {
        let value = ctx
            .config()
            .get_str("value")
            .unwrap_or_default()
            .to_string();
        let ids = ctx.tools().with(|t| t.relation_ids("out"))?;
        publish(ctx, &ids, "value", &value)
    }

    #[hook("config-changed")]
    fn on_config(ctx: &mut Context) -> HandlerResult {
        publish_value(ctx)
    }

    #[hook("out-relation-joined")]
    fn on_joined(ctx: &mut Context) -> HandlerResult {
        publish_value(ctx)
    }
}

/// `sink` echoes the `value` it receives, with the number of echoes it
/// made (kept in its unit state), and sets `sink.echoed`; while its `fail`
/// option is true, or its `fail-unit` option names the unit, it then fails
/// the hook.
mod sink {
    use super::*;

    pub const METADATA: &str = "name: sink\nrequires:\n  in:\n    interface: echo\n";
    pub const CONFIG: &str = "options:\n  fail: {type: boolean, default: false}\n\
                              \x20 fail-unit: {type: string, default: \"\"}\n";

    pub fn registry() -> reactive_core::registry::RegistryBuilder {
        Registry::builder().module_prefix(module_path!())
    }

    #[hook("in-relation-changed")]
    fn echo(ctx: &mut Context) -> HandlerResult {
        let hook = ctx.hook().clone();
        let (Some(rid), Some(remote)) = (hook.relation_id, hook.remote_unit) else {
            return Ok(());
        };
        let received = ctx.tools().with(|t| t.relation_get(&rid, &remote))?;
        let Some(value) = received.get("value").cloned() else {
            return Ok(());
        };
        let echoes = ctx
            .unit_state()
            .get("sink.echoes")?
            .and_then(|v| v.as_u64())
            .unwrap_or(0)
            + 1;
        ctx.unit_state().set("sink.echoes", echoes.into());
        ctx.set_flag("sink.echoed");
        let ids = [rid];
        publish(ctx, &ids, "echo", &value)?;
        publish(ctx, &ids, "echoes", &echoes.to_string())?;
        if ctx.config().get_bool("fail") == Some(true) {
            return Err(format!("asked to fail while echoing `{value}`").into());
        }
        let unit = ctx.hook().unit_name.clone().unwrap_or_default();
        if ctx.config().get_str("fail-unit") == Some(unit.as_str()) {
            return Err(format!("{unit} asked to fail while echoing `{value}`").into());
        }
        Ok(())
    }
}

/// `pingpong` answers every change of its relations with a new number:
/// two applications of it related never settle.
mod pingpong {
    use super::*;

    pub const METADATA: &str = "name: pingpong\nprovides:\n  ping:\n    interface: pingpong\n\
                                requires:\n  pong:\n    interface: pingpong\n";

    pub fn registry() -> reactive_core::registry::RegistryBuilder {
        Registry::builder().module_prefix(module_path!())
    }

    #[hook("{ping,pong}-relation-{joined,changed}")]
    fn bump(ctx: &mut Context) -> HandlerResult {
        let Some(rid) = ctx.hook().relation_id.clone() else {
            return Ok(());
        };
        let n = ctx
            .unit_state()
            .get("pingpong.n")?
            .and_then(|v| v.as_u64())
            .unwrap_or(0)
            + 1;
        ctx.unit_state().set("pingpong.n", n.into());
        publish(ctx, &[rid], "n", &n.to_string())
    }
}

fn unit<'a>(report: &'a StepReport, name: &str) -> &'a UnitSnapshot {
    report
        .units
        .iter()
        .find(|u| u.unit == name)
        .unwrap_or_else(|| panic!("{}: no unit {name}", report.step))
}

fn bag(report: &StepReport, name: &str) -> DataBag {
    let published = &unit(report, name).published;
    assert!(published.len() <= 1, "{name}: {published:?}");
    published.values().next().cloned().unwrap_or_default()
}

#[test]
fn a_failing_hook_publishes_nothing_keeps_the_unit_state_and_is_retried() {
    let scratch = Scratch::new("failing-hook");
    let source_dir = scratch.charm(
        "source",
        &[
            ("metadata.yaml", source::METADATA),
            ("config.yaml", source::CONFIG),
        ],
    );
    let sink_dir = scratch.charm(
        "sink",
        &[
            ("metadata.yaml", sink::METADATA),
            ("config.yaml", sink::CONFIG),
        ],
    );
    let catalog = |name: &str| -> Result<(CharmRunner, PathBuf), SimError> {
        let (dir, registry) = match name {
            "source" => (&source_dir, source::registry()),
            "sink" => (&sink_dir, sink::registry()),
            other => {
                return Err(SimError::Unknown {
                    what: "charm",
                    name: other.into(),
                })
            }
        };
        let charm =
            Charm::load_with(dir, registry).map_err(|e| SimError::Invalid(e.to_string()))?;
        Ok((CharmRunner::InProcess(charm), dir.clone()))
    };
    let scenario = Scenario::parse(
        "name: echo\n\
         steps:\n\
         \x20 - deploy: {app: source, units: 1}\n\
         \x20 - deploy: {app: sink, units: 1, config: {fail: true}}\n\
         \x20 - relate: [source:out, sink:in]\n\
         \x20 - config: {app: source, values: {value: hello}}\n\
         \x20 - config: {app: source, values: {value: world}}\n",
        "echo.yaml",
    )
    .unwrap();
    let mut model = Deployment::new(&scratch.0.join("model")).unwrap();

    // The scenario stops at the step whose hook fails.
    let reports = model.run_scenario(&scenario, &catalog, &mut |_| {});
    assert_eq!(reports.len(), 4, "it stops at step 4");
    for report in &reports[..3] {
        assert_eq!(report.error, None, "{}", report.to_text());
    }
    let (before, failed) = (&reports[2], &reports[3]);
    assert_eq!(
        bag(before, "source/0").get("value"),
        None,
        "an empty value publishes nothing"
    );

    // The hook that failed, as the step report shows it.
    let last = failed.hooks.last().unwrap();
    assert_eq!(
        (
            last.unit.as_str(),
            last.hook.as_str(),
            last.remote_unit.as_deref()
        ),
        ("sink/0", "in-relation-changed", Some("source/0"))
    );
    assert!(
        last.invoked.iter().any(|id| id.ends_with(":echo")),
        "{last:?}"
    );
    let error = last.result.clone().unwrap_err();
    assert!(
        error.contains("asked to fail while echoing `hello`"),
        "{error}"
    );
    let expected = SimError::HookFailed {
        unit: "sink/0".into(),
        hook: "in-relation-changed".into(),
        error: error.clone(),
    };
    assert_eq!(failed.error, Some(expected.to_string()));
    assert!(failed.to_text().contains(&format!("FAILED: {error}")));
    assert_eq!(failed.to_json()["error"], json!(expected.to_string()));
    // What came before it in the step took effect: source published.
    assert_eq!(
        (failed.hooks[0].unit.as_str(), failed.hooks[0].hook.as_str()),
        ("source/0", "config-changed")
    );
    assert!(failed.hooks[0].result.is_ok());
    assert_eq!(
        bag(failed, "source/0").get("value").map(String::as_str),
        Some("hello")
    );
    // The failed hook published nothing and left its unit as it was.
    let (sink_before, sink_after) = (unit(before, "sink/0"), unit(failed, "sink/0"));
    assert_eq!(sink_after, sink_before, "sink/0 is as before the hook");
    assert!(!bag(failed, "sink/0").contains_key("echo"));
    assert!(!model
        .unit_flags("sink/0")
        .contains(&"sink.echoed".to_string()));
    // It waits at the head of the queue; nothing it would have caused is
    // queued.
    let queued: Vec<(String, String)> = model
        .queued()
        .map(|q| (q.unit.clone(), q.hook.name.clone()))
        .collect();
    assert_eq!(
        queued,
        [("sink/0".to_string(), "in-relation-changed".to_string())]
    );

    // Retried while the cause is still there, it fails again, the same way.
    match model.retry() {
        Err(SimError::HookFailed { unit, hook, error }) => {
            assert_eq!(
                (unit.as_str(), hook.as_str()),
                ("sink/0", "in-relation-changed")
            );
            assert!(
                error.contains("asked to fail while echoing `hello`"),
                "{error}"
            );
        }
        other => panic!("expected the hook to fail again: {other:?}"),
    }
    let runs = model.take_runs();
    assert_eq!(runs.len(), 1);
    assert!(runs[0].result.is_err());
    assert_eq!(
        model.snapshot_units().iter().find(|u| u.unit == "sink/0"),
        Some(sink_before)
    );

    // Fix the cause in the model (the unit's hooks are stuck, so no
    // config-changed can run first: the retried hook reads the new value),
    // then retry.
    model
        .model()
        .apps
        .get_mut("sink")
        .unwrap()
        .config
        .insert("fail".into(), json!(false));
    model.retry().unwrap();
    let runs = model.take_runs();
    let ran: Vec<(&str, &str, bool)> = runs
        .iter()
        .map(|r| (r.unit.as_str(), r.hook.as_str(), r.result.is_ok()))
        .collect();
    assert_eq!(
        ran,
        [
            ("sink/0", "in-relation-changed", true),
            ("source/0", "out-relation-changed", true),
        ],
        "the retried hook, then the -changed hook its data causes"
    );
    assert_eq!(model.queued().count(), 0);
    let units = model.snapshot_units();
    let sink_now = units.iter().find(|u| u.unit == "sink/0").unwrap();
    let published = sink_now.published.values().next().unwrap();
    assert_eq!(published.get("echo").map(String::as_str), Some("hello"));
    assert_eq!(
        published.get("echoes").map(String::as_str),
        Some("1"),
        "the two failed attempts left no trace in the unit state"
    );
    assert!(sink_now.flags.contains(&"sink.echoed".to_string()));

    // And the scenario goes on.
    let report = model.run_step(&scenario.steps[4], &catalog, &scenario.files);
    assert_eq!(report.error, None, "{}", report.to_text());
    let published = bag(&report, "sink/0");
    assert_eq!(published.get("echo").map(String::as_str), Some("world"));
    assert_eq!(published.get("echoes").map(String::as_str), Some("2"));
}

#[test]
fn bad_scenario_files_are_refused_naming_the_file_and_the_place() {
    let scratch = Scratch::new("bad-scenarios");
    let cases = [
        (
            "unknown-step.yaml",
            "name: x\nsteps:\n  - deploy: {app: a}\n  - upgrade: {app: a}\n",
            "steps[1]: unknown step `upgrade`; expected deploy, relate, config, add-unit, remove-unit, remove-relation, add-storage, detach-storage, rotate-secret, expire-secret or run-action",
        ),
        (
            "values-not-a-mapping.yaml",
            "steps:\n  - config: {app: a, values: [port, 9200]}\n",
            "steps[0].config.values: must be a mapping",
        ),
        ("not-yaml.yaml", "steps:\n  - deploy: {app: a\n", "not valid YAML"),
        ("no-steps.yaml", "name: empty\n", "steps: missing, or not a list"),
    ];
    for (file, text, expected) in cases {
        let path = scratch.0.join(file);
        std::fs::write(&path, text).unwrap();
        match Scenario::load(&path) {
            Err(SimError::Invalid(message)) => {
                assert!(
                    message.starts_with(&format!("{}: ", path.display())),
                    "{file}: {message}"
                );
                assert!(message.contains(expected), "{file}: {message}");
            }
            other => panic!("{file}: {other:?}"),
        }
    }
    let missing = scratch.0.join("missing.yaml");
    match Scenario::load(&missing) {
        Err(SimError::Io(message)) => {
            assert!(
                message.starts_with(&format!("cannot read {}: ", missing.display())),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }

    // A scenario that reads well but names what is not there fails at that
    // step, and the report says why.
    let catalog = |name: &str| -> Result<(CharmRunner, PathBuf), SimError> {
        Err(SimError::Unknown {
            what: "charm",
            name: name.into(),
        })
    };
    for (text, error) in [
        (
            "steps:\n  - deploy: {app: db, charm: postgresql}\n",
            "unknown charm `postgresql`",
        ),
        (
            "steps:\n  - relate: [a:x, b:y]\n",
            "unknown application `a`",
        ),
        ("steps:\n  - remove-unit: a/0\n", "unknown unit `a/0`"),
        (
            "steps:\n  - remove-relation: [a:x, b:y]\n",
            "unknown relation `a:x b:y`",
        ),
    ] {
        let scenario = Scenario::parse(text, "s.yaml").unwrap();
        let mut model = Deployment::new(&scratch.0.join("model")).unwrap();
        let reports = model.run_scenario(&scenario, &catalog, &mut |_| {});
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].error.as_deref(), Some(error), "{text}");
    }
}

#[test]
fn a_malformed_metadata_yaml_is_named_in_the_error() {
    let scratch = Scratch::new("bad-metadata");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sim-demo-charm");
    for (name, metadata, says) in [
        (
            "not-yaml",
            "name: broken\nrequires:\n  db: [interface, pgsql\n",
            "is not valid YAML",
        ),
        (
            "bad-shape",
            "name: broken\nrequires:\n  db: 5\n",
            "`requires.db`: must be a mapping with an `interface` key",
        ),
        ("no-name", "summary: nameless\n", "`name`: is missing"),
    ] {
        let dir = scratch.charm(name, &[("metadata.yaml", metadata)]);
        let file = dir.join("metadata.yaml");

        // In process.
        let error = Charm::load(&dir).unwrap_err().to_string();
        assert!(
            error.starts_with(&format!("{}: ", file.display())),
            "{name}: {error}"
        );
        assert!(error.contains(says), "{name}: {error}");

        // As a process charm.
        match ProcessCharm::load(DEMO_CHARM, &dir, TOOL) {
            Err(SimError::Invalid(message)) => {
                assert_eq!(message, format!("cannot load the charm: {error}"), "{name}")
            }
            other => panic!("{name}: {other:?}"),
        }

        // A charm binary that finds it in its charm directory fails its
        // first hook, saying which file and why.
        let mut model = Deployment::new(&scratch.0.join(format!("model-{name}"))).unwrap();
        let charm = ProcessCharm::load(DEMO_CHARM, &fixtures, TOOL).unwrap();
        let deployed = model.deploy(AppSpec {
            name: "demo".into(),
            runner: CharmRunner::Process(charm),
            charm_dir: dir.clone(),
            units: 1,
            config: Default::default(),
        });
        let unit_file = model.unit_dir("demo/0").unwrap().join("metadata.yaml");
        match deployed {
            Err(SimError::HookFailed { unit, hook, error }) => {
                assert_eq!((unit.as_str(), hook.as_str()), ("demo/0", "install"));
                let unit_file = std::path::absolute(&unit_file).unwrap();
                assert!(
                    error.contains(&format!("cannot load the charm: {}: ", unit_file.display())),
                    "{name}: {error}"
                );
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn a_model_that_never_settles_hits_the_cap() {
    let scratch = Scratch::new("never-settles");
    let dir = scratch.charm("pingpong", &[("metadata.yaml", pingpong::METADATA)]);
    let catalog = |_: &str| -> Result<(CharmRunner, PathBuf), SimError> {
        let charm = Charm::load_with(&dir, pingpong::registry())
            .map_err(|e| SimError::Invalid(e.to_string()))?;
        Ok((CharmRunner::InProcess(charm), dir.clone()))
    };
    let scenario = Scenario::parse(
        "steps:\n\
         \x20 - deploy: {app: left, charm: pingpong}\n\
         \x20 - deploy: {app: right, charm: pingpong}\n\
         \x20 - relate: [left:ping, right:pong]\n",
        "pingpong.yaml",
    )
    .unwrap();
    let mut model = Deployment::new(&scratch.0.join("model")).unwrap();
    model.set_max_hooks(40);
    let reports = model.run_scenario(&scenario, &catalog, &mut |_| {});
    assert_eq!(reports.len(), 3);
    let relate = &reports[2];
    assert_eq!(relate.hooks.len(), 40, "the cap");
    assert!(relate.hooks.iter().all(|h| h.result.is_ok()));
    let error = relate.error.as_deref().unwrap();
    assert!(
        error.starts_with("the model did not settle after 40 hooks; still queued: "),
        "{error}"
    );
    assert!(
        error.contains("-relation-changed on left/0")
            || error.contains("-relation-changed on right/0"),
        "{error}"
    );
    // Running on does not help: the cap holds for every run.
    match model.retry() {
        Err(SimError::NeverSettles { hooks_run, pending }) => {
            assert_eq!(hooks_run, 40);
            assert!(!pending.is_empty());
            assert!(
                pending
                    .iter()
                    .all(|p| p.ends_with(" on left/0") || p.ends_with(" on right/0")),
                "{pending:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(model.take_runs().len(), 40);
}

#[test]
fn a_failed_hook_blocks_only_its_unit_until_resolved() {
    let scratch = Scratch::new("blocks-its-unit");
    let source_dir = scratch.charm(
        "source",
        &[
            ("metadata.yaml", source::METADATA),
            ("config.yaml", source::CONFIG),
        ],
    );
    let sink_dir = scratch.charm(
        "sink",
        &[
            ("metadata.yaml", sink::METADATA),
            ("config.yaml", sink::CONFIG),
        ],
    );
    let deploy = |model: &mut Deployment, app: &str, units: usize, config: serde_json::Value| {
        let (dir, registry) = if app == "source" {
            (&source_dir, source::registry())
        } else {
            (&sink_dir, sink::registry())
        };
        let charm = Charm::load_with(dir, registry).unwrap();
        model.deploy(AppSpec {
            name: app.into(),
            runner: CharmRunner::InProcess(charm),
            charm_dir: dir.clone(),
            units,
            config: config.as_object().cloned().unwrap_or_default(),
        })
    };
    let mut model = Deployment::new(&scratch.0.join("model")).unwrap();
    deploy(&mut model, "source", 1, json!({})).unwrap();
    // Two applications of the sink charm; sink/0 fails when it echoes.
    deploy(&mut model, "sink", 2, json!({"fail-unit": "sink/0"})).unwrap();
    deploy(&mut model, "mirror", 1, json!({})).unwrap();
    model.relate("source:out", "sink:in").unwrap();
    model.relate("source:out", "mirror:in").unwrap();
    model.take_runs();
    let echo = |model: &Deployment, unit: &str| -> Option<(String, String)> {
        let m = model.model();
        let bag = m
            .relations
            .values()
            .find_map(|r| r.unit_data.get(unit))
            .cloned()
            .unwrap_or_default();
        Some((bag.get("echo")?.clone(), bag.get("echoes")?.clone()))
    };
    let pair = |a: &str, b: &str| Some((a.to_string(), b.to_string()));
    let sink0_failed = |error: &SimError| match error {
        SimError::HookFailed { unit, hook, error } => {
            assert_eq!(
                (unit.as_str(), hook.as_str()),
                ("sink/0", "in-relation-changed")
            );
            assert!(error.contains("sink/0 asked to fail"), "{error}");
        }
        other => panic!("expected sink/0 to fail: {other:?}"),
    };

    // sink/0 fails; its peer and the other application go on.
    let error = model
        .config(
            "source",
            json!({"value": "hello"}).as_object().cloned().unwrap(),
        )
        .unwrap_err();
    sink0_failed(&error);
    let runs = model.take_runs();
    let ran: Vec<(&str, &str, bool)> = runs
        .iter()
        .map(|r| (r.unit.as_str(), r.hook.as_str(), r.result.is_ok()))
        .collect();
    let failed_at = ran
        .iter()
        .position(|r| *r == ("sink/0", "in-relation-changed", false))
        .unwrap_or_else(|| panic!("{ran:?}"));
    for after in [
        ("sink/1", "in-relation-changed", true),
        ("mirror/0", "in-relation-changed", true),
        ("source/0", "out-relation-changed", true),
    ] {
        let at = ran.iter().rposition(|r| *r == after);
        assert!(
            at.is_some_and(|at| at > failed_at),
            "{after:?} after the failure: {ran:?}"
        );
    }
    assert_eq!(echo(&model, "sink/0"), None);
    assert_eq!(echo(&model, "sink/1"), pair("hello", "1"));
    assert_eq!(echo(&model, "mirror/0"), pair("hello", "1"));
    let failed = model.failed_units();
    assert_eq!(failed.len(), 1);
    assert_eq!(
        (failed[0].0.as_str(), failed[0].1.as_str()),
        ("sink/0", "in-relation-changed")
    );

    // The next step: the others go on; sink/0 stays in error, its hooks
    // waiting (the new change is the same hook, queued once).
    let error = model
        .config(
            "source",
            json!({"value": "world"}).as_object().cloned().unwrap(),
        )
        .unwrap_err();
    sink0_failed(&error);
    let runs = model.take_runs();
    assert!(
        runs.iter().all(|r| r.unit != "sink/0"),
        "sink/0 ran no hook"
    );
    assert_eq!(echo(&model, "sink/1"), pair("world", "2"));
    assert_eq!(echo(&model, "mirror/0"), pair("world", "2"));
    let queued: Vec<(String, String)> = model
        .queued()
        .map(|q| (q.unit.clone(), q.hook.name.clone()))
        .collect();
    assert_eq!(
        queued,
        [("sink/0".to_string(), "in-relation-changed".to_string())]
    );

    // Resolving a unit that is not in error is refused.
    match model.resolved("sink/1") {
        Err(SimError::Invalid(message)) => assert!(message.contains("sink/1"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert!(model.take_runs().is_empty());

    // Fix the cause, then `juju resolved sink/0`: the failed hook runs
    // again, reading the data as it is now, and what it causes follows.
    model
        .model()
        .apps
        .get_mut("sink")
        .unwrap()
        .config
        .insert("fail-unit".into(), json!(""));
    model.resolved("sink/0").unwrap();
    let runs = model.take_runs();
    let ran: Vec<(&str, &str, bool)> = runs
        .iter()
        .map(|r| (r.unit.as_str(), r.hook.as_str(), r.result.is_ok()))
        .collect();
    assert_eq!(
        ran,
        [
            ("sink/0", "in-relation-changed", true),
            ("source/0", "out-relation-changed", true),
        ]
    );
    assert_eq!(echo(&model, "sink/0"), pair("world", "1"));
    assert!(model.failed_units().is_empty());
    assert_eq!(model.queued().count(), 0);
}

#[test]
fn a_relation_hook_juju_could_not_run_is_refused_when_queued() {
    let scratch = Scratch::new("queue-relation-hook");
    let mut model = Deployment::new(&scratch.0.join("model")).unwrap();
    for (app, metadata, config, registry) in [
        (
            "source",
            source::METADATA,
            source::CONFIG,
            source::registry(),
        ),
        ("sink", sink::METADATA, sink::CONFIG, sink::registry()),
    ] {
        let dir = scratch.charm(app, &[("metadata.yaml", metadata), ("config.yaml", config)]);
        let charm = Charm::load_with(&dir, registry).unwrap();
        model
            .deploy(AppSpec {
                name: app.into(),
                runner: CharmRunner::InProcess(charm),
                charm_dir: dir,
                units: 1,
                config: Default::default(),
            })
            .unwrap();
    }
    let id = model.relate("source:out", "sink:in").unwrap();
    assert_eq!(id.as_str(), format!("out:{}", id.number()));
    model.take_runs();
    let hook = |name: &str, rid: &str, remote: &str| {
        let mut h = reactive_core::hook::HookInfo::named(name);
        h.relation = name.split("-relation-").next().map(str::to_string);
        h.relation_id = Some(rid.to_string());
        h.remote_unit = Some(remote.to_string());
        h
    };
    let n = id.number();
    for (name, rid, remote, expected) in [
        // The id as the other side sees it.
        (
            "in-relation-changed",
            format!("out:{n}"),
            "source/0",
            "sink/0 sees that relation as `in:",
        ),
        // Not a relation id at all.
        (
            "in-relation-changed",
            "in:x".to_string(),
            "source/0",
            "is not a relation id",
        ),
        // No such relation.
        (
            "in-relation-changed",
            format!("in:{}", n + 7),
            "source/0",
            "no relation",
        ),
        // A hook of another endpoint.
        (
            "out-relation-changed",
            format!("in:{n}"),
            "source/0",
            "not one of endpoint `in`",
        ),
        // A remote unit that is not on the relation.
        (
            "in-relation-changed",
            format!("in:{n}"),
            "source/5",
            "source/5 is not on it",
        ),
    ] {
        match model.queue_hook("sink/0", hook(name, &rid, remote)) {
            Err(SimError::Invalid(message)) => {
                assert!(message.contains(expected), "{rid}: {message}");
                assert!(message.contains(&rid), "names the id: {message}");
            }
            other => panic!("{name} {rid} {remote}: {other:?}"),
        }
    }
    assert_eq!(model.queued().count(), 0, "nothing was queued");
    // The hook as Juju would run it is queued and runs.
    model
        .queue_hook(
            "sink/0",
            hook("in-relation-changed", &format!("in:{n}"), "source/0"),
        )
        .unwrap();
    model.run_until_quiet().unwrap();
    let runs = model.take_runs();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].hook, "in-relation-changed");
}
