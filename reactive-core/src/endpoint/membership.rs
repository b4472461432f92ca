//! Relation membership kept in the unit state: which relations each
//! endpoint has and which remote units each relation shows this unit, as
//! `relation-ids` and `relation-list` last answered.
//!
//! Juju changes what those two tools answer only when a hook of the
//! endpoint that changes it completes: `-relation-created` (a relation
//! appears), `-joined` (a remote unit appears), `-departed` (one goes) and
//! `-broken` (the relation goes). So the answers are kept, one row per
//! endpoint (`reactive.endpoints.members.<endpoint>`, a JSON object from
//! relation id to the list of remote units), and the tools are asked again
//! only:
//!
//! - in the endpoint's `-relation-created` and `-relation-broken` hooks,
//!   and in `install` and `upgrade-charm`;
//! - when the endpoint has no row (a unit state written by charms.reactive
//!   or by an earlier version), or a row that does not read as one;
//! - when the hook is about a relation or a remote unit the row does not
//!   hold;
//! - when the [`Marker::MembershipUnsettled`] marker is set: a hook of the
//!   four kinds above started and did not commit. Juju runs a failed hook
//!   again, but after `juju resolved --no-retry` it goes on with the next
//!   one, with its own record already moved on; the marker, set before the
//!   hook's first hook-tool call and taken away by its commit, makes the
//!   next hook read every endpoint's membership again. A test harness sets
//!   it when it changes relations without running a hook;
//! - with [`RelationDataMode::Fresh`], which reads them in every hook, as
//!   charms.reactive does, and drops the rows.
//!
//! In the endpoint's `-joined` and `-departed` hooks the row is amended
//! instead, as Juju's own hook context is: the remote unit of the hook
//! added to its relation's units, or taken out. Juju answers `relation-list`
//! in such a hook from the units of its last completed membership hook,
//! plus or minus that unit, which is what the row holds once amended. The
//! tools are asked when the row cannot be amended so (it does not hold
//! the relation, already holds the joining unit or does not hold the
//! departing one), and in the cases above.
//!
//! Membership read with the tools, or amended, is saved at the end of the
//! hook when it differs from the row (in `-broken`, without the broken
//! relation).
//!
//! ```
//! use reactive_core::endpoint::membership::members_key;
//! assert_eq!(members_key("db"), "reactive.endpoints.members.db");
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;

use super::relation_order;
use super::snapshot::RelationDataMode;
use crate::names::unit_order;
use crate::registry::Registry;
use crate::tools::{HookTools, ToolError};
use crate::unit_state::{push_json_string, Marker, StateError};
use crate::Context;

/// The unit-state prefix of the membership rows.
pub const MEMBERS_PREFIX: &str = "reactive.endpoints.members.";

/// The row of an endpoint's relations and their remote units.
pub fn members_key(endpoint_name: &str) -> String {
    format!("{MEMBERS_PREFIX}{endpoint_name}")
}

/// Whether `hook` changes the membership of `endpoint` as Juju shows it.
///
/// ```
/// use reactive_core::endpoint::membership::changes_membership;
/// assert!(changes_membership("db-relation-joined", "db"));
/// assert!(changes_membership("db-relation-broken", "db"));
/// assert!(!changes_membership("db-relation-changed", "db"));
/// assert!(!changes_membership("db-admin-relation-joined", "db"));
/// ```
pub fn changes_membership(hook: &str, endpoint: &str) -> bool {
    hook.strip_prefix(endpoint)
        .and_then(|rest| rest.strip_prefix("-relation-"))
        .is_some_and(|event| matches!(event, "created" | "joined" | "departed" | "broken"))
}

/// One endpoint's relations in relation order, each with the remote units
/// it shows this unit, in unit order.
pub(crate) type Members = Vec<(String, Arc<Vec<String>>)>;

/// What the start of a hook found about membership.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MembershipPlan {
    /// How relation data is read.
    pub(crate) mode: RelationDataMode,
    /// Whether the kept membership cannot be trusted in this hook.
    pub(crate) unsettled: bool,
}

/// Look at the marker, and set it if this hook changes membership. Called
/// before the hook's first hook-tool call, so that a hook that fails
/// anywhere after it leaves the marker for the next.
///
/// # Errors
///
/// The marker's file cannot be created.
pub(crate) fn begin(
    ctx: &mut Context,
    registry: &Registry,
    mode: RelationDataMode,
) -> Result<MembershipPlan, StateError> {
    let unsettled = take_marker_on_commit(ctx);
    let hook = ctx.hook_name();
    let changes = registry
        .endpoint_types()
        .iter()
        .any(|(name, _)| changes_membership(hook, name));
    if changes && mode == RelationDataMode::Snapshot {
        let state = ctx.unit_state();
        state.set_marker(Marker::MembershipUnsettled)?;
        state.clear_marker_on_commit(Marker::MembershipUnsettled);
    }
    Ok(MembershipPlan { mode, unsettled })
}

/// The plan of a hook that only reads membership (an action): it sets no
/// marker, and clears the one it finds only if it commits.
pub(crate) fn begin_reading(ctx: &mut Context) -> MembershipPlan {
    MembershipPlan {
        mode: RelationDataMode::Snapshot,
        unsettled: take_marker_on_commit(ctx),
    }
}

/// Whether the marker is set; if it is, the hook's commit (which saves
/// the membership this hook then reads with the tools) takes it away.
fn take_marker_on_commit(ctx: &mut Context) -> bool {
    let state = ctx.unit_state();
    let unsettled = state.has_marker(Marker::MembershipUnsettled);
    if unsettled {
        state.clear_marker_on_commit(Marker::MembershipUnsettled);
    }
    unsettled
}

/// An endpoint's membership in this hook.
pub(crate) struct Found {
    /// The relations and their units.
    pub(crate) members: Members,
    /// Whether they come from the kept copy (not from the tools).
    pub(crate) from_copy: bool,
}

/// The relations of endpoint `name` and their remote units in this hook:
/// kept or read with the tools as the module documentation says; what was
/// read is saved (pending, committed with the hook).
pub(crate) fn members(
    ctx: &mut Context,
    name: &str,
    plan: MembershipPlan,
) -> Result<Found, MembersError> {
    let hook = ctx.hook();
    let hook_name = hook.name.as_str();
    let fresh_mode = plan.mode == RelationDataMode::Fresh;
    let own_hook_rid = hook
        .relation_id
        .clone()
        .filter(|_| hook_name.starts_with(&format!("{name}-relation-")));
    let remote_unit = hook.remote_unit.clone();
    // A `-joined` or `-departed` hook of this endpoint about a remote unit:
    // the kept row amended by that unit (whether it joins).
    let amend = match own_event(hook_name, name) {
        Some("joined") => Some(true),
        Some("departed") => Some(false),
        _ => None,
    }
    .filter(|_| own_hook_rid.is_some() && remote_unit.is_some());
    let must_read = fresh_mode
        || plan.unsettled
        || (changes_membership(hook_name, name) && amend.is_none())
        || matches!(hook_name, "install" | "upgrade-charm");
    let broken_rid = own_hook_rid
        .clone()
        .filter(|_| hook_name.ends_with("-relation-broken"));
    let key = members_key(name);
    let raw = if fresh_mode {
        None
    } else {
        ctx.unit_state().get_raw(&key)?
    };
    let saved = raw.as_deref().filter(|_| !must_read).and_then(parse);
    if let Some(joins) = amend {
        let rid = own_hook_rid.as_deref().unwrap_or_default();
        let unit = remote_unit.as_deref().unwrap_or_default();
        if let Some(members) = saved.and_then(|saved| amended(saved, rid, unit, joins)) {
            save(ctx, &key, raw.as_deref(), &members, None);
            return Ok(Found {
                members,
                from_copy: true,
            });
        }
    } else if let Some(saved) = saved {
        let covers = |rid: &str| {
            saved
                .iter()
                .find(|(id, _)| id == rid)
                .is_some_and(|(_, units)| {
                    remote_unit
                        .as_deref()
                        .is_none_or(|unit| units.iter().any(|u| u == unit))
                })
        };
        if own_hook_rid.as_deref().is_none_or(covers) {
            return Ok(Found {
                members: saved,
                from_copy: true,
            });
        }
    }
    let members = read(ctx, name)?;
    if fresh_mode {
        if ctx.unit_state().get_raw(&key)?.is_some() {
            ctx.unit_state().unset(&key);
        }
        return Ok(Found {
            members,
            from_copy: false,
        });
    }
    save(ctx, &key, raw.as_deref(), &members, broken_rid.as_deref());
    Ok(Found {
        members,
        from_copy: false,
    })
}

/// The event of a relation hook of endpoint `name` (`joined` for
/// `<name>-relation-joined`), `None` for any other hook.
fn own_event<'h>(hook: &'h str, name: &str) -> Option<&'h str> {
    hook.strip_prefix(name)?.strip_prefix("-relation-")
}

/// The kept membership with `unit` added to relation `rid` (`joins`) or
/// taken out of it, as Juju shows it in that unit's `-joined` or
/// `-departed` hook; `None` when the copy does not hold the relation, or
/// already holds the joining unit, or does not hold the departing one.
fn amended(mut members: Members, rid: &str, unit: &str, joins: bool) -> Option<Members> {
    let (_, units) = members.iter_mut().find(|(id, _)| id == rid)?;
    // Just read from the row: not shared, not copied.
    let units = Arc::make_mut(units);
    match (joins, units.iter().position(|u| u == unit)) {
        (true, None) => {
            let at = units.partition_point(|u| unit_order(u, unit).is_lt());
            units.insert(at, unit.to_string());
        }
        (false, Some(at)) => {
            units.remove(at);
        }
        _ => return None,
    }
    Some(members)
}

/// Have the commit write `members` to the row `key` (without the broken
/// relation) when it differs from the row as read (`raw`).
fn save(
    ctx: &mut Context,
    key: &str,
    raw: Option<&str>,
    members: &Members,
    broken_rid: Option<&str>,
) {
    let kept: BTreeMap<&str, &[String]> = members
        .iter()
        .filter(|(rid, _)| Some(rid.as_str()) != broken_rid)
        .map(|(rid, units)| (rid.as_str(), units.as_slice()))
        .collect();
    // Compared as text (the row is written as serde_json writes it): no
    // need to decode the old row.
    let text = row_text(&kept);
    if raw != Some(text.as_str()) {
        ctx.unit_state().set_json_text(key, text);
    }
}

/// The row's text: the JSON object serde_json writes for `kept`, each
/// name quoted without an escape scan per character where none is needed
/// (Juju's relation ids and unit names need none).
fn row_text(kept: &BTreeMap<&str, &[String]>) -> String {
    let names: usize = kept.values().map(|units| units.len()).sum();
    let mut text = String::with_capacity(2 + kept.len() * 16 + names * 24);
    text.push('{');
    for (i, (rid, units)) in kept.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        push_json_string(&mut text, rid);
        text.push_str(":[");
        for (j, unit) in units.iter().enumerate() {
            if j > 0 {
                text.push(',');
            }
            push_json_string(&mut text, unit);
        }
        text.push(']');
    }
    text.push('}');
    text
}

/// Ask `relation-ids` and `relation-list`.
fn read(ctx: &Context, name: &str) -> Result<Members, ToolError> {
    let tools = ctx.tools().clone();
    let mut ids = tools.with(|t| t.relation_ids(name))?;
    ids.sort_by(|a, b| relation_order(a, b));
    let mut members = Vec::with_capacity(ids.len());
    for rid in ids {
        let mut listed = tools.with(|t| t.relation_list_shared(&rid))?;
        // Kept in unit order, so that the hooks reading the copy find the
        // units sorted as a relation holds them (Juju lists them in string
        // order: `app/10` before `app/2`).
        if !listed.is_sorted_by(|a, b| unit_order(a, b).is_le()) {
            let mut sorted = listed.as_ref().clone();
            sorted.sort_by(|a, b| unit_order(a, b));
            listed = Arc::new(sorted);
        }
        members.push((rid, listed));
    }
    Ok(members)
}

/// The kept membership, `None` for a row that does not read as an object
/// of lists of unit names.
fn parse(raw: &str) -> Option<Members> {
    let map = serde_json::from_str::<BTreeMap<String, Vec<String>>>(raw).ok()?;
    let mut members: Members = map
        .into_iter()
        .map(|(rid, units)| (rid, Arc::new(units)))
        .collect();
    members.sort_by(|a, b| relation_order(&a.0, &b.0));
    Some(members)
}

/// Why membership could not be found.
#[derive(Debug)]
pub(crate) enum MembersError {
    Tool(ToolError),
    State(StateError),
}

impl From<ToolError> for MembersError {
    fn from(e: ToolError) -> Self {
        MembersError::Tool(e)
    }
}

impl From<StateError> for MembersError {
    fn from(e: StateError) -> Self {
        MembersError::State(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_row_is_the_text_serde_json_writes() {
        let units = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let (a, b, odd) = (
            units(&["app/0", "app/10"]),
            units(&[]),
            units(&["say \"hi\"", "back\\slash\n", "é/1"]),
        );
        for kept in [
            BTreeMap::new(),
            BTreeMap::from([("db:1", a.as_slice())]),
            BTreeMap::from([("db:1", a.as_slice()), ("db:2", b.as_slice())]),
            BTreeMap::from([("db:\"3", odd.as_slice()), ("db:4", a.as_slice())]),
        ] {
            assert_eq!(row_text(&kept), serde_json::to_string(&kept).unwrap());
        }
    }
}
