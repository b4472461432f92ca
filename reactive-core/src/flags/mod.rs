//! The in-memory set of flags of one hook invocation.
//!
//! Flags are loaded from the unit state (`reactive.states.<flag>`) when a
//! [`Context`](crate::Context) is made and written back when it commits.
//! The store itself is a plain sorted map (filled in one pass from the
//! sorted rows, half the room of a hash map, and listed without sorting);
//! change tracking for the dispatch loop and triggers live in the context,
//! which wraps every operation.
//!
//! The flags an endpoint sets for each changed key of remote data
//! (`endpoint.<name>.changed.<key>`) are not read with the others, but
//! when a question needs them: one row to test, set or clear a flag; the
//! whole family to list the flags or give a flag's value.

mod deferred;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::unit_state::{StateError, UnitState, Walk};
pub(crate) use deferred::family_of;
use deferred::Family;

/// The key prefix under which flags are persisted, as charms.reactive does.
pub const FLAG_KEY_PREFIX: &str = "reactive.states.";

/// A flag's value as stored (charms.reactive's JSON text; `null` for most).
pub(crate) fn decode_flag_value(
    path: Option<&Path>,
    key: &str,
    text: &str,
) -> Result<Value, StateError> {
    match text {
        "null" => Ok(Value::Null),
        text => crate::pyjson::from_python_json(text).map_err(|source| StateError::InvalidJson {
            file: path.map(Path::to_path_buf),
            key: key.to_string(),
            source,
        }),
    }
}

/// What a touched flag was before this hook's first touch of it.
#[derive(Debug)]
enum Before {
    /// A flag of `set`'s: its value then (`None`: not set). A flag that
    /// ends as it began (set again with the same value, or set and
    /// cleared) is no change.
    Known(Option<Value>),
    /// A flag of a deferred family, whose row may not have been read.
    Unknown,
}

/// The flags set on the unit, with their values, and which of them this hook
/// touched.
///
/// The questions that may read the unit state (a flag of a family not read
/// yet) take it as `state`. Those asked through `&self` cannot fail: a read
/// that fails answers "not set" and is kept, and
/// [`take_error`](Self::take_error) hands it to the commit, which then
/// fails, so that a hook that was told wrong writes nothing.
#[derive(Debug, Default)]
pub(crate) struct FlagStore {
    /// Every set flag but those of the families in `deferred`.
    set: BTreeMap<String, Value>,
    /// The families whose rows were skipped when the flags were read, by
    /// prefix (see [`family_of`]).
    deferred: BTreeMap<String, Family>,
    /// The flags touched since the last [`take_touched`](Self::take_touched),
    /// each with what it was before its first touch.
    touched: BTreeMap<String, Before>,
    /// The first read of a deferred flag that failed.
    failed: RefCell<Option<StateError>>,
}

impl FlagStore {
    /// A store holding exactly `flags`, none touched, none deferred.
    #[cfg(test)]
    pub(crate) fn from_flags(flags: impl IntoIterator<Item = (String, Value)>) -> Self {
        FlagStore {
            set: flags.into_iter().collect(),
            ..FlagStore::default()
        }
    }

    /// The flags stored in `state`, the rows of each family of
    /// [`family_of`] skipped (one seek past each family instead).
    pub(crate) fn read(state: &mut UnitState) -> Result<Self, StateError> {
        let path = state.path().map(Path::to_path_buf);
        let mut store = FlagStore::default();
        state.walk_raw(FLAG_KEY_PREFIX, |key, text| {
            let name = key.strip_prefix(FLAG_KEY_PREFIX).unwrap_or(key);
            if let Some(family) = family_of(name) {
                store.deferred.entry(family.to_string()).or_default();
                return Ok(Walk::SkipPast(format!("{FLAG_KEY_PREFIX}{family}")));
            }
            let value = decode_flag_value(path.as_deref(), key, text)?;
            store.set.insert(name.to_string(), value);
            Ok(Walk::Next)
        })?;
        Ok(store)
    }

    /// The deferred family `flag` belongs to, with its prefix.
    fn family(&self, flag: &str) -> Option<(&str, &Family)> {
        let prefix = family_of(flag)?;
        self.deferred
            .get_key_value(prefix)
            .map(|(prefix, family)| (prefix.as_str(), family))
    }

    /// Keep the first failed read.
    fn failed(&self, error: StateError) {
        self.failed.borrow_mut().get_or_insert(error);
    }

    /// Set `flag` with `value`; returns true when the flag was not set before.
    pub(crate) fn set(&mut self, flag: &str, value: Value, state: &UnitState) -> bool {
        if let Some(prefix) = family_of(flag).filter(|p| self.deferred.contains_key(*p)) {
            self.touch(flag, || Before::Unknown);
            let was_set = self.is_set(flag, state);
            if let Some(family) = self.deferred.get_mut(prefix) {
                family.change(flag, Some(value));
            }
            return !was_set;
        }
        match self.set.get_mut(flag) {
            Some(stored) => {
                let previous = std::mem::replace(stored, value);
                self.touch(flag, || Before::Known(Some(previous)));
                false
            }
            None => {
                self.set.insert(flag.to_string(), value);
                self.touch(flag, || Before::Known(None));
                true
            }
        }
    }

    /// Note `flag` as touched, with `before` unless it was touched already.
    fn touch(&mut self, flag: &str, before: impl FnOnce() -> Before) {
        if !self.touched.contains_key(flag) {
            self.touched.insert(flag.to_string(), before());
        }
    }

    /// Clear `flag`; returns true when it was set.
    pub(crate) fn clear(&mut self, flag: &str, state: &UnitState) -> bool {
        match family_of(flag).filter(|p| self.deferred.contains_key(*p)) {
            Some(prefix) => {
                let was_set = self.is_set(flag, state);
                if let Some(family) = self.deferred.get_mut(prefix) {
                    family.change(flag, None);
                }
                if was_set {
                    self.touch(flag, || Before::Unknown);
                }
                was_set
            }
            None => match self.set.remove(flag) {
                Some(previous) => {
                    self.touch(flag, || Before::Known(Some(previous)));
                    true
                }
                None => false,
            },
        }
    }

    pub(crate) fn is_set(&self, flag: &str, state: &UnitState) -> bool {
        match self.family(flag) {
            Some((_, family)) => family.is_set(flag, state).unwrap_or_else(|e| {
                self.failed(e);
                false
            }),
            None => self.set.contains_key(flag),
        }
    }

    pub(crate) fn value<'a>(&'a self, flag: &str, state: &UnitState) -> Option<&'a Value> {
        match self.family(flag) {
            Some((prefix, family)) => family.value(prefix, flag, state).unwrap_or_else(|e| {
                self.failed(e);
                None
            }),
            None => self.set.get(flag),
        }
    }

    /// Every set flag, sorted.
    pub(crate) fn names(&self, state: &UnitState) -> Vec<String> {
        self.names_with_prefix("", state)
    }

    /// The set flags that start with `prefix`, sorted (a range of the
    /// store, and the deferred families that may hold such flags: the
    /// other flags are not looked at).
    pub(crate) fn names_with_prefix(&self, prefix: &str, state: &UnitState) -> Vec<String> {
        let mut names: Vec<String> = self
            .set
            .range::<str, _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .map(|(name, _)| name)
            .take_while(|name| name.starts_with(prefix))
            .cloned()
            .collect();
        let mut from_families = false;
        for (family_prefix, family) in &self.deferred {
            if !(family_prefix.starts_with(prefix) || prefix.starts_with(family_prefix.as_str())) {
                continue;
            }
            match family.names(family_prefix, state) {
                Ok(found) => names.extend(found.into_iter().filter(|n| n.starts_with(prefix))),
                Err(e) => self.failed(e),
            }
            from_families = true;
        }
        if from_families {
            names.sort_unstable();
        }
        names
    }

    /// The flags touched since the last call, each with its current value
    /// (`None` when cleared), but those that end as they were before the
    /// first touch (as read, or as the last call left them); forgets them.
    ///
    /// A hook that only sets again the flags already set (the
    /// `endpoint.<name>.joined` of its relations, say) so has nothing to
    /// write.
    pub(crate) fn take_touched(&mut self) -> Vec<(String, Option<Value>)> {
        std::mem::take(&mut self.touched)
            .into_iter()
            .filter_map(|(flag, before)| {
                let value = match self.family(&flag) {
                    Some((_, family)) => family.changed(&flag).cloned().flatten(),
                    None => {
                        let value = self.set.get(&flag);
                        if let Before::Known(before) = &before {
                            if before.as_ref() == value {
                                return None;
                            }
                        }
                        value.cloned()
                    }
                };
                Some((flag, value))
            })
            .collect()
    }

    /// The first read of a deferred flag that failed in this hook, if one
    /// did (see the type's documentation).
    pub(crate) fn take_error(&mut self) -> Option<StateError> {
        self.failed.get_mut().take()
    }

    /// The flags read, and the prefixes of the families not read yet: what
    /// a context's `Debug` shows, without reading anything.
    pub(crate) fn summary(&self) -> (Vec<&str>, Vec<&str>) {
        (
            self.set.keys().map(String::as_str).collect(),
            self.deferred.keys().map(String::as_str).collect(),
        )
    }
}

/// The flags of a hook as its handlers' conditions see them: the store and
/// the unit state its deferred flags are read from.
#[derive(Clone, Copy)]
pub(crate) struct FlagView<'a> {
    pub(crate) store: &'a FlagStore,
    pub(crate) state: &'a UnitState,
}

impl FlagView<'_> {
    /// Whether `flag` is set.
    pub(crate) fn is_set(&self, flag: &str) -> bool {
        self.store.is_set(flag, self.state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_a_prefix_are_the_range_that_starts_with_it() {
        let store = FlagStore::from_flags(
            [
                "config",
                "config.changed",
                "config.set.port",
                "configured",
                "db.ready",
                "b",
            ]
            .map(|f| (f.to_string(), Value::Null)),
        );
        let state = UnitState::in_memory();
        let got = store.names_with_prefix("config.", &state);
        assert_eq!(got, ["config.changed", "config.set.port"]);
        assert!(store.names_with_prefix("zz", &state).is_empty());
        assert_eq!(store.names_with_prefix("", &state).len(), 6);
    }

    #[test]
    fn flags_that_end_as_they_began_are_no_change() {
        let state = UnitState::in_memory();
        let mut store = FlagStore::from_flags([
            ("joined".to_string(), Value::Null),
            ("valued".to_string(), Value::from(1)),
            ("gone".to_string(), Value::Null),
        ]);
        // Set again as it was; set and cleared; changed and changed back.
        store.set("joined", Value::Null, &state);
        store.set("config.set.port", Value::Null, &state);
        store.clear("config.set.port", &state);
        store.set("valued", Value::from(2), &state);
        store.set("valued", Value::from(1), &state);
        // Real changes: a new flag, a cleared one, a new value.
        store.set("new", Value::Null, &state);
        store.clear("gone", &state);
        store.clear("never-set", &state);
        store.set("joined", Value::from("v"), &state);
        assert_eq!(
            store.take_touched(),
            [
                ("gone".to_string(), None),
                ("joined".to_string(), Some(Value::from("v"))),
                ("new".to_string(), Some(Value::Null)),
            ]
        );
        // Measured against what the last call left.
        store.set("new", Value::Null, &state);
        store.clear("joined", &state);
        store.set("joined", Value::from("v"), &state);
        assert!(store.take_touched().is_empty());
        store.clear("new", &state);
        assert_eq!(store.take_touched(), [("new".to_string(), None)]);
    }
}

#[cfg(test)]
mod reading {
    use super::*;
    use serde_json::json;

    #[test]
    fn reading_the_flags_skips_each_family_of_changed_keys() {
        let mut state = UnitState::in_memory();
        for flag in [
            "a",
            "endpoint.db.changed",
            "endpoint.db.changed.host",
            "endpoint.db.changed.port",
            "endpoint.db.joined",
            "endpoint.web.changed.k",
            "z",
        ] {
            state.set(&format!("{FLAG_KEY_PREFIX}{flag}"), json!(null));
        }
        state.commit().unwrap();
        let store = FlagStore::read(&mut state).unwrap();
        let (read, deferred) = store.summary();
        assert_eq!(
            read,
            ["a", "endpoint.db.changed", "endpoint.db.joined", "z"]
        );
        assert_eq!(deferred, ["endpoint.db.changed.", "endpoint.web.changed."]);
        assert!(store.is_set("endpoint.db.changed.port", &state));
        assert_eq!(
            store.names_with_prefix("endpoint.db.", &state),
            [
                "endpoint.db.changed",
                "endpoint.db.changed.host",
                "endpoint.db.changed.port",
                "endpoint.db.joined"
            ]
        );
        assert_eq!(
            store.names_with_prefix("endpoint.db.changed.h", &state),
            ["endpoint.db.changed.host"]
        );
    }
}
