//! `RelatedUnit`: a remote unit on a relation, with its data read lazily.

use std::cell::OnceCell;

use super::data::DataView;
use super::key_list::Keyed;
use crate::names::app_of;
use crate::tools::handle::ToolsHandle;
use crate::tools::{DataBag, HookTools, ToolError};

/// A remote unit on a relation.
///
/// Its data is read with one `relation-get` the first time it is asked
/// for, and kept for the rest of the hook.
#[derive(Debug, Clone)]
pub struct RelatedUnit {
    relation_id: String,
    unit_name: String,
    data: OnceCell<DataBag>,
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
    pub(crate) fn new(relation_id: &str, unit_name: &str, tools: ToolsHandle) -> Self {
        RelatedUnit {
            relation_id: relation_id.to_string(),
            unit_name: unit_name.to_string(),
            data: OnceCell::new(),
            tools,
        }
    }

    /// A unit whose data is already known (a departed unit's saved data).
    pub(crate) fn with_data(relation_id: &str, unit_name: &str, data: DataBag) -> Self {
        let cell = OnceCell::new();
        let _ = cell.set(data);
        RelatedUnit {
            relation_id: relation_id.to_string(),
            unit_name: unit_name.to_string(),
            data: cell,
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
        let data = self
            .tools
            .with(|t| t.relation_get(&self.relation_id, &self.unit_name))?;
        Ok(self.data.get_or_init(|| data))
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
        units.sort_by(|a, b| {
            super::relation::relation_order(&a.relation_id, &b.relation_id)
                .then_with(|| crate::names::unit_order(&a.unit_name, &b.unit_name))
        });
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
