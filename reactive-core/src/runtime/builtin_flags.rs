//! The flags every charm gets at startup: upgrade-series, config and
//! leadership (the parts of layer-basic and layer-leadership reactive
//! charms rely on).

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::persistent_config::{python_eq, python_truthy};
use crate::config::{Config, ConfigOptions};
use crate::tools::{HookTools, ToolError};
use crate::unit_state::StateError;
use crate::Context;

/// Where earlier versions kept the config seen by the previous successful
/// hook (now charmhelpers' `.juju-persistent-config` file, see
/// [`persistent_config`](super::persistent_config)).
pub const PREVIOUS_CONFIG_KEY: &str = super::persistent_config::LEGACY_KEY;
/// Prefix of layer-leadership's copy of the leader settings.
pub const LEADER_SETTINGS_PREFIX: &str = "leadership.settings.";
/// Set (`true`) once [`leadership_flags`] has taken the copy of the leader
/// settings with `leader-get`; unset after a hook in which this unit ran
/// `leader-set`, so that the next hook reads them again.
pub const LEADER_SNAPSHOT_KEY: &str = "reactive.leadership.snapshot";

/// A startup step that failed.
#[derive(Debug)]
pub enum StartupError {
    /// A hook tool failed.
    Tool(ToolError),
    /// The unit state could not be read.
    State(StateError),
    /// The previous config could not be read.
    PreviousConfig(super::persistent_config::PersistentConfigError),
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
            StartupError::PreviousConfig(e) => write!(f, "{e}"),
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
            StartupError::PreviousConfig(e) => Some(e),
            StartupError::Endpoint { error, .. } => Some(error.as_ref()),
        }
    }
}

impl From<ToolError> for StartupError {
    fn from(e: ToolError) -> Self {
        StartupError::Tool(e)
    }
}

impl From<super::persistent_config::LoadError> for StartupError {
    fn from(e: super::persistent_config::LoadError) -> Self {
        match e {
            super::persistent_config::LoadError::File(e) => StartupError::PreviousConfig(e),
            super::persistent_config::LoadError::State(e) => StartupError::State(e),
        }
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
/// flags of this hook, as layer-basic does: `config.changed`,
/// `config.changed.<key>`, `config.set.<key>` and `config.default.<key>`.
/// Returns the flags set, to be cleared at the end of the hook, and the
/// config read.
///
/// "Changed" compares with `previous`, the config the previous successful
/// hook saw (with none, every option counts as changed), with Python's
/// `==` (`1 == 1.0`); a key the current config lacks keeps its previous
/// value, as charmhelpers merges the previous config into the current one.
/// "Set" means a value Python counts as true (not null, `""`, `0`, `0.0`,
/// `false` or empty); "default" means the value equals the option's default
/// in `config.yaml` (an option with neither value nor default counts as
/// default).
///
/// Config flags of an earlier hook still set in the unit state (a Python
/// reactive charm leaves `config.set.*` and `config.default.*` set between
/// hooks) are cleared first, so that only this hook's flags are set.
pub fn config_flags(
    ctx: &mut Context,
    options: &ConfigOptions,
    previous: Option<&Map<String, Value>>,
) -> Result<(Vec<String>, Map<String, Value>), StartupError> {
    let current = ctx.tools().with(|t| t.config_get())?;
    let mut keys: BTreeSet<&String> = current.keys().collect();
    keys.extend(options.options.keys());
    let mut flags = Vec::new();
    let mut any_changed = false;
    for key in keys {
        let value = current
            .get(key)
            .or_else(|| previous.and_then(|p| p.get(key)))
            .unwrap_or(&Value::Null);
        let changed = match previous {
            None => true,
            Some(previous) => !python_eq(previous.get(key).unwrap_or(&Value::Null), value),
        };
        if changed {
            any_changed = true;
            flags.push(format!("config.changed.{key}"));
        }
        if python_truthy(value) {
            flags.push(format!("config.set.{key}"));
        }
        let default = options
            .options
            .get(key)
            .map(|o| &o.default)
            .unwrap_or(&Value::Null);
        if python_eq(value, default) {
            flags.push(format!("config.default.{key}"));
        }
    }
    if any_changed {
        flags.push("config.changed".to_string());
    }
    // Only the `config.` range of the flags: a unit with a thousand
    // relation flags does not copy them all.
    let view = ctx.flag_view();
    let stale: Vec<String> = view
        .store
        .names_with_prefix("config.", view.state)
        .into_iter()
        .filter(|f| is_config_flag(f) && !flags.iter().any(|g| g == f))
        .collect();
    for flag in &stale {
        ctx.clear_flag(flag);
    }
    for flag in &flags {
        ctx.set_flag(flag);
    }
    ctx.set_config(Config::from_map(current.clone()));
    Ok((flags, current))
}

/// Whether `flag` is one of the config flags [`config_flags`] manages.
fn is_config_flag(flag: &str) -> bool {
    flag == "config.changed"
        || ["config.changed.", "config.set.", "config.default."]
            .iter()
            .any(|prefix| flag.starts_with(prefix))
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
///
/// `is-leader` is asked in every hook: Juju can take leadership away
/// without running a hook. `leader-get` is asked only where the leader
/// settings can have changed since the copy was taken: in
/// `leader-elected`, `leader-settings-changed` (Juju runs it on every other
/// unit after the leader changes them), `install` and `upgrade-charm`, in
/// the first hook that finds no copy taken by this code
/// ([`LEADER_SNAPSHOT_KEY`] unset: a fresh unit, or a unit state written
/// by charms.reactive), and in the hook after this unit ran `leader-set`
/// (the leader gets no hook for its own changes). Elsewhere the copy
/// stands for the settings, and the flags come out as `leader-get` would
/// make them.
pub fn leadership_flags(ctx: &mut Context) -> Result<(), StartupError> {
    let is_leader = ctx.tools().with(|t| t.is_leader())?;
    ctx.toggle_flag("leadership.is_leader", is_leader);
    let previous: Map<String, Value> = ctx
        .unit_state()
        .get_range(LEADER_SETTINGS_PREFIX)?
        .into_iter()
        .map(|(k, v)| (k[LEADER_SETTINGS_PREFIX.len()..].to_string(), v))
        .collect();
    let must_read = matches!(
        ctx.hook_name(),
        "leader-elected" | "leader-settings-changed" | "install" | "upgrade-charm"
    ) || ctx.unit_state().get(LEADER_SNAPSHOT_KEY)? != Some(Value::Bool(true));
    let current = if must_read {
        let current = ctx.tools().with(|t| t.leader_get())?;
        ctx.unit_state().set(LEADER_SNAPSHOT_KEY, Value::Bool(true));
        current
    } else {
        previous
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
            .collect()
    };
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

/// Exit work for the leadership flags: after this unit ran `leader-set`,
/// the next hook reads the leader settings again (see
/// [`leadership_flags`]).
pub fn leadership_exit(ctx: &mut Context) {
    if ctx.tools().with(|t| t.leader_settings_written()) {
        ctx.unit_state().unset(LEADER_SNAPSHOT_KEY);
    }
}
