//! The in-memory set of flags of one hook invocation.
//!
//! Flags are loaded from the unit state (`reactive.states.<flag>`) when a
//! [`Context`](crate::Context) is made and written back when it commits.
//! The store itself is a plain sorted map (filled in one pass from the
//! sorted rows, half the room of a hash map, and listed without sorting);
//! change tracking for the dispatch loop and triggers live in the context,
//! which wraps every operation.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// The key prefix under which flags are persisted, as charms.reactive does.
pub const FLAG_KEY_PREFIX: &str = "reactive.states.";

/// The flags set on the unit, with their values, and which of them this hook
/// touched.
#[derive(Debug, Clone, Default)]
pub(crate) struct FlagStore {
    set: BTreeMap<String, Value>,
    touched: BTreeSet<String>,
}

impl FlagStore {
    /// A store holding exactly `flags`, none touched.
    pub(crate) fn from_flags(flags: impl IntoIterator<Item = (String, Value)>) -> Self {
        FlagStore {
            set: flags.into_iter().collect(),
            touched: BTreeSet::new(),
        }
    }

    /// Set `flag` with `value`; returns true when the flag was not set before.
    pub(crate) fn set(&mut self, flag: &str, value: Value) -> bool {
        self.touched.insert(flag.to_string());
        self.set.insert(flag.to_string(), value).is_none()
    }

    /// Clear `flag`; returns true when it was set.
    pub(crate) fn clear(&mut self, flag: &str) -> bool {
        let was_set = self.set.remove(flag).is_some();
        if was_set {
            self.touched.insert(flag.to_string());
        }
        was_set
    }

    pub(crate) fn is_set(&self, flag: &str) -> bool {
        self.set.contains_key(flag)
    }

    pub(crate) fn value(&self, flag: &str) -> Option<&Value> {
        self.set.get(flag)
    }

    /// Every set flag, sorted.
    pub(crate) fn names(&self) -> Vec<String> {
        self.set.keys().cloned().collect()
    }

    /// The set flags that start with `prefix`, sorted (a range of the
    /// store: the other flags are not looked at).
    pub(crate) fn names_with_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = &'a str> {
        self.set
            .range::<str, _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .map(|(name, _)| name.as_str())
            .take_while(move |name| name.starts_with(prefix))
    }

    /// The flags touched since the last call, each with its current value
    /// (`None` when cleared); forgets them.
    pub(crate) fn take_touched(&mut self) -> Vec<(String, Option<Value>)> {
        std::mem::take(&mut self.touched)
            .into_iter()
            .map(|flag| {
                let value = self.set.get(&flag).cloned();
                (flag, value)
            })
            .collect()
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
        let got: Vec<&str> = store.names_with_prefix("config.").collect();
        assert_eq!(got, ["config.changed", "config.set.port"]);
        assert_eq!(store.names_with_prefix("zz").count(), 0);
        assert_eq!(store.names_with_prefix("").count(), 6);
    }
}
