//! The unit state's errors: each names the database file and, where
//! there is one, the key.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::pyjson::JsonError;

/// An error from the unit state store.
///
/// Every variant names the database file (`file`: its path, or `None` for an
/// in-memory store, displayed as `in-memory`) and, where there is one, the key
/// involved; [`source`](std::error::Error::source) gives the underlying
/// SQLite, I/O or JSON error.
#[derive(Debug)]
#[non_exhaustive]
pub enum StateError {
    /// The database file could not be created, opened or given mode 0600
    /// (missing directory, a directory in its place, no permission...).
    Io {
        /// The database file.
        file: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// A marker file beside the database could not be created (see
    /// [`Marker`](super::Marker)).
    Marker {
        /// The marker's file.
        file: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// SQLite could not open the database or create the schema: the file is
    /// not a SQLite database, is corrupt, is locked by another process, or its
    /// `kv` table does not have charmhelpers' columns.
    Open {
        /// The database file (`None`: in memory).
        file: Option<PathBuf>,
        /// The underlying SQLite error.
        source: rusqlite::Error,
    },
    /// SQLite failed while reading one key.
    Read {
        /// The database file (`None`: in memory).
        file: Option<PathBuf>,
        /// The key being read.
        key: String,
        /// The underlying SQLite error.
        source: rusqlite::Error,
    },
    /// SQLite failed while reading the keys that start with a prefix.
    ReadRange {
        /// The database file (`None`: in memory).
        file: Option<PathBuf>,
        /// The prefix being read.
        prefix: String,
        /// The underlying SQLite error.
        source: rusqlite::Error,
    },
    /// The data stored under `key` is not valid JSON.
    InvalidJson {
        /// The database file (`None`: in memory).
        file: Option<PathBuf>,
        /// The key whose data is not JSON.
        key: String,
        /// The JSON parse error.
        source: JsonError,
    },
    /// A stored key or value is not text: NULL, a BLOB, or text that is not
    /// valid UTF-8.
    NotText {
        /// The database file (`None`: in memory).
        file: Option<PathBuf>,
        /// The key of the row (lossily decoded if the key itself is not text).
        key: String,
        /// The column that is not text: `"key"` or `"data"`.
        column: &'static str,
        /// What was found instead, e.g. `"NULL"`, `"a BLOB"`, `"invalid UTF-8 text"`.
        found: &'static str,
        /// The UTF-8 error, when the value was text with invalid UTF-8.
        source: Option<std::str::Utf8Error>,
    },
    /// [`UnitState::commit`](super::UnitState::commit) failed. Nothing was written and the pending
    /// changes are kept, so the commit can be retried.
    Commit {
        /// The database file (`None`: in memory).
        file: Option<PathBuf>,
        /// The key being written when the failure happened, if any (a failure
        /// to begin or to finish the transaction has none).
        key: Option<String>,
        /// The underlying SQLite error.
        source: rusqlite::Error,
    },
}

impl StateError {
    /// The database file the error is about, or `None` for an in-memory store.
    pub fn file(&self) -> Option<&Path> {
        match self {
            StateError::Io { file, .. } | StateError::Marker { file, .. } => Some(file),
            StateError::Open { file, .. }
            | StateError::Read { file, .. }
            | StateError::ReadRange { file, .. }
            | StateError::InvalidJson { file, .. }
            | StateError::NotText { file, .. }
            | StateError::Commit { file, .. } => file.as_deref(),
        }
    }

    /// The key the error is about, if any (for [`StateError::ReadRange`], the prefix).
    pub fn key(&self) -> Option<&str> {
        match self {
            StateError::Io { .. } | StateError::Marker { .. } | StateError::Open { .. } => None,
            StateError::Read { key, .. }
            | StateError::InvalidJson { key, .. }
            | StateError::NotText { key, .. } => Some(key),
            StateError::ReadRange { prefix, .. } => Some(prefix),
            StateError::Commit { key, .. } => key.as_deref(),
        }
    }
}

/// Displays a store location: its path, or `in-memory`.
pub(super) struct Location<'a>(pub(super) Option<&'a Path>);

impl fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(path) => write!(f, "{}", path.display()),
            None => f.write_str("in-memory"),
        }
    }
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = Location(self.file());
        match self {
            StateError::Io { source, .. } => {
                write!(f, "unit state {file}: cannot open the file: {source}")
            }
            StateError::Marker { source, .. } => {
                write!(f, "unit state marker {file}: cannot create the file: {source}")
            }
            StateError::Open { source, .. } => {
                write!(f, "unit state {file}: cannot open the database: {source}")
            }
            StateError::Read { key, source, .. } => {
                write!(f, "unit state {file}: cannot read key {key:?}: {source}")
            }
            StateError::ReadRange { prefix, source, .. } => write!(
                f,
                "unit state {file}: cannot read keys starting with {prefix:?}: {source}"
            ),
            StateError::InvalidJson { key, source, .. } => write!(
                f,
                "unit state {file}: the data of key {key:?} is not valid JSON: {source}"
            ),
            StateError::NotText {
                key, column, found, ..
            } => write!(
                f,
                "unit state {file}: the {column} column of key {key:?} is {found}, not text"
            ),
            StateError::Commit {
                key: Some(key),
                source,
                ..
            } => write!(
                f,
                "unit state {file}: commit failed writing key {key:?}, nothing was written: {source}"
            ),
            StateError::Commit {
                key: None, source, ..
            } => write!(
                f,
                "unit state {file}: commit failed, nothing was written: {source}"
            ),
        }
    }
}

impl std::error::Error for StateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StateError::Io { source, .. } | StateError::Marker { source, .. } => Some(source),
            StateError::Open { source, .. }
            | StateError::Read { source, .. }
            | StateError::ReadRange { source, .. }
            | StateError::Commit { source, .. } => Some(source),
            StateError::InvalidJson { source, .. } => Some(source),
            StateError::NotText { source, .. } => source
                .as_ref()
                .map(|e| e as &(dyn std::error::Error + 'static)),
        }
    }
}
