//! Running an action on a unit of a simulated deployment, as `juju run
//! <unit> <action> key=value…` does: the name and parameters are checked
//! against the charm's `actions.yaml` (defaults filled in), the action runs
//! through the charm (in process, or as a real process with
//! `JUJU_DISPATCH_PATH=actions/<name>`), and its results, progress
//! messages and failure are kept for the step's report.

use serde_json::{json, Value};

use super::deployment::{Deployment, QueuedHook, SimError};
use reactive_core::hook::HookInfo;
use reactive_core::names::app_of;

/// What one action did.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionResult {
    /// The unit it ran on.
    pub unit: String,
    /// The action.
    pub action: String,
    /// The parameters it ran with (defaults filled in).
    pub params: Value,
    /// Its results (`action-set`), dotted keys nested.
    pub results: Value,
    /// Its progress messages (`action-log`).
    pub logs: Vec<String>,
    /// Its failure message, when it failed.
    pub failure: Option<String>,
}

impl ActionResult {
    /// The result as JSON, for reports.
    pub fn to_json(&self) -> Value {
        json!({
            "unit": self.unit,
            "action": self.action,
            "params": self.params,
            "status": if self.failure.is_some() { "failed" } else { "completed" },
            "results": self.results,
            "logs": self.logs,
            "failure": self.failure,
        })
    }
}

impl Deployment {
    /// Run the action `action` on `unit` with `params` (a JSON object or
    /// `null`). A failed action is an `Ok` result with its
    /// [`failure`](ActionResult::failure); on success, the hooks its
    /// published relation data causes run afterwards.
    ///
    /// # Errors
    ///
    /// [`SimError::Unknown`] for a unit or an action its charm's
    /// `actions.yaml` does not declare, [`SimError::Invalid`] for
    /// parameters that do not fit the action's schema; a hook that fails
    /// after the action, as [`Deployment::run_until_quiet`].
    pub fn run_action(
        &mut self,
        unit: &str,
        action: &str,
        params: Value,
    ) -> Result<ActionResult, SimError> {
        if !self.has_unit(unit) {
            return Err(SimError::Unknown {
                what: "unit",
                name: unit.to_string(),
            });
        }
        let spec = self
            .app_actions(app_of(unit))
            .and_then(|actions| actions.get(action))
            .cloned()
            .ok_or_else(|| SimError::Unknown {
                what: "action",
                name: format!("{action} (of {})", app_of(unit)),
            })?;
        let params = spec.check_params(&params).map_err(|problem| {
            SimError::Invalid(format!("action `{action}` on {unit}: {problem}"))
        })?;
        let mut hook = HookInfo::named(action);
        hook.unit_name = Some(unit.to_string());
        hook.action_name = Some(action.to_string());
        hook.action_uuid = Some(self.next_action_id().to_string());
        let queued = QueuedHook {
            unit: unit.to_string(),
            hook,
        };
        let (run, state) = self.run_one_with(&queued, Some(params.clone()))?;
        let state = state.unwrap_or_default();
        let failure = state.failed.clone().or_else(|| run.result.clone().err());
        let changed = run.changed.clone();
        let succeeded = run.result.is_ok();
        self.push_run(run);
        let result = ActionResult {
            unit: unit.to_string(),
            action: action.to_string(),
            params,
            results: state.nested_results(),
            logs: state.logs.clone(),
            failure,
        };
        self.push_action_result(result.clone());
        if succeeded {
            self.after_hook(&queued, &changed);
            self.run_until_quiet()?;
        }
        Ok(result)
    }
}
