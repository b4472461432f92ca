//! Markers: facts kept beside the unit state, outside its transactions.
//!
//! Everything else a hook writes is committed at its end or not at all. A
//! marker is the exception, on purpose: it is set at once and outlives a
//! rollback, so that the next hook learns what a hook that failed, or was
//! killed, had started. Juju may go on after such a hook without running it
//! again (`juju resolved --no-retry`), and some of its bookkeeping then
//! moves on although the charm's did not; a marker says so.
//!
//! A store on disk keeps each marker as an empty file (mode 0600) next to
//! the database: `<database file>.<marker>`, for instance
//! `.unit-state.db.membership-unsettled`. An in-memory store keeps them in
//! memory, across its commits and rollbacks.
//!
//! ```
//! use reactive_core::unit_state::{Marker, UnitState};
//!
//! let mut state = UnitState::in_memory();
//! state.set_marker(Marker::MembershipUnsettled).unwrap();
//! state.set("k", serde_json::json!(1));
//! state.rollback();
//! // Not rolled back...
//! assert!(state.has_marker(Marker::MembershipUnsettled));
//! // ...but taken away by the next commit that asks for it.
//! state.clear_marker_on_commit(Marker::MembershipUnsettled);
//! state.commit().unwrap();
//! assert!(!state.has_marker(Marker::MembershipUnsettled));
//! ```

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::{StateError, UnitState};

/// A fact kept beside the unit state, outside its transactions.
///
/// Everything else a hook writes is committed at its end or not at all. A
/// marker is set at once ([`UnitState::set_marker`]) and outlives a
/// rollback, so that the next hook learns what a hook that failed, or was
/// killed, had started; a successful commit takes it away when asked to
/// ([`UnitState::clear_marker_on_commit`]). A store on disk keeps each
/// marker as an empty file (mode 0600) next to the database, named
/// `<database file>.<marker name>`; an in-memory store keeps them in
/// memory, across its commits and rollbacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Marker {
    /// A hook that changes which relations and remote units Juju shows
    /// this unit (an endpoint's `-relation-created`, `-joined`,
    /// `-departed` or `-broken`) started and has not committed; or a test
    /// harness changed them without a hook. The next hook reads relation
    /// membership with `relation-ids` and `relation-list` rather than
    /// trusting the copy in the unit state.
    MembershipUnsettled,
}

impl Marker {
    /// The marker's name: the suffix of its file.
    ///
    /// ```
    /// use reactive_core::unit_state::Marker;
    /// assert_eq!(Marker::MembershipUnsettled.name(), "membership-unsettled");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Marker::MembershipUnsettled => "membership-unsettled",
        }
    }
}

/// The file of `marker` for the database at `db`.
fn marker_path(db: &Path, marker: Marker) -> PathBuf {
    let mut name = OsString::from(db.as_os_str());
    name.push(".");
    name.push(marker.name());
    PathBuf::from(name)
}

impl UnitState {
    /// Set `marker` now, outside any transaction: a later
    /// [`rollback`](Self::rollback) leaves it set.
    ///
    /// # Errors
    ///
    /// [`StateError::Marker`], naming the marker's file, when it cannot be
    /// created (the directory is not writable, say: the commit would fail
    /// too).
    pub fn set_marker(&mut self, marker: Marker) -> Result<(), StateError> {
        let Some(db) = &self.path else {
            self.markers.insert(marker);
            return Ok(());
        };
        let file = marker_path(db, marker);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        options
            .open(&file)
            .map(drop)
            .map_err(|source| StateError::Marker { file, source })
    }

    /// Whether `marker` is set. A marker file that cannot be looked at
    /// counts as set: a marker only ever makes a hook read more.
    pub fn has_marker(&self, marker: Marker) -> bool {
        match &self.path {
            Some(db) => match std::fs::symlink_metadata(marker_path(db, marker)) {
                Ok(_) => true,
                Err(e) => e.kind() != std::io::ErrorKind::NotFound,
            },
            None => self.markers.contains(&marker),
        }
    }

    /// Take `marker` away once the next [`commit`](Self::commit) succeeds
    /// (a [`rollback`](Self::rollback) forgets this request). A marker
    /// file that cannot be removed stays, and says the same thing to the
    /// next hook.
    pub fn clear_marker_on_commit(&mut self, marker: Marker) {
        self.clear_on_commit.insert(marker);
    }

    /// Remove the markers asked for, after a successful commit.
    pub(super) fn clear_committed_markers(&mut self) {
        for marker in std::mem::take(&mut self.clear_on_commit) {
            match &self.path {
                Some(db) => {
                    // Best effort: see clear_marker_on_commit.
                    let _ = std::fs::remove_file(marker_path(db, marker));
                }
                None => {
                    self.markers.remove(&marker);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("marker-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_marker_on_disk_outlives_a_rollback_and_a_reopen_until_a_commit_clears_it() {
        let dir = scratch("disk");
        let db = dir.join(".unit-state.db");
        let mut state = UnitState::open(&db).unwrap();
        let marker = Marker::MembershipUnsettled;
        assert!(!state.has_marker(marker));
        state.set_marker(marker).unwrap();
        let file = dir.join(".unit-state.db.membership-unsettled");
        assert!(file.exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        state.set("k", serde_json::json!(1));
        state.clear_marker_on_commit(marker);
        state.rollback();
        // The rollback forgot the request to clear it.
        state.commit().unwrap();
        assert!(state.has_marker(marker));
        drop(state);
        let mut state = UnitState::open(&db).unwrap();
        assert!(state.has_marker(marker));
        // Setting it again is harmless.
        state.set_marker(marker).unwrap();
        state.clear_marker_on_commit(marker);
        // A commit with nothing pending clears it too.
        state.commit().unwrap();
        assert!(!state.has_marker(marker));
        assert!(!file.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failed_commit_keeps_the_marker() {
        let dir = scratch("failed-commit");
        let db = dir.join(".unit-state.db");
        let mut state = UnitState::open(&db).unwrap();
        let marker = Marker::MembershipUnsettled;
        state.set_marker(marker).unwrap();
        state.clear_marker_on_commit(marker);
        state.set("k", serde_json::json!(1));
        // Another connection holds the write lock, and this one does not
        // wait for it.
        let blocker = rusqlite::Connection::open(&db).unwrap();
        blocker.execute_batch("begin exclusive;").unwrap();
        state.conn.busy_timeout(std::time::Duration::ZERO).unwrap();
        assert!(state.commit().is_err());
        assert!(state.has_marker(marker));
        blocker.execute_batch("rollback;").unwrap();
        state.commit().unwrap();
        assert!(!state.has_marker(marker));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_marker_that_cannot_be_created_names_its_file() {
        let dir = scratch("unwritable");
        let db = dir.join(".unit-state.db");
        let mut state = UnitState::open(&db).unwrap();
        // A directory where the marker's file would go.
        let file = dir.join(".unit-state.db.membership-unsettled");
        std::fs::create_dir(&file).unwrap();
        let err = state.set_marker(Marker::MembershipUnsettled).unwrap_err();
        assert_eq!(err.file(), Some(file.as_path()));
        assert!(err.to_string().contains("membership-unsettled"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_in_memory_marker_lives_in_the_store() {
        let mut state = UnitState::in_memory();
        let marker = Marker::MembershipUnsettled;
        state.set_marker(marker).unwrap();
        state.rollback();
        assert!(state.has_marker(marker));
        state.commit().unwrap();
        assert!(state.has_marker(marker), "not asked to clear it");
        state.clear_marker_on_commit(marker);
        state.commit().unwrap();
        assert!(!state.has_marker(marker));
    }
}
