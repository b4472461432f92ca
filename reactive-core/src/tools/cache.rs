//! Per-hook caching of the hook tools' answers that cannot change within a
//! hook.

use std::collections::HashMap;

use serde_json::Value;

use super::{DataBag, HookTools, Protocol, ToolError, WorkloadState};
use crate::log::LogLevel;

/// Wraps a [`HookTools`] and remembers, for the rest of the hook, the
/// answers Juju cannot change while it runs: the charm's config, leadership,
/// the leader settings, each endpoint's relation ids, each relation's remote
/// units, and each unit's and application's relation data.
///
/// - Errors are not cached: asking again asks the tool again.
/// - [`leader_set`](HookTools::leader_set) updates the cached leader
///   settings (when they have been read): keys set, empty-valued keys
///   deleted.
/// - [`relation_set`](HookTools::relation_set) does *not* update the cached
///   data of this unit or application: what `relation-get` answered stays
///   the answer; the caller tracks its own writes.
/// - Every other call goes straight through.
///
/// ```
/// use reactive_core::tools::{cache::CachedTools, process::ProcessTools, HookTools};
/// let mut tools = CachedTools::new(Box::new(ProcessTools::new(None)));
/// assert!(tools.is_leader().is_err()); // no `is-leader` on an empty PATH
/// ```
pub struct CachedTools {
    inner: Box<dyn HookTools>,
    config: Option<serde_json::Map<String, Value>>,
    is_leader: Option<bool>,
    leader: Option<DataBag>,
    relation_ids: HashMap<String, Vec<String>>,
    relation_list: HashMap<String, Vec<String>>,
    /// Relation id → unit → data.
    relation_get: HashMap<String, HashMap<String, DataBag>>,
    /// Relation id → application → data.
    relation_get_app: HashMap<String, HashMap<String, DataBag>>,
}

impl std::fmt::Debug for CachedTools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The cached data may hold secrets: show only what is cached.
        f.debug_struct("CachedTools")
            .field("config_cached", &self.config.is_some())
            .field("is_leader", &self.is_leader)
            .field("leader_cached", &self.leader.is_some())
            .field("relation_ids", &self.relation_ids)
            .field("relation_list", &self.relation_list)
            .field("relation_get_cached", &self.relation_get.len())
            .field("relation_get_app_cached", &self.relation_get_app.len())
            .finish_non_exhaustive()
    }
}

impl CachedTools {
    /// Cache the answers of `inner`; nothing is cached yet.
    pub fn new(inner: Box<dyn HookTools>) -> Self {
        CachedTools {
            inner,
            config: None,
            is_leader: None,
            leader: None,
            relation_ids: HashMap::new(),
            relation_list: HashMap::new(),
            relation_get: HashMap::new(),
            relation_get_app: HashMap::new(),
        }
    }

    /// The wrapped tools, dropping the cache.
    pub fn into_inner(self) -> Box<dyn HookTools> {
        self.inner
    }

    /// The wrapped tools.
    pub fn inner(&self) -> &dyn HookTools {
        &*self.inner
    }

    /// The wrapped tools, to call them without the cache.
    pub fn inner_mut(&mut self) -> &mut dyn HookTools {
        &mut *self.inner
    }

    /// Forget every cached answer (e.g. when a new hook starts).
    pub fn clear(&mut self) {
        self.config = None;
        self.is_leader = None;
        self.leader = None;
        self.relation_ids.clear();
        self.relation_list.clear();
        self.relation_get.clear();
        self.relation_get_app.clear();
    }
}

impl HookTools for CachedTools {
    fn relation_ids(&mut self, endpoint: &str) -> Result<Vec<String>, ToolError> {
        if let Some(ids) = self.relation_ids.get(endpoint) {
            return Ok(ids.clone());
        }
        let ids = self.inner.relation_ids(endpoint)?;
        self.relation_ids.insert(endpoint.to_string(), ids.clone());
        Ok(ids)
    }

    fn relation_list(&mut self, relation_id: &str) -> Result<Vec<String>, ToolError> {
        if let Some(units) = self.relation_list.get(relation_id) {
            return Ok(units.clone());
        }
        let units = self.inner.relation_list(relation_id)?;
        self.relation_list
            .insert(relation_id.to_string(), units.clone());
        Ok(units)
    }

    fn relation_get(&mut self, relation_id: &str, unit: &str) -> Result<DataBag, ToolError> {
        if let Some(data) = self.relation_get.get(relation_id).and_then(|m| m.get(unit)) {
            return Ok(data.clone());
        }
        let data = self.inner.relation_get(relation_id, unit)?;
        self.relation_get
            .entry(relation_id.to_string())
            .or_default()
            .insert(unit.to_string(), data.clone());
        Ok(data)
    }

    fn relation_get_app(&mut self, relation_id: &str, app: &str) -> Result<DataBag, ToolError> {
        if let Some(data) = self
            .relation_get_app
            .get(relation_id)
            .and_then(|m| m.get(app))
        {
            return Ok(data.clone());
        }
        let data = self.inner.relation_get_app(relation_id, app)?;
        self.relation_get_app
            .entry(relation_id.to_string())
            .or_default()
            .insert(app.to_string(), data.clone());
        Ok(data)
    }

    fn relation_set(
        &mut self,
        relation_id: &str,
        app: bool,
        data: &DataBag,
    ) -> Result<(), ToolError> {
        self.inner.relation_set(relation_id, app, data)
    }

    fn config_get(&mut self) -> Result<serde_json::Map<String, Value>, ToolError> {
        if let Some(config) = &self.config {
            return Ok(config.clone());
        }
        let config = self.inner.config_get()?;
        self.config = Some(config.clone());
        Ok(config)
    }

    fn is_leader(&mut self) -> Result<bool, ToolError> {
        if let Some(leader) = self.is_leader {
            return Ok(leader);
        }
        let leader = self.inner.is_leader()?;
        self.is_leader = Some(leader);
        Ok(leader)
    }

    fn leader_get(&mut self) -> Result<DataBag, ToolError> {
        if let Some(data) = &self.leader {
            return Ok(data.clone());
        }
        let data = self.inner.leader_get()?;
        self.leader = Some(data.clone());
        Ok(data)
    }

    fn leader_set(&mut self, data: &DataBag) -> Result<(), ToolError> {
        self.inner.leader_set(data)?;
        if let Some(cached) = &mut self.leader {
            for (key, value) in data {
                if value.is_empty() {
                    cached.remove(key);
                } else {
                    cached.insert(key.clone(), value.clone());
                }
            }
        }
        Ok(())
    }

    fn juju_log(&mut self, level: LogLevel, message: &str) -> Result<(), ToolError> {
        self.inner.juju_log(level, message)
    }

    fn status_set(
        &mut self,
        application: bool,
        state: WorkloadState,
        message: &str,
    ) -> Result<(), ToolError> {
        self.inner.status_set(application, state, message)
    }

    fn unit_get(&mut self, key: &str) -> Result<String, ToolError> {
        self.inner.unit_get(key)
    }

    fn network_get(&mut self, binding: &str) -> Result<Value, ToolError> {
        self.inner.network_get(binding)
    }

    fn application_version_set(&mut self, version: &str) -> Result<(), ToolError> {
        self.inner.application_version_set(version)
    }

    fn open_port(&mut self, port: u16, protocol: Protocol) -> Result<(), ToolError> {
        self.inner.open_port(port, protocol)
    }

    fn close_port(&mut self, port: u16, protocol: Protocol) -> Result<(), ToolError> {
        self.inner.close_port(port, protocol)
    }

    fn action_get(&mut self) -> Result<Value, ToolError> {
        self.inner.action_get()
    }

    fn action_set(&mut self, data: &DataBag) -> Result<(), ToolError> {
        self.inner.action_set(data)
    }

    fn action_fail(&mut self, message: &str) -> Result<(), ToolError> {
        self.inner.action_fail(message)
    }
}
