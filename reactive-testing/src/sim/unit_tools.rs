//! One unit's hook tools, answered from a simulated model.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{json, Value};

use super::model::{ModelState, Status};
use reactive_core::log::LogLevel;
use reactive_core::names::{app_of, unit_order};
use reactive_core::tools::{DataBag, HookTools, Protocol, ToolError, WorkloadState};

/// A model shared by the units that run hooks against it.
pub type SharedModel = Arc<Mutex<ModelState>>;

/// One hook-tool call, as the harness records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCall {
    /// The tool, e.g. `relation-get`.
    pub tool: String,
    /// Its arguments, as the production backend would pass them (values of
    /// `k=v` arguments redacted).
    pub args: Vec<String>,
}

/// A relation data bag a hook changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangedBag {
    /// A unit's bag on a relation.
    Unit {
        /// The relation's number.
        relation: u32,
        /// The unit.
        unit: String,
    },
    /// An application's bag on a relation.
    App {
        /// The relation's number.
        relation: u32,
        /// The application.
        app: String,
    },
}

/// The state of a running action.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActionState {
    /// Its parameters (`action-get`).
    pub params: Value,
    /// What it set (`action-set`).
    pub results: DataBag,
    /// Its failure message (`action-fail`).
    pub failed: Option<String>,
    /// Its progress messages (`action-log`), in order.
    pub logs: Vec<String>,
}

impl ActionState {
    /// The results as Juju reports them: dotted keys nested
    /// (`a.b=1` → `{"a": {"b": "1"}}`).
    pub fn nested_results(&self) -> Value {
        reactive_core::actions::nest_results(
            self.results.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        )
    }
}

/// The hook tools of one unit during one hook, over a shared model.
///
/// Relation and leader data written during the hook is held back, as Juju
/// does, and reaches the model only when [`UnitTools::finish`] is told the
/// hook succeeded. Statuses and logs take effect at once.
#[derive(Debug)]
pub struct UnitTools {
    model: SharedModel,
    unit: String,
    app: String,
    calls: Vec<ToolCall>,
    pending_relation: BTreeMap<(String, bool), DataBag>,
    pending_leader: DataBag,
    action: Option<ActionState>,
}

fn failed(tool: &str, args: &[String], stderr: &str) -> ToolError {
    ToolError::Failed {
        tool: tool.to_string(),
        args: reactive_core::tools::error::redact_args(args),
        status: Some(1),
        stderr: stderr.to_string(),
    }
}

fn relation_not_found(tool: &str, args: &[String], relation_id: &str) -> ToolError {
    ToolError::RelationNotFound {
        tool: tool.to_string(),
        args: args.to_vec(),
        stderr: format!("ERROR invalid value \"{relation_id}\" for option -r: relation not found"),
    }
}

impl UnitTools {
    /// The tools of `unit` over `model`.
    pub fn new(model: SharedModel, unit: &str) -> Self {
        UnitTools {
            model,
            app: app_of(unit).to_string(),
            unit: unit.to_string(),
            calls: Vec::new(),
            pending_relation: BTreeMap::new(),
            pending_leader: DataBag::new(),
            action: None,
        }
    }

    /// Run as an action with these parameters.
    pub fn with_action(mut self, params: Value) -> Self {
        self.action = Some(ActionState {
            params,
            ..ActionState::default()
        });
        self
    }

    /// The calls made so far.
    pub fn calls(&self) -> &[ToolCall] {
        &self.calls
    }

    /// The action's state, when running an action.
    pub fn action(&self) -> Option<&ActionState> {
        self.action.as_ref()
    }

    fn record(&mut self, tool: &str, args: &[String]) {
        self.calls.push(ToolCall {
            tool: tool.to_string(),
            args: reactive_core::tools::error::redact_args(args),
        });
    }

    fn model(&self) -> MutexGuard<'_, ModelState> {
        self.model.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn is_leader_now(&self) -> bool {
        self.model()
            .apps
            .get(&self.app)
            .and_then(|a| a.leader.as_deref())
            == Some(self.unit.as_str())
    }

    /// End the hook: on success, write the held-back relation and leader
    /// data into the model and return the bags whose content changed; on
    /// failure, drop it.
    pub fn finish(&mut self, success: bool) -> Vec<ChangedBag> {
        let pending_relation = std::mem::take(&mut self.pending_relation);
        let pending_leader = std::mem::take(&mut self.pending_leader);
        if !success {
            return Vec::new();
        }
        let mut changed = Vec::new();
        let mut model = self.model();
        for ((relation_id, app), data) in pending_relation {
            let Some(relation) = model.relation_by_id_mut(&relation_id) else {
                continue;
            };
            let (bag, which) = if app {
                (
                    relation.app_data.entry(self.app.clone()).or_default(),
                    ChangedBag::App {
                        relation: relation.id,
                        app: self.app.clone(),
                    },
                )
            } else {
                (
                    relation.unit_data.entry(self.unit.clone()).or_default(),
                    ChangedBag::Unit {
                        relation: relation.id,
                        unit: self.unit.clone(),
                    },
                )
            };
            let before = bag.clone();
            apply(bag, &data);
            if *bag != before {
                changed.push(which);
            }
        }
        if let Some(app) = model.apps.get_mut(&self.app) {
            apply(&mut app.leader_settings, &pending_leader);
        }
        changed
    }
}

/// Apply writes to a bag: an empty value deletes the key.
fn apply(bag: &mut DataBag, data: &DataBag) {
    for (key, value) in data {
        if value.is_empty() {
            bag.remove(key);
        } else {
            bag.insert(key.clone(), value.clone());
        }
    }
}

fn s(v: &str) -> String {
    v.to_string()
}

impl HookTools for UnitTools {
    fn relation_ids(&mut self, endpoint: &str) -> Result<Vec<String>, ToolError> {
        self.record("relation-ids", &[s("--format=json"), s(endpoint)]);
        let model = self.model();
        Ok(model
            .relations
            .values()
            .filter(|r| {
                r.endpoints.get(&self.app).map(String::as_str) == Some(endpoint)
                    && r.members.contains_key(&self.unit)
            })
            .map(|r| format!("{endpoint}:{}", r.id))
            .collect())
    }

    fn relation_list(&mut self, relation_id: &str) -> Result<Vec<String>, ToolError> {
        let args = [s("--format=json"), s("-r"), s(relation_id)];
        self.record("relation-list", &args);
        let model = self.model();
        let members = model
            .relation_by_id(relation_id)
            .and_then(|r| r.members.get(&self.unit))
            .ok_or_else(|| relation_not_found("relation-list", &args, relation_id))?;
        let mut units: Vec<String> = members.iter().cloned().collect();
        units.sort_by(|a, b| unit_order(a, b));
        Ok(units)
    }

    fn relation_get(&mut self, relation_id: &str, unit: &str) -> Result<DataBag, ToolError> {
        let args = [s("--format=json"), s("-r"), s(relation_id), s("-"), s(unit)];
        self.record("relation-get", &args);
        let mut bag = {
            let model = self.model();
            let relation = model
                .relation_by_id(relation_id)
                .ok_or_else(|| relation_not_found("relation-get", &args, relation_id))?;
            relation.unit_data.get(unit).cloned().unwrap_or_default()
        };
        if unit == self.unit {
            if let Some(pending) = self.pending_relation.get(&(relation_id.to_string(), false)) {
                apply(&mut bag, pending);
            }
        }
        Ok(bag)
    }

    fn relation_get_app(&mut self, relation_id: &str, app: &str) -> Result<DataBag, ToolError> {
        let args = [
            s("--format=json"),
            s("--app"),
            s("-r"),
            s(relation_id),
            s("-"),
            s(app),
        ];
        self.record("relation-get", &args);
        if app == self.app && !self.is_leader_now() {
            return Err(failed("relation-get", &args, "ERROR permission denied"));
        }
        let mut bag = {
            let model = self.model();
            let relation = model
                .relation_by_id(relation_id)
                .ok_or_else(|| relation_not_found("relation-get", &args, relation_id))?;
            relation.app_data.get(app).cloned().unwrap_or_default()
        };
        if app == self.app {
            if let Some(pending) = self.pending_relation.get(&(relation_id.to_string(), true)) {
                apply(&mut bag, pending);
            }
        }
        Ok(bag)
    }

    fn relation_set(
        &mut self,
        relation_id: &str,
        app: bool,
        data: &DataBag,
    ) -> Result<(), ToolError> {
        let mut args = vec![s("-r"), s(relation_id)];
        if app {
            args.push(s("--app"));
        }
        args.extend([s("--file"), s("-")]);
        self.record("relation-set", &args);
        if self.model().relation_by_id(relation_id).is_none() {
            return Err(relation_not_found("relation-set", &args, relation_id));
        }
        if app && !self.is_leader_now() {
            return Err(failed("relation-set", &args, "ERROR permission denied"));
        }
        let pending = self
            .pending_relation
            .entry((relation_id.to_string(), app))
            .or_default();
        for (k, v) in data {
            pending.insert(k.clone(), v.clone());
        }
        Ok(())
    }

    fn config_get(&mut self) -> Result<serde_json::Map<String, Value>, ToolError> {
        self.record("config-get", &[s("--all"), s("--format=json")]);
        Ok(self
            .model()
            .apps
            .get(&self.app)
            .map(|a| a.config.clone())
            .unwrap_or_default())
    }

    fn is_leader(&mut self) -> Result<bool, ToolError> {
        self.record("is-leader", &[s("--format=json")]);
        Ok(self.is_leader_now())
    }

    fn leader_get(&mut self) -> Result<DataBag, ToolError> {
        self.record("leader-get", &[s("--format=json")]);
        let mut bag = self
            .model()
            .apps
            .get(&self.app)
            .map(|a| a.leader_settings.clone())
            .unwrap_or_default();
        apply(&mut bag, &self.pending_leader);
        Ok(bag)
    }

    fn leader_set(&mut self, data: &DataBag) -> Result<(), ToolError> {
        let args: Vec<String> = data.iter().map(|(k, v)| format!("{k}={v}")).collect();
        self.record("leader-set", &args);
        if !self.is_leader_now() {
            return Err(failed(
                "leader-set",
                &args,
                "ERROR cannot write leadership settings: cannot write settings: not the leader",
            ));
        }
        for (k, v) in data {
            self.pending_leader.insert(k.clone(), v.clone());
        }
        Ok(())
    }

    fn juju_log(&mut self, level: LogLevel, message: &str) -> Result<(), ToolError> {
        self.record("juju-log", &[s("-l"), s(level.as_str()), s(message)]);
        let unit = self.unit.clone();
        if let Some(u) = self.model().units.get_mut(&unit) {
            u.logs.push((level, message.to_string()));
        }
        Ok(())
    }

    fn status_set(
        &mut self,
        application: bool,
        state: WorkloadState,
        message: &str,
    ) -> Result<(), ToolError> {
        let mut args = Vec::new();
        if application {
            args.push(s("--application"));
        }
        args.extend([s(state.as_str()), s(message)]);
        self.record("status-set", &args);
        let status = Status {
            state,
            message: message.to_string(),
        };
        if application {
            if !self.is_leader_now() {
                return Err(failed(
                    "status-set",
                    &args,
                    "ERROR this unit is not the leader",
                ));
            }
            let app = self.app.clone();
            if let Some(a) = self.model().apps.get_mut(&app) {
                a.status = Some(status);
            }
        } else {
            let unit = self.unit.clone();
            if let Some(u) = self.model().units.get_mut(&unit) {
                u.status = Some(status);
            }
        }
        Ok(())
    }

    fn unit_get(&mut self, key: &str) -> Result<String, ToolError> {
        let args = [s("--format=json"), s(key)];
        self.record("unit-get", &args);
        match key {
            "private-address" | "public-address" => Ok(self
                .model()
                .units
                .get(&self.unit)
                .map(|u| u.address.clone())
                .unwrap_or_default()),
            other => Err(failed(
                "unit-get",
                &args,
                &format!("ERROR unknown setting \"{other}\""),
            )),
        }
    }

    fn network_get(&mut self, binding: &str) -> Result<Value, ToolError> {
        self.record("network-get", &[s("--format=json"), s(binding)]);
        let address = self
            .model()
            .units
            .get(&self.unit)
            .map(|u| u.address.clone())
            .unwrap_or_default();
        Ok(json!({
            "bind-addresses": [{
                "interface-name": "eth0",
                "addresses": [{"value": address, "cidr": format!("{address}/24")}],
            }],
            "egress-subnets": [format!("{address}/32")],
            "ingress-addresses": [address],
        }))
    }

    fn application_version_set(&mut self, version: &str) -> Result<(), ToolError> {
        self.record("application-version-set", &[s(version)]);
        let app = self.app.clone();
        if let Some(a) = self.model().apps.get_mut(&app) {
            a.version = Some(version.to_string());
        }
        Ok(())
    }

    fn open_port(&mut self, port: u16, protocol: Protocol) -> Result<(), ToolError> {
        self.record("open-port", &[format!("{port}/{protocol}")]);
        let unit = self.unit.clone();
        if let Some(u) = self.model().units.get_mut(&unit) {
            u.ports.insert((port, protocol));
        }
        Ok(())
    }

    fn close_port(&mut self, port: u16, protocol: Protocol) -> Result<(), ToolError> {
        self.record("close-port", &[format!("{port}/{protocol}")]);
        let unit = self.unit.clone();
        if let Some(u) = self.model().units.get_mut(&unit) {
            u.ports.remove(&(port, protocol));
        }
        Ok(())
    }

    fn action_get(&mut self) -> Result<Value, ToolError> {
        let args = [s("--format=json")];
        self.record("action-get", &args);
        match &self.action {
            Some(a) => Ok(a.params.clone()),
            None => Err(failed("action-get", &args, "ERROR not running an action")),
        }
    }

    fn action_set(&mut self, data: &DataBag) -> Result<(), ToolError> {
        let args: Vec<String> = data.iter().map(|(k, v)| format!("{k}={v}")).collect();
        self.record("action-set", &args);
        for key in data.keys() {
            if let Err(problem) = reactive_core::actions::check_result_key(key) {
                return Err(failed("action-set", &args, &format!("ERROR {problem}")));
            }
        }
        match &mut self.action {
            Some(a) => {
                a.results.extend(data.clone());
                Ok(())
            }
            None => Err(failed("action-set", &args, "ERROR not running an action")),
        }
    }

    fn action_fail(&mut self, message: &str) -> Result<(), ToolError> {
        let args = [s(message)];
        self.record("action-fail", &args);
        match &mut self.action {
            Some(a) => {
                a.failed = Some(message.to_string());
                Ok(())
            }
            None => Err(failed("action-fail", &args, "ERROR not running an action")),
        }
    }

    fn action_log(&mut self, message: &str) -> Result<(), ToolError> {
        let args = [s(message)];
        self.record("action-log", &args);
        match &mut self.action {
            Some(a) => {
                a.logs.push(message.to_string());
                Ok(())
            }
            None => Err(failed("action-log", &args, "ERROR not running an action")),
        }
    }
}

/// One unit's tools shared between the hook that uses them and the harness
/// or simulator that inspects them afterwards.
pub type SharedUnitTools = Arc<Mutex<UnitTools>>;
