//! Running a parsed call of the model and secret tools against the unit's
//! hook tools, printing Juju's output: the shapes `--format=json` gives
//! (which the process backend parses) and the plain forms otherwise.

use serde_json::{json, Map, Value};

use super::execute::{bag_value, parse_settings_file, render};
use super::model_commands::ModelCall;
use super::options::Format;
use super::protocol::ToolResponse;
use crate::sim::unit_tools::SharedUnitTools;
use reactive_core::hook::HookInfo;
use reactive_core::tools::{
    CloudSpec, DataBag, GoalState, GoalStatus, HookTools, PortEndpoints, SecretContent, SecretInfo,
    SecretRef, StatusInfo, ToolError,
};

fn status_details(info: &StatusInfo, include_data: bool) -> Value {
    let mut details = Map::new();
    details.insert("status".into(), Value::String(info.status.clone()));
    if include_data {
        details.insert("message".into(), Value::String(info.message.clone()));
        details.insert("status-data".into(), Value::Object(info.data.clone()));
    }
    Value::Object(details)
}

fn goal_value(goal: &GoalState) -> Value {
    let status = |s: &GoalStatus| json!({"status": s.status, "since": s.since});
    json!({
        "units": goal.units.iter().map(|(k, v)| (k.clone(), status(v))).collect::<Map<_, _>>(),
        "relations": goal.relations.iter().map(|(endpoint, members)| {
            (endpoint.clone(), Value::Object(members.iter().map(|(k, v)| (k.clone(), status(v))).collect()))
        }).collect::<Map<_, _>>(),
    })
}

fn cloud_value(spec: &CloudSpec) -> Value {
    let mut value = json!({
        "type": spec.cloud_type,
        "name": spec.name,
        "cacertificates": spec.ca_certificates,
        "skip-tls-verify": spec.skip_tls_verify,
        "is-controller-cloud": spec.is_controller_cloud,
    });
    let optional = [
        ("region", &spec.region),
        ("endpoint", &spec.endpoint),
        ("identity-endpoint", &spec.identity_endpoint),
        ("storage-endpoint", &spec.storage_endpoint),
    ];
    for (key, field) in optional {
        if let Some(text) = field {
            value[key] = Value::String(text.clone());
        }
    }
    if let Some(credential) = &spec.credential {
        value["credential"] = json!({
            "auth-type": credential.auth_type,
            "attrs": credential.attributes,
            "redacted": credential.redacted,
        });
    }
    value
}

fn secret_info_value(info: &SecretInfo) -> Value {
    let mut fields = json!({
        "revision": info.revision,
        "owner": info.owner,
    });
    if !info.label.is_empty() {
        fields["label"] = Value::String(info.label.clone());
    }
    let optional = [
        ("description", &info.description),
        ("rotation", &info.rotation),
        ("expiry", &info.expiry),
        ("rotates", &info.rotates),
    ];
    for (key, field) in optional {
        if let Some(text) = field {
            fields[key] = Value::String(text.clone());
        }
    }
    if !info.access.is_empty() {
        fields["access"] = Value::Array(
            info.access
                .iter()
                .map(|a| json!({"target": a.target, "scope": a.scope, "role": a.role}))
                .collect(),
        );
    }
    let bare = info.id.trim_start_matches("secret:").to_string();
    Value::Object(Map::from_iter([(bare, fields)]))
}

/// The settings of `key=value` arguments over those of the `--file`
/// mapping (read from the request's standard input).
fn file_and_args(
    file: bool,
    stdin: &str,
    settings: Vec<(String, String)>,
) -> Result<DataBag, ToolResponse> {
    let mut data = if file {
        parse_settings_file(stdin).map_err(ToolResponse::error)?
    } else {
        DataBag::new()
    };
    data.extend(settings);
    Ok(data)
}

/// Run a parsed model or secret tool call against `tools`.
pub(super) fn execute_model(
    tools: &mut SharedUnitTools,
    hook: &HookInfo,
    call: ModelCall,
    stdin: &str,
) -> ToolResponse {
    let done = |result: Result<String, ToolError>| match result {
        Ok(stdout) => ToolResponse::ok(stdout),
        Err(e) => ToolResponse::from_tool_error(&e),
    };
    let quiet = |result: Result<(), ToolError>| done(result.map(|()| String::new()));
    match call {
        ModelCall::ResourceGet { name } => done(
            tools
                .resource_get(&name)
                .map(|path| format!("{}\n", path.display())),
        ),
        // Without `-s`, the hook's own storage instance, which the unit's
        // tools know.
        ModelCall::StorageGet { id, key, format } => match key {
            Some(key) => done(
                tools
                    .storage_get_key(id.as_deref(), &key)
                    .map(|v| render(format, &Value::String(v))),
            ),
            None => done(tools.storage_get(id.as_deref()).map(|info| {
                render(
                    format,
                    &json!({"kind": info.kind.as_str(), "location": info.location}),
                )
            })),
        },
        ModelCall::StorageList { name, format } => {
            done(tools.storage_list(name.as_deref()).map(|ids| {
                render(
                    format,
                    &Value::Array(ids.into_iter().map(Value::String).collect()),
                )
            }))
        }
        ModelCall::StorageAdd { directives } => {
            for (name, count) in directives {
                if let Err(e) = tools.storage_add(&name, count) {
                    return ToolResponse::from_tool_error(&e);
                }
            }
            ToolResponse::ok("")
        }
        ModelCall::SecretAdd {
            options,
            settings,
            file,
        } => {
            let data = match file_and_args(file, stdin, settings) {
                Ok(data) => data,
                Err(response) => return response,
            };
            done(
                tools
                    .secret_add(&SecretContent::new(data), &options)
                    .map(|id| format!("{id}\n")),
            )
        }
        ModelCall::SecretGet {
            id,
            label,
            key,
            revision,
            format,
        } => {
            let secret = match (&id, &label) {
                (Some(id), Some(label)) => SecretRef::IdAndLabel(id, label),
                (Some(id), None) => SecretRef::Id(id),
                (None, Some(label)) => SecretRef::Label(label),
                (None, None) => return ToolResponse::usage("require either a secret URI or label"),
            };
            done(tools.secret_get(secret, revision).map(|content| {
                let value = match &key {
                    Some(key) => content
                        .get(key)
                        .map(|v| Value::String(v.to_string()))
                        .unwrap_or(Value::Null),
                    None => bag_value(content.expose()),
                };
                render(format, &value)
            }))
        }
        ModelCall::SecretSet {
            id,
            options,
            settings,
            file,
        } => {
            let data = match file_and_args(file, stdin, settings) {
                Ok(data) => data,
                Err(response) => return response,
            };
            let content = (!data.is_empty()).then(|| SecretContent::new(data));
            quiet(tools.secret_set(&id, content.as_ref(), &options))
        }
        ModelCall::SecretAccess {
            grant,
            id,
            relation_id,
            unit,
        } => {
            let Some(rid) = relation_id.or_else(|| hook.relation_id.clone()) else {
                return ToolResponse::usage("missing relation");
            };
            quiet(if grant {
                tools.secret_grant(&id, &rid, unit.as_deref())
            } else {
                tools.secret_revoke(&id, &rid, unit.as_deref())
            })
        }
        ModelCall::SecretRemove { id, revision } => quiet(tools.secret_remove(&id, revision)),
        ModelCall::SecretIds { format } => done(tools.secret_ids().map(|ids| {
            render(
                format,
                &Value::Array(ids.into_iter().map(Value::String).collect()),
            )
        })),
        ModelCall::SecretInfoGet { id, label, format } => {
            let secret = match (&id, &label) {
                (Some(id), _) => SecretRef::Id(id),
                (None, Some(label)) => SecretRef::Label(label),
                (None, None) => return ToolResponse::usage("require either a secret URI or label"),
            };
            done(
                tools
                    .secret_info_get(secret)
                    .map(|info| render(format, &secret_info_value(&info))),
            )
        }
        ModelCall::StatusGet {
            application,
            include_data,
            format,
        } => {
            let smart_status = !include_data && format == Format::Smart;
            if application {
                done(tools.application_status_get().map(|status| {
                    if smart_status {
                        return render(format, &Value::String(status.application.status));
                    }
                    let mut details = status_details(&status.application, include_data);
                    details["units"] = Value::Object(
                        status
                            .units
                            .iter()
                            .map(|(u, s)| (u.clone(), status_details(s, include_data)))
                            .collect(),
                    );
                    render(format, &json!({"application-status": details}))
                }))
            } else {
                done(tools.status_get().map(|status| {
                    if smart_status {
                        render(format, &Value::String(status.status))
                    } else {
                        render(format, &status_details(&status, include_data))
                    }
                }))
            }
        }
        ModelCall::GoalState { format } => done(
            tools
                .goal_state()
                .map(|goal| render(format, &goal_value(&goal))),
        ),
        ModelCall::OpenedPorts { endpoints, format } => done(tools.opened_ports().map(|ports| {
            let lines = ports
                .iter()
                .map(|p| {
                    let list = match &p.endpoints {
                        PortEndpoints::All => "*".to_string(),
                        PortEndpoints::Only(names) => names.join(", "),
                    };
                    if endpoints {
                        Value::String(format!("{} ({list})", p.range))
                    } else {
                        Value::String(p.range.to_string())
                    }
                })
                .collect();
            render(format, &Value::Array(lines))
        })),
        ModelCall::Port {
            open,
            range,
            endpoints,
        } => quiet(if open {
            tools.open_port_range(range, &endpoints)
        } else {
            tools.close_port_range(range, &endpoints)
        }),
        ModelCall::StateGet {
            key,
            strict,
            format,
        } => match key {
            Some(key) => match tools.state_get(&key) {
                Ok(Some(value)) => ToolResponse::ok(render(format, &Value::String(value))),
                Ok(None) if strict => ToolResponse::error(format!("{key:?} not found")),
                Ok(None) => ToolResponse::ok(render(format, &Value::Null)),
                Err(e) => ToolResponse::from_tool_error(&e),
            },
            None => done(
                tools
                    .state_get_all()
                    .map(|bag| render(format, &bag_value(&bag))),
            ),
        },
        ModelCall::StateSet { settings, file } => {
            let data = match file_and_args(file, stdin, settings) {
                Ok(data) => data,
                Err(response) => return response,
            };
            quiet(tools.state_set(&data))
        }
        ModelCall::StateDelete { key } => quiet(tools.state_delete(&key)),
        ModelCall::CredentialGet { format } => done(
            tools
                .credential_get()
                .map(|spec| render(format, &cloud_value(&spec))),
        ),
        ModelCall::RelationModelGet {
            relation_id,
            format,
        } => {
            let Some(rid) = relation_id.or_else(|| hook.relation_id.clone()) else {
                return ToolResponse::usage("no relation id specified");
            };
            done(
                tools
                    .relation_model_get(&rid)
                    .map(|m| render(format, &json!({"uuid": m.uuid}))),
            )
        }
    }
}
