//! Reading the rows whose keys start with a prefix: the statements, and the
//! walks over their rows (with the keys checked as text), including one
//! that skips whole sub-ranges (the flags of an endpoint's changed keys, at
//! the start of a hook).

use std::borrow::Cow;
use std::path::PathBuf;

use rusqlite::types::ValueRef;
use rusqlite::Connection;
use serde_json::Value;

use super::{
    not_utf8, prefix_upper_bound, range_error, stored, to_python_json, StateError, Stored,
    UnitState,
};

/// Keys `>= ?1` (and `< ?2`, the prefix's upper bound, when it has one), in
/// key order. Uses the primary-key index; exact, unlike `like`. The `kv.key`
/// column has TEXT affinity, so a key is text, a BLOB or NULL: NULL never
/// compares, a BLOB sorts after every text (so only an open range reaches
/// one) and is skipped where the rows are walked. No per-row type test in
/// SQL, then: it cost about a fifth of each row's read.
const SELECT_FROM: &str = "select key, data from kv where key >= ?1 order by key";
pub(super) const SELECT_RANGE: &str =
    "select key, data from kv where key >= ?1 and key < ?2 order by key";
const SELECT_KEYS_FROM: &str = "select key from kv where key >= ?1 order by key";
pub(super) const SELECT_KEYS_RANGE: &str =
    "select key from kv where key >= ?1 and key < ?2 order by key";
const COUNT_FROM: &str = "select count(*) from kv where key >= ?1";
pub(super) const COUNT_RANGE: &str = "select count(*) from kv where key >= ?1 and key < ?2";
/// Flags' rows: `SELECT_RANGE` with the bounds of the index
/// `reactive_flags` written out too, so that SQLite sees when it prepares
/// the statement that the index holds every row asked for, and reads that
/// index alone. (It could otherwise tell only from the values bound, by
/// preparing the statement again on each run, about 50,000 instructions a
/// time, which the query planner stability guarantee set at open rules
/// out.) `?1` and `?2` lie within those bounds.
pub(super) const SELECT_FLAGS: &str = "select key, data from kv \
    where key >= ?1 and key < ?2 \
    and key >= 'reactive.states.' and key < 'reactive.states/' order by key";

/// The statements that read the keys under a prefix: with its upper bound,
/// without one (for a prefix that has none), and, when one is given, for
/// the flags' prefix and the prefixes under it.
#[derive(Clone, Copy)]
pub(super) struct RangeSql {
    bounded: &'static str,
    open: &'static str,
    flags: Option<&'static str>,
}

/// The key and data of each row.
pub(super) const ROWS: RangeSql = RangeSql {
    bounded: SELECT_RANGE,
    open: SELECT_FROM,
    flags: Some(SELECT_FLAGS),
};
/// The key of each row.
pub(super) const KEYS: RangeSql = RangeSql {
    bounded: SELECT_KEYS_RANGE,
    open: SELECT_KEYS_FROM,
    flags: None,
};
/// How many rows.
pub(super) const COUNT: RangeSql = RangeSql {
    bounded: COUNT_RANGE,
    open: COUNT_FROM,
    flags: None,
};

/// What a walk over a range does after a row: go on with the next row, or
/// skip every further row whose key starts with the given prefix, when it
/// is a prefix of this row's key (else the walk goes on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Walk {
    Next,
    SkipPast(String),
}

impl UnitState {
    /// Like [`for_each_raw`](UnitState::for_each_raw), but `each` may skip
    /// the rest of a sub-range ([`Walk::SkipPast`]): the walk then goes on
    /// from the first key past it, found by a seek, so that the rows
    /// skipped are not read at all (one more run of the statement per
    /// skip).
    pub(crate) fn walk_raw(
        &mut self,
        prefix: &str,
        mut each: impl FnMut(&str, &str) -> Result<Walk, StateError>,
    ) -> Result<(), StateError> {
        if self.has_pending_under(prefix) {
            let mut skipping: Option<String> = None;
            for (key, text) in self.get_range_raw(prefix)? {
                if skipping.as_deref().is_some_and(|p| key.starts_with(p)) {
                    continue;
                }
                skipping = match each(&key, &text)? {
                    Walk::Next => None,
                    Walk::SkipPast(past) => Some(past).filter(|p| key.starts_with(p.as_str())),
                };
            }
            return Ok(());
        }
        let path = &self.path;
        let mut from = Cow::Borrowed(prefix);
        loop {
            let mut resume = None;
            walk_range(&self.conn, path, prefix, &from, ROWS, |key, row| {
                let data = row.get_ref(1).map_err(|e| range_error(path, prefix, e))?;
                let walk = match stored(data, path, key)? {
                    Stored::Text(text) => each(key, text)?,
                    Stored::Integer(i) => each(key, &i.to_string())?,
                    Stored::Real(f) => each(key, &to_python_json(&Value::from(f)))?,
                };
                match walk {
                    Walk::Next => Ok(true),
                    // Past a prefix of this key: the walk moves on.
                    Walk::SkipPast(past) if key.starts_with(past.as_str()) => {
                        resume = prefix_upper_bound(&past);
                        Ok(resume.is_none())
                    }
                    Walk::SkipPast(_) => Ok(true),
                }
            })?;
            match resume {
                Some(next) => from = Cow::Owned(next),
                None => return Ok(()),
            }
        }
    }
}

/// Run `each` on every row whose key is under `prefix`, with the key
/// checked as UTF-8 text, read with one of `queries`.
pub(super) fn for_each_in_range(
    conn: &Connection,
    path: &Option<PathBuf>,
    prefix: &str,
    queries: RangeSql,
    mut each: impl FnMut(&str, &rusqlite::Row<'_>) -> Result<(), StateError>,
) -> Result<(), StateError> {
    walk_range(conn, path, prefix, prefix, queries, |key, row| {
        each(key, row).map(|()| true)
    })
}

/// Run `each` on the rows under `prefix` from key `from` on (`from` starts
/// with `prefix`, or sorts after it and before its upper bound), until it
/// returns false.
fn walk_range(
    conn: &Connection,
    path: &Option<PathBuf>,
    prefix: &str,
    from: &str,
    queries: RangeSql,
    mut each: impl FnMut(&str, &rusqlite::Row<'_>) -> Result<bool, StateError>,
) -> Result<(), StateError> {
    let range_err = |source| range_error(path, prefix, source);
    let (sql, bounds) = range_query(prefix, from, queries);
    let mut stmt = conn.prepare_cached(sql).map_err(range_err)?;
    let mut rows = stmt
        .query(rusqlite::params_from_iter(&bounds))
        .map_err(range_err)?;
    while let Some(row) = rows.next().map_err(range_err)? {
        let ValueRef::Text(bytes) = row.get_ref(0).map_err(range_err)? else {
            continue;
        };
        let key = std::str::from_utf8(bytes)
            .map_err(|e| not_utf8(path, String::from_utf8_lossy(bytes).into_owned(), "key", e))?;
        if !each(key, row)? {
            break;
        }
    }
    Ok(())
}

/// Of `queries`, the statement that reads the keys under `prefix` from
/// `from` on, with its parameters: `from`, and the prefix's upper bound
/// when it has one. The flags' statement, when `queries` has one, for the
/// flags' prefix and any prefix under it.
pub(super) fn range_query<'a>(
    prefix: &str,
    from: &'a str,
    queries: RangeSql,
) -> (&'static str, Vec<Cow<'a, str>>) {
    match prefix_upper_bound(prefix) {
        Some(upper) => {
            let sql = match queries.flags {
                Some(flags) if prefix.starts_with(crate::flags::FLAG_KEY_PREFIX) => flags,
                _ => queries.bounded,
            };
            (sql, vec![Cow::Borrowed(from), Cow::Owned(upper)])
        }
        None => (queries.open, vec![Cow::Borrowed(from)]),
    }
}
