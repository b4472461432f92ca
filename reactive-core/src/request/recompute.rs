//! When the request/response pattern's flags need computing again.
//!
//! They depend on the remote units' data and on this unit's own data on
//! the endpoint's relations. Remote data changes only in the hooks
//! [`EndpointBase::remote_data_changed`] names; this unit's data changes
//! only when it publishes, which drops the flags kept under
//! [`pattern_flags_key`]. In any other hook the flags are as the previous
//! hook computed them, unless a handler changed one since: then they are
//! computed again too. Skipping saves reading every request in hooks such
//! as `update-status`.

use serde_json::{Map, Value};

use crate::endpoint::snapshot::pattern_flags_key;
use crate::endpoint::EndpointBase;
use crate::unit_state::StateError;
use crate::Context;

/// Whether the flags `flags` (full names) are known to be up to date.
pub(crate) fn up_to_date(
    ctx: &mut Context,
    base: &EndpointBase,
    flags: &[String],
) -> Result<bool, StateError> {
    if base.remote_data_changed() {
        return Ok(false);
    }
    Ok(standing(ctx, base, flags)?.is_some())
}

/// Whether the flags `[has_requests, new_requests]` (full names) were
/// kept by the previous hook, still stand as it set them, and say that no
/// request was left unanswered; and this unit published nothing yet in
/// this hook. Then the units whose data comes from the snapshot still hold
/// no unanswered request (their data and this unit's answers are as they
/// were), and only the units read in this hook can set `new_requests`.
pub(crate) fn none_new_before(
    ctx: &mut Context,
    base: &EndpointBase,
    flags: &[String; 2],
) -> Result<bool, StateError> {
    if base.relations().iter().any(|r| r.is_published_modified()) {
        return Ok(false);
    }
    let [_, new_requests] = flags;
    Ok(standing(ctx, base, flags)?
        .is_some_and(|kept| kept.get(new_requests).and_then(Value::as_bool) == Some(false)))
}

/// The flags the previous hook kept, when each of `flags` is still set
/// or unset as they say.
fn standing(
    ctx: &mut Context,
    base: &EndpointBase,
    flags: &[String],
) -> Result<Option<Map<String, Value>>, StateError> {
    let Some(Value::Object(kept)) = ctx
        .unit_state()
        .get(&pattern_flags_key(base.endpoint_name()))?
    else {
        return Ok(None);
    };
    let stands = flags
        .iter()
        .all(|flag| kept.get(flag).and_then(Value::as_bool) == Some(ctx.is_flag_set(flag)));
    Ok(stands.then_some(kept))
}

/// Keep the flags as computed in this hook.
pub(crate) fn remember(ctx: &mut Context, base: &EndpointBase, flags: &[(String, bool)]) {
    let kept: Map<String, Value> = flags
        .iter()
        .map(|(flag, set)| (flag.clone(), Value::Bool(*set)))
        .collect();
    ctx.unit_state().set(
        &pattern_flags_key(base.endpoint_name()),
        Value::Object(kept),
    );
}
