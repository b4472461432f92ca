//! The single-unit test harness: run a charm's hooks in process against a
//! simulated model, and inspect what they did.
//!
//! ```
//! use reactive_core::harness::Harness;
//! use reactive_core::prelude::*;
//!
//! #[when("config.changed.port")]
//! fn port_changed(ctx: &mut Context) {
//!     ctx.set_flag("app.port-seen");
//! }
//!
//! # fn main() {
//! let mut harness = Harness::from_yaml(
//!     "name: app\n",
//!     "options:\n  port: {type: int, default: 80}\n",
//!     Registry::builder().module_prefix(module_path!()),
//! )
//! .unwrap();
//! harness.fire("install").unwrap();
//! assert!(harness.is_flag_set("app.port-seen"));
//! assert!(!harness.is_flag_set("config.changed"), "config flags live for one hook");
//! # }
//! ```

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use crate::config::ConfigOptions;
use crate::flags::FLAG_KEY_PREFIX;
use crate::hook::HookInfo;
use crate::log::LogLevel;
use crate::metadata::CharmMetadata;
use crate::registry::RegistryBuilder;
use crate::runtime::{error_chain, run_hook, Charm, CharmError, HookInput};
use crate::sim::model::{app_of, ModelState, Status};
use crate::sim::{ChangedBag, SharedModel, ToolCall, UnitTools};
use crate::tools::DataBag;
use crate::unit_state::UnitState;

/// What one hook run did.
#[derive(Debug, Clone, PartialEq)]
pub struct HookRecord {
    /// The hook's name.
    pub hook: String,
    /// The ids of the handlers invoked, in order.
    pub invoked: Vec<String>,
    /// Every hook-tool call the hook made, in order.
    pub calls: Vec<ToolCall>,
    /// The relation data bags it changed (published on success only).
    pub changed: Vec<ChangedBag>,
    /// Every flag set at its end.
    pub flags: Vec<String>,
    /// `Err` with the message when the hook failed.
    pub result: Result<(), String>,
}

impl HookRecord {
    /// How many times `tool` was called.
    pub fn calls_of(&self, tool: &str) -> usize {
        self.calls.iter().filter(|c| c.tool == tool).count()
    }
}

/// One unit of a charm, run hook by hook in process.
pub struct Harness {
    charm: Charm,
    model: SharedModel,
    unit: String,
    state: Option<UnitState>,
    history: Vec<HookRecord>,
    tracing: bool,
    charm_dir: Option<std::path::PathBuf>,
}

impl Harness {
    /// A harness for unit `<charm name>/0` of `charm`, not leader, with the
    /// config defaults of `config.yaml`.
    pub fn new(charm: Charm) -> Self {
        let app = charm.metadata.name.clone();
        let unit = format!("{app}/0");
        let mut model = ModelState::default();
        let endpoints = charm
            .metadata
            .endpoints
            .iter()
            .map(|e| (e.name.clone(), e.interface.clone()))
            .collect();
        model.add_app(&app, endpoints, charm.config_options.defaults());
        model.add_unit(&unit, None);
        Harness {
            charm,
            model: Arc::new(Mutex::new(model)),
            unit,
            state: Some(UnitState::in_memory()),
            history: Vec::new(),
            tracing: false,
            charm_dir: None,
        }
    }

    /// A harness for the charm whose `metadata.yaml` and `config.yaml` are in
    /// `dir`, with the handlers `registry` chooses. Relative paths the
    /// charm reads (`#[when_file_changed]`) resolve against `dir`.
    pub fn from_charm_dir(dir: &Path, registry: RegistryBuilder) -> Result<Self, CharmError> {
        let mut harness = Harness::new(Charm::load_with(dir, registry)?);
        harness.charm_dir = Some(dir.to_path_buf());
        Ok(harness)
    }

    /// A harness for a charm given inline: `metadata.yaml` and
    /// `config.yaml` text.
    pub fn from_yaml(
        metadata: &str,
        config: &str,
        registry: RegistryBuilder,
    ) -> Result<Self, CharmError> {
        let metadata =
            CharmMetadata::parse(metadata, "metadata.yaml").map_err(CharmError::Metadata)?;
        let options = ConfigOptions::parse(config, "config.yaml").map_err(CharmError::Config)?;
        Ok(Harness::new(Charm::from_parts(
            metadata, options, registry,
        )?))
    }

    /// Log the dispatch tracer's account in every hook from now on.
    pub fn set_tracing(&mut self, enabled: bool) {
        self.tracing = enabled;
    }

    /// The unit's name (`app/0`).
    pub fn unit_name(&self) -> &str {
        &self.unit
    }

    /// The model, for direct inspection or changes.
    pub fn model(&self) -> std::sync::MutexGuard<'_, ModelState> {
        self.model.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn app(&self) -> String {
        app_of(&self.unit).to_string()
    }

    /// Make this unit its application's leader, or not. No hook is run.
    pub fn set_leader(&mut self, leader: bool) {
        let app = self.app();
        let unit = self.unit.clone();
        if let Some(a) = self.model().apps.get_mut(&app) {
            a.leader = leader.then_some(unit);
        }
    }

    /// Set leader settings directly (as another unit's leader would). No
    /// hook is run.
    pub fn set_leader_settings(&mut self, settings: &[(&str, &str)]) {
        let app = self.app();
        if let Some(a) = self.model().apps.get_mut(&app) {
            for (k, v) in settings {
                if v.is_empty() {
                    a.leader_settings.remove(*k);
                } else {
                    a.leader_settings.insert(k.to_string(), v.to_string());
                }
            }
        }
    }

    /// Change config values (a JSON object; `null` unsets an option). No
    /// hook is run.
    pub fn update_config(&mut self, values: Value) {
        let app = self.app();
        let Value::Object(values) = values else {
            return;
        };
        if let Some(a) = self.model().apps.get_mut(&app) {
            for (k, v) in values {
                if v.is_null() {
                    a.config.remove(&k);
                } else {
                    a.config.insert(k, v);
                }
            }
        }
    }

    /// Relate this unit's `endpoint` to a remote application (added to the
    /// model if new); the unit enters the relation at once (its
    /// `-relation-created` point). Returns the relation id (`endpoint:N`).
    /// No hook is run.
    pub fn add_relation(&mut self, endpoint: &str, remote_app: &str) -> String {
        let app = self.app();
        let unit = self.unit.clone();
        let mut model = self.model();
        if !model.apps.contains_key(remote_app) {
            model.add_app(remote_app, Default::default(), Map::new());
        }
        let id = model.add_relation(&[(&app, endpoint), (remote_app, "remote")]);
        model.enter_relation(id, &unit);
        format!("{endpoint}:{id}")
    }

    /// Add a remote unit to a relation and make it visible to this unit
    /// (as after its `-relation-joined`), with its pre-filled data bag.
    /// No hook is run.
    pub fn add_remote_unit(&mut self, relation_id: &str, remote_unit: &str) {
        let unit = self.unit.clone();
        let mut model = self.model();
        if !model.units.contains_key(remote_unit) {
            model.add_unit(remote_unit, None);
        }
        let Some(id) = model.relation_by_id(relation_id).map(|r| r.id) else {
            return;
        };
        model.enter_relation(id, remote_unit);
        if let Some(relation) = model.relations.get_mut(&id) {
            relation
                .members
                .entry(unit)
                .or_default()
                .insert(remote_unit.to_string());
        }
    }

    /// Make a remote unit leave this unit's view of a relation (as at its
    /// `-relation-departed`). No hook is run.
    pub fn remove_remote_unit(&mut self, relation_id: &str, remote_unit: &str) {
        let unit = self.unit.clone();
        if let Some(relation) = self.model().relation_by_id_mut(relation_id) {
            if let Some(members) = relation.members.get_mut(&unit) {
                members.remove(remote_unit);
            }
        }
    }

    /// Remove a relation entirely (after its `-relation-broken`).
    pub fn remove_relation(&mut self, relation_id: &str) {
        let mut model = self.model();
        if let Some(id) = model.relation_by_id(relation_id).map(|r| r.id) {
            model.relations.remove(&id);
        }
    }

    /// Set keys of a remote unit's data bag (raw strings; an empty value
    /// deletes). No hook is run.
    pub fn set_remote_unit_data(&mut self, relation_id: &str, unit: &str, data: &[(&str, &str)]) {
        if let Some(relation) = self.model().relation_by_id_mut(relation_id) {
            let bag = relation.unit_data.entry(unit.to_string()).or_default();
            apply_pairs(bag, data);
        }
    }

    /// Set keys of a remote application's data bag. No hook is run.
    pub fn set_remote_app_data(&mut self, relation_id: &str, app: &str, data: &[(&str, &str)]) {
        if let Some(relation) = self.model().relation_by_id_mut(relation_id) {
            let bag = relation.app_data.entry(app.to_string()).or_default();
            apply_pairs(bag, data);
        }
    }

    /// Run a hook that concerns no relation (`install`, `config-changed`, …).
    pub fn fire(&mut self, hook: &str) -> Result<&HookRecord, &HookRecord> {
        self.fire_with(HookInfo::named(hook))
    }

    /// Run a relation hook of this unit's `relation_id`
    /// (`<endpoint>-relation-<event>`), with `remote_unit` as
    /// `JUJU_REMOTE_UNIT` (and as `JUJU_DEPARTING_UNIT` for `departed`).
    pub fn fire_relation(
        &mut self,
        event: &str,
        relation_id: &str,
        remote_unit: Option<&str>,
    ) -> Result<&HookRecord, &HookRecord> {
        let endpoint = relation_id.split(':').next().unwrap_or_default();
        let mut hook = HookInfo::named(format!("{endpoint}-relation-{event}"));
        hook.relation = Some(endpoint.to_string());
        hook.relation_id = Some(relation_id.to_string());
        hook.remote_unit = remote_unit.map(str::to_string);
        let remote_app = remote_unit.map(|u| app_of(u).to_string()).or_else(|| {
            let model = self.model();
            let relation = model.relation_by_id(relation_id)?;
            let app = self.app();
            relation.endpoints.keys().find(|a| **a != app).cloned()
        });
        hook.remote_app = remote_app;
        if event == "departed" {
            hook.departing_unit = remote_unit.map(str::to_string);
        }
        self.fire_with(hook)
    }

    /// Run a hook described in full.
    pub fn fire_with(&mut self, mut hook: HookInfo) -> Result<&HookRecord, &HookRecord> {
        hook.unit_name = Some(self.unit.clone());
        if hook.charm_dir.is_none() {
            hook.charm_dir = self.charm_dir.clone();
        }
        let name = hook.name.clone();
        let tools = Arc::new(Mutex::new(UnitTools::new(self.model.clone(), &self.unit)));
        let state = self.state.take().unwrap_or_else(UnitState::in_memory);
        let outcome = run_hook(
            &self.charm,
            HookInput {
                hook,
                state,
                tools: Box::new(tools.clone()),
                tracing: self.tracing,
                previous_config: Default::default(),
            },
        );
        self.state = Some(outcome.state);
        drop(outcome.tools);
        let mut tools = tools.lock().unwrap_or_else(|p| p.into_inner());
        let changed = tools.finish(outcome.result.is_ok());
        let record = HookRecord {
            hook: name,
            invoked: outcome.report.invoked,
            calls: tools.calls().to_vec(),
            changed,
            flags: outcome.flags,
            result: outcome.result.map_err(|e| error_chain(&e)),
        };
        drop(tools);
        self.history.push(record);
        let record = self.history.last().expect("just pushed");
        if record.result.is_ok() {
            Ok(record)
        } else {
            Err(record)
        }
    }

    /// The last hook's record.
    pub fn last(&self) -> Option<&HookRecord> {
        self.history.last()
    }

    /// Every hook run so far.
    pub fn history(&self) -> &[HookRecord] {
        &self.history
    }

    /// The unit's persisted flags (as committed by the last successful
    /// hook), sorted.
    pub fn flags(&mut self) -> Vec<String> {
        self.flag_values().into_iter().map(|(f, _)| f).collect()
    }

    /// The unit's persisted flags with their values.
    pub fn flag_values(&mut self) -> Vec<(String, Value)> {
        let state = self.state.get_or_insert_with(UnitState::in_memory);
        state
            .get_range(FLAG_KEY_PREFIX)
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k[FLAG_KEY_PREFIX.len()..].to_string(), v))
            .collect()
    }

    /// Whether `flag` is persisted as set.
    pub fn is_flag_set(&mut self, flag: &str) -> bool {
        self.flags().iter().any(|f| f == flag)
    }

    /// The unit state, for direct inspection.
    pub fn unit_state(&mut self) -> &mut UnitState {
        self.state.get_or_insert_with(UnitState::in_memory)
    }

    /// This unit's published data on a relation.
    pub fn published(&self, relation_id: &str) -> DataBag {
        let unit = self.unit.clone();
        self.model()
            .relation_by_id(relation_id)
            .and_then(|r| r.unit_data.get(&unit).cloned())
            .unwrap_or_default()
    }

    /// This application's published data on a relation.
    pub fn published_app(&self, relation_id: &str) -> DataBag {
        let app = self.app();
        self.model()
            .relation_by_id(relation_id)
            .and_then(|r| r.app_data.get(&app).cloned())
            .unwrap_or_default()
    }

    /// The unit's workload status.
    pub fn status(&self) -> Option<Status> {
        let unit = self.unit.clone();
        self.model().units.get(&unit).and_then(|u| u.status.clone())
    }

    /// Every line the unit logged through `juju-log`.
    pub fn logs(&self) -> Vec<(LogLevel, String)> {
        let unit = self.unit.clone();
        self.model()
            .units
            .get(&unit)
            .map(|u| u.logs.clone())
            .unwrap_or_default()
    }

    /// The relation ids this unit is in, for an endpoint.
    pub fn relation_ids(&self, endpoint: &str) -> BTreeSet<String> {
        let app = self.app();
        let unit = self.unit.clone();
        self.model()
            .relations
            .values()
            .filter(|r| {
                r.endpoints.get(&app).map(String::as_str) == Some(endpoint)
                    && r.members.contains_key(&unit)
            })
            .map(|r| format!("{endpoint}:{}", r.id))
            .collect()
    }
}

fn apply_pairs(bag: &mut DataBag, data: &[(&str, &str)]) {
    for (k, v) in data {
        if v.is_empty() {
            bag.remove(*k);
        } else {
            bag.insert(k.to_string(), v.to_string());
        }
    }
}
