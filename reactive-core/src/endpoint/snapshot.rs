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
        self.text()
            .and_then(|raw| serde_json::from_str::<DataBag>(raw).ok())
    }
}

/// The connection that reads snapshot rows for a hook, shared by its
/// relations (`None` until the first relation with rows).
pub(crate) type ReaderSlot = Option<Arc<LazyReader>>;

/// The remote units' rows of one relation, each taken at most once:
/// sorted by unit name (as the rows' keys come from SQLite), or, when made
/// from the kept membership, in the order of the relation's units, which
/// is the order they are taken in.
#[derive(Debug, Default)]
pub(crate) struct SavedUnits {
    rows: Vec<(String, Option<RowRef>)>,
    /// Whether `rows` is in the relation's order rather than by name.
    in_relation_order: bool,
    /// Where the next lookup starts, in the relation's order.
    next: std::cell::Cell<usize>,
}

impl SavedUnits {
    fn find(&self, unit: &str) -> Option<usize> {
        if !self.in_relation_order {
            return self
                .rows
                .binary_search_by(|(name, _)| name.as_str().cmp(unit))
                .ok();
        }
        // Taken in order: the unit is where the last lookup left off
        // (else anywhere, for a lookup out of turn).
        let start = self.next.get().min(self.rows.len());
        let at = (start..self.rows.len())
            .chain(0..start)
            .find(|&at| self.rows[at].0 == unit)?;
        self.next.set(at + 1);
        Some(at)
    }

    /// Unit `unit`'s row, unless taken.
    pub(crate) fn get(&self, unit: &str) -> Option<&RowRef> {
        self.rows[self.find(unit)?].1.as_ref()
    }

    /// Take unit `unit`'s row.
    pub(crate) fn take(&mut self, unit: &str) -> Option<RowRef> {
        let at = self.find(unit)?;
        self.rows[at].1.take()
    }

    /// The units whose rows were not taken.
    pub(crate) fn not_taken(&self) -> impl Iterator<Item = &str> {
        self.rows
            .iter()
            .filter(|(_, row)| row.is_some())
            .map(|(name, _)| name.as_str())
    }

    /// Every row not taken.
    fn rows(&self) -> impl Iterator<Item = &RowRef> {
        self.rows.iter().filter_map(|(_, row)| row.as_ref())
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
    // Each key moves into its row: one allocation per unit, its name.
    for key in keys {
        let rest = &key[prefix.len()..];
        if let Some(unit) = rest.strip_prefix("unit.") {
            let unit = unit.to_string();
            let rows = rows.clone();
            saved.units.rows.push((unit, Some(RowRef { rows, key })));
        } else if rest.starts_with("app.") {
            saved.add_app(&rows, &prefix, key);
        } else {
            saved.strays.push(key);
        }
    }
    saved.units.sort();
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
    let unit_prefix_len = prefix.len() + "unit.".len();
    let key_of = |unit: &str| {
        // `unit_data_key` without the formatting machinery: a thousand
        // of these per hook.
        let mut key = String::with_capacity(unit_prefix_len + unit.len());
        key.push_str(&prefix);
        key.push_str("unit.");
        key.push_str(unit);
        key
    };
    let departing = match departing.filter(|unit| !units.iter().any(|u| u == unit)) {
        Some(unit) if ctx.unit_state().get_raw(&key_of(unit))?.is_some() => Some(unit),
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
    // In the relation's order, the departing unit last (looked up out of
    // turn, once).
    saved.units.rows = units
        .iter()
        .map(String::as_str)
        .chain(departing)
        .map(|unit| {
            let row = RowRef {
                rows: rows.clone(),
                key: key_of(unit),
            };
            (unit.to_string(), Some(row))
        })
        .collect();
    for key in app_keys {
        saved.add_app(&rows, &prefix, key);
    }
    saved.units.in_relation_order = true;
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

impl SavedUnits {
    /// Sort the rows by unit name, as lookups need (the keys come sorted
    /// from SQLite, which orders by bytes: only rows written by hand in
    /// another collation would not be).
    fn sort(&mut self) {
        if !self.rows.is_sorted_by(|a, b| a.0 <= b.0) {
            self.rows.sort_by(|a, b| a.0.cmp(&b.0));
        }
    }
}

/// Drop a relation's rows.
pub(crate) fn forget(ctx: &mut Context, saved: &SavedRelation) {
    let rows = saved
        .units
        .rows()
        .chain(saved.app.iter().map(|(_, row)| row));
    for key in rows.map(|row| &row.key).chain(&saved.strays) {
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
