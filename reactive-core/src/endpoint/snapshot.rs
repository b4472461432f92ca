//! The relation-data snapshot: what the remote units and applications of
//! each relation last sent, kept in the unit state so that a hook reads
//! with `relation-get` only what Juju says changed.
//!
//! Layout (one row per bag, so that a hook writes only the bags it read):
//!
//! - `reactive.relation_data.<relation id>.unit.<unit>`: a remote unit's
//!   data, a JSON object of raw strings, as `relation-get - <unit>` gave it;
//! - `reactive.relation_data.<relation id>.app.<application>`: the remote
//!   application's data, as `relation-get --app - <application>` gave it,
//!   once a handler read it.
//!
//! The rule:
//!
//! - `<endpoint>-relation-joined` / `-changed` with a remote unit: that
//!   unit's bag is read again; `-changed` without one (the remote
//!   application's data changed): the application's bag is read again when
//!   asked for;
//! - `-departed`: the departing unit's row gives its last data to
//!   `all_departed_units` and is dropped;
//! - `-broken`: the relation's rows are dropped;
//! - a unit the relation's membership names and the snapshot does not
//!   hold (a new unit, or a unit state written by charms.reactive or
//!   before the snapshot existed) is read when its data is first needed,
//!   then kept; a row for a unit the membership no longer names is
//!   dropped (membership: see [`membership`](super::membership));
//! - every other bag comes from the snapshot: at startup only the rows'
//!   keys are read; a relation's values are read, all at once, when one of
//!   its units' data is first needed.
//!
//! Juju runs a `-changed` hook after every change of a remote unit's or
//! application's data, so the data, and the flags computed from it, change
//! in the same hooks as with fresh reads; only a hook running *between* a
//! remote change and its `-changed` hook sees the older data (charms.reactive
//! would see the newer one there, one hook early).
//!
//! With [`RelationDataMode::Fresh`] (or per handler,
//! [`RelatedUnit::refresh`](super::RelatedUnit::refresh),
//! [`EndpointBase::refresh_remote_data`](super::EndpointBase::refresh_remote_data))
//! data is read with `relation-get` as charms.reactive does; in that mode the
//! snapshot is dropped as it is met, so that going back to
//! [`RelationDataMode::Snapshot`] starts with one full read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Map, Value};

use super::relation::Relation;
use crate::tools::DataBag;
use crate::unit_state::{CommittedReader, StateError};
use crate::Context;

/// The unit-state prefix of every relation-data snapshot row.
pub const RELATION_DATA_PREFIX: &str = "reactive.relation_data.";

/// How endpoints read remote units' and applications' relation data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RelationDataMode {
    /// Read only what the hook is about; everything else from the unit
    /// state's snapshot (see [the module documentation](self)).
    #[default]
    Snapshot,
    /// Read every bag a hook needs with `relation-get`, as charms.reactive
    /// does; the snapshot is neither used nor kept.
    Fresh,
}

impl RelationDataMode {
    /// The mode an environment variable asks for: `Fresh` when
    /// `REACTIVE_FRESH_RELATION_DATA` is set to anything but empty or `0`.
    ///
    /// ```
    /// use reactive_core::endpoint::RelationDataMode;
    /// let env = |name: &str| (name == "REACTIVE_FRESH_RELATION_DATA").then(|| "1".to_string());
    /// assert_eq!(RelationDataMode::from_env(&env), RelationDataMode::Fresh);
    /// assert_eq!(RelationDataMode::from_env(&|_| None), RelationDataMode::Snapshot);
    /// ```
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Self {
        match env("REACTIVE_FRESH_RELATION_DATA") {
            Some(v) if !v.is_empty() && v != "0" => RelationDataMode::Fresh,
            _ => RelationDataMode::Snapshot,
        }
    }
}

/// The prefix of one relation's rows.
pub fn relation_data_prefix(relation_id: &str) -> String {
    format!("{RELATION_DATA_PREFIX}{relation_id}.")
}

/// The row of a remote unit's data.
pub fn unit_data_key(relation_id: &str, unit: &str) -> String {
    format!("{RELATION_DATA_PREFIX}{relation_id}.unit.{unit}")
}

/// The row of a remote application's data.
pub fn app_data_key(relation_id: &str, app: &str) -> String {
    format!("{RELATION_DATA_PREFIX}{relation_id}.app.{app}")
}

/// A read-only connection to the unit state's file, opened when a row's
/// value is first needed (a hook that needs no remote data opens none).
#[derive(Debug)]
pub(crate) struct LazyReader {
    path: PathBuf,
    conn: OnceLock<Option<Mutex<CommittedReader>>>,
}

impl LazyReader {
    /// The committed rows under `prefix`; `None` if the file cannot be
    /// opened or read.
    fn get_range_raw(&self, prefix: &str) -> Option<Vec<(String, String)>> {
        let conn = self
            .conn
            .get_or_init(|| CommittedReader::open(&self.path).ok().map(Mutex::new));
        let reader = conn.as_ref()?.lock().unwrap_or_else(|p| p.into_inner());
        reader.get_range_raw(prefix).ok()
    }
}

/// One relation's rows, read when first needed with one prefix read of
/// the committed unit state (or given at once, for an in-memory store).
#[derive(Debug)]
pub(crate) struct LazyRows {
    prefix: String,
    reader: Option<Arc<LazyReader>>,
    rows: OnceLock<BTreeMap<String, String>>,
}

impl LazyRows {
    /// The JSON text of row `key`, reading the relation's rows first if
    /// they were not. A failed read counts as no row: the unit is then
    /// read with `relation-get`.
    fn get(&self, key: &str) -> Option<&str> {
        let rows = self.rows.get_or_init(|| {
            self.reader
                .as_ref()
                .and_then(|reader| reader.get_range_raw(&self.prefix))
                .map(|rows| rows.into_iter().collect())
                .unwrap_or_default()
        });
        rows.get(key).map(String::as_str)
    }

    /// The key of remote unit `unit`'s row.
    fn unit_key(&self, unit: &str) -> String {
        let mut key = String::with_capacity(self.prefix.len() + "unit.".len() + unit.len());
        key.push_str(&self.prefix);
        key.push_str("unit.");
        key.push_str(unit);
        key
    }

    /// Remote unit `unit`'s data as the snapshot holds it (`None` if its
    /// row cannot be read, or is not an object of strings).
    pub(crate) fn unit_bag(&self, unit: &str) -> Option<DataBag> {
        self.get(&self.unit_key(unit)).and_then(decode_bag)
    }
}

/// A snapshot row's text as a data bag.
fn decode_bag(raw: &str) -> Option<DataBag> {
    serde_json::from_str::<DataBag>(raw).ok()
}

/// One snapshot row: where it is and how to read it.
#[derive(Debug, Clone)]
pub(crate) struct RowRef {
    rows: Arc<LazyRows>,
    key: String,
}

impl RowRef {
    /// The row's JSON text (`None` if it could not be read).
    pub(crate) fn text(&self) -> Option<&str> {
        self.rows.get(&self.key)
    }

    /// The row as a data bag (`None` if it cannot be read, or is not an
    /// object of strings).
    pub(crate) fn bag(&self) -> Option<DataBag> {
        self.text().and_then(decode_bag)
    }
}

/// The connection that reads snapshot rows for a hook, shared by its
/// relations (`None` until the first relation with rows).
pub(crate) type ReaderSlot = Option<Arc<LazyReader>>;

/// The remote units' rows of one relation, each taken at most once.
///
/// No unit row is copied out of the database for this: a unit that has a
/// row is given the relation's rows ([`LazyRows`]), in which it looks its
/// own up by name when its data is first needed.
#[derive(Debug, Default)]
pub(crate) struct SavedUnits {
    /// The relation's rows (`None`: no unit has one).
    rows: Option<Arc<LazyRows>>,
    order: UnitRows,
}

/// Which units have rows, and which rows are taken.
#[derive(Debug)]
enum UnitRows {
    /// Found from the rows' keys: the units' names, sorted by name (as
    /// SQLite gives the keys), each with whether its row is still there.
    ByName(Vec<(String, bool)>),
    /// Counted against the units the relation lists: every listed unit
    /// has a row, taken by its place in the list (whether it is still
    /// there, by place); and the departing unit of a `-departed` hook may
    /// have one.
    Listed {
        there: Vec<bool>,
        departing: Option<(String, bool)>,
    },
}

impl Default for UnitRows {
    fn default() -> Self {
        UnitRows::ByName(Vec::new())
    }
}

impl SavedUnits {
    /// The row of unit `unit`, at place `at` in the relation's list, for
    /// the unit to keep; `None` if it has none (or it was taken).
    pub(crate) fn take(&mut self, at: usize, unit: &str) -> Option<Arc<LazyRows>> {
        let slot = match &mut self.order {
            UnitRows::ByName(names) => names
                .binary_search_by(|(name, _)| name.as_str().cmp(unit))
                .ok()
                .map(|i| &mut names[i].1),
            UnitRows::Listed { there, .. } => there.get_mut(at),
        };
        if slot.is_some_and(|there| std::mem::replace(there, false)) {
            self.rows.clone()
        } else {
            None
        }
    }

    /// The row of unit `unit` (a departing unit, looked up out of turn),
    /// whether taken or not; `listed`: the units of the relation, in its
    /// order (a departing unit is not among them as Juju lists them, but
    /// would have its row there if it were).
    pub(crate) fn row_of(&self, unit: &str, listed: &[String]) -> Option<RowRef> {
        let rows = self.rows.as_ref()?;
        let has = match &self.order {
            UnitRows::ByName(names) => names
                .binary_search_by(|(name, _)| name.as_str().cmp(unit))
                .is_ok(),
            UnitRows::Listed { departing, .. } => {
                departing.as_ref().is_some_and(|(name, _)| name == unit)
                    || listed.iter().any(|name| name == unit)
            }
        };
        has.then(|| RowRef {
            rows: rows.clone(),
            key: rows.unit_key(unit),
        })
    }

    /// The units whose rows were not taken. With rows counted against the
    /// relation's list, the caller takes every listed unit's row: only the
    /// departing unit's can be left.
    pub(crate) fn not_taken(&self) -> impl Iterator<Item = &str> {
        let (by_name, departing) = match &self.order {
            UnitRows::ByName(names) => (names.as_slice(), None),
            UnitRows::Listed { departing, .. } => (&[][..], departing.as_ref()),
        };
        by_name
            .iter()
            .chain(departing)
            .filter(|(_, there)| *there)
            .map(|(name, _)| name.as_str())
    }

    /// The keys of every row, taken or not, for [`forget`]; `listed`: the
    /// units of the relation, in its order.
    fn keys(&self, listed: &[String]) -> Vec<String> {
        let Some(rows) = self.rows.as_deref() else {
            return Vec::new();
        };
        match &self.order {
            UnitRows::ByName(names) => names.iter().map(|(name, _)| rows.unit_key(name)).collect(),
            UnitRows::Listed { departing, .. } => listed
                .iter()
                .chain(departing.iter().map(|(name, _)| name))
                .map(|name| rows.unit_key(name))
                .collect(),
        }
    }
}

/// One relation's rows: their keys now, their values when first needed.
#[derive(Debug, Default)]
pub(crate) struct SavedRelation {
    /// The remote units' rows.
    pub(crate) units: SavedUnits,
    /// Application and its row.
    pub(crate) app: Option<(String, RowRef)>,
    /// Rows under the relation's prefix that are neither (dropped with
    /// the rest by [`forget`]).
    pub(crate) strays: Vec<String>,
}

/// Find one relation's rows (their keys only, from the key index).
pub(crate) fn load(
    ctx: &mut Context,
    relation_id: &str,
    reader: &mut ReaderSlot,
) -> Result<SavedRelation, StateError> {
    let prefix = relation_data_prefix(relation_id);
    let keys = ctx.unit_state().get_range_keys(&prefix)?;
    let mut saved = SavedRelation::default();
    if keys.is_empty() {
        return Ok(saved);
    }
    let rows = lazy_rows(ctx, &prefix, reader)?;
    let mut names = Vec::new();
    for key in keys {
        let rest = &key[prefix.len()..];
        if let Some(unit) = rest.strip_prefix("unit.") {
            names.push((unit.to_string(), true));
        } else if rest.starts_with("app.") {
            saved.add_app(&rows, &prefix, key);
        } else {
            saved.strays.push(key);
        }
    }
    // Sorted by name, as lookups need (the keys come sorted from SQLite,
    // which orders by bytes: only rows written by hand in another
    // collation would not be).
    if !names.is_sorted_by(|a, b| a.0 <= b.0) {
        names.sort_by(|a, b| a.0.cmp(&b.0));
    }
    if !names.is_empty() {
        saved.units.rows = Some(rows);
    }
    saved.units.order = UnitRows::ByName(names);
    Ok(saved)
}

/// Find one relation's rows when its remote units are known: from the
/// kept membership (see [`membership`](super::membership)), or read with
/// the tools in a `-departed` hook, whose departing unit (`departing`)
/// keeps its row until the end of the hook. The hooks that changed the
/// membership dropped the rows of the units that left, so when the
/// relation holds as many unit rows as `units` (and the departing unit's,
/// if it has one), each unit has its row: SQLite counts them, and no key
/// is read (with a thousand units, a thousand fewer keys copied out of the
/// database per hook). Otherwise, as [`load`]. A row counted for a unit
/// that is not there (put in by hand) leaves a unit without its row; its
/// data is then read with `relation-get` when needed, like any row that
/// cannot be read.
pub(crate) fn load_for_members(
    ctx: &mut Context,
    relation_id: &str,
    units: &[String],
    departing: Option<&str>,
    reader: &mut ReaderSlot,
) -> Result<SavedRelation, StateError> {
    let prefix = relation_data_prefix(relation_id);
    let departing = match departing.filter(|unit| !units.iter().any(|u| u == unit)) {
        Some(unit)
            if ctx
                .unit_state()
                .get_raw(&unit_data_key(relation_id, unit))?
                .is_some() =>
        {
            Some(unit)
        }
        _ => None,
    };
    let unit_rows = ctx.unit_state().count_range(&format!("{prefix}unit."))?;
    if unit_rows != units.len() + usize::from(departing.is_some()) {
        return load(ctx, relation_id, reader);
    }
    let app_keys = ctx.unit_state().get_range_keys(&format!("{prefix}app."))?;
    let mut saved = SavedRelation::default();
    if unit_rows == 0 && app_keys.is_empty() {
        return Ok(saved);
    }
    let rows = lazy_rows(ctx, &prefix, reader)?;
    for key in app_keys {
        saved.add_app(&rows, &prefix, key);
    }
    saved.units.order = UnitRows::Listed {
        there: vec![true; units.len()],
        departing: departing.map(|unit| (unit.to_string(), true)),
    };
    if unit_rows > 0 {
        saved.units.rows = Some(rows);
    }
    Ok(saved)
}

/// The rows under `prefix`, read when first needed (at once for an
/// in-memory store), through the hook's shared reader.
fn lazy_rows(
    ctx: &mut Context,
    prefix: &str,
    reader: &mut ReaderSlot,
) -> Result<Arc<LazyRows>, StateError> {
    let path = ctx.unit_state().path().map(Path::to_path_buf);
    let rows = match path {
        Some(path) => LazyRows {
            prefix: prefix.to_string(),
            reader: Some(
                reader
                    .get_or_insert_with(|| {
                        Arc::new(LazyReader {
                            path,
                            conn: OnceLock::new(),
                        })
                    })
                    .clone(),
            ),
            rows: OnceLock::new(),
        },
        None => {
            let all = ctx.unit_state().get_range_raw(prefix)?;
            LazyRows {
                prefix: prefix.to_string(),
                reader: None,
                rows: OnceLock::from(all.into_iter().collect::<BTreeMap<_, _>>()),
            }
        }
    };
    Ok(Arc::new(rows))
}

impl SavedRelation {
    /// The application row `key` (under `prefix`): one remote application
    /// per relation, so a second row (never written so) goes with the
    /// strays.
    fn add_app(&mut self, rows: &Arc<LazyRows>, prefix: &str, key: String) {
        let app = key[prefix.len() + "app.".len()..].to_string();
        let row = RowRef {
            rows: rows.clone(),
            key,
        };
        if let Some((_, earlier)) = self.app.replace((app, row)) {
            self.strays.push(earlier.key);
        }
    }
}

/// Drop a relation's rows (`listed`: its units, in its order).
pub(crate) fn forget(ctx: &mut Context, saved: &SavedRelation, listed: &[String]) {
    for key in saved.units.keys(listed) {
        ctx.unit_state().unset(&key);
    }
    let others = saved.app.iter().map(|(_, row)| &row.key);
    for key in others.chain(&saved.strays) {
        ctx.unit_state().unset(key);
    }
}

fn bag_value(bag: &DataBag) -> Value {
    Value::Object(
        bag.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect::<Map<String, Value>>(),
    )
}

/// Keep what this hook read of `relation` with `relation-get`.
pub(crate) fn save(ctx: &mut Context, relation: &Relation) {
    let rid = relation.relation_id();
    for unit in relation.unit_list() {
        if let Some(bag) = unit.data_read_by_tool() {
            ctx.unit_state()
                .set(&unit_data_key(rid, unit.unit_name()), bag_value(bag));
        }
    }
    if let Some((app, bag)) = relation.app_data_read_by_tool() {
        ctx.unit_state()
            .set(&app_data_key(rid, app), bag_value(bag));
    }
}

/// The row keeping the request/response pattern's flags as last computed
/// for an endpoint (`{flag: set}`); dropped when this unit publishes on the
/// endpoint, so that the next hook computes them again.
pub fn pattern_flags_key(endpoint_name: &str) -> String {
    format!("reactive.endpoints.pattern.{endpoint_name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A relation's rows already read, one per unit, each holding the
    /// unit's name.
    fn rows(prefix: &str, units: &[&str]) -> Arc<LazyRows> {
        let rows: BTreeMap<String, String> = units
            .iter()
            .map(|u| (format!("{prefix}unit.{u}"), format!(r#"{{"name":"{u}"}}"#)))
            .collect();
        Arc::new(LazyRows {
            prefix: prefix.to_string(),
            reader: None,
            rows: OnceLock::from(rows),
        })
    }

    fn name_in(rows: &LazyRows, unit: &str) -> Option<String> {
        rows.unit_bag(unit).map(|bag| bag["name"].clone())
    }

    #[test]
    fn rows_counted_against_the_list_are_taken_by_place() {
        let prefix = relation_data_prefix("db:1");
        let listed = ["a/0".to_string(), "a/1".to_string()];
        let mut saved = SavedUnits {
            rows: Some(rows(&prefix, &["a/0", "a/1", "a/2"])),
            order: UnitRows::Listed {
                there: vec![true; 2],
                departing: Some(("a/2".to_string(), true)),
            },
        };
        // Looked up by name: the departing unit's row, or a listed one's.
        let departing = saved.row_of("a/2", &listed).unwrap();
        assert_eq!(departing.bag().unwrap()["name"], "a/2");
        assert_eq!(departing.key, format!("{prefix}unit.a/2"));
        assert!(saved.row_of("a/1", &listed).is_some());
        assert!(saved.row_of("a/9", &listed).is_none());
        // Taken once each, by place.
        let first = saved.take(0, "a/0").unwrap();
        assert_eq!(name_in(&first, "a/0").as_deref(), Some("a/0"));
        assert!(saved.take(0, "a/0").is_none(), "taken twice");
        assert!(saved.take(1, "a/1").is_some());
        assert!(saved.take(2, "a/5").is_none(), "past the list");
        assert_eq!(saved.not_taken().collect::<Vec<_>>(), ["a/2"]);
        let keys = saved.keys(&listed);
        assert_eq!(
            keys,
            ["a/0", "a/1", "a/2"].map(|u| format!("{prefix}unit.{u}"))
        );
    }

    #[test]
    fn rows_found_from_their_keys_are_taken_by_name() {
        let prefix = relation_data_prefix("db:1");
        let mut saved = SavedUnits {
            rows: Some(rows(&prefix, &["a/0", "a/1"])),
            order: UnitRows::ByName(vec![("a/0".to_string(), true), ("a/1".to_string(), true)]),
        };
        // The place is not used: the name is looked up.
        assert!(saved.take(7, "a/1").is_some());
        assert!(saved.take(1, "a/1").is_none(), "taken twice");
        assert!(saved.take(0, "a/3").is_none(), "no row");
        assert_eq!(saved.not_taken().collect::<Vec<_>>(), ["a/0"]);
        // Taken or not, a row is found for the departing unit.
        assert!(saved.row_of("a/1", &[]).is_some());
        assert!(saved.row_of("a/3", &[]).is_none());
        assert_eq!(saved.keys(&[]).len(), 2);
        // A relation with no unit rows gives none.
        let mut empty = SavedUnits::default();
        assert!(empty.take(0, "a/0").is_none());
        assert!(empty.row_of("a/0", &[]).is_none());
        assert!(empty.keys(&[]).is_empty());
    }
}
