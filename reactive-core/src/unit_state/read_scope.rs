//! One read transaction over many reads.
//!
//! Each read outside a transaction is a transaction of its own: SQLite
//! takes the shared lock, checks for a hot journal and for a change made by
//! another process, reads, and lets the lock go (about ten system calls
//! each, for some twenty reads at the start of a hook). Between
//! [`UnitState::begin_reads`] and [`UnitState::end_reads`] the reads share
//! one transaction, so they also see one state of the file.
//!
//! The shared lock is held meanwhile: another process that writes the
//! unit state waits for it (up to the busy timeout). A hook holds it only
//! while it starts, before any handler runs, so that a handler may start a
//! helper that writes the unit state.

use super::UnitState;

impl UnitState {
    /// Start one read transaction for the reads that follow, until
    /// [`end_reads`](Self::end_reads), [`commit`](Self::commit) or
    /// [`rollback`](Self::rollback). Does nothing if one is open. If it
    /// cannot be started, each read is its own transaction, as without it.
    ///
    /// ```
    /// use reactive_core::unit_state::UnitState;
    /// use serde_json::json;
    ///
    /// let mut state = UnitState::in_memory();
    /// state.set("a", json!(1));
    /// state.commit().unwrap();
    /// state.begin_reads();
    /// assert!(state.in_reads());
    /// assert_eq!(state.get("a").unwrap(), Some(json!(1)));
    /// state.end_reads();
    /// assert!(!state.in_reads());
    /// ```
    pub fn begin_reads(&mut self) {
        if self.conn.is_autocommit() {
            // Deferred: no lock until the first read.
            let _ = self.conn.execute_batch("BEGIN DEFERRED");
        }
    }

    /// End the read transaction [`begin_reads`](Self::begin_reads)
    /// started, letting the shared lock go. Does nothing if none is open.
    pub fn end_reads(&mut self) {
        if !self.conn.is_autocommit() {
            // Nothing was written in it: ending it cannot lose anything,
            // and if it fails SQLite ends it when the connection closes.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }

    /// Whether a read transaction is open.
    pub fn in_reads(&self) -> bool {
        !self.conn.is_autocommit()
    }
}
