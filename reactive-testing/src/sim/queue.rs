//! The simulator's queue of hooks, failing as Juju does: a failed hook
//! blocks only its own unit (that unit's later hooks wait behind it) while
//! the other units go on, until the unit is resolved and the failed hook
//! runs again.
//!
//! Besides hooks, the queue holds the model changes a step makes once its
//! hooks have run (a removed unit leaves the model, a removed relation
//! goes): each waits until every entry queued before it has run, so that a
//! step interrupted by a failed hook completes when the hook is resolved.

use std::collections::VecDeque;

use super::deployment::{QueuedHook, SimError};

/// A model change made once the hooks queued before it have run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    /// The unit leaves the model (after its `remove` hook).
    UnitGone(String),
    /// The relation leaves the model (after every `-broken` hook).
    RelationGone(u32),
}

/// One queue entry.
// Entries are few and short-lived: a boxed hook would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A hook to run on a unit.
    Hook(QueuedHook),
    /// A model change.
    Finish(Finish),
}

/// A unit whose hook failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked {
    /// The unit.
    pub unit: String,
    /// The hook that failed (it stays queued).
    pub hook: String,
    /// Its error.
    pub error: String,
}

/// The queue of one simulated model.
#[derive(Debug, Default)]
pub struct HookQueue {
    entries: VecDeque<Entry>,
    /// Units in error, in the order their hooks failed.
    blocked: Vec<Blocked>,
}

impl HookQueue {
    /// Queue a hook, unless the same hook is already waiting on the unit
    /// (Juju coalesces such events).
    pub fn push_hook(&mut self, queued: QueuedHook) {
        let entry = Entry::Hook(queued);
        if !self.entries.contains(&entry) {
            self.entries.push_back(entry);
        }
    }

    /// Queue a model change.
    pub fn push_finish(&mut self, finish: Finish) {
        self.entries.push_back(Entry::Finish(finish));
    }

    /// The hooks waiting, in queue order.
    pub fn hooks(&self) -> impl Iterator<Item = &QueuedHook> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Hook(q) => Some(q),
            Entry::Finish(_) => None,
        })
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether `unit` is in error.
    pub fn is_blocked(&self, unit: &str) -> bool {
        self.blocked.iter().any(|b| b.unit == unit)
    }

    /// The units in error, in the order their hooks failed.
    pub fn blocked(&self) -> &[Blocked] {
        &self.blocked
    }

    /// The first entry that may run: a hook of a unit not in error, or a
    /// model change with nothing queued before it. Removed from the queue
    /// only by [`HookQueue::done`].
    pub fn next(&self) -> Option<&Entry> {
        self.entries
            .iter()
            .enumerate()
            .find(|(i, e)| match e {
                Entry::Hook(q) => !self.is_blocked(&q.unit),
                Entry::Finish(_) => *i == 0,
            })
            .map(|(_, e)| e)
    }

    /// `entry` ran (successfully, for a hook): take it off the queue.
    pub fn done(&mut self, entry: &Entry) {
        if let Some(i) = self.entries.iter().position(|e| e == entry) {
            self.entries.remove(i);
        }
    }

    /// The hook `queued` failed: its unit is in error, the hook stays.
    pub fn fail(&mut self, queued: &QueuedHook, error: String) {
        self.blocked.retain(|b| b.unit != queued.unit);
        self.blocked.push(Blocked {
            unit: queued.unit.clone(),
            hook: queued.hook.name.clone(),
            error,
        });
    }

    /// Resolve `unit` (`juju resolved`): its failed hook runs again next.
    /// Returns whether it was in error.
    pub fn resolve(&mut self, unit: &str) -> bool {
        let before = self.blocked.len();
        self.blocked.retain(|b| b.unit != unit);
        self.blocked.len() != before
    }

    /// Resolve `unit` without running its failed hook again (`juju
    /// resolved --no-retry`): the hook is taken off the queue and the
    /// unit's next hook runs. Returns whether it was in error.
    pub fn skip(&mut self, unit: &str) -> bool {
        let Some(at) = self.blocked.iter().position(|b| b.unit == unit) else {
            return false;
        };
        let blocked = self.blocked.remove(at);
        let failed = self.entries.iter().position(
            |e| matches!(e, Entry::Hook(q) if q.unit == unit && q.hook.name == blocked.hook),
        );
        if let Some(failed) = failed {
            self.entries.remove(failed);
        }
        true
    }

    /// Resolve every unit in error.
    pub fn resolve_all(&mut self) {
        self.blocked.clear();
    }

    /// The first unit still in error, as the error of the step.
    pub fn first_failure(&self) -> Option<SimError> {
        self.blocked.first().map(|b| SimError::HookFailed {
            unit: b.unit.clone(),
            hook: b.hook.clone(),
            error: b.error.clone(),
        })
    }

    /// Forget a unit that left the model: its queued hooks and its error.
    pub fn forget_unit(&mut self, unit: &str) {
        self.entries
            .retain(|e| !matches!(e, Entry::Hook(q) if q.unit == unit));
        self.resolve(unit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reactive_core::hook::HookInfo;

    fn hook(unit: &str, name: &str) -> QueuedHook {
        let mut hook = HookInfo::named(name);
        hook.unit_name = Some(unit.into());
        QueuedHook {
            unit: unit.into(),
            hook,
        }
    }

    #[test]
    fn a_failed_unit_waits_while_the_others_run_and_model_changes_wait_for_it() {
        let mut q = HookQueue::default();
        q.push_hook(hook("a/0", "one"));
        q.push_hook(hook("a/0", "two"));
        q.push_hook(hook("b/0", "one"));
        q.push_finish(Finish::RelationGone(3));
        q.push_hook(hook("b/0", "two"));
        q.push_hook(hook("b/0", "two"));
        assert_eq!(q.hooks().count(), 4, "the same hook is queued once");

        let first = q.next().cloned().unwrap();
        assert_eq!(first, Entry::Hook(hook("a/0", "one")));
        let Entry::Hook(failed) = &first else {
            unreachable!()
        };
        q.fail(failed, "boom".into());
        assert!(q.is_blocked("a/0"));
        // a/0's next hook waits behind the failed one; b/0 goes on.
        assert_eq!(q.next(), Some(&Entry::Hook(hook("b/0", "one"))));
        q.done(&Entry::Hook(hook("b/0", "one")));
        // The model change waits for a/0's hooks; b/0's later hook runs.
        assert_eq!(q.next(), Some(&Entry::Hook(hook("b/0", "two"))));
        q.done(&Entry::Hook(hook("b/0", "two")));
        assert_eq!(q.next(), None, "only the blocked unit's work is left");
        assert_eq!(
            q.first_failure(),
            Some(SimError::HookFailed {
                unit: "a/0".into(),
                hook: "one".into(),
                error: "boom".into()
            })
        );

        assert!(q.resolve("a/0"));
        assert!(!q.resolve("a/0"));
        assert_eq!(q.next(), Some(&first), "the failed hook runs again first");
        q.done(&first);
        assert_eq!(q.next(), Some(&Entry::Hook(hook("a/0", "two"))));
        q.done(&Entry::Hook(hook("a/0", "two")));
        assert_eq!(q.next(), Some(&Entry::Finish(Finish::RelationGone(3))));
        q.done(&Entry::Finish(Finish::RelationGone(3)));
        assert!(q.is_empty());
        assert_eq!(q.first_failure(), None);
    }

    #[test]
    fn skipping_a_failed_hook_drops_it_and_the_unit_goes_on() {
        let mut q = HookQueue::default();
        q.push_hook(hook("a/0", "one"));
        q.push_hook(hook("a/0", "two"));
        q.push_hook(hook("b/0", "one"));
        let first = q.next().cloned().unwrap();
        let Entry::Hook(failed) = &first else {
            unreachable!()
        };
        q.fail(failed, "boom".into());
        assert!(!q.skip("b/0"), "b/0 is not in error");
        assert!(q.skip("a/0"));
        assert!(!q.is_blocked("a/0"));
        assert_eq!(q.next(), Some(&Entry::Hook(hook("a/0", "two"))));
        assert_eq!(q.hooks().count(), 2, "the failed hook is gone");
        assert_eq!(q.first_failure(), None);
    }
}
