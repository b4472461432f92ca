//! `RelatedUnit`: a remote unit on a relation, with its data read lazily.

use std::cell::{Cell, OnceCell};
use std::sync::Arc;

use super::data::DataView;
use super::key_list::Keyed;
use super::snapshot::LazyRows;
use crate::names::app_of;
use crate::tools::handle::ToolsHandle;
use crate::tools::{DataBag, HookTools, ToolError};

/// A remote unit on a relation.
///
/// Its data comes from the relation-data snapshot in the unit state when
/// the snapshot holds it (see [the endpoint module](super) for when it is
/// re-read), else it is read with one `relation-get` the first time it is
/// asked for; either way it is kept for the rest of the hook.
/// [`refresh`](RelatedUnit::refresh) reads it again with `relation-get`.
#[derive(Debug, Clone)]
pub struct RelatedUnit {
    /// Shared by the units of one relation (a thousand units, one string).
    relation_id: Arc<str>,
    unit_name: String,
    data: OnceCell<DataBag>,
    /// The relation's snapshot rows, when they hold this unit's: its row
    /// is looked up by name, read and decoded on first use.
    snapshot: Option<Arc<LazyRows>>,
    /// Whether `data` was read with `relation-get` in this hook (and so
    /// goes into the snapshot at the end of it).
    read_by_tool: Cell<bool>,
    /// Where the endpoint's request index holds this unit's entry, once
    /// looked up (`Some(None)`: nowhere). The index is read once per hook
    /// and does not change during it; a hook looks each unit up in it
    /// several times (the request flags, the lookups by id, the index
    /// check at the end).
    index_position: Cell<Option<Option<u32>>>,
    tools: ToolsHandle,
}

impl PartialEq for RelatedUnit {
    fn eq(&self, other: &Self) -> bool {
        self.relation_id == other.relation_id && self.unit_name == other.unit_name
    }
}

impl Keyed for RelatedUnit {
    fn key(&self) -> &str {
        &self.unit_name
    }
}

impl RelatedUnit {
    pub(crate) fn new(relation_id: Arc<str>, unit_name: String, tools: ToolsHandle) -> Self {
        RelatedUnit {
            relation_id,
            unit_name,
            data: OnceCell::new(),
            snapshot: None,
            read_by_tool: Cell::new(false),
            index_position: Cell::new(None),
            tools,
        }
    }

    /// A unit whose data the snapshot holds.
    pub(crate) fn from_snapshot(
        relation_id: Arc<str>,
        unit_name: String,
        snapshot: Arc<LazyRows>,
        tools: ToolsHandle,
    ) -> Self {
        let mut unit = RelatedUnit::new(relation_id, unit_name, tools);
        unit.snapshot = Some(snapshot);
        unit
    }

    /// A unit whose data is already known (a departed unit's saved data).
    pub(crate) fn with_data(relation_id: &str, unit_name: &str, data: DataBag) -> Self {
        let cell = OnceCell::new();
        let _ = cell.set(data);
        RelatedUnit {
            relation_id: Arc::from(relation_id),
            unit_name: unit_name.to_string(),
            data: cell,
            snapshot: None,
            read_by_tool: Cell::new(false),
            index_position: Cell::new(None),
            tools: ToolsHandle::default(),
        }
    }

    /// The id of the relation the unit is on (`db:3`).
    pub fn relation_id(&self) -> &str {
        &self.relation_id
    }

    /// The unit's name (`mysql/0`).
    pub fn unit_name(&self) -> &str {
        &self.unit_name
    }

    /// The unit's application (`mysql`).
    pub fn application_name(&self) -> &str {
        app_of(&self.unit_name)
    }

    /// The address to reach the unit at, as it published it on this
    /// relation: its `ingress-address`, else its `private-address` (both
    /// set by Juju); `None` when it has neither.
    pub fn ingress_address(&self) -> Result<Option<&str>, ToolError> {
        let data = self.received_raw()?;
        Ok(data
            .get("ingress-address")
            .or_else(|| data.get("private-address"))
            .map(String::as_str)
            .filter(|a| !a.is_empty()))
    }

    /// The unit's data, each value JSON-decoded.
    pub fn received(&self) -> Result<DataView<'_>, ToolError> {
        Ok(DataView::new(self.received_raw()?))
    }

    /// The unit's data as raw strings.
    pub fn received_raw(&self) -> Result<&DataBag, ToolError> {
        if let Some(data) = self.data.get() {
            return Ok(data);
        }
        // A snapshot entry that is not a bag of strings (edited by hand,
        // say) is not trusted: the unit is read again.
        if let Some(bag) = self
            .snapshot
            .as_deref()
            .and_then(|rows| rows.unit_bag(&self.unit_name))
        {
            return Ok(self.data.get_or_init(|| bag));
        }
        let data = self
            .tools
            .with(|t| t.relation_get(&self.relation_id, &self.unit_name))?;
        self.read_by_tool.set(true);
        Ok(self.data.get_or_init(|| data))
    }

    /// Read the unit's data again with `relation-get`, whatever the
    /// snapshot holds, for a handler that must see the relation as Juju
    /// has it now (see [the endpoint module](super) for the snapshot rule).
    /// The data read replaces the snapshot's at the end of a successful
    /// hook. The flags computed at startup are not recomputed.
    ///
    /// Within one hook Juju answers `relation-get` for a unit with the
    /// same data every time, so a unit already read in this hook is not
    /// read twice.
    pub fn refresh(&mut self) -> Result<&DataBag, ToolError> {
        if !self.read_by_tool.get() {
            let data = self
                .tools
                .with(|t| t.relation_get(&self.relation_id, &self.unit_name))?;
            self.data = OnceCell::new();
            let _ = self.data.set(data);
            self.snapshot = None;
            self.read_by_tool.set(true);
        }
        self.received_raw()
    }

    /// Whether the data comes from the unit state's snapshot rather than
    /// from `relation-get` in this hook (`false` until it is read, when the
    /// snapshot does not hold the unit).
    pub fn is_from_snapshot(&self) -> bool {
        self.snapshot.is_some() && !self.read_by_tool.get()
    }

    /// Where the request index holds this unit's entry, if it was looked
    /// up in this hook.
    pub(crate) fn index_position(&self) -> Option<Option<u32>> {
        self.index_position.get()
    }

    /// Remember where the request index holds this unit's entry.
    pub(crate) fn set_index_position(&self, position: Option<u32>) {
        self.index_position.set(Some(position));
    }

    /// Whether the data is in memory (read from the snapshot or with
    /// `relation-get`): reading it costs no hook-tool call.
    pub(crate) fn is_data_loaded(&self) -> bool {
        self.data.get().is_some()
    }

    /// The data read with `relation-get` in this hook, if it was.
    pub(crate) fn data_read_by_tool(&self) -> Option<&DataBag> {
        if self.read_by_tool.get() {
            self.data.get()
        } else {
            None
        }
    }
}

/// Several units seen as one list, ordered by relation id then unit name,
/// with a merged view of their data (see [`CombinedUnits::received`]).
#[derive(Debug, Clone)]
pub struct CombinedUnits<'a> {
    units: Vec<&'a RelatedUnit>,
}

impl<'a> CombinedUnits<'a> {
    /// The units, sorted by relation number then unit name (numbers
    /// compared as numbers).
    pub(crate) fn new(mut units: Vec<&'a RelatedUnit>) -> Self {
        let order = |a: &&RelatedUnit, b: &&RelatedUnit| {
            super::relation::relation_order(&a.relation_id, &b.relation_id)
                .then_with(|| crate::names::unit_order(&a.unit_name, &b.unit_name))
        };
        // The relations' own lists are in order, so the units mostly come
        // sorted: checking is one pass, sorting a thousand units is ten.
        if !units.is_sorted_by(|a, b| order(a, b).is_le()) {
            units.sort_by(order);
        }
        CombinedUnits { units }
    }

    /// Units the caller knows to be in order already (a relation's own
    /// list, or relations' lists concatenated in relation order): no
    /// comparison at all.
    pub(crate) fn from_sorted(units: Vec<&'a RelatedUnit>) -> Self {
        CombinedUnits { units }
    }

    /// The number of units (a unit on two relations counts twice).
    pub fn len(&self) -> usize {
        self.units.len()
    }

    /// Whether there is no unit.
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// The unit at `index`.
    pub fn get(&self, index: usize) -> Option<&'a RelatedUnit> {
        self.units.get(index).copied()
    }

    /// The first unit named `unit_name` (on the lowest relation id).
    pub fn by_name(&self, unit_name: &str) -> Option<&'a RelatedUnit> {
        self.units
            .iter()
            .copied()
            .find(|u| u.unit_name == unit_name)
    }

    /// Every unit name, in order.
    pub fn keys(&self) -> Vec<&'a str> {
        self.units.iter().map(|u| u.unit_name.as_str()).collect()
    }

    /// Whether a unit of that name is in the list.
    pub fn contains_key(&self, unit_name: &str) -> bool {
        self.by_name(unit_name).is_some()
    }

    /// The units in order.
    pub fn iter(&self) -> impl Iterator<Item = &'a RelatedUnit> + '_ {
        self.units.iter().copied()
    }

    /// Every unit's raw data merged into one bag: for a key several units
    /// set, the unit with the lowest relation id and unit name wins.
    ///
    /// Be careful with merged data when an endpoint has several relations
    /// or units; handling each unit's data on its own is usually clearer.
    pub fn received_raw(&self) -> Result<DataBag, ToolError> {
        let mut merged = DataBag::new();
        for unit in &self.units {
            for (k, v) in unit.received_raw()? {
                merged.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        Ok(merged)
    }

    /// [`CombinedUnits::received_raw`], each value JSON-decoded.
    pub fn received(&self) -> Result<serde_json::Map<String, serde_json::Value>, ToolError> {
        let merged = self.received_raw()?;
        Ok(DataView::new(&merged).to_map())
    }
}

impl<'a> IntoIterator for &CombinedUnits<'a> {
    type Item = &'a RelatedUnit;
    type IntoIter = std::vec::IntoIter<&'a RelatedUnit>;

    fn into_iter(self) -> Self::IntoIter {
        self.units.clone().into_iter()
    }
}
