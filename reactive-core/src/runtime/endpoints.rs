//! Endpoint startup (instances and automatic flags) and exit (publishing).

use serde_json::Value;

use super::StartupError;
use crate::endpoint::{
    departed_key, expand_name, relation_order, AnyEndpoint, DepartedUnits, EndpointBase,
    EndpointDescriptor, RelatedUnit, Relation,
};
use crate::log::LogLevel;
use crate::pyjson::decode_or_raw;
use crate::registry::Registry;
use crate::tools::{HookTools, ToolError};
use crate::Context;

/// Make every endpoint instance of the charm and compute its automatic
/// flags, endpoints in name order.
pub(crate) fn start_endpoints(ctx: &mut Context, registry: &Registry) -> Result<(), StartupError> {
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
        start_one(ctx, name, descriptor)?;
    }
    Ok(())
}

/// Make every endpoint instance of the charm without touching a flag: no
/// automatic flags, no triggers (for an action, whose handlers may read
/// and write relation data but must not start hook work).
pub(crate) fn open_endpoints(ctx: &mut Context, registry: &Registry) -> Result<(), StartupError> {
    for (name, descriptor) in registry.endpoint_types() {
        let instance = make_instance(ctx, name, descriptor)?;
        ctx.put_endpoint(name, instance);
    }
    Ok(())
}

/// The instance of the endpoint `name`, over its relations as they are.
fn make_instance(
    ctx: &mut Context,
    name: &str,
    descriptor: &EndpointDescriptor,
) -> Result<Box<dyn AnyEndpoint>, StartupError> {
    let tools = ctx.tools().clone();
    let local_unit = ctx.hook().unit_name.clone().unwrap_or_default();
    let mut relation_ids = tools.with(|t| t.relation_ids(name))?;
    relation_ids.sort_by(|a, b| relation_order(a, b));
    let mut relations = Vec::with_capacity(relation_ids.len());
    for rid in &relation_ids {
        let units = tools.with(|t| t.relation_list(rid))?;
        relations.push(Relation::new(rid, &local_unit, &units, tools.clone()));
    }
    let saved = ctx.unit_state().get(&departed_key(name))?;
    let departed = DepartedUnits::from_saved(saved.as_ref());
    Ok((descriptor.create)(EndpointBase::new(
        name, relations, departed,
    )))
}

fn start_one(
    ctx: &mut Context,
    name: &str,
    descriptor: &EndpointDescriptor,
) -> Result<(), StartupError> {
    let tools = ctx.tools().clone();
    let mut instance = make_instance(ctx, name, descriptor)?;
    instance.register_triggers(ctx);

    let hook_name = ctx.hook_name().to_string();
    let relation_hook = hook_name.starts_with(&format!("{name}-relation-"));
    let departed_hook = relation_hook && hook_name.ends_with("-departed");

    // 1. The departing unit joins the departed list.
    if departed_hook {
        let hook = ctx.hook().clone();
        let departing = hook.remote_unit.or(hook.departing_unit);
        if let (Some(rid), Some(unit)) = (hook.relation_id, departing) {
            let data = match tools.with(|t| t.relation_get(&rid, &unit)) {
                Ok(data) => data,
                Err(ToolError::RelationNotFound { .. }) => Default::default(),
                Err(e) => return Err(e.into()),
            };
            let base = instance.base_mut();
            if let Some(relation) = base.relations_mut().by_key_mut(&rid) {
                relation.remove_unit(&unit);
                if relation.unit_list().is_empty() {
                    base.relations_mut().remove_key(&rid);
                }
            }
            base.all_departed_units_mut()
                .push(RelatedUnit::with_data(&rid, &unit, data));
        }
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
        let mut changed_keys = Vec::new();
        for unit in instance.base().all_joined_units().iter() {
            for (key, raw) in unit.received_raw()? {
                let data_id = format!(
                    "endpoint.{name}.{}.{}.{key}",
                    unit.relation_id(),
                    unit.unit_name()
                );
                if ctx.data_changed(&data_id, &decode_or_raw(raw))? {
                    changed_keys.push(key.clone());
                }
            }
        }
        for key in changed_keys {
            ctx.set_flag(&expand_name(name, "changed"));
            ctx.set_flag(&expand_name(name, &format!("changed.{key}")));
        }
        instance
            .manage_flags(ctx)
            .map_err(|e| StartupError::Endpoint {
                endpoint: name.to_string(),
                error: e,
            })?;
    }

    // Patterns built on endpoints compute their flags in every hook.
    if let Some(pattern_flags) = descriptor.pattern_flags {
        pattern_flags(instance.as_mut(), ctx).map_err(|e| StartupError::Endpoint {
            endpoint: name.to_string(),
            error: e,
        })?;
    }
    ctx.put_endpoint(name, instance);
    Ok(())
}

/// Publish what the handlers changed (one `relation-set` per modified bag)
/// and save the departed units lists.
pub(crate) fn finish_endpoints(ctx: &mut Context) -> Result<(), ToolError> {
    for name in ctx.endpoint_names() {
        let Some(mut instance) = ctx.take_endpoint(&name) else {
            continue;
        };
        let mut result = Ok(());
        for relation in instance.base_mut().relations_mut().iter_mut() {
            result = relation.flush();
            if result.is_err() {
                break;
            }
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
