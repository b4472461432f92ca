//! The flags every charm gets at startup: upgrade-series, config and
//! leadership (the parts of layer-basic and layer-leadership reactive
//! charms rely on).

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::config::{Config, ConfigOptions};
use crate::tools::{HookTools, ToolError};
use crate::unit_state::StateError;
use crate::Context;

/// Where the config seen by the previous successful hook is kept.
pub const PREVIOUS_CONFIG_KEY: &str = "reactive.config.previous";
/// Prefix of layer-leadership's copy of the leader settings.
pub const LEADER_SETTINGS_PREFIX: &str = "leadership.settings.";

/// A startup step that failed.
#[derive(Debug)]
pub enum StartupError {
    /// A hook tool failed.
    Tool(ToolError),
    /// The unit state could not be read.
    State(StateError),
    /// An endpoint's `manage_flags` or pattern flags failed.
    Endpoint {
        /// The endpoint.
        endpoint: String,
        /// Its error.
        error: crate::handler::HandlerError,
    },
}

impl std::fmt::Display for StartupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartupError::Tool(e) => write!(f, "{e}"),
            StartupError::State(e) => write!(f, "{e}"),
            StartupError::Endpoint { endpoint, error } => {
                write!(
                    f,
                    "endpoint `{endpoint}` failed to manage its flags: {error}"
                )
            }
        }
    }
}

impl std::error::Error for StartupError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StartupError::Tool(e) => Some(e),
            StartupError::State(e) => Some(e),
            StartupError::Endpoint { error, .. } => Some(error.as_ref()),
        }
    }
}

impl From<ToolError> for StartupError {
    fn from(e: ToolError) -> Self {
        StartupError::Tool(e)
    }
}

impl From<StateError> for StartupError {
    fn from(e: StateError) -> Self {
        StartupError::State(e)
    }
}

/// `upgrade.series.in-progress`: set on `pre-series-upgrade`, cleared on
/// `post-series-upgrade`.
pub fn upgrade_series_flags(ctx: &mut Context) {
    match ctx.hook_name() {
        "pre-series-upgrade" => ctx.set_flag("upgrade.series.in-progress"),
        "post-series-upgrade" => ctx.clear_flag("upgrade.series.in-progress"),
        _ => {}
    }
}

/// Read the config (`config-get --all`) into the context and set the config
/// flags of this hook: `config.changed`, `config.changed.<key>`,
/// `config.set.<key>` and `config.default.<key>`. Returns the flags set, to
/// be cleared at the end of the hook.
///
/// "Changed" compares with the config the previous successful hook saw (in
/// the first hook every option counts as changed); "set" means a value
/// that is neither null nor the empty string; "default" means the value
/// equals the option's default in `config.yaml` (an option with neither
/// value nor default counts as default).
pub fn config_flags(
    ctx: &mut Context,
    options: &ConfigOptions,
) -> Result<Vec<String>, StartupError> {
    let current = ctx.tools().with(|t| t.config_get())?;
    let previous: Option<Map<String, Value>> = match ctx.unit_state().get(PREVIOUS_CONFIG_KEY)? {
        Some(Value::Object(map)) => Some(map),
        _ => None,
    };
    let mut keys: BTreeSet<&String> = current.keys().collect();
    keys.extend(options.options.keys());
    if let Some(previous) = &previous {
        keys.extend(previous.keys());
    }
    let mut flags = Vec::new();
    let mut any_changed = false;
    for key in keys {
        let value = current.get(key).unwrap_or(&Value::Null);
        let changed = match &previous {
            None => true,
            Some(previous) => previous.get(key).unwrap_or(&Value::Null) != value,
        };
        if changed {
            any_changed = true;
            flags.push(format!("config.changed.{key}"));
        }
        if !(value.is_null() || value.as_str() == Some("")) {
            flags.push(format!("config.set.{key}"));
        }
        let default = options
            .options
            .get(key)
            .map(|o| &o.default)
            .unwrap_or(&Value::Null);
        if value == default {
            flags.push(format!("config.default.{key}"));
        }
    }
    if any_changed {
        flags.push("config.changed".to_string());
    }
    for flag in &flags {
        ctx.set_flag(flag);
    }
    ctx.unit_state()
        .set(PREVIOUS_CONFIG_KEY, Value::Object(current.clone()));
    ctx.set_config(Config::from_map(current));
    Ok(flags)
}

/// Clear the config flags set at startup (end of a successful hook).
///
/// This is exit work, which the dispatch tracer does not report (as
/// charms.reactive, which puts a null tracer in place at exit): clearing
/// N flags traced would cost N `juju-log` calls.
pub fn clear_config_flags(ctx: &mut Context, flags: &[String]) {
    for flag in flags {
        ctx.clear_flag(flag);
    }
}

/// Toggle the leadership flags as layer-leadership does:
/// `leadership.is_leader`, `leadership.set.<key>`,
/// `leadership.changed.<key>` and `leadership.changed`, comparing the
/// leader settings with the copy kept under `leadership.settings.<key>`.
pub fn leadership_flags(ctx: &mut Context) -> Result<(), StartupError> {
    let is_leader = ctx.tools().with(|t| t.is_leader())?;
    ctx.toggle_flag("leadership.is_leader", is_leader);
    let current = ctx.tools().with(|t| t.leader_get())?;
    let previous: Map<String, Value> = ctx
        .unit_state()
        .get_range(LEADER_SETTINGS_PREFIX)?
        .into_iter()
        .map(|(k, v)| (k[LEADER_SETTINGS_PREFIX.len()..].to_string(), v))
        .collect();
    let mut merged: Map<String, Value> = current
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    for key in previous.keys() {
        merged.entry(key.clone()).or_insert(Value::Null);
    }
    let mut any_changed = false;
    for (key, value) in &merged {
        let changed = previous.get(key).unwrap_or(&Value::Null) != value;
        any_changed |= changed;
        ctx.toggle_flag(&format!("leadership.changed.{key}"), changed);
        ctx.toggle_flag(&format!("leadership.set.{key}"), !value.is_null());
        ctx.unit_state()
            .set(&format!("{LEADER_SETTINGS_PREFIX}{key}"), value.clone());
    }
    ctx.toggle_flag("leadership.changed", any_changed);
    Ok(())
}
