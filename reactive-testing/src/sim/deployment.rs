//! The deployment simulator: whole models of charms, run in Juju's hook
//! order without Juju.
//!
//! A [`Deployment`] holds applications (each a charm, run in this process
//! or as real processes), their units with their own unit state and charm
//! directory, config, leadership and relations. Each step (deploy, relate,
//! config, remove-unit, remove-relation) queues the hooks Juju would run,
//! then runs the queue until it is empty, adding the `-relation-changed`
//! hooks that published data causes on the remote units. Data a hook
//! writes becomes visible to other units only when the hook succeeds.
//!
//! A hook that fails puts its unit in error, as Juju does: that unit's
//! later hooks wait behind the failed one while the other units and
//! applications go on ([`queue`](super::queue)); the step then reports the
//! failure, and [`Deployment::resolved`] (`juju resolved`) or
//! [`Deployment::retry`] runs the failed hook again and completes the
//! step.

mod secrets;
mod storage;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::model::ModelState;
use super::process::{ProcessHost, ProcessTiming};
use super::queue::{Entry, Finish, HookQueue};
use super::unit_tools::{ChangedBag, SharedModel, ToolCall, UnitTools};
use reactive_core::hook::HookInfo;
use reactive_core::names::{app_of, RelationId};
use reactive_core::runtime::{error_chain, run_hook, Charm, HookInput};
use reactive_core::unit_state::UnitState;

/// How an application's hooks run.
pub enum CharmRunner {
    /// In this process, with these handlers.
    InProcess(Charm),
    /// As a real process: the charm binary, run as Juju runs it.
    Process(super::process::ProcessCharm),
}

impl CharmRunner {
    /// The declared charm, run in this process: its handlers (and its
    /// endpoint types'), with its `metadata.yaml`, `config.yaml` and
    /// `actions.yaml` read from its source directory. Returns the runner
    /// and that directory (an [`AppSpec`]'s `charm_dir`).
    ///
    /// ```
    /// # mod my_charm { reactive_core::charm!(); }
    /// # use reactive_core::prelude::*;
    /// # #[when("never")] fn handler() {}
    /// use reactive_testing::sim::CharmRunner;
    ///
    /// // The declaration names a package without metadata.yaml here.
    /// let loaded = CharmRunner::in_process(&my_charm::charm());
    /// assert!(loaded.is_err());
    /// ```
    pub fn in_process(
        charm: &reactive_core::CharmDeclaration,
    ) -> Result<(CharmRunner, std::path::PathBuf), SimError> {
        let dir = charm.source_dir().to_path_buf();
        let loaded = Charm::load_with(&dir, charm.registry())
            .map_err(|e| SimError::Invalid(e.to_string()))?;
        Ok((CharmRunner::InProcess(loaded), dir))
    }
}

impl fmt::Debug for CharmRunner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CharmRunner::InProcess(charm) => write!(f, "InProcess({})", charm.metadata.name),
            CharmRunner::Process(p) => write!(f, "Process({})", p.binary.display()),
        }
    }
}

/// An application to deploy.
#[derive(Debug)]
pub struct AppSpec {
    /// The application's name.
    pub name: String,
    /// How its hooks run.
    pub runner: CharmRunner,
    /// The charm's source directory (holding `metadata.yaml` and
    /// `config.yaml`), copied into each unit's charm directory.
    pub charm_dir: PathBuf,
    /// The number of units.
    pub units: usize,
    /// Config values set at deploy time (over the defaults).
    pub config: Map<String, Value>,
}

/// A hook waiting to run on a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedHook {
    /// The unit.
    pub unit: String,
    /// The hook, with its relation context.
    pub hook: HookInfo,
}

/// What one hook run did.
#[derive(Debug, Clone, PartialEq)]
pub struct HookRun {
    /// The unit.
    pub unit: String,
    /// The hook's name.
    pub hook: String,
    /// `JUJU_REMOTE_UNIT`, when there is one.
    pub remote_unit: Option<String>,
    /// The ids of the handlers invoked, in order.
    pub invoked: Vec<String>,
    /// Every hook-tool call, in order.
    pub calls: Vec<ToolCall>,
    /// Flags set by the hook (compared with before it).
    pub flags_set: Vec<String>,
    /// Flags cleared by the hook.
    pub flags_cleared: Vec<String>,
    /// The relation data bags it changed.
    pub changed: Vec<ChangedBag>,
    /// `Err` with the message when the hook failed.
    pub result: Result<(), String>,
    /// Wall time of the hook.
    pub duration: Duration,
    /// For a charm run as a process: where the time went (the process, the
    /// charm's own account, the hook-tool calls served). `None` in process.
    pub process: Option<ProcessTiming>,
}

/// Why a step did not complete.
#[derive(Debug, Clone, PartialEq)]
pub enum SimError {
    /// A hook failed: its unit is in error, the hook stays queued ahead of
    /// that unit's later hooks (the other units went on), and
    /// [`Deployment::resolved`] or [`Deployment::retry`] runs it again.
    HookFailed {
        /// The unit.
        unit: String,
        /// The hook.
        hook: String,
        /// The error, as the charm reported it.
        error: String,
    },
    /// The model kept running hooks past the cap.
    NeverSettles {
        /// How many hooks ran in the step.
        hooks_run: usize,
        /// The next hooks still queued.
        pending: Vec<String>,
    },
    /// A step named something that does not exist.
    Unknown {
        /// What kind of thing (`application`, `unit`, `endpoint`, `relation`).
        what: &'static str,
        /// Its name.
        name: String,
    },
    /// A step that cannot be taken (e.g. relating incompatible endpoints).
    Invalid(String),
    /// Files could not be prepared.
    Io(String),
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::HookFailed { unit, hook, error } => {
                write!(f, "hook {hook} failed on {unit}: {error}")
            }
            SimError::NeverSettles { hooks_run, pending } => write!(
                f,
                "the model did not settle after {hooks_run} hooks; still queued: {}",
                pending.join(", ")
            ),
            SimError::Unknown { what, name } => write!(f, "unknown {what} `{name}`"),
            SimError::Invalid(message) => write!(f, "{message}"),
            SimError::Io(message) => write!(f, "{message}"),
        }
    }
}

impl std::error::Error for SimError {}

struct AppRuntime {
    runner: CharmRunner,
    charm_dir: PathBuf,
    next_unit: usize,
}

struct UnitRuntime {
    state: Option<UnitState>,
    dir: PathBuf,
    flags: Vec<String>,
}

/// A simulated Juju model running charms.
///
/// Besides relations, it runs the storage hooks (see
/// [`Deployment::add_storage`], [`Deployment::detach_storage`]) and the
/// secret hooks (see [`Deployment::rotate_secret`],
/// [`Deployment::expire_secret`]).
pub struct Deployment {
    model: SharedModel,
    apps: BTreeMap<String, AppRuntime>,
    units: BTreeMap<String, UnitRuntime>,
    queue: HookQueue,
    runs: Vec<HookRun>,
    workdir: PathBuf,
    max_hooks: usize,
    tracing: bool,
    /// The hook-tool server and tool links of charms run as processes,
    /// started at the first such deployment.
    processes: Option<ProcessHost>,
    /// The actions run in the current step.
    action_results: Vec<super::action::ActionResult>,
    /// How many actions ran (their ids).
    actions_run: u64,
}

impl fmt::Debug for Deployment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deployment")
            .field("workdir", &self.workdir)
            .field("apps", &self.apps.keys().collect::<Vec<_>>())
            .field("units", &self.units.keys().collect::<Vec<_>>())
            .field("queued", &self.queue.hooks().count())
            .finish()
    }
}

/// The most hooks one step may run before the model is said not to settle.
pub const DEFAULT_MAX_HOOKS: usize = 1000;

impl Deployment {
    /// An empty model whose units keep their charm directories under
    /// `workdir` (created if needed).
    pub fn new(workdir: &Path) -> Result<Self, SimError> {
        std::fs::create_dir_all(workdir)
            .map_err(|e| SimError::Io(format!("cannot create {}: {e}", workdir.display())))?;
        Ok(Deployment {
            model: Arc::new(Mutex::new(ModelState::default())),
            apps: BTreeMap::new(),
            units: BTreeMap::new(),
            queue: HookQueue::default(),
            runs: Vec::new(),
            workdir: workdir.to_path_buf(),
            max_hooks: DEFAULT_MAX_HOOKS,
            tracing: false,
            processes: None,
            action_results: Vec::new(),
            actions_run: 0,
        })
    }

    /// Set the cap on hooks per step.
    pub fn set_max_hooks(&mut self, max_hooks: usize) {
        self.max_hooks = max_hooks;
    }

    /// The id of the next action (`JUJU_ACTION_UUID`).
    pub(super) fn next_action_id(&mut self) -> u64 {
        self.actions_run += 1;
        self.actions_run
    }

    /// Log the dispatch tracer's account in every hook (in-process charms).
    pub fn set_tracing(&mut self, enabled: bool) {
        self.tracing = enabled;
    }

    /// The model's state.
    pub fn model(&self) -> std::sync::MutexGuard<'_, ModelState> {
        self.model.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The shared model (for hook-tool servers).
    pub fn shared_model(&self) -> SharedModel {
        self.model.clone()
    }

    /// The charm directory of a unit.
    pub fn unit_dir(&self, unit: &str) -> Option<&Path> {
        self.units.get(unit).map(|u| u.dir.as_path())
    }

    /// The persisted flags of a unit (as after its last successful hook).
    pub fn unit_flags(&self, unit: &str) -> Vec<String> {
        self.units
            .get(unit)
            .map(|u| u.flags.clone())
            .unwrap_or_default()
    }

    /// The hook-tool server and tool links serving the charms run as
    /// processes (started when the first one is deployed).
    pub fn process_host(&self) -> Option<&ProcessHost> {
        self.processes.as_ref()
    }

    /// The hooks run since the last call.
    pub fn take_runs(&mut self) -> Vec<HookRun> {
        std::mem::take(&mut self.runs)
    }

    /// Record a run (an action's) among the runs of the step.
    pub(super) fn push_run(&mut self, run: HookRun) {
        self.runs.push(run);
    }

    /// The actions run since the last call.
    pub fn take_action_results(&mut self) -> Vec<super::action::ActionResult> {
        std::mem::take(&mut self.action_results)
    }

    /// Record an action's result for the step's report.
    pub(super) fn push_action_result(&mut self, result: super::action::ActionResult) {
        self.action_results.push(result);
    }

    /// The actions `actions.yaml` declares for the application `app`.
    pub(super) fn app_actions(&self, app: &str) -> Option<&reactive_core::actions::ActionsSpec> {
        self.apps.get(app).map(|a| match &a.runner {
            CharmRunner::InProcess(charm) => charm.actions.as_ref(),
            CharmRunner::Process(p) => &p.actions,
        })
    }

    /// Whether `unit` is a unit of the model.
    pub(super) fn has_unit(&self, unit: &str) -> bool {
        self.units.contains_key(unit)
    }

    /// The hooks still queued.
    pub fn queued(&self) -> impl Iterator<Item = &QueuedHook> {
        self.queue.hooks()
    }

    /// The units in error (a hook failed and was not resolved yet), each
    /// with its failed hook and error, in the order they failed.
    pub fn failed_units(&self) -> Vec<(String, String, String)> {
        self.queue
            .blocked()
            .iter()
            .map(|b| (b.unit.clone(), b.hook.clone(), b.error.clone()))
            .collect()
    }

    fn app_name(&self, app: &str) -> Result<(), SimError> {
        if self.apps.contains_key(app) {
            Ok(())
        } else {
            Err(SimError::Unknown {
                what: "application",
                name: app.to_string(),
            })
        }
    }

    // ---- steps -------------------------------------------------------------

    /// Deploy an application: its units run `install`, `leader-elected`
    /// (the first unit), `config-changed` and `start`.
    pub fn deploy(&mut self, spec: AppSpec) -> Result<(), SimError> {
        if self.apps.contains_key(&spec.name) {
            return Err(SimError::Invalid(format!(
                "application `{}` is already deployed",
                spec.name
            )));
        }
        let (endpoints, defaults) = match &spec.runner {
            CharmRunner::InProcess(charm) => (
                charm
                    .metadata
                    .endpoints
                    .iter()
                    .map(|e| (e.name.clone(), e.interface.clone()))
                    .collect(),
                charm.config_options.defaults(),
            ),
            CharmRunner::Process(p) => {
                if self.processes.is_none() {
                    let host = ProcessHost::start(&self.workdir.join(".sim-processes"))?;
                    self.processes = Some(host);
                }
                (p.endpoints.clone(), p.config_defaults.clone())
            }
        };
        let storage = match &spec.runner {
            CharmRunner::InProcess(charm) => charm.metadata.storage.clone(),
            // A metadata file the charm cannot read is reported by the
            // charm's own first hook, naming it; it has no storage here.
            CharmRunner::Process(_) => {
                reactive_core::metadata::CharmMetadata::load(&spec.charm_dir)
                    .map(|m| m.storage)
                    .unwrap_or_default()
            }
        };
        let mut config = defaults;
        config.extend(spec.config.clone());
        self.model().add_app(&spec.name, endpoints, config);
        if let Some(app) = self.model().apps.get_mut(&spec.name) {
            app.storage = storage;
        }
        self.apps.insert(
            spec.name.clone(),
            AppRuntime {
                runner: spec.runner,
                charm_dir: spec.charm_dir,
                next_unit: 0,
            },
        );
        self.add_units(&spec.name, spec.units)?;
        self.run_until_quiet()
    }

    /// Add `count` units to an application. Each runs `install`, then
    /// `-relation-created` for each relation the application is in, then
    /// `leader-elected` if the application has no leader, `config-changed`
    /// and `start`; then it joins those relations: `-joined` and `-changed`
    /// on it for every remote unit, and on every remote unit for it.
    pub fn add_units(&mut self, app: &str, count: usize) -> Result<(), SimError> {
        self.app_name(app)?;
        for _ in 0..count {
            let runtime = self.apps.get_mut(app).expect("checked above");
            let unit = format!("{app}/{}", runtime.next_unit);
            runtime.next_unit += 1;
            let dir = self.workdir.join(unit.replace('/', "-"));
            prepare_charm_dir(&runtime.charm_dir, &dir)?;
            self.units.insert(
                unit.clone(),
                UnitRuntime {
                    state: Some(UnitState::in_memory()),
                    dir,
                    flags: Vec::new(),
                },
            );
            // (relation, this unit's endpoint, [(remote unit, its endpoint)])
            type Joining = (u32, String, Vec<(String, String)>);
            let (leader, relations) = {
                let mut model = self.model();
                model.add_unit(&unit, None);
                let app_state = model.apps.get_mut(app).expect("added at deploy");
                let leader = if app_state.leader.is_none() {
                    app_state.leader = Some(unit.clone());
                    true
                } else {
                    false
                };
                let ids: Vec<u32> = model
                    .relations
                    .values()
                    .filter(|r| r.endpoints.contains_key(app))
                    .map(|r| r.id)
                    .collect();
                let mut relations: Vec<Joining> = Vec::new();
                for id in ids {
                    model.enter_relation(id, &unit);
                    let r = &model.relations[&id];
                    let peer = r.endpoints.len() == 1;
                    let mut remotes: Vec<(String, String)> = r
                        .members
                        .keys()
                        .filter(|u| **u != unit && (peer || app_of(u) != app))
                        .map(|u| (u.clone(), r.endpoints[app_of(u)].clone()))
                        .collect();
                    remotes.sort_by(|a, b| reactive_core::names::unit_order(&a.0, &b.0));
                    relations.push((id, r.endpoints[app].clone(), remotes));
                }
                (leader, relations)
            };
            // Storage is attached before `install`, as in Juju.
            self.attach_initial_storage(&unit);
            self.queue_storage_attached();
            self.push(&unit, HookInfo::named("install"));
            for (id, endpoint, _) in &relations {
                self.push(&unit, relation_hook(endpoint, "created", *id, None, None));
            }
            if leader {
                self.push(&unit, HookInfo::named("leader-elected"));
            }
            self.push(&unit, HookInfo::named("config-changed"));
            self.push(&unit, HookInfo::named("start"));
            for (id, endpoint, remotes) in &relations {
                for (remote, their_endpoint) in remotes {
                    self.push(
                        &unit,
                        relation_hook(endpoint, "joined", *id, Some(remote), None),
                    );
                    self.push(
                        &unit,
                        relation_hook(endpoint, "changed", *id, Some(remote), None),
                    );
                    self.push(
                        remote,
                        relation_hook(their_endpoint, "joined", *id, Some(&unit), None),
                    );
                    self.push(
                        remote,
                        relation_hook(their_endpoint, "changed", *id, Some(&unit), None),
                    );
                }
            }
        }
        Ok(())
    }

    /// Relate `a` and `b`, each `app:endpoint`: `-relation-created` on every
    /// unit of both, then `-joined` and `-changed` on each for every remote
    /// unit, then the `-changed` hooks the published data causes, until
    /// quiet.
    /// Returns the relation's id as `a`'s side sees it (`endpoint:N`).
    pub fn relate(&mut self, a: &str, b: &str) -> Result<RelationId, SimError> {
        let (app_a, ep_a) = self.endpoint(a)?;
        let (app_b, ep_b) = self.endpoint(b)?;
        {
            let model = self.model();
            let interface_a = &model.apps[&app_a].endpoints[&ep_a];
            let interface_b = &model.apps[&app_b].endpoints[&ep_b];
            if interface_a != interface_b {
                return Err(SimError::Invalid(format!(
                    "cannot relate {a} ({interface_a}) to {b} ({interface_b}): different interfaces"
                )));
            }
        }
        let id = self
            .model()
            .add_relation(&[(&app_a, &ep_a), (&app_b, &ep_b)]);
        let units_a = self.model().units_of(&app_a);
        let units_b = self.model().units_of(&app_b);
        for unit in units_a.iter().chain(units_b.iter()) {
            self.model().enter_relation(id, unit);
        }
        for (unit, endpoint) in units_a
            .iter()
            .map(|u| (u, &ep_a))
            .chain(units_b.iter().map(|u| (u, &ep_b)))
        {
            self.push(unit, relation_hook(endpoint, "created", id, None, None));
        }
        for (units, endpoint, remotes) in [(&units_a, &ep_a, &units_b), (&units_b, &ep_b, &units_a)]
        {
            for unit in units {
                for remote in remotes {
                    self.push(
                        unit,
                        relation_hook(endpoint, "joined", id, Some(remote), None),
                    );
                    self.push(
                        unit,
                        relation_hook(endpoint, "changed", id, Some(remote), None),
                    );
                }
            }
        }
        self.run_until_quiet()?;
        Ok(RelationId::new(&ep_a, id))
    }

    /// Change config values of an application (`null` resets an option to
    /// its default): `config-changed` on every unit, then what follows.
    pub fn config(&mut self, app: &str, values: Map<String, Value>) -> Result<(), SimError> {
        self.app_name(app)?;
        let defaults = match &self.apps[app].runner {
            CharmRunner::InProcess(charm) => charm.config_options.defaults(),
            CharmRunner::Process(p) => p.config_defaults.clone(),
        };
        {
            let mut model = self.model();
            let config = &mut model.apps.get_mut(app).expect("checked").config;
            for (k, v) in values {
                if v.is_null() {
                    match defaults.get(&k) {
                        Some(d) => config.insert(k, d.clone()),
                        None => config.remove(&k),
                    };
                } else {
                    config.insert(k, v);
                }
            }
        }
        let units = self.model().units_of(app);
        for unit in units {
            self.push(&unit, HookInfo::named("config-changed"));
        }
        self.run_until_quiet()
    }

    /// Remove a unit: `-relation-departed` and `-relation-broken` on it for
    /// each of its relations, `-relation-departed` on each unit that saw it,
    /// then `stop` and `remove`; a new leader is elected if it led.
    pub fn remove_unit(&mut self, unit: &str) -> Result<(), SimError> {
        if !self.units.contains_key(unit) {
            return Err(SimError::Unknown {
                what: "unit",
                name: unit.to_string(),
            });
        }
        let app = app_of(unit).to_string();
        // (relation, this unit's endpoint, (unit that saw it, its endpoint))
        type Departure = (u32, String, Vec<(String, String)>);
        let relations: Vec<Departure> = {
            let model = self.model();
            model
                .relations
                .values()
                .filter(|r| r.members.contains_key(unit))
                .map(|r| {
                    let endpoint = r.endpoints[&app].clone();
                    let watchers = r
                        .members
                        .iter()
                        .filter(|(u, seen)| u.as_str() != unit && seen.contains(unit))
                        .map(|(u, _)| {
                            let their_endpoint = r.endpoints[app_of(u)].clone();
                            (u.clone(), their_endpoint)
                        })
                        .collect();
                    (r.id, endpoint, watchers)
                })
                .collect()
        };
        for (id, endpoint, watchers) in &relations {
            let remotes: Vec<String> = self
                .model()
                .relations
                .get(id)
                .and_then(|r| r.members.get(unit))
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default();
            for remote in remotes {
                self.push(
                    unit,
                    relation_hook(endpoint, "departed", *id, Some(&remote), Some(unit)),
                );
            }
            self.push(unit, relation_hook(endpoint, "broken", *id, None, None));
            for (watcher, their_endpoint) in watchers {
                self.push(
                    watcher,
                    relation_hook(their_endpoint, "departed", *id, Some(unit), Some(unit)),
                );
            }
        }
        self.queue_all_detaching(unit);
        self.push(unit, HookInfo::named("stop"));
        self.push(unit, HookInfo::named("remove"));
        self.queue.push_finish(Finish::UnitGone(unit.to_string()));
        self.run_until_quiet()
    }

    /// The unit is gone: its relation presence, its record, its runtime; a
    /// new leader is elected if it led.
    fn unit_gone(&mut self, unit: &str) {
        let app = app_of(unit).to_string();
        let new_leader = {
            let mut model = self.model();
            for relation in model.relations.values_mut() {
                relation.members.remove(unit);
                relation.unit_data.remove(unit);
                for seen in relation.members.values_mut() {
                    seen.remove(unit);
                }
            }
            model.units.remove(unit);
            let next = model.units_of(&app).into_iter().next();
            match model.apps.get_mut(&app) {
                Some(app_state) if app_state.leader.as_deref() == Some(unit) => {
                    app_state.leader = next.clone();
                    next
                }
                _ => None,
            }
        };
        self.units.remove(unit);
        self.queue.forget_unit(unit);
        if let Some(leader) = new_leader {
            self.push(&leader, HookInfo::named("leader-elected"));
        }
    }

    /// Remove a relation: `-relation-departed` for every remote unit, then
    /// `-relation-broken`, on every unit of both sides.
    /// The relation is named by its id as either side sees it (only its
    /// number counts).
    pub fn remove_relation(&mut self, id: &RelationId) -> Result<(), SimError> {
        let id = id.number();
        let plan: Vec<(String, String, Vec<String>)> = {
            let model = self.model();
            let relation = model.relations.get(&id).ok_or_else(|| SimError::Unknown {
                what: "relation",
                name: id.to_string(),
            })?;
            relation
                .members
                .iter()
                .map(|(u, seen)| {
                    (
                        u.clone(),
                        relation.endpoints[app_of(u)].clone(),
                        seen.iter().cloned().collect(),
                    )
                })
                .collect()
        };
        for (unit, endpoint, seen) in &plan {
            for remote in seen {
                self.push(
                    unit,
                    relation_hook(endpoint, "departed", id, Some(remote), Some(remote)),
                );
            }
            self.push(unit, relation_hook(endpoint, "broken", id, None, None));
        }
        self.queue.push_finish(Finish::RelationGone(id));
        self.run_until_quiet()
    }

    /// Queue `hook` on `unit` (as Juju would, for a hook the other steps do
    /// not cause, such as `update-status`); [`run_until_quiet`](Self::run_until_quiet)
    /// runs it. The unit's name is filled in; a hook already queued on the
    /// unit is not queued twice.
    ///
    /// # Errors
    ///
    /// [`SimError::Unknown`] for a unit not in the model;
    /// [`SimError::Invalid`] for a relation hook Juju could not run: its
    /// relation id is not one of the unit's relations as the unit sees it
    /// (`<its endpoint>:<number>`), the hook is not of that endpoint, or
    /// its remote unit is not on the relation.
    pub fn queue_hook(&mut self, unit: &str, hook: HookInfo) -> Result<(), SimError> {
        if !self.units.contains_key(unit) {
            return Err(SimError::Unknown {
                what: "unit",
                name: unit.to_string(),
            });
        }
        if let Some(rid) = &hook.relation_id {
            self.check_relation_hook(unit, &hook, rid)?;
        }
        self.push(unit, hook);
        Ok(())
    }

    /// Refuse a relation hook on `unit` that names relation `rid` as the
    /// unit could not see it.
    fn check_relation_hook(&self, unit: &str, hook: &HookInfo, rid: &str) -> Result<(), SimError> {
        let invalid = |why: String| {
            SimError::Invalid(format!(
                "cannot queue {} on {unit} with relation id `{rid}`: {why}",
                hook.name
            ))
        };
        let parsed: RelationId = rid.parse().map_err(|e| invalid(format!("{e}")))?;
        let model = self.model();
        let relation = model
            .relations
            .get(&parsed.number())
            .ok_or_else(|| invalid(format!("no relation {} in the model", parsed.number())))?;
        let seen_as = relation.relation_id_for(app_of(unit));
        if seen_as.as_deref() != Some(rid) {
            return Err(invalid(match seen_as {
                Some(own) => format!("{unit} sees that relation as `{own}`"),
                None => format!("{} is not on that relation", app_of(unit)),
            }));
        }
        if !hook
            .name
            .strip_prefix(parsed.endpoint())
            .is_some_and(|rest| rest.starts_with("-relation-"))
        {
            return Err(invalid(format!(
                "the hook is not one of endpoint `{}`",
                parsed.endpoint()
            )));
        }
        if let Some(remote) = &hook.remote_unit {
            let on_relation = relation.unit_data.contains_key(remote)
                || relation.members.values().any(|seen| seen.contains(remote));
            if !on_relation {
                return Err(invalid(format!("remote unit {remote} is not on it")));
            }
        }
        Ok(())
    }

    /// Resolve every unit in error (`juju resolved` on each): each failed
    /// hook runs again, then the rest of the queue.
    pub fn retry(&mut self) -> Result<(), SimError> {
        self.queue.resolve_all();
        self.run_until_quiet()
    }

    /// `juju resolved <unit>`: run the unit's failed hook again, then its
    /// waiting hooks and the rest of the queue. Other units in error stay
    /// in error.
    ///
    /// # Errors
    ///
    /// [`SimError::Invalid`] when the unit is not in error; otherwise as
    /// [`Deployment::run_until_quiet`].
    pub fn resolved(&mut self, unit: &str) -> Result<(), SimError> {
        if !self.queue.resolve(unit) {
            return Err(SimError::Invalid(format!("unit `{unit}` is not in error")));
        }
        self.run_until_quiet()
    }

    /// `juju resolved --no-retry <unit>`: go on without running the
    /// unit's failed hook again. As in Juju, what the hook published is
    /// lost, and what Juju records of it stands: a unit that joined or
    /// departed in it stays joined or departed for this unit. Then the
    /// unit's waiting hooks and the rest of the queue run.
    ///
    /// # Errors
    ///
    /// [`SimError::Invalid`] when the unit is not in error; otherwise as
    /// [`Deployment::run_until_quiet`].
    pub fn resolved_no_retry(&mut self, unit: &str) -> Result<(), SimError> {
        if !self.queue.skip(unit) {
            return Err(SimError::Invalid(format!("unit `{unit}` is not in error")));
        }
        self.run_until_quiet()
    }

    /// Run hooks until nothing can run: the queue is empty, or only units
    /// in error have hooks left. A failed hook puts its unit in error and
    /// the others go on.
    ///
    /// # Errors
    ///
    /// [`SimError::HookFailed`] naming the first unit still in error;
    /// [`SimError::NeverSettles`] past the cap of hooks.
    pub fn run_until_quiet(&mut self) -> Result<(), SimError> {
        let mut hooks_run = 0;
        while let Some(next) = self.queue.next().cloned() {
            let queued = match &next {
                Entry::Hook(queued) => queued.clone(),
                Entry::Finish(finish) => {
                    self.queue.done(&next);
                    match finish {
                        Finish::UnitGone(unit) => self.unit_gone(unit),
                        Finish::RelationGone(id) => {
                            self.model().relations.remove(id);
                        }
                    }
                    continue;
                }
            };
            if hooks_run >= self.max_hooks {
                return Err(SimError::NeverSettles {
                    hooks_run,
                    pending: self
                        .queue
                        .hooks()
                        .take(10)
                        .map(|q| format!("{} on {}", q.hook.name, q.unit))
                        .collect(),
                });
            }
            hooks_run += 1;
            let run = self.run_one(&queued)?;
            let failed = run.result.clone().err();
            let changed = run.changed.clone();
            self.runs.push(run);
            if let Some(error) = failed {
                self.queue.fail(&queued, error);
                continue;
            }
            self.queue.done(&next);
            self.after_hook(&queued, &changed);
            self.queue_storage_attached();
            self.queue_secret_hooks();
        }
        match self.queue.first_failure() {
            Some(failure) => Err(failure),
            None => Ok(()),
        }
    }

    // ---- internals ---------------------------------------------------------

    fn endpoint(&self, spec: &str) -> Result<(String, String), SimError> {
        let (app, endpoint) = spec
            .split_once(':')
            .ok_or_else(|| SimError::Invalid(format!("`{spec}` must be `application:endpoint`")))?;
        self.app_name(app)?;
        if !self.model().apps[app].endpoints.contains_key(endpoint) {
            return Err(SimError::Unknown {
                what: "endpoint",
                name: spec.to_string(),
            });
        }
        Ok((app.to_string(), endpoint.to_string()))
    }

    pub(super) fn push(&mut self, unit: &str, mut hook: HookInfo) {
        hook.unit_name = Some(unit.to_string());
        self.queue.push_hook(QueuedHook {
            unit: unit.to_string(),
            hook,
        });
    }

    /// Juju's bookkeeping around a hook: a unit sees a remote unit from its
    /// `-joined` on and stops seeing it at its `-departed`.
    fn before_hook(&self, queued: &QueuedHook) {
        let hook = &queued.hook;
        let (Some(rid), Some(remote)) = (&hook.relation_id, &hook.remote_unit) else {
            return;
        };
        let mut model = self.model();
        let Some(relation) = model.relation_by_id_mut(rid) else {
            return;
        };
        let seen = relation.members.entry(queued.unit.clone()).or_default();
        if hook.name.ends_with("-relation-joined") {
            seen.insert(remote.clone());
        } else if hook.name.ends_with("-relation-departed") {
            seen.remove(remote);
        }
    }

    fn run_one(&mut self, queued: &QueuedHook) -> Result<HookRun, SimError> {
        self.run_one_with(queued, None).map(|(run, _)| run)
    }

    /// Run one hook, or the action whose parameters are `action_params`;
    /// the action's state is handed back.
    pub(super) fn run_one_with(
        &mut self,
        queued: &QueuedHook,
        action_params: Option<Value>,
    ) -> Result<(HookRun, Option<super::unit_tools::ActionState>), SimError> {
        self.before_hook(queued);
        let unit = queued.unit.clone();
        let app = app_of(&unit).to_string();
        let runtime = self.units.get_mut(&unit).ok_or_else(|| SimError::Unknown {
            what: "unit",
            name: unit.clone(),
        })?;
        let mut hook = queued.hook.clone();
        hook.charm_dir = Some(runtime.dir.clone());
        let mut unit_tools =
            UnitTools::new(self.model.clone(), &unit).with_storage(hook.storage_id.clone());
        if let Some(params) = action_params {
            unit_tools = unit_tools.with_action(params);
        }
        let tools = Arc::new(Mutex::new(unit_tools));
        let started = Instant::now();
        let app_runtime = self.apps.get(&app).ok_or_else(|| SimError::Unknown {
            what: "application",
            name: app.clone(),
        })?;
        let (invoked, result, flags, process_timing) = match &app_runtime.runner {
            CharmRunner::InProcess(charm) => {
                let state = runtime.state.take().unwrap_or_else(UnitState::in_memory);
                let outcome = run_hook(
                    charm,
                    HookInput {
                        hook: hook.clone(),
                        state,
                        tools: Box::new(tools.clone()),
                        tracing: self.tracing,
                        previous_config: Default::default(),
                        process_ends: false,
                    },
                );
                runtime.state = Some(outcome.state);
                let result = outcome.result.map_err(|e| error_chain(&e));
                let flags = if result.is_ok() {
                    outcome.flags
                } else {
                    runtime.flags.clone()
                };
                (outcome.report.invoked, result, flags, None)
            }
            CharmRunner::Process(process) => {
                let host = self.processes.as_ref().ok_or_else(|| {
                    SimError::Invalid("no hook-tool server for charms run as processes".into())
                })?;
                let outcome = process.run(host, &hook, &runtime.dir, tools.clone())?;
                let flags = match (&outcome.result, outcome.flags) {
                    (Ok(()), Some(flags)) => flags,
                    _ => runtime.flags.clone(),
                };
                (outcome.invoked, outcome.result, flags, Some(outcome.timing))
            }
        };
        let duration = started.elapsed();
        let mut tools = tools.lock().unwrap_or_else(|p| p.into_inner());
        let changed = tools.finish(result.is_ok());
        let before = std::mem::replace(&mut runtime.flags, flags.clone());
        let action = tools.action().cloned();
        let run = HookRun {
            unit,
            hook: hook.name.clone(),
            remote_unit: hook.remote_unit.clone(),
            invoked,
            calls: tools.calls().to_vec(),
            flags_set: flags
                .iter()
                .filter(|f| !before.contains(f))
                .cloned()
                .collect(),
            flags_cleared: before
                .iter()
                .filter(|f| !flags.contains(f))
                .cloned()
                .collect(),
            changed,
            result,
            duration,
            process: process_timing,
        };
        Ok((run, action))
    }

    /// Queue the `-relation-changed` hooks that a successful hook's published
    /// data causes on the units that see it.
    pub(super) fn after_hook(&mut self, queued: &QueuedHook, changed: &[ChangedBag]) {
        let mut to_queue = Vec::new();
        {
            let model = self.model();
            for bag in changed {
                match bag {
                    ChangedBag::Unit { relation, unit } => {
                        let Some(r) = model.relations.get(relation) else {
                            continue;
                        };
                        for (watcher, seen) in &r.members {
                            if watcher != unit && seen.contains(unit) {
                                let endpoint = r.endpoints[app_of(watcher)].clone();
                                to_queue.push((
                                    watcher.clone(),
                                    relation_hook(
                                        &endpoint,
                                        "changed",
                                        *relation,
                                        Some(unit),
                                        None,
                                    ),
                                ));
                            }
                        }
                    }
                    ChangedBag::App { relation, app } => {
                        let Some(r) = model.relations.get(relation) else {
                            continue;
                        };
                        for watcher in r.members.keys() {
                            let same_app = app_of(watcher) == app;
                            let peer = r.endpoints.len() == 1;
                            if watcher != &queued.unit && (!same_app || peer) {
                                let endpoint = r.endpoints[app_of(watcher)].clone();
                                let mut hook =
                                    relation_hook(&endpoint, "changed", *relation, None, None);
                                hook.remote_app = Some(app.clone());
                                to_queue.push((watcher.clone(), hook));
                            }
                        }
                    }
                }
            }
        }
        for (unit, hook) in to_queue {
            self.push(&unit, hook);
        }
    }
}

/// A relation hook `<endpoint>-relation-<event>` of relation `id`.
fn relation_hook(
    endpoint: &str,
    event: &str,
    id: u32,
    remote_unit: Option<&str>,
    departing: Option<&str>,
) -> HookInfo {
    let mut hook = HookInfo::named(format!("{endpoint}-relation-{event}"));
    hook.relation = Some(endpoint.to_string());
    hook.relation_id = Some(format!("{endpoint}:{id}"));
    hook.remote_unit = remote_unit.map(str::to_string);
    hook.remote_app = remote_unit.map(|u| app_of(u).to_string());
    hook.departing_unit = departing.map(str::to_string);
    hook
}

/// Make a unit's charm directory: a copy of the charm's `metadata.yaml`,
/// `config.yaml`, `actions.yaml` (and `charmcraft.yaml`) when present.
fn prepare_charm_dir(source: &Path, dir: &Path) -> Result<(), SimError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| SimError::Io(format!("cannot create {}: {e}", dir.display())))?;
    for name in [
        "metadata.yaml",
        "config.yaml",
        "actions.yaml",
        "charmcraft.yaml",
    ] {
        let from = source.join(name);
        if from.exists() {
            std::fs::copy(&from, dir.join(name))
                .map_err(|e| SimError::Io(format!("cannot copy {}: {e}", from.display())))?;
        }
    }
    Ok(())
}
