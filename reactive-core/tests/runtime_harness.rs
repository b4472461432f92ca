//! The runtime through the single-unit harness: built-in
//! config, leadership and upgrade-series flags, restricted mode, failing
//! hooks, hook-tool call counts, the README's example. The charm binary's
//! command-line interface and a harness made from a charm directory are
//! `runtime_cli.rs`'s.

use reactive_core::endpoint::EndpointBase;
use reactive_core::log::LogLevel;
use reactive_core::prelude::*;
use reactive_testing::harness::Harness;
use serde_json::json;

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
    // The relations and their units as the joined hook saved them: no
    // relation-ids, no relation-list.
    let record = harness.fire("update-status").unwrap().clone();
    assert_eq!(tools(&record), ["juju-log", "config-get", "is-leader"]);
    assert_eq!(record.calls.len(), 3);
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
