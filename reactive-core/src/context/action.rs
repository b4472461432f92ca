//! The running action, as its handlers see it: its name, its parameters
//! (`action-get`), its results (`action-set`) and its failure
//! (`action-fail`). Progress messages (`action-log`) are with the other
//! model tools.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::Context;
use crate::actions::{check_result_key, flatten_results, ActionError};
use crate::tools::{DataBag, HookTools};

impl Context {
    /// The name of the action this hook runs, `None` in a hook.
    pub fn action_name(&self) -> Option<&str> {
        self.hook().action_name.as_deref()
    }

    fn require_action(&self, tool: &'static str) -> Result<&str, ActionError> {
        self.action_name().ok_or(ActionError::NotInAction { tool })
    }

    /// The action's parameters as Juju gives them (`action-get
    /// --format=json`): an object, with the defaults of `actions.yaml`
    /// filled in.
    pub fn action_params_json(&self) -> Result<Value, ActionError> {
        self.require_action("action-get")?;
        Ok(self.tools().with(|t| t.action_get())?)
    }

    /// The action's parameters as a typed value: any `serde::Deserialize`
    /// type (the handler's parameter type, when it takes one). A value that
    /// does not fit is an [`ActionError::Params`] naming the parameter.
    ///
    /// ```
    /// # use reactive_core::prelude::*;
    /// #[derive(serde::Deserialize)]
    /// struct BackupParams {
    ///     target: String,
    ///     #[serde(default)]
    ///     compress: bool,
    /// }
    /// # fn handler(ctx: &mut Context) -> Result<(), reactive_core::actions::ActionError> {
    /// let params: BackupParams = ctx.action_params()?;
    /// # let _ = (params.target, params.compress);
    /// # Ok(())
    /// # }
    /// ```
    pub fn action_params<P: DeserializeOwned>(&self) -> Result<P, ActionError> {
        let action = self.require_action("action-get")?.to_string();
        let value = self.tools().with(|t| t.action_get())?;
        serde_path_to_error::deserialize::<_, P>(value).map_err(|e| {
            let param = e.path().to_string();
            ActionError::Params {
                action,
                param: if param == "." { String::new() } else { param },
                message: e.into_inner().to_string(),
            }
        })
    }

    /// Set one result of the action (`action-set KEY=VALUE`). A dotted key
    /// (`outfile.size`) nests the value (`{"outfile": {"size": …}}`); each
    /// segment holds lowercase letters, digits and `-`, as Juju requires.
    pub fn action_set(&self, key: &str, value: &str) -> Result<(), ActionError> {
        self.require_action("action-set")?;
        check_result_key(key).map_err(|problem| ActionError::BadResultKey {
            key: key.to_string(),
            problem,
        })?;
        let mut data = DataBag::new();
        data.insert(key.to_string(), value.to_string());
        Ok(self.tools().with(|t| t.action_set(&data))?)
    }

    /// Set several results at once from a JSON value: nested objects
    /// become dotted keys, strings are taken as they are, `null` is
    /// skipped and other values are written as JSON (`action-set` takes
    /// strings). One `action-set` call for all of them.
    ///
    /// ```
    /// # use reactive_core::prelude::*;
    /// # fn handler(ctx: &mut Context) -> Result<(), reactive_core::actions::ActionError> {
    /// ctx.action_set_values(&serde_json::json!({
    ///     "backup": {"path": "/srv/backup.tar", "size": 1024},
    /// }))?; // action-set backup.path=/srv/backup.tar backup.size=1024
    /// # Ok(())
    /// # }
    /// ```
    pub fn action_set_values(&self, values: &Value) -> Result<(), ActionError> {
        self.require_action("action-set")?;
        let data: DataBag = flatten_results(values);
        for key in data.keys() {
            check_result_key(key).map_err(|problem| ActionError::BadResultKey {
                key: key.clone(),
                problem,
            })?;
        }
        Ok(self.tools().with(|t| t.action_set(&data))?)
    }

    /// Fail the action with `message` (`action-fail`). The action goes on
    /// to its end, but it counts as failed: the unit state it changed is
    /// not committed, as when its handler returns `Err`.
    pub fn action_fail(&mut self, message: &str) -> Result<(), ActionError> {
        self.require_action("action-fail")?;
        self.tools().with(|t| t.action_fail(message))?;
        self.action_failure = Some(message.to_string());
        Ok(())
    }

    /// The message the action was failed with through
    /// [`Context::action_fail`], if it was.
    pub fn action_failure(&self) -> Option<&str> {
        self.action_failure.as_deref()
    }
}
