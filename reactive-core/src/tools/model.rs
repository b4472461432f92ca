//! What the read-only hook tools tell about the model, as typed values:
//! `status-get`, `goal-state`, `storage-get`, `credential-get` and
//! `relation-model-get`, each parsed from its `--format=json` output.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::WorkloadState;

/// A workload status, from `status-get --include-data --format=json`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StatusInfo {
    /// `active`, `blocked`, `maintenance`, `waiting`, `unknown`, `error`, …
    pub status: String,
    /// The status message.
    #[serde(default)]
    pub message: String,
    /// The data set with the status (usually empty).
    #[serde(rename = "status-data", default)]
    pub data: serde_json::Map<String, Value>,
}

impl StatusInfo {
    /// The status as a state `status-set` takes, when it is one.
    pub fn workload_state(&self) -> Option<WorkloadState> {
        self.status.parse().ok()
    }
}

/// The application's status and each unit's, from `status-get
/// --application --include-data --format=json` (leader only).
#[derive(Debug, Clone, PartialEq)]
pub struct ApplicationStatus {
    /// The application's own status.
    pub application: StatusInfo,
    /// Each unit's status, by unit name.
    pub units: BTreeMap<String, StatusInfo>,
}

/// The shape `status-get --application` prints.
#[derive(Deserialize)]
pub(crate) struct ApplicationStatusOutput {
    #[serde(rename = "application-status")]
    pub(crate) application_status: ApplicationStatusFields,
}

#[derive(Deserialize)]
pub(crate) struct ApplicationStatusFields {
    #[serde(flatten)]
    pub(crate) status: StatusInfo,
    #[serde(default)]
    pub(crate) units: BTreeMap<String, StatusInfo>,
}

/// A unit's or application's goal status, from `goal-state`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GoalStatus {
    /// `active`, `waiting`, `joining`, `joined`, `dying`, …
    pub status: String,
    /// Since when (`2006-01-02 15:04:05Z`), when Juju knows.
    #[serde(default)]
    pub since: Option<String>,
}

/// What Juju is working towards, from `goal-state --format=json`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct GoalState {
    /// This application's units, by name.
    #[serde(default)]
    pub units: BTreeMap<String, GoalStatus>,
    /// For each endpoint, the related applications and units, by name.
    #[serde(default)]
    pub relations: BTreeMap<String, BTreeMap<String, GoalStatus>>,
}

impl GoalState {
    /// This application's units that are not dying (ops' `planned_units`).
    pub fn planned_units(&self) -> usize {
        self.units.values().filter(|u| u.status != "dying").count()
    }
}

/// A storage instance's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageKind {
    /// A block device.
    Block,
    /// A mounted file system.
    Filesystem,
    /// Anything else Juju may print.
    #[serde(other)]
    Unknown,
}

impl StorageKind {
    /// The word Juju prints for it (`block`, `filesystem`).
    pub const fn as_str(self) -> &'static str {
        match self {
            StorageKind::Block => "block",
            StorageKind::Filesystem => "filesystem",
            StorageKind::Unknown => "unknown",
        }
    }
}

/// A storage instance, from `storage-get --format=json -s ID`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StorageInfo {
    /// Its kind.
    pub kind: StorageKind,
    /// Where it is: a mount point or a device path.
    pub location: String,
}

/// The cloud credential in a [`CloudSpec`]. Its attributes hold secrets
/// (keys, passwords): its `Debug` form shows their names only.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct CloudCredential {
    /// The authentication type, e.g. `access-key`, `certificate`.
    #[serde(rename = "auth-type")]
    pub auth_type: String,
    /// The credential's attributes.
    #[serde(rename = "attrs", default)]
    pub attributes: BTreeMap<String, String>,
    /// The names of attributes Juju redacted.
    #[serde(default)]
    pub redacted: Vec<String>,
}

impl fmt::Debug for CloudCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudCredential")
            .field("auth_type", &self.auth_type)
            .field("attributes", &self.attributes.keys().collect::<Vec<_>>())
            .field("redacted", &self.redacted)
            .finish()
    }
}

/// The cloud the model runs on, from `credential-get --format=json`
/// (only for applications trusted with `juju trust`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CloudSpec {
    /// The cloud's type, e.g. `ec2`, `lxd`.
    #[serde(rename = "type")]
    pub cloud_type: String,
    /// The cloud's name.
    pub name: String,
    /// The region, if any.
    #[serde(default)]
    pub region: Option<String>,
    /// The API endpoint, if any.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// The identity endpoint, if any.
    #[serde(rename = "identity-endpoint", default)]
    pub identity_endpoint: Option<String>,
    /// The storage endpoint, if any.
    #[serde(rename = "storage-endpoint", default)]
    pub storage_endpoint: Option<String>,
    /// The credential, if any.
    #[serde(default)]
    pub credential: Option<CloudCredential>,
    /// CA certificates (PEM) to trust for the cloud.
    #[serde(rename = "cacertificates", default)]
    pub ca_certificates: Vec<String>,
    /// Whether TLS verification is skipped.
    #[serde(rename = "skip-tls-verify", default)]
    pub skip_tls_verify: bool,
    /// Whether this is the controller's own cloud.
    #[serde(rename = "is-controller-cloud", default)]
    pub is_controller_cloud: bool,
}

/// The model hosting the other side of a relation, from
/// `relation-model-get --format=json -r ID`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RelationModel {
    /// The model's UUID.
    pub uuid: String,
}
