//! The state of a simulated Juju model: applications, units, relations with
//! their data bags, configuration, leadership, statuses and logs; resources,
//! storage, secrets, opened ports and the charms' controller-side state.
//!
//! It is plain data. [`UnitTools`](super::UnitTools) answers one unit's
//! hook-tool calls from it; the [`Harness`](crate::harness::Harness) and the
//! deployment simulator change it between hooks as Juju would.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::{Map, Value};

use reactive_core::log::LogLevel;
use reactive_core::metadata::StorageMeta;
use reactive_core::names::{app_of, unit_order};
use reactive_core::tools::{DataBag, PortRange, StorageKind, WorkloadState};

pub use super::secret_model::{
    ConsumerState, RetiredValues, SecretOwnerRef, SecretRecord, SecretStore, MIN_SCRUBBED_LEN,
};

/// The model UUID the simulator reports (`relation-model-get`): a fixed,
/// recognisably fake value.
pub const SIM_MODEL_UUID: &str = "5e1a7ed0-0000-4000-8000-000000000000";

/// The endpoint name that stands for "every endpoint" in
/// [`UnitRecord::ports`] (as `opened-ports --endpoints` prints it).
pub const ALL_ENDPOINTS: &str = "*";

/// One storage instance attached to a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageInstance {
    /// Its kind.
    pub kind: StorageKind,
    /// Its mount point or device path.
    pub location: String,
    /// Whether its `-storage-attached` hook has been queued.
    pub attached_hook_queued: bool,
}

/// A workload status with its message: what the harness, the simulator and
/// its reports show of a unit's or an application's status. Serialized as
/// `{"state": "active", "message": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Status {
    /// The state.
    #[serde(serialize_with = "state_name")]
    pub state: WorkloadState,
    /// The message.
    pub message: String,
}

fn state_name<S: serde::Serializer>(state: &WorkloadState, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(state.as_str())
}

/// One application of the model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppState {
    /// Its configuration values (what `config-get --all` prints).
    pub config: Map<String, Value>,
    /// Its leader unit.
    pub leader: Option<String>,
    /// Leader settings (`leader-get`).
    pub leader_settings: DataBag,
    /// Application status set by the leader.
    pub status: Option<Status>,
    /// `application-version-set`.
    pub version: Option<String>,
    /// Its endpoints: name to interface, for relating.
    pub endpoints: BTreeMap<String, String>,
    /// Its resources: name to the path `resource-get` answers.
    pub resources: BTreeMap<String, PathBuf>,
    /// The storage its charm declares (`metadata.yaml` `storage:`).
    pub storage: Vec<StorageMeta>,
    /// Whether it is trusted with the cloud credential (`juju trust`), for
    /// `credential-get`.
    pub trusted: bool,
}

/// One unit of the model.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitRecord {
    /// Its application.
    pub app: String,
    /// Its address (`unit-get private-address`, `ingress-address`).
    pub address: String,
    /// Its workload status.
    pub status: Option<Status>,
    /// Its opened port ranges, each with the endpoints it is opened for
    /// ([`ALL_ENDPOINTS`] for every endpoint).
    pub ports: BTreeMap<PortRange, BTreeSet<String>>,
    /// Every line it logged through `juju-log`.
    pub logs: Vec<(LogLevel, String)>,
    /// Its storage instances, by id (`data/0`).
    pub storage: BTreeMap<String, StorageInstance>,
    /// Its charm's controller-side state (`state-get`, `state-set`).
    pub charm_state: DataBag,
}

/// One relation between two applications (or a peer relation of one).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RelationState {
    /// The relation's number (`db:3` has id 3).
    pub id: u32,
    /// Each side: application name to its endpoint name (one entry for a
    /// peer relation).
    pub endpoints: BTreeMap<String, String>,
    /// Unit data bags.
    pub unit_data: BTreeMap<String, DataBag>,
    /// Application data bags.
    pub app_data: BTreeMap<String, DataBag>,
    /// For each unit in the relation, the remote units it has seen join
    /// (what `relation-list` answers).
    pub members: BTreeMap<String, BTreeSet<String>>,
}

impl RelationState {
    /// The relation id as a given application sees it: `<endpoint>:<id>`.
    pub fn relation_id_for(&self, app: &str) -> Option<String> {
        self.endpoints
            .get(app)
            .map(|endpoint| format!("{endpoint}:{}", self.id))
    }
}

/// A whole simulated model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelState {
    /// Applications by name.
    pub apps: BTreeMap<String, AppState>,
    /// Units by name (`app/0`).
    pub units: BTreeMap<String, UnitRecord>,
    /// Relations by number.
    pub relations: BTreeMap<u32, RelationState>,
    /// The next relation number.
    pub next_relation_id: u32,
    /// How many unit addresses have been given out (each unit gets its own,
    /// never reused, even after units are removed).
    pub addresses_given: usize,
    /// The secrets of the model.
    pub secrets: SecretStore,
    /// For each storage name, the next instance number (Juju numbers
    /// storage instances model-wide: `data/0`, `data/1`, …).
    pub next_storage: BTreeMap<String, u32>,
}

impl ModelState {
    /// Add an application with its endpoints (name to interface) and config.
    pub fn add_app(
        &mut self,
        name: &str,
        endpoints: BTreeMap<String, String>,
        config: Map<String, Value>,
    ) {
        self.apps.insert(
            name.to_string(),
            AppState {
                config,
                endpoints,
                ..AppState::default()
            },
        );
    }

    /// Add a unit to an application, with the next free address
    /// (`10.0.0.2`, `10.0.0.3`, …, never one a removed unit had) unless
    /// given.
    pub fn add_unit(&mut self, unit: &str, address: Option<String>) {
        let address = address.unwrap_or_else(|| {
            let n = self.addresses_given;
            self.addresses_given += 1;
            format!("10.{}.{}.{}", n / 62_500, n / 250 % 250, n % 250 + 2)
        });
        self.units.insert(
            unit.to_string(),
            UnitRecord {
                app: app_of(unit).to_string(),
                address,
                status: None,
                ports: BTreeMap::new(),
                logs: Vec::new(),
                storage: BTreeMap::new(),
                charm_state: DataBag::new(),
            },
        );
    }

    /// Create a relation between `(app, endpoint)` pairs (one pair for a
    /// peer relation); returns its number.
    pub fn add_relation(&mut self, sides: &[(&str, &str)]) -> u32 {
        let id = self.next_relation_id;
        self.next_relation_id += 1;
        let relation = RelationState {
            id,
            endpoints: sides
                .iter()
                .map(|(app, ep)| (app.to_string(), ep.to_string()))
                .collect(),
            ..RelationState::default()
        };
        self.relations.insert(id, relation);
        id
    }

    /// Enter `unit` into relation `id` (its `-relation-created` point): it
    /// gets a data bag pre-filled as Juju does (`ingress-address`,
    /// `egress-subnets`, `private-address`) and an empty member list.
    pub fn enter_relation(&mut self, id: u32, unit: &str) {
        let address = self
            .units
            .get(unit)
            .map(|u| u.address.clone())
            .unwrap_or_default();
        let Some(relation) = self.relations.get_mut(&id) else {
            return;
        };
        let bag = relation.unit_data.entry(unit.to_string()).or_default();
        bag.insert("ingress-address".into(), address.clone());
        bag.insert("egress-subnets".into(), format!("{address}/32"));
        bag.insert("private-address".into(), address);
        relation
            .app_data
            .entry(app_of(unit).to_string())
            .or_default();
        relation.members.entry(unit.to_string()).or_default();
    }

    /// The unit names of an application, in Juju's order.
    pub fn units_of(&self, app: &str) -> Vec<String> {
        let mut units: Vec<String> = self
            .units
            .iter()
            .filter(|(_, u)| u.app == app)
            .map(|(name, _)| name.clone())
            .collect();
        units.sort_by(|a, b| unit_order(a, b));
        units
    }

    /// Attach `count` new instances of the storage `name` (declared by the
    /// unit's application) to `unit`; returns their ids. A filesystem is
    /// at the declared `location` (with `/<N>` appended when the storage
    /// may have several instances), else at
    /// `/var/lib/juju/storage/<name>/<N>`; a block device at `/dev/loop<N>`.
    pub fn attach_storage(&mut self, unit: &str, name: &str, count: u32) -> Vec<String> {
        let Some(meta) = self
            .units
            .get(unit)
            .and_then(|u| self.apps.get(&u.app))
            .and_then(|a| a.storage.iter().find(|s| s.name == name))
            .cloned()
        else {
            return Vec::new();
        };
        let mut ids = Vec::new();
        for _ in 0..count {
            let next = self.next_storage.entry(name.to_string()).or_default();
            let n = *next;
            *next += 1;
            let location = match (meta.kind, &meta.location) {
                (StorageKind::Block, _) => format!("/dev/loop{n}"),
                (_, Some(location)) if meta.is_multiple() => format!("{location}/{n}"),
                (_, Some(location)) => location.clone(),
                (_, None) => format!("/var/lib/juju/storage/{name}/{n}"),
            };
            let id = format!("{name}/{n}");
            if let Some(record) = self.units.get_mut(unit) {
                record.storage.insert(
                    id.clone(),
                    StorageInstance {
                        kind: meta.kind,
                        location,
                        attached_hook_queued: false,
                    },
                );
            }
            ids.push(id);
        }
        ids
    }

    /// The model's UUID.
    pub fn uuid(&self) -> &str {
        SIM_MODEL_UUID
    }

    /// The relation a unit sees as `relation_id` (`endpoint:N`).
    pub fn relation_by_id(&self, relation_id: &str) -> Option<&RelationState> {
        let (_, n) = relation_id.split_once(':')?;
        self.relations.get(&n.parse().ok()?)
    }

    /// Mutable [`ModelState::relation_by_id`].
    pub fn relation_by_id_mut(&mut self, relation_id: &str) -> Option<&mut RelationState> {
        let (_, n) = relation_id.split_once(':')?;
        self.relations.get_mut(&n.parse().ok()?)
    }
}
