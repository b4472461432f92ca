//! A hook whose unit state was committed but whose `relation-set` calls
//! Juju discarded (the process was killed after the commit, before its exit
//! 0 was seen): the next hook publishes that data again, and a hook that
//! follows a hook that published nothing checks nothing.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use reactive_core::prelude::*;
use reactive_core::runtime::republish::PUBLISHED_KEY;
use reactive_core::runtime::{run_hook, Charm, HookInput};
use reactive_core::tools::{DataBag, HookTools};
use reactive_core::unit_state::UnitState;
use reactive_core::HookInfo;
use reactive_testing::sim::{ModelState, SharedModel, UnitTools};
use serde_json::Map;

type HandlerResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

const METADATA: &str = "name: publisher\nprovides:\n  out:\n    interface: echo\n";

/// Publishes once (until `publisher.sent` is set): a value, the removal of
/// a stale key, and, as the leader, an application value.
mod publisher {
    use super::*;

    pub fn registry() -> reactive_core::registry::RegistryBuilder {
        Registry::builder().module_prefix(module_path!())
    }

    #[when_not("publisher.sent")]
    fn publish(ctx: &mut Context) -> HandlerResult {
        let mut unit_bag = DataBag::new();
        unit_bag.insert("value".into(), "v1".into());
        unit_bag.insert("stale".into(), String::new());
        let mut app_bag = DataBag::new();
        app_bag.insert("leader-value".into(), "L".into());
        for rid in ctx.tools().with(|t| t.relation_ids("out"))? {
            ctx.tools()
                .with(|t| t.relation_set(&rid, false, &unit_bag))?;
            ctx.tools().with(|t| t.relation_set(&rid, true, &app_bag))?;
        }
        ctx.set_flag("publisher.sent");
        Ok(())
    }
}

struct Rig {
    dir: PathBuf,
    model: SharedModel,
    charm: Charm,
    state: Option<UnitState>,
}

impl Rig {
    fn new() -> Rig {
        let dir = std::env::temp_dir().join(format!("reactive-republish-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("metadata.yaml"), METADATA).unwrap();
        let charm = Charm::load_with(&dir, publisher::registry()).unwrap();
        let mut model = ModelState::default();
        let endpoints = [("out".to_string(), "echo".to_string())].into();
        model.add_app("publisher", endpoints, Map::new());
        model.add_app("other", [("in".into(), "echo".into())].into(), Map::new());
        model.add_unit("publisher/0", None);
        model.add_unit("other/0", None);
        model.apps.get_mut("publisher").unwrap().leader = Some("publisher/0".into());
        let id = model.add_relation(&[("publisher", "out"), ("other", "in")]);
        model.enter_relation(id, "publisher/0");
        model.enter_relation(id, "other/0");
        let relation = model.relations.get_mut(&id).unwrap();
        relation
            .members
            .get_mut("publisher/0")
            .unwrap()
            .insert("other/0".into());
        relation
            .members
            .get_mut("other/0")
            .unwrap()
            .insert("publisher/0".into());
        relation
            .unit_data
            .get_mut("publisher/0")
            .unwrap()
            .insert("stale".into(), "old".into());
        Rig {
            dir,
            model: Arc::new(Mutex::new(model)),
            charm,
            state: Some(UnitState::in_memory()),
        }
    }

    /// Run `hook`; Juju keeps its relation data only if `juju_saw_success`.
    /// Returns the hook-tool calls (tool and arguments).
    fn run(&mut self, hook: &str, juju_saw_success: bool) -> Vec<(String, Vec<String>)> {
        let tools = Arc::new(Mutex::new(UnitTools::new(
            self.model.clone(),
            "publisher/0",
        )));
        let mut info = HookInfo::named(hook);
        info.unit_name = Some("publisher/0".into());
        let outcome = run_hook(
            &self.charm,
            HookInput {
                hook: info,
                state: self.state.take().unwrap(),
                tools: Box::new(tools.clone()),
                tracing: false,
                previous_config: Default::default(),
                process_ends: false,
            },
        );
        assert!(outcome.result.is_ok(), "{hook}: {:?}", outcome.result.err());
        self.state = Some(outcome.state);
        let mut tools = tools.lock().unwrap();
        tools.finish(juju_saw_success);
        tools
            .calls()
            .iter()
            .map(|c| (c.tool.clone(), c.args.clone()))
            .collect()
    }

    fn unit_bag(&self) -> DataBag {
        self.model.lock().unwrap().relations[&0].unit_data["publisher/0"].clone()
    }

    fn app_bag(&self) -> DataBag {
        self.model.lock().unwrap().relations[&0].app_data["publisher"].clone()
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn count(calls: &[(String, Vec<String>)], tool: &str, arg: &str) -> usize {
    calls
        .iter()
        .filter(|(t, args)| t == tool && args.iter().any(|a| a == arg))
        .count()
}

#[test]
fn data_juju_discarded_after_the_commit_is_published_again_by_the_next_hook() {
    let mut rig = Rig::new();

    // The hook commits its state, then dies: Juju discards its data.
    rig.run("install", false);
    assert_eq!(rig.unit_bag().get("value"), None);
    assert_eq!(rig.unit_bag().get("stale").map(String::as_str), Some("old"));
    assert!(rig
        .state
        .as_mut()
        .unwrap()
        .get(PUBLISHED_KEY)
        .unwrap()
        .is_some());

    // Juju runs it again: the handler does not run (its flag is set), yet
    // the data goes out, the removal included.
    let calls = rig.run("install", true);
    assert_eq!(rig.unit_bag().get("value").map(String::as_str), Some("v1"));
    assert_eq!(rig.unit_bag().get("stale"), None);
    assert_eq!(
        rig.app_bag().get("leader-value").map(String::as_str),
        Some("L")
    );
    assert_eq!(count(&calls, "relation-set", "--app"), 1, "{calls:?}");
    assert_eq!(
        calls.iter().filter(|(t, _)| t == "relation-set").count(),
        2,
        "{calls:?}"
    );
    let logs = rig.model.lock().unwrap().units["publisher/0"].logs.clone();
    assert!(
        logs.iter().any(|(level, line)| *level == LogLevel::Warning
            && line.contains("publishing again on out:0 (unit data)")
            && line.contains("stale, value")),
        "{logs:?}"
    );

    // The next hook reads both bags back (one relation-get each), finds
    // them as recorded, sends nothing, and drops the record.
    let calls = rig.run("update-status", true);
    assert_eq!(count(&calls, "relation-get", "publisher/0"), 1, "{calls:?}");
    assert_eq!(count(&calls, "relation-get", "publisher"), 1, "{calls:?}");
    assert_eq!(calls.iter().filter(|(t, _)| t == "relation-set").count(), 0);
    assert_eq!(
        rig.state.as_mut().unwrap().get(PUBLISHED_KEY).unwrap(),
        None
    );

    // After a hook that published nothing, nothing is checked.
    let calls = rig.run("update-status", true);
    assert_eq!(count(&calls, "relation-get", "publisher/0"), 0, "{calls:?}");
    assert_eq!(count(&calls, "relation-get", "publisher"), 0, "{calls:?}");
}
