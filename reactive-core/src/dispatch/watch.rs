//! Change tracking for the dispatch loop (charms.reactive's `FlagWatch`).

use super::Phase;

/// What the dispatch loop needs to know about flag changes.
#[derive(Debug, Clone, Default)]
pub(crate) struct FlagWatch {
    phase: Option<Phase>,
    /// Flags changed during the previous iteration.
    changes: Vec<String>,
    /// Flags changed during the current iteration so far.
    pending: Vec<String>,
    /// Whether a clear happened since the queue was last (re-)tested.
    cleared: bool,
}

impl FlagWatch {
    /// Forget everything (start or end of dispatch).
    pub(crate) fn reset(&mut self) {
        *self = FlagWatch::default();
    }

    pub(crate) fn phase(&self) -> Option<Phase> {
        self.phase
    }

    pub(crate) fn set_phase(&mut self, phase: Option<Phase>) {
        self.phase = phase;
    }

    /// A flag was set or cleared (a real change).
    pub(crate) fn change(&mut self, flag: &str) {
        if self.phase.is_some() {
            self.pending.push(flag.to_string());
        }
    }

    /// A clear was asked for, whether or not the flag was set.
    pub(crate) fn note_clear(&mut self) {
        self.cleared = true;
    }

    /// Read and reset the clear marker.
    pub(crate) fn take_cleared(&mut self) -> bool {
        std::mem::take(&mut self.cleared)
    }

    /// The end of an iteration: its changes become the ones the next
    /// iteration looks at.
    pub(crate) fn commit(&mut self) {
        self.changes = std::mem::take(&mut self.pending);
    }

    /// The flags changed in the current iteration so far.
    pub(crate) fn pending(&self) -> &[String] {
        &self.pending
    }

    pub(crate) fn changes(&self) -> &[String] {
        &self.changes
    }
}
