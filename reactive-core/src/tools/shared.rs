//! A backend shared behind a mutex is a backend: a harness or simulator
//! keeps one handle to inspect the calls afterwards and lends the other to
//! the hook.

use std::sync::{Arc, Mutex};

use serde_json::Value;

use std::path::PathBuf;

use super::*;
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
    relation_get_key(relation_id: &str, unit: &str, key: &str) -> Result<Option<String>, ToolError>;
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
    action_log(message: &str) -> Result<(), ToolError>;
    resource_get(name: &str) -> Result<PathBuf, ToolError>;
    storage_get(storage_id: Option<&str>) -> Result<StorageInfo, ToolError>;
    storage_get_key(storage_id: Option<&str>, key: &str) -> Result<String, ToolError>;
    storage_list(name: Option<&str>) -> Result<Vec<String>, ToolError>;
    storage_add(name: &str, count: u32) -> Result<(), ToolError>;
    secret_add(content: &SecretContent, options: &SecretOptions) -> Result<String, ToolError>;
    secret_get(secret: SecretRef<'_>, revision: SecretRevision) -> Result<SecretContent, ToolError>;
    secret_set(id: &str, content: Option<&SecretContent>, options: &SecretOptions) -> Result<(), ToolError>;
    secret_grant(id: &str, relation_id: &str, unit: Option<&str>) -> Result<(), ToolError>;
    secret_revoke(id: &str, relation_id: &str, unit: Option<&str>) -> Result<(), ToolError>;
    secret_remove(id: &str, revision: Option<u64>) -> Result<(), ToolError>;
    secret_ids() -> Result<Vec<String>, ToolError>;
    secret_info_get(secret: SecretRef<'_>) -> Result<SecretInfo, ToolError>;
    status_get() -> Result<StatusInfo, ToolError>;
    application_status_get() -> Result<ApplicationStatus, ToolError>;
    goal_state() -> Result<GoalState, ToolError>;
    opened_ports() -> Result<Vec<OpenedPort>, ToolError>;
    open_port_range(range: PortRange, endpoints: &[String]) -> Result<(), ToolError>;
    close_port_range(range: PortRange, endpoints: &[String]) -> Result<(), ToolError>;
    state_get(key: &str) -> Result<Option<String>, ToolError>;
    state_get_all() -> Result<DataBag, ToolError>;
    state_set(data: &DataBag) -> Result<(), ToolError>;
    state_delete(key: &str) -> Result<(), ToolError>;
    credential_get() -> Result<CloudSpec, ToolError>;
    relation_model_get(relation_id: &str) -> Result<RelationModel, ToolError>;
}
