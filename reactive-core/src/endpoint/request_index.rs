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
//! It is one row per endpoint, `reactive.endpoints.requests.<endpoint>`,
//! whose value is one JSON string of entries separated by `;`, each
//! `<relation id> <unit> <request id> <state>` (separated by spaces):
//! one entry per request of each unit (units holding none are left out),
//! ordered by relation, unit (as units are listed) and request id, where
//! `<state>` is 1 for a request that reads as the request type, plus 2 if
//! this unit answered it. For example
//! `"db:3 app/0 00534641-c568-42b1-bbfc-d02b545036c5 3;db:3 app/1 …"`.
//! Relation ids, unit names and canonical request ids never hold a space,
//! a `;`, a quote or a backslash, so the string needs no escape: reading
//! it splits the row's text in place, with no copy of its names and no
//! JSON decoding, and a hook that reads a thousand units' entries reads
//! one list of positions in it. (An index whose names would need one is
//! not written: the next hook classifies every unit again.) It is written
//! at the end of a hook in the same transaction as the snapshot rows it
//! describes, so the two always agree:
//!
//! - a unit whose data comes from the snapshot has the index's entry (no
//!   entry: no request);
//! - a unit read with `relation-get` in this hook is classified from its
//!   data, and its entry replaced at the end of the hook;
//! - whether this unit answered a request is as the index says unless the
//!   hook changed its `response_<id>` key in the endpoint's published data
//!   (then it is checked, and written at the end of the hook);
//! - departed units and broken relations leave the index with their rows;
//! - without the row, or with one that does not read as above (a new unit,
//!   a unit state written before the index existed, by an earlier version
//!   of it, or by charms.reactive, or after reading relation data fresh),
//!   and in `install` and `upgrade-charm` (new code may classify
//!   otherwise), every unit is classified once and the row written;
//! - reading relation data fresh ([`RelationDataMode::Fresh`](super::RelationDataMode::Fresh))
//!   drops the row, as it drops the snapshot.

use std::borrow::Cow;
use std::cell::{Cell, OnceCell, RefCell};
use std::cmp::Ordering;
use std::ops::Range;

use super::base::EndpointBase;
use super::relation::relation_order;
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

impl IdState {
    /// The state as the row stores it: 1 if valid, plus 2 if answered.
    fn to_bits(self) -> u8 {
        u8::from(self.valid) | (u8::from(self.answered.unwrap_or(false)) << 1)
    }

    fn from_bits(bits: u8) -> Option<IdState> {
        (bits <= 3).then_some(IdState {
            valid: bits & 1 != 0,
            answered: Some(bits & 2 != 0),
        })
    }
}

/// One unit's requests, sorted by request id: borrowed from the stored
/// index, or classified from the unit's data in this hook.
#[derive(Debug, Clone)]
pub(crate) enum UnitRequests<'a> {
    /// The index's entry: positions in the row's text.
    Stored { text: &'a str, ids: &'a [StoredId] },
    /// Read in this hook.
    Read(Vec<(String, IdState)>),
}

impl<'a> UnitRequests<'a> {
    /// No requests.
    pub(crate) fn none() -> UnitRequests<'a> {
        UnitRequests::Read(Vec::new())
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            UnitRequests::Stored { ids, .. } => ids.len(),
            UnitRequests::Read(read) => read.len(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn at(&self, i: usize) -> (&str, IdState) {
        match self {
            UnitRequests::Stored { text, ids } => (ids[i].id.of(text), ids[i].state),
            UnitRequests::Read(read) => (read[i].0.as_str(), read[i].1),
        }
    }

    /// Each request id with what the index knows of it, by id.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, IdState)> + '_ {
        (0..self.len()).map(|i| self.at(i))
    }

    /// The request ids, sorted.
    pub(crate) fn ids(&self) -> impl Iterator<Item = &str> + '_ {
        self.iter().map(|(id, _)| id)
    }

    /// Put the request ids into `set`: borrowed from the stored index's
    /// text, or moved out of the entry read in this hook.
    pub(crate) fn move_ids_into(self, set: &mut crate::request::ReceivedIds<'a>) {
        match self {
            UnitRequests::Stored { text, ids } => {
                set.extend(ids.iter().map(|stored| Cow::Borrowed(stored.id.of(text))));
            }
            UnitRequests::Read(read) => set.extend(read.into_iter().map(|(id, _)| Cow::Owned(id))),
        }
    }

    fn get(&self, id: &str) -> Option<IdState> {
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let mid = (low + high) / 2;
            let (at, state) = self.at(mid);
            match at.cmp(id) {
                Ordering::Less => low = mid + 1,
                Ordering::Greater => high = mid,
                Ordering::Equal => return Some(state),
            }
        }
        None
    }

    /// The same requests in the same states.
    fn same_as(&self, other: &UnitRequests<'_>) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a == b)
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
pub(crate) type IndexedUnits<'a> = Vec<(&'a RelatedUnit, UnitRequests<'a>)>;

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
) -> Vec<(String, IdState)> {
    let mut requests = Vec::new();
    for (key, raw) in data {
        let Some(kind) = classify(key, raw) else {
            continue;
        };
        let (id, valid) = match kind {
            Classified::Valid(id) => (id, true),
            Classified::Malformed(id, reason) => {
                if let Some(p) = problems.as_deref_mut() {
                    p.push((key.clone(), reason));
                }
                (id, false)
            }
            Classified::Ignored(reason) => {
                if let Some(p) = problems.as_deref_mut() {
                    p.push((key.clone(), reason));
                }
                continue;
            }
        };
        let state = IdState {
            valid,
            answered: None,
        };
        requests.push((id.to_string(), state));
    }
    // Keys are unique, and so the ids they carry.
    requests.sort_by(|a, b| a.0.cmp(&b.0));
    requests
}

/// A range of the stored row's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u32,
    end: u32,
}

impl Span {
    /// Where `part`, a slice of `text`, lies in it.
    fn within(text: &str, part: &str) -> Option<Span> {
        let start = (part.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
        let end = start.checked_add(part.len())?;
        (end <= text.len()).then_some(())?;
        Some(Span {
            start: u32::try_from(start).ok()?,
            end: u32::try_from(end).ok()?,
        })
    }

    fn of(self, text: &str) -> &str {
        &text[self.start as usize..self.end as usize]
    }
}

/// One request of the stored index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredId {
    id: Span,
    state: IdState,
}

/// One unit of the stored index: its names and its requests' place.
#[derive(Debug, Clone)]
struct StoredUnit {
    relation: Span,
    unit: Span,
    ids: Range<u32>,
}

/// One entry of the row: relation id, unit, request id, state bits.
#[cfg(test)]
type Entry<'a> = (&'a str, &'a str, &'a str, u8);

/// What separates the row's entries, and an entry's fields.
const ENTRY_SEPARATOR: u8 = b';';
const FIELD_SEPARATOR: u8 = b' ';

/// About the length of one entry (for a first guess of the number of
/// entries in a row).
const ENTRY_LEN_GUESS: usize = 64;

/// The entries of a row's text: the inside of a JSON string that holds no
/// quote and no escape (`None` for any other text).
fn entries_of(text: &str) -> Option<&str> {
    let body = text.strip_prefix('"')?.strip_suffix('"')?;
    memchr::memchr2(b'"', b'\\', body.as_bytes())
        .is_none()
        .then_some(body)
}

/// Whether a name can stand in the row as it is: not empty, and no
/// separator, quote, backslash or control character.
fn fits_row(name: &str) -> bool {
    /// The bytes a name may hold, by value.
    const FITS: [bool; 256] = {
        let mut fits = [true; 256];
        let mut b = 0;
        while b < 0x20 {
            fits[b] = false;
            b += 1;
        }
        fits[b'"' as usize] = false;
        fits[b'\\' as usize] = false;
        fits[FIELD_SEPARATOR as usize] = false;
        fits[ENTRY_SEPARATOR as usize] = false;
        fits
    };
    !name.is_empty() && name.bytes().all(|b| FITS[usize::from(b)])
}

/// The row's text for `entries` (`None` when a name cannot stand in it);
/// `len_guess`: about how long it will be.
fn row_text<R, U, I>(
    entries: impl IntoIterator<Item = (R, U, I, u8)>,
    len_guess: usize,
) -> Option<String>
where
    R: AsRef<str>,
    U: AsRef<str>,
    I: AsRef<str>,
{
    let mut text = String::with_capacity(len_guess + 2);
    text.push('"');
    for (i, (relation, unit, id, bits)) in entries.into_iter().enumerate() {
        let (relation, unit, id) = (relation.as_ref(), unit.as_ref(), id.as_ref());
        if ![relation, unit, id].into_iter().all(fits_row) || bits > 3 {
            return None;
        }
        if i > 0 {
            text.push(char::from(ENTRY_SEPARATOR));
        }
        for field in [relation, unit, id] {
            text.push_str(field);
            text.push(char::from(FIELD_SEPARATOR));
        }
        text.push(char::from(b'0' + bits));
    }
    text.push('"');
    Some(text)
}

/// The index as the row holds it: the row's text, and positions in it.
#[derive(Debug, Clone)]
pub(crate) struct RequestIndex {
    text: String,
    units: Vec<StoredUnit>,
    ids: Vec<StoredId>,
    /// Where the next unit looked up is likely to be.
    next: Cell<u32>,
    /// The units' places, sorted by relation id and name (when needed).
    by_name: OnceCell<Vec<u32>>,
}

impl RequestIndex {
    /// Read the row's text; `None` for anything but the expected shape,
    /// with each unit's entries together and its request ids in order,
    /// each once (then the index is built again from the units' data).
    pub(crate) fn from_text(text: String) -> Option<RequestIndex> {
        let body = entries_of(&text)?;
        let mut units: Vec<StoredUnit> = Vec::new();
        let mut ids = Vec::with_capacity(body.len() / ENTRY_LEN_GUESS + 1);
        let mut last: Option<[&str; 3]> = None;
        // One pass over the separators: an entry is three fields each
        // ended by a space, then its state, ended by a `;` or the end.
        let mut fields = [""; 4];
        let (mut field, mut start) = (0, 0);
        let ends = memchr::memchr2_iter(FIELD_SEPARATOR, ENTRY_SEPARATOR, body.as_bytes());
        for end in ends.chain((!body.is_empty()).then_some(body.len())) {
            let ends_entry = body.as_bytes().get(end) != Some(&FIELD_SEPARATOR);
            if field > 3 || ends_entry != (field == 3) || end == start {
                return None;
            }
            fields[field] = &body[start..end];
            (field, start) = (field + 1, end + 1);
            if !ends_entry {
                continue;
            }
            field = 0;
            let [relation, unit, id, bits] = fields;
            let state = match bits.as_bytes() {
                [digit @ b'0'..=b'3'] => IdState::from_bits(digit - b'0')?,
                _ => return None,
            };
            let same_unit = match last {
                Some([r, u, last_id]) if r == relation && u == unit => {
                    (last_id < id).then_some(true)?
                }
                _ => false,
            };
            let at = u32::try_from(ids.len()).ok()?;
            ids.push(StoredId {
                id: Span::within(&text, id)?,
                state,
            });
            match units.last_mut() {
                Some(current) if same_unit => current.ids.end = at + 1,
                _ => units.push(StoredUnit {
                    relation: Span::within(&text, relation)?,
                    unit: Span::within(&text, unit)?,
                    ids: at..at + 1,
                }),
            }
            last = Some([relation, unit, id]);
        }
        Some(RequestIndex {
            text,
            units,
            ids,
            next: Cell::new(0),
            by_name: OnceCell::new(),
        })
    }

    /// A joined unit's requests as indexed: looked up by name the first
    /// time in a hook, then by the position the unit keeps.
    fn entry_of(&self, unit: &RelatedUnit) -> Option<UnitRequests<'_>> {
        self.entry_at(self.place_of(unit)?)
    }

    /// Where a joined unit's entry is among the index's units (`None`: it
    /// has none): looked up by name the first time in a hook, then by the
    /// position the unit keeps.
    fn place_of(&self, unit: &RelatedUnit) -> Option<u32> {
        match unit.index_position() {
            Some(known) => known,
            None => {
                let found = self.position(unit.relation_id(), unit.unit_name());
                unit.set_index_position(found);
                found
            }
        }
    }

    /// The requests of the index's unit at `position`.
    fn entry_at(&self, position: u32) -> Option<UnitRequests<'_>> {
        let stored = self.units.get(position as usize)?;
        let ids = self
            .ids
            .get(stored.ids.start as usize..stored.ids.end as usize)?;
        Some(UnitRequests::Stored {
            text: &self.text,
            ids,
        })
    }

    /// Where a unit's entry is among the index's units. Units are looked
    /// up in the order the index lists them (the order of
    /// [`all_joined_units`](EndpointBase::all_joined_units)), so the place
    /// after the last one found is tried first; otherwise a binary search
    /// of the units sorted by name (sorted on the first miss: a unit with
    /// no entry, or another order).
    fn position(&self, relation_id: &str, unit: &str) -> Option<u32> {
        let text = self.text.as_str();
        let names = |at: usize| {
            let u = &self.units[at];
            (u.relation.of(text), u.unit.of(text))
        };
        let next = self.next.get() as usize;
        let at = if next < self.units.len() && names(next) == (relation_id, unit) {
            next
        } else {
            let by_name = self.by_name.get_or_init(|| {
                let mut order: Vec<u32> = (0..self.units.len() as u32).collect();
                // Stable: of a unit listed twice (by hand), the first.
                order.sort_by(|&a, &b| names(a as usize).cmp(&names(b as usize)));
                order
            });
            let found = by_name.partition_point(|&at| names(at as usize) < (relation_id, unit));
            let at = *by_name.get(found)? as usize;
            (names(at) == (relation_id, unit)).then_some(at)?
        };
        let at = u32::try_from(at).ok()?;
        self.next.set(at + 1);
        Some(at)
    }

    /// The number of units the index holds, over every relation.
    fn unit_count(&self) -> usize {
        self.units.len()
    }

    /// The row's text with the entries of the units at the places `kept`
    /// marks and no others: the stored text of each, in the stored order.
    fn text_keeping(&self, kept: &[bool]) -> String {
        let mut text = String::with_capacity(self.text.len());
        text.push('"');
        let kept_units = self.units.iter().zip(kept).filter(|(_, &keep)| keep);
        for (i, (unit, _)) in kept_units.enumerate() {
            // From its first entry's relation id to its last entry's state
            // (one digit after a space).
            let last = unit.ids.end.checked_sub(1).map(|at| &self.ids[at as usize]);
            let Some(last) = last else { continue };
            if i > 0 {
                text.push(char::from(ENTRY_SEPARATOR));
            }
            text.push_str(&self.text[unit.relation.start as usize..last.id.end as usize + 2]);
        }
        text.push('"');
        text
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
            .get_or_init(|| self.text.take().and_then(RequestIndex::from_text))
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
) -> Result<UnitRequests<'a>, ToolError> {
    let stored = slot.stored();
    let indexed = stored.and_then(|stored| stored.entry_of(unit));
    if stored.is_some() && unit.is_from_snapshot() {
        return Ok(indexed.unwrap_or_else(UnitRequests::none));
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
    Ok(UnitRequests::Read(requests))
}

/// [`entry_for`], its skipped or malformed keys added to `problems` as
/// [`Skipped`].
fn entry_noting_problems<'a>(
    slot: &'a RequestIndexSlot,
    classify: Classify,
    unit: &RelatedUnit,
    problems: Option<&mut Vec<Skipped>>,
) -> Result<UnitRequests<'a>, ToolError> {
    let mut unit_problems = Vec::new();
    let requests = entry_for(slot, classify, unit, Some(&mut unit_problems))?;
    if let Some(p) = problems {
        p.extend(unit_problems.into_iter().map(|(key, reason)| Skipped {
            unit: unit.unit_name().to_string(),
            relation_id: unit.relation_id().to_string(),
            key,
            reason,
        }));
    }
    Ok(requests)
}

/// A unit's requests with whether this unit answered each, as the index
/// stores them.
fn entry_to_save<'a>(
    slot: &'a RequestIndexSlot,
    classify: Classify,
    check: CheckAnswer,
    base: &EndpointBase,
    unit: &RelatedUnit,
) -> Result<UnitRequests<'a>, ToolError> {
    let requests = entry_for(slot, classify, unit, None)?;
    let is_read = matches!(requests, UnitRequests::Read(_));
    let mut checked: Option<Vec<(String, IdState)>> = None;
    for (i, (id, state)) in requests.iter().enumerate() {
        let answered = Some(check(base, unit, id, state, None)?);
        if checked.is_none() && (is_read || state.answered != answered) {
            // The entries before this one hold as they are.
            checked = Some(
                requests
                    .iter()
                    .take(i)
                    .map(|(id, state)| (id.to_string(), state))
                    .collect(),
            );
        }
        if let Some(checked) = checked.as_mut() {
            checked.push((id.to_string(), IdState { answered, ..state }));
        }
    }
    // A stored entry whose answers still hold is kept as it is, uncopied.
    Ok(match checked {
        Some(checked) => UnitRequests::Read(checked),
        None => requests,
    })
}

/// The index to save against the stored one, when this hook answered
/// nothing.
enum Against {
    /// The stored index as it is.
    Same,
    /// The stored index without the units not marked (departed units, a
    /// broken relation's), each kept unit's entry as it is.
    Keeping(Vec<bool>),
    /// Some unit read in this hook holds other requests: built again.
    Differs,
}

/// The index to save against the stored one, when this hook answered
/// nothing: a unit whose data comes from the snapshot has its stored entry
/// (that is where it is read from), so only the units read in this hook
/// are classified and compared; a stored unit no longer listed (a departed
/// unit, or a broken relation's) leaves the index. Lookups only: no entry
/// is copied for the units of the snapshot.
fn against_stored(
    stored: &RequestIndex,
    slot: &RequestIndexSlot,
    classify: Classify,
    check: CheckAnswer,
    base: &EndpointBase,
    units: &[&RelatedUnit],
) -> Result<Against, ToolError> {
    let mut listed = vec![false; stored.unit_count()];
    for unit in units {
        let place = stored.place_of(unit);
        if let Some(at) = place {
            listed[at as usize] = true;
        }
        if unit.is_from_snapshot() {
            continue;
        }
        let now = entry_to_save(slot, classify, check, base, unit)?;
        let same = match place.and_then(|at| stored.entry_at(at)) {
            Some(was) => was.same_as(&now),
            None => now.is_empty(),
        };
        if !same {
            return Ok(Against::Differs);
        }
    }
    Ok(if listed.iter().all(|&l| l) {
        Against::Same
    } else {
        Against::Keeping(listed)
    })
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
        let units = self.all_joined_units();
        let mut found = Vec::with_capacity(units.len());
        for unit in units.iter() {
            let requests = entry_noting_problems(slot, classify, unit, problems.as_deref_mut())?;
            if !requests.is_empty() {
                found.push((unit, requests));
            }
        }
        Ok(Some(found))
    }

    /// The joined units holding a request whose id `wanted` accepts, in
    /// the order of [`all_joined_units`](EndpointBase::all_joined_units);
    /// `None` when the index is inactive. As
    /// [`indexed_requests`](EndpointBase::indexed_requests) filtered, with
    /// no list of every unit's requests made on the way.
    pub(crate) fn units_holding(
        &self,
        wanted: impl Fn(&str) -> bool,
    ) -> Result<Option<Vec<&RelatedUnit>>, ToolError> {
        let slot = self.request_index();
        let Some(classify) = slot.classify() else {
            return Ok(None);
        };
        let mut found = Vec::new();
        for unit in self.all_joined_units().iter() {
            if entry_for(slot, classify, unit, None)?.ids().any(&wanted) {
                found.push(unit);
            }
        }
        Ok(Some(found))
    }

    /// The joined units read in this hook that hold requests, with them,
    /// and whether a unit whose data comes from the snapshot holds any;
    /// `None` when the index is inactive or the unit state held
    /// none. What the responder's flags need when the units of the
    /// snapshot are known to hold no unanswered request: work in
    /// proportion to the units read, not to all units.
    pub(crate) fn requests_read_in_hook(
        &self,
        mut problems: Option<&mut Vec<Skipped>>,
    ) -> Result<Option<(IndexedUnits<'_>, bool)>, ToolError> {
        let slot = self.request_index();
        let (Some(classify), Some(stored)) = (slot.classify(), slot.stored()) else {
            return Ok(None);
        };
        let mut read = Vec::new();
        let mut stored_any = false;
        for unit in self.all_joined_units().iter() {
            // Every unit's place, in the index's order: one comparison of
            // names each (a unit read in the hook is then found without a
            // search), and the hook's later passes find them known.
            let place = stored.place_of(unit);
            if unit.is_from_snapshot() {
                stored_any |= place.is_some();
                continue;
            }
            let requests = entry_noting_problems(slot, classify, unit, problems.as_deref_mut())?;
            if !requests.is_empty() {
                read.push((unit, requests));
            }
        }
        Ok(Some((read, stored_any)))
    }

    /// The row to write at the end of the hook (JSON text): `Ok(None)`
    /// when it needs no change (or the index is inactive),
    /// `Ok(Some(None))` when it must be dropped (a unit's data was never
    /// loaded, so the index could not say what it holds: the next hook
    /// builds it again). `broken_relation`: the relation of a `-broken`
    /// hook, left out.
    pub(crate) fn request_index_to_save(
        &self,
        broken_relation: Option<&str>,
    ) -> Result<Option<Option<String>>, ToolError> {
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
        if let Some(stored) = slot.stored().filter(|_| !answered_in_hook) {
            match against_stored(stored, slot, classify, check, self, &units)? {
                Against::Same => return Ok(None),
                Against::Keeping(kept) => return Ok(Some(Some(stored.text_keeping(&kept)))),
                Against::Differs => {}
            }
        }
        let mut entries: Vec<(&RelatedUnit, UnitRequests<'_>)> = Vec::with_capacity(units.len());
        for unit in units {
            let requests = entry_to_save(slot, classify, check, self, unit)?;
            if !requests.is_empty() {
                entries.push((unit, requests));
            }
        }
        // Each relation lists its units in order: the relations in order
        // (stable, and cheap when they are), the entries are in the order
        // of `all_joined_units`, the order lookups go in.
        entries.sort_by(|(a, _), (b, _)| {
            let (a, b) = (a.relation_id(), b.relation_id());
            if a == b {
                Ordering::Equal
            } else {
                relation_order(a, b)
            }
        });
        let flat = entries.iter().flat_map(|(unit, requests)| {
            requests
                .iter()
                .map(|(id, state)| (unit.relation_id(), unit.unit_name(), id, state.to_bits()))
        });
        // A name that cannot stand in the row as it is (Juju gives none):
        // no row, and the next hook classifies every unit again.
        let len_guess = slot.stored().map_or(0, |stored| stored.text.len());
        let Some(text) = row_text(flat, len_guess) else {
            return Ok(Some(None));
        };
        if slot.stored().is_some_and(|stored| stored.text == text) {
            return Ok(None);
        }
        Ok(Some(Some(text)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID_A: &str = "00534641-c568-42b1-bbfc-d02b545036c5";
    const ID_B: &str = "7d5c3f1e-0000-4000-8000-000000000001";

    fn row(entries: &[Entry<'_>]) -> String {
        row_text(entries.iter().copied(), 0).unwrap()
    }

    #[test]
    fn a_row_without_some_units_keeps_the_others_entries_as_they_are() {
        let all: [Entry<'_>; 4] = [
            ("db:1", "app/0", ID_A, 3),
            ("db:1", "app/1", ID_A, 1),
            ("db:1", "app/1", ID_B, 0),
            ("db:2", "other/0", ID_B, 2),
        ];
        let index = RequestIndex::from_text(row(&all)).unwrap();
        assert_eq!(index.unit_count(), 3);
        let keeping = |kept: &[bool]| index.text_keeping(kept);
        assert_eq!(keeping(&[true, true, true]), row(&all));
        assert_eq!(keeping(&[false, true, true]), row(&all[1..]));
        assert_eq!(keeping(&[true, true, false]), row(&all[..3]));
        assert_eq!(keeping(&[true, false, true]), row(&[all[0], all[3]]));
        assert_eq!(keeping(&[false, false, false]), row(&[]));
        // What it writes reads back.
        let kept = RequestIndex::from_text(keeping(&[true, false, true])).unwrap();
        assert_eq!(kept.unit_count(), 2);
    }

    #[test]
    fn a_row_reads_into_units_with_their_requests_in_place() {
        let text = row(&[
            ("scrape:1", "t/2", ID_A, 1),
            ("scrape:1", "t/2", ID_B, 3),
            ("scrape:1", "t/10", ID_A, 0),
            ("scrape:7", "t/1", ID_B, 2),
        ]);
        let index = RequestIndex::from_text(text).unwrap();
        assert_eq!(index.unit_count(), 3);
        // In the index's order, out of it, and a unit it does not hold.
        assert_eq!(index.position("scrape:1", "t/2"), Some(0));
        assert_eq!(index.position("scrape:1", "t/10"), Some(1));
        assert_eq!(index.position("scrape:7", "t/1"), Some(2));
        assert_eq!(index.position("scrape:1", "t/10"), Some(1));
        assert_eq!(index.position("scrape:7", "t/2"), None);
        assert_eq!(index.position("scrape:1", "t/2"), Some(0));
        assert_eq!(index.position("scrape:1", "t/3"), None);
        let stored = &index.units[0];
        let requests = UnitRequests::Stored {
            text: &index.text,
            ids: &index.ids[stored.ids.start as usize..stored.ids.end as usize],
        };
        let got: Vec<(&str, IdState)> = requests.iter().collect();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0, ID_A);
        assert_eq!(
            got[0].1,
            IdState {
                valid: true,
                answered: Some(false)
            }
        );
        assert_eq!(
            got[1].1,
            IdState {
                valid: true,
                answered: Some(true)
            }
        );
        assert_eq!(requests.get(ID_B).map(|s| s.answered), Some(Some(true)));
        assert_eq!(requests.get("nope"), None);
    }

    #[test]
    fn rows_of_other_shapes_or_out_of_order_do_not_read() {
        for bad in [
            // The nested and the JSON-list shapes of earlier versions.
            format!(r#"{{"scrape:1": {{"t/0": {{"{ID_A}": [true, true]}}}}}}"#),
            format!(r#"[["scrape:1", "t/1", "{ID_A}", 1]]"#),
            // A unit's ids out of order, an id twice, a bad state.
            row(&[("scrape:1", "t/1", ID_B, 1), ("scrape:1", "t/1", ID_A, 1)]),
            row(&[("scrape:1", "t/1", ID_A, 1), ("scrape:1", "t/1", ID_A, 1)]),
            format!(r#""scrape:1 t/1 {ID_A} 4""#),
            format!(r#""scrape:1 t/1 {ID_A} 11""#),
            // A field missing or one too many, an empty one, an empty entry.
            format!(r#""scrape:1 t/1 {ID_A}""#),
            format!(r#""scrape:1 t/1 {ID_A} 1 x""#),
            format!(r#""scrape:1  {ID_A} 1""#),
            format!(r#""scrape:1 t/1 {ID_A} 1;""#),
            // An escape: the text cannot be pointed at.
            format!(r#""scrape:1 t\/1 {ID_A} 1""#),
            "\"unterminated".to_string(),
            "nonsense".to_string(),
        ] {
            assert!(RequestIndex::from_text(bad.clone()).is_none(), "{bad}");
        }
        let empty = RequestIndex::from_text(r#""""#.to_string()).unwrap();
        assert_eq!(empty.unit_count(), 0);
    }

    #[test]
    fn a_row_is_one_json_string_and_names_that_need_escapes_make_none() {
        let text = row(&[("scrape:1", "t/2", ID_A, 3), ("scrape:1", "t/10", ID_B, 0)]);
        assert_eq!(
            text,
            format!(r#""scrape:1 t/2 {ID_A} 3;scrape:1 t/10 {ID_B} 0""#)
        );
        let decoded: String = serde_json::from_str(&text).unwrap();
        assert_eq!(decoded.len() + 2, text.len(), "no escape");
        assert_eq!(
            row_text(Vec::<Entry<'_>>::new(), 0).as_deref(),
            Some(r#""""#)
        );
        for name in ["t 1", "t;1", "t\"1", "t\\1", "t\n1", ""] {
            assert_eq!(row_text([("scrape:1", name, ID_A, 1)], 0), None, "{name:?}");
        }
        assert_eq!(row_text([("scrape:1", "t/1", ID_A, 4)], 0), None);
    }

    #[test]
    fn state_bits_round_trip() {
        for bits in 0..=3 {
            assert_eq!(IdState::from_bits(bits).unwrap().to_bits(), bits);
        }
        let unchecked = IdState {
            valid: true,
            answered: None,
        };
        assert_eq!(unchecked.to_bits(), 1);
    }
}
