//! The single-unit test harness: run a charm's hooks in process against a
//! simulated model, and inspect what they did.
//!
//! ```
//! use reactive_testing::harness::{Harness, HarnessError};
//! use reactive_core::prelude::*;
//!
//! reactive_core::charm!();
//!
//! #[when("config.changed.port")]
//! fn port_changed(ctx: &mut Context) {
//!     ctx.set_flag("app.port-seen");
//! }
//!
//! # fn main() -> Result<(), HarnessError> {
//! // A charm's tests write `Harness::new(my_charm::charm())?`, which reads
//! // the charm's metadata.yaml and config.yaml; here they are inline.
//! let mut harness = Harness::from_yaml(
//!     "name: app\n",
//!     "options:\n  port: {type: int, default: 80}\n",
//!     charm(),
//! )?;
//! harness.fire("install")?;
//! assert!(harness.is_flag_set("app.port-seen"));
//! assert!(!harness.is_flag_set("config.changed"), "config flags live for one hook");
//!
//! // What Juju never does is refused, naming what is wrong:
//! let refused = harness.fire("instal").unwrap_err();
//! assert_eq!(refused.to_string(), "`instal` is not a Juju hook; did you mean `install`?");
//! # Ok(())
//! # }
//! ```
//!
//! The checks follow Juju: hook names, endpoints of `metadata.yaml`,
//! relation hooks only for relations made and units that joined, config
//! keys and types of `config.yaml`, leader-only hooks and tools only on
//! the leader. [`Harness::set_consistency_checks`] turns them off for a
//! test that means to go where Juju does not.

mod consistency;
mod error;
mod model_setup;

pub use error::HarnessError;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use crate::sim::model::{ModelState, Status};
use crate::sim::{ChangedBag, SharedModel, ToolCall, UnitTools};
use reactive_core::config::ConfigOptions;
use reactive_core::flags::FLAG_KEY_PREFIX;
use reactive_core::hook::HookInfo;
use reactive_core::log::LogLevel;
use reactive_core::metadata::CharmMetadata;
use reactive_core::names::{app_of, RelationId};
use reactive_core::registry::RegistryBuilder;
use reactive_core::runtime::{error_chain, run_hook, Charm, CharmError, HookInput};
use reactive_core::tools::DataBag;
use reactive_core::unit_state::{Marker, UnitState};
use reactive_core::CharmDeclaration;

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

/// What one action run did.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionOutcome {
    /// The action.
    pub action: String,
    /// The parameters it ran with (the schema's defaults filled in).
    pub params: Value,
    /// Its results (`action-set`), dotted keys nested as Juju reports them.
    pub results: Value,
    /// Its progress messages (`action-log`), in order.
    pub logs: Vec<String>,
    /// Its failure message: given to `action-fail` (by the handler, or by
    /// the framework for a handler's `Err`), or the error that stopped it.
    pub failure: Option<String>,
    /// The run as a hook record (handlers invoked, tool calls, flags).
    pub record: HookRecord,
}

impl ActionOutcome {
    /// Whether the action succeeded.
    pub fn succeeded(&self) -> bool {
        self.failure.is_none()
    }

    /// The result at the dotted `key` (`backup.path`), as a string.
    pub fn result(&self, key: &str) -> Option<&str> {
        key.split('.')
            .try_fold(&self.results, |node, segment| node.get(segment))?
            .as_str()
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
    checks: bool,
    ever_joined: BTreeSet<(u32, String)>,
    actions_run: u64,
}

impl Harness {
    /// A harness for unit `<charm name>/0` of the declared charm, with its
    /// `metadata.yaml` and `config.yaml` read from its source directory;
    /// not leader, with the config defaults.
    ///
    /// ```no_run
    /// # mod my_charm { reactive_core::charm!(); }
    /// # fn main() -> Result<(), reactive_testing::harness::HarnessError> {
    /// let mut harness = reactive_testing::Harness::new(my_charm::charm())?;
    /// harness.fire("install")?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn new(charm: CharmDeclaration) -> Result<Self, HarnessError> {
        Ok(Harness::from_charm_dir(
            charm.source_dir(),
            charm.registry(),
        )?)
    }

    /// A harness for unit `<charm name>/0` of a loaded charm, not leader,
    /// with the config defaults of `config.yaml`.
    pub fn from_charm(charm: Charm) -> Self {
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
        if let Some(app_state) = model.apps.get_mut(&app) {
            app_state.storage = charm.metadata.storage.clone();
        }
        model.add_unit(&unit, None);
        Harness {
            charm,
            model: Arc::new(Mutex::new(model)),
            unit,
            state: Some(UnitState::in_memory()),
            history: Vec::new(),
            tracing: false,
            charm_dir: None,
            checks: true,
            ever_joined: BTreeSet::new(),
            actions_run: 0,
        }
    }

    /// A harness for the charm whose `metadata.yaml`, `config.yaml` and
    /// `actions.yaml` are in
    /// `dir`, with the handlers `registry` chooses. Relative paths the
    /// charm reads (`#[when_file_changed]`) resolve against `dir`.
    pub fn from_charm_dir(
        dir: &Path,
        registry: impl Into<RegistryBuilder>,
    ) -> Result<Self, CharmError> {
        let mut harness = Harness::from_charm(Charm::load_with(dir, registry.into())?);
        harness.charm_dir = Some(dir.to_path_buf());
        Ok(harness)
    }

    /// A harness for a charm given inline: `metadata.yaml` and
    /// `config.yaml` text.
    pub fn from_yaml(
        metadata: &str,
        config: &str,
        registry: impl Into<RegistryBuilder>,
    ) -> Result<Self, CharmError> {
        let metadata =
            CharmMetadata::parse(metadata, "metadata.yaml").map_err(CharmError::Metadata)?;
        let options = ConfigOptions::parse(config, "config.yaml").map_err(CharmError::Config)?;
        Ok(Harness::from_charm(Charm::from_parts(
            metadata,
            options,
            registry.into(),
        )?))
    }

    /// Give the charm's `actions.yaml` as text (for a harness made with
    /// [`from_yaml`](Self::from_yaml); one made from the charm's directory
    /// reads its file).
    pub fn set_actions_yaml(&mut self, text: &str) -> Result<(), CharmError> {
        let actions = reactive_core::actions::ActionsSpec::parse(text, "actions.yaml")
            .map_err(CharmError::Actions)?;
        self.charm = self.charm.clone().with_actions(actions);
        Ok(())
    }

    /// Check every call against what Juju would do (the default), or not:
    /// a test that deliberately goes where Juju does not (a hook for a unit
    /// that never joined, a config value of the wrong type) turns the
    /// checks off. Malformed relation ids are refused either way.
    pub fn set_consistency_checks(&mut self, enabled: bool) {
        self.checks = enabled;
    }

    fn check(&self, result: Result<(), HarnessError>) -> Result<(), HarnessError> {
        if self.checks {
            result
        } else {
            Ok(())
        }
    }

    /// The number of relation `relation_id` of this unit, checked.
    fn relation_number(&self, relation_id: &str) -> Result<u32, HarnessError> {
        let model = self.model();
        match consistency::relation(&self.charm.metadata, &model, &self.unit, relation_id) {
            Ok((_, number)) => Ok(number),
            Err(e) if self.checks => Err(e),
            Err(e) => model.relation_by_id(relation_id).map(|r| r.id).ok_or(e),
        }
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
    /// hook is run. Refused: options `config.yaml` does not declare, and
    /// values not of the option's type.
    pub fn update_config(&mut self, values: Value) -> Result<(), HarnessError> {
        let app = self.app();
        let Value::Object(values) = values else {
            return Err(HarnessError::ConfigType {
                key: "(all)".to_string(),
                expected: "a mapping of option names to values".to_string(),
                given: "something else",
            });
        };
        self.check(consistency::config(&self.charm.config_options, &values))?;
        if let Some(a) = self.model().apps.get_mut(&app) {
            for (k, v) in values {
                if v.is_null() {
                    a.config.remove(&k);
                } else {
                    a.config.insert(k, v);
                }
            }
        }
        Ok(())
    }

    /// Relate this unit's `endpoint` to a remote application (added to the
    /// model if new); the unit enters the relation at once (its
    /// `-relation-created` point). Returns the relation id (`endpoint:N`).
    /// No hook is run. Refused: an endpoint `metadata.yaml` does not
    /// declare.
    pub fn add_relation(
        &mut self,
        endpoint: &str,
        remote_app: &str,
    ) -> Result<RelationId, HarnessError> {
        self.check(consistency::endpoint(&self.charm.metadata, endpoint))?;
        let app = self.app();
        let unit = self.unit.clone();
        let mut model = self.model();
        if !model.apps.contains_key(remote_app) {
            model.add_app(remote_app, Default::default(), Map::new());
        }
        let id = if remote_app == app {
            // A peer relation: one application, one endpoint.
            model.add_relation(&[(&app, endpoint)])
        } else {
            model.add_relation(&[(&app, endpoint), (remote_app, "remote")])
        };
        model.enter_relation(id, &unit);
        drop(model);
        self.membership_changed();
        Ok(RelationId::new(endpoint, id))
    }

    /// Add a remote unit to a relation and make it visible to this unit
    /// (as after its `-relation-joined`), with its pre-filled data bag.
    /// No hook is run; the next one sees the unit whatever its kind. Refused: an unknown relation, a name that is not a
    /// unit of the application on the other side.
    pub fn add_remote_unit(
        &mut self,
        relation_id: &str,
        remote_unit: &str,
    ) -> Result<(), HarnessError> {
        let id = self.relation_number(relation_id)?;
        {
            let model = self.model();
            self.check(consistency::remote_unit_name(
                &model,
                &self.unit,
                id,
                remote_unit,
            ))?;
        }
        let unit = self.unit.clone();
        let mut model = self.model();
        if !model.units.contains_key(remote_unit) {
            model.add_unit(remote_unit, None);
        }
        model.enter_relation(id, remote_unit);
        if let Some(relation) = model.relations.get_mut(&id) {
            relation
                .members
                .entry(unit)
                .or_default()
                .insert(remote_unit.to_string());
        }
        drop(model);
        self.ever_joined.insert((id, remote_unit.to_string()));
        self.membership_changed();
        Ok(())
    }

    /// Make a remote unit leave this unit's view of a relation (as at its
    /// `-relation-departed`). No hook is run.
    pub fn remove_remote_unit(
        &mut self,
        relation_id: &str,
        remote_unit: &str,
    ) -> Result<(), HarnessError> {
        let id = self.relation_number(relation_id)?;
        let unit = self.unit.clone();
        let mut model = self.model();
        let members = model
            .relations
            .get_mut(&id)
            .and_then(|r| r.members.get_mut(&unit));
        let removed = members.is_some_and(|m| m.remove(remote_unit));
        drop(model);
        if !removed {
            self.check(Err(HarnessError::UnitNotInRelation {
                relation_id: relation_id.to_string(),
                unit: remote_unit.to_string(),
            }))?;
        }
        self.membership_changed();
        Ok(())
    }

    /// Remove a relation entirely (after its `-relation-broken`).
    pub fn remove_relation(&mut self, relation_id: &str) -> Result<(), HarnessError> {
        let id = self.relation_number(relation_id)?;
        self.model().relations.remove(&id);
        self.membership_changed();
        Ok(())
    }

    /// The relations or their units changed without the hook Juju would
    /// run for it: the charm keeps the membership its hooks last saw, so
    /// the next hook is told to ask `relation-ids` and `relation-list`
    /// again (as after a relation hook skipped with `juju resolved
    /// --no-retry`).
    fn membership_changed(&mut self) {
        // An in-memory store sets a marker without failing.
        let _ = self.unit_state().set_marker(Marker::MembershipUnsettled);
    }

    /// Set keys of a remote unit's data bag (raw strings; an empty value
    /// deletes). No hook is run.
    /// Refused: an unknown relation, a unit not of the other side.
    pub fn set_remote_unit_data(
        &mut self,
        relation_id: &str,
        unit: &str,
        data: &[(&str, &str)],
    ) -> Result<(), HarnessError> {
        let id = self.relation_number(relation_id)?;
        let mut model = self.model();
        self.check(consistency::remote_unit_name(&model, &self.unit, id, unit))?;
        if let Some(relation) = model.relations.get_mut(&id) {
            let bag = relation.unit_data.entry(unit.to_string()).or_default();
            apply_pairs(bag, data);
        }
        Ok(())
    }

    /// Set keys of a remote application's data bag. No hook is run.
    /// Refused: an unknown relation, an application not on the other
    /// side.
    pub fn set_remote_app_data(
        &mut self,
        relation_id: &str,
        app: &str,
        data: &[(&str, &str)],
    ) -> Result<(), HarnessError> {
        let id = self.relation_number(relation_id)?;
        let mut model = self.model();
        let other_side = model.relations.get(&id).is_some_and(|r| {
            r.endpoints.contains_key(app) && (r.endpoints.len() == 1 || app != app_of(&self.unit))
        });
        if !other_side {
            self.check(Err(HarnessError::BadUnit {
                unit: app.to_string(),
                problem: "is not the application on the other side of this relation".to_string(),
            }))?;
        }
        if let Some(relation) = model.relations.get_mut(&id) {
            let bag = relation.app_data.entry(app.to_string()).or_default();
            apply_pairs(bag, data);
        }
        Ok(())
    }

    /// Run a hook that concerns no relation (`install`, `config-changed`, …).
    /// Refused: names that are not Juju hooks, relation hooks (use
    /// [`fire_relation`](Self::fire_relation)), `leader-elected` on a
    /// unit that is not the leader.
    pub fn fire(&mut self, hook: &str) -> Result<&HookRecord, HarnessError> {
        self.check(consistency::plain_hook(hook))?;
        if hook == "leader-elected" && !self.is_leader() {
            self.check(Err(HarnessError::NotLeader {
                hook: hook.to_string(),
            }))?;
        }
        self.fire_with(HookInfo::named(hook))
    }

    fn is_leader(&self) -> bool {
        let app = self.app();
        self.model()
            .apps
            .get(&app)
            .is_some_and(|a| a.leader.as_deref() == Some(self.unit.as_str()))
    }

    /// Run a relation hook of this unit's `relation_id`
    /// (`<endpoint>-relation-<event>`), with `remote_unit` as
    /// `JUJU_REMOTE_UNIT` (and as `JUJU_DEPARTING_UNIT` for `departed`).
    /// Refused: an unknown event or relation; `joined` or `departed`
    /// without a remote unit; a remote unit that never joined the relation.
    pub fn fire_relation(
        &mut self,
        event: &str,
        relation_id: &str,
        remote_unit: Option<&str>,
    ) -> Result<&HookRecord, HarnessError> {
        self.check(consistency::relation_event(event))?;
        let number = self.relation_number(relation_id)?;
        let endpoint = relation_id.split(':').next().unwrap_or_default();
        match remote_unit {
            None if matches!(event, "joined" | "departed") => {
                self.check(Err(HarnessError::RemoteUnitRequired {
                    hook: format!("{endpoint}-relation-{event}"),
                }))?;
            }
            Some(unit) if !self.ever_joined.contains(&(number, unit.to_string())) => {
                self.check(Err(HarnessError::UnitNotInRelation {
                    relation_id: relation_id.to_string(),
                    unit: unit.to_string(),
                }))?;
            }
            _ => {}
        }
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

    /// Run a hook described in full, unchecked (a test of what Juju's
    /// environment may hold beyond what the harness models).
    pub fn fire_with(&mut self, hook: HookInfo) -> Result<&HookRecord, HarnessError> {
        self.run(hook, None);
        match self.history.last() {
            Some(record) if record.result.is_ok() => Ok(record),
            Some(record) => Err(HarnessError::HookFailed(Box::new(record.clone()))),
            None => unreachable!("a record was just pushed"),
        }
    }

    /// Run the action `action` of `actions.yaml` with `params` (a JSON
    /// object, or `null` for none), as `juju run <unit> <action>` does:
    /// only the action's `#[action]` handlers run (see
    /// [`reactive_core::runtime::action`]). A failed action is an `Ok`
    /// outcome with its [`failure`](ActionOutcome::failure); nothing it
    /// changed is committed then.
    ///
    /// Refused: an action `actions.yaml` does not declare, parameters that
    /// do not fit its schema (types, required, undeclared ones when
    /// `additionalProperties` is false). Defaults of the schema are filled
    /// in, as Juju does.
    pub fn run_action(
        &mut self,
        action: &str,
        params: Value,
    ) -> Result<ActionOutcome, HarnessError> {
        let params = match consistency::action(&self.charm.actions, action, &params) {
            Ok(filled) => filled,
            Err(e) if self.checks => return Err(e),
            Err(_) => params,
        };
        self.actions_run += 1;
        let mut hook = HookInfo::named(action);
        hook.action_name = Some(action.to_string());
        hook.action_uuid = Some(self.actions_run.to_string());
        let state = self.run(hook, Some(params.clone())).unwrap_or_default();
        let record = self
            .history
            .last()
            .cloned()
            .expect("a record was just pushed");
        let failure = state.failed.clone().or_else(|| record.result.clone().err());
        Ok(ActionOutcome {
            action: action.to_string(),
            params,
            results: state.nested_results(),
            logs: state.logs.clone(),
            failure,
            record,
        })
    }

    /// Run `hook` (an action when `action_params` is given), push its
    /// record, and hand back the action's state.
    fn run(
        &mut self,
        mut hook: HookInfo,
        action_params: Option<Value>,
    ) -> Option<crate::sim::unit_tools::ActionState> {
        hook.unit_name = Some(self.unit.clone());
        if hook.charm_dir.is_none() {
            hook.charm_dir = self.charm_dir.clone();
        }
        let name = hook.name.clone();
        let mut unit_tools =
            UnitTools::new(self.model.clone(), &self.unit).with_storage(hook.storage_id.clone());
        if let Some(params) = action_params {
            unit_tools = unit_tools.with_action(params);
        }
        let tools = Arc::new(Mutex::new(unit_tools));
        let state = self.state.take().unwrap_or_else(UnitState::in_memory);
        let outcome = run_hook(
            &self.charm,
            HookInput {
                hook,
                state,
                tools: Box::new(tools.clone()),
                tracing: self.tracing,
                previous_config: Default::default(),
                process_ends: false,
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
        let action = tools.action().cloned();
        drop(tools);
        self.history.push(record);
        action
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

    /// This unit's published data on a relation. Refused: an unknown
    /// relation.
    pub fn published(&self, relation_id: &str) -> Result<DataBag, HarnessError> {
        let id = self.relation_number(relation_id)?;
        let unit = self.unit.clone();
        Ok(self
            .model()
            .relations
            .get(&id)
            .and_then(|r| r.unit_data.get(&unit).cloned())
            .unwrap_or_default())
    }

    /// This application's published data on a relation. Refused: an
    /// unknown relation.
    pub fn published_app(&self, relation_id: &str) -> Result<DataBag, HarnessError> {
        let id = self.relation_number(relation_id)?;
        let app = self.app();
        Ok(self
            .model()
            .relations
            .get(&id)
            .and_then(|r| r.app_data.get(&app).cloned())
            .unwrap_or_default())
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
    pub fn relation_ids(&self, endpoint: &str) -> BTreeSet<RelationId> {
        let app = self.app();
        let unit = self.unit.clone();
        self.model()
            .relations
            .values()
            .filter(|r| {
                r.endpoints.get(&app).map(String::as_str) == Some(endpoint)
                    && r.members.contains_key(&unit)
            })
            .map(|r| RelationId::new(endpoint, r.id))
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
