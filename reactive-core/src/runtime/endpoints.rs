//! Endpoint startup (instances and automatic flags) and exit (publishing).

use serde_json::Value;

use super::StartupError;
use crate::endpoint::membership::{self, MembersError, MembershipPlan};
use crate::endpoint::request_index::request_index_key;
use crate::endpoint::snapshot::{
    self, app_data_key, pattern_flags_key, unit_data_key, RelationDataMode,
};
use crate::endpoint::{
    departed_key, expand_name, AnyEndpoint, DepartedUnits, EndpointBase, EndpointDescriptor,
    RelatedUnit, Relation,
};
use crate::helpers::DATA_CHANGED_PREFIX;
use crate::log::LogLevel;
use crate::pyjson::decode_or_raw;
use crate::registry::Registry;
use crate::tools::{HookTools, ToolError};
use crate::Context;

/// Make every endpoint instance of the charm and compute its automatic
/// flags, endpoints in name order.
pub(crate) fn start_endpoints(
    ctx: &mut Context,
    registry: &Registry,
    plan: MembershipPlan,
) -> Result<(), StartupError> {
    // charms.reactive logs a missing implementation at ERROR in every hook,
    // once per endpoint.
    for name in registry.unserved_endpoints() {
        let declared = ctx
            .metadata()
            .endpoint(name)
            .map(|e| format!(" ({} of interface `{}`)", e.role, e.interface))
            .unwrap_or_default();
        ctx.log(
            LogLevel::Error,
            &format!(
                "metadata.yaml declares endpoint `{name}`{declared} but no endpoint type linked \
                 into this charm implements it; is its interface crate used \
                 (`use interface_crate as _;`)?"
            ),
        );
    }
    for (name, descriptor) in registry.endpoint_types() {
        start_one(ctx, name, descriptor, plan)?;
    }
    Ok(())
}

/// Make every endpoint instance of the charm without touching a flag: no
/// automatic flags, no triggers (for an action, whose handlers may read
/// and write relation data but must not start hook work).
pub(crate) fn open_endpoints(ctx: &mut Context, registry: &Registry) -> Result<(), StartupError> {
    let plan = membership::begin_reading(ctx);
    for (name, descriptor) in registry.endpoint_types() {
        let built = make_instance(ctx, name, descriptor, plan)?;
        ctx.put_endpoint(name, built.instance);
    }
    Ok(())
}

/// An endpoint instance just made, with what its hook says about it.
struct Built {
    instance: Box<dyn AnyEndpoint>,
    /// The relation of this hook, when it is one of the endpoint's.
    hook_rid: Option<String>,
    /// The unit departing in this hook.
    departing: Option<String>,
    /// The departing unit's row of the snapshot.
    departing_row: Option<snapshot::RowRef>,
    relation_hook: bool,
    departed_hook: bool,
}

/// The instance of the endpoint `name`, over its relations as they are.
fn make_instance(
    ctx: &mut Context,
    name: &str,
    descriptor: &EndpointDescriptor,
    plan: MembershipPlan,
) -> Result<Built, StartupError> {
    let mode = plan.mode;
    let tools = ctx.tools().clone();
    let hook = ctx.hook().clone();
    let local_unit = hook.unit_name.clone().unwrap_or_default();
    let hook_name = hook.name.as_str();
    let relation_hook = hook_name.starts_with(&format!("{name}-relation-"));
    let departed_hook = relation_hook && hook_name.ends_with("-departed");
    let broken_hook = relation_hook && hook_name.ends_with("-broken");
    let changed_or_joined =
        relation_hook && (hook_name.ends_with("-changed") || hook_name.ends_with("-joined"));
    let hook_rid = hook.relation_id.as_deref().filter(|_| relation_hook);
    // The unit whose data this hook is about, and whether it is about the
    // remote application's data.
    let hook_unit = hook.remote_unit.as_deref().filter(|_| changed_or_joined);
    let app_changed = changed_or_joined && hook.remote_unit.is_none();
    let departing = hook
        .remote_unit
        .clone()
        .or(hook.departing_unit.clone())
        .filter(|_| departed_hook);
    let mut remote_changed = relation_hook
        || matches!(hook_name, "install" | "upgrade-charm")
        || mode == RelationDataMode::Fresh;

    let found = membership::members(ctx, name, plan)?;
    let mut relations = Vec::with_capacity(found.members.len());
    let mut departing_row = None;
    let mut reader: snapshot::ReaderSlot = None;
    for (rid, listed) in found.members {
        let rid = rid.as_str();
        // Shared by the relation's units.
        let shared_rid: std::sync::Arc<str> = std::sync::Arc::from(rid);
        let this_hook = hook_rid == Some(rid);
        // The copy is never used with fresh reads. Read with the tools,
        // the units of a `-departed` hook's relation are those that stay.
        let departing_here = departing.as_deref().filter(|_| this_hook);
        let mut saved =
            if found.from_copy || (departing_here.is_some() && mode != RelationDataMode::Fresh) {
                snapshot::load_for_members(ctx, rid, &listed, departing_here, &mut reader)?
            } else {
                snapshot::load(ctx, rid, &mut reader)?
            };
        if mode == RelationDataMode::Fresh || (this_hook && broken_hook) {
            snapshot::forget(ctx, &saved, &listed);
            saved = Default::default();
        }
        if this_hook {
            if let Some(unit) = &departing {
                departing_row = saved.units.row_of(unit, &listed);
            }
        }
        // The names move into the units when the list is this hook's own
        // (read from the kept copy); a list the tools' cache shares is
        // copied.
        let listed = std::sync::Arc::try_unwrap(listed).unwrap_or_else(|shared| (*shared).clone());
        let mut units = Vec::with_capacity(listed.len());
        for (at, unit) in listed.into_iter().enumerate() {
            let row = saved.units.take(at, &unit);
            let about_this_unit = this_hook && hook_unit == Some(unit.as_str());
            match row {
                Some(rows) if !about_this_unit => units.push(RelatedUnit::from_snapshot(
                    shared_rid.clone(),
                    unit,
                    rows,
                    tools.clone(),
                )),
                _ => {
                    remote_changed = true;
                    units.push(RelatedUnit::new(shared_rid.clone(), unit, tools.clone()));
                }
            }
        }
        // Rows of units the membership no longer names (the departing one
        // included) are dropped.
        for unit in saved.units.not_taken() {
            remote_changed = true;
            ctx.unit_state().unset(&unit_data_key(rid, unit));
        }
        let mut relation = Relation::from_units(rid, &local_unit, units, tools.clone());
        if let Some((app, row)) = saved.app {
            if this_hook && app_changed {
                ctx.unit_state().unset(&app_data_key(rid, &app));
            } else {
                relation.set_app_snapshot(&app, row);
            }
        }
        relations.push(relation);
    }
    let saved = ctx.unit_state().get(&departed_key(name))?;
    let departed = DepartedUnits::from_saved(saved.as_ref());
    let mut base = EndpointBase::new(name, relations, departed);
    base.set_remote_changed(remote_changed);
    base.set_relation_data_mode(mode);
    Ok(Built {
        instance: (descriptor.create)(base),
        hook_rid: hook_rid.map(str::to_string),
        departing,
        departing_row,
        relation_hook,
        departed_hook,
    })
}

fn start_one(
    ctx: &mut Context,
    name: &str,
    descriptor: &EndpointDescriptor,
    plan: MembershipPlan,
) -> Result<(), StartupError> {
    let tools = ctx.tools().clone();
    let Built {
        mut instance,
        hook_rid,
        departing,
        departing_row,
        relation_hook,
        departed_hook,
    } = make_instance(ctx, name, descriptor, plan)?;
    instance.register_triggers(ctx);

    // 1. The departing unit joins the departed list, with its last data:
    // read (Juju answers for the departing unit in its -departed hook, and
    // may have dropped the -changed hook of its last change), else as the
    // snapshot had it.
    if let (Some(rid), Some(unit)) = (hook_rid.as_deref(), departing.as_deref()) {
        let data = match tools.with(|t| t.relation_get(rid, unit)) {
            Ok(data) => data,
            Err(ToolError::RelationNotFound { .. }) => departing_row
                .as_ref()
                .and_then(snapshot::RowRef::bag)
                .unwrap_or_default(),
            Err(e) => return Err(e.into()),
        };
        ctx.unit_state().unset(&unit_data_key(rid, unit));
        let base = instance.base_mut();
        if let Some(relation) = base.relations_mut().by_key_mut(rid) {
            relation.remove_unit(unit);
            if relation.unit_list().is_empty() {
                base.relations_mut().remove_key(rid);
            }
        }
        base.all_departed_units_mut()
            .push(RelatedUnit::with_data(rid, unit, data));
    }

    // 2. joined; 3. departed.
    let joined_flag = expand_name(name, "joined");
    let already_joined = ctx.is_flag_set(&joined_flag);
    let is_joined = instance.base().is_joined();
    ctx.toggle_flag(&joined_flag, is_joined);
    let departed_flag = expand_name(name, "departed");
    if departed_hook {
        ctx.set_flag(&departed_flag);
    } else if is_joined {
        ctx.clear_flag(&departed_flag);
    }

    // 4. changed; 5. the type's own flags.
    if !already_joined || relation_hook {
        // A unit whose data comes from the snapshot sent nothing since it
        // was last checked (its -changed hook re-reads it): only the units
        // read in this hook are checked, unless the endpoint was not joined
        // (then every unit is, as charms.reactive does).
        let changed = changed_keys(ctx, name, instance.base(), !already_joined)?;
        for (_, _, key) in &changed {
            ctx.set_flag(&expand_name(name, "changed"));
            ctx.set_flag(&expand_name(name, &format!("changed.{key}")));
        }
        instance.base_mut().set_changed_keys(changed);
        instance
            .manage_flags(ctx)
            .map_err(|e| StartupError::Endpoint {
                endpoint: name.to_string(),
                error: e,
            })?;
    }

    // Patterns built on endpoints compute their flags in every hook (from
    // what changed: see the request module).
    if let Some(pattern_flags) = descriptor.pattern_flags {
        pattern_flags(instance.as_mut(), ctx).map_err(|e| StartupError::Endpoint {
            endpoint: name.to_string(),
            error: e,
        })?;
    }
    ctx.put_endpoint(name, instance);
    Ok(())
}

impl From<MembersError> for StartupError {
    fn from(e: MembersError) -> Self {
        match e {
            MembersError::Tool(e) => StartupError::Tool(e),
            MembersError::State(e) => StartupError::State(e),
        }
    }
}

/// The received keys whose value changed since last seen, over the units
/// read in this hook (every joined unit when `all_units`), as `(relation
/// id, unit, key)`.
fn changed_keys(
    ctx: &mut Context,
    name: &str,
    base: &EndpointBase,
    all_units: bool,
) -> Result<Vec<(String, String, String)>, StartupError> {
    let units: Vec<&RelatedUnit> = base
        .all_joined_units()
        .iter()
        .filter(|u| all_units || !u.is_from_snapshot())
        .collect();
    let prefix = format!("endpoint.{name}.");
    if units.len() > PREFETCH_FROM {
        // One prefix read instead of one read per key.
        ctx.unit_state()
            .get_range(&format!("{DATA_CHANGED_PREFIX}{prefix}"))?;
    }
    let mut changed = Vec::new();
    for unit in units {
        for (key, raw) in unit.received_raw()? {
            let data_id = format!("{prefix}{}.{}.{key}", unit.relation_id(), unit.unit_name());
            if ctx.data_changed(&data_id, &decode_or_raw(raw))? {
                changed.push((
                    unit.relation_id().to_string(),
                    unit.unit_name().to_string(),
                    key.clone(),
                ));
            }
        }
    }
    Ok(changed)
}

/// From how many units to check the `data_changed` hashes are read with
/// one prefix read rather than key by key.
const PREFETCH_FROM: usize = 4;

/// Publish what the handlers changed (one `relation-set` per modified bag)
/// and save the departed units lists.
pub(crate) fn finish_endpoints(ctx: &mut Context) -> Result<(), ToolError> {
    for name in ctx.endpoint_names() {
        let Some(mut instance) = ctx.take_endpoint(&name) else {
            continue;
        };
        let snapshot_mode = instance.base().relation_data_mode() == RelationDataMode::Snapshot;
        let broken = ctx
            .hook_name()
            .strip_prefix(&format!("{name}-relation-"))
            .is_some_and(|rest| rest == "broken");
        let broken_rid = ctx.hook().relation_id.clone().filter(|_| broken);
        // The request index, worked out before publishing: it reads which
        // answers this hook changed.
        let (index, mut result) = if snapshot_mode {
            match instance.base().request_index_to_save(broken_rid.as_deref()) {
                Ok(index) => (index, Ok(())),
                Err(e) => (None, Err(e)),
            }
        } else {
            (None, Ok(()))
        };
        let mut published = false;
        for relation in instance.base_mut().relations_mut().iter_mut() {
            if result.is_err() {
                break;
            }
            match relation.flush() {
                Ok(unit_published) => published |= unit_published,
                Err(e) => result = Err(e),
            }
        }
        if published {
            // The pattern flags depend on this unit's data too.
            ctx.unit_state().unset(&pattern_flags_key(&name));
        }
        if snapshot_mode {
            for relation in instance.base().relations().iter() {
                if broken_rid.as_deref() != Some(relation.relation_id()) {
                    snapshot::save(ctx, relation);
                }
            }
            // The request index describes the rows just saved.
            match index {
                Some(Some(text)) => ctx
                    .unit_state()
                    .set_json_text(&request_index_key(&name), text),
                Some(None) => ctx.unit_state().unset(&request_index_key(&name)),
                None => {}
            }
        } else if instance.base().request_index().classify().is_some() {
            ctx.unit_state().unset(&request_index_key(&name));
        }
        let departed = instance.base_mut().all_departed_units_mut();
        if departed.is_dirty() {
            let key = departed_key(&name);
            if departed.is_empty() {
                ctx.unit_state().unset(&key);
            } else {
                let saved: Value = departed.to_saved();
                ctx.unit_state().set(&key, saved);
            }
            departed.mark_saved();
        }
        ctx.put_endpoint(&name, instance);
        result?;
    }
    Ok(())
}
