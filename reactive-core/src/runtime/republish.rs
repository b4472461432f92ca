//! Relation data a hook published, kept with the unit state so that the next
//! hook can put back what Juju discarded.
//!
//! Juju applies a hook's `relation-set` calls only when the hook process
//! exits 0. The unit state is committed before that, by the process itself.
//! A process killed between the two (after the commit, before its exit has
//! been seen by Juju) leaves a unit state that says the data went out while
//! Juju dropped it; Juju then runs the hook again (or, after `juju resolved
//! --no-retry`, goes on), and a charm that trusts its state publishes
//! nothing more: the remote units keep stale data.
//!
//! So, in the same transaction as the rest of the unit state, every
//! non-restricted hook records what it sent with `relation-set` (each bag's
//! keys with the last value sent, `""` for a removed key) under
//! [`PUBLISHED_KEY`], or removes the record when it sent nothing. The next
//! non-restricted hook, before anything else, reads this unit's (or, for
//! the leader, this application's) bag back with `relation-get` for each
//! recorded bag and sends again, with one `relation-set`, the keys whose
//! value differs. The keys it sends again are part of its own record, so a
//! kill at any instant of that hook is covered the same way.
//!
//! The cost: nothing when the previous hook published nothing (most
//! hooks); otherwise one `relation-get` per bag it published, and one
//! `relation-set` per bag only when Juju did lose data.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::log::LogLevel;
use crate::names::app_of;
use crate::tools::{DataBag, HookTools, ToolError};
use crate::unit_state::{StateError, UnitState};

/// The unit-state key of the record of what the last committed hook sent
/// with `relation-set`.
pub const PUBLISHED_KEY: &str = "reactive.runtime.published";

/// One relation data bag: a relation id, and whether it is the
/// application's bag (else this unit's).
pub type BagId = (String, bool);

/// The keys sent to each bag, with the last value sent (`""`: removed).
pub type SentBags = BTreeMap<BagId, DataBag>;

/// Merge `later` into `earlier`: a key sent later wins.
pub fn merge(earlier: &mut SentBags, later: &SentBags) {
    for (bag, data) in later {
        let entry = earlier.entry(bag.clone()).or_default();
        for (k, v) in data {
            entry.insert(k.clone(), v.clone());
        }
    }
}

/// The record of `sent`, as stored under [`PUBLISHED_KEY`] by the hook
/// `hook`.
pub fn to_record(hook: &str, sent: &SentBags) -> Value {
    let bags: Vec<Value> = sent
        .iter()
        .filter(|(_, data)| !data.is_empty())
        .map(|((relation, app), data)| {
            json!({
                "relation": relation,
                "app": app,
                "data": data.iter().map(|(k, v)| (k.clone(), Value::from(v.clone()))).collect::<Map<_, _>>(),
            })
        })
        .collect();
    json!({ "hook": hook, "bags": bags })
}

/// The bags of a stored record; whatever does not read as one is skipped
/// (a record that is not there, or not ours, asks for nothing).
pub fn from_record(record: &Value) -> SentBags {
    let mut sent = SentBags::new();
    let Some(bags) = record.get("bags").and_then(Value::as_array) else {
        return sent;
    };
    for bag in bags {
        let (Some(relation), Some(data)) = (
            bag.get("relation").and_then(Value::as_str),
            bag.get("data").and_then(Value::as_object),
        ) else {
            continue;
        };
        let app = bag.get("app").and_then(Value::as_bool).unwrap_or(false);
        let data: DataBag = data
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
            .collect();
        if !data.is_empty() {
            sent.entry((relation.to_string(), app))
                .or_default()
                .extend(data);
        }
    }
    sent
}

/// Save in `state` (uncommitted: it goes with the hook's commit) the record
/// of what the hook `hook` sent, or remove the record when it sent nothing.
/// Nothing is written when the stored record is already right.
pub fn save(state: &mut UnitState, hook: &str, sent: &SentBags) {
    let stored = state.get(PUBLISHED_KEY).ok().flatten();
    if sent.values().all(DataBag::is_empty) {
        if stored.is_some() {
            state.unset(PUBLISHED_KEY);
        }
    } else {
        let record = to_record(hook, sent);
        if stored.as_ref() != Some(&record) {
            state.set(PUBLISHED_KEY, record);
        }
    }
}

/// The keys of `expected` whose value in `actual` differs (an empty
/// expected value means the key must be absent).
pub fn missing(expected: &DataBag, actual: &DataBag) -> DataBag {
    expected
        .iter()
        .filter(|(k, v)| {
            let now = actual.get(*k).map(String::as_str).unwrap_or("");
            now != v.as_str()
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// What [`reconcile`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reconciled {
    /// The keys sent again, per bag: to be recorded with this hook's own.
    pub resent: SentBags,
    /// The bags read back (one `relation-get` each).
    pub checked: usize,
}

/// Read back each bag the last committed hook recorded in `state` and send
/// again what Juju does not hold. `unit` is this unit.
///
/// A relation that is gone is skipped, and so is an application bag when
/// this unit is no longer the leader (it could not write it).
///
/// # Errors
///
/// The unit state cannot be read, or a hook tool failed (the hook then
/// fails, and is retried).
pub fn reconcile(
    state: &mut UnitState,
    tools: &mut dyn HookTools,
    unit: &str,
) -> Result<Reconciled, ReconcileError> {
    let mut done = Reconciled::default();
    let Some(record) = state.get(PUBLISHED_KEY)? else {
        return Ok(done);
    };
    let expected = from_record(&record);
    let mut leader = None;
    for ((relation, app), data) in &expected {
        let actual = if *app {
            let is_leader = match leader {
                Some(known) => known,
                None => *leader.insert(tools.is_leader()?),
            };
            if !is_leader {
                continue;
            }
            tools.relation_get_app(relation, app_of(unit))
        } else {
            tools.relation_get(relation, unit)
        };
        let actual = match actual {
            Ok(actual) => actual,
            Err(ToolError::RelationNotFound { .. }) => continue,
            Err(e) => return Err(e.into()),
        };
        done.checked += 1;
        let lost = missing(data, &actual);
        if lost.is_empty() {
            continue;
        }
        let whose = if *app { "application" } else { "unit" };
        let keys: Vec<&str> = lost.keys().map(String::as_str).collect();
        let message = format!(
            "the previous hook was interrupted after saving the unit state; publishing again \
             on {relation} ({whose} data) what Juju did not keep: {}",
            keys.join(", ")
        );
        let _ = tools.juju_log(LogLevel::Warning, &message);
        tools.relation_set(relation, *app, &lost)?;
        done.resent.insert((relation.clone(), *app), lost);
    }
    Ok(done)
}

/// Why the relation data of the last hook could not be checked.
#[derive(Debug)]
pub enum ReconcileError {
    /// The unit state could not be read.
    State(StateError),
    /// A hook tool failed.
    Tool(ToolError),
}

impl std::fmt::Display for ReconcileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReconcileError::State(e) => write!(f, "cannot read `{PUBLISHED_KEY}`: {e}"),
            ReconcileError::Tool(e) => write!(f, "cannot check the last hook's relation data: {e}"),
        }
    }
}

impl std::error::Error for ReconcileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReconcileError::State(e) => Some(e),
            ReconcileError::Tool(e) => Some(e),
        }
    }
}

impl From<StateError> for ReconcileError {
    fn from(e: StateError) -> Self {
        ReconcileError::State(e)
    }
}

impl From<ToolError> for ReconcileError {
    fn from(e: ToolError) -> Self {
        ReconcileError::Tool(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bag(pairs: &[(&str, &str)]) -> DataBag {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn records_round_trip_and_skip_what_is_not_a_record() {
        let mut sent = SentBags::new();
        sent.insert(("db:1".into(), false), bag(&[("a", "1"), ("gone", "")]));
        sent.insert(("db:1".into(), true), bag(&[("app", "x")]));
        sent.insert(("db:2".into(), false), DataBag::new());
        let record = to_record("db-relation-changed", &sent);
        assert_eq!(record["hook"], "db-relation-changed");
        let back = from_record(&record);
        assert_eq!(back.len(), 2, "empty bags are not recorded");
        assert_eq!(
            back[&("db:1".to_string(), false)],
            sent[&("db:1".to_string(), false)]
        );
        assert_eq!(back[&("db:1".to_string(), true)], bag(&[("app", "x")]));
        assert!(from_record(&json!("nonsense")).is_empty());
        assert!(from_record(&json!({"bags": [{"relation": 3}]})).is_empty());
    }

    #[test]
    fn missing_keys_include_values_that_differ_and_removals_not_applied() {
        let expected = bag(&[("a", "1"), ("b", "2"), ("gone", ""), ("never", "")]);
        let actual = bag(&[("a", "1"), ("b", "old"), ("gone", "still"), ("other", "x")]);
        assert_eq!(
            missing(&expected, &actual),
            bag(&[("b", "2"), ("gone", "")])
        );
        assert!(missing(&expected, &bag(&[("a", "1"), ("b", "2")])).is_empty());
    }

    #[test]
    fn later_sends_win_when_merged() {
        let mut first = SentBags::new();
        first.insert(("r:1".into(), false), bag(&[("a", "1"), ("b", "1")]));
        let mut second = SentBags::new();
        second.insert(("r:1".into(), false), bag(&[("b", "2")]));
        second.insert(("r:2".into(), false), bag(&[("c", "3")]));
        merge(&mut first, &second);
        assert_eq!(
            first[&("r:1".to_string(), false)],
            bag(&[("a", "1"), ("b", "2")])
        );
        assert_eq!(first[&("r:2".to_string(), false)], bag(&[("c", "3")]));
    }
}
