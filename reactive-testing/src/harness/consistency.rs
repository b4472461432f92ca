//! The harness's consistency checks: what Juju would never do is refused
//! before anything runs. One small function per concern, each checking the
//! input against the charm's files or the simulated model.

use reactive_core::actions::ActionsSpec;
use reactive_core::config::ConfigOptions;
use reactive_core::metadata::CharmMetadata;
use reactive_core::names::app_of;
use reactive_grammar::hook_kind::{is_hook_name, relation_endpoint, suggest_hook};
use reactive_grammar::suggest::closest;
use serde_json::Value;

use super::error::HarnessError;
use crate::sim::model::ModelState;

/// The relation events Juju runs hooks for.
pub(crate) const RELATION_EVENTS: [&str; 5] =
    ["created", "joined", "changed", "departed", "broken"];

/// A hook fired without a relation: a Juju hook name, and not a relation
/// hook.
pub(crate) fn plain_hook(hook: &str) -> Result<(), HarnessError> {
    if !is_hook_name(hook) {
        return Err(HarnessError::UnknownHook {
            hook: hook.to_string(),
            suggestion: suggest_hook(hook),
        });
    }
    if relation_endpoint(hook).is_some() {
        return Err(HarnessError::RelationHookWithoutRelation {
            hook: hook.to_string(),
        });
    }
    Ok(())
}

/// An endpoint the charm's metadata declares.
pub(crate) fn endpoint(metadata: &CharmMetadata, endpoint: &str) -> Result<(), HarnessError> {
    if metadata.endpoint(endpoint).is_some() {
        return Ok(());
    }
    let mut declared: Vec<String> = metadata.endpoints.iter().map(|e| e.name.clone()).collect();
    declared.sort();
    Err(HarnessError::UnknownEndpoint {
        endpoint: endpoint.to_string(),
        declared,
    })
}

/// A relation event name.
pub(crate) fn relation_event(event: &str) -> Result<(), HarnessError> {
    if RELATION_EVENTS.contains(&event) {
        Ok(())
    } else {
        Err(HarnessError::UnknownRelationEvent {
            event: event.to_string(),
        })
    }
}

/// A relation id `<endpoint>:<number>` of a relation that `unit` is in, on
/// an endpoint of its charm. Returns the endpoint and the number.
pub(crate) fn relation<'a>(
    metadata: &CharmMetadata,
    model: &ModelState,
    unit: &str,
    relation_id: &'a str,
) -> Result<(&'a str, u32), HarnessError> {
    let bad = || HarnessError::BadRelationId {
        relation_id: relation_id.to_string(),
    };
    let (name, number) = relation_id.split_once(':').ok_or_else(bad)?;
    let number: u32 = number.parse().map_err(|_| bad())?;
    endpoint(metadata, name)?;
    let app = app_of(unit);
    let known = model.relations.get(&number).is_some_and(|r| {
        r.endpoints.get(app).map(String::as_str) == Some(name) && r.members.contains_key(unit)
    });
    if !known {
        return Err(HarnessError::UnknownRelation {
            relation_id: relation_id.to_string(),
        });
    }
    Ok((name, number))
}

/// A unit name that may be on the remote side of relation `number`:
/// `<application>/<number>`, of the remote application (or of this one, on
/// a peer relation).
pub(crate) fn remote_unit_name(
    model: &ModelState,
    local_unit: &str,
    number: u32,
    unit: &str,
) -> Result<(), HarnessError> {
    let bad = |problem: &str| HarnessError::BadUnit {
        unit: unit.to_string(),
        problem: problem.to_string(),
    };
    let well_formed = unit
        .split_once('/')
        .is_some_and(|(app, n)| !app.is_empty() && !n.is_empty() && n.parse::<u32>().is_ok());
    if !well_formed {
        return Err(bad("not a unit name (`<application>/<number>`)"));
    }
    if unit == local_unit {
        return Err(bad("is this unit itself"));
    }
    let Some(relation) = model.relations.get(&number) else {
        return Ok(());
    };
    let local_app = app_of(local_unit);
    let app = app_of(unit);
    let peer = relation.endpoints.len() == 1;
    let remote_side = if peer {
        app == local_app
    } else {
        app != local_app && relation.endpoints.contains_key(app)
    };
    if !remote_side {
        let apps: Vec<&str> = relation
            .endpoints
            .keys()
            .map(String::as_str)
            .filter(|a| peer || *a != local_app)
            .collect();
        return Err(bad(&format!(
            "the other side of this relation is the application {}",
            apps.join(", ")
        )));
    }
    Ok(())
}

/// Config values: every key declared in `config.yaml`, every value of its
/// option's type (`null` unsets an option).
pub(crate) fn config(
    options: &ConfigOptions,
    values: &serde_json::Map<String, Value>,
) -> Result<(), HarnessError> {
    for (key, value) in values {
        let Some(option) = options.options.get(key) else {
            return Err(HarnessError::UnknownConfigKey {
                key: key.clone(),
                suggestion: closest(key, options.options.keys().map(String::as_str))
                    .map(str::to_string),
            });
        };
        let fits = match (option.kind.as_str(), value) {
            (_, Value::Null) => true,
            ("string" | "secret", Value::String(_)) => true,
            ("int", Value::Number(n)) => n.is_i64() || n.is_u64(),
            ("float", Value::Number(_)) => true,
            ("boolean", Value::Bool(_)) => true,
            _ => false,
        };
        if !fits {
            return Err(HarnessError::ConfigType {
                key: key.clone(),
                expected: option.kind.clone(),
                given: json_type(value),
            });
        }
    }
    Ok(())
}

/// An action `actions.yaml` declares, with parameters that fit its schema;
/// returns the parameters with the schema's defaults filled in, as Juju
/// passes them to the charm.
pub(crate) fn action(
    actions: &ActionsSpec,
    action: &str,
    params: &Value,
) -> Result<Value, HarnessError> {
    let Some(spec) = actions.get(action) else {
        let declared: Vec<String> = actions.names().into_iter().map(str::to_string).collect();
        return Err(HarnessError::UnknownAction {
            action: action.to_string(),
            suggestion: closest(action, declared.iter().map(String::as_str)).map(str::to_string),
            declared,
        });
    };
    spec.check_params(params)
        .map_err(|problem| HarnessError::ActionParams {
            action: action.to_string(),
            param: problem.param,
            problem: problem.message,
        })
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a float",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hook_names_are_checked_with_a_suggestion() {
        assert!(plain_hook("install").is_ok());
        let err = plain_hook("instal").unwrap_err().to_string();
        assert!(
            err.contains("`instal`") && err.contains("`install`"),
            "{err}"
        );
        let err = plain_hook("db-relation-joined").unwrap_err();
        assert!(matches!(
            err,
            HarnessError::RelationHookWithoutRelation { .. }
        ));
    }

    #[test]
    fn actions_and_their_params_are_checked() {
        let actions = ActionsSpec::parse(
            "backup:\n  params:\n    to: {type: string, default: /srv}\n    keep: {type: integer}\n",
            "actions.yaml",
        )
        .unwrap();
        assert_eq!(
            action(&actions, "backup", &serde_json::json!({"keep": 2})).unwrap(),
            serde_json::json!({"keep": 2, "to": "/srv"})
        );
        let err = action(&actions, "bakup", &Value::Null)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "actions.yaml declares no action `bakup` (it declares: backup); did you mean `backup`?"
        );
        let err = action(&actions, "backup", &serde_json::json!({"keep": "x"}))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "action `backup`: parameter `keep` must be of type integer, not a string"
        );
    }

    #[test]
    fn config_values_must_fit_their_option() {
        let options = ConfigOptions::parse(
            "options:\n  port: {type: int}\n  ratio: {type: float}\n  name: {type: string}\n",
            "config.yaml",
        )
        .unwrap();
        let values = |v: Value| v.as_object().unwrap().clone();
        assert!(config(
            &options,
            &values(serde_json::json!({"port": 8, "ratio": 1}))
        )
        .is_ok());
        assert!(config(&options, &values(serde_json::json!({"port": null}))).is_ok());
        let err = config(&options, &values(serde_json::json!({"portt": 8}))).unwrap_err();
        assert!(err.to_string().contains("did you mean `port`"), "{err}");
        let err = config(&options, &values(serde_json::json!({"port": 8.5}))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "config option `port` is of type int in config.yaml, not a float"
        );
        let err = config(&options, &values(serde_json::json!({"name": 3}))).unwrap_err();
        assert!(err.to_string().contains("not an integer"), "{err}");
    }
}
