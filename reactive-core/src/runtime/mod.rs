//! The charm runtime: what happens in one hook, from reading the context to
//! committing the unit state.
//!
//! Every hook first logs `Reactive main running for hook <name>` at INFO
//! (restricted hooks add `Restricted mode.` and are never traced).
//! Sequence (non-restricted hooks): open the unit state; publish again
//! what the last committed hook published and Juju did not keep
//! ([`republish`]); startup work
//! (upgrade-series flags, config flags, leadership flags, endpoints);
//! [`dispatch`](crate::dispatch()); exit work (publish modified relation
//! data, clear this hook's config flags, drop triggers); commit, with the
//! record of what the hook published. Restricted
//! hooks (`collect-metrics`, `meter-status-changed`) run only dispatch.
//! Any error aborts the hook: it is logged at ERROR through `juju-log` and
//! stderr, the unit state is rolled back, nothing is published, and the
//! process exits 1 so that Juju retries the hook.
//!
//! An action (`JUJU_DISPATCH_PATH=actions/<name>`) runs only its
//! `#[action]` handlers, with no start-up flags and no dispatch loop; see
//! [`action`] for its rules and exit code.

pub mod action;
pub mod builtin_flags;
pub mod charm;
mod charm_files;
pub mod cli;
mod endpoints;
pub mod entry;
pub mod once_marks;
pub mod persistent_config;
pub mod republish;

use std::fmt;

use crate::dispatch::{DispatchError, DispatchReport};
use crate::hook::HookInfo;
use crate::log::LogLevel;
use crate::tools::HookTools;
use crate::unit_state::{StateError, UnitState};
use crate::Context;

pub use action::ActionFailure;
pub use builtin_flags::StartupError;
pub use charm::{Charm, CharmError};
pub use entry::run;
pub use persistent_config::PreviousConfigStore;

/// Everything one hook run needs besides the charm.
pub struct HookInput {
    /// The hook.
    pub hook: HookInfo,
    /// The unit's state, as left by the previous hook.
    pub state: UnitState,
    /// The door to Juju.
    pub tools: Box<dyn HookTools>,
    /// Whether to log the dispatch tracer's account.
    pub tracing: bool,
    /// Where the config seen by the previous successful hook is kept:
    /// charmhelpers' `.juju-persistent-config` in the charm directory under
    /// Juju, the unit state when there is no charm directory on disk.
    pub previous_config: PreviousConfigStore,
    /// Whether the process ends with the hook, as a charm binary's does:
    /// the hook's endpoints and flags are then left for the operating
    /// system to take back at the exit, not freed one object at a time
    /// (with a thousand related units, about a tenth of the hook's
    /// instructions), and [`HookOutcome::flags`] is left empty. `false`
    /// for a harness or a simulator running many hooks in one process.
    pub process_ends: bool,
}

/// What a hook run did.
pub struct HookOutcome {
    /// The dispatch report (also on failure, as far as it got: the handlers
    /// invoked before the failure are not listed then).
    pub report: DispatchReport,
    /// `Ok` when the hook succeeded and its state was committed.
    pub result: Result<(), HookError>,
    /// The unit state: committed on success, as before the hook on failure.
    pub state: UnitState,
    /// The hook tools, handed back.
    pub tools: Box<dyn HookTools>,
    /// Every flag set at the end of the hook (as committed on success);
    /// empty when [`HookInput::process_ends`].
    pub flags: Vec<String>,
}

/// Why a hook failed.
#[derive(Debug)]
pub enum HookError {
    /// Startup work failed.
    Startup(StartupError),
    /// A handler failed, or the state could not be read during dispatch.
    Dispatch(DispatchError),
    /// Relation data could not be published.
    Publish(crate::tools::ToolError),
    /// The unit state could not be committed.
    Commit(StateError),
    /// The config of this hook could not be saved for the next one.
    PreviousConfig(persistent_config::PersistentConfigError),
    /// What the last committed hook published could not be checked or
    /// published again.
    Republish(republish::ReconcileError),
    /// The action failed (its handler's error, or `action-fail`).
    Action(ActionFailure),
}

impl fmt::Display for HookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HookError::Startup(e) => write!(f, "startup failed: {e}"),
            HookError::Dispatch(e) => write!(f, "{e}"),
            HookError::Publish(e) => write!(f, "publishing relation data failed: {e}"),
            HookError::Commit(e) => write!(f, "saving the unit state failed: {e}"),
            HookError::PreviousConfig(e) => write!(f, "saving the config failed: {e}"),
            HookError::Republish(e) => write!(f, "{e}"),
            HookError::Action(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for HookError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HookError::Startup(e) => Some(e),
            HookError::Dispatch(e) => Some(e),
            HookError::Publish(e) => Some(e),
            HookError::Commit(e) => Some(e),
            HookError::PreviousConfig(e) => Some(e),
            HookError::Republish(e) => Some(e),
            HookError::Action(e) => Some(e),
        }
    }
}

/// The error with its chain of causes, on one line.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Run one hook of `charm`.
pub fn run_hook(charm: &Charm, input: HookInput) -> HookOutcome {
    let HookInput {
        hook,
        state,
        tools,
        tracing,
        previous_config,
        process_ends,
    } = input;
    let mut state = state;
    // The reads of the start of the hook share one transaction, ended
    // before the first handler runs (see `UnitState::begin_reads`).
    state.begin_reads();
    let mut ctx = match Context::try_new(hook, state) {
        Ok(ctx) => ctx,
        Err(failed) => {
            let (e, mut state) = *failed;
            state.rollback();
            return HookOutcome {
                report: DispatchReport::default(),
                result: Err(HookError::Startup(StartupError::State(e))),
                state,
                tools,
                flags: Vec::new(),
            };
        }
    };
    ctx.set_tools(tools, true);
    ctx.set_metadata(charm.metadata.clone());
    let restricted = ctx.hook().is_restricted();
    let announce = format!("Reactive main running for hook {}", ctx.hook_name());
    ctx.log(LogLevel::Info, &announce);
    if restricted {
        ctx.log(LogLevel::Info, "Restricted mode.");
    }
    // As in charms.reactive, the tracer is installed by the start-up work,
    // which restricted hooks skip.
    ctx.set_tracing(tracing && !restricted);

    let mut report = DispatchReport::default();
    let result = run_in_context(charm, &mut ctx, &mut report, &previous_config);
    let flags = if process_ends {
        Vec::new()
    } else {
        ctx.get_flags()
    };
    if process_ends {
        ctx.leave_memory_to_exit();
    }
    if let Err(e) = &result {
        let message = match e {
            HookError::Action(failure) => failure.to_string(),
            e => format!("hook {} failed: {}", ctx.hook_name(), error_chain(e)),
        };
        ctx.log(LogLevel::Error, &message);
        eprintln!("ERROR: {message}");
        let tools = ctx.take_tools();
        let state = ctx.rollback();
        return HookOutcome {
            report,
            result,
            state,
            tools,
            flags,
        };
    }
    let tools = ctx.take_tools();
    HookOutcome {
        report,
        result,
        state: ctx.into_unit_state(),
        tools,
        flags,
    }
}

/// Merge the flags each handler was seen to set into the unit state, for the
/// charm's `graph` command; written only when something new was seen.
fn record_observed_sets(ctx: &mut Context, report: &DispatchReport) -> Result<(), StateError> {
    if report.observed_sets.is_empty() {
        return Ok(());
    }
    let key = cli::OBSERVED_SETS_KEY;
    let mut saved = match ctx.unit_state().get(key)? {
        Some(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let mut changed = false;
    for (id, flags) in &report.observed_sets {
        let entry = saved
            .entry(id.clone())
            .or_insert_with(|| serde_json::Value::Array(Vec::new()));
        let mut known: std::collections::BTreeSet<String> = entry
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let before = known.len();
        known.extend(flags.iter().cloned());
        if known.len() != before || !entry.is_array() {
            changed = true;
            *entry = serde_json::Value::Array(known.into_iter().map(Into::into).collect());
        }
    }
    if changed {
        ctx.unit_state().set(key, serde_json::Value::Object(saved));
    }
    Ok(())
}

fn run_in_context(
    charm: &Charm,
    ctx: &mut Context,
    report: &mut DispatchReport,
    store: &PreviousConfigStore,
) -> Result<(), HookError> {
    if ctx.hook().is_action() {
        ctx.unit_state().end_reads();
        return action::run_action(charm, ctx, report);
    }
    let restricted = ctx.hook().is_restricted();
    // Before the first hook-tool call: a membership hook that fails from
    // here on leaves the marker for the next hook.
    let membership = if restricted {
        None
    } else {
        let plan = crate::endpoint::membership::begin(ctx, &charm.registry, charm.relation_data)
            .map_err(|e| HookError::Startup(StartupError::State(e)))?;
        Some(plan)
    };
    // Through the hook's tool cache: a bag read back here is not read
    // again when the endpoints or a handler ask for it (and one sent again
    // is dropped from the cache, so they read what Juju now holds).
    let republished = if restricted {
        None
    } else {
        let unit = ctx.hook().unit_name.clone().unwrap_or_default();
        let tools = ctx.tools().clone();
        let done = tools
            .with(|t| {
                let done = republish::reconcile(ctx.unit_state(), t, &unit)?;
                for (relation_id, app) in done.resent.keys() {
                    t.forget_relation_data(relation_id, *app);
                }
                Ok(done)
            })
            .map_err(HookError::Republish)?;
        Some(done.resent)
    };
    once_marks::carry_python_marks(ctx, &charm.registry)
        .map_err(|e| HookError::Startup(StartupError::State(e)))?;
    let mut config_flags = Vec::new();
    let mut config_to_save = None;
    if !restricted {
        builtin_flags::upgrade_series_flags(ctx);
        let previous =
            persistent_config::load(ctx, store).map_err(|e| HookError::Startup(e.into()))?;
        let (flags, current) =
            builtin_flags::config_flags(ctx, &charm.config_options, previous.values.as_ref())
                .map_err(HookError::Startup)?;
        config_flags = flags;
        let saved = persistent_config::to_save(&current, previous.values.as_ref());
        config_to_save = Some((previous, saved));
        builtin_flags::leadership_flags(ctx).map_err(HookError::Startup)?;
        if let Some(plan) = membership {
            endpoints::start_endpoints(ctx, &charm.registry, plan).map_err(HookError::Startup)?;
        }
        ctx.save_departed_units();
    }
    // Handlers may start helpers that write the unit state: the shared
    // lock goes before the first one runs.
    ctx.unit_state().end_reads();
    crate::dispatch::dispatch_into(ctx, &charm.registry, report).map_err(HookError::Dispatch)?;
    // The tracer accounts for dispatch only, not for the exit work.
    ctx.set_tracing(false);
    record_observed_sets(ctx, report).map_err(HookError::Commit)?;
    if !restricted {
        endpoints::finish_endpoints(ctx).map_err(HookError::Publish)?;
        builtin_flags::leadership_exit(ctx);
        ctx.clear_triggers();
        builtin_flags::clear_config_flags(ctx, &config_flags);
    }
    if let Some(republished) = &republished {
        // Recorded in the commit's transaction: if the process dies after
        // the commit, before Juju sees it exit 0, the next hook publishes
        // this again.
        let mut sent = republished.clone();
        republish::merge(&mut sent, &ctx.tools().with(|t| t.sent().clone()));
        let hook = ctx.hook_name().to_string();
        republish::save(ctx.unit_state(), &hook, &sent);
    }
    let pending = match config_to_save {
        Some((previous, saved)) => persistent_config::prepare(ctx, store, &previous, saved)
            .map_err(HookError::PreviousConfig)?,
        None => None,
    };
    if let Err(e) = ctx.commit() {
        if let Some(pending) = pending {
            pending.abandon();
        }
        return Err(HookError::Commit(e));
    }
    if let Some(pending) = pending {
        if let Err(e) = pending.complete() {
            // Committed: the next hook renames the file into place.
            ctx.log(
                LogLevel::Warning,
                &format!("{e}; the next hook completes the write"),
            );
        }
    }
    Ok(())
}
