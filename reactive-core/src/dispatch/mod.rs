//! The dispatch loop: run the handlers whose conditions hold until the flags
//! stop changing.
//!
//! This follows charms.reactive's `bus.dispatch` rule for rule:
//!
//! 1. **Hooks phase.** Every `#[hook]` handler whose pattern matches the
//!    current hook is queued and invoked (handlers without any condition,
//!    a bare `#[only_once]` or `#[when_file_changed]`, are tested here too).
//! 2. **Main loop**, iterations 0, 1, … up to [`MAX_ITERATIONS`]: in
//!    iteration 0 every flag handler is a candidate; in a later iteration
//!    only handlers watching a flag that changed (was set or cleared, even
//!    if it was changed back) during the previous iteration, plus handlers
//!    that watch no flag. Candidates whose conditions hold are queued; an
//!    empty queue ends dispatch.
//! 3. **Invoking a queue**: queued handlers run one by one in order. After
//!    each, if any clear happened during it (even of an unset flag), the
//!    rest of the queue is re-tested and those whose conditions no longer
//!    hold are dropped. Flags set during an iteration never add handlers to
//!    the current queue; they take effect in the next iteration.
//! 4. **Restricted mode** (`collect-metrics`, `meter-status-changed`): only
//!    `#[collect_metrics]` / `#[meter_status_changed]` handlers run.
//! 5. **Ending early**: a handler that calls
//!    [`Context::stop_dispatch`] ends the dispatch as a success when it
//!    returns (charms.reactive: `sys.exit(0)` in a handler). The rest of its
//!    queue, phase and iterations are skipped; the hook then finishes as
//!    after any successful dispatch (exit work, commit).
//! 6. **Order**: a queue runs in registry order (crate, crate-relative file,
//!    line, function, endpoint name), so runs are reproducible. Reaching the
//!    iteration cap is logged as a warning naming the handlers still queued.
//!
//! Candidates are found through the registry's flag index, so an iteration
//! costs in proportion to the flags that changed, not to the number of
//! handlers.

pub(crate) mod watch;

use std::any::Any;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use crate::handler::HandlerError;
use crate::helpers::{ChangeCheckError, FileHashError};
use crate::log::LogLevel;
use crate::registry::{HandlerKind, Registry};
use crate::unit_state::StateError;
use crate::Context;

/// The most iterations of the main loop in one dispatch.
pub const MAX_ITERATIONS: usize = 100;

pub use crate::handler::Phase;

/// What a successful dispatch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DispatchReport {
    /// The id of every handler invoked, in order (a handler may appear
    /// more than once).
    pub invoked: Vec<String>,
    /// Iterations of the main loop that invoked something.
    pub iterations: usize,
    /// Whether the main loop stopped at [`MAX_ITERATIONS`] with handlers
    /// still queued.
    pub hit_iteration_cap: bool,
    /// For each handler invoked, the flags it was seen to set (for the
    /// charm's `graph` command).
    pub observed_sets: std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
}

/// Why a dispatch stopped.
#[derive(Debug)]
pub enum DispatchError {
    /// A handler returned an error.
    Handler {
        /// The handler's id.
        id: String,
        /// Its error.
        error: HandlerError,
    },
    /// A handler panicked.
    Panic {
        /// The handler's id.
        id: String,
        /// The panic message.
        message: String,
    },
    /// The unit state could not be read.
    State(StateError),
    /// A file named by `#[when_file_changed]` could not be read.
    File(FileHashError),
}

impl fmt::Display for DispatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DispatchError::Handler { id, error } => write!(f, "handler {id} failed: {error}"),
            DispatchError::Panic { id, message } => write!(f, "handler {id} panicked: {message}"),
            DispatchError::State(e) => write!(f, "{e}"),
            DispatchError::File(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for DispatchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DispatchError::Handler { error, .. } => Some(error.as_ref()),
            DispatchError::Panic { .. } => None,
            DispatchError::State(e) => Some(e),
            DispatchError::File(e) => Some(e),
        }
    }
}

impl From<ChangeCheckError> for DispatchError {
    fn from(e: ChangeCheckError) -> Self {
        match e {
            ChangeCheckError::State(e) => DispatchError::State(e),
            ChangeCheckError::File(e) => DispatchError::File(e),
        }
    }
}

impl From<StateError> for DispatchError {
    fn from(e: StateError) -> Self {
        DispatchError::State(e)
    }
}

/// Run the handlers of `registry` on `ctx` until the flags settle.
///
/// On error, dispatch stops at once; the caller must not commit the
/// context (the runtime rolls the unit state back).
pub fn dispatch(
    ctx: &mut Context,
    registry: &Arc<Registry>,
) -> Result<DispatchReport, DispatchError> {
    let mut report = DispatchReport::default();
    dispatch_into(ctx, registry, &mut report)?;
    Ok(report)
}

/// [`dispatch`], recording what ran into `report` as it goes, so that a
/// failed dispatch still tells which handlers ran before the failure.
pub fn dispatch_into(
    ctx: &mut Context,
    registry: &Arc<Registry>,
    report: &mut DispatchReport,
) -> Result<(), DispatchError> {
    ctx.registry = Some(Arc::clone(registry));
    ctx.watch.reset();
    let result = run(ctx, registry, report);
    ctx.reset_dispatch_stop();
    ctx.watch.reset();
    ctx.flush_tracer();
    ctx.registry = None;
    result
}

fn run(
    ctx: &mut Context,
    registry: &Registry,
    report: &mut DispatchReport,
) -> Result<(), DispatchError> {
    // Asked during the start-up work (an endpoint's `manage_flags`): no
    // handler runs.
    if ctx.dispatch_stopped() {
        return Ok(());
    }
    if ctx.tracer.is_enabled() {
        let flags = ctx.get_flags();
        ctx.tracer.emit(format!(
            "starting handler dispatch, {} flags set",
            flags.len()
        ));
        ctx.tracer
            .emit_all(flags.into_iter().map(|f| format!("set flag {f}")));
        ctx.flush_tracer();
    }

    if ctx.hook().is_restricted() {
        ctx.watch.set_phase(Some(Phase::Restricted));
        let queue = test_all(
            ctx,
            registry,
            registry.restricted_phase(),
            Phase::Restricted,
        )?;
        trace_queue(ctx, registry, "restricted phase", &queue);
        return invoke(ctx, registry, queue, Phase::Restricted, report);
    }

    ctx.watch.set_phase(Some(Phase::Hooks));
    let queue = test_all(ctx, registry, registry.hooks_phase(), Phase::Hooks)?;
    trace_queue(ctx, registry, "hooks phase", &queue);
    invoke(ctx, registry, queue, Phase::Hooks, report)?;
    if ctx.dispatch_stopped() {
        return Ok(());
    }

    ctx.watch.set_phase(Some(Phase::Other));
    for iteration in 0..MAX_ITERATIONS {
        let candidates = if iteration == 0 {
            registry.other_phase().to_vec()
        } else {
            changed_candidates(ctx, registry)
        };
        let queue = test_all(ctx, registry, &candidates, Phase::Other)?;
        if iteration == 0 {
            trace_queue(ctx, registry, "main dispatch loop", &queue);
        } else {
            trace_queue(ctx, registry, &format!("iteration {iteration}"), &queue);
        }
        if queue.is_empty() {
            return Ok(());
        }
        report.iterations += 1;
        invoke(ctx, registry, queue, Phase::Other, report)?;
        if ctx.dispatch_stopped() {
            return Ok(());
        }
    }

    let still = still_queued(ctx, registry)?;
    if !still.is_empty() {
        report.hit_iteration_cap = true;
        let ids: Vec<&str> = still.iter().map(|&h| registry.handler(h).id()).collect();
        let message = format!(
            "dispatch stopped after {MAX_ITERATIONS} iterations with handlers still queued \
             (a loop of flags that never settles): {}",
            ids.join(", ")
        );
        ctx.log(LogLevel::Warning, &message);
    }
    Ok(())
}

/// The candidates of an iteration after the first: the handlers watching a
/// flag changed in the previous iteration, and those watching none.
fn changed_candidates(ctx: &Context, registry: &Registry) -> Vec<usize> {
    let mut candidates: Vec<usize> = registry.other_unwatched().to_vec();
    for flag in ctx.watch.changes() {
        candidates.extend_from_slice(registry.watchers(flag));
    }
    candidates.sort_unstable();
    candidates.dedup();
    candidates
}

/// What iteration [`MAX_ITERATIONS`] would have queued, judged on flags and
/// `only_once` alone (file hashes are not touched).
fn still_queued(ctx: &mut Context, registry: &Registry) -> Result<Vec<usize>, DispatchError> {
    let candidates = changed_candidates(ctx, registry);
    let mut still = Vec::new();
    for h in candidates {
        let entry = registry.handler(h);
        if entry.runs_in(Phase::Other)
            && entry.flag_conditions_hold(&ctx.flag_view())
            && !(entry.descriptor().only_once && ctx.was_invoked(entry.id())?)
        {
            still.push(h);
        }
    }
    Ok(still)
}

fn test_all(
    ctx: &mut Context,
    registry: &Registry,
    candidates: &[usize],
    phase: Phase,
) -> Result<Vec<usize>, DispatchError> {
    let mut queue = Vec::new();
    for &h in candidates {
        if test(ctx, registry, h, phase)? {
            queue.push(h);
        }
    }
    Ok(queue)
}

/// Whether handler `h` should run now. Conditions are checked cheapest
/// first: phase and hook, flags, `only_once`, then file hashes (which are
/// updated when checked, as charms.reactive's `any_file_changed` does).
fn test(
    ctx: &mut Context,
    registry: &Registry,
    h: usize,
    phase: Phase,
) -> Result<bool, DispatchError> {
    let entry = registry.handler(h);
    if !entry.runs_in(phase) {
        return Ok(false);
    }
    if matches!(entry.kind(), HandlerKind::Hook | HandlerKind::Restricted(_))
        && !entry.hook_condition_holds(&ctx.hook().name, ctx.metadata())
    {
        return Ok(false);
    }
    if !entry.flag_conditions_hold(&ctx.flag_view()) {
        return Ok(false);
    }
    let descriptor = entry.descriptor();
    if descriptor.only_once && ctx.was_invoked(entry.id())? {
        return Ok(false);
    }
    if !descriptor.files_changed.is_empty() && !ctx.any_file_changed(descriptor.files_changed)? {
        return Ok(false);
    }
    Ok(true)
}

fn invoke(
    ctx: &mut Context,
    registry: &Registry,
    mut queue: Vec<usize>,
    phase: Phase,
    report: &mut DispatchReport,
) -> Result<(), DispatchError> {
    ctx.watch.take_cleared();
    let mut next = 0;
    while next < queue.len() {
        let h = queue[next];
        next += 1;
        let entry = registry.handler(h);
        let id = entry.id().to_string();
        let changes_before = ctx.watch.pending().len();
        ctx.log(LogLevel::Info, &format!("Invoking reactive handler: {id}"));
        report.invoked.push(id.clone());
        let descriptor = entry.descriptor();
        ctx.current_handler = Some(descriptor);
        let outcome = catch_unwind(AssertUnwindSafe(|| (descriptor.invoke)(ctx, entry)));
        ctx.current_handler = None;
        match outcome {
            Ok(Ok(())) => ctx.save_departed_units(),
            Ok(Err(error)) => return Err(DispatchError::Handler { id, error }),
            Err(payload) => {
                return Err(DispatchError::Panic {
                    id,
                    message: panic_message(payload.as_ref()),
                })
            }
        }
        let set: Vec<String> = ctx.watch.pending()[changes_before..]
            .iter()
            .filter(|f| ctx.is_flag_set(f))
            .cloned()
            .collect();
        if !set.is_empty() {
            report
                .observed_sets
                .entry(id.clone())
                .or_default()
                .extend(set);
        }
        if descriptor.only_once {
            ctx.mark_invoked(&id);
        }
        if ctx.dispatch_stopped() {
            break;
        }
        if ctx.watch.take_cleared() {
            let rest = queue.split_off(next);
            let mut kept = Vec::with_capacity(rest.len());
            for h in rest {
                if test(ctx, registry, h, phase)? {
                    kept.push(h);
                }
            }
            queue.truncate(next);
            queue.extend(kept);
        }
    }
    ctx.watch.commit();
    Ok(())
}

fn trace_queue(ctx: &mut Context, registry: &Registry, what: &str, queue: &[usize]) {
    if !ctx.tracer.is_enabled() {
        return;
    }
    ctx.tracer
        .emit(format!("{what}, {} handlers queued", queue.len()));
    let lines: Vec<String> = queue
        .iter()
        .map(|&h| format!("++   queue handler {}", registry.handler(h).id()))
        .collect();
    ctx.tracer.emit_all(lines);
    ctx.flush_tracer();
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}
