//! The hook environment: the one door to Juju.
//!
//! Everything the framework asks of Juju goes through the [`HookTools`]
//! trait. Two implementations exist: [`process::ProcessTools`] runs Juju's
//! hook tools (`relation-get`, `config-get`, …) as subprocesses, and the
//! simulator's in-memory model answers the same calls without Juju.
//! Per-hook caching of the answers that cannot change within a hook is done
//! once, above the trait, by [`cache::CachedTools`], so both
//! implementations see the same calls and the harness can count them.

pub mod cache;
pub mod error;
pub mod handle;
pub mod model;
pub mod null;
pub mod ports;
pub mod process;
pub mod secrets;
mod shared;
pub mod status;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

pub use error::ToolError;
pub use model::{
    ApplicationStatus, CloudCredential, CloudSpec, GoalState, GoalStatus, RelationModel,
    StatusInfo, StorageInfo, StorageKind,
};
pub use ports::{OpenedPort, PortEndpoints, PortRange};
pub use secrets::{
    SecretContent, SecretInfo, SecretOptions, SecretOwner, SecretRef, SecretRevision, SecretRotate,
};
pub use status::{Protocol, WorkloadState};

use crate::log::LogLevel;

/// A relation data bag: string keys to string values, as Juju stores them.
pub type DataBag = BTreeMap<String, String>;

/// The hook tools a charm may call. Each method is one tool invocation.
///
/// Implementations do no caching (see [`cache::CachedTools`]). The tools
/// after [`action_fail`](HookTools::action_fail) have default
/// implementations answering [`ToolError::NotSupported`], for backends that
/// do not model them.
pub trait HookTools: Send {
    /// `relation-ids --format=json NAME`: the relation ids of an endpoint.
    fn relation_ids(&mut self, endpoint: &str) -> Result<Vec<String>, ToolError>;
    /// `relation-list --format=json -r ID`: the remote units of a relation.
    fn relation_list(&mut self, relation_id: &str) -> Result<Vec<String>, ToolError>;
    /// `relation-get --format=json -r ID - UNIT`: a unit's data bag (this
    /// unit's own, or a remote unit's).
    fn relation_get(&mut self, relation_id: &str, unit: &str) -> Result<DataBag, ToolError>;
    /// `relation-get --format=json --app -r ID - APP`: an application's data
    /// bag.
    fn relation_get_app(&mut self, relation_id: &str, app: &str) -> Result<DataBag, ToolError>;
    /// `relation-get --format=json -r ID KEY UNIT`: one key of a unit's
    /// data bag (`None`: the key is not set). The whole bag crosses the
    /// pipe only when asked for: this unit's own bag may hold thousands
    /// of answers. By default the bag is read with
    /// [`relation_get`](HookTools::relation_get) and the key taken from it.
    fn relation_get_key(
        &mut self,
        relation_id: &str,
        unit: &str,
        key: &str,
    ) -> Result<Option<String>, ToolError> {
        Ok(self.relation_get(relation_id, unit)?.remove(key))
    }
    /// `relation-set -r ID [--app] --file -`: write keys of this unit's (or,
    /// with `app`, this application's) bag; an empty value deletes a key.
    fn relation_set(
        &mut self,
        relation_id: &str,
        app: bool,
        data: &DataBag,
    ) -> Result<(), ToolError>;
    /// `config-get --all --format=json`.
    fn config_get(&mut self) -> Result<serde_json::Map<String, Value>, ToolError>;
    /// `is-leader --format=json`.
    fn is_leader(&mut self) -> Result<bool, ToolError>;
    /// `leader-get --format=json`.
    fn leader_get(&mut self) -> Result<DataBag, ToolError>;
    /// `leader-set k=v ...` (an empty value deletes a key).
    fn leader_set(&mut self, data: &DataBag) -> Result<(), ToolError>;
    /// `juju-log -l LEVEL MESSAGE`.
    fn juju_log(&mut self, level: LogLevel, message: &str) -> Result<(), ToolError>;
    /// `status-set [--application] STATE MESSAGE`.
    fn status_set(
        &mut self,
        application: bool,
        state: WorkloadState,
        message: &str,
    ) -> Result<(), ToolError>;
    /// `unit-get KEY` (`private-address`, `public-address`).
    fn unit_get(&mut self, key: &str) -> Result<String, ToolError>;
    /// `network-get --format=json BINDING`.
    fn network_get(&mut self, binding: &str) -> Result<Value, ToolError>;
    /// `application-version-set VERSION`.
    fn application_version_set(&mut self, version: &str) -> Result<(), ToolError>;
    /// `open-port PORT/PROTOCOL`.
    fn open_port(&mut self, port: u16, protocol: Protocol) -> Result<(), ToolError>;
    /// `close-port PORT/PROTOCOL`.
    fn close_port(&mut self, port: u16, protocol: Protocol) -> Result<(), ToolError>;
    /// `action-get --format=json`: the running action's parameters.
    fn action_get(&mut self) -> Result<Value, ToolError>;
    /// `action-set k=v ...`.
    fn action_set(&mut self, data: &DataBag) -> Result<(), ToolError>;
    /// `action-fail MESSAGE`.
    fn action_fail(&mut self, message: &str) -> Result<(), ToolError>;

    /// `action-log MESSAGE`: a progress message for the running action.
    fn action_log(&mut self, message: &str) -> Result<(), ToolError> {
        let _ = message;
        Err(ToolError::not_supported("action-log"))
    }

    /// `resource-get NAME`: the path of the resource's local copy
    /// (downloaded first when needed).
    fn resource_get(&mut self, name: &str) -> Result<PathBuf, ToolError> {
        let _ = name;
        Err(ToolError::not_supported("resource-get"))
    }

    /// `storage-get --format=json [-s ID]`: a storage instance's kind and
    /// location (the hook's own instance when `storage_id` is `None`).
    fn storage_get(&mut self, storage_id: Option<&str>) -> Result<StorageInfo, ToolError> {
        let _ = storage_id;
        Err(ToolError::not_supported("storage-get"))
    }

    /// `storage-get --format=json [-s ID] KEY`: one attribute (`kind`,
    /// `location`) of a storage instance.
    fn storage_get_key(
        &mut self,
        storage_id: Option<&str>,
        key: &str,
    ) -> Result<String, ToolError> {
        let _ = (storage_id, key);
        Err(ToolError::not_supported("storage-get"))
    }

    /// `storage-list --format=json [NAME]`: the ids (`data/0`) of the
    /// storage instances attached to this unit, of one storage name or all.
    fn storage_list(&mut self, name: Option<&str>) -> Result<Vec<String>, ToolError> {
        let _ = name;
        Err(ToolError::not_supported("storage-list"))
    }

    /// `storage-add NAME=COUNT`: ask for `count` more instances of a storage.
    fn storage_add(&mut self, name: &str, count: u32) -> Result<(), ToolError> {
        let _ = (name, count);
        Err(ToolError::not_supported("storage-add"))
    }

    /// `secret-add`: create a secret holding `content`; its id
    /// (`secret:…`).
    fn secret_add(
        &mut self,
        content: &SecretContent,
        options: &SecretOptions,
    ) -> Result<String, ToolError> {
        let _ = (content, options);
        Err(ToolError::not_supported("secret-add"))
    }

    /// `secret-get --format=json`: a secret's content.
    fn secret_get(
        &mut self,
        secret: SecretRef<'_>,
        revision: SecretRevision,
    ) -> Result<SecretContent, ToolError> {
        let _ = (secret, revision);
        Err(ToolError::not_supported("secret-get"))
    }

    /// `secret-set ID`: a new revision with `content` (when given) and/or
    /// new metadata.
    fn secret_set(
        &mut self,
        id: &str,
        content: Option<&SecretContent>,
        options: &SecretOptions,
    ) -> Result<(), ToolError> {
        let _ = (id, content, options);
        Err(ToolError::not_supported("secret-set"))
    }

    /// `secret-grant ID --relation REL [--unit UNIT]`.
    fn secret_grant(
        &mut self,
        id: &str,
        relation_id: &str,
        unit: Option<&str>,
    ) -> Result<(), ToolError> {
        let _ = (id, relation_id, unit);
        Err(ToolError::not_supported("secret-grant"))
    }

    /// `secret-revoke ID --relation REL [--unit UNIT]`.
    fn secret_revoke(
        &mut self,
        id: &str,
        relation_id: &str,
        unit: Option<&str>,
    ) -> Result<(), ToolError> {
        let _ = (id, relation_id, unit);
        Err(ToolError::not_supported("secret-revoke"))
    }

    /// `secret-remove ID [--revision N]`.
    fn secret_remove(&mut self, id: &str, revision: Option<u64>) -> Result<(), ToolError> {
        let _ = (id, revision);
        Err(ToolError::not_supported("secret-remove"))
    }

    /// `secret-ids --format=json`: the ids of the secrets this application
    /// (or unit) owns, as `secret:…`.
    fn secret_ids(&mut self) -> Result<Vec<String>, ToolError> {
        Err(ToolError::not_supported("secret-ids"))
    }

    /// `secret-info-get --format=json`: an owned secret's metadata.
    fn secret_info_get(&mut self, secret: SecretRef<'_>) -> Result<SecretInfo, ToolError> {
        let _ = secret;
        Err(ToolError::not_supported("secret-info-get"))
    }

    /// `status-get --include-data --format=json`: this unit's status.
    fn status_get(&mut self) -> Result<StatusInfo, ToolError> {
        Err(ToolError::not_supported("status-get"))
    }

    /// `status-get --application --include-data --format=json`: the
    /// application's status and its units' (leader only).
    fn application_status_get(&mut self) -> Result<ApplicationStatus, ToolError> {
        Err(ToolError::not_supported("status-get"))
    }

    /// `goal-state --format=json`.
    fn goal_state(&mut self) -> Result<GoalState, ToolError> {
        Err(ToolError::not_supported("goal-state"))
    }

    /// `opened-ports --endpoints --format=json`: the port ranges this unit
    /// has opened (as of the hook's start: Juju applies `open-port` when the
    /// hook ends).
    fn opened_ports(&mut self) -> Result<Vec<OpenedPort>, ToolError> {
        Err(ToolError::not_supported("opened-ports"))
    }

    /// `open-port [--endpoints E1,E2] RANGE`. The default opens one TCP or
    /// UDP port for every endpoint through [`open_port`](HookTools::open_port)
    /// and refuses anything else.
    fn open_port_range(&mut self, range: PortRange, endpoints: &[String]) -> Result<(), ToolError> {
        match range.single() {
            Some((port, protocol)) if endpoints.is_empty() => self.open_port(port, protocol),
            _ => Err(ToolError::not_supported("open-port")),
        }
    }

    /// `close-port [--endpoints E1,E2] RANGE`. The default is that of
    /// [`open_port_range`](HookTools::open_port_range).
    fn close_port_range(
        &mut self,
        range: PortRange,
        endpoints: &[String],
    ) -> Result<(), ToolError> {
        match range.single() {
            Some((port, protocol)) if endpoints.is_empty() => self.close_port(port, protocol),
            _ => Err(ToolError::not_supported("close-port")),
        }
    }

    /// `state-get --format=json --strict KEY`: one value of the charm's
    /// controller-side state; `None` when the key is not set.
    fn state_get(&mut self, key: &str) -> Result<Option<String>, ToolError> {
        let _ = key;
        Err(ToolError::not_supported("state-get"))
    }

    /// `state-get --format=json`: the whole controller-side state.
    fn state_get_all(&mut self) -> Result<DataBag, ToolError> {
        Err(ToolError::not_supported("state-get"))
    }

    /// `state-set --file -`: set keys of the controller-side state (the
    /// values go on standard input, never on the command line).
    fn state_set(&mut self, data: &DataBag) -> Result<(), ToolError> {
        let _ = data;
        Err(ToolError::not_supported("state-set"))
    }

    /// `state-delete KEY`.
    fn state_delete(&mut self, key: &str) -> Result<(), ToolError> {
        let _ = key;
        Err(ToolError::not_supported("state-delete"))
    }

    /// `credential-get --format=json`: the model's cloud and credential
    /// (the application must be trusted).
    fn credential_get(&mut self) -> Result<CloudSpec, ToolError> {
        Err(ToolError::not_supported("credential-get"))
    }

    /// `relation-model-get --format=json -r ID`: the model on the other
    /// side of a relation.
    fn relation_model_get(&mut self, relation_id: &str) -> Result<RelationModel, ToolError> {
        let _ = relation_id;
        Err(ToolError::not_supported("relation-model-get"))
    }
}
