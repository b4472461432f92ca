//! The request index: which requests each remote unit's data holds, kept
//! in the unit state beside the relation-data snapshot.
//!
//! A responder endpoint (one using the request/response pattern to answer
//! requests) is asked for its flags in every hook and for its new,
//! malformed or changed requests by handlers. Reading every remote unit's
//! data for that costs time in proportion to the number of units. The
//! index names, for each remote unit, the canonical request ids in its data
//! and whether each reads as the endpoint's request type, so that only the
//! units holding the requests asked for are read and decoded.
//!
//! It is one row per endpoint,
//! `reactive.endpoints.requests.<endpoint>` =
//! `{"<relation id>": {"<unit>": {"<request id>": [<valid>, <answered>]}}}`,
//! written at the end of a hook in the same transaction as the snapshot
//! rows it describes, so the two always agree:
//!
//! - a unit whose data comes from the snapshot has the index's entry (no
//!   entry: no request);
//! - a unit read with `relation-get` in this hook is classified from its
//!   data, and its entry replaced at the end of the hook;
//! - whether this unit answered a request is as the index says unless the
//!   hook changed its `response_<id>` key in the endpoint's published data
//!   (then it is checked, and written at the end of the hook);
//! - departed units and broken relations leave the index with their rows;
//! - without the row (a new unit, a unit state written before the index
//!   existed or by charms.reactive, or after reading relation data fresh),
//!   and in `install` and `upgrade-charm` (new code may classify otherwise),
//!   every unit is classified once and the row written;
//! - reading relation data fresh ([`RelationDataMode::Fresh`](super::RelationDataMode::Fresh))
//!   drops the row, as it drops the snapshot.

use litemap::LiteMap;
use std::borrow::Cow;
use std::cell::{OnceCell, RefCell};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::base::EndpointBase;
use super::unit::RelatedUnit;
use crate::tools::{DataBag, ToolError};

/// The unit-state row of an endpoint's request index.
pub fn request_index_key(endpoint_name: &str) -> String {
    format!("reactive.endpoints.requests.{endpoint_name}")
}

/// What one relation data entry is to the request pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Classified<'a> {
    /// A request under a canonical id that reads as the request type.
    Valid(&'a str),
    /// A request under a canonical id that does not read as the request
    /// type (the reason why).
    Malformed(&'a str, String),
    /// A request key whose id is not canonical (the reason): never
    /// counted, never answered.
    Ignored(String),
}

/// Classify one entry (`None`: not a request key). Given by the request
/// pattern, which knows the request type.
pub(crate) type Classify = for<'a> fn(&'a str, &str) -> Option<Classified<'a>>;

/// What the index knows of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IdState {
    /// Whether it reads as the request type.
    pub(crate) valid: bool,
    /// Whether this unit answered it, as of the end of the hook that wrote
    /// the index (`None`: to be checked in this unit's data).
    pub(crate) answered: Option<bool>,
}

impl Serialize for IdState {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (self.valid, self.answered.unwrap_or(false)).serialize(s)
    }
}

impl<'de> Deserialize<'de> for IdState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (valid, answered) = <(bool, bool)>::deserialize(d)?;
        Ok(IdState {
            valid,
            answered: Some(answered),
        })
    }
}

/// One unit's requests: request id → what the index knows of it. A
/// sorted vector, not a tree: most units hold one request, and a tree
/// node for it would take ten times the room. Read from the row with no
/// spare capacity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub(crate) struct UnitRequests(LiteMap<String, IdState>);

impl UnitRequests {
    pub(crate) fn new() -> UnitRequests {
        UnitRequests::default()
    }
}

impl std::ops::Deref for UnitRequests {
    type Target = LiteMap<String, IdState>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for UnitRequests {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl<'de> Deserialize<'de> for UnitRequests {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut entries = LiteMap::<String, IdState>::deserialize(d)?.into_tuple_vec();
        entries.shrink_to_fit();
        // Sorted and unique: it comes from a map.
        Ok(UnitRequests(LiteMap::from_sorted_store_unchecked(entries)))
    }
}

/// Whether this unit answered request `id` of `unit` (the request
/// pattern's check, which knows the response type), given what the index
/// knows; warnings about answers that cannot be read go to the vector.
pub(crate) type CheckAnswer = fn(
    &EndpointBase,
    &RelatedUnit,
    &str,
    IdState,
    Option<&mut Vec<String>>,
) -> Result<bool, ToolError>;

/// The joined units holding requests, each with them.
pub(crate) type IndexedUnits<'a> = Vec<(&'a RelatedUnit, Cow<'a, UnitRequests>)>;

/// A request key of a unit's data that is malformed or was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Skipped {
    pub(crate) unit: String,
    pub(crate) relation_id: String,
    pub(crate) key: String,
    pub(crate) reason: String,
}

/// Classify every entry of a unit's data; `problems` gets the keys that
/// were skipped or are malformed, with the reasons.
pub(crate) fn classify_bag(
    data: &DataBag,
    classify: Classify,
    mut problems: Option<&mut Vec<(String, String)>>,
) -> UnitRequests {
    let mut requests = UnitRequests::new();
    for (key, raw) in data {
        let Some(kind) = classify(key, raw) else {
            continue;
        };
        match kind {
            Classified::Valid(id) => {
                requests.insert(
                    id.to_string(),
                    IdState {
                        valid: true,
                        answered: None,
                    },
                );
            }
            Classified::Malformed(id, reason) => {
                requests.insert(
                    id.to_string(),
                    IdState {
                        valid: false,
                        answered: None,
                    },
                );
                if let Some(p) = problems.as_deref_mut() {
                    p.push((key.clone(), reason));
                }
            }
            Classified::Ignored(reason) => {
                if let Some(p) = problems.as_deref_mut() {
                    p.push((key.clone(), reason));
                }
            }
        }
    }
    requests
}

/// The index: relation id → unit → its requests (units holding none are
/// left out), as sorted vectors: read whole in the hooks that need it,
/// looked up by binary search.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct RequestIndex(LiteMap<String, LiteMap<String, UnitRequests>>);

impl RequestIndex {
    /// Read the row's JSON text; `None` for anything but the expected
    /// shape (then the index is built again from the units' data).
    pub(crate) fn from_text(text: &str) -> Option<RequestIndex> {
        serde_json::from_str(text).ok()
    }

    /// A joined unit's requests as indexed: looked up by name the first
    /// time in a hook, then by the position the unit keeps.
    fn entry_of(&self, unit: &RelatedUnit) -> Option<&UnitRequests> {
        let position = match unit.index_position() {
            Some(known) => known,
            None => {
                let found = self.position(unit.relation_id(), unit.unit_name());
                unit.set_index_position(found);
                found
            }
        };
        let (relation, at) = position?;
        let (_, units) = self.0.get_indexed(relation as usize)?;
        units.get_indexed(at as usize).map(|(_, requests)| requests)
    }

    /// Where a unit's entry is: its relation's and its own place.
    fn position(&self, relation_id: &str, unit: &str) -> Option<(u32, u32)> {
        let relation = self.0.find_index(relation_id).ok()?;
        let (_, units) = self.0.get_indexed(relation)?;
        let at = units.find_index(unit).ok()?;
        Some((u32::try_from(relation).ok()?, u32::try_from(at).ok()?))
    }

    /// The number of units the index holds, over every relation.
    fn unit_count(&self) -> usize {
        self.0.values().map(LiteMap::len).sum()
    }

    fn set_unit(&mut self, relation_id: &str, unit: &str, requests: UnitRequests) {
        if requests.is_empty() {
            if let Some(units) = self.0.get_mut(relation_id) {
                units.remove(unit);
                if units.is_empty() {
                    self.0.remove(relation_id);
                }
            }
        } else if let Some(units) = self.0.get_mut(relation_id) {
            units.insert(unit.to_string(), requests);
        } else {
            let mut units = LiteMap::new();
            units.insert(unit.to_string(), requests);
            self.0.insert(relation_id.to_string(), units);
        }
    }
}

/// An endpoint instance's request index: how its request type classifies
/// entries, and the index as the unit state held it when the hook started.
/// Inactive (no classifier) for an endpoint without the responder pattern,
/// and in an action, whose endpoints compute no flags: the request pattern
/// then reads every unit.
#[derive(Debug, Clone, Default)]
pub(crate) struct RequestIndexSlot {
    classify: Option<Classify>,
    check: Option<CheckAnswer>,
    /// Whether the unit state held the row when the hook started.
    had_row: bool,
    /// The row's text until it is parsed, when first needed (a hook whose
    /// flags are up to date may need none of it).
    text: RefCell<Option<String>>,
    parsed: OnceCell<Option<RequestIndex>>,
}

impl RequestIndexSlot {
    /// Activate the index with the request type's classifier and answer
    /// check, and the row's text as read (`None`: no row).
    pub(crate) fn start(&mut self, classify: Classify, check: CheckAnswer, text: Option<String>) {
        self.classify = Some(classify);
        self.check = Some(check);
        self.had_row = text.is_some();
        self.text = RefCell::new(text);
        self.parsed = OnceCell::new();
    }

    /// The index as the row holds it (`None`: no row, or one that does not
    /// read as an index).
    fn stored(&self) -> Option<&RequestIndex> {
        self.parsed
            .get_or_init(|| {
                self.text
                    .take()
                    .as_deref()
                    .and_then(RequestIndex::from_text)
            })
            .as_ref()
    }

    /// The classifier, when the index is active.
    pub(crate) fn classify(&self) -> Option<Classify> {
        self.classify
    }
}

/// A unit's requests: the index's entry when its data comes from the
/// snapshot (and the index was read), else classified from its data.
fn entry_for<'a>(
    slot: &'a RequestIndexSlot,
    classify: Classify,
    unit: &RelatedUnit,
    problems: Option<&mut Vec<(String, String)>>,
) -> Result<Cow<'a, UnitRequests>, ToolError> {
    let stored = slot.stored();
    let indexed = stored.and_then(|stored| stored.entry_of(unit));
    if stored.is_some() && unit.is_from_snapshot() {
        return Ok(match indexed {
            Some(requests) => Cow::Borrowed(requests),
            None => Cow::Owned(UnitRequests::new()),
        });
    }
    let mut requests = classify_bag(unit.received_raw()?, classify, problems);
    // Whether a request was answered depends on this unit's data alone
    // (and on whether the request reads as the type): what the index knew
    // of an id still holds.
    if let Some(indexed) = indexed {
        for (id, state) in requests.iter_mut() {
            if let Some(known) = indexed.get(id).filter(|k| k.valid == state.valid) {
                state.answered = known.answered;
            }
        }
    }
    Ok(Cow::Owned(requests))
}

/// A unit's requests with whether this unit answered each, as the index
/// stores them.
fn entry_to_save(
    slot: &RequestIndexSlot,
    classify: Classify,
    check: CheckAnswer,
    base: &EndpointBase,
    unit: &RelatedUnit,
) -> Result<UnitRequests, ToolError> {
    let mut requests = entry_for(slot, classify, unit, None)?.into_owned();
    for (id, state) in requests.iter_mut() {
        state.answered = Some(check(base, unit, id, *state, None)?);
    }
    Ok(requests)
}

/// Whether the index to save is the stored one, when this hook answered
/// nothing: a unit whose data comes from the snapshot has its stored entry
/// (that is where it is read from), so only the units read in this hook
/// are classified and compared, and every stored unit must still be
/// listed (a departed unit, or a broken relation's, leaves the index).
/// Lookups only: no entry is copied for the units of the snapshot.
fn unchanged(
    slot: &RequestIndexSlot,
    classify: Classify,
    check: CheckAnswer,
    base: &EndpointBase,
    units: &[&RelatedUnit],
) -> Result<bool, ToolError> {
    let Some(stored) = slot.stored() else {
        return Ok(false);
    };
    let mut listed = 0;
    for unit in units {
        let was = stored.entry_of(unit);
        listed += usize::from(was.is_some());
        if unit.is_from_snapshot() {
            continue;
        }
        let now = entry_to_save(slot, classify, check, base, unit)?;
        let same = match was {
            Some(was) => *was == now,
            None => now.is_empty(),
        };
        if !same {
            return Ok(false);
        }
    }
    Ok(listed == stored.unit_count())
}

impl EndpointBase {
    /// Each joined unit holding requests, with them, in the order of
    /// [`all_joined_units`](EndpointBase::all_joined_units); `None` when
    /// the index is inactive. Units whose data comes from the snapshot are
    /// answered from the index; the others are read and classified, their
    /// skipped or malformed keys going to `problems`.
    pub(crate) fn indexed_requests(
        &self,
        mut problems: Option<&mut Vec<Skipped>>,
    ) -> Result<Option<IndexedUnits<'_>>, ToolError> {
        let slot = self.request_index();
        let Some(classify) = slot.classify() else {
            return Ok(None);
        };
        let mut found = Vec::new();
        for unit in self.all_joined_units().iter() {
            let mut unit_problems = Vec::new();
            let requests = entry_for(slot, classify, unit, Some(&mut unit_problems))?;
            if let Some(p) = problems.as_deref_mut() {
                p.extend(unit_problems.into_iter().map(|(key, reason)| Skipped {
                    unit: unit.unit_name().to_string(),
                    relation_id: unit.relation_id().to_string(),
                    key,
                    reason,
                }));
            }
            if !requests.is_empty() {
                found.push((unit, requests));
            }
        }
        Ok(Some(found))
    }

    /// The index to write at the end of the hook: `Ok(None)` when the row
    /// needs no change (or the index is inactive), `Ok(Some(None))` when it
    /// must be dropped (a unit's data was never loaded, so the index could
    /// not say what it holds: the next hook builds it again).
    /// `broken_relation`: the relation of a `-broken` hook, left out.
    pub(crate) fn request_index_to_save(
        &self,
        broken_relation: Option<&str>,
    ) -> Result<Option<Option<RequestIndex>>, ToolError> {
        let slot = self.request_index();
        let Some(classify) = slot.classify() else {
            return Ok(None);
        };
        let units: Vec<&RelatedUnit> = self
            .relations()
            .iter()
            .filter(|r| Some(r.relation_id()) != broken_relation)
            .flat_map(|r| r.unit_list().iter())
            .collect();
        let read_in_hook = units.iter().any(|u| !u.is_from_snapshot());
        let answered_in_hook = self.relations().iter().any(|r| r.is_published_modified());
        // Nothing changed: the row stands (unparsed, if no one needed it).
        if slot.had_row && !read_in_hook && !answered_in_hook && !self.remote_data_changed() {
            return Ok(None);
        }
        let Some(check) = slot.check else {
            return Ok(None);
        };
        if units
            .iter()
            .any(|u| !u.is_from_snapshot() && !u.is_data_loaded())
        {
            return Ok(Some(None));
        }
        if !answered_in_hook
            && slot.stored().is_some()
            && unchanged(slot, classify, check, self, &units)?
        {
            return Ok(None);
        }
        let mut index = RequestIndex::default();
        for unit in units {
            let requests = entry_to_save(slot, classify, check, self, unit)?;
            index.set_unit(unit.relation_id(), unit.unit_name(), requests);
        }
        if slot.stored() == Some(&index) {
            return Ok(None);
        }
        Ok(Some(Some(index)))
    }
}
