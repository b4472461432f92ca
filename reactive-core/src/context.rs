//! The per-hook context: every piece of state one hook invocation touches.
//!
//! There is no global mutable state in the framework: a [`Context`] holds
//! the unit's flags, its unit state, the hook's triggers and its log, and is
//! handed to every handler. Many contexts can live in one process (tests run
//! dispatches in parallel threads).

mod action;
mod model_tools;
mod network;

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::config::Config;
use crate::dispatch::watch::FlagWatch;
use crate::endpoint::{AnyEndpoint, Endpoint, EndpointBase};
use crate::flags::{FlagStore, FlagView, FLAG_KEY_PREFIX};
use crate::hook::HookInfo;
use crate::log::{LogLevel, LogSink, MemoryLog, NullLog};
use crate::metadata::CharmMetadata;
use crate::registry::Registry;
use crate::tools::handle::ToolsHandle;
use crate::tools::{HookTools, ToolError, WorkloadState};
use crate::tracer::Tracer;
use crate::triggers::{Trigger, TriggerError, Triggers};
use crate::unit_state::{StateError, UnitState};

/// Everything one hook invocation works on.
///
/// Handlers receive it as a parameter:
///
/// ```
/// use reactive_core::prelude::*;
///
/// #[when("db.ready")]
/// #[when_not("app.configured")]
/// fn configure(ctx: &mut Context) {
///     ctx.set_flag("app.configured");
/// }
/// # fn main() {}
/// ```
pub struct Context {
    hook: HookInfo,
    metadata: Arc<CharmMetadata>,
    state: UnitState,
    flags: FlagStore,
    triggers: Triggers,
    log: RefCell<Box<dyn LogSink>>,
    forward_logs: bool,
    tools: ToolsHandle,
    config: Config,
    pub(crate) tracer: Tracer,
    pub(crate) watch: FlagWatch,
    pub(crate) registry: Option<Arc<Registry>>,
    endpoints: std::collections::BTreeMap<String, Box<dyn AnyEndpoint>>,
    /// The handler being invoked, while dispatch runs one (it tells an
    /// endpoint parameter which endpoint the handler is about).
    pub(crate) current_handler: Option<&'static crate::handler::HandlerDescriptor>,
    /// Whether a handler asked to end the dispatch (see
    /// [`Context::stop_dispatch`]).
    stop_requested: bool,
    /// The message the running action was failed with (`action-fail`).
    action_failure: Option<String>,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("hook", &self.hook)
            .field("flags", &self.flags.summary().0)
            .field("flags_not_read", &self.flags.summary().1)
            .field("triggers", &self.triggers.len())
            .finish_non_exhaustive()
    }
}

impl Context {
    /// A context for `hook` over the unit state `state`, loading the unit's
    /// flags from it. Log lines are dropped until [`Context::set_log`] gives
    /// a sink.
    pub fn new(hook: HookInfo, state: UnitState) -> Result<Self, StateError> {
        Context::try_new(hook, state).map_err(|failed| failed.0)
    }

    /// Like [`Context::new`], but hands the unit state back on failure.
    pub fn try_new(
        hook: HookInfo,
        mut state: UnitState,
    ) -> Result<Self, Box<(StateError, UnitState)>> {
        // Read as text and decoded here, not through the state's read
        // cache: the flag store is where flags are read from from now on.
        let flags = match FlagStore::read(&mut state) {
            Ok(flags) => flags,
            Err(e) => return Err(Box::new((e, state))),
        };
        Ok(Context {
            hook,
            metadata: Arc::new(CharmMetadata::default()),
            flags,
            state,
            triggers: Triggers::default(),
            log: RefCell::new(Box::new(NullLog)),
            forward_logs: false,
            tools: ToolsHandle::default(),
            config: Config::default(),
            tracer: Tracer::default(),
            watch: FlagWatch::default(),
            registry: None,
            endpoints: std::collections::BTreeMap::new(),
            current_handler: None,
            stop_requested: false,
            action_failure: None,
        })
    }

    /// A context for a hook called `hook_name` over an empty in-memory unit
    /// state, logging to a [`MemoryLog`] (give your own with [`Context::set_log`] to read the lines).
    /// Meant for tests and examples.
    pub fn in_memory(hook_name: &str) -> Self {
        let mut ctx = Context::new(HookInfo::named(hook_name), UnitState::in_memory())
            .expect("an empty in-memory unit state always loads");
        ctx.set_log(MemoryLog::default());
        ctx
    }

    /// Send log lines to `sink` from now on.
    pub fn set_log(&mut self, sink: impl LogSink + 'static) {
        self.log = RefCell::new(Box::new(sink));
    }

    /// Give the charm's metadata (endpoints), used to expand
    /// `{role:interface}` in hook patterns.
    pub fn set_metadata(&mut self, metadata: Arc<CharmMetadata>) {
        self.metadata = metadata;
    }

    /// Turn the dispatch tracer on or off: when on, dispatch logs at DEBUG
    /// its start with the set flags, each phase and iteration with the
    /// queued handlers, and each flag change with the handlers it queued or
    /// dequeued (`REACTIVE_TRACE=1` turns it on for a charm binary).
    pub fn set_tracing(&mut self, enabled: bool) {
        self.tracer.set_enabled(enabled);
    }

    /// The hook being run.
    pub fn hook(&self) -> &HookInfo {
        &self.hook
    }

    /// The hook's name.
    pub fn hook_name(&self) -> &str {
        &self.hook.name
    }

    /// The charm's metadata.
    pub fn metadata(&self) -> &CharmMetadata {
        &self.metadata
    }

    /// The unit's persistent key-value store. Changes are committed with
    /// the hook, or dropped with it.
    pub fn unit_state(&mut self) -> &mut UnitState {
        &mut self.state
    }

    /// Write a log line: to the context's sink and, in a hook, through
    /// `juju-log`.
    pub fn log(&self, level: LogLevel, message: &str) {
        self.log.borrow_mut().log(level, message);
        if self.forward_logs {
            if let Err(e) = self.tools.with(|t| t.juju_log(level, message)) {
                eprintln!("juju-log failed ({e}); the message was: {level}: {message}");
            }
        }
    }

    /// Talk to Juju through `tools` from now on (answers that cannot change
    /// within a hook are cached); with `forward_logs`, every log line also
    /// goes to `juju-log`.
    pub fn set_tools(&mut self, tools: Box<dyn HookTools>, forward_logs: bool) {
        self.tools = ToolsHandle::new(tools);
        self.forward_logs = forward_logs;
    }

    /// Take the hook tools back (at the end of a hook).
    pub fn take_tools(&mut self) -> Box<dyn HookTools> {
        self.forward_logs = false;
        self.tools.take()
    }

    /// The hook tools: the one door to Juju. Prefer the typed helpers
    /// ([`Context::status_set`], [`Context::is_leader`], …); for anything
    /// else, `ctx.tools().with(|t| t.network_get("db"))`.
    pub fn tools(&self) -> &ToolsHandle {
        &self.tools
    }

    /// The charm's configuration for this hook.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Replace the configuration (done at startup from `config-get`).
    pub fn set_config(&mut self, config: Config) {
        self.config = config;
    }

    /// Set this unit's workload status.
    pub fn status_set(&self, state: WorkloadState, message: &str) -> Result<(), ToolError> {
        self.tools.with(|t| t.status_set(false, state, message))
    }

    /// Set the application's workload status (leader only).
    pub fn application_status_set(
        &self,
        state: WorkloadState,
        message: &str,
    ) -> Result<(), ToolError> {
        self.tools.with(|t| t.status_set(true, state, message))
    }

    /// Whether this unit is its application's leader.
    pub fn is_leader(&self) -> Result<bool, ToolError> {
        self.tools.with(|t| t.is_leader())
    }

    /// `unit-get KEY`, e.g. `private-address`.
    pub fn unit_get(&self, key: &str) -> Result<String, ToolError> {
        self.tools.with(|t| t.unit_get(key))
    }

    // ---- flags -----------------------------------------------------------

    /// Set `flag` (with a null value). Setting a set flag is not a change.
    pub fn set_flag(&mut self, flag: &str) {
        self.set_flag_value(flag, Value::Null);
    }

    /// Set `flag` with `value`. Setting a set flag updates its value and is
    /// not a change; a change fires the flag's triggers before this returns.
    pub fn set_flag_value(&mut self, flag: &str, value: impl Into<Value>) {
        let tracing = self.tracer.is_enabled();
        let before = tracing.then(|| self.traced_watchers(flag));
        if !self.flags.set(flag, value.into(), &self.state) {
            return;
        }
        self.watch.change(flag);
        if let Some(before) = before {
            self.trace_flag_change("set", flag, before);
        }
        if let Some(actions) = self.triggers.actions(flag, true) {
            self.run_trigger_actions(actions);
        }
    }

    /// Clear `flag`. Clearing an unset flag is not a change, but still makes
    /// the dispatch loop re-test its queue.
    pub fn clear_flag(&mut self, flag: &str) {
        self.watch.note_clear();
        let tracing = self.tracer.is_enabled();
        let before = tracing.then(|| self.traced_watchers(flag));
        if !self.flags.clear(flag, &self.state) {
            return;
        }
        self.watch.change(flag);
        if let Some(before) = before {
            self.trace_flag_change("cleared", flag, before);
        }
        if let Some(actions) = self.triggers.actions(flag, false) {
            self.run_trigger_actions(actions);
        }
    }

    /// Set `flag` when `should_set`, else clear it.
    pub fn toggle_flag(&mut self, flag: &str, should_set: bool) {
        if should_set {
            self.set_flag(flag)
        } else {
            self.clear_flag(flag)
        }
    }

    /// Whether `flag` is set.
    pub fn is_flag_set(&self, flag: &str) -> bool {
        self.flags.is_set(flag, &self.state)
    }

    /// Whether every one of `flags` is set (true for none).
    pub fn all_flags_set(&self, flags: &[&str]) -> bool {
        flags.iter().all(|f| self.flags.is_set(f, &self.state))
    }

    /// Whether at least one of `flags` is set (false for none).
    pub fn any_flags_set(&self, flags: &[&str]) -> bool {
        flags.iter().any(|f| self.flags.is_set(f, &self.state))
    }

    /// Every set flag, sorted.
    pub fn get_flags(&self) -> Vec<String> {
        self.flags.names(&self.state)
    }

    /// Those of `flags` that are not set, sorted.
    pub fn get_unset_flags(&self, flags: &[&str]) -> Vec<String> {
        let mut unset: Vec<String> = flags
            .iter()
            .filter(|f| !self.flags.is_set(f, &self.state))
            .map(|f| f.to_string())
            .collect();
        unset.sort_unstable();
        unset.dedup();
        unset
    }

    /// The value `flag` was set with, `None` when it is not set.
    pub fn flag_value(&self, flag: &str) -> Option<&Value> {
        self.flags.value(flag, &self.state)
    }

    /// The flags as handlers' conditions test them.
    pub(crate) fn flag_view(&self) -> FlagView<'_> {
        FlagView {
            store: &self.flags,
            state: &self.state,
        }
    }

    // ---- ending the dispatch early ----------------------------------------

    /// End this hook's dispatch as a success once the running handler
    /// returns (charms.reactive: `sys.exit(0)` in a handler).
    ///
    /// No other handler runs in this hook: the rest of the queue and every
    /// later phase and iteration are skipped. The hook then ends as after
    /// any successful dispatch: the exit work runs (modified relation data
    /// is published, this hook's config flags and triggers are dropped) and
    /// the unit state is committed. The handler itself completed, so an
    /// `#[only_once]` handler counts as invoked. A handler that returns an
    /// error still fails the hook.
    ///
    /// ```
    /// use reactive_core::Context;
    /// let mut ctx = Context::in_memory("install");
    /// ctx.stop_dispatch();
    /// assert!(ctx.dispatch_stopped());
    /// ```
    pub fn stop_dispatch(&mut self) {
        self.stop_requested = true;
    }

    /// Whether [`Context::stop_dispatch`] was called during the dispatch
    /// under way (the request ends with it).
    pub fn dispatch_stopped(&self) -> bool {
        self.stop_requested
    }

    pub(crate) fn reset_dispatch_stop(&mut self) {
        self.stop_requested = false;
    }

    // ---- triggers --------------------------------------------------------

    /// Register a trigger for the rest of this hook invocation.
    pub fn register_trigger(&mut self, trigger: Trigger) -> Result<(), TriggerError> {
        self.triggers.register(trigger)
    }

    /// Drop every trigger (done at the end of every hook).
    pub fn clear_triggers(&mut self) {
        self.triggers.clear();
    }

    fn run_trigger_actions(&mut self, actions: crate::triggers::TriggerActions) {
        for flag in &actions.set_flags {
            self.set_flag(flag);
        }
        for flag in &actions.clear_flags {
            self.clear_flag(flag);
        }
        for callback in &actions.callbacks {
            callback(self);
        }
    }

    // ---- tracing ---------------------------------------------------------

    fn traced_watchers(&self, flag: &str) -> Vec<(usize, bool)> {
        match (&self.registry, self.watch.phase()) {
            (Some(registry), Some(phase)) => registry
                .watchers(flag)
                .iter()
                .filter(|&&h| registry.handler(h).runs_in(phase))
                .map(|&h| {
                    (
                        h,
                        registry.handler(h).flag_conditions_hold(&self.flag_view()),
                    )
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    fn trace_flag_change(&mut self, verb: &str, flag: &str, before: Vec<(usize, bool)>) {
        let mut lines = vec![format!("{verb} flag {flag}")];
        if let Some(registry) = &self.registry {
            let mut queued = Vec::new();
            let mut dequeued = Vec::new();
            for (h, held) in before {
                let entry = registry.handler(h);
                let holds = entry.flag_conditions_hold(&self.flag_view());
                if holds && !held {
                    queued.push(entry.id().to_string());
                } else if held && !holds {
                    dequeued.push(entry.id().to_string());
                }
            }
            lines.extend(
                queued
                    .into_iter()
                    .map(|id| format!("++   queue handler {id}")),
            );
            lines.extend(
                dequeued
                    .into_iter()
                    .map(|id| format!("-- dequeue handler {id}")),
            );
        }
        self.tracer.emit_all(lines);
        self.flush_tracer();
    }

    pub(crate) fn flush_tracer(&mut self) {
        if let Some(message) = self.tracer.take_message() {
            self.log(LogLevel::Debug, &message);
        }
    }

    // ---- endpoints -------------------------------------------------------

    /// The names of the endpoint instances of this hook, sorted.
    pub fn endpoint_names(&self) -> Vec<String> {
        self.endpoints.keys().cloned().collect()
    }

    /// The framework-managed part of the endpoint called `name`, whatever
    /// its type (charms.reactive's `endpoint_from_name`).
    pub fn endpoint_from_name(&self, name: &str) -> Option<&EndpointBase> {
        self.endpoints.get(name).map(|e| e.base())
    }

    /// The endpoint named by a set flag: `endpoint.<name>.…`, or the legacy
    /// `<name>.…` (charms.reactive's `endpoint_from_flag`). `None` when the
    /// flag is not set or names no endpoint.
    pub fn endpoint_from_flag(&self, flag: &str) -> Option<&EndpointBase> {
        self.endpoint_name_from_flag(flag)
            .and_then(|name| self.endpoint_from_name(&name))
    }

    fn endpoint_name_from_flag(&self, flag: &str) -> Option<String> {
        if !self.is_flag_set(flag) {
            return None;
        }
        let mut parts = flag.split('.');
        let first = parts.next()?;
        let name = if first == "endpoint" {
            parts.next()?
        } else {
            first
        };
        if flag.split('.').count() < 2 {
            return None;
        }
        Some(name.to_string())
    }

    /// The endpoint instance `name`, if it is of type `T`.
    pub fn endpoint<T: Endpoint>(&self, name: &str) -> Option<&T> {
        self.endpoints.get(name)?.as_any().downcast_ref::<T>()
    }

    /// The endpoint instance `name`, mutably, if it is of type `T`.
    pub fn endpoint_mut<T: Endpoint>(&mut self, name: &str) -> Option<&mut T> {
        self.endpoints
            .get_mut(name)?
            .as_any_mut()
            .downcast_mut::<T>()
    }

    /// Run `f` with the endpoint instance `name` (of type `T`) and the
    /// context together; `None` when there is no such instance.
    ///
    /// ```
    /// # use reactive_core::prelude::*;
    /// # fn example<T: Endpoint>(ctx: &mut Context) {
    /// let joined = ctx.with_endpoint::<T, _>("db", |db, ctx| {
    ///     ctx.toggle_flag("app.db-joined", db.is_joined());
    ///     db.is_joined()
    /// });
    /// # }
    /// ```
    pub fn with_endpoint<T: Endpoint, R>(
        &mut self,
        name: &str,
        f: impl FnOnce(&mut T, &mut Context) -> R,
    ) -> Option<R> {
        let mut instance = self.endpoints.remove(name)?;
        let result = instance
            .as_any_mut()
            .downcast_mut::<T>()
            .map(|endpoint| f(endpoint, self));
        self.endpoints.insert(name.to_string(), instance);
        result
    }

    /// Write every endpoint's departed-units list that changed into the
    /// unit state, so that it reads back at once.
    pub(crate) fn save_departed_units(&mut self) {
        for (name, instance) in self.endpoints.iter_mut() {
            instance
                .base_mut()
                .all_departed_units_mut()
                .save_if_changed(name, &mut self.state);
        }
    }

    pub(crate) fn take_endpoint(&mut self, name: &str) -> Option<Box<dyn AnyEndpoint>> {
        self.endpoints.remove(name)
    }

    pub(crate) fn put_endpoint(&mut self, name: &str, instance: Box<dyn AnyEndpoint>) {
        self.endpoints.insert(name.to_string(), instance);
    }

    // ---- persistence -----------------------------------------------------

    /// Write the flags into the unit state and commit everything the hook
    /// changed in one transaction. Triggers are dropped. On error nothing
    /// is written.
    ///
    /// # Errors
    ///
    /// The first read of an endpoint's changed-key flag that failed during
    /// the hook (such a flag is read when a question needs it, and the
    /// question was answered "not set"), or the commit's own error.
    pub fn commit(&mut self) -> Result<(), StateError> {
        if let Some(error) = self.flags.take_error() {
            return Err(error);
        }
        for (flag, value) in self.flags.take_touched() {
            let key = format!("{FLAG_KEY_PREFIX}{flag}");
            match value {
                Some(value) => self.state.set(&key, value),
                None => self.state.unset(&key),
            }
        }
        self.state.commit()?;
        self.triggers.clear();
        Ok(())
    }

    /// Give up the context without writing anything: the unit state stays
    /// as it was before the hook.
    pub fn rollback(mut self) -> UnitState {
        self.state.rollback();
        self.state
    }

    /// Leave the endpoints and the flags of this hook to the process's
    /// exit, unfreed: the charm binary exits right after its hook, and the
    /// operating system takes the memory back at once (see
    /// [`HookInput::process_ends`](crate::runtime::HookInput::process_ends)).
    /// Nothing they hold needs closing: the unit state stays here.
    pub(crate) fn leave_memory_to_exit(&mut self) {
        std::mem::forget(std::mem::take(&mut self.endpoints));
        std::mem::forget(std::mem::take(&mut self.flags));
    }

    /// Finish the context, returning its unit state (after [`Context::commit`]).
    pub fn into_unit_state(self) -> UnitState {
        self.state
    }
}
