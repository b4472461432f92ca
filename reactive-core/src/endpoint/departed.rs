//! `all_departed_units`: the persistent, mutable list of units that left
//! an endpoint's relations.

use serde_json::{json, Value};

use super::key_list::KeyList;
use super::unit::RelatedUnit;
use crate::tools::DataBag;
use crate::unit_state::UnitState;

/// The unit-state key of an endpoint's departed units, as charms.reactive
/// names it.
pub fn departed_key(endpoint_name: &str) -> String {
    format!("reactive.endpoints.departed.{endpoint_name}")
}

/// Units that were part of a relation of the endpoint and have departed,
/// kept (with the data they last had) until a handler removes them.
///
/// A [`KeyList`] by unit name. A change is written into the hook's unit
/// state as soon as the handler that made it returns (so a later handler
/// of the same hook reads it back from the unit state), and committed with
/// the hook, under `reactive.endpoints.departed.<endpoint>` as a list of
/// `{"relation": "<rid>", "unit_name": "...", "data": {raw data}}`, the
/// format charms.reactive uses, so a unit keeps them across a change of
/// charm language.
#[derive(Debug, Clone, Default)]
pub struct DepartedUnits {
    units: KeyList<RelatedUnit>,
    dirty: bool,
}

impl std::ops::Deref for DepartedUnits {
    type Target = KeyList<RelatedUnit>;

    fn deref(&self) -> &KeyList<RelatedUnit> {
        &self.units
    }
}

impl DepartedUnits {
    /// Load the saved list (`None`: nothing saved). Entries that do not
    /// have the expected shape are skipped.
    pub(crate) fn from_saved(saved: Option<&Value>) -> Self {
        let mut units = Vec::new();
        if let Some(Value::Array(items)) = saved {
            for item in items {
                let relation = item.get("relation").and_then(Value::as_str);
                let unit = item.get("unit_name").and_then(Value::as_str);
                let (Some(relation), Some(unit)) = (relation, unit) else {
                    continue;
                };
                let data: DataBag = item
                    .get("data")
                    .and_then(Value::as_object)
                    .map(|m| {
                        m.iter()
                            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                            .collect()
                    })
                    .unwrap_or_default();
                units.push(RelatedUnit::with_data(relation, unit, data));
            }
        }
        DepartedUnits {
            units: KeyList::new(units),
            dirty: false,
        }
    }

    /// The list as saved.
    pub(crate) fn to_saved(&self) -> Value {
        Value::Array(
            self.units
                .iter()
                .map(|u| {
                    json!({
                        "relation": u.relation_id(),
                        "unit_name": u.unit_name(),
                        "data": u.received_raw().cloned().unwrap_or_default(),
                    })
                })
                .collect(),
        )
    }

    /// Write the list into `state` under `departed_key(endpoint_name)` if it
    /// changed since last written (an empty list unsets the key).
    pub(crate) fn save_if_changed(&mut self, endpoint_name: &str, state: &mut UnitState) {
        if !self.dirty {
            return;
        }
        let key = departed_key(endpoint_name);
        if self.units.is_empty() {
            state.unset(&key);
        } else {
            state.set(&key, self.to_saved());
        }
        self.dirty = false;
    }

    pub(crate) fn is_dirty(&self) -> bool {
        self.dirty
    }

    pub(crate) fn mark_saved(&mut self) {
        self.dirty = false;
    }

    /// Add a departed unit at the end.
    pub fn push(&mut self, unit: RelatedUnit) {
        self.units.push(unit);
        self.dirty = true;
    }

    /// Remove and return the first unit named `unit_name`.
    pub fn remove(&mut self, unit_name: &str) -> Option<RelatedUnit> {
        let removed = self.units.remove_key(unit_name);
        self.dirty |= removed.is_some();
        removed
    }

    /// Remove and return the last unit.
    pub fn pop(&mut self) -> Option<RelatedUnit> {
        let popped = self.units.as_vec_mut().pop();
        self.dirty |= popped.is_some();
        popped
    }

    /// Replace the unit at `index`; returns the one replaced, or gives
    /// `unit` back when `index` is out of range.
    pub fn set(&mut self, index: usize, unit: RelatedUnit) -> Result<RelatedUnit, RelatedUnit> {
        match self.units.as_vec_mut().get_mut(index) {
            Some(slot) => {
                self.dirty = true;
                Ok(std::mem::replace(slot, unit))
            }
            None => Err(unit),
        }
    }

    /// Remove every unit.
    pub fn clear(&mut self) {
        if !self.units.is_empty() {
            self.units.as_vec_mut().clear();
            self.dirty = true;
        }
    }
}
