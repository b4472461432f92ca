//! The process backend's tools about the model: resources, storage,
//! status, goal state, ports, charm state, credentials, remote models and
//! action progress.

use std::path::PathBuf;

use super::{push_text, ProcessTools};
use crate::tools::model::ApplicationStatusOutput;
use crate::tools::ports::check_endpoints;
use crate::tools::{
    ApplicationStatus, CloudSpec, DataBag, GoalState, OpenedPort, PortRange, RelationModel,
    StatusInfo, StorageInfo, ToolError,
};

impl ProcessTools {
    pub(super) fn tool_action_log(&mut self, message: &str) -> Result<(), ToolError> {
        let mut args = Vec::with_capacity(2);
        push_text(&mut args, message);
        self.run_quiet("action-log", &args, &[])
    }

    pub(super) fn tool_resource_get(&mut self, name: &str) -> Result<PathBuf, ToolError> {
        if name.is_empty() || name.starts_with('-') {
            return Err(ToolError::invalid_input(
                "resource-get",
                format!("invalid resource name {name:?}"),
            ));
        }
        self.run_text("resource-get", &[name], &[])
            .map(PathBuf::from)
    }

    fn storage_args<'a>(storage_id: Option<&'a str>, key: Option<&'a str>) -> Vec<&'a str> {
        let mut args = vec!["--format=json"];
        if let Some(id) = storage_id {
            args.extend(["-s", id]);
        }
        args.extend(key);
        args
    }

    pub(super) fn tool_storage_get(
        &mut self,
        storage_id: Option<&str>,
    ) -> Result<StorageInfo, ToolError> {
        self.run_typed("storage-get", &Self::storage_args(storage_id, None))
    }

    pub(super) fn tool_storage_get_key(
        &mut self,
        storage_id: Option<&str>,
        key: &str,
    ) -> Result<String, ToolError> {
        if key.is_empty() || key.starts_with('-') {
            return Err(ToolError::invalid_input(
                "storage-get",
                format!("invalid storage attribute {key:?}"),
            ));
        }
        self.run_typed("storage-get", &Self::storage_args(storage_id, Some(key)))
    }

    pub(super) fn tool_storage_list(
        &mut self,
        name: Option<&str>,
    ) -> Result<Vec<String>, ToolError> {
        let mut args = vec!["--format=json"];
        args.extend(name);
        self.run_list("storage-list", &args)
    }

    pub(super) fn tool_storage_add(&mut self, name: &str, count: u32) -> Result<(), ToolError> {
        if count == 0 {
            return Err(ToolError::invalid_input(
                "storage-add",
                format!("count of storage {name:?} must be 1 or more"),
            ));
        }
        if name.is_empty() || name.starts_with('-') || name.contains(['=', ' ', ',']) {
            return Err(ToolError::invalid_input(
                "storage-add",
                format!("invalid storage name {name:?}"),
            ));
        }
        let directive = format!("{name}={count}");
        // Not `run_settings`: a storage count is no secret, so the
        // directive is kept whole in errors.
        self.run_quiet("storage-add", &[&directive], &[])
    }

    pub(super) fn tool_status_get(&mut self) -> Result<StatusInfo, ToolError> {
        self.run_typed("status-get", &["--include-data", "--format=json"])
    }

    pub(super) fn tool_application_status_get(&mut self) -> Result<ApplicationStatus, ToolError> {
        let output: ApplicationStatusOutput = self.run_typed(
            "status-get",
            &["--application", "--include-data", "--format=json"],
        )?;
        Ok(ApplicationStatus {
            application: output.application_status.status,
            units: output.application_status.units,
        })
    }

    pub(super) fn tool_goal_state(&mut self) -> Result<GoalState, ToolError> {
        self.run_typed("goal-state", &["--format=json"])
    }

    pub(super) fn tool_opened_ports(&mut self) -> Result<Vec<OpenedPort>, ToolError> {
        const TOOL: &str = "opened-ports";
        let args = ["--endpoints", "--format=json"];
        let lines = self.run_list(TOOL, &args)?;
        lines
            .iter()
            .map(|line| {
                line.parse().map_err(|reason: String| {
                    ToolError::bad_output(TOOL, &args, line.as_bytes(), reason)
                })
            })
            .collect()
    }

    pub(super) fn tool_port_range(
        &mut self,
        tool: &'static str,
        range: PortRange,
        endpoints: &[String],
    ) -> Result<(), ToolError> {
        check_endpoints(endpoints).map_err(|reason| ToolError::invalid_input(tool, reason))?;
        if let PortRange::Ports { from: 0, .. } = range {
            return Err(ToolError::invalid_input(tool, "port 0 is not a port"));
        }
        let joined = endpoints.join(",");
        let spec = range.to_string();
        let mut args = Vec::with_capacity(3);
        if !endpoints.is_empty() {
            args.extend(["--endpoints", joined.as_str()]);
        }
        args.push(spec.as_str());
        self.run_quiet(tool, &args, &[])
    }

    fn check_state_key(tool: &str, key: &str) -> Result<(), ToolError> {
        if key.is_empty() || key == "-" || key.starts_with('-') {
            return Err(ToolError::invalid_input(
                tool,
                format!("invalid state key {key:?}"),
            ));
        }
        Ok(())
    }

    pub(super) fn tool_state_get(&mut self, key: &str) -> Result<Option<String>, ToolError> {
        Self::check_state_key("state-get", key)?;
        match self.run_typed("state-get", &["--format=json", "--strict", key]) {
            Ok(value) => Ok(Some(value)),
            Err(ToolError::EntityNotFound { .. }) => Ok(None),
            Err(err) => Err(err),
        }
    }

    pub(super) fn tool_state_get_all(&mut self) -> Result<DataBag, ToolError> {
        self.run_bag("state-get", &["--format=json"])
    }

    pub(super) fn tool_state_set(&mut self, data: &DataBag) -> Result<(), ToolError> {
        if data.is_empty() {
            return Ok(());
        }
        for key in data.keys() {
            Self::check_state_key("state-set", key)?;
        }
        // A map of strings always serializes; JSON is YAML, which
        // `state-set --file` reads.
        let input = serde_json::to_vec(data).map_err(|err| ToolError::Io {
            tool: "state-set".to_string(),
            source: std::io::Error::other(err.to_string()),
        })?;
        let secrets: Vec<&str> = data.values().map(String::as_str).collect();
        self.run("state-set", &["--file", "-"], Some(&input), &secrets)
            .map(drop)
    }

    pub(super) fn tool_state_delete(&mut self, key: &str) -> Result<(), ToolError> {
        Self::check_state_key("state-delete", key)?;
        self.run_quiet("state-delete", &[key], &[])
    }

    pub(super) fn tool_credential_get(&mut self) -> Result<CloudSpec, ToolError> {
        self.run_typed("credential-get", &["--format=json"])
    }

    pub(super) fn tool_relation_model_get(
        &mut self,
        relation_id: &str,
    ) -> Result<RelationModel, ToolError> {
        self.run_typed("relation-model-get", &["--format=json", "-r", relation_id])
    }
}
