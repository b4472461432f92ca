//! The runtime through the single-unit harness: built-in
//! config, leadership and upgrade-series flags, restricted mode, failing
//! hooks, hook-tool call counts, the README's example; and the charm
//! binary's command-line interface (`run_cli`).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use reactive_core::endpoint::EndpointBase;
use reactive_core::log::LogLevel;
use reactive_core::prelude::*;
use reactive_core::runtime::cli::{run_cli, OBSERVED_SETS_KEY};
use reactive_core::UnitState;
use reactive_testing::harness::Harness;
use serde_json::{json, Value};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn prefix(module: &str) -> reactive_core::registry::RegistryBuilder {
    Registry::builder().module_prefix(&format!("runtime_harness::{module}"))
}

/// No handler at all (the runtime's built-in work only).
fn no_handlers() -> reactive_core::registry::RegistryBuilder {
    Registry::builder().descriptors(Vec::new())
}

fn tools(record: &reactive_testing::harness::HookRecord) -> Vec<&str> {
    record.calls.iter().map(|c| c.tool.as_str()).collect()
}

// ---- config flags ----------------------------------------------------------

mod config_charm {
    use super::*;

    /// Records the config flags a handler sees during the hook.
    #[hook("install", "config-changed", "update-status")]
    fn record(ctx: &mut Context) {
        let seen: Vec<String> = ctx
            .get_flags()
            .into_iter()
            .filter(|f| f.starts_with("config."))
            .collect();
        ctx.set_flag_value("seen.config", json!(seen));
    }

    #[when("config.changed.mode")]
    fn mode_changed(ctx: &mut Context) {
        let mode = ctx.config().get("mode").cloned().unwrap_or_default();
        ctx.set_flag_value("seen.mode", mode);
    }
}

const CONFIG_YAML: &str = "\
options:
  port: {type: int, default: 80}
  name: {type: string, default: \"\"}
  mode: {type: string, default: fast}
  extra: {type: string}
";

fn config_harness() -> Harness {
    Harness::from_yaml("name: app\n", CONFIG_YAML, prefix("config_charm")).unwrap()
}

/// The config flags the `record` handler saw in the last hook.
fn seen_config(harness: &mut Harness) -> Vec<String> {
    let values = harness.flag_values();
    let seen = values
        .iter()
        .find(|(f, _)| f == "seen.config")
        .map(|(_, v)| v.clone())
        .unwrap();
    serde_json::from_value(seen).unwrap()
}

fn assert_no_config_flag_persisted(harness: &mut Harness) {
    let flags = harness.flags();
    assert!(
        flags.iter().all(|f| !f.starts_with("config.")),
        "config flags persisted: {flags:?}"
    );
}

#[test]
fn first_hook_counts_every_option_as_changed() {
    let mut harness = config_harness();
    harness.fire("install").unwrap();
    assert_eq!(
        seen_config(&mut harness),
        [
            "config.changed",
            "config.changed.extra",
            "config.changed.mode",
            "config.changed.name",
            "config.changed.port",
            "config.default.extra",
            "config.default.mode",
            "config.default.name",
            "config.default.port",
            "config.set.mode",
            "config.set.port",
        ]
    );
    assert!(
        harness.is_flag_set("seen.mode"),
        "a config.changed.<key> handler did not run"
    );
    assert_no_config_flag_persisted(&mut harness);
}

#[test]
fn config_set_is_for_non_empty_values_only() {
    let mut harness = config_harness();
    harness.fire("install").unwrap();
    let seen = seen_config(&mut harness);
    assert!(seen.contains(&"config.set.port".to_string()));
    assert!(
        !seen.contains(&"config.set.name".to_string()),
        "empty string"
    );
    assert!(!seen.contains(&"config.set.extra".to_string()), "no value");
    harness.update_config(json!({"name": "web"})).unwrap();
    harness.fire("config-changed").unwrap();
    let seen = seen_config(&mut harness);
    assert!(seen.contains(&"config.set.name".to_string()), "{seen:?}");
    harness.update_config(json!({"name": ""})).unwrap();
    harness.fire("config-changed").unwrap();
    let seen = seen_config(&mut harness);
    assert!(!seen.contains(&"config.set.name".to_string()), "{seen:?}");
}

#[test]
fn config_set_follows_python_truthiness_false_zero_empty_and_null_are_unset() {
    let mut harness = Harness::from_yaml(
        "name: app\n",
        "options:\n  on: {type: boolean, default: true}\n  count: {type: int, default: 1}\n  \
         ratio: {type: float, default: 0.5}\n  name: {type: string, default: x}\n  \
         extra: {type: string}\n",
        prefix("config_charm"),
    )
    .unwrap();
    let set_flags = |harness: &mut Harness| -> Vec<String> {
        seen_config(harness)
            .into_iter()
            .filter(|f| f.starts_with("config.set."))
            .collect()
    };
    harness.fire("install").unwrap();
    assert_eq!(
        set_flags(&mut harness),
        [
            "config.set.count",
            "config.set.name",
            "config.set.on",
            "config.set.ratio"
        ],
        "null (`extra` has no value) is not set"
    );
    harness
        .update_config(json!({"on": false, "count": 0, "ratio": 0.0, "name": ""}))
        .unwrap();
    harness.fire("config-changed").unwrap();
    assert_eq!(set_flags(&mut harness), [] as [String; 0]);
    harness
        .update_config(json!({"on": true, "count": -1, "ratio": 0.1, "name": "0", "extra": "y"}))
        .unwrap();
    harness.fire("config-changed").unwrap();
    assert_eq!(
        set_flags(&mut harness),
        [
            "config.set.count",
            "config.set.extra",
            "config.set.name",
            "config.set.on",
            "config.set.ratio"
        ]
    );
}

#[test]
fn config_default_is_set_when_the_value_equals_the_default() {
    let mut harness = config_harness();
    harness.fire("install").unwrap();
    harness.update_config(json!({"port": 8080})).unwrap();
    harness.fire("config-changed").unwrap();
    let seen = seen_config(&mut harness);
    assert!(
        !seen.contains(&"config.default.port".to_string()),
        "{seen:?}"
    );
    assert!(
        seen.contains(&"config.default.mode".to_string()),
        "{seen:?}"
    );
    harness.update_config(json!({"port": 80})).unwrap();
    harness.fire("config-changed").unwrap();
    let seen = seen_config(&mut harness);
    assert!(
        seen.contains(&"config.default.port".to_string()),
        "{seen:?}"
    );
}

#[test]
fn after_a_config_change_only_that_key_is_changed() {
    let mut harness = config_harness();
    harness.fire("install").unwrap();
    harness.update_config(json!({"mode": "slow"})).unwrap();
    let record = harness.fire("config-changed").unwrap().clone();
    assert_eq!(
        seen_config(&mut harness),
        [
            "config.changed",
            "config.changed.mode",
            "config.default.extra",
            "config.default.name",
            "config.default.port",
            "config.set.mode",
            "config.set.port",
        ]
    );
    assert_eq!(
        harness
            .flag_values()
            .into_iter()
            .find(|(f, _)| f == "seen.mode"),
        Some(("seen.mode".to_string(), json!("slow")))
    );
    assert!(record
        .invoked
        .iter()
        .any(|id| id.ends_with(":mode_changed")));
    assert_no_config_flag_persisted(&mut harness);

    // Nothing changed: no config.changed flag at all.
    let record = harness.fire("update-status").unwrap().clone();
    assert_eq!(
        seen_config(&mut harness),
        [
            "config.default.extra",
            "config.default.name",
            "config.default.port",
            "config.set.mode",
            "config.set.port",
        ]
    );
    assert!(!record
        .invoked
        .iter()
        .any(|id| id.ends_with(":mode_changed")));
    assert_no_config_flag_persisted(&mut harness);
}

// ---- leadership flags -----------------------------------------------------------

fn leadership_flags(harness: &mut Harness) -> Vec<String> {
    harness
        .flags()
        .into_iter()
        .filter(|f| f.starts_with("leadership."))
        .collect()
}

#[test]
fn leadership_is_leader_follows_leadership() {
    let mut harness = Harness::from_yaml("name: app\n", "", no_handlers()).unwrap();
    harness.fire("install").unwrap();
    assert!(leadership_flags(&mut harness).is_empty());
    harness.set_leader(true);
    harness.fire("leader-elected").unwrap();
    assert_eq!(leadership_flags(&mut harness), ["leadership.is_leader"]);
    harness.fire("update-status").unwrap();
    assert_eq!(
        leadership_flags(&mut harness),
        ["leadership.is_leader"],
        "the flag persists"
    );
    harness.set_leader(false);
    harness.fire("leader-settings-changed").unwrap();
    assert!(leadership_flags(&mut harness).is_empty());
}

#[test]
fn leadership_settings_flags_track_changes_across_hooks() {
    let mut harness = Harness::from_yaml("name: app\n", "", no_handlers()).unwrap();
    harness.fire("install").unwrap();
    harness.set_leader_settings(&[("password", "s3cret"), ("host", "10.0.0.1")]);
    harness.fire("leader-settings-changed").unwrap();
    assert_eq!(
        leadership_flags(&mut harness),
        [
            "leadership.changed",
            "leadership.changed.host",
            "leadership.changed.password",
            "leadership.set.host",
            "leadership.set.password",
        ]
    );
    // No change: the changed flags are cleared, the set flags persist.
    harness.fire("update-status").unwrap();
    assert_eq!(
        leadership_flags(&mut harness),
        ["leadership.set.host", "leadership.set.password"]
    );
    // One key changes, one is removed.
    harness.set_leader_settings(&[("password", "n3w"), ("host", "")]);
    harness.fire("leader-settings-changed").unwrap();
    assert_eq!(
        leadership_flags(&mut harness),
        [
            "leadership.changed",
            "leadership.changed.host",
            "leadership.changed.password",
            "leadership.set.password",
        ]
    );
    harness.fire("update-status").unwrap();
    assert_eq!(leadership_flags(&mut harness), ["leadership.set.password"]);
}

// ---- upgrade-series flags ---------------------------------------------------------

mod series_charm {
    use super::*;

    #[when("upgrade.series.in-progress")]
    fn paused() {}
}

#[test]
fn upgrade_series_in_progress_spans_the_upgrade() {
    let mut harness = Harness::from_yaml("name: app\n", "", prefix("series_charm")).unwrap();
    harness.fire("install").unwrap();
    assert!(!harness.is_flag_set("upgrade.series.in-progress"));
    let record = harness.fire("pre-series-upgrade").unwrap().clone();
    assert!(harness.is_flag_set("upgrade.series.in-progress"));
    assert_eq!(record.invoked.len(), 1);
    assert!(record.invoked[0].ends_with(":paused"));
    harness.fire("update-status").unwrap();
    assert!(
        harness.is_flag_set("upgrade.series.in-progress"),
        "persisted"
    );
    let record = harness.fire("post-series-upgrade").unwrap().clone();
    assert!(!harness.is_flag_set("upgrade.series.in-progress"));
    assert!(record.invoked.is_empty(), "{:?}", record.invoked);
}

mod observed_charm {
    use super::*;

    #[when_not("app.a")]
    fn sets_a(ctx: &mut Context) {
        ctx.set_flag("app.a");
        ctx.set_flag("app.b");
        ctx.clear_flag("app.b");
    }
}

#[test]
fn the_flags_a_handler_sets_are_recorded_for_the_graph() {
    let mut harness = Harness::from_yaml("name: app\n", "", prefix("observed_charm")).unwrap();
    let record = harness.fire("install").unwrap().clone();
    let id = record.invoked[0].clone();
    let saved = harness
        .unit_state()
        .get(reactive_core::runtime::cli::OBSERVED_SETS_KEY)
        .unwrap()
        .unwrap();
    // `app.b` was set and cleared again: only what stayed set is recorded.
    assert_eq!(saved, serde_json::json!({ id: ["app.a"] }));
}

// ---- restricted mode ----------------------------------------------------------------

mod restricted_charm {
    use super::*;

    #[hook("install")]
    fn install(ctx: &mut Context) {
        ctx.set_flag("app.ready");
    }

    #[collect_metrics]
    fn metrics(ctx: &mut Context) {
        ctx.set_flag("metrics.collected");
    }

    #[meter_status_changed]
    fn meter() {}

    #[hook("collect-metrics")]
    fn hook_handler() {}

    #[when("app.ready")]
    fn flag_handler() {}
}

#[test]
fn restricted_hooks_run_only_restricted_handlers_and_no_startup() {
    let mut harness = Harness::from_yaml(
        "name: app\n",
        "options:\n  port: {type: int, default: 80}\n",
        prefix("restricted_charm"),
    )
    .unwrap();
    harness.fire("install").unwrap();
    let record = harness.fire("collect-metrics").unwrap().clone();
    assert_eq!(record.invoked.len(), 1, "{:?}", record.invoked);
    assert!(record.invoked[0].ends_with(":metrics"));
    // No config-get, is-leader or leader-get: only the log lines (the
    // hook's announcement, `Restricted mode.`, the handler's).
    assert_eq!(record.calls_of("config-get"), 0);
    assert_eq!(record.calls_of("is-leader"), 0);
    assert_eq!(record.calls_of("leader-get"), 0);
    assert_eq!(tools(&record), ["juju-log"; 3]);
    assert_eq!(harness.flags(), ["app.ready", "metrics.collected"]);

    let record = harness.fire("meter-status-changed").unwrap().clone();
    assert_eq!(record.invoked.len(), 1);
    assert!(record.invoked[0].ends_with(":meter"));
    assert_eq!(tools(&record), ["juju-log"; 3]);
}

#[test]
fn every_hook_logs_reactive_main_and_restricted_hooks_say_so_without_tracing() {
    let mut harness = Harness::from_yaml(
        "name: app\n",
        "options:\n  port: {type: int, default: 80}\n",
        prefix("restricted_charm"),
    )
    .unwrap();
    harness.set_tracing(true);
    let info = |logs: &[(LogLevel, String)], text: &str| {
        logs.iter()
            .filter(|(level, m)| *level == LogLevel::Info && m == text)
            .count()
    };
    harness.fire("install").unwrap();
    let logs = harness.logs();
    assert_eq!(
        info(&logs, "Reactive main running for hook install"),
        1,
        "{logs:?}"
    );
    assert_eq!(info(&logs, "Restricted mode."), 0, "{logs:?}");
    // The first line of the hook, before anything else.
    assert_eq!(logs[0].1, "Reactive main running for hook install");
    let before = logs.len();

    for hook in ["collect-metrics", "meter-status-changed"] {
        let before = harness.logs().len();
        harness.fire(hook).unwrap();
        let logs = harness.logs()[before..].to_vec();
        assert_eq!(
            &logs[..2],
            [
                (
                    LogLevel::Info,
                    format!("Reactive main running for hook {hook}")
                ),
                (LogLevel::Info, "Restricted mode.".to_string()),
            ],
            "{logs:?}"
        );
        assert!(
            logs.iter().all(|(level, _)| *level != LogLevel::Debug),
            "tracer output in restricted mode: {logs:?}"
        );
    }
    assert!(harness.logs().len() > before);
}

#[test]
fn an_unserved_endpoint_is_logged_at_error_once_in_every_hook() {
    let mut harness = Harness::from_yaml(
        "name: app\nrequires:\n  db:\n    interface: nothing-serves-this\n  \
         cache:\n    interface: nor-this\n",
        "",
        no_handlers(),
    )
    .unwrap();
    for hook in ["install", "config-changed", "update-status", "start"] {
        let before = harness.logs().len();
        harness.fire(hook).unwrap();
        let errors: Vec<String> = harness.logs()[before..]
            .iter()
            .filter(|(level, _)| *level == LogLevel::Error)
            .map(|(_, m)| m.clone())
            .collect();
        assert_eq!(errors.len(), 2, "{hook}: {errors:?}");
        assert!(
            errors[0].contains("`cache`") && errors[0].contains("nor-this"),
            "{errors:?}"
        );
        assert!(
            errors[1].contains("`db`") && errors[1].contains("nothing-serves-this"),
            "{errors:?}"
        );
    }
}

// ---- a handler that ends the dispatch early ------------------------------------------

#[derive(Default)]
pub struct StopRequires {
    base: EndpointBase,
}

impl Endpoint for StopRequires {
    fn from_base(base: EndpointBase) -> Self {
        StopRequires { base }
    }
    fn base(&self) -> &EndpointBase {
        &self.base
    }
    fn base_mut(&mut self) -> &mut EndpointBase {
        &mut self.base
    }
}

#[endpoint(interface = "runtime-harness-stop", role = "requires")]
impl StopRequires {
    #[when("endpoint.{endpoint_name}.joined")]
    #[when_not("app.stopped")]
    fn publish_and_stop(&mut self, ctx: &mut Context) -> Result<(), BoxError> {
        self.relations_mut()[0]
            .to_publish()?
            .set("verdict", json!("done"));
        ctx.set_flag("app.stopped");
        ctx.stop_dispatch();
        Ok(())
    }
}

mod stop_charm {
    use super::*;

    #[when("endpoint.db.joined")]
    fn after_the_stop(ctx: &mut Context) {
        ctx.set_flag("app.after-stop");
    }
}

#[test]
fn a_dispatch_stopped_early_publishes_clears_and_commits() {
    let mut harness = Harness::from_yaml(
        "name: app\nrequires:\n  db:\n    interface: runtime-harness-stop\n",
        "options:\n  port: {type: int, default: 80}\n",
        prefix("stop_charm"),
    )
    .unwrap();
    harness.fire("install").unwrap();
    let rid = harness.add_relation("db", "server").unwrap();
    harness.add_remote_unit(&rid, "server/0").unwrap();
    let record = harness
        .fire_relation("joined", &rid, Some("server/0"))
        .unwrap()
        .clone();
    assert_eq!(record.invoked.len(), 1, "{:?}", record.invoked);
    assert!(record.invoked[0].ends_with(":publish_and_stop:db"));
    // Exit work ran: the relation data is published, the config flags of
    // the hook are gone; and the unit state was committed.
    assert_eq!(
        harness
            .published(&rid)
            .unwrap()
            .get("verdict")
            .map(String::as_str),
        Some("\"done\"")
    );
    assert!(harness.is_flag_set("app.stopped"));
    assert!(!harness.is_flag_set("app.after-stop"));
    assert_no_config_flag_persisted(&mut harness);
    // The next hook dispatches in full again.
    harness.fire("update-status").unwrap();
    assert!(harness.is_flag_set("app.after-stop"));
}

// ---- a failing handler ----------------------------------------------------------------

#[derive(Default)]
pub struct AckRequires {
    base: EndpointBase,
}

impl Endpoint for AckRequires {
    fn from_base(base: EndpointBase) -> Self {
        AckRequires { base }
    }
    fn base(&self) -> &EndpointBase {
        &self.base
    }
    fn base_mut(&mut self) -> &mut EndpointBase {
        &mut self.base
    }
}

mod failing_charm {
    use super::*;

    #[when("endpoint.db.joined")]
    fn mark(ctx: &mut Context) {
        let ack = ctx.config().get("ack").cloned().unwrap_or_default();
        ctx.set_flag_value("app.mark", ack);
        ctx.set_flag("app.marked-in-this-hook");
        ctx.clear_flag("app.installed");
    }

    #[when("config.changed.ack")]
    fn ack_changed(ctx: &mut Context) {
        let ack = ctx.config().get("ack").cloned().unwrap_or_default();
        ctx.set_flag_value("app.ack-changed", ack);
    }

    #[hook("install")]
    fn install(ctx: &mut Context) {
        ctx.set_flag("app.installed");
    }
}

#[endpoint(interface = "runtime-harness-ack", role = "requires")]
impl AckRequires {
    #[when("endpoint.{endpoint_name}.joined")]
    fn publish(&mut self, ctx: &mut Context) -> Result<(), BoxError> {
        let ack = ctx.config().get("ack").cloned().unwrap_or_default();
        self.relations_mut()[0].to_publish()?.set("ack", ack);
        if ctx.config().get_bool("fail") == Some(true) {
            return Err("told to fail".into());
        }
        Ok(())
    }
}

#[test]
fn a_failing_handler_fails_the_hook_and_changes_nothing() {
    let mut harness = Harness::from_yaml(
        "name: app\nrequires:\n  db:\n    interface: runtime-harness-ack\n",
        "options:\n  ack: {type: string, default: one}\n  fail: {type: boolean, default: false}\n",
        prefix("failing_charm"),
    )
    .unwrap();
    harness.fire("install").unwrap();
    let rid = harness.add_relation("db", "server").unwrap();
    harness.add_remote_unit(&rid, "server/0").unwrap();
    harness
        .fire_relation("joined", &rid, Some("server/0"))
        .unwrap();
    assert_eq!(
        harness
            .published(&rid)
            .unwrap()
            .get("ack")
            .map(String::as_str),
        Some("\"one\"")
    );
    let flags_before = harness.flag_values();
    assert!(flags_before.contains(&("app.mark".to_string(), json!("one"))));
    let published_before = harness.published(&rid).unwrap();

    harness
        .update_config(json!({"ack": "two", "fail": true}))
        .unwrap();
    let record = harness
        .fire("config-changed")
        .unwrap_err()
        .record()
        .unwrap()
        .clone();
    // The record's error names the handler; the dispatch report of a failed
    // hook is empty (the runtime drops it).
    let message = record.result.clone().unwrap_err();
    let id = message
        .split_once("handler ")
        .and_then(|(_, rest)| rest.split_once(' '))
        .map(|(id, _)| id.to_string())
        .unwrap_or_default();
    assert!(
        id.starts_with("reactive-core/tests/runtime_harness.rs:") && id.ends_with(":publish:db"),
        "{message}"
    );
    assert!(message.contains("told to fail"), "{message}");
    assert!(record.changed.is_empty(), "{:?}", record.changed);
    assert_eq!(
        harness.published(&rid).unwrap(),
        published_before,
        "data was published"
    );
    assert_eq!(harness.flag_values(), flags_before, "flags changed");
    let errors: Vec<String> = harness
        .logs()
        .into_iter()
        .filter(|(level, _)| *level == LogLevel::Error)
        .map(|(_, m)| m)
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains(&id) && errors[0].contains("told to fail"),
        "{errors:?}"
    );
    assert!(
        record.calls.iter().any(|c| c.tool == "juju-log"
            && c.args.first().map(String::as_str) == Some("-l")
            && c.args.get(1).map(String::as_str) == Some("ERROR")
            && c.args.get(2).is_some_and(|m| m.contains(&id))),
        "{:?}",
        record.calls
    );

    // The retried hook sees the config change again: the failed hook did
    // not remember the config it saw.
    harness.update_config(json!({"fail": false})).unwrap();
    harness.fire("config-changed").unwrap();
    assert_eq!(
        harness
            .published(&rid)
            .unwrap()
            .get("ack")
            .map(String::as_str),
        Some("\"two\"")
    );
    assert!(harness
        .flag_values()
        .contains(&("app.ack-changed".to_string(), json!("two"))));
}

mod partly_failing_charm {
    use super::*;

    #[when("config.changed")]
    fn first(ctx: &mut Context) {
        ctx.set_flag("first.ran");
    }

    #[when("first.ran")]
    fn second() -> Result<(), BoxError> {
        Err("second fails".into())
    }
}

#[test]
fn a_failed_hook_record_lists_the_handlers_invoked_before_the_failure() {
    let mut harness = Harness::from_yaml(
        "name: app\n",
        "options:\n  port: {type: int, default: 80}\n",
        prefix("partly_failing_charm"),
    )
    .unwrap();
    let record = harness
        .fire("install")
        .unwrap_err()
        .record()
        .unwrap()
        .clone();
    let names: Vec<&str> = record
        .invoked
        .iter()
        .map(|id| id.rsplit(':').next().unwrap())
        .collect();
    assert_eq!(names, ["first", "second"]);
}

// ---- hook-tool calls ----------------------------------------------------------------

mod plain_charm {
    use super::*;

    #[hook("update-status")]
    fn on_update_status() {}
}

#[test]
fn a_plain_hook_makes_two_startup_calls_and_one_log_per_handler() {
    let mut harness = Harness::from_yaml(
        "name: app\n",
        "options:\n  port: {type: int, default: 80}\n",
        prefix("plain_charm"),
    )
    .unwrap();
    let record = harness.fire("install").unwrap().clone();
    assert!(record.invoked.is_empty());
    assert_eq!(
        tools(&record),
        ["juju-log", "config-get", "is-leader", "leader-get"]
    );
    let record = harness.fire("update-status").unwrap().clone();
    assert_eq!(record.invoked.len(), 1);
    // The hook's announcement and the handler's line; the leader settings
    // were read in install, and no leadership hook ran since.
    assert_eq!(
        tools(&record),
        ["juju-log", "config-get", "is-leader", "juju-log"]
    );
    assert_eq!(record.calls_of("config-get"), 1);
    assert_eq!(record.calls_of("is-leader"), 1);
    assert_eq!(record.calls_of("leader-get"), 0);
    assert_eq!(record.calls_of("juju-log"), 2);
    assert_eq!(record.calls.len(), 4);
}

#[derive(Default)]
pub struct QuietRequires {
    base: EndpointBase,
}

impl Endpoint for QuietRequires {
    fn from_base(base: EndpointBase) -> Self {
        QuietRequires { base }
    }
    fn base(&self) -> &EndpointBase {
        &self.base
    }
    fn base_mut(&mut self) -> &mut EndpointBase {
        &mut self.base
    }
}

#[endpoint(interface = "runtime-harness-quiet", role = "requires")]
impl QuietRequires {}

#[test]
fn a_joined_endpoint_reads_no_relation_data_outside_its_relation_hooks() {
    let mut harness = Harness::from_yaml(
        "name: app\nrequires:\n  db:\n    interface: runtime-harness-quiet\n",
        "",
        no_handlers(),
    )
    .unwrap();
    let record = harness.fire("install").unwrap().clone();
    assert_eq!(
        tools(&record),
        [
            "juju-log",
            "config-get",
            "is-leader",
            "leader-get",
            "relation-ids"
        ]
    );
    let rid = harness.add_relation("db", "server").unwrap();
    harness.add_remote_unit(&rid, "server/0").unwrap();
    harness
        .set_remote_unit_data(&rid, "server/0", &[("host", "\"10.0.0.9\"")])
        .unwrap();
    let record = harness
        .fire_relation("joined", &rid, Some("server/0"))
        .unwrap()
        .clone();
    assert_eq!(
        tools(&record),
        [
            "juju-log",
            "config-get",
            "is-leader",
            "relation-ids",
            "relation-list",
            "relation-get"
        ]
    );
    assert!(harness.is_flag_set("endpoint.db.changed.host"));
    let record = harness.fire("update-status").unwrap().clone();
    assert_eq!(
        tools(&record),
        [
            "juju-log",
            "config-get",
            "is-leader",
            "relation-ids",
            "relation-list"
        ]
    );
    assert_eq!(record.calls.len(), 5);
}

// ---- a charm directory ----------------------------------------------------------------

mod dir_charm {
    use super::*;

    #[when_file_changed("templates/app.conf")]
    fn conf_changed(ctx: &mut Context) {
        let n = ctx
            .flag_value("conf.seen")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        ctx.clear_flag("conf.seen");
        ctx.set_flag_value("conf.seen", n + 1);
    }

    #[when("config.changed.port")]
    fn port(ctx: &mut Context) {
        let port = ctx.config().get_i64("port");
        ctx.set_flag_value("app.port", port);
    }
}

#[test]
fn a_harness_reads_the_charm_directory() {
    let dir = CharmDir::new("harness-dir");
    std::fs::write(dir.0.join("metadata.yaml"), "name: from-dir\n").unwrap();
    std::fs::write(
        dir.0.join("config.yaml"),
        "options:\n  port: {type: int, default: 9100}\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.0.join("templates")).unwrap();
    std::fs::write(dir.0.join("templates/app.conf"), "v1").unwrap();
    let mut harness = Harness::from_charm_dir(&dir.0, prefix("dir_charm")).unwrap();
    assert_eq!(harness.unit_name(), "from-dir/0");
    harness.fire("install").unwrap();
    let conf_seen = |h: &mut Harness| {
        h.flag_values()
            .into_iter()
            .find(|(f, _)| f == "conf.seen")
            .map(|(_, v)| v)
    };
    assert_eq!(
        conf_seen(&mut harness),
        Some(json!(1)),
        "relative to the charm dir"
    );
    assert!(harness
        .flag_values()
        .contains(&("app.port".to_string(), json!(9100))));
    harness.fire("update-status").unwrap();
    assert_eq!(conf_seen(&mut harness), Some(json!(1)), "unchanged file");
    std::fs::write(dir.0.join("templates/app.conf"), "v2").unwrap();
    harness.fire("update-status").unwrap();
    assert_eq!(conf_seen(&mut harness), Some(json!(2)));
}

// ---- the README's example --------------------------------------------------------------

mod readme_example {
    use reactive_core::prelude::*;
    use reactive_testing::harness::Harness;

    #[when("config.changed.port")]
    fn remember_port(ctx: &mut Context) {
        let port = ctx.config().get_i64("port");
        ctx.set_flag_value("app.port", port);
    }

    #[test]
    fn port_is_remembered() {
        let mut harness = Harness::from_yaml(
            "name: app\n",
            "options:\n  port: {type: int, default: 80}\n",
            Registry::builder().module_prefix(module_path!()),
        )
        .unwrap();
        harness.fire("install").unwrap();
        assert_eq!(
            harness.flag_values(),
            vec![("app.port".to_string(), 80.into())]
        );
        harness
            .update_config(serde_json::json!({"port": 8080}))
            .unwrap();
        let record = harness.fire("config-changed").unwrap();
        assert_eq!(record.invoked.len(), 1);
        assert_eq!(record.calls_of("config-get"), 1);
    }
}

// ---- the command-line interface ----------------------------------------------------------

mod cli_charm {
    use super::*;

    #[when("db.ready", "cache.ready")]
    #[when_not("app.configured")]
    fn configure() {}

    #[hook("install")]
    fn install() {}

    #[when_any("a", "b")]
    #[only_once]
    fn any_once() {}

    #[collect_metrics]
    fn metrics() {}

    #[when_file_changed("app.conf")]
    fn conf_changed() {}

    #[when_not_all("a", "b")]
    fn not_all() {}
}

static CLI_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A charm directory with a unit state DB, removed when dropped.
struct CharmDir(PathBuf);

impl CharmDir {
    fn new(test: &str) -> CharmDir {
        let dir = std::env::temp_dir().join(format!(
            "reactive-cli-{}-{}-{}",
            std::process::id(),
            test,
            CLI_COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("metadata.yaml"), "name: cli-charm\n").unwrap();
        CharmDir(dir)
    }

    fn db(&self) -> PathBuf {
        self.0.join("state.db")
    }

    fn cli(&self, args: &[&str]) -> (i32, String, String) {
        let db = self.db().to_string_lossy().into_owned();
        let charm_dir = self.0.to_string_lossy().into_owned();
        let env = move |name: &str| match name {
            "UNIT_STATE_DB" => Some(db.clone()),
            "JUJU_CHARM_DIR" => Some(charm_dir.clone()),
            _ => None,
        };
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run_cli(
            "my-charm",
            &args,
            &env,
            prefix("cli_charm"),
            &mut out,
            &mut err,
        );
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    fn state(&self) -> UnitState {
        UnitState::open(&self.db()).unwrap()
    }
}

impl Drop for CharmDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn cli_help_lists_the_commands() {
    let dir = CharmDir::new("help");
    let (code, out, err) = dir.cli(&["--help"]);
    assert_eq!(code, 0);
    assert!(err.is_empty(), "{err}");
    for command in [
        "flags",
        "handlers",
        "graph",
        "set-flag NAME [VALUE]",
        "clear-flag NAME",
    ] {
        assert!(out.contains(command), "{command} missing from:\n{out}");
    }
}

#[test]
fn cli_without_arguments_is_a_usage_error() {
    let dir = CharmDir::new("no-args");
    let (code, out, err) = dir.cli(&[]);
    assert_eq!(code, 2);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("set-flag"), "{err}");
}

#[test]
fn cli_unknown_command_is_a_usage_error() {
    let dir = CharmDir::new("unknown");
    let (code, out, err) = dir.cli(&["frobnicate"]);
    assert_eq!(code, 2);
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("unknown command `frobnicate`") && err.contains("my-charm --help"),
        "{err}"
    );
}

#[test]
fn cli_flags_lists_flags_with_json_values() {
    let dir = CharmDir::new("flags");
    let mut state = dir.state();
    state.set(
        "reactive.states.db.ready",
        json!({"port": 5432, "host": "é"}),
    );
    state.set("reactive.states.app.installed", Value::Null);
    state.set("reactive.states.app.version", json!("1.0"));
    state.set("reactive.data_changed.x", json!("not a flag"));
    state.commit().unwrap();
    drop(state);
    let (code, out, err) = dir.cli(&["flags"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "app.installed\tnull\n\
         app.version\t\"1.0\"\n\
         db.ready\t{\"host\": \"\\u00e9\", \"port\": 5432}\n"
    );
}

#[test]
fn cli_set_flag_sets_a_flag_with_null_json_or_string_value() {
    let dir = CharmDir::new("set-flag");
    assert_eq!(dir.cli(&["set-flag", "app.blocked"]).0, 0);
    assert_eq!(dir.cli(&["set-flag", "app.port", "8080"]).0, 0);
    assert_eq!(
        dir.cli(&["set-flag", "app.conf", r#"{"a": [1, true]}"#]).0,
        0
    );
    assert_eq!(dir.cli(&["set-flag", "app.note", "hello world"]).0, 0);
    let mut state = dir.state();
    assert_eq!(
        state.get_range("reactive.states.").unwrap(),
        [
            ("reactive.states.app.blocked".to_string(), Value::Null),
            (
                "reactive.states.app.conf".to_string(),
                json!({"a": [1, true]})
            ),
            ("reactive.states.app.note".to_string(), json!("hello world")),
            ("reactive.states.app.port".to_string(), json!(8080)),
        ]
    );
    let (code, out, _) = dir.cli(&["flags"]);
    assert_eq!(code, 0);
    assert!(out.contains("app.note\t\"hello world\"\n"), "{out}");
}

#[test]
fn cli_set_flag_rejects_an_invalid_flag_name() {
    let dir = CharmDir::new("set-flag-invalid");
    for bad in ["bad..name", "has space", ".leading"] {
        let (code, out, err) = dir.cli(&["set-flag", bad]);
        assert_eq!(code, 1, "{bad}");
        assert!(out.is_empty());
        assert!(err.starts_with("error: "), "{err}");
        assert!(err.len() > "error: \n".len(), "{err}");
    }
    assert!(dir
        .state()
        .get_range("reactive.states.")
        .unwrap()
        .is_empty());
    let (code, _, err) = dir.cli(&["set-flag"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("usage: my-charm set-flag NAME [VALUE]"),
        "{err}"
    );
}

#[test]
fn cli_clear_flag_clears_a_flag() {
    let dir = CharmDir::new("clear-flag");
    dir.cli(&["set-flag", "a"]);
    dir.cli(&["set-flag", "b"]);
    let (code, _, err) = dir.cli(&["clear-flag", "a"]);
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = dir.cli(&["flags"]);
    assert_eq!(out, "b\tnull\n");
    assert_eq!(dir.cli(&["clear-flag", "never-set"]).0, 0);
    assert_eq!(dir.cli(&["clear-flag"]).0, 1);
}

fn cli_ids() -> Vec<String> {
    prefix("cli_charm")
        .build()
        .unwrap()
        .handlers()
        .iter()
        .map(|h| h.id().to_string())
        .collect()
}

fn id_of(name: &str) -> String {
    cli_ids()
        .into_iter()
        .find(|id| id.ends_with(&format!(":{name}")))
        .unwrap()
}

#[test]
fn cli_handlers_lists_ids_and_conditions() {
    let dir = CharmDir::new("handlers");
    let (code, out, err) = dir.cli(&["handlers"]);
    assert_eq!(code, 0, "{err}");
    let expected: String = [
        (
            "configure",
            "when_all(db.ready, cache.ready) when_none(app.configured)",
        ),
        ("install", "hook(install)"),
        ("any_once", "when_any(a, b) only_once"),
        ("metrics", "collect_metrics"),
        ("conf_changed", "when_file_changed(app.conf)"),
        ("not_all", "when_not_all(a, b)"),
    ]
    .iter()
    .map(|(name, conditions)| format!("{}\t{conditions}\n", id_of(name)))
    .collect();
    assert_eq!(out, expected);
    assert!(id_of("configure").starts_with("reactive-core/tests/runtime_harness.rs:"));
}

#[test]
fn cli_graph_prints_dot_with_flag_to_handler_edges() {
    let dir = CharmDir::new("graph");
    let (code, out, err) = dir.cli(&["graph"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("digraph reactive {\n"), "{out}");
    assert!(out.ends_with("}\n"), "{out}");
    let configure = id_of("configure");
    for edge in [
        format!("  \"db.ready\" -> \"{configure}\";"),
        format!("  \"cache.ready\" -> \"{configure}\";"),
        format!("  \"app.configured\" -> \"{configure}\" [style=dashed, label=\"not\"];"),
        format!("  \"a\" -> \"{}\";", id_of("any_once")),
        format!("  \"{configure}\" [shape=box];"),
        "  \"db.ready\" [shape=ellipse];".to_string(),
    ] {
        assert!(
            out.lines().any(|l| l == edge),
            "{edge} missing from:\n{out}"
        );
    }
    // Well-formed: every line between the braces is one statement.
    let body: Vec<&str> = out.lines().skip(1).take_while(|l| *l != "}").collect();
    assert_eq!(body.len() + 2, out.lines().count(), "{out}");
    for line in body {
        assert!(line.starts_with("  ") && line.ends_with(';'), "{line}");
        assert_eq!(line.matches('"').count() % 2, 0, "{line}");
    }
    // Edges name only handlers and flags declared as nodes.
    let edges = out.lines().filter(|l| l.contains(" -> ")).count();
    assert_eq!(edges, 7, "{out}");
}

#[test]
fn cli_graph_shows_observed_flag_sets() {
    let dir = CharmDir::new("graph-observed");
    let configure = id_of("configure");
    let mut state = dir.state();
    state.set(
        OBSERVED_SETS_KEY,
        json!({ configure.clone(): ["app.configured"] }),
    );
    state.commit().unwrap();
    drop(state);
    let (code, out, _) = dir.cli(&["graph"]);
    assert_eq!(code, 0);
    let edge = format!("  \"{configure}\" -> \"app.configured\" [color=blue];");
    assert!(
        out.lines().any(|l| l == edge),
        "{edge} missing from:\n{out}"
    );
}

#[test]
fn a_selection_of_no_handler_is_an_error_that_says_why() {
    let error = match Harness::from_yaml("name: app\n", "", prefix("no_such_module")) {
        Err(error) => error.to_string(),
        Ok(_) => panic!("a selection of no handler must not build"),
    };
    assert!(error.contains("runtime_harness::no_such_module"), "{error}");
    assert!(error.contains("selects no handler"), "{error}");
    let error = Registry::builder()
        .package("no-such-charm")
        .build()
        .unwrap_err()
        .to_string();
    assert!(error.contains("`no-such-charm`"), "{error}");
}
