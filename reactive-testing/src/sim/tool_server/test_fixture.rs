//! What the tool server's tests share: a small model (`app/0` leader,
//! `app/1`, `pg/0`, relation `db:0`) and a fixture answering requests as
//! the server does for a running hook of one unit.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{json, Map, Value};

use super::protocol::{ToolRequest, ToolResponse};
use super::server::{answer, lock, Shared};
use crate::sim::model::ModelState;
use crate::sim::unit_tools::{SharedUnitTools, UnitTools};
use reactive_core::hook::HookInfo;

/// A model with `app/0` (leader) and `app/1`, `pg/0`, and relation 0
/// between `app:db` and `pg:db` where `app/0` sees `pg/0`.
pub(super) fn model() -> Arc<Mutex<ModelState>> {
    let mut m = ModelState::default();
    m.add_app(
        "app",
        BTreeMap::from([("db".to_string(), "pgsql".to_string())]),
        json!({"port": 80, "name": "x", "unset": null})
            .as_object()
            .cloned()
            .unwrap_or_default(),
    );
    m.add_app("pg", BTreeMap::new(), Map::new());
    for unit in ["app/0", "app/1", "pg/0"] {
        m.add_unit(unit, None);
    }
    m.apps.get_mut("app").unwrap().leader = Some("app/0".into());
    let id = m.add_relation(&[("app", "db"), ("pg", "db")]);
    for unit in ["app/0", "app/1", "pg/0"] {
        m.enter_relation(id, unit);
    }
    let r = m.relations.get_mut(&id).unwrap();
    r.members.get_mut("app/0").unwrap().insert("pg/0".into());
    r.unit_data
        .get_mut("pg/0")
        .unwrap()
        .insert("host".into(), "db.example".into());
    r.app_data
        .get_mut("pg")
        .unwrap()
        .insert("version".into(), "16".into());
    Arc::new(Mutex::new(m))
}

pub(super) struct Fixture {
    pub(super) shared: Shared,
    pub(super) tools: SharedUnitTools,
}

pub(super) fn fixture_with(unit: &str, hook: Option<HookInfo>) -> Fixture {
    let shared = Shared::default();
    let tools: SharedUnitTools = Arc::new(Mutex::new(UnitTools::new(model(), unit)));
    *lock(&shared.slot) = Some((unit.to_string(), tools.clone()));
    *lock(&shared.hook) = hook;
    Fixture { shared, tools }
}

pub(super) fn fixture() -> Fixture {
    fixture_with("app/0", None)
}

impl Fixture {
    pub(super) fn call_as(
        &self,
        unit: &str,
        tool: &str,
        args: &[&str],
        stdin: &str,
    ) -> ToolResponse {
        answer(
            &self.shared,
            &ToolRequest {
                unit: unit.into(),
                tool: tool.into(),
                args: args.iter().map(|a| a.to_string()).collect(),
                stdin: stdin.into(),
            },
        )
    }

    pub(super) fn call(&self, tool: &str, args: &[&str]) -> ToolResponse {
        self.call_as("app/0", tool, args, "")
    }

    pub(super) fn ok(&self, tool: &str, args: &[&str]) -> String {
        let r = self.call(tool, args);
        assert_eq!(r.code, 0, "{tool} {args:?}: {r:?}");
        assert_eq!(r.stderr, "", "{tool} {args:?}");
        r.stdout
    }

    pub(super) fn json(&self, tool: &str, args: &[&str]) -> Value {
        let out = self.ok(tool, args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{tool} {args:?}: {out:?}: {e}"))
    }

    pub(super) fn usage(&self, tool: &str, args: &[&str]) -> String {
        let r = self.call(tool, args);
        assert_eq!(r.code, 2, "{tool} {args:?}: {r:?}");
        assert!(r.stderr.starts_with("ERROR "), "{r:?}");
        r.stderr
    }

    pub(super) fn error(&self, tool: &str, args: &[&str]) -> String {
        let r = self.call(tool, args);
        assert_eq!(r.code, 1, "{tool} {args:?}: {r:?}");
        assert!(r.stderr.starts_with("ERROR "), "{r:?}");
        r.stderr
    }

    /// End the hook successfully; the model as the tools leave it.
    pub(super) fn finish(&self) -> Vec<crate::sim::ChangedBag> {
        lock(&self.tools).finish(true)
    }

    pub(super) fn calls(&self) -> Vec<(String, Vec<String>)> {
        lock(&self.tools)
            .calls()
            .iter()
            .map(|c| (c.tool.clone(), c.args.clone()))
            .collect()
    }
}
