//! `Relation`: one relation of an endpoint, its remote units and the data
//! this side publishes on it.

use std::cell::{Cell, OnceCell};
use std::fmt;

use super::data::{DataView, PublishData};
use super::key_list::{KeyList, Keyed};
use super::snapshot::RowRef;
use super::unit::{CombinedUnits, RelatedUnit};
use crate::tools::handle::ToolsHandle;
use crate::tools::{DataBag, HookTools, ToolError};

/// Order relation ids by endpoint, then by number as a number (so `db:2`
/// sorts before `db:10`; charms.reactive compares the strings).
pub(crate) fn relation_order(a: &str, b: &str) -> std::cmp::Ordering {
    fn split(rid: &str) -> (&str, u64, &str) {
        let (name, n) = rid.rsplit_once(':').unwrap_or((rid, ""));
        (name, n.parse::<u64>().unwrap_or(u64::MAX), rid)
    }
    split(a).cmp(&split(b))
}

/// Why relation data cannot be read or written.
#[derive(Debug)]
pub enum RelationDataError {
    /// The hook tool failed.
    Tool(ToolError),
    /// Application data is writable (and readable by this side) only by
    /// the leader.
    NotLeader {
        /// The relation.
        relation_id: String,
    },
}

impl fmt::Display for RelationDataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RelationDataError::Tool(e) => write!(f, "{e}"),
            RelationDataError::NotLeader { relation_id } => write!(
                f,
                "only the leader may read or write this application's data on relation {relation_id}"
            ),
        }
    }
}

impl std::error::Error for RelationDataError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RelationDataError::Tool(e) => Some(e),
            RelationDataError::NotLeader { .. } => None,
        }
    }
}

impl From<ToolError> for RelationDataError {
    fn from(e: ToolError) -> Self {
        RelationDataError::Tool(e)
    }
}

/// One relation of an endpoint.
#[derive(Debug, Clone)]
pub struct Relation {
    relation_id: String,
    endpoint_name: String,
    local_unit: String,
    units: KeyList<RelatedUnit>,
    to_publish: Option<PublishData>,
    /// This unit's data when first read through `&self` ([`Relation::published`]);
    /// moved into `to_publish` on the first mutable access.
    to_publish_read: OnceCell<PublishData>,
    /// The one key of this unit's data read alone, before the whole bag
    /// was ([`Relation::published_value`]), with its value.
    published_key: OnceCell<(String, Option<String>)>,
    to_publish_app: Option<PublishData>,
    received_app: OnceCell<DataBag>,
    /// The snapshot's row of the remote application's data (with the
    /// application's name), read and decoded on first use.
    app_snapshot: Option<(String, RowRef)>,
    /// Whether `received_app` was read with `relation-get --app` in this hook.
    app_read_by_tool: Cell<bool>,
    tools: ToolsHandle,
}

impl Keyed for Relation {
    fn key(&self) -> &str {
        &self.relation_id
    }
}

impl PartialEq for Relation {
    fn eq(&self, other: &Self) -> bool {
        self.relation_id == other.relation_id
    }
}

impl Relation {
    /// A relation whose remote units are already made (their data from the
    /// snapshot, or to be read).
    pub(crate) fn from_units(
        relation_id: &str,
        local_unit: &str,
        mut units: Vec<RelatedUnit>,
        tools: ToolsHandle,
    ) -> Self {
        units.sort_by(|a, b| crate::names::unit_order(a.unit_name(), b.unit_name()));
        Relation {
            endpoint_name: relation_id
                .rsplit_once(':')
                .map(|(name, _)| name.to_string())
                .unwrap_or_else(|| relation_id.to_string()),
            relation_id: relation_id.to_string(),
            local_unit: local_unit.to_string(),
            units: KeyList::new(units),
            to_publish: None,
            to_publish_read: OnceCell::new(),
            published_key: OnceCell::new(),
            to_publish_app: None,
            received_app: OnceCell::new(),
            app_snapshot: None,
            app_read_by_tool: Cell::new(false),
            tools,
        }
    }

    /// Give the snapshot's row of application `app`'s data.
    pub(crate) fn set_app_snapshot(&mut self, app: &str, row: RowRef) {
        self.app_snapshot = Some((app.to_string(), row));
    }

    /// The remote application's data read with `relation-get --app` in this
    /// hook, with the application's name, if it was.
    pub(crate) fn app_data_read_by_tool(&self) -> Option<(&str, &DataBag)> {
        if self.app_read_by_tool.get() {
            self.received_app
                .get()
                .map(|data| (self.application_name(), data))
        } else {
            None
        }
    }

    /// Every remote unit's data and the remote application's data (when it
    /// was read in this hook or the snapshot holds it) read again with
    /// `relation-get`, whatever the snapshot holds. See
    /// [`RelatedUnit::refresh`].
    pub fn refresh(&mut self) -> Result<(), ToolError> {
        for unit in self.units.iter_mut() {
            unit.refresh()?;
        }
        if (self.received_app.get().is_some() || self.app_snapshot.is_some())
            && !self.app_read_by_tool.get()
        {
            self.received_app = OnceCell::new();
            self.app_snapshot = None;
            self.received_app_raw()?;
        }
        Ok(())
    }

    /// The relation's id (`db:3`).
    pub fn relation_id(&self) -> &str {
        &self.relation_id
    }

    /// The endpoint it belongs to (`db`).
    pub fn endpoint_name(&self) -> &str {
        &self.endpoint_name
    }

    fn local_app(&self) -> &str {
        crate::names::app_of(&self.local_unit)
    }

    /// The remote application: that of the first joined unit, or this
    /// unit's own application while no unit has joined (as charms.reactive
    /// answers).
    pub fn application_name(&self) -> &str {
        match self.units.get(0) {
            Some(unit) => unit.application_name(),
            None => self.local_app(),
        }
    }

    /// The remote units that joined, ordered by unit name (unit numbers
    /// compared as numbers: `app/2` before `app/10`).
    pub fn joined_units(&self) -> CombinedUnits<'_> {
        // Kept in unit order (sorted when made; units only leave).
        CombinedUnits::from_sorted(self.units.iter().collect())
    }

    /// Deprecated alias of [`Relation::joined_units`].
    #[deprecated(note = "use joined_units")]
    pub fn units(&self) -> CombinedUnits<'_> {
        self.joined_units()
    }

    /// The joined units as a key list (by unit name).
    pub fn unit_list(&self) -> &KeyList<RelatedUnit> {
        &self.units
    }

    /// Whether this hook changed `key` of this unit's data (not yet
    /// published).
    pub(crate) fn published_key_changed(&self, key: &str) -> bool {
        self.to_publish.as_ref().is_some_and(|d| d.key_changed(key))
    }

    /// Whether a handler took this unit's data for writing in this hook
    /// (cheap: it may have changed nothing).
    pub(crate) fn is_publishing(&self) -> bool {
        self.to_publish.is_some()
    }

    /// Whether this hook changed this unit's data (not yet published).
    pub(crate) fn is_published_modified(&self) -> bool {
        self.to_publish.as_ref().is_some_and(|d| d.is_modified())
    }

    pub(crate) fn remove_unit(&mut self, unit_name: &str) -> Option<RelatedUnit> {
        self.units.remove_key(unit_name)
    }

    /// This unit's data on the relation, writable; values JSON-encoded.
    /// Read with one `relation-get` the first time; changes are published at
    /// the end of a successful hook.
    pub fn to_publish(&mut self) -> Result<&mut PublishData, ToolError> {
        if self.to_publish.is_none() {
            let data = match self.to_publish_read.take() {
                Some(data) => data,
                None => PublishData::new(
                    self.tools
                        .with(|t| t.relation_get(&self.relation_id, &self.local_unit))?,
                ),
            };
            self.to_publish = Some(data);
        }
        Ok(self
            .to_publish
            .get_or_insert_with(|| PublishData::new(DataBag::new())))
    }

    /// This unit's data on the relation, read-only: what
    /// [`Relation::to_publish`] holds now, this hook's changes included.
    /// Shares the same single `relation-get`.
    pub fn published(&self) -> Result<&PublishData, ToolError> {
        if let Some(data) = &self.to_publish {
            return Ok(data);
        }
        if let Some(data) = self.to_publish_read.get() {
            return Ok(data);
        }
        let data = self
            .tools
            .with(|t| t.relation_get(&self.relation_id, &self.local_unit))?;
        Ok(self.to_publish_read.get_or_init(|| PublishData::new(data)))
    }

    /// The raw value of `key` in this unit's data, this hook's changes
    /// included: the same answer as `published()?.get_raw(key)`, for less.
    /// While the whole bag has not been read, the first key asked for is
    /// read alone (`relation-get -r ID KEY UNIT`), so that a responder
    /// checking one answer among thousands does not read them all; a
    /// second key reads the whole bag, as [`Relation::published`] does. At
    /// most two `relation-get` calls, whatever is asked.
    ///
    /// ```no_run
    /// # fn f(relation: &reactive_core::endpoint::Relation) -> Result<(), reactive_core::tools::ToolError> {
    /// if let Some(raw) = relation.published_value("response_1f0e…")? {
    ///     println!("answered: {raw}");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn published_value(&self, key: &str) -> Result<Option<&str>, ToolError> {
        if self.to_publish.is_none() && self.to_publish_read.get().is_none() {
            if self.published_key.get().is_none() {
                let value = self
                    .tools
                    .with(|t| t.relation_get_key(&self.relation_id, &self.local_unit, key))?;
                let _ = self.published_key.set((key.to_string(), value));
            }
            if let Some((read, value)) = self.published_key.get() {
                if read == key {
                    return Ok(value.as_deref());
                }
            }
        }
        Ok(self.published()?.get_raw(key))
    }

    /// Same data as [`Relation::to_publish`]; use its `*_raw` methods to
    /// read and write strings as they are.
    pub fn to_publish_raw(&mut self) -> Result<&mut PublishData, ToolError> {
        self.to_publish()
    }

    /// This application's data on the relation (leader only).
    pub fn to_publish_app(&mut self) -> Result<&mut PublishData, RelationDataError> {
        if self.to_publish_app.is_none() {
            if !self.tools.with(|t| t.is_leader())? {
                return Err(RelationDataError::NotLeader {
                    relation_id: self.relation_id.clone(),
                });
            }
            let app = self.local_app().to_string();
            let data = self
                .tools
                .with(|t| t.relation_get_app(&self.relation_id, &app))?;
            self.to_publish_app = Some(PublishData::new(data));
        }
        Ok(self
            .to_publish_app
            .get_or_insert_with(|| PublishData::new(DataBag::new())))
    }

    /// Same data as [`Relation::to_publish_app`], for raw access.
    pub fn to_publish_app_raw(&mut self) -> Result<&mut PublishData, RelationDataError> {
        self.to_publish_app()
    }

    /// The remote application's data, each value JSON-decoded.
    pub fn received_app(&self) -> Result<DataView<'_>, ToolError> {
        Ok(DataView::new(self.received_app_raw()?))
    }

    /// The remote application's data as raw strings.
    pub fn received_app_raw(&self) -> Result<&DataBag, ToolError> {
        if let Some(data) = self.received_app.get() {
            return Ok(data);
        }
        let app = self.application_name().to_string();
        if let Some((_, row)) = self.app_snapshot.as_ref().filter(|(a, _)| *a == app) {
            if let Some(bag) = row.bag() {
                return Ok(self.received_app.get_or_init(|| bag));
            }
        }
        let data = self
            .tools
            .with(|t| t.relation_get_app(&self.relation_id, &app))?;
        self.app_read_by_tool.set(true);
        Ok(self.received_app.get_or_init(|| data))
    }

    /// Publish what changed: one `relation-set` per modified bag. Returns
    /// whether this unit's own bag was published.
    pub(crate) fn flush(&mut self) -> Result<bool, ToolError> {
        let mut unit_published = false;
        if let Some(data) = &mut self.to_publish {
            if data.is_modified() {
                let changes = data.changes();
                self.tools
                    .with(|t| t.relation_set(&self.relation_id, false, &changes))?;
                data.mark_published();
                unit_published = true;
            }
        }
        if let Some(data) = &mut self.to_publish_app {
            if data.is_modified() {
                let changes = data.changes();
                self.tools
                    .with(|t| t.relation_set(&self.relation_id, true, &changes))?;
                data.mark_published();
            }
        }
        Ok(unit_published)
    }
}
