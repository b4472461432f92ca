//! Running a parsed call against the unit's hook tools and printing the
//! result as Juju does: JSON for `--format=json`, YAML for `--format=yaml`,
//! Juju's "smart" format otherwise; tool failures as `ERROR …` with exit
//! code 1. Defaults missing from the command line (relation id, remote
//! unit, endpoint) come from the running hook's context.

use serde_json::{Map, Value};

use super::commands::{Call, NetSelect};
use super::options::Format;
use super::protocol::ToolResponse;
use crate::sim::unit_tools::SharedUnitTools;
use reactive_core::hook::HookInfo;
use reactive_core::names::app_of;
use reactive_core::tools::{DataBag, HookTools, ToolError};

/// Print `value` in `format`, with the trailing newline Juju prints.
pub(super) fn render(format: Format, value: &Value) -> String {
    match format {
        Format::Json => format!("{value}\n"),
        Format::Yaml => yaml(value),
        Format::Smart => match value {
            Value::Null => String::new(),
            Value::String(s) => format!("{s}\n"),
            Value::Bool(true) => "True\n".into(),
            Value::Bool(false) => "False\n".into(),
            Value::Number(n) => format!("{n}\n"),
            Value::Array(items) if items.iter().all(Value::is_string) => items
                .iter()
                .filter_map(Value::as_str)
                .map(|s| format!("{s}\n"))
                .collect(),
            other => yaml(other),
        },
    }
}

fn yaml(value: &Value) -> String {
    match serde_norway::to_string(value) {
        Ok(text) if text.ends_with('\n') => text,
        Ok(text) => format!("{text}\n"),
        // A JSON value always has a YAML form; fall back to JSON (valid
        // YAML) should the emitter refuse.
        Err(_) => format!("{value}\n"),
    }
}

pub(super) fn bag_value(bag: &DataBag) -> Value {
    Value::Object(
        bag.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// The value of `key` in `bag` (`null` when absent), or the whole bag.
fn select_key(bag: &DataBag, key: Option<&str>) -> Value {
    match key {
        Some(key) => bag
            .get(key)
            .map(|v| Value::String(v.clone()))
            .unwrap_or(Value::Null),
        None => bag_value(bag),
    }
}

fn to_bag(settings: Vec<(String, String)>) -> DataBag {
    settings.into_iter().collect()
}

/// The mapping `relation-set --file` reads: JSON or YAML, string (or
/// scalar) values; an empty or null value deletes a key.
pub(super) fn parse_settings_file(text: &str) -> Result<DataBag, String> {
    if text.trim().is_empty() {
        return Ok(DataBag::new());
    }
    reactive_grammar::yaml_nesting::check_yaml_nesting(text)
        .map_err(|e| format!("cannot parse settings: {e}"))?;
    let doc: serde_norway::Value =
        serde_norway::from_str(text).map_err(|e| format!("cannot parse settings: {e}"))?;
    let mapping = match doc {
        serde_norway::Value::Null => return Ok(DataBag::new()),
        serde_norway::Value::Mapping(mapping) => mapping,
        _ => return Err("cannot parse settings: expected a mapping of keys to values".into()),
    };
    let scalar = |v: &serde_norway::Value| -> Option<String> {
        match v {
            serde_norway::Value::Null => Some(String::new()),
            serde_norway::Value::String(s) => Some(s.clone()),
            serde_norway::Value::Bool(b) => Some(b.to_string()),
            serde_norway::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let mut bag = DataBag::new();
    for (key, value) in &mapping {
        let Some(key) = scalar(key).filter(|k| !k.is_empty()) else {
            return Err("cannot parse settings: keys must be non-empty strings".into());
        };
        let Some(value) = scalar(value) else {
            return Err(format!(
                "cannot parse settings: the value of {key:?} is not a string"
            ));
        };
        bag.insert(key, value);
    }
    Ok(bag)
}

/// Navigate `value` by a dotted key (`action-get a.b.c`).
fn dotted(value: &Value, key: &str) -> Value {
    let mut current = value;
    for part in key.split('.') {
        match current.get(part) {
            Some(next) => current = next,
            None => return Value::Null,
        }
    }
    current.clone()
}

fn no_relation_id() -> ToolResponse {
    ToolResponse::usage("no relation id specified")
}

/// Run a parsed call against `tools`.
pub(super) fn execute(
    tools: &mut SharedUnitTools,
    hook: &HookInfo,
    call: Call,
    stdin: &str,
) -> ToolResponse {
    let done = |result: Result<String, ToolError>| match result {
        Ok(stdout) => ToolResponse::ok(stdout),
        Err(e) => ToolResponse::from_tool_error(&e),
    };
    match call {
        Call::RelationGet {
            relation_id,
            app,
            key,
            target,
            format,
        } => {
            let Some(rid) = relation_id.or_else(|| hook.relation_id.clone()) else {
                return no_relation_id();
            };
            let target = if app {
                target
                    .map(|t| app_of(&t).to_string())
                    .or_else(|| hook.remote_app.clone())
            } else {
                target.or_else(|| hook.remote_unit.clone())
            };
            let Some(target) = target else {
                let what = if app { "application" } else { "unit" };
                return ToolResponse::usage(format!("no {what} id specified"));
            };
            if let (false, Some(key)) = (app, key.as_deref()) {
                // One key of a unit's bag: recorded as asked.
                let value = tools.relation_get_key(&rid, &target, key);
                return done(value.map(|v| render(format, &v.map_or(Value::Null, Value::String))));
            }
            let bag = if app {
                tools.relation_get_app(&rid, &target)
            } else {
                tools.relation_get(&rid, &target)
            };
            done(bag.map(|bag| render(format, &select_key(&bag, key.as_deref()))))
        }
        Call::RelationSet {
            relation_id,
            app,
            file,
            settings,
        } => {
            let Some(rid) = relation_id.or_else(|| hook.relation_id.clone()) else {
                return no_relation_id();
            };
            let mut data = if file {
                match parse_settings_file(stdin) {
                    Ok(bag) => bag,
                    Err(message) => return ToolResponse::error(message),
                }
            } else {
                DataBag::new()
            };
            data.extend(settings);
            done(tools.relation_set(&rid, app, &data).map(|()| String::new()))
        }
        Call::RelationIds { endpoint, format } => {
            let Some(endpoint) = endpoint.or_else(|| hook.relation.clone()) else {
                return ToolResponse::usage("no endpoint name specified");
            };
            done(tools.relation_ids(&endpoint).map(|ids| {
                render(
                    format,
                    &Value::Array(ids.into_iter().map(Value::String).collect()),
                )
            }))
        }
        Call::RelationList {
            relation_id,
            format,
        } => {
            let Some(rid) = relation_id.or_else(|| hook.relation_id.clone()) else {
                return no_relation_id();
            };
            done(tools.relation_list(&rid).map(|units| {
                render(
                    format,
                    &Value::Array(units.into_iter().map(Value::String).collect()),
                )
            }))
        }
        Call::ConfigGet { key, all, format } => done(tools.config_get().map(|config| {
            let value = match key {
                Some(key) => config.get(&key).cloned().unwrap_or(Value::Null),
                None if all => Value::Object(config),
                None => Value::Object(
                    config
                        .into_iter()
                        .filter(|(_, v)| !v.is_null())
                        .collect::<Map<_, _>>(),
                ),
            };
            render(format, &value)
        })),
        Call::IsLeader { format } => {
            done(tools.is_leader().map(|l| render(format, &Value::Bool(l))))
        }
        Call::LeaderGet { key, format } => done(
            tools
                .leader_get()
                .map(|bag| render(format, &select_key(&bag, key.as_deref()))),
        ),
        Call::LeaderSet { settings } => {
            done(tools.leader_set(&to_bag(settings)).map(|()| String::new()))
        }
        Call::JujuLog { level, message } => {
            done(tools.juju_log(level, &message).map(|()| String::new()))
        }
        Call::StatusSet {
            application,
            state,
            message,
        } => done(
            tools
                .status_set(application, state, &message)
                .map(|()| String::new()),
        ),
        Call::UnitGet { key, format } => done(
            tools
                .unit_get(&key)
                .map(|v| render(format, &Value::String(v))),
        ),
        Call::NetworkGet {
            binding,
            relation_id,
            select,
            format,
        } => {
            // With only `-r`, the binding is the relation's endpoint.
            let binding = binding.or_else(|| {
                relation_id
                    .as_deref()
                    .and_then(|rid| rid.rsplit_once(':'))
                    .map(|(endpoint, _)| endpoint.to_string())
            });
            let Some(binding) = binding else {
                return ToolResponse::usage("no binding name specified");
            };
            done(tools.network_get(&binding).map(|info| {
                let value = match select {
                    None => info,
                    Some(NetSelect::Ingress) => info
                        .pointer("/ingress-addresses/0")
                        .cloned()
                        .unwrap_or(Value::Null),
                    Some(NetSelect::Egress) => info
                        .get("egress-subnets")
                        .and_then(Value::as_array)
                        .map(|subnets| {
                            let joined: Vec<&str> =
                                subnets.iter().filter_map(Value::as_str).collect();
                            Value::String(joined.join(","))
                        })
                        .unwrap_or(Value::Null),
                    Some(NetSelect::Primary | NetSelect::Bind) => info
                        .pointer("/bind-addresses/0/addresses/0/value")
                        .cloned()
                        .unwrap_or(Value::Null),
                };
                render(format, &value)
            }))
        }
        Call::ApplicationVersionSet { version } => done(
            tools
                .application_version_set(&version)
                .map(|()| String::new()),
        ),
        Call::Model(call) => super::model_execute::execute_model(tools, hook, call, stdin),
        Call::ActionGet { key, format } => done(tools.action_get().map(|params| {
            let value = match key {
                Some(key) => dotted(&params, &key),
                None => params,
            };
            render(format, &value)
        })),
        Call::ActionSet { settings } => {
            done(tools.action_set(&to_bag(settings)).map(|()| String::new()))
        }
        Call::ActionFail { message } => done(tools.action_fail(&message).map(|()| String::new())),
        Call::ActionLog { message } => done(tools.action_log(&message).map(|()| String::new())),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::sim::tool_server::server::{lock, Shared};
    use crate::sim::tool_server::test_fixture::*;
    use crate::sim::unit_tools::UnitTools;
    use serde_json::json;

    #[test]
    fn answers_every_tool_as_process_tools_calls_it() {
        let f = fixture();
        assert_eq!(
            f.json("relation-ids", &["--format=json", "db"]),
            json!(["db:0"])
        );
        assert_eq!(
            f.json("relation-list", &["--format=json", "-r", "db:0"]),
            json!(["pg/0"])
        );
        assert_eq!(
            f.json(
                "relation-get",
                &["--format=json", "-r", "db:0", "-", "pg/0"]
            )["host"],
            "db.example"
        );
        assert_eq!(
            f.json(
                "relation-get",
                &["--format=json", "--app", "-r", "db:0", "-", "pg"]
            ),
            json!({"version": "16"})
        );
        let set = |args: &[&str], stdin: &str| {
            let r = f.call_as("app/0", "relation-set", args, stdin);
            assert_eq!(r, ToolResponse::ok(""), "{args:?}");
        };
        set(&["-r", "db:0", "--file", "-"], "{\"a\":\"1\",\"b\":\"2\"}");
        set(
            &["-r", "db:0", "--app", "--file", "-"],
            "{\"leader\":\"app/0\"}",
        );
        assert_eq!(
            f.json("config-get", &["--all", "--format=json"]),
            json!({"port": 80, "name": "x", "unset": null})
        );
        assert_eq!(f.json("is-leader", &["--format=json"]), json!(true));
        assert_eq!(f.ok("leader-set", &["k=v", "gone="]), "");
        assert_eq!(f.json("leader-get", &["--format=json"]), json!({"k": "v"}));
        assert_eq!(f.ok("juju-log", &["-l", "INFO", "hello"]), "");
        assert_eq!(f.ok("juju-log", &["-l", "WARNING", "--", "-dash"]), "");
        assert_eq!(f.ok("status-set", &["active", "ready"]), "");
        assert_eq!(
            f.ok("status-set", &["--application", "blocked", "--", "-x"]),
            ""
        );
        assert_eq!(
            f.json("unit-get", &["--format=json", "private-address"]),
            json!("10.0.0.2")
        );
        assert_eq!(
            f.json("network-get", &["--format=json", "db"])["ingress-addresses"],
            json!(["10.0.0.2"])
        );
        assert_eq!(f.ok("application-version-set", &["--", "-rc1"]), "");
        assert_eq!(f.ok("open-port", &["8080/tcp"]), "");
        assert_eq!(f.ok("close-port", &["53/udp"]), "");
        let no_action = f.error("action-get", &["--format=json"]);
        assert!(no_action.contains("not running an action"), "{no_action}");

        // Every call reached the unit's tools, recorded as in process.
        let calls = f.calls();
        assert_eq!(
            calls[5],
            (
                "relation-set".to_string(),
                vec![
                    "-r".into(),
                    "db:0".into(),
                    "--app".into(),
                    "--file".into(),
                    "-".into()
                ]
            )
        );
        assert!(calls.contains(&(
            "juju-log".to_string(),
            vec!["-l".into(), "WARNING".into(), "-dash".into()]
        )));
        assert!(calls.contains(&(
            "status-set".to_string(),
            vec!["--application".into(), "blocked".into(), "-x".into()]
        )));
        assert!(calls.contains(&("application-version-set".to_string(), vec!["-rc1".into()])));
        let changed = f.finish();
        assert_eq!(changed.len(), 2, "{changed:?}");
    }

    #[test]
    fn actions_answer_when_running_one() {
        let shared = Shared::default();
        let tools = UnitTools::new(model(), "app/0").with_action(json!({"a": {"b": 3}}));
        let tools: SharedUnitTools = Arc::new(Mutex::new(tools));
        *lock(&shared.slot) = Some(("app/0".into(), tools.clone()));
        let f = Fixture { shared, tools };
        assert_eq!(
            f.json("action-get", &["--format=json"]),
            json!({"a": {"b": 3}})
        );
        assert_eq!(f.json("action-get", &["--format=json", "a.b"]), json!(3));
        assert_eq!(f.json("action-get", &["--format=json", "a.x"]), json!(null));
        assert_eq!(f.ok("action-set", &["out=1"]), "");
        assert_eq!(f.ok("action-fail", &["broken"]), "");
        assert_eq!(f.ok("action-log", &["half", "way"]), "");
        let bad_key = f.error("action-set", &["Out=1"]);
        assert!(bad_key.contains("\"Out\""), "{bad_key}");
        let tools = lock(&f.tools);
        let action = tools.action().unwrap();
        assert_eq!(action.results.get("out").map(String::as_str), Some("1"));
        assert_eq!(action.failed.as_deref(), Some("broken"));
        assert_eq!(action.logs, ["half way"]);
    }

    #[test]
    fn takes_defaults_from_the_hook_context() {
        let mut hook = HookInfo::named("db-relation-changed");
        hook.relation = Some("db".into());
        hook.relation_id = Some("db:0".into());
        hook.remote_unit = Some("pg/0".into());
        hook.remote_app = Some("pg".into());
        let f = fixture_with("app/0", Some(hook));
        assert_eq!(f.ok("relation-get", &["host"]), "db.example\n");
        assert_eq!(
            f.json("relation-get", &["--format=json"])["host"],
            "db.example"
        );
        assert_eq!(
            f.json("relation-get", &["--format=json", "--app"]),
            json!({"version": "16"})
        );
        assert_eq!(f.json("relation-list", &["--format=json"]), json!(["pg/0"]));
        assert_eq!(f.json("relation-ids", &["--format=json"]), json!(["db:0"]));
        assert_eq!(f.ok("relation-set", &["x=1"]), "");

        // Outside a relation hook there are no such defaults.
        let f = fixture();
        assert!(f
            .usage("relation-get", &["host"])
            .contains("no relation id specified"));
        assert!(f
            .usage("relation-get", &["-r", "db:0", "host"])
            .contains("no unit id specified"));
        assert!(f
            .usage("relation-list", &[])
            .contains("no relation id specified"));
        assert!(f
            .usage("relation-set", &["a=b"])
            .contains("no relation id specified"));
        assert!(f
            .usage("relation-ids", &[])
            .contains("no endpoint name specified"));
    }

    #[test]
    fn relation_not_found_is_worded_as_juju_words_it() {
        let f = fixture();
        for (tool, args) in [
            (
                "relation-get",
                &["--format=json", "-r", "db:9", "-", "pg/0"][..],
            ),
            ("relation-list", &["--format=json", "-r", "db:9"]),
            ("relation-set", &["-r", "db:9", "a=b"]),
        ] {
            let stderr = f.error(tool, args);
            assert_eq!(
                stderr,
                "ERROR invalid value \"db:9\" for option -r: relation not found\n"
            );
            let args: Vec<&str> = args.to_vec();
            let e = ToolError::failed(tool, &args, Some(1), stderr.as_bytes(), &[]);
            assert!(e.is_relation_not_found(), "{e}");
        }
    }

    #[test]
    fn tool_failures_are_errors_with_code_1() {
        let f = fixture_with("app/1", None);
        let call = |tool: &str, args: &[&str]| f.call_as("app/1", tool, args, "");
        for (tool, args) in [
            ("leader-set", &["k=v"][..]),
            ("status-set", &["--application", "active"]),
            ("relation-set", &["-r", "db:0", "--app", "a=b"]),
            (
                "relation-get",
                &["--format=json", "--app", "-r", "db:0", "-", "app"],
            ),
        ] {
            let r = call(tool, args);
            assert_eq!(r.code, 1, "{tool} {args:?}: {r:?}");
            assert!(r.stderr.starts_with("ERROR "), "{r:?}");
            assert!(r.stdout.is_empty());
        }
        // A settings file that is not a mapping of strings.
        let f = fixture();
        for stdin in ["[1, 2]", "a: [1]", "a: {b: c}", "{: x", "just text"] {
            let r = f.call_as(
                "app/0",
                "relation-set",
                &["-r", "db:0", "--file", "-"],
                stdin,
            );
            assert_eq!(r.code, 1, "{stdin:?}: {r:?}");
            assert!(r.stderr.starts_with("ERROR cannot parse settings"), "{r:?}");
        }
        // Empty input sets nothing.
        let r = f.call_as("app/0", "relation-set", &["-r", "db:0", "--file", "-"], "");
        assert_eq!(r.code, 0);
    }
}
