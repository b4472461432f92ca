//! One unit's hook tools, answered from a simulated model.
//!
//! The relation, leader, secret, storage, port and charm-state tools are
//! answered here and in the submodules `model_tools` (resources, storage,
//! status, goal state, ports, charm state, credentials, remote models) and
//! `secret_tools` (the `secret-*` tools).

mod model_tools;
mod secret_tools;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{json, Value};

use super::model::{ModelState, SecretStore, Status};
use reactive_core::log::LogLevel;
use reactive_core::names::{app_of, unit_order};
use reactive_core::tools::{
    ApplicationStatus, CloudSpec, DataBag, GoalState, HookTools, OpenedPort, PortRange, Protocol,
    RelationModel, SecretContent, SecretInfo, SecretOptions, SecretRef, SecretRevision, StatusInfo,
    StorageInfo, ToolError, WorkloadState,
};

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
/// Relation and leader data, charm state (`state-set`, `state-delete`),
/// opened and closed ports and added storage are held back, as Juju does,
/// and reach the model only when [`UnitTools::finish`] is told the hook
/// succeeded; secret changes (and the revisions read) are undone when it
/// failed. Statuses and logs take effect at once, stored with secret
/// content redacted. Every call is recorded
/// ([`UnitTools::calls`]) with `key=value` values and every secret's
/// content redacted; log lines are stored with secret content redacted.
#[derive(Debug)]
pub struct UnitTools {
    model: SharedModel,
    unit: String,
    app: String,
    calls: Vec<ToolCall>,
    pending_relation: BTreeMap<(String, bool), DataBag>,
    pending_leader: DataBag,
    action: Option<ActionState>,
    /// `state-set` (`Some`) and `state-delete` (`None`) of this hook.
    pending_state: BTreeMap<String, Option<String>>,
    /// `open-port` (`true`) and `close-port` of this hook, in order.
    pending_ports: Vec<(bool, PortRange, Vec<String>)>,
    /// `storage-add` of this hook.
    pending_storage: Vec<(String, u32)>,
    /// The secrets as they were before this hook first changed them.
    secrets_before: Option<SecretStore>,
    /// The hook's storage instance (`JUJU_STORAGE_ID`).
    storage_id: Option<String>,
}

/// A failure with Juju's standard error, classified as the process
/// backend classifies it (`not the leader`, `permission denied`, …).
fn failed(tool: &str, args: &[String], stderr: &str) -> ToolError {
    model_tools::juju_error(tool, args, stderr)
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
            pending_state: BTreeMap::new(),
            pending_ports: Vec::new(),
            pending_storage: Vec::new(),
            secrets_before: None,
            storage_id: None,
        }
    }

    /// Run a hook about this storage instance (`JUJU_STORAGE_ID`): the
    /// instance `storage-get` answers about without `-s`.
    pub fn with_storage(mut self, storage_id: Option<String>) -> Self {
        self.storage_id = storage_id;
        self
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

    /// The content values of the model's secrets (see
    /// [`SecretStore::values`]), to scrub them from what is recorded.
    pub fn secret_values(&self) -> Vec<String> {
        self.model().secrets.values()
    }

    /// The action's state, when running an action.
    pub fn action(&self) -> Option<&ActionState> {
        self.action.as_ref()
    }

    /// A unit's data bag, with this hook's pending writes when it is this
    /// unit's (`args`: the call, for the error).
    fn unit_bag(
        &self,
        relation_id: &str,
        unit: &str,
        args: &[String],
    ) -> Result<DataBag, ToolError> {
        let mut bag = {
            let model = self.model();
            let relation = model
                .relation_by_id(relation_id)
                .ok_or_else(|| relation_not_found("relation-get", args, relation_id))?;
            relation.unit_data.get(unit).cloned().unwrap_or_default()
        };
        if unit == self.unit {
            if let Some(pending) = self.pending_relation.get(&(relation_id.to_string(), false)) {
                apply(&mut bag, pending);
            }
        }
        Ok(bag)
    }

    fn record(&mut self, tool: &str, args: &[String]) {
        self.record_args(tool, &reactive_core::tools::error::redact_args(args));
    }

    /// Record a call whose arguments hold no `key=value` secret (such as
    /// `storage-add data=2`), scrubbing only secret content.
    fn record_args(&mut self, tool: &str, args: &[String]) {
        let values = self.model().secrets.values();
        let args = args
            .iter()
            .map(|arg| super::secret_model::scrub_values(arg, &values))
            .collect();
        self.calls.push(ToolCall {
            tool: tool.to_string(),
            args,
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
        let pending_state = std::mem::take(&mut self.pending_state);
        let pending_ports = std::mem::take(&mut self.pending_ports);
        let pending_storage = std::mem::take(&mut self.pending_storage);
        let secrets_before = self.secrets_before.take();
        if !success {
            if let Some(before) = secrets_before {
                self.model().secrets = before;
            }
            return Vec::new();
        }
        let unit = self.unit.clone();
        let mut changed = Vec::new();
        let mut model = self.model();
        for (name, count) in pending_storage {
            model.attach_storage(&unit, &name, count);
        }
        if let Some(record) = model.units.get_mut(&unit) {
            for (key, value) in pending_state {
                match value {
                    Some(value) => record.charm_state.insert(key, value),
                    None => record.charm_state.remove(&key),
                };
            }
            for (open, range, endpoints) in pending_ports {
                model_tools::apply_port(&mut record.ports, open, range, &endpoints);
            }
        }
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
        self.unit_bag(relation_id, unit, &args)
    }

    fn relation_get_key(
        &mut self,
        relation_id: &str,
        unit: &str,
        key: &str,
    ) -> Result<Option<String>, ToolError> {
        let args = [s("--format=json"), s("-r"), s(relation_id), s(key), s(unit)];
        self.record("relation-get", &args);
        Ok(self.unit_bag(relation_id, unit, &args)?.remove(key))
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
        let mut model = self.model();
        let message = model.secrets.scrub(message);
        if let Some(u) = model.units.get_mut(&unit) {
            u.logs.push((level, message));
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
            message: self.model().secrets.scrub(message),
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
        let range = PortRange::port(port, protocol)
            .map_err(|reason| ToolError::invalid_input("open-port", reason))?;
        self.tool_port_range("open-port", range, &[])
    }

    fn close_port(&mut self, port: u16, protocol: Protocol) -> Result<(), ToolError> {
        let range = PortRange::port(port, protocol)
            .map_err(|reason| ToolError::invalid_input("close-port", reason))?;
        self.tool_port_range("close-port", range, &[])
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

    fn resource_get(&mut self, name: &str) -> Result<PathBuf, ToolError> {
        self.tool_resource_get(name)
    }

    fn storage_get(&mut self, storage_id: Option<&str>) -> Result<StorageInfo, ToolError> {
        self.tool_storage_get(storage_id)
    }

    fn storage_get_key(
        &mut self,
        storage_id: Option<&str>,
        key: &str,
    ) -> Result<String, ToolError> {
        self.tool_storage_get_key(storage_id, key)
    }

    fn storage_list(&mut self, name: Option<&str>) -> Result<Vec<String>, ToolError> {
        self.tool_storage_list(name)
    }

    fn storage_add(&mut self, name: &str, count: u32) -> Result<(), ToolError> {
        self.tool_storage_add(name, count)
    }

    fn secret_add(
        &mut self,
        content: &SecretContent,
        options: &SecretOptions,
    ) -> Result<String, ToolError> {
        self.tool_secret_add(content, options)
    }

    fn secret_get(
        &mut self,
        secret: SecretRef<'_>,
        revision: SecretRevision,
    ) -> Result<SecretContent, ToolError> {
        self.tool_secret_get(secret, revision)
    }

    fn secret_set(
        &mut self,
        id: &str,
        content: Option<&SecretContent>,
        options: &SecretOptions,
    ) -> Result<(), ToolError> {
        self.tool_secret_set(id, content, options)
    }

    fn secret_grant(
        &mut self,
        id: &str,
        relation_id: &str,
        unit: Option<&str>,
    ) -> Result<(), ToolError> {
        self.tool_secret_access("secret-grant", id, relation_id, unit)
    }

    fn secret_revoke(
        &mut self,
        id: &str,
        relation_id: &str,
        unit: Option<&str>,
    ) -> Result<(), ToolError> {
        self.tool_secret_access("secret-revoke", id, relation_id, unit)
    }

    fn secret_remove(&mut self, id: &str, revision: Option<u64>) -> Result<(), ToolError> {
        self.tool_secret_remove(id, revision)
    }

    fn secret_ids(&mut self) -> Result<Vec<String>, ToolError> {
        self.tool_secret_ids()
    }

    fn secret_info_get(&mut self, secret: SecretRef<'_>) -> Result<SecretInfo, ToolError> {
        self.tool_secret_info_get(secret)
    }

    fn status_get(&mut self) -> Result<StatusInfo, ToolError> {
        self.tool_status_get()
    }

    fn application_status_get(&mut self) -> Result<ApplicationStatus, ToolError> {
        self.tool_application_status_get()
    }

    fn goal_state(&mut self) -> Result<GoalState, ToolError> {
        self.tool_goal_state()
    }

    fn opened_ports(&mut self) -> Result<Vec<OpenedPort>, ToolError> {
        self.tool_opened_ports()
    }

    fn open_port_range(&mut self, range: PortRange, endpoints: &[String]) -> Result<(), ToolError> {
        self.tool_port_range("open-port", range, endpoints)
    }

    fn close_port_range(
        &mut self,
        range: PortRange,
        endpoints: &[String],
    ) -> Result<(), ToolError> {
        self.tool_port_range("close-port", range, endpoints)
    }

    fn state_get(&mut self, key: &str) -> Result<Option<String>, ToolError> {
        self.tool_state_get(key)
    }

    fn state_get_all(&mut self) -> Result<DataBag, ToolError> {
        self.tool_state_get_all()
    }

    fn state_set(&mut self, data: &DataBag) -> Result<(), ToolError> {
        self.tool_state_set(data)
    }

    fn state_delete(&mut self, key: &str) -> Result<(), ToolError> {
        self.tool_state_delete(key)
    }

    fn credential_get(&mut self) -> Result<CloudSpec, ToolError> {
        self.tool_credential_get()
    }

    fn relation_model_get(&mut self, relation_id: &str) -> Result<RelationModel, ToolError> {
        self.tool_relation_model_get(relation_id)
    }
}

/// One unit's tools shared between the hook that uses them and the harness
/// or simulator that inspects them afterwards.
pub type SharedUnitTools = Arc<Mutex<UnitTools>>;
