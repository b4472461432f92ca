//! The unit's persistent key-value store.
//!
//! Flags, departed units, `data_changed` hashes and any data a charm keeps
//! between hooks live in a SQLite database that is byte-compatible with
//! charmhelpers' `unitdata.Storage` (Python): same file location, same tables,
//! values stored as JSON text. A unit that ran a Python reactive charm keeps its
//! state when the charm is replaced by a Rust one, and back.
//!
//! Changes are buffered in memory ([`UnitState::set`], [`UnitState::unset`])
//! and written in one SQLite transaction by [`UnitState::commit`] at the end of
//! a successful hook, or dropped by [`UnitState::rollback`]. SQLite keeps its
//! default rollback journal and `synchronous` setting (as charmhelpers does), so
//! a crash at any instant leaves the database as it was before the commit or
//! after it.
//!
//! # Example
//!
//! ```
//! use reactive_core::unit_state::UnitState;
//! use serde_json::json;
//!
//! # fn main() -> Result<(), reactive_core::unit_state::StateError> {
//! let dir = std::env::temp_dir().join(format!("unit-state-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join(".unit-state.db");
//!
//! let mut state = UnitState::open(&path)?;
//! state.set("reactive.states.db.ready", json!(null));
//! state.set("reactive.states.config.set", json!({"port": 5432}));
//! state.commit()?;
//! drop(state);
//!
//! let mut state = UnitState::open(&path)?;
//! assert_eq!(state.get("reactive.states.db.ready")?, Some(json!(null)));
//! let flags = state.get_range("reactive.states.")?;
//! assert_eq!(flags.len(), 2);
//! assert_eq!(flags[0].0, "reactive.states.config.set");
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok(())
//! # }
//! ```

use crate::pyjson::{from_python_json, to_python_json};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// charmhelpers' schema, created if missing, in one transaction (one set of
/// disk syncs for a new database; nothing written for an existing one that
/// has them all), and one index of ours: the flags' keys with their values
/// (a partial index, over `reactive.states.` keys only), so that reading
/// every flag at the start of a hook reads that index alone rather than
/// one table row per flag, scattered over the file. charmhelpers ignores
/// it, and SQLite keeps it up to date whoever writes.
const SCHEMA: &str = "\
begin;
create table if not exists kv (key text, data text, primary key (key));
create table if not exists kv_revisions (key text, revision integer, data text, primary key (key, revision));
create table if not exists hooks (version integer primary key autoincrement, hook text, date text);
create index if not exists reactive_flags on kv (key, data) where key >= 'reactive.states.' and key < 'reactive.states/';
commit;";

const SELECT_ONE: &str = "select data from kv where key = ?1";
/// A key's row changed in place: its rowid, and so the key's entry in the
/// key index, stay, and only the page holding the row is written (where
/// `insert or replace` would delete the row, add one under a new rowid on
/// the table's last page and move the key's index entry).
const UPDATE: &str = "update kv set data = ?2 where key = ?1";
const INSERT: &str = "insert into kv (key, data) values (?1, ?2)";
const DELETE: &str = "delete from kv where key = ?1";

/// How long a statement waits for another process's lock before failing with
/// a busy error. Juju runs one hook at a time per machine, so contention only
/// comes from tools such as `juju-run` helpers reading the file.
mod error;
mod marker;
mod pending;
mod range;
mod read_scope;

use pending::Pending;
pub(crate) use range::Walk;
use range::{for_each_in_range, range_query, COUNT, KEYS, ROWS};

use error::Location;
pub use error::StateError;
pub use marker::Marker;

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The unit's persistent key-value store (charmhelpers `unitdata` format).
///
/// Reads go through a per-store cache; writes ([`set`](Self::set),
/// [`unset`](Self::unset)) stay pending in memory until
/// [`commit`](Self::commit) writes them all in one transaction, or
/// [`rollback`](Self::rollback) drops them. Values are JSON; they are written
/// with [`to_python_json`] and read with [`from_python_json`], so any JSON
/// Python's `json.dumps` wrote reads back exactly (floats included).
///
/// A `UnitState` is [`Send`] but not `Sync`: give each thread its own.
///
/// # Example
///
/// ```
/// use reactive_core::unit_state::UnitState;
/// use serde_json::json;
///
/// let mut state = UnitState::in_memory();
/// state.set("counter", json!(1));
/// assert!(state.has_pending());
/// state.commit().unwrap();
/// assert!(!state.has_pending());
/// assert_eq!(state.get("counter").unwrap(), Some(json!(1)));
/// ```
pub struct UnitState {
    conn: Connection,
    path: Option<PathBuf>,
    /// Pending changes: `Some(value)` to set, `None` to delete.
    pending: BTreeMap<String, Option<Pending>>,
    /// What the database holds, for keys read or written so far (`None`: absent).
    cache: HashMap<String, Option<Value>>,
    /// The markers of an in-memory store (a store on disk keeps them in
    /// files).
    markers: BTreeSet<Marker>,
    /// The markers to take away at the next successful commit.
    clear_on_commit: BTreeSet<Marker>,
}

impl fmt::Debug for UnitState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnitState")
            .field("file", &format_args!("{}", Location(self.path())))
            .field("pending_keys", &self.pending.keys().collect::<Vec<_>>())
            .field("cached_keys", &self.cache.len())
            .finish()
    }
}

impl UnitState {
    /// A store that lives in memory only, for tests, benchmarks and the
    /// simulator. [`commit`](Self::commit) keeps the data in memory; it is lost
    /// when the store is dropped.
    ///
    /// # Panics
    ///
    /// Only if SQLite cannot allocate memory for an empty in-memory database.
    ///
    /// # Example
    ///
    /// ```
    /// use reactive_core::unit_state::UnitState;
    ///
    /// let state = UnitState::in_memory();
    /// assert_eq!(state.path(), None);
    /// ```
    pub fn in_memory() -> UnitState {
        let conn = match Connection::open_in_memory() {
            Ok(conn) => conn,
            // sqlite3_open_v2(":memory:") fails only when out of memory.
            Err(e) => panic!("cannot allocate an in-memory SQLite database: {e}"),
        };
        match Self::with_connection(conn, None) {
            Ok(state) => state,
            Err(e) => panic!("cannot initialise an in-memory SQLite database: {e}"),
        }
    }

    /// Open the SQLite database at `path`, creating it if needed, and create
    /// charmhelpers' tables if they are missing.
    ///
    /// A new file is created with mode 0600 before SQLite opens it, and an
    /// existing one is set to mode 0600 (as charmhelpers does): the store may
    /// hold secrets. As in charmhelpers, the path `:memory:` means an in-memory
    /// store (see [`in_memory`](Self::in_memory)).
    ///
    /// Opening is cheap: nothing is loaded until it is read.
    ///
    /// # Errors
    ///
    /// [`StateError::Io`] if the file cannot be created, opened or chmod'ed;
    /// [`StateError::Open`] if it is not a SQLite database (or is corrupt,
    /// or locked for longer than the busy timeout of 5 seconds).
    ///
    /// # Example
    ///
    /// ```
    /// use reactive_core::unit_state::UnitState;
    ///
    /// let dir = std::env::temp_dir().join(format!("unit-state-open-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join(".unit-state.db");
    /// let state = UnitState::open(&path).unwrap();
    /// assert_eq!(state.path(), Some(path.as_path()));
    ///
    /// // A file that is not a database is reported with its path.
    /// let bogus = dir.join("bogus.db");
    /// std::fs::write(&bogus, vec![b'x'; 4096]).unwrap();
    /// let err = UnitState::open(&bogus).unwrap_err();
    /// assert!(err.to_string().contains("bogus.db"));
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn open(path: &Path) -> Result<UnitState, StateError> {
        if path.as_os_str() == ":memory:" {
            let conn = Connection::open_in_memory()
                .map_err(|source| StateError::Open { file: None, source })?;
            return Self::with_connection(conn, None);
        }
        prepare_file(path).map_err(|source| StateError::Io {
            file: path.to_path_buf(),
            source,
        })?;
        let open_err = |source| StateError::Open {
            file: Some(path.to_path_buf()),
            source,
        };
        // No SQLITE_OPEN_URI: a path starting with "file:" is a path.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(open_err)?;
        Self::with_connection(conn, Some(path.to_path_buf()))
    }

    fn with_connection(conn: Connection, path: Option<PathBuf>) -> Result<UnitState, StateError> {
        let init = |conn: &Connection| -> rusqlite::Result<()> {
            conn.busy_timeout(BUSY_TIMEOUT)?;
            // The query planner stability guarantee: a statement's plan is
            // made once, from its text, never again from the values bound to
            // it. Without it, every range read, whatever its prefix, was
            // prepared again on each run, for SQLite to see whether the
            // bounds fall within the flags' partial index (`SELECT_FLAGS`
            // names them itself).
            conn.set_db_config(
                rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
                true,
            )?;
            // Reads the schema; the first statement on a file that is not a
            // database fails here. Existing tables are left untouched (no write).
            conn.execute_batch(SCHEMA)?;
            // Checks kv's columns now rather than at the first read, and
            // warms the statement cache.
            conn.prepare_cached(SELECT_ONE)?;
            Ok(())
        };
        match init(&conn) {
            Ok(()) => Ok(UnitState {
                conn,
                path,
                pending: BTreeMap::new(),
                cache: HashMap::new(),
                markers: BTreeSet::new(),
                clear_on_commit: BTreeSet::new(),
            }),
            Err(source) => Err(StateError::Open { file: path, source }),
        }
    }

    /// Where the unit's database lives: `$UNIT_STATE_DB` if set, else
    /// `$CHARM_DIR/.unit-state.db`, else `None`. Empty variables count as
    /// unset (charmhelpers would fall back to a path relative to the current
    /// directory instead).
    ///
    /// `env` looks a variable up; pass `&|name| std::env::var(name).ok()` for
    /// the process environment.
    ///
    /// # Example
    ///
    /// ```
    /// use reactive_core::unit_state::UnitState;
    /// use std::path::PathBuf;
    ///
    /// let env = |name: &str| match name {
    ///     "CHARM_DIR" => Some("/var/lib/juju/agents/unit-db-0/charm".to_string()),
    ///     _ => None,
    /// };
    /// assert_eq!(
    ///     UnitState::locate(&env),
    ///     Some(PathBuf::from("/var/lib/juju/agents/unit-db-0/charm/.unit-state.db"))
    /// );
    /// let process_env = |name: &str| std::env::var(name).ok();
    /// let _ = UnitState::locate(&process_env);
    /// ```
    pub fn locate(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
        if let Some(db) = env("UNIT_STATE_DB").filter(|v| !v.is_empty()) {
            return Some(PathBuf::from(db));
        }
        env("CHARM_DIR")
            .filter(|v| !v.is_empty())
            .map(|dir| Path::new(&dir).join(".unit-state.db"))
    }

    /// The database file, or `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The current value of `key`: the pending change if there is one, else
    /// what the database holds (`None` if absent). Database reads are cached
    /// until [`rollback`](Self::rollback).
    ///
    /// # Errors
    ///
    /// [`StateError::Read`] if SQLite fails, [`StateError::InvalidJson`] or
    /// [`StateError::NotText`] if the stored data is not JSON text.
    ///
    /// # Example
    ///
    /// ```
    /// use reactive_core::unit_state::UnitState;
    /// use serde_json::json;
    ///
    /// let mut state = UnitState::in_memory();
    /// assert_eq!(state.get("missing").unwrap(), None);
    /// state.set("k", json!([1, 2]));
    /// assert_eq!(state.get("k").unwrap(), Some(json!([1, 2])));
    /// ```
    pub fn get(&mut self, key: &str) -> Result<Option<Value>, StateError> {
        if let Some(change) = self.pending.get(key) {
            return match change {
                None => Ok(None),
                Some(pending) => {
                    pending
                        .value()
                        .map(Some)
                        .map_err(|source| StateError::InvalidJson {
                            file: self.path.clone(),
                            key: key.to_owned(),
                            source,
                        })
                }
            };
        }
        if let Some(stored) = self.cache.get(key) {
            return Ok(stored.clone());
        }
        let value = self.load(key)?;
        self.cache.insert(key.to_owned(), value.clone());
        Ok(value)
    }

    fn load(&self, key: &str) -> Result<Option<Value>, StateError> {
        self.select_one(key, |data| decode(data, &self.path, key))
    }

    /// The committed row of `key` (`None` if absent), its `data` given to
    /// `read`.
    fn select_one<T>(
        &self,
        key: &str,
        read: impl FnOnce(ValueRef<'_>) -> Result<T, StateError>,
    ) -> Result<Option<T>, StateError> {
        let read_err = |source| StateError::Read {
            file: self.path.clone(),
            key: key.to_owned(),
            source,
        };
        let mut stmt = self.conn.prepare_cached(SELECT_ONE).map_err(read_err)?;
        let mut rows = stmt.query([key]).map_err(read_err)?;
        match rows.next().map_err(read_err)? {
            None => Ok(None),
            Some(row) => read(row.get_ref(0).map_err(read_err)?).map(Some),
        }
    }

    /// The current value of `key` as JSON text, not decoded and not
    /// cached: the pending change if there is one (as it will be written),
    /// else the text the database holds (`None` if absent). For a large
    /// value the caller decodes into its own type.
    ///
    /// # Errors
    ///
    /// [`StateError::Read`] if SQLite fails, [`StateError::NotText`] if the
    /// stored data is not UTF-8 text.
    ///
    /// ```
    /// use reactive_core::unit_state::UnitState;
    /// use serde_json::json;
    ///
    /// let mut state = UnitState::in_memory();
    /// state.set("k", json!({"a": [1, 2]}));
    /// state.commit().unwrap();
    /// assert_eq!(state.get_raw("k").unwrap().as_deref(), Some(r#"{"a": [1, 2]}"#));
    /// state.unset("k");
    /// assert_eq!(state.get_raw("k").unwrap(), None);
    /// ```
    pub fn get_raw(&self, key: &str) -> Result<Option<String>, StateError> {
        if let Some(change) = self.pending.get(key) {
            return Ok(change.as_ref().map(|p| p.text().into_owned()));
        }
        self.select_one(key, |data| raw_text(data, &self.path, key))
    }

    /// Set `key` to `value`. The change is pending: nothing touches the
    /// database until [`commit`](Self::commit).
    pub fn set(&mut self, key: &str, value: Value) {
        self.pending
            .insert(key.to_owned(), Some(Pending::Value(value)));
    }

    /// Set `key` to `value` serialized with serde_json (compact JSON text,
    /// which charmhelpers reads as well), without going through a
    /// [`Value`]: for a large value kept as a typed structure. Pending,
    /// like [`set`](Self::set).
    ///
    /// # Errors
    ///
    /// The serialization error, for a value serde_json cannot write (a
    /// map with keys that are not strings, say); nothing is set then.
    ///
    /// ```
    /// use reactive_core::unit_state::UnitState;
    /// use std::collections::BTreeMap;
    ///
    /// let mut state = UnitState::in_memory();
    /// let jobs = BTreeMap::from([("a", vec![1, 2])]);
    /// state.set_serialized("jobs", &jobs).unwrap();
    /// state.commit().unwrap();
    /// assert_eq!(state.get_raw("jobs").unwrap().as_deref(), Some(r#"{"a":[1,2]}"#));
    /// assert_eq!(state.get("jobs").unwrap(), Some(serde_json::json!({"a": [1, 2]})));
    /// ```
    pub fn set_serialized<T: serde::Serialize + ?Sized>(
        &mut self,
        key: &str,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        let text = serde_json::to_string(value)?;
        self.pending
            .insert(key.to_owned(), Some(Pending::Text(text)));
        Ok(())
    }

    /// Set `key` to the JSON string `value`: the same text as
    /// [`set_serialized`](Self::set_serialized) writes for a `&str`, made
    /// without looking at each character when none needs an escape (a
    /// long text kept as one string, read back with `get_raw` and decoded
    /// in place). Pending, like [`set`](Self::set).
    ///
    /// ```
    /// use reactive_core::unit_state::UnitState;
    ///
    /// let mut state = UnitState::in_memory();
    /// state.set_string("layout", "10 0 4 node;12 1 2 db");
    /// state.set_string("quoted", "say \"hi\"\n");
    /// state.commit().unwrap();
    /// assert_eq!(
    ///     state.get_raw("layout").unwrap().as_deref(),
    ///     Some(r#""10 0 4 node;12 1 2 db""#)
    /// );
    /// assert_eq!(
    ///     state.get("quoted").unwrap(),
    ///     Some(serde_json::json!("say \"hi\"\n"))
    /// );
    /// ```
    pub fn set_string(&mut self, key: &str, value: &str) {
        self.pending
            .insert(key.to_owned(), Some(Pending::Text(json_string(value))));
    }

    /// Set `key` to `text`, JSON text the caller wrote (with serde_json):
    /// pending, like [`set`](Self::set), and written as it is.
    pub(crate) fn set_json_text(&mut self, key: &str, text: String) {
        self.pending
            .insert(key.to_owned(), Some(Pending::Text(text)));
    }

    /// Delete `key` (a pending change, like [`set`](Self::set)). Deleting a
    /// key that does not exist is not an error.
    pub fn unset(&mut self, key: &str) {
        self.pending.insert(key.to_owned(), None);
    }

    /// Every key that starts with `prefix`, with its value, sorted by key
    /// (code point order), with pending changes applied.
    ///
    /// The match is exact: `_` and `%` in `prefix` are ordinary characters
    /// (charmhelpers' `getrange` uses `like`, where they are wildcards). The
    /// rows are read with one indexed range query; the rows read also fill the
    /// cache used by [`get`](Self::get).
    ///
    /// # Errors
    ///
    /// [`StateError::ReadRange`] if SQLite fails; [`StateError::InvalidJson`]
    /// or [`StateError::NotText`], naming the key, if a matching row is not
    /// JSON text.
    ///
    /// # Example
    ///
    /// ```
    /// use reactive_core::unit_state::UnitState;
    /// use serde_json::json;
    ///
    /// let mut state = UnitState::in_memory();
    /// state.set("reactive.states.b", json!(null));
    /// state.set("reactive.states.a", json!({"x": 1}));
    /// state.set("reactive.statesX", json!(null));
    /// state.commit().unwrap();
    /// state.unset("reactive.states.b");
    /// assert_eq!(
    ///     state.get_range("reactive.states.").unwrap(),
    ///     vec![("reactive.states.a".to_string(), json!({"x": 1}))]
    /// );
    /// ```
    pub fn get_range(&mut self, prefix: &str) -> Result<Vec<(String, Value)>, StateError> {
        let mut found: BTreeMap<String, Value> = BTreeMap::new();
        {
            let range_err = |source| StateError::ReadRange {
                file: self.path.clone(),
                prefix: prefix.to_owned(),
                source,
            };
            let (sql, bounds) = range_query(prefix, prefix, ROWS);
            let mut stmt = self.conn.prepare_cached(sql).map_err(range_err)?;
            let mut rows = stmt
                .query(rusqlite::params_from_iter(&bounds))
                .map_err(range_err)?;
            while let Some(row) = rows.next().map_err(range_err)? {
                let key_ref = row.get_ref(0).map_err(range_err)?;
                let key = match key_ref {
                    ValueRef::Text(bytes) => match std::str::from_utf8(bytes) {
                        Ok(key) => key.to_owned(),
                        Err(e) => {
                            return Err(StateError::NotText {
                                file: self.path.clone(),
                                key: String::from_utf8_lossy(bytes).into_owned(),
                                column: "key",
                                found: "invalid UTF-8 text",
                                source: Some(e),
                            })
                        }
                    },
                    // Excluded by the query; skip rather than fail if it happens.
                    _ => continue,
                };
                let data = row.get_ref(1).map_err(range_err)?;
                let value = decode(data, &self.path, &key)?;
                self.cache.insert(key.clone(), Some(value.clone()));
                found.insert(key, value);
            }
        }
        for (key, change) in self
            .pending
            .range::<str, _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .take_while(|(key, _)| key.starts_with(prefix))
        {
            match change {
                Some(pending) => {
                    let value = pending.value().map_err(|source| StateError::InvalidJson {
                        file: self.path.clone(),
                        key: key.clone(),
                        source,
                    })?;
                    found.insert(key.clone(), value);
                }
                None => {
                    found.remove(key);
                }
            }
        }
        Ok(found.into_iter().collect())
    }

    /// Every key that starts with `prefix`, with its stored JSON text as
    /// is (not decoded, not cached), sorted by key, with pending changes
    /// applied (as [`to_python_json`] text). One indexed range query, like
    /// [`get_range`](Self::get_range), for callers that decode only some of
    /// the values, or decode them into their own types.
    ///
    /// # Errors
    ///
    /// [`StateError::ReadRange`] if SQLite fails; [`StateError::NotText`],
    /// naming the key, if a key or value is not UTF-8 text.
    ///
    /// # Example
    ///
    /// ```
    /// use reactive_core::unit_state::UnitState;
    /// use serde_json::json;
    ///
    /// let mut state = UnitState::in_memory();
    /// state.set("bags.a", json!({"x": "1"}));
    /// state.commit().unwrap();
    /// state.set("bags.b", json!([]));
    /// assert_eq!(
    ///     state.get_range_raw("bags.").unwrap(),
    ///     vec![
    ///         ("bags.a".to_string(), r#"{"x": "1"}"#.to_string()),
    ///         ("bags.b".to_string(), "[]".to_string()),
    ///     ]
    /// );
    /// ```
    pub fn get_range_raw(&self, prefix: &str) -> Result<Vec<(String, String)>, StateError> {
        let rows = read_range_raw(&self.conn, &self.path, prefix)?;
        let mut pending = self
            .pending
            .range::<str, _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .take_while(|(key, _)| key.starts_with(prefix))
            .peekable();
        // A hook reads its ranges before it changes them: most often there
        // is nothing pending to merge.
        if pending.peek().is_none() {
            return Ok(rows);
        }
        let mut found: BTreeMap<String, String> = rows.into_iter().collect();
        for (key, change) in pending {
            match change {
                Some(pending) => {
                    found.insert(key.clone(), pending.text().into_owned());
                }
                None => {
                    found.remove(key);
                }
            }
        }
        Ok(found.into_iter().collect())
    }

    /// [`get_range_raw`](Self::get_range_raw) handed to `each` row by row,
    /// in the same order, with the same pending changes applied: when
    /// nothing is pending under `prefix`, each key and text is lent as
    /// SQLite gives it, with no copy (for a caller that keeps a part of
    /// each row, such as the flag store at the start of a hook). The first
    /// error, from the read or from `each`, ends the walk.
    ///
    /// ```
    /// use reactive_core::unit_state::UnitState;
    /// use serde_json::json;
    ///
    /// let mut state = UnitState::in_memory();
    /// state.set("flags.a", json!(null));
    /// state.commit().unwrap();
    /// state.set("flags.b", json!(1));
    /// let mut seen = Vec::new();
    /// state
    ///     .for_each_raw("flags.", |key, text| {
    ///         seen.push(format!("{key}={text}"));
    ///         Ok(())
    ///     })
    ///     .unwrap();
    /// assert_eq!(seen, ["flags.a=null", "flags.b=1"]);
    /// ```
    ///
    /// # Errors
    ///
    /// As [`get_range_raw`](Self::get_range_raw), or the error `each`
    /// returned.
    pub fn for_each_raw(
        &mut self,
        prefix: &str,
        mut each: impl FnMut(&str, &str) -> Result<(), StateError>,
    ) -> Result<(), StateError> {
        if self.has_pending_under(prefix) {
            for (key, text) in self.get_range_raw(prefix)? {
                each(&key, &text)?;
            }
            return Ok(());
        }
        let path = &self.path;
        for_each_in_range(&self.conn, path, prefix, ROWS, |key, row| {
            let data = row.get_ref(1).map_err(|e| range_error(path, prefix, e))?;
            match stored(data, path, key)? {
                Stored::Text(text) => each(key, text),
                Stored::Integer(i) => each(key, &i.to_string()),
                Stored::Real(f) => each(key, &to_python_json(&Value::from(f))),
            }
        })
    }

    /// Whether a change is pending under `prefix`.
    fn has_pending_under(&self, prefix: &str) -> bool {
        self.pending
            .range::<str, _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .next()
            .is_some_and(|(key, _)| key.starts_with(prefix))
    }

    /// Every key that starts with `prefix`, sorted, with pending changes
    /// applied; the values are not read.
    ///
    /// ```
    /// use reactive_core::unit_state::UnitState;
    /// use serde_json::json;
    ///
    /// let mut state = UnitState::in_memory();
    /// state.set("bags.a", json!({}));
    /// state.set("bags.b", json!({}));
    /// state.commit().unwrap();
    /// state.unset("bags.a");
    /// assert_eq!(state.get_range_keys("bags.").unwrap(), ["bags.b"]);
    /// ```
    pub fn get_range_keys(&mut self, prefix: &str) -> Result<Vec<String>, StateError> {
        let read = read_range_keys(&self.conn, &self.path, prefix)?;
        if !self.has_pending_under(prefix) {
            return Ok(read);
        }
        let mut keys: std::collections::BTreeSet<String> = read.into_iter().collect();
        for (key, change) in self
            .pending
            .range::<str, _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .take_while(|(key, _)| key.starts_with(prefix))
        {
            if change.is_some() {
                keys.insert(key.clone());
            } else {
                keys.remove(key);
            }
        }
        Ok(keys.into_iter().collect())
    }

    /// How many keys start with `prefix`, with pending changes applied,
    /// counted by SQLite: no key is read into memory. (A prefix whose
    /// range has no upper bound, such as the empty one, also counts keys
    /// that are not text, which the other range reads skip.)
    ///
    /// ```
    /// use reactive_core::unit_state::UnitState;
    /// use serde_json::json;
    ///
    /// let mut state = UnitState::in_memory();
    /// state.set("bags.a", json!({}));
    /// state.set("bags.b", json!({}));
    /// state.set("bagsX", json!({}));
    /// state.commit().unwrap();
    /// assert_eq!(state.count_range("bags.").unwrap(), 2);
    /// state.unset("bags.a");
    /// assert_eq!(state.count_range("bags.").unwrap(), 1);
    /// ```
    ///
    /// # Errors
    ///
    /// [`StateError::ReadRange`] if SQLite fails.
    pub fn count_range(&mut self, prefix: &str) -> Result<usize, StateError> {
        if self.has_pending_under(prefix) {
            return Ok(self.get_range_keys(prefix)?.len());
        }
        let range_err = |source| range_error(&self.path, prefix, source);
        let (sql, bounds) = range_query(prefix, prefix, COUNT);
        let mut stmt = self.conn.prepare_cached(sql).map_err(range_err)?;
        let count: i64 = stmt
            .query_row(rusqlite::params_from_iter(&bounds), |row| row.get(0))
            .map_err(range_err)?;
        Ok(usize::try_from(count).unwrap_or(0))
    }

    /// A second, read-only connection to the same database file, reading
    /// what is committed (not this store's pending changes); `None` for an
    /// in-memory store. For data read later in the hook, if at all.
    pub fn committed_reader(&self) -> Result<Option<CommittedReader>, StateError> {
        match &self.path {
            Some(path) => CommittedReader::open(path).map(Some),
            None => Ok(None),
        }
    }

    /// Write every pending change to the database in one transaction, then
    /// clear them.
    ///
    /// Values are written as [`to_python_json`] text; a value whose text
    /// equals what is stored is not rewritten, so a commit that changes
    /// nothing writes nothing. Does nothing when there are no pending changes.
    ///
    /// # Errors
    ///
    /// [`StateError::Commit`]: the transaction was rolled back, nothing was
    /// written, and the pending changes are kept (the commit can be retried).
    /// Typical causes: another process holds a lock for longer than the busy
    /// timeout (5 seconds), disk full, read-only file or directory.
    ///
    /// # Example
    ///
    /// ```
    /// use reactive_core::unit_state::UnitState;
    /// use serde_json::json;
    ///
    /// let mut state = UnitState::in_memory();
    /// state.set("a", json!(1));
    /// state.set("b", json!(2));
    /// state.commit().unwrap();
    /// state.unset("a");
    /// state.commit().unwrap();
    /// assert_eq!(state.get_range("").unwrap(), vec![("b".to_string(), json!(2))]);
    /// ```
    pub fn commit(&mut self) -> Result<(), StateError> {
        self.end_reads();
        if self.pending.is_empty() {
            self.clear_committed_markers();
            return Ok(());
        }
        let serialized: Vec<Option<std::borrow::Cow<'_, str>>> = self
            .pending
            .values()
            .map(|change| change.as_ref().map(Pending::text))
            .collect();
        let changes = self
            .pending
            .keys()
            .map(String::as_str)
            .zip(serialized.iter().map(Option::as_deref));
        let written = write_transaction(&self.conn, changes);
        drop(serialized);
        written.map_err(|(key, source)| StateError::Commit {
            file: self.path.clone(),
            key,
            source,
        })?;
        for (key, change) in std::mem::take(&mut self.pending) {
            match change {
                None => {
                    self.cache.insert(key, None);
                }
                Some(Pending::Value(value)) => {
                    self.cache.insert(key, Some(value));
                }
                // Read back from the file when next asked for.
                Some(Pending::Text(_)) => {
                    self.cache.remove(&key);
                }
            }
        }
        self.clear_committed_markers();
        Ok(())
    }

    /// Drop every pending change, and the read cache (the next reads see
    /// the database as it is now).
    pub fn rollback(&mut self) {
        self.end_reads();
        self.pending.clear();
        self.cache.clear();
        self.clear_on_commit.clear();
    }

    /// Whether there are pending changes (set or unset since the last
    /// commit or rollback).
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }
}

/// A read-only connection to a unit state's file (see
/// [`UnitState::committed_reader`]): what the last commit left.
pub struct CommittedReader {
    conn: Connection,
    path: Option<PathBuf>,
}

impl fmt::Debug for CommittedReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommittedReader")
            .field("file", &format_args!("{}", Location(self.path.as_deref())))
            .finish()
    }
}

impl CommittedReader {
    /// A read-only connection to the unit state's file at `path`.
    ///
    /// # Errors
    ///
    /// [`StateError::Open`], naming the file, when it cannot be opened.
    pub fn open(path: &Path) -> Result<CommittedReader, StateError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let open_err = |source| StateError::Open {
            file: Some(path.to_path_buf()),
            source,
        };
        let conn = Connection::open_with_flags(path, flags).map_err(open_err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        Ok(CommittedReader {
            conn,
            path: Some(path.to_path_buf()),
        })
    }

    /// Every committed row under `prefix` as stored (JSON text), sorted by
    /// key: one indexed range query.
    pub fn get_range_raw(&self, prefix: &str) -> Result<Vec<(String, String)>, StateError> {
        read_range_raw(&self.conn, &self.path, prefix)
    }
}

/// Create the file with mode 0600 if missing; set an existing one to 0600.
fn prepare_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let file = options.open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    {
        options.open(path)?;
    }
    Ok(())
}

/// Run the writes of a commit in one `BEGIN IMMEDIATE` transaction; on any
/// failure, roll back and return the key being written (if any) with the error.
fn write_transaction<'a>(
    conn: &Connection,
    changes: impl Iterator<Item = (&'a str, Option<&'a str>)>,
) -> Result<(), (Option<String>, rusqlite::Error)> {
    // IMMEDIATE takes the write lock up front (waiting up to the busy
    // timeout), so a concurrent writer cannot make us fail half-way through.
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| (None, e))?;
    let body = || -> Result<(), (Option<String>, rusqlite::Error)> {
        {
            let prep = |sql| conn.prepare_cached(sql).map_err(|e| (None, e));
            let mut select = prep(SELECT_ONE)?;
            let mut update = prep(UPDATE)?;
            let mut insert = prep(INSERT)?;
            let mut delete = prep(DELETE)?;
            for (key, data) in changes {
                let fail = |e| (Some(key.to_owned()), e);
                match data {
                    Some(data) => {
                        let mut rows = select.query([key]).map_err(fail)?;
                        let stored = match rows.next().map_err(fail)? {
                            Some(row) => Some(matches!(
                                row.get_ref(0).map_err(fail)?,
                                ValueRef::Text(stored) if stored == data.as_bytes()
                            )),
                            None => None,
                        };
                        drop(rows);
                        match stored {
                            Some(true) => {}
                            Some(false) => {
                                update.execute([key, data]).map_err(fail)?;
                            }
                            None => {
                                insert.execute([key, data]).map_err(fail)?;
                            }
                        }
                    }
                    None => {
                        delete.execute([key]).map_err(fail)?;
                    }
                }
            }
        }
        conn.execute_batch("COMMIT").map_err(|e| (None, e))
    };
    let result = body();
    if result.is_err() && !conn.is_autocommit() {
        // Still in the transaction (including after a failed COMMIT): undo.
        // If even this fails, SQLite rolls back when the connection closes
        // or the journal is next seen.
        let _ = conn.execute_batch("ROLLBACK");
    }
    result
}

/// The rows under `prefix` as stored (JSON text), sorted by key (SQLite
/// orders text keys by their bytes, as Rust orders strings); pending
/// changes are the caller's business.
fn read_range_raw(
    conn: &Connection,
    path: &Option<PathBuf>,
    prefix: &str,
) -> Result<Vec<(String, String)>, StateError> {
    let mut found = Vec::new();
    for_each_in_range(conn, path, prefix, ROWS, |key, row| {
        let data = row.get_ref(1).map_err(|e| range_error(path, prefix, e))?;
        found.push((key.to_owned(), raw_text(data, path, key)?));
        Ok(())
    })?;
    Ok(found)
}

/// The keys under `prefix`, sorted (read from the key index only).
fn read_range_keys(
    conn: &Connection,
    path: &Option<PathBuf>,
    prefix: &str,
) -> Result<Vec<String>, StateError> {
    let mut keys = Vec::new();
    for_each_in_range(conn, path, prefix, KEYS, |key, _| {
        keys.push(key.to_owned());
        Ok(())
    })?;
    Ok(keys)
}

fn range_error(path: &Option<PathBuf>, prefix: &str, source: rusqlite::Error) -> StateError {
    StateError::ReadRange {
        file: path.clone(),
        prefix: prefix.to_owned(),
        source,
    }
}

fn not_utf8(
    path: &Option<PathBuf>,
    key: String,
    column: &'static str,
    error: std::str::Utf8Error,
) -> StateError {
    StateError::NotText {
        file: path.clone(),
        key,
        column,
        found: "invalid UTF-8 text",
        source: Some(error),
    }
}

/// A row's `data` column as SQLite holds it. A TEXT-affinity column stores
/// numbers as text; numbers only appear in a table created with another
/// schema, and are read as what they are.
enum Stored<'a> {
    Text(&'a str),
    Integer(i64),
    Real(f64),
}

/// Read a row's `data` column, or a typed error naming the key (NULL, a
/// BLOB, text that is not UTF-8).
fn stored<'a>(
    data: ValueRef<'a>,
    file: &Option<PathBuf>,
    key: &str,
) -> Result<Stored<'a>, StateError> {
    let not_text = |found, source| StateError::NotText {
        file: file.clone(),
        key: key.to_owned(),
        column: "data",
        found,
        source,
    };
    match data {
        ValueRef::Text(bytes) => std::str::from_utf8(bytes)
            .map(Stored::Text)
            .map_err(|e| not_text("invalid UTF-8 text", Some(e))),
        ValueRef::Integer(i) => Ok(Stored::Integer(i)),
        ValueRef::Real(f) => Ok(Stored::Real(f)),
        ValueRef::Null => Err(not_text("NULL", None)),
        ValueRef::Blob(_) => Err(not_text("a BLOB", None)),
    }
}

/// A row's `data` as JSON text, as stored (numbers written as JSON).
fn raw_text(data: ValueRef<'_>, file: &Option<PathBuf>, key: &str) -> Result<String, StateError> {
    Ok(match stored(data, file, key)? {
        Stored::Text(text) => text.to_owned(),
        Stored::Integer(i) => i.to_string(),
        Stored::Real(f) => to_python_json(&Value::from(f)),
    })
}

/// Decode a stored `data` column, or a typed error naming the key.
fn decode(data: ValueRef<'_>, file: &Option<PathBuf>, key: &str) -> Result<Value, StateError> {
    match stored(data, file, key)? {
        Stored::Text(text) => from_python_json(text).map_err(|source| StateError::InvalidJson {
            file: file.clone(),
            key: key.to_owned(),
            source,
        }),
        Stored::Integer(i) => Ok(Value::from(i)),
        Stored::Real(f) => Ok(Value::from(f)),
    }
}

/// The smallest string greater than every string that starts with `prefix`
/// (in code point order, which is SQLite's BINARY order on UTF-8), or `None`
/// if there is none (empty prefix, or only U+10FFFF characters).
fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut rest = prefix;
    while let Some(last) = rest.chars().next_back() {
        rest = &rest[..rest.len() - last.len_utf8()];
        let next = match last {
            '\u{D7FF}' => Some('\u{E000}'),
            _ => char::from_u32(u32::from(last) + 1),
        };
        if let Some(next) = next {
            let mut upper = String::with_capacity(rest.len() + 4);
            upper.push_str(rest);
            upper.push(next);
            return Some(upper);
        }
    }
    None
}

/// `value` as a JSON string, as serde_json writes it: quoted, with `"`,
/// `\\` and control characters escaped.
fn json_string(value: &str) -> String {
    let mut text = String::with_capacity(value.len() + 2);
    push_json_string(&mut text, value);
    text
}

/// Append `value` to `text` as a JSON string, as serde_json writes it. A
/// value that holds no character to escape (checked a block of bytes at a
/// time) is only quoted.
pub(crate) fn push_json_string(text: &mut String, value: &str) {
    let plain = value.as_bytes().iter().fold(true, |plain, &b| {
        plain & (b >= 0x20 && b != b'"' && b != b'\\')
    });
    if plain {
        text.push('"');
        text.push_str(value);
        text.push('"');
    } else if let Ok(escaped) = serde_json::to_string(value) {
        // A string always serializes.
        text.push_str(&escaped);
    }
}

#[cfg(test)]
mod tests;
