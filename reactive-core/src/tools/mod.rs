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
pub mod null;
pub mod process;
mod shared;
pub mod status;

use std::collections::BTreeMap;

use serde_json::Value;

pub use error::ToolError;
pub use status::{Protocol, WorkloadState};

use crate::log::LogLevel;

/// A relation data bag: string keys to string values, as Juju stores them.
pub type DataBag = BTreeMap<String, String>;

/// The hook tools a charm may call. Each method is one tool invocation.
///
/// Implementations do no caching (see [`cache::CachedTools`]).
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
}
