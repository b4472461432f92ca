//! Typed access to the hook tools about the model: secrets, storage,
//! resources, status, goal state, ports, charm state, credentials and
//! remote models. Each method is one call through the hook's (cached)
//! tools; see [`HookTools`](crate::tools::HookTools) for the tool behind
//! each and [`CachedTools`](crate::tools::cache::CachedTools) for what is
//! cached.

use std::path::PathBuf;

use super::Context;
use crate::tools::{
    ApplicationStatus, CloudSpec, DataBag, GoalState, HookTools, OpenedPort, PortRange,
    RelationModel, SecretContent, SecretInfo, SecretOptions, SecretRef, SecretRevision, StatusInfo,
    StorageInfo, ToolError,
};

impl Context {
    // ---- resources and storage -----------------------------------------

    /// The local path of the resource `name` (`resource-get`), fetched
    /// once per hook.
    pub fn resource_get(&self, name: &str) -> Result<PathBuf, ToolError> {
        self.tools().with(|t| t.resource_get(name))
    }

    /// A storage instance's kind and location (`storage-get`); `None` asks
    /// about the storage of a `storage-*` hook.
    pub fn storage_get(&self, storage_id: Option<&str>) -> Result<StorageInfo, ToolError> {
        self.tools().with(|t| t.storage_get(storage_id))
    }

    /// The ids (`data/0`) of the storage instances attached to this unit,
    /// of the storage `name` or of all (`storage-list`).
    pub fn storage_list(&self, name: Option<&str>) -> Result<Vec<String>, ToolError> {
        self.tools().with(|t| t.storage_list(name))
    }

    /// Ask for `count` more instances of the storage `name`
    /// (`storage-add`).
    pub fn storage_add(&self, name: &str, count: u32) -> Result<(), ToolError> {
        self.tools().with(|t| t.storage_add(name, count))
    }

    // ---- secrets --------------------------------------------------------

    /// Create a secret (`secret-add`), returning its id. The content goes
    /// to Juju through a private file, never on a command line.
    pub fn secret_add(
        &self,
        content: &SecretContent,
        options: &SecretOptions,
    ) -> Result<String, ToolError> {
        self.tools().with(|t| t.secret_add(content, options))
    }

    /// A secret's content (`secret-get`), at the revision this unit
    /// tracks, or the latest with [`SecretRevision::Peek`] /
    /// [`SecretRevision::Refresh`].
    pub fn secret_get(
        &self,
        secret: SecretRef<'_>,
        revision: SecretRevision,
    ) -> Result<SecretContent, ToolError> {
        self.tools().with(|t| t.secret_get(secret, revision))
    }

    /// A new revision of an owned secret and/or new metadata
    /// (`secret-set`).
    pub fn secret_set(
        &self,
        id: &str,
        content: Option<&SecretContent>,
        options: &SecretOptions,
    ) -> Result<(), ToolError> {
        self.tools().with(|t| t.secret_set(id, content, options))
    }

    /// Let the other side of a relation (or one unit of it) read a secret
    /// (`secret-grant`).
    pub fn secret_grant(
        &self,
        id: &str,
        relation_id: &str,
        unit: Option<&str>,
    ) -> Result<(), ToolError> {
        self.tools().with(|t| t.secret_grant(id, relation_id, unit))
    }

    /// Take back a grant (`secret-revoke`).
    pub fn secret_revoke(
        &self,
        id: &str,
        relation_id: &str,
        unit: Option<&str>,
    ) -> Result<(), ToolError> {
        self.tools()
            .with(|t| t.secret_revoke(id, relation_id, unit))
    }

    /// Remove a secret, or one revision of it (`secret-remove`).
    pub fn secret_remove(&self, id: &str, revision: Option<u64>) -> Result<(), ToolError> {
        self.tools().with(|t| t.secret_remove(id, revision))
    }

    /// The ids of the secrets this application owns (`secret-ids`).
    pub fn secret_ids(&self) -> Result<Vec<String>, ToolError> {
        self.tools().with(|t| t.secret_ids())
    }

    /// An owned secret's metadata (`secret-info-get`).
    pub fn secret_info_get(&self, secret: SecretRef<'_>) -> Result<SecretInfo, ToolError> {
        self.tools().with(|t| t.secret_info_get(secret))
    }

    // ---- status and goal state -----------------------------------------

    /// This unit's workload status (`status-get`).
    pub fn status_get(&self) -> Result<StatusInfo, ToolError> {
        self.tools().with(|t| t.status_get())
    }

    /// The application's status and its units' (`status-get
    /// --application`); [`ToolError::NotLeader`] on a follower.
    pub fn application_status_get(&self) -> Result<ApplicationStatus, ToolError> {
        self.tools().with(|t| t.application_status_get())
    }

    /// What Juju is working towards (`goal-state`), read once per hook.
    pub fn goal_state(&self) -> Result<GoalState, ToolError> {
        self.tools().with(|t| t.goal_state())
    }

    /// How many units of this application Juju plans (those of
    /// `goal-state` not dying).
    pub fn planned_units(&self) -> Result<usize, ToolError> {
        Ok(self.goal_state()?.planned_units())
    }

    // ---- ports -----------------------------------------------------------

    /// The port ranges this unit has opened (`opened-ports`), as of the
    /// hook's start.
    pub fn opened_ports(&self) -> Result<Vec<OpenedPort>, ToolError> {
        self.tools().with(|t| t.opened_ports())
    }

    /// Open a port, range or ICMP (`open-port`), for `endpoints` or, when
    /// empty, every endpoint. Juju applies it when the hook succeeds.
    pub fn open_port(&self, range: PortRange, endpoints: &[&str]) -> Result<(), ToolError> {
        let endpoints: Vec<String> = endpoints.iter().map(|e| e.to_string()).collect();
        self.tools().with(|t| t.open_port_range(range, &endpoints))
    }

    /// Close a port, range or ICMP (`close-port`), as
    /// [`Context::open_port`] opens it.
    pub fn close_port(&self, range: PortRange, endpoints: &[&str]) -> Result<(), ToolError> {
        let endpoints: Vec<String> = endpoints.iter().map(|e| e.to_string()).collect();
        self.tools().with(|t| t.close_port_range(range, &endpoints))
    }

    // ---- actions ---------------------------------------------------------

    /// Record a progress message for the running action (`action-log`).
    pub fn action_log(&self, message: &str) -> Result<(), ToolError> {
        self.tools().with(|t| t.action_log(message))
    }

    // ---- charm state, credentials, remote models ----------------------

    /// One value of the charm's controller-side state (`state-get`);
    /// `None` when `key` is not set.
    pub fn state_get(&self, key: &str) -> Result<Option<String>, ToolError> {
        self.tools().with(|t| t.state_get(key))
    }

    /// The whole controller-side state (`state-get`).
    pub fn state_get_all(&self) -> Result<DataBag, ToolError> {
        self.tools().with(|t| t.state_get_all())
    }

    /// Set keys of the controller-side state (`state-set`).
    pub fn state_set(&self, data: &DataBag) -> Result<(), ToolError> {
        self.tools().with(|t| t.state_set(data))
    }

    /// Delete a key of the controller-side state (`state-delete`).
    pub fn state_delete(&self, key: &str) -> Result<(), ToolError> {
        self.tools().with(|t| t.state_delete(key))
    }

    /// The model's cloud and credential (`credential-get`; the application
    /// must be trusted), read once per hook.
    pub fn credential_get(&self) -> Result<CloudSpec, ToolError> {
        self.tools().with(|t| t.credential_get())
    }

    /// The model on the other side of a relation (`relation-model-get`).
    pub fn relation_model_get(&self, relation_id: &str) -> Result<RelationModel, ToolError> {
        self.tools().with(|t| t.relation_model_get(relation_id))
    }
}
