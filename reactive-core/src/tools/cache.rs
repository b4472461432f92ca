//! Per-hook caching of the hook tools' answers that cannot change within a
//! hook.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;

use super::{
    ApplicationStatus, CloudSpec, DataBag, GoalState, HookTools, OpenedPort, PortRange, Protocol,
    RelationModel, SecretContent, SecretInfo, SecretOptions, SecretRef, SecretRevision, StatusInfo,
    StorageInfo, ToolError, WorkloadState,
};
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
/// - [`relation_get_key`](HookTools::relation_get_key) answers from the
///   unit's whole bag when it was read; otherwise it goes through, and
///   its answer is not kept (the caller keeps it).
/// - [`relation_set`](HookTools::relation_set) does *not* update the cached
///   data of this unit or application: what `relation-get` answered stays
///   the answer; the caller tracks its own writes. What was sent is kept
///   ([`CachedTools::sent`]) for the runtime's record of the hook.
/// - `goal-state`, `credential-get`, each resource's `resource-get` path
///   and each relation's `relation-model-get` are kept for the hook.
/// - `opened-ports` is kept until this unit opens or closes a port.
/// - `status-get` (unit or application) is kept until the matching
///   `status-set`.
/// - `state-get` answers (one key, or all) are kept and updated by
///   `state-set` and `state-delete`, as Juju's own hook context does.
/// - The `secret-*` tools, `storage-*` and `action-log` are never cached:
///   a secret's content or metadata may change within the hook
///   (`--refresh`, `secret-set`), and secret content is not kept longer
///   than asked for.
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
    relation_list: HashMap<String, Arc<Vec<String>>>,
    /// Relation id → unit → data.
    relation_get: HashMap<String, HashMap<String, DataBag>>,
    /// Relation id → application → data.
    relation_get_app: HashMap<String, HashMap<String, DataBag>>,
    /// (Relation id, application bag?) → keys sent with `relation-set`,
    /// with the last value sent.
    sent: BTreeMap<(String, bool), DataBag>,
    model: ModelCache,
    /// Whether `leader-set` succeeded since the cache was made or cleared.
    leader_settings_written: bool,
}

/// The cached answers of the model tools.
#[derive(Default)]
struct ModelCache {
    goal_state: Option<GoalState>,
    credential: Option<CloudSpec>,
    resources: HashMap<String, PathBuf>,
    relation_models: HashMap<String, RelationModel>,
    opened_ports: Option<Vec<OpenedPort>>,
    unit_status: Option<StatusInfo>,
    app_status: Option<ApplicationStatus>,
    /// Key → value (`None`: known not to be set).
    state: HashMap<String, Option<String>>,
    state_all: Option<DataBag>,
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
            .field("goal_state_cached", &self.model.goal_state.is_some())
            .field("credential_cached", &self.model.credential.is_some())
            .field("resources", &self.model.resources)
            .field("opened_ports", &self.model.opened_ports)
            .field("state_keys_cached", &self.model.state.len())
            .finish_non_exhaustive()
    }
}

impl CachedTools {
    /// Forget what was read of relation `relation_id`'s unit bags (or,
    /// with `app`, its application bags): the next read asks Juju again.
    pub fn forget_relation_data(&mut self, relation_id: &str, app: bool) {
        if app {
            self.relation_get_app.remove(relation_id);
        } else {
            self.relation_get.remove(relation_id);
        }
    }

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
            sent: BTreeMap::new(),
            model: ModelCache::default(),
            leader_settings_written: false,
        }
    }

    /// Every key this hook sent with `relation-set` (successfully), per
    /// relation id and bag (`true`: the application's), with the last value
    /// sent (`""`: removed).
    pub fn sent(&self) -> &BTreeMap<(String, bool), DataBag> {
        &self.sent
    }

    /// Whether this unit changed the leader settings (`leader-set`
    /// succeeded) since the cache was made or cleared.
    pub fn leader_settings_written(&self) -> bool {
        self.leader_settings_written
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

    /// `relation-list` of `relation_id`, shared with the cache rather than
    /// copied: the endpoints list a relation's thousand units once per
    /// hook, and the cache keeps the list for anyone who asks again.
    ///
    /// ```
    /// use reactive_core::tools::{cache::CachedTools, null::NoTools};
    /// let mut tools = CachedTools::new(Box::new(NoTools));
    /// assert!(tools.relation_list_shared("db:0").is_err()); // no Juju here
    /// ```
    pub fn relation_list_shared(
        &mut self,
        relation_id: &str,
    ) -> Result<Arc<Vec<String>>, ToolError> {
        if let Some(units) = self.relation_list.get(relation_id) {
            return Ok(units.clone());
        }
        let units = Arc::new(self.inner.relation_list(relation_id)?);
        self.relation_list
            .insert(relation_id.to_string(), units.clone());
        Ok(units)
    }

    /// Forget every cached answer (e.g. when a new hook starts).
    pub fn clear(&mut self) {
        self.config = None;
        self.is_leader = None;
        self.leader = None;
        self.leader_settings_written = false;
        self.relation_ids.clear();
        self.relation_list.clear();
        self.relation_get.clear();
        self.relation_get_app.clear();
        self.model = ModelCache::default();
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
        Ok(self.relation_list_shared(relation_id)?.as_ref().clone())
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

    fn relation_get_key(
        &mut self,
        relation_id: &str,
        unit: &str,
        key: &str,
    ) -> Result<Option<String>, ToolError> {
        if let Some(data) = self.relation_get.get(relation_id).and_then(|m| m.get(unit)) {
            return Ok(data.get(key).cloned());
        }
        self.inner.relation_get_key(relation_id, unit, key)
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
        self.inner.relation_set(relation_id, app, data)?;
        let bag = self.sent.entry((relation_id.to_string(), app)).or_default();
        bag.extend(data.iter().map(|(k, v)| (k.clone(), v.clone())));
        Ok(())
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
        self.leader_settings_written = true;
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
        if application {
            self.model.app_status = None;
        } else {
            self.model.unit_status = None;
        }
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
        self.model.opened_ports = None;
        self.inner.open_port(port, protocol)
    }

    fn close_port(&mut self, port: u16, protocol: Protocol) -> Result<(), ToolError> {
        self.model.opened_ports = None;
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

    fn action_log(&mut self, message: &str) -> Result<(), ToolError> {
        self.inner.action_log(message)
    }

    fn resource_get(&mut self, name: &str) -> Result<PathBuf, ToolError> {
        if let Some(path) = self.model.resources.get(name) {
            return Ok(path.clone());
        }
        let path = self.inner.resource_get(name)?;
        self.model.resources.insert(name.to_string(), path.clone());
        Ok(path)
    }

    fn storage_get(&mut self, storage_id: Option<&str>) -> Result<StorageInfo, ToolError> {
        self.inner.storage_get(storage_id)
    }

    fn storage_get_key(
        &mut self,
        storage_id: Option<&str>,
        key: &str,
    ) -> Result<String, ToolError> {
        self.inner.storage_get_key(storage_id, key)
    }

    fn storage_list(&mut self, name: Option<&str>) -> Result<Vec<String>, ToolError> {
        self.inner.storage_list(name)
    }

    fn storage_add(&mut self, name: &str, count: u32) -> Result<(), ToolError> {
        self.inner.storage_add(name, count)
    }

    fn secret_add(
        &mut self,
        content: &SecretContent,
        options: &SecretOptions,
    ) -> Result<String, ToolError> {
        self.inner.secret_add(content, options)
    }

    fn secret_get(
        &mut self,
        secret: SecretRef<'_>,
        revision: SecretRevision,
    ) -> Result<SecretContent, ToolError> {
        self.inner.secret_get(secret, revision)
    }

    fn secret_set(
        &mut self,
        id: &str,
        content: Option<&SecretContent>,
        options: &SecretOptions,
    ) -> Result<(), ToolError> {
        self.inner.secret_set(id, content, options)
    }

    fn secret_grant(
        &mut self,
        id: &str,
        relation_id: &str,
        unit: Option<&str>,
    ) -> Result<(), ToolError> {
        self.inner.secret_grant(id, relation_id, unit)
    }

    fn secret_revoke(
        &mut self,
        id: &str,
        relation_id: &str,
        unit: Option<&str>,
    ) -> Result<(), ToolError> {
        self.inner.secret_revoke(id, relation_id, unit)
    }

    fn secret_remove(&mut self, id: &str, revision: Option<u64>) -> Result<(), ToolError> {
        self.inner.secret_remove(id, revision)
    }

    fn secret_ids(&mut self) -> Result<Vec<String>, ToolError> {
        self.inner.secret_ids()
    }

    fn secret_info_get(&mut self, secret: SecretRef<'_>) -> Result<SecretInfo, ToolError> {
        self.inner.secret_info_get(secret)
    }

    fn status_get(&mut self) -> Result<StatusInfo, ToolError> {
        if let Some(status) = &self.model.unit_status {
            return Ok(status.clone());
        }
        let status = self.inner.status_get()?;
        self.model.unit_status = Some(status.clone());
        Ok(status)
    }

    fn application_status_get(&mut self) -> Result<ApplicationStatus, ToolError> {
        if let Some(status) = &self.model.app_status {
            return Ok(status.clone());
        }
        let status = self.inner.application_status_get()?;
        self.model.app_status = Some(status.clone());
        Ok(status)
    }

    fn goal_state(&mut self) -> Result<GoalState, ToolError> {
        if let Some(goal) = &self.model.goal_state {
            return Ok(goal.clone());
        }
        let goal = self.inner.goal_state()?;
        self.model.goal_state = Some(goal.clone());
        Ok(goal)
    }

    fn opened_ports(&mut self) -> Result<Vec<OpenedPort>, ToolError> {
        if let Some(ports) = &self.model.opened_ports {
            return Ok(ports.clone());
        }
        let ports = self.inner.opened_ports()?;
        self.model.opened_ports = Some(ports.clone());
        Ok(ports)
    }

    fn open_port_range(&mut self, range: PortRange, endpoints: &[String]) -> Result<(), ToolError> {
        self.model.opened_ports = None;
        self.inner.open_port_range(range, endpoints)
    }

    fn close_port_range(
        &mut self,
        range: PortRange,
        endpoints: &[String],
    ) -> Result<(), ToolError> {
        self.model.opened_ports = None;
        self.inner.close_port_range(range, endpoints)
    }

    fn state_get(&mut self, key: &str) -> Result<Option<String>, ToolError> {
        if let Some(value) = self.model.state.get(key) {
            return Ok(value.clone());
        }
        if let Some(all) = &self.model.state_all {
            return Ok(all.get(key).cloned());
        }
        let value = self.inner.state_get(key)?;
        self.model.state.insert(key.to_string(), value.clone());
        Ok(value)
    }

    fn state_get_all(&mut self) -> Result<DataBag, ToolError> {
        if let Some(all) = &self.model.state_all {
            return Ok(all.clone());
        }
        let all = self.inner.state_get_all()?;
        self.model.state_all = Some(all.clone());
        Ok(all)
    }

    fn state_set(&mut self, data: &DataBag) -> Result<(), ToolError> {
        let result = self.inner.state_set(data);
        if result.is_err() {
            // What was written is unknown: ask again next time.
            self.model.state.clear();
            self.model.state_all = None;
            return result;
        }
        for (key, value) in data {
            self.model.state.insert(key.clone(), Some(value.clone()));
            if let Some(all) = &mut self.model.state_all {
                all.insert(key.clone(), value.clone());
            }
        }
        Ok(())
    }

    fn state_delete(&mut self, key: &str) -> Result<(), ToolError> {
        self.inner.state_delete(key)?;
        self.model.state.insert(key.to_string(), None);
        if let Some(all) = &mut self.model.state_all {
            all.remove(key);
        }
        Ok(())
    }

    fn credential_get(&mut self) -> Result<CloudSpec, ToolError> {
        if let Some(spec) = &self.model.credential {
            return Ok(spec.clone());
        }
        let spec = self.inner.credential_get()?;
        self.model.credential = Some(spec.clone());
        Ok(spec)
    }

    fn relation_model_get(&mut self, relation_id: &str) -> Result<RelationModel, ToolError> {
        if let Some(model) = self.model.relation_models.get(relation_id) {
            return Ok(model.clone());
        }
        let model = self.inner.relation_model_get(relation_id)?;
        self.model
            .relation_models
            .insert(relation_id.to_string(), model.clone());
        Ok(model)
    }
}
