//! Running an action: what happens when Juju runs `actions/<name>` through
//! `dispatch`.
//!
//! An operator's action must not start hook work by surprise, so an action
//! is not a hook with extra handlers:
//!
//! - only the `#[action("<name>")]` handlers of that action run, once each,
//!   in registry order; no flag handler, no `#[hook]` handler;
//! - no start-up flag is recomputed (no `config.changed`, leadership,
//!   upgrade-series or automatic endpoint flags), and no trigger is
//!   registered; the handlers read the unit state, the config and the
//!   endpoints (made over their relations as they are, without flags);
//! - on success, what the handlers changed is kept: relation data they
//!   wrote is published and the unit state (flags included) is committed,
//!   so flags they set make the flag handlers run in the next hook;
//! - on failure (a handler returns `Err` or panics, its parameters do not
//!   fit its parameter type, or it called
//!   [`Context::action_fail`]), the action is failed with the message
//!   through `action-fail`, nothing is published and the unit state is
//!   rolled back.
//!
//! A failed action still exits 0 once `action-fail` has recorded it: Juju
//! replaces the `action-fail` message with `exit status 1` when the process
//! exits non-zero, and an action is never retried either way. (The Python
//! ops framework exits non-zero on an uncaught exception, so its operators
//! see `exit status 1`.) When `action-fail` itself cannot be called, the
//! process exits 1 so that Juju still marks the action failed.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::{error_chain, Charm, HookError, StartupError};
use crate::config::Config;
use crate::dispatch::DispatchReport;
use crate::log::LogLevel;
use crate::tools::HookTools;
use crate::Context;

/// Why an action failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionFailure {
    /// The action.
    pub action: String,
    /// The failure message, as given to `action-fail`.
    pub message: String,
    /// Whether `action-fail` recorded the failure (else the process must
    /// exit non-zero for Juju to see it).
    pub reported: bool,
}

impl fmt::Display for ActionFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "action `{}` failed: {}", self.action, self.message)
    }
}

impl std::error::Error for ActionFailure {}

/// Run the action of `ctx`'s hook: its handlers, then publish and commit
/// on success. The caller rolls back on error.
pub(crate) fn run_action(
    charm: &Charm,
    ctx: &mut Context,
    report: &mut DispatchReport,
) -> Result<(), HookError> {
    let action = ctx.action_name().unwrap_or_default().to_string();
    match handle(charm, ctx, report, &action) {
        Ok(()) => match ctx.action_failure() {
            Some(message) => Err(HookError::Action(ActionFailure {
                action,
                message: message.to_string(),
                reported: true,
            })),
            None => {
                super::endpoints::finish_endpoints(ctx).map_err(HookError::Publish)?;
                ctx.commit().map_err(HookError::Commit)
            }
        },
        Err(message) => {
            let reported = match ctx.tools().with(|t| t.action_fail(&message)) {
                Ok(()) => true,
                Err(e) => {
                    ctx.log(
                        LogLevel::Error,
                        &format!("cannot fail action `{action}` through action-fail: {e}"),
                    );
                    false
                }
            };
            Err(HookError::Action(ActionFailure {
                action,
                message,
                reported,
            }))
        }
    }
}

/// Run the handlers; `Err` with the failure message.
fn handle(
    charm: &Charm,
    ctx: &mut Context,
    report: &mut DispatchReport,
    action: &str,
) -> Result<(), String> {
    let handlers = charm.registry.action_handlers(action);
    if handlers.is_empty() {
        let known = charm.registry.action_names();
        return Err(format!(
            "the charm has no handler for action `{action}` (it handles: {})",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        ));
    }
    let startup = |e: StartupError| format!("cannot prepare the action: {}", error_chain(&e));
    let config = ctx
        .tools()
        .with(|t| t.config_get())
        .map_err(|e| startup(e.into()))?;
    ctx.set_config(Config::from_map(config));
    super::endpoints::open_endpoints(ctx, &charm.registry).map_err(startup)?;
    for entry in handlers {
        let id = entry.id().to_string();
        ctx.log(LogLevel::Info, &format!("Invoking reactive handler: {id}"));
        report.invoked.push(id.clone());
        let descriptor = entry.descriptor();
        ctx.current_handler = Some(descriptor);
        let outcome = catch_unwind(AssertUnwindSafe(|| (descriptor.invoke)(ctx, entry)));
        ctx.current_handler = None;
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(error)) => return Err(error_chain(error.as_ref())),
            Err(payload) => {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic".to_string());
                return Err(format!("handler {id} panicked: {message}"));
            }
        }
        if ctx.action_failure().is_some() {
            break;
        }
    }
    Ok(())
}
