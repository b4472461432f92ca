//! The state of a simulated Juju model: applications, units, relations with
//! their data bags, configuration, leadership, statuses and logs.
//!
//! It is plain data. [`UnitTools`](super::UnitTools) answers one unit's
//! hook-tool calls from it; the [`Harness`](crate::harness::Harness) and the
//! deployment simulator change it between hooks as Juju would.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use reactive_core::log::LogLevel;
use reactive_core::names::{app_of, unit_order};
use reactive_core::tools::{DataBag, Protocol, WorkloadState};

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
    /// Its open ports.
    pub ports: BTreeSet<(u16, Protocol)>,
    /// Every line it logged through `juju-log`.
    pub logs: Vec<(LogLevel, String)>,
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
                ports: BTreeSet::new(),
                logs: Vec::new(),
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
