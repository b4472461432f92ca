//! A hook environment with no Juju behind it: every call fails with
//! [`ToolError::NotFound`]. The default of a bare [`Context`](crate::Context),
//! for code that never talks to Juju.

use serde_json::Value;

use super::{DataBag, HookTools, Protocol, ToolError, WorkloadState};
use crate::log::LogLevel;

/// Answers every hook-tool call with "not found".
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTools;

fn missing<T>(tool: &str) -> Result<T, ToolError> {
    Err(ToolError::NotFound {
        tool: tool.to_string(),
    })
}

impl HookTools for NoTools {
    fn relation_ids(&mut self, _: &str) -> Result<Vec<String>, ToolError> {
        missing("relation-ids")
    }
    fn relation_list(&mut self, _: &str) -> Result<Vec<String>, ToolError> {
        missing("relation-list")
    }
    fn relation_get(&mut self, _: &str, _: &str) -> Result<DataBag, ToolError> {
        missing("relation-get")
    }
    fn relation_get_app(&mut self, _: &str, _: &str) -> Result<DataBag, ToolError> {
        missing("relation-get")
    }
    fn relation_set(&mut self, _: &str, _: bool, _: &DataBag) -> Result<(), ToolError> {
        missing("relation-set")
    }
    fn config_get(&mut self) -> Result<serde_json::Map<String, Value>, ToolError> {
        missing("config-get")
    }
    fn is_leader(&mut self) -> Result<bool, ToolError> {
        missing("is-leader")
    }
    fn leader_get(&mut self) -> Result<DataBag, ToolError> {
        missing("leader-get")
    }
    fn leader_set(&mut self, _: &DataBag) -> Result<(), ToolError> {
        missing("leader-set")
    }
    fn juju_log(&mut self, _: LogLevel, _: &str) -> Result<(), ToolError> {
        missing("juju-log")
    }
    fn status_set(&mut self, _: bool, _: WorkloadState, _: &str) -> Result<(), ToolError> {
        missing("status-set")
    }
    fn unit_get(&mut self, _: &str) -> Result<String, ToolError> {
        missing("unit-get")
    }
    fn network_get(&mut self, _: &str) -> Result<Value, ToolError> {
        missing("network-get")
    }
    fn application_version_set(&mut self, _: &str) -> Result<(), ToolError> {
        missing("application-version-set")
    }
    fn open_port(&mut self, _: u16, _: Protocol) -> Result<(), ToolError> {
        missing("open-port")
    }
    fn close_port(&mut self, _: u16, _: Protocol) -> Result<(), ToolError> {
        missing("close-port")
    }
    fn action_get(&mut self) -> Result<Value, ToolError> {
        missing("action-get")
    }
    fn action_set(&mut self, _: &DataBag) -> Result<(), ToolError> {
        missing("action-set")
    }
    fn action_fail(&mut self, _: &str) -> Result<(), ToolError> {
        missing("action-fail")
    }
}
