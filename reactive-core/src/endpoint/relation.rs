//! `Relation`: one relation of an endpoint, its remote units and the data
//! this side publishes on it.

use std::cell::OnceCell;
use std::fmt;

use super::data::{DataView, PublishData};
use super::key_list::{KeyList, Keyed};
use super::unit::{CombinedUnits, RelatedUnit};
use crate::tools::handle::ToolsHandle;
use crate::tools::{DataBag, HookTools, ToolError};

/// Order relation ids by endpoint, then by number as a number (so `db:2`
/// sorts before `db:10`; charms.reactive compares the strings).
pub(crate) fn relation_order(a: &str, b: &str) -> std::cmp::Ordering {
    let split = |rid: &str| {
        let (name, n) = rid.rsplit_once(':').unwrap_or((rid, ""));
        (
            name.to_string(),
            n.parse::<u64>().unwrap_or(u64::MAX),
            rid.to_string(),
        )
    };
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
    to_publish_app: Option<PublishData>,
    received_app: OnceCell<DataBag>,
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
    pub(crate) fn new(
        relation_id: &str,
        local_unit: &str,
        unit_names: &[String],
        tools: ToolsHandle,
    ) -> Self {
        let mut units: Vec<RelatedUnit> = unit_names
            .iter()
            .map(|u| RelatedUnit::new(relation_id, u, tools.clone()))
            .collect();
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
            to_publish_app: None,
            received_app: OnceCell::new(),
            tools,
        }
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
        CombinedUnits::new(self.units.iter().collect())
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
        let data = self
            .tools
            .with(|t| t.relation_get_app(&self.relation_id, &app))?;
        Ok(self.received_app.get_or_init(|| data))
    }

    /// Publish what changed: one `relation-set` per modified bag.
    pub(crate) fn flush(&mut self) -> Result<(), ToolError> {
        if let Some(data) = &mut self.to_publish {
            if data.is_modified() {
                let changes = data.changes();
                self.tools
                    .with(|t| t.relation_set(&self.relation_id, false, &changes))?;
                data.mark_published();
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
        Ok(())
    }
}
