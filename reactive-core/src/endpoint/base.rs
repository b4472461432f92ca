//! `EndpointBase`: what every endpoint instance knows, whatever its type.

use super::departed::DepartedUnits;
use super::key_list::KeyList;
use super::relation::{relation_order, Relation};
use super::request_index::RequestIndexSlot;
use super::unit::CombinedUnits;

/// The framework-managed part of an endpoint: its name, its relations and
/// its departed units. An endpoint type holds one and hands it out through
/// [`Endpoint::base`](super::Endpoint::base).
#[derive(Debug, Clone, Default)]
pub struct EndpointBase {
    name: String,
    relations: KeyList<Relation>,
    departed: DepartedUnits,
    /// The ids of the requests created through this instance in this hook,
    /// in creation order (the request pattern lists them after those read
    /// from the relations, as charms.reactive's request cache does).
    created_requests: Vec<String>,
    remote_changed: bool,
    mode: super::RelationDataMode,
    /// The request index, when the endpoint answers requests.
    requests: RequestIndexSlot,
    /// The received keys found changed at startup: `(relation id, unit,
    /// key)`.
    changed_keys: Vec<(String, String, String)>,
}

impl EndpointBase {
    pub(crate) fn new(name: &str, relations: Vec<Relation>, departed: DepartedUnits) -> Self {
        EndpointBase {
            name: name.to_string(),
            relations: KeyList::new(relations),
            departed,
            created_requests: Vec::new(),
            remote_changed: true,
            mode: super::RelationDataMode::Snapshot,
            requests: RequestIndexSlot::default(),
            changed_keys: Vec::new(),
        }
    }

    /// The request index (see [`super::request_index`]).
    pub(crate) fn request_index(&self) -> &RequestIndexSlot {
        &self.requests
    }

    /// The request index, to start it.
    pub(crate) fn request_index_mut(&mut self) -> &mut RequestIndexSlot {
        &mut self.requests
    }

    /// The received keys this hook's startup found changed (those that set
    /// `endpoint.{endpoint_name}.changed.<key>`), as `(relation id, unit,
    /// key)`.
    pub(crate) fn changed_keys(&self) -> &[(String, String, String)] {
        &self.changed_keys
    }

    pub(crate) fn set_changed_keys(&mut self, keys: Vec<(String, String, String)>) {
        self.changed_keys = keys;
    }

    /// The ids of the requests created in this hook, in creation order.
    pub(crate) fn created_requests(&self) -> &[String] {
        &self.created_requests
    }

    /// Note a request created in this hook.
    pub(crate) fn note_created_request(&mut self, request_id: &str) {
        self.created_requests.push(request_id.to_string());
    }

    pub(crate) fn set_relation_data_mode(&mut self, mode: super::RelationDataMode) {
        self.mode = mode;
    }

    /// How this hook reads the remote side's relation data.
    pub fn relation_data_mode(&self) -> super::RelationDataMode {
        self.mode
    }

    pub(crate) fn set_remote_changed(&mut self, changed: bool) {
        self.remote_changed = changed;
    }

    /// Whether what the remote side holds may differ, in this hook, from
    /// what the unit state's snapshot held at its start: the endpoint's
    /// relation hooks (units joining, changing or leaving), a unit or
    /// relation the snapshot did not hold, `upgrade-charm` and `install`,
    /// and every hook when the charm reads relation data fresh
    /// ([`RelationDataMode::Fresh`](super::RelationDataMode::Fresh)).
    /// When `false`, flags computed from remote data alone are as the
    /// previous hook left them.
    pub fn remote_data_changed(&self) -> bool {
        self.remote_changed
    }

    /// Read every remote unit's data (and each remote application's data,
    /// where it was read) again with `relation-get`, whatever the snapshot
    /// holds: for a handler that must see the relations as Juju has them
    /// now. See [`Relation::refresh`].
    pub fn refresh_remote_data(&mut self) -> Result<(), crate::tools::ToolError> {
        for relation in self.relations.iter_mut() {
            relation.refresh()?;
        }
        Ok(())
    }

    /// The endpoint's name, as `metadata.yaml` declares it.
    pub fn endpoint_name(&self) -> &str {
        &self.name
    }

    /// The endpoint's relations, ordered by relation id (numbers compared
    /// as numbers, so `db:2` comes before `db:10`), indexable by position
    /// or by relation id.
    pub fn relations(&self) -> &KeyList<Relation> {
        &self.relations
    }

    /// The relations, mutably (to write their published data).
    pub fn relations_mut(&mut self) -> &mut KeyList<Relation> {
        &mut self.relations
    }

    /// Whether any remote unit has joined any relation of the endpoint.
    pub fn is_joined(&self) -> bool {
        self.relations.iter().any(|r| !r.unit_list().is_empty())
    }

    /// Every joined unit of every relation, ordered by relation id then
    /// unit name, with a merged view of their data. A unit related twice
    /// appears twice. Numbers in relation ids and unit names compare as
    /// numbers (`app/2` before `app/10`); charms.reactive compares the
    /// strings.
    pub fn all_joined_units(&self) -> CombinedUnits<'_> {
        let units = self
            .relations
            .iter()
            .flat_map(|r| r.unit_list().iter())
            .collect();
        // Each relation keeps its units in order: concatenated, they are
        // in order when the relations are (one comparison per relation).
        let relations = self.relations.iter().as_slice();
        let in_order = relations
            .windows(2)
            .all(|pair| relation_order(pair[0].relation_id(), pair[1].relation_id()).is_lt());
        if in_order {
            CombinedUnits::from_sorted(units)
        } else {
            CombinedUnits::new(units)
        }
    }

    /// The units that departed and have not been removed from this list.
    pub fn all_departed_units(&self) -> &DepartedUnits {
        &self.departed
    }

    /// The departed units, to remove those handled.
    pub fn all_departed_units_mut(&mut self) -> &mut DepartedUnits {
        &mut self.departed
    }

    /// Complete a flag name for this endpoint: prefix
    /// `endpoint.{endpoint_name}.` unless the flag already holds the
    /// placeholder, then substitute the endpoint's name.
    ///
    /// ```
    /// # use reactive_core::endpoint::EndpointBase;
    /// # fn check(base: &EndpointBase) {
    /// // For an endpoint named `db`:
    /// assert_eq!(base.expand_name("joined"), "endpoint.db.joined");
    /// assert_eq!(base.expand_name("{endpoint_name}.ready"), "db.ready");
    /// # }
    /// ```
    pub fn expand_name(&self, flag: &str) -> String {
        expand_name(&self.name, flag)
    }
}

/// [`EndpointBase::expand_name`] for an endpoint name.
pub fn expand_name(endpoint_name: &str, flag: &str) -> String {
    if reactive_grammar::flag::has_placeholder(flag) {
        reactive_grammar::flag::expand_placeholder(flag, endpoint_name)
    } else {
        format!("endpoint.{endpoint_name}.{flag}")
    }
}
