//! A backend shared behind a mutex is a backend: a harness or simulator
//! keeps one handle to inspect the calls afterwards and lends the other to
//! the hook.

use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::{DataBag, HookTools, Protocol, ToolError, WorkloadState};
use crate::log::LogLevel;

macro_rules! delegate {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        impl<T: HookTools> HookTools for Arc<Mutex<T>> {
            $(fn $name(&mut self, $($arg: $ty),*) -> $ret {
                self.lock().unwrap_or_else(|p| p.into_inner()).$name($($arg),*)
            })*
        }
    };
}

delegate! {
    relation_ids(endpoint: &str) -> Result<Vec<String>, ToolError>;
    relation_list(relation_id: &str) -> Result<Vec<String>, ToolError>;
    relation_get(relation_id: &str, unit: &str) -> Result<DataBag, ToolError>;
    relation_get_app(relation_id: &str, app: &str) -> Result<DataBag, ToolError>;
    relation_set(relation_id: &str, app: bool, data: &DataBag) -> Result<(), ToolError>;
    config_get() -> Result<serde_json::Map<String, Value>, ToolError>;
    is_leader() -> Result<bool, ToolError>;
    leader_get() -> Result<DataBag, ToolError>;
    leader_set(data: &DataBag) -> Result<(), ToolError>;
    juju_log(level: LogLevel, message: &str) -> Result<(), ToolError>;
    status_set(application: bool, state: WorkloadState, message: &str) -> Result<(), ToolError>;
    unit_get(key: &str) -> Result<String, ToolError>;
    network_get(binding: &str) -> Result<Value, ToolError>;
    application_version_set(version: &str) -> Result<(), ToolError>;
    open_port(port: u16, protocol: Protocol) -> Result<(), ToolError>;
    close_port(port: u16, protocol: Protocol) -> Result<(), ToolError>;
    action_get() -> Result<Value, ToolError>;
    action_set(data: &DataBag) -> Result<(), ToolError>;
    action_fail(message: &str) -> Result<(), ToolError>;
}
