//! Actions in the harness: results (nested keys), logs, failures, typed
//! parameters, nothing committed by a failed action, only the action's
//! handlers running, and the refusals of what Juju would not run.

use reactive_core::prelude::*;
use reactive_core::tools::WorkloadState;
use reactive_testing::harness::{Harness, HarnessError};
use serde_json::json;

reactive_core::charm!();

type HandlerResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

#[derive(serde::Deserialize)]
struct BackupParams {
    target: String,
    keep: u32,
    #[serde(default)]
    compress: bool,
}

#[action("backup")]
fn backup(ctx: &mut Context, params: BackupParams) -> HandlerResult {
    ctx.action_log(&format!("backing up to {}", params.target))?;
    ctx.action_set("backup.path", &format!("{}/backup.tar", params.target))?;
    ctx.action_set_values(&json!({
        "backup": {"kept": params.keep, "compressed": params.compress},
        "summary": "done",
    }))?;
    ctx.action_log("finished")?;
    ctx.set_flag("app.backed-up");
    Ok(())
}

#[action("restore")]
fn restore(ctx: &mut Context) -> HandlerResult {
    ctx.set_flag("app.restoring");
    ctx.unit_state().set("restore.started", json!(true));
    ctx.action_set("partial", "yes")?;
    Err("no backup to restore from".into())
}

#[action("wipe")]
fn wipe(ctx: &mut Context) -> HandlerResult {
    ctx.set_flag("app.wiped");
    ctx.action_fail("refusing to wipe a unit in service")?;
    Ok(())
}

#[action("bad-key")]
fn bad_key(ctx: &mut Context) -> HandlerResult {
    ctx.action_set("Bad_Key", "x")?;
    Ok(())
}

#[action("count")]
fn count(ctx: &Context, params: serde_json::Value) -> HandlerResult {
    let seen = ctx.is_flag_set("app.backed-up");
    let n = params["n"].as_i64().unwrap_or_default();
    ctx.action_set("seen-backup", &seen.to_string())?;
    ctx.action_set("double", &(2 * n).to_string())?;
    Ok(())
}

/// A flag handler that would run in any hook: it must not run in an action.
#[when("app.backed-up")]
fn after_backup(ctx: &mut Context) -> HandlerResult {
    ctx.status_set(WorkloadState::Active, "backed up")?;
    ctx.set_flag("app.reacted");
    Ok(())
}

/// Would set a flag in every hook.
#[hook("{install,update-status}")]
fn on_hook(ctx: &mut Context) {
    ctx.set_flag("app.hook-ran");
}

const METADATA: &str = "name: app\n";
const CONFIG: &str = "options:\n  port: {type: int, default: 80}\n";
const ACTIONS: &str = "\
backup:
  params:
    target: {type: string}
    keep: {type: integer, default: 3}
    compress: {type: boolean}
  required: [target]
  additionalProperties: false
restore: {}
wipe: {}
bad-key: {}
count:
  params:
    n: {type: integer}
";

fn harness() -> Harness {
    let mut h = Harness::from_yaml(METADATA, CONFIG, charm()).unwrap();
    h.set_actions_yaml(ACTIONS).unwrap();
    h
}

#[test]
fn results_nest_dotted_keys_and_logs_are_kept_in_order() {
    let mut h = harness();
    h.fire("install").unwrap();
    let outcome = h
        .run_action("backup", json!({"target": "/srv", "compress": true}))
        .unwrap();
    assert!(outcome.succeeded(), "{:?}", outcome.failure);
    assert_eq!(
        outcome.params,
        json!({"target": "/srv", "compress": true, "keep": 3})
    );
    assert_eq!(
        outcome.results,
        json!({
            "backup": {"path": "/srv/backup.tar", "kept": "3", "compressed": "true"},
            "summary": "done",
        })
    );
    assert_eq!(outcome.result("backup.path"), Some("/srv/backup.tar"));
    assert_eq!(outcome.logs, ["backing up to /srv", "finished"]);
    assert_eq!(
        outcome.record.invoked.len(),
        1,
        "{:?}",
        outcome.record.invoked
    );
    assert!(outcome.record.invoked[0].ends_with(":backup"));
    let sets: Vec<&Vec<String>> = outcome
        .record
        .calls
        .iter()
        .filter(|c| c.tool == "action-set")
        .map(|c| &c.args)
        .collect();
    assert_eq!(sets.len(), 2, "{sets:?}");
    assert_eq!(
        sets[1].len(),
        3,
        "one action-set for the nested values: {sets:?}"
    );
}

#[test]
fn only_the_action_handlers_run_and_flags_react_in_the_next_hook() {
    let mut h = harness();
    h.fire("install").unwrap();
    let outcome = h.run_action("backup", json!({"target": "/srv"})).unwrap();
    assert!(outcome.succeeded());
    assert_eq!(
        outcome.record.invoked.len(),
        1,
        "{:?}",
        outcome.record.invoked
    );
    // No start-up flags, no flag handler, no hook handler in the action.
    assert_eq!(outcome.record.calls_of("status-set"), 0);
    assert!(!outcome
        .record
        .flags
        .iter()
        .any(|f| f.starts_with("config.")));
    assert!(h.is_flag_set("app.backed-up"), "committed with the action");
    assert!(!h.is_flag_set("app.reacted"));
    h.fire("update-status").unwrap();
    assert!(
        h.is_flag_set("app.reacted"),
        "the flag reacts in the next hook"
    );
    assert_eq!(h.status().unwrap().message, "backed up");
}

#[test]
fn a_handler_error_fails_the_action_and_commits_nothing() {
    let mut h = harness();
    h.fire("install").unwrap();
    let outcome = h.run_action("restore", serde_json::Value::Null).unwrap();
    assert_eq!(
        outcome.failure.as_deref(),
        Some("no backup to restore from")
    );
    let fails: Vec<&Vec<String>> = outcome
        .record
        .calls
        .iter()
        .filter(|c| c.tool == "action-fail")
        .map(|c| &c.args)
        .collect();
    assert_eq!(fails, [&vec!["no backup to restore from".to_string()]]);
    // Results set before the failure stay with the action, as in Juju.
    assert_eq!(outcome.result("partial"), Some("yes"));
    assert!(
        !h.is_flag_set("app.restoring"),
        "flags of a failed action are not persisted"
    );
    assert_eq!(h.unit_state().get("restore.started").unwrap(), None);
    assert!(outcome.record.result.is_err());
}

#[test]
fn action_fail_from_the_handler_also_commits_nothing() {
    let mut h = harness();
    let outcome = h.run_action("wipe", json!({})).unwrap();
    assert_eq!(
        outcome.failure.as_deref(),
        Some("refusing to wipe a unit in service")
    );
    assert_eq!(
        outcome.record.calls_of("action-fail"),
        1,
        "failed once, not twice"
    );
    assert!(!h.is_flag_set("app.wiped"));
}

#[test]
fn a_bad_result_key_fails_the_action_naming_the_key() {
    let mut h = harness();
    let outcome = h.run_action("bad-key", json!({})).unwrap();
    let failure = outcome.failure.unwrap();
    assert!(failure.contains("`Bad_Key`"), "{failure}");
    assert_eq!(
        outcome.record.calls_of("action-set"),
        0,
        "refused before Juju"
    );
}

#[test]
fn typed_params_that_do_not_fit_fail_the_action_naming_the_parameter() {
    let mut h = harness();
    // The harness's schema check is off: the handler's own type decides.
    h.set_consistency_checks(false);
    let outcome = h
        .run_action("backup", json!({"target": "/srv", "keep": "three"}))
        .unwrap();
    let failure = outcome.failure.unwrap();
    assert!(
        failure.starts_with("parameter `keep` of action `backup` does not fit: invalid type"),
        "{failure}"
    );
    let outcome = h.run_action("backup", json!({"keep": 1})).unwrap();
    assert!(outcome.failure.unwrap().contains("missing field `target`"));
}

#[test]
fn any_deserialize_type_serves_as_params_and_the_state_is_read() {
    let mut h = harness();
    h.run_action("backup", json!({"target": "/srv"})).unwrap();
    let outcome = h.run_action("count", json!({"n": 21})).unwrap();
    assert_eq!(
        outcome.results,
        json!({"double": "42", "seen-backup": "true"})
    );
}

#[test]
fn unknown_actions_and_bad_params_are_refused_before_running() {
    let mut h = harness();
    let err = h.run_action("bakup", json!({})).unwrap_err();
    assert!(matches!(err, HarnessError::UnknownAction { .. }));
    assert_eq!(
        err.to_string(),
        "actions.yaml declares no action `bakup` (it declares: backup, bad-key, count, \
         restore, wipe); did you mean `backup`?"
    );
    assert_eq!(
        h.run_action("backup", json!({})).unwrap_err().to_string(),
        "action `backup`: parameter `target` is required"
    );
    assert_eq!(
        h.run_action("backup", json!({"target": 1}))
            .unwrap_err()
            .to_string(),
        "action `backup`: parameter `target` must be of type string, not an integer"
    );
    assert_eq!(
        h.run_action("backup", json!({"target": "/x", "kep": 1}))
            .unwrap_err()
            .to_string(),
        "action `backup`: parameter `kep` is not declared; did you mean `keep`?"
    );
    assert!(h.history().is_empty(), "a refused action does not run");
}

#[test]
fn an_action_without_a_handler_fails() {
    let mut h = harness();
    h.set_actions_yaml("backup: {}\nsnapshot: {}\n").unwrap();
    let outcome = h.run_action("snapshot", json!({})).unwrap();
    let failure = outcome.failure.unwrap();
    assert!(
        failure.starts_with("the charm has no handler for action `snapshot`"),
        "{failure}"
    );
}
