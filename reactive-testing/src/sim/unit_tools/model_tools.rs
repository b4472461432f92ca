//! The simulator's answers to the tools about the model: resources,
//! storage, status, goal state, ports, charm state, credentials and remote
//! models. Errors carry the standard error Juju prints, so that they are
//! classified alike in process and over the tool server.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::{s, UnitTools};
use crate::sim::model::{Status, ALL_ENDPOINTS};
use reactive_core::tools::{
    ApplicationStatus, CloudCredential, CloudSpec, DataBag, GoalState, GoalStatus, OpenedPort,
    PortEndpoints, PortRange, RelationModel, StatusInfo, StorageInfo, ToolError,
};

/// The `since` the simulator gives every goal status (it has no clock).
pub const GOAL_STATE_SINCE: &str = "2025-01-01 00:00:00Z";

/// A tool failure with Juju's standard error (`ERROR …`), classified as
/// the process backend classifies it.
pub(super) fn juju_error(tool: &str, args: &[String], stderr: &str) -> ToolError {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ToolError::failed(tool, &args, Some(1), stderr.as_bytes(), &[])
}

fn status_info(status: Option<&Status>) -> StatusInfo {
    match status {
        Some(status) => StatusInfo {
            status: status.state.to_string(),
            message: status.message.clone(),
            data: serde_json::Map::new(),
        },
        None => StatusInfo {
            status: "unknown".to_string(),
            message: String::new(),
            data: serde_json::Map::new(),
        },
    }
}

/// Open or close `range` for `endpoints` (every endpoint when empty) in
/// a unit's opened ports.
pub(super) fn apply_port(
    ports: &mut BTreeMap<PortRange, BTreeSet<String>>,
    open: bool,
    range: PortRange,
    endpoints: &[String],
) {
    let names: Vec<String> = if endpoints.is_empty() {
        vec![ALL_ENDPOINTS.to_string()]
    } else {
        endpoints.to_vec()
    };
    if open {
        ports.entry(range).or_default().extend(names);
    } else if let Some(open_for) = ports.get_mut(&range) {
        if endpoints.is_empty() {
            open_for.clear();
        } else {
            for name in &names {
                open_for.remove(name);
            }
        }
        if open_for.is_empty() {
            ports.remove(&range);
        }
    }
}

/// The fake cloud `credential-get` answers with in the simulator: not a
/// real cloud, and not a real credential.
pub fn simulated_cloud_spec() -> CloudSpec {
    CloudSpec {
        cloud_type: "simulated".to_string(),
        name: "simulated-cloud".to_string(),
        region: Some("simulated-region".to_string()),
        endpoint: Some("https://cloud.simulated.invalid".to_string()),
        identity_endpoint: None,
        storage_endpoint: None,
        credential: Some(CloudCredential {
            auth_type: "userpass".to_string(),
            attributes: BTreeMap::from([
                ("username".to_string(), "simulated-user".to_string()),
                ("password".to_string(), "simulated-password".to_string()),
            ]),
            redacted: Vec::new(),
        }),
        ca_certificates: Vec::new(),
        skip_tls_verify: false,
        is_controller_cloud: false,
    }
}

impl UnitTools {
    pub(super) fn tool_resource_get(&mut self, name: &str) -> Result<PathBuf, ToolError> {
        const TOOL: &str = "resource-get";
        let args = [s(name)];
        self.record(TOOL, &args);
        if name.is_empty() || name.starts_with('-') {
            return Err(ToolError::invalid_input(
                TOOL,
                format!("invalid resource name {name:?}"),
            ));
        }
        let path = self
            .model()
            .apps
            .get(&self.app)
            .and_then(|a| a.resources.get(name).cloned());
        path.ok_or_else(|| {
            juju_error(
                TOOL,
                &args,
                &format!("ERROR could not download resource: resource {name:?} not found"),
            )
        })
    }

    fn storage_args(storage_id: Option<&str>, key: Option<&str>) -> Vec<String> {
        let mut args = vec![s("--format=json")];
        if let Some(id) = storage_id {
            args.extend([s("-s"), s(id)]);
        }
        args.extend(key.map(s));
        args
    }

    fn storage_instance(
        &self,
        storage_id: Option<&str>,
        args: &[String],
    ) -> Result<StorageInfo, ToolError> {
        const TOOL: &str = "storage-get";
        let Some(id) = storage_id.or(self.storage_id.as_deref()) else {
            return Err(juju_error(
                TOOL,
                args,
                "ERROR no storage instance specified",
            ));
        };
        let model = self.model();
        let instance = model.units.get(&self.unit).and_then(|u| u.storage.get(id));
        match instance {
            Some(instance) => Ok(StorageInfo {
                kind: instance.kind,
                location: instance.location.clone(),
            }),
            None => Err(juju_error(
                TOOL,
                args,
                &format!("ERROR invalid value {id:?} for option -s: storage not found"),
            )),
        }
    }

    pub(super) fn tool_storage_get(
        &mut self,
        storage_id: Option<&str>,
    ) -> Result<StorageInfo, ToolError> {
        let args = Self::storage_args(storage_id, None);
        self.record("storage-get", &args);
        self.storage_instance(storage_id, &args)
    }

    pub(super) fn tool_storage_get_key(
        &mut self,
        storage_id: Option<&str>,
        key: &str,
    ) -> Result<String, ToolError> {
        let args = Self::storage_args(storage_id, Some(key));
        self.record("storage-get", &args);
        let info = self.storage_instance(storage_id, &args)?;
        match key {
            "kind" => Ok(info.kind.as_str().to_string()),
            "location" => Ok(info.location),
            other => Err(juju_error(
                "storage-get",
                &args,
                &format!("ERROR invalid storage attribute {other:?}; expected kind or location"),
            )),
        }
    }

    pub(super) fn tool_storage_list(
        &mut self,
        name: Option<&str>,
    ) -> Result<Vec<String>, ToolError> {
        let mut args = vec![s("--format=json")];
        args.extend(name.map(s));
        self.record("storage-list", &args);
        let model = self.model();
        let mut ids: Vec<(String, u32, String)> = model
            .units
            .get(&self.unit)
            .map(|u| {
                u.storage
                    .keys()
                    .filter_map(|id| {
                        let (n, i) = id.split_once('/')?;
                        Some((n.to_string(), i.parse().ok()?, id.clone()))
                    })
                    .filter(|(n, _, _)| name.is_none_or(|want| want == n))
                    .collect()
            })
            .unwrap_or_default();
        ids.sort();
        Ok(ids.into_iter().map(|(_, _, id)| id).collect())
    }

    pub(super) fn tool_storage_add(&mut self, name: &str, count: u32) -> Result<(), ToolError> {
        const TOOL: &str = "storage-add";
        let args = [format!("{name}={count}")];
        self.record_args(TOOL, &args);
        if count == 0 {
            return Err(ToolError::invalid_input(
                TOOL,
                format!("count of storage {name:?} must be 1 or more"),
            ));
        }
        let model = self.model();
        let Some(meta) = model
            .apps
            .get(&self.app)
            .and_then(|a| a.storage.iter().find(|m| m.name == name))
            .cloned()
        else {
            drop(model);
            return Err(juju_error(
                TOOL,
                &args,
                &format!("ERROR storage {name:?} not found"),
            ));
        };
        let have = model
            .units
            .get(&self.unit)
            .map(|u| {
                u.storage
                    .keys()
                    .filter(|id| id.split_once('/').is_some_and(|(n, _)| n == name))
                    .count()
            })
            .unwrap_or(0);
        drop(model);
        let pending: u64 = self
            .pending_storage
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, c)| u64::from(*c))
            .sum();
        let total = have as u64 + pending + u64::from(count);
        if let Some(max) = meta.maximum {
            if total > u64::from(max) {
                return Err(juju_error(
                    TOOL,
                    &args,
                    &format!(
                        "ERROR cannot add storage {name:?}: {total} instances would exceed the charm's maximum of {max}"
                    ),
                ));
            }
        }
        self.pending_storage.push((name.to_string(), count));
        Ok(())
    }

    pub(super) fn tool_status_get(&mut self) -> Result<StatusInfo, ToolError> {
        self.record("status-get", &[s("--include-data"), s("--format=json")]);
        let model = self.model();
        Ok(status_info(
            model.units.get(&self.unit).and_then(|u| u.status.as_ref()),
        ))
    }

    pub(super) fn tool_application_status_get(&mut self) -> Result<ApplicationStatus, ToolError> {
        let args = [s("--application"), s("--include-data"), s("--format=json")];
        self.record("status-get", &args);
        if !self.is_leader_now() {
            return Err(juju_error(
                "status-get",
                &args,
                "ERROR finding application status: this unit is not the leader",
            ));
        }
        let model = self.model();
        let application = status_info(model.apps.get(&self.app).and_then(|a| a.status.as_ref()));
        let units = model
            .units_of(&self.app)
            .into_iter()
            .map(|unit| {
                let info = status_info(model.units.get(&unit).and_then(|u| u.status.as_ref()));
                (unit, info)
            })
            .collect();
        Ok(ApplicationStatus { application, units })
    }

    pub(super) fn tool_goal_state(&mut self) -> Result<GoalState, ToolError> {
        self.record("goal-state", &[s("--format=json")]);
        let model = self.model();
        let status = |status: &str| GoalStatus {
            status: status.to_string(),
            since: Some(GOAL_STATE_SINCE.to_string()),
        };
        let units = model
            .units_of(&self.app)
            .into_iter()
            .map(|u| (u, status("active")))
            .collect();
        let mut relations: BTreeMap<String, BTreeMap<String, GoalStatus>> = BTreeMap::new();
        for relation in model.relations.values() {
            let Some(endpoint) = relation.endpoints.get(&self.app) else {
                continue;
            };
            let entry = relations.entry(endpoint.clone()).or_default();
            let peer = relation.endpoints.len() == 1;
            for app in relation.endpoints.keys() {
                if *app == self.app && !peer {
                    continue;
                }
                entry.insert(app.clone(), status("joined"));
                for unit in model.units_of(app) {
                    if unit != self.unit {
                        entry.insert(unit, status("active"));
                    }
                }
            }
        }
        Ok(GoalState { units, relations })
    }

    pub(super) fn tool_opened_ports(&mut self) -> Result<Vec<OpenedPort>, ToolError> {
        self.record("opened-ports", &[s("--endpoints"), s("--format=json")]);
        let model = self.model();
        let Some(unit) = model.units.get(&self.unit) else {
            return Ok(Vec::new());
        };
        Ok(unit
            .ports
            .iter()
            .map(|(range, endpoints)| OpenedPort {
                range: *range,
                endpoints: if endpoints.contains(ALL_ENDPOINTS) {
                    PortEndpoints::All
                } else {
                    PortEndpoints::Only(endpoints.iter().cloned().collect())
                },
            })
            .collect())
    }

    pub(super) fn tool_port_range(
        &mut self,
        tool: &'static str,
        range: PortRange,
        endpoints: &[String],
    ) -> Result<(), ToolError> {
        let mut args = Vec::new();
        if !endpoints.is_empty() {
            args.extend([s("--endpoints"), endpoints.join(",")]);
        }
        args.push(range.to_string());
        self.record(tool, &args);
        if let PortRange::Ports { from: 0, .. } = range {
            return Err(ToolError::invalid_input(tool, "port 0 is not a port"));
        }
        let unknown = {
            let model = self.model();
            let known = model.apps.get(&self.app).map(|a| &a.endpoints);
            endpoints
                .iter()
                .find(|e| known.is_none_or(|k| !k.contains_key(e.as_str())))
                .cloned()
        };
        if let Some(endpoint) = unknown {
            return Err(juju_error(
                tool,
                &args,
                &format!("ERROR endpoint {endpoint:?} not found"),
            ));
        }
        self.pending_ports
            .push((tool == "open-port", range, endpoints.to_vec()));
        Ok(())
    }

    fn check_state_key(tool: &str, key: &str) -> Result<(), ToolError> {
        if key.is_empty() || key.starts_with('-') {
            return Err(ToolError::invalid_input(
                tool,
                format!("invalid state key {key:?}"),
            ));
        }
        Ok(())
    }

    /// The charm state as this hook sees it: the model's, with this hook's
    /// own changes over it.
    fn charm_state_now(&self) -> DataBag {
        let mut state = self
            .model()
            .units
            .get(&self.unit)
            .map(|u| u.charm_state.clone())
            .unwrap_or_default();
        for (key, value) in &self.pending_state {
            match value {
                Some(value) => state.insert(key.clone(), value.clone()),
                None => state.remove(key),
            };
        }
        state
    }

    pub(super) fn tool_state_get(&mut self, key: &str) -> Result<Option<String>, ToolError> {
        self.record("state-get", &[s("--format=json"), s("--strict"), s(key)]);
        Self::check_state_key("state-get", key)?;
        Ok(self.charm_state_now().get(key).cloned())
    }

    pub(super) fn tool_state_get_all(&mut self) -> Result<DataBag, ToolError> {
        self.record("state-get", &[s("--format=json")]);
        Ok(self.charm_state_now())
    }

    pub(super) fn tool_state_set(&mut self, data: &DataBag) -> Result<(), ToolError> {
        self.record("state-set", &[s("--file"), s("-")]);
        for key in data.keys() {
            Self::check_state_key("state-set", key)?;
        }
        for (key, value) in data {
            self.pending_state.insert(key.clone(), Some(value.clone()));
        }
        Ok(())
    }

    pub(super) fn tool_state_delete(&mut self, key: &str) -> Result<(), ToolError> {
        self.record("state-delete", &[s(key)]);
        Self::check_state_key("state-delete", key)?;
        self.pending_state.insert(key.to_string(), None);
        Ok(())
    }

    pub(super) fn tool_credential_get(&mut self) -> Result<CloudSpec, ToolError> {
        let args = [s("--format=json")];
        self.record("credential-get", &args);
        let trusted = self.model().apps.get(&self.app).is_some_and(|a| a.trusted);
        if !trusted {
            return Err(juju_error(
                "credential-get",
                &args,
                "ERROR cannot access cloud credentials: permission denied (the application is not trusted; run `juju trust`)",
            ));
        }
        Ok(simulated_cloud_spec())
    }

    pub(super) fn tool_relation_model_get(
        &mut self,
        relation_id: &str,
    ) -> Result<RelationModel, ToolError> {
        let args = [s("--format=json"), s("-r"), s(relation_id)];
        self.record("relation-model-get", &args);
        let model = self.model();
        if model.relation_by_id(relation_id).is_none() {
            drop(model);
            return Err(super::relation_not_found(
                "relation-model-get",
                &args,
                relation_id,
            ));
        }
        Ok(RelationModel {
            uuid: model.uuid().to_string(),
        })
    }
}
