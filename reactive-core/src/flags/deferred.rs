//! Flags whose rows a hook reads only when asked about them.
//!
//! An endpoint sets `endpoint.<name>.changed.<key>` for each key of remote
//! data that changed, and nothing clears those flags unless a handler does:
//! an endpoint whose thousand related units each send a key of their own
//! (a request id, say) leaves a thousand such flags set, and reading them
//! at the start of every hook was a fifth of a hook's work. No handler
//! condition names one of them unless the charm knows the key in advance,
//! so their rows are skipped when the flags are read, and each family is
//! read when a question needs it: one row when a flag of it is tested,
//! set or cleared; the whole family when the flags are listed or a value is
//! asked for. What the hook sees is the same either way.

use std::cell::{OnceCell, RefCell};
use std::collections::BTreeMap;

use serde_json::Value;

use super::{decode_flag_value, FLAG_KEY_PREFIX};
use crate::unit_state::{StateError, UnitState};

/// The family of flags that `flag` belongs to, when its rows are read only
/// on demand: `endpoint.<name>.changed.` for `endpoint.<name>.changed.<key>`
/// (a flag named so by the charm itself belongs to it too: only when its
/// row is read changes).
///
/// `endpoint.<name>.changed` itself, and every other flag, belong to none.
pub(crate) fn family_of(flag: &str) -> Option<&str> {
    const ENDPOINT: &str = "endpoint.";
    const CHANGED: &str = "changed.";
    let rest = flag.strip_prefix(ENDPOINT)?;
    let name_end = rest.find('.')?;
    if name_end == 0 || !rest[name_end + 1..].starts_with(CHANGED) {
        return None;
    }
    Some(&flag[..ENDPOINT.len() + name_end + 1 + CHANGED.len()])
}

/// One family of flags not read with the others.
#[derive(Debug, Default, Clone)]
pub(super) struct Family {
    /// Every flag of the family as stored, once read in full.
    stored: OnceCell<BTreeMap<String, Value>>,
    /// Flags of the family read one at a time: whether stored as set.
    looked_up: RefCell<BTreeMap<String, bool>>,
    /// This hook's changes: the value set, or `None` when cleared.
    changes: BTreeMap<String, Option<Value>>,
}

impl Family {
    /// Whether `flag` (of this family) is set: this hook's change, else the
    /// stored rows (one read, remembered).
    pub(super) fn is_set(&self, flag: &str, state: &UnitState) -> Result<bool, StateError> {
        if let Some(change) = self.changes.get(flag) {
            return Ok(change.is_some());
        }
        if let Some(stored) = self.stored.get() {
            return Ok(stored.contains_key(flag));
        }
        if let Some(&set) = self.looked_up.borrow().get(flag) {
            return Ok(set);
        }
        let set = state
            .get_raw(&format!("{FLAG_KEY_PREFIX}{flag}"))?
            .is_some();
        self.looked_up.borrow_mut().insert(flag.to_string(), set);
        Ok(set)
    }

    /// The value `flag` (of this family) was set with (the whole family
    /// read, once, unless this hook set or cleared it).
    pub(super) fn value<'a>(
        &'a self,
        prefix: &str,
        flag: &str,
        state: &UnitState,
    ) -> Result<Option<&'a Value>, StateError> {
        if let Some(change) = self.changes.get(flag) {
            return Ok(change.as_ref());
        }
        Ok(self.stored(prefix, state)?.get(flag))
    }

    /// Record this hook's change of `flag`: its value, or `None` when
    /// cleared.
    pub(super) fn change(&mut self, flag: &str, value: Option<Value>) {
        self.changes.insert(flag.to_string(), value);
    }

    /// This hook's change of `flag`, if any.
    pub(super) fn changed(&self, flag: &str) -> Option<&Option<Value>> {
        self.changes.get(flag)
    }

    /// Every set flag of the family (this hook's changes over the stored
    /// rows, read in full once), sorted.
    pub(super) fn names(&self, prefix: &str, state: &UnitState) -> Result<Vec<String>, StateError> {
        let stored = self.stored(prefix, state)?;
        let mut names: Vec<String> = stored
            .keys()
            .filter(|name| !matches!(self.changes.get(*name), Some(None)))
            .cloned()
            .collect();
        names.extend(
            self.changes
                .iter()
                .filter(|(name, value)| value.is_some() && !stored.contains_key(*name))
                .map(|(name, _)| name.clone()),
        );
        names.sort_unstable();
        Ok(names)
    }

    /// The family's stored rows, read in full on first need.
    fn stored(
        &self,
        prefix: &str,
        state: &UnitState,
    ) -> Result<&BTreeMap<String, Value>, StateError> {
        if let Some(stored) = self.stored.get() {
            return Ok(stored);
        }
        let mut rows = BTreeMap::new();
        for (key, text) in state.get_range_raw(&format!("{FLAG_KEY_PREFIX}{prefix}"))? {
            let value = decode_flag_value(state.path(), &key, &text)?;
            let name = key.strip_prefix(FLAG_KEY_PREFIX).unwrap_or(&key);
            rows.insert(name.to_string(), value);
        }
        Ok(self.stored.get_or_init(|| rows))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_family_of_a_flag_is_its_endpoints_changed_keys() {
        for (flag, family) in [
            ("endpoint.db.changed.host", Some("endpoint.db.changed.")),
            ("endpoint.db.changed.a.b", Some("endpoint.db.changed.")),
            ("endpoint.db.changed.", Some("endpoint.db.changed.")),
            ("endpoint.x-y.changed.k", Some("endpoint.x-y.changed.")),
            ("endpoint.db.changed", None),
            ("endpoint.db.changedx.k", None),
            ("endpoint.db.joined", None),
            ("endpoint..changed.k", None),
            ("endpoint.changed.k", None),
            ("endpoint.a.b.changed.k", None),
            ("xendpoint.db.changed.k", None),
            ("config.changed.k", None),
            ("", None),
        ] {
            assert_eq!(family_of(flag), family, "{flag}");
        }
    }
}
