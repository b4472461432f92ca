//! Helpers shared by the integration tests that work on files.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A directory of its own for one test (named after the test, the process
/// and a counter), removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(test: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "reactive-core-test-{}-{}-{}",
            std::process::id(),
            test,
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// Where the unit state of a charm in this directory lives.
    #[allow(dead_code)] // Not every test file that shares this module uses it.
    pub fn db(&self) -> PathBuf {
        self.0.join(".unit-state.db")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
