//! Flags, triggers and the dispatch tracer (`docs/reference/dispatch.md`):
//! one test per rule. Dispatch scenarios live in their own modules, and each
//! test builds a registry of that module's handlers only.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use reactive_core::log::{LogLevel, MemoryLog};
use reactive_core::prelude::*;
use reactive_core::triggers::TriggerOn;
use reactive_core::{dispatch, DispatchReport, TriggerError};
use reactive_testing::harness::Harness;
use serde_json::{json, Value};

fn registry(module: &str) -> Arc<Registry> {
    let prefix = format!("flags_and_triggers::{module}");
    Arc::new(Registry::builder().module_prefix(&prefix).build().unwrap())
}

/// The function names of the invoked handlers, in order.
fn names(report: &DispatchReport) -> Vec<&str> {
    report
        .invoked
        .iter()
        .map(|id| id.rsplit(':').next().unwrap())
        .collect()
}

// ---- flag operations -------------------------------------------------------

#[test]
fn set_flag_sets_the_flag_with_a_null_value() {
    let mut ctx = Context::in_memory("install");
    assert!(!ctx.is_flag_set("app.installed"));
    ctx.set_flag("app.installed");
    assert!(ctx.is_flag_set("app.installed"));
    assert_eq!(ctx.flag_value("app.installed"), Some(&Value::Null));
}

#[test]
fn set_flag_value_keeps_the_value() {
    let mut ctx = Context::in_memory("install");
    ctx.set_flag_value("db.ready", json!({"host": "10.0.0.1", "port": 5432}));
    ctx.set_flag_value("app.port", 8080);
    ctx.set_flag_value("app.name", "web");
    assert!(ctx.is_flag_set("db.ready"));
    assert_eq!(
        ctx.flag_value("db.ready"),
        Some(&json!({"host": "10.0.0.1", "port": 5432}))
    );
    assert_eq!(ctx.flag_value("app.port"), Some(&json!(8080)));
    assert_eq!(ctx.flag_value("app.name"), Some(&json!("web")));
}

#[test]
fn flag_value_of_an_unset_flag_is_none() {
    let mut ctx = Context::in_memory("install");
    assert_eq!(ctx.flag_value("never.set"), None);
    ctx.set_flag_value("was.set", 1);
    ctx.clear_flag("was.set");
    assert_eq!(ctx.flag_value("was.set"), None);
}

#[test]
fn clear_flag_unsets_the_flag_and_clearing_an_unset_flag_is_harmless() {
    let mut ctx = Context::in_memory("install");
    ctx.set_flag_value("a", 1);
    ctx.set_flag("b");
    ctx.clear_flag("a");
    assert!(!ctx.is_flag_set("a"));
    assert!(ctx.is_flag_set("b"));
    ctx.clear_flag("a");
    ctx.clear_flag("never.set");
    assert_eq!(ctx.get_flags(), ["b"]);
}

#[test]
fn toggle_flag_sets_or_clears() {
    let mut ctx = Context::in_memory("install");
    ctx.toggle_flag("t", true);
    assert!(ctx.is_flag_set("t"));
    assert_eq!(ctx.flag_value("t"), Some(&Value::Null));
    ctx.toggle_flag("t", true);
    assert!(ctx.is_flag_set("t"));
    ctx.toggle_flag("t", false);
    assert!(!ctx.is_flag_set("t"));
    ctx.toggle_flag("t", false);
    assert!(!ctx.is_flag_set("t"));
}

#[test]
fn all_flags_set_needs_every_flag_and_holds_for_none() {
    let mut ctx = Context::in_memory("install");
    ctx.set_flag("a");
    ctx.set_flag("b");
    assert!(ctx.all_flags_set(&["a", "b"]));
    assert!(ctx.all_flags_set(&["a"]));
    assert!(!ctx.all_flags_set(&["a", "b", "c"]));
    assert!(!ctx.all_flags_set(&["c"]));
    assert!(ctx.all_flags_set(&[]), "all of no flags is vacuously true");
}

#[test]
fn any_flags_set_needs_one_flag_and_fails_for_none() {
    let mut ctx = Context::in_memory("install");
    ctx.set_flag("a");
    assert!(ctx.any_flags_set(&["a", "b"]));
    assert!(ctx.any_flags_set(&["b", "a"]));
    assert!(!ctx.any_flags_set(&["b", "c"]));
    assert!(!ctx.any_flags_set(&[]), "any of no flags is false");
}

#[test]
fn get_flags_is_sorted() {
    let mut ctx = Context::in_memory("install");
    assert!(ctx.get_flags().is_empty());
    for flag in [
        "zeta",
        "alpha",
        "endpoint.db.joined",
        "Beta",
        "alpha.x",
        "m",
    ] {
        ctx.set_flag(flag);
    }
    assert_eq!(
        ctx.get_flags(),
        [
            "Beta",
            "alpha",
            "alpha.x",
            "endpoint.db.joined",
            "m",
            "zeta"
        ]
    );
}

#[test]
fn get_unset_flags_is_sorted_and_lists_only_unset_flags() {
    let mut ctx = Context::in_memory("install");
    ctx.set_flag("b");
    ctx.set_flag("d");
    assert_eq!(
        ctx.get_unset_flags(&["e", "d", "c", "b", "a"]),
        ["a", "c", "e"]
    );
    assert!(ctx.get_unset_flags(&["b", "d"]).is_empty());
    assert!(ctx.get_unset_flags(&[]).is_empty());
}

#[test]
fn setting_a_set_flag_updates_its_value() {
    let mut ctx = Context::in_memory("install");
    ctx.set_flag_value("app.port", 80);
    ctx.set_flag_value("app.port", 8080);
    assert_eq!(ctx.flag_value("app.port"), Some(&json!(8080)));
    ctx.set_flag("app.port");
    assert_eq!(ctx.flag_value("app.port"), Some(&Value::Null));
    assert_eq!(ctx.get_flags(), ["app.port"]);
}

#[test]
fn setting_a_set_flag_is_not_a_change_for_triggers() {
    let mut ctx = Context::in_memory("install");
    ctx.set_flag_value("a", 1);
    ctx.register_trigger(Trigger::when("a").set_flag("b"))
        .unwrap();
    ctx.set_flag_value("a", 2);
    assert_eq!(ctx.flag_value("a"), Some(&json!(2)));
    assert!(
        !ctx.is_flag_set("b"),
        "re-setting a set flag fired a trigger"
    );
    // The trigger does work on a real change.
    ctx.clear_flag("a");
    ctx.set_flag("a");
    assert!(ctx.is_flag_set("b"));
}

mod reset_is_not_change {
    use super::*;

    #[when("x")]
    fn watcher() {}

    #[when("go")]
    #[when_not("done")]
    fn resetter(ctx: &mut Context) {
        ctx.set_flag_value("x", 2);
        ctx.set_flag("done");
    }
}

#[test]
fn setting_a_set_flag_does_not_requeue_its_watchers() {
    let mut ctx = Context::in_memory("update-status");
    ctx.set_flag_value("x", 1);
    ctx.set_flag("go");
    let report = dispatch(&mut ctx, &registry("reset_is_not_change")).unwrap();
    // Were the re-set of `x` a change, `watcher` would run again in
    // iteration 1.
    assert_eq!(names(&report), ["watcher", "resetter"]);
    assert_eq!(ctx.flag_value("x"), Some(&json!(2)));
}

// ---- triggers ----------------------------------------------------------------

#[test]
fn a_set_trigger_fires_when_its_flag_is_set() {
    let mut ctx = Context::in_memory("install");
    ctx.register_trigger(Trigger::when("db.ready").set_flag("app.configure"))
        .unwrap();
    ctx.set_flag("other");
    assert!(!ctx.is_flag_set("app.configure"));
    ctx.set_flag("db.ready");
    assert!(ctx.is_flag_set("app.configure"));
}

#[test]
fn a_set_trigger_does_not_fire_on_clear() {
    let mut ctx = Context::in_memory("install");
    ctx.set_flag("a");
    ctx.register_trigger(Trigger::when("a").set_flag("b"))
        .unwrap();
    ctx.clear_flag("a");
    assert!(!ctx.is_flag_set("b"));
}

#[test]
fn a_clear_trigger_fires_when_its_flag_is_cleared() {
    let mut ctx = Context::in_memory("install");
    ctx.register_trigger(Trigger::when_not("db.ready").set_flag("app.stop"))
        .unwrap();
    // Clearing an unset flag is not a change: no trigger.
    ctx.clear_flag("db.ready");
    assert!(!ctx.is_flag_set("app.stop"));
    // Setting it does not fire a clear trigger.
    ctx.set_flag("db.ready");
    assert!(!ctx.is_flag_set("app.stop"));
    ctx.clear_flag("db.ready");
    assert!(ctx.is_flag_set("app.stop"));
}

#[test]
fn a_trigger_can_clear_a_flag() {
    let mut ctx = Context::in_memory("install");
    ctx.set_flag("app.configured");
    ctx.register_trigger(Trigger::when("config.changed").clear_flag("app.configured"))
        .unwrap();
    ctx.set_flag("config.changed");
    assert!(!ctx.is_flag_set("app.configured"));
}

#[test]
fn a_trigger_can_set_and_clear_at_once() {
    let mut ctx = Context::in_memory("install");
    ctx.set_flag("old");
    ctx.register_trigger(Trigger::when_not("x").set_flag("new").clear_flag("old"))
        .unwrap();
    ctx.set_flag("x");
    ctx.clear_flag("x");
    assert!(ctx.is_flag_set("new"));
    assert!(!ctx.is_flag_set("old"));
}

#[test]
fn a_callback_trigger_receives_the_context() {
    let mut ctx = Context::in_memory("install");
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&calls);
    ctx.register_trigger(
        Trigger::when("db.ready").callback(move |ctx: &mut Context| {
            seen.fetch_add(1, Ordering::SeqCst);
            let port = ctx.flag_value("db.ready").cloned().unwrap_or_default();
            ctx.set_flag_value("app.db-port", port);
        }),
    )
    .unwrap();
    ctx.set_flag_value("db.ready", 5432);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(ctx.flag_value("app.db-port"), Some(&json!(5432)));
    // Not a change: no second call.
    ctx.set_flag_value("db.ready", 5433);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

fn count_cleanup(ctx: &mut Context) {
    let n = ctx
        .flag_value("cleanups")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    ctx.clear_flag("cleanups");
    ctx.set_flag_value("cleanups", n + 1);
}

#[test]
fn a_trigger_registered_twice_acts_once() {
    // charms.reactive keeps each flag and each callback of a trigger once,
    // so a handler that registers its trigger every time it runs does not
    // stack copies of it.
    let mut ctx = Context::in_memory("install");
    for _ in 0..2 {
        ctx.register_trigger(Trigger::when_not("db.ready").callback(count_cleanup))
            .unwrap();
        ctx.register_trigger(Trigger::when_not("db.ready").set_flag("db.lost"))
            .unwrap();
    }
    let shared = Trigger::when("db.ready").callback(count_cleanup);
    ctx.register_trigger(shared.clone()).unwrap();
    ctx.register_trigger(shared).unwrap();
    ctx.set_flag("db.ready");
    assert_eq!(ctx.flag_value("cleanups"), Some(&json!(1)));
    ctx.clear_flag("db.ready");
    assert!(ctx.is_flag_set("db.lost"));
    assert_eq!(ctx.flag_value("cleanups"), Some(&json!(2)));
}

#[test]
fn distinct_callbacks_of_one_flag_all_run_in_registration_order() {
    let mut ctx = Context::in_memory("install");
    let order = Arc::new(Mutex::new(Vec::new()));
    for name in ["first", "second"] {
        let order = Arc::clone(&order);
        ctx.register_trigger(Trigger::when("a").callback(move |_: &mut Context| {
            order.lock().unwrap().push(name);
        }))
        .unwrap();
    }
    ctx.set_flag("a");
    assert_eq!(*order.lock().unwrap(), ["first", "second"]);
}

#[test]
fn triggers_cascade() {
    let mut ctx = Context::in_memory("install");
    ctx.register_trigger(Trigger::when("a").set_flag("b"))
        .unwrap();
    ctx.register_trigger(Trigger::when("b").set_flag("c"))
        .unwrap();
    ctx.register_trigger(Trigger::when("c").clear_flag("z"))
        .unwrap();
    ctx.register_trigger(Trigger::when_not("z").set_flag("d"))
        .unwrap();
    ctx.set_flag("z");
    ctx.set_flag("a");
    assert_eq!(ctx.get_flags(), ["a", "b", "c", "d"]);
}

#[test]
fn a_cycle_of_triggers_terminates() {
    let mut ctx = Context::in_memory("install");
    ctx.register_trigger(Trigger::when("a").set_flag("b"))
        .unwrap();
    ctx.register_trigger(Trigger::when("b").set_flag("a"))
        .unwrap();
    ctx.register_trigger(Trigger::when_not("a").clear_flag("b"))
        .unwrap();
    ctx.register_trigger(Trigger::when_not("b").clear_flag("a"))
        .unwrap();
    ctx.set_flag("a");
    assert!(ctx.all_flags_set(&["a", "b"]));
    ctx.clear_flag("b");
    assert!(!ctx.any_flags_set(&["a", "b"]));
    ctx.set_flag("b");
    assert!(ctx.all_flags_set(&["a", "b"]));
}

#[test]
fn a_trigger_fires_before_the_setting_call_returns() {
    let mut ctx = Context::in_memory("install");
    let events = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = Arc::clone(&events);
    ctx.register_trigger(Trigger::when("a").callback(move |ctx: &mut Context| {
        log.lock().unwrap().push(format!(
            "trigger (a set: {}, b set: {})",
            ctx.is_flag_set("a"),
            ctx.is_flag_set("b")
        ));
    }))
    .unwrap();
    ctx.register_trigger(Trigger::when("a").set_flag("b"))
        .unwrap();
    ctx.set_flag("a");
    events.lock().unwrap().push("after set_flag".to_string());
    assert_eq!(
        *events.lock().unwrap(),
        [
            // The flag is set when its trigger runs; set_flag actions run
            // before callbacks.
            "trigger (a set: true, b set: true)",
            "after set_flag"
        ]
    );
}

#[test]
fn a_trigger_without_action_is_an_error() {
    let mut ctx = Context::in_memory("install");
    let err = ctx.register_trigger(Trigger::when("db.ready")).unwrap_err();
    assert_eq!(
        err,
        TriggerError::NoAction(TriggerOn::Set("db.ready".into()))
    );
    assert_eq!(
        err.to_string(),
        "trigger on flag `db.ready` being set has no action: give it set_flag, clear_flag or callback"
    );
    let err = ctx
        .register_trigger(Trigger::when_not("db.ready"))
        .unwrap_err();
    assert_eq!(
        err,
        TriggerError::NoAction(TriggerOn::Cleared("db.ready".into()))
    );
    assert_eq!(
        err.to_string(),
        "trigger on flag `db.ready` being cleared has no action: give it set_flag, clear_flag or callback"
    );
    // Nothing was registered.
    ctx.set_flag("db.ready");
    assert_eq!(ctx.get_flags(), ["db.ready"]);
}

mod dropped_triggers {
    use super::*;

    #[hook("install")]
    fn register(ctx: &mut Context) {
        ctx.register_trigger(Trigger::when("t.src").set_flag("t.dst"))
            .unwrap();
        ctx.register_trigger(Trigger::when("t.probe").set_flag("t.probe-seen"))
            .unwrap();
        ctx.set_flag("t.probe");
    }

    #[hook("config-changed")]
    fn set_source(ctx: &mut Context) {
        ctx.set_flag("t.src");
    }
}

#[test]
fn triggers_are_dropped_at_the_end_of_a_hook() {
    let mut harness = Harness::from_yaml(
        "name: app\n",
        "",
        Registry::builder().module_prefix("flags_and_triggers::dropped_triggers"),
    )
    .unwrap();
    harness.fire("install").unwrap();
    assert!(
        harness.is_flag_set("t.probe-seen"),
        "the trigger works in the hook that registered it"
    );
    harness.fire("config-changed").unwrap();
    assert!(harness.is_flag_set("t.src"));
    assert!(
        !harness.is_flag_set("t.dst"),
        "a trigger of the previous hook fired"
    );
}

mod trigger_watch {
    use super::*;

    #[when("b")]
    fn on_b() {}

    #[when("go")]
    #[when_not("a")]
    fn sets_a(ctx: &mut Context) {
        ctx.set_flag("a");
    }
}

#[test]
fn a_flag_set_by_a_trigger_is_a_change_for_dispatch() {
    let mut ctx = Context::in_memory("update-status");
    ctx.register_trigger(Trigger::when("a").set_flag("b"))
        .unwrap();
    ctx.set_flag("go");
    let report = dispatch(&mut ctx, &registry("trigger_watch")).unwrap();
    // `on_b` is not queued in iteration 0 (b unset); it becomes a candidate
    // in iteration 1 only because the trigger's set of `b` is a change.
    assert_eq!(names(&report), ["sets_a", "on_b"]);
    assert_eq!(report.iterations, 2);
}

// ---- tracer ------------------------------------------------------------------

mod traced {
    use super::*;

    #[when("go")]
    fn first(ctx: &mut Context) {
        ctx.set_flag("ready");
        ctx.clear_flag("go");
    }

    #[when("ready")]
    fn second() {}

    #[when("go")]
    fn third() {}
}

#[test]
fn the_tracer_logs_dispatch_phases_and_flag_changes() {
    let registry = registry("traced");
    let id = |name: &str| {
        registry
            .handlers()
            .iter()
            .map(|h| h.id().to_string())
            .find(|id| id.ends_with(&format!(":{name}")))
            .unwrap()
    };
    let (first, second, third) = (id("first"), id("second"), id("third"));
    let mut ctx = Context::in_memory("update-status");
    let log = MemoryLog::default();
    ctx.set_log(log.clone());
    ctx.set_flag("go");
    ctx.set_flag("b.other");
    ctx.set_tracing(true);
    let report = dispatch(&mut ctx, &registry).unwrap();
    assert_eq!(names(&report), ["first", "second"]);
    let debug = log.messages_at(LogLevel::Debug);
    let expected = [
        "tracer>\n\
         tracer: starting handler dispatch, 2 flags set\n\
         tracer: set flag b.other\n\
         tracer: set flag go"
            .to_string(),
        "tracer: hooks phase, 0 handlers queued".to_string(),
        format!(
            "tracer>\n\
             tracer: main dispatch loop, 2 handlers queued\n\
             tracer: ++   queue handler {first}\n\
             tracer: ++   queue handler {third}"
        ),
        format!(
            "tracer>\n\
             tracer: set flag ready\n\
             tracer: ++   queue handler {second}"
        ),
        format!(
            "tracer>\n\
             tracer: cleared flag go\n\
             tracer: -- dequeue handler {first}\n\
             tracer: -- dequeue handler {third}"
        ),
        format!(
            "tracer>\n\
             tracer: iteration 1, 1 handlers queued\n\
             tracer: ++   queue handler {second}"
        ),
        "tracer: iteration 2, 0 handlers queued".to_string(),
    ];
    assert_eq!(debug, expected);
    // Tracer lines are DEBUG only; handler invocations stay at INFO.
    assert_eq!(
        log.messages_at(LogLevel::Info),
        [
            format!("Invoking reactive handler: {first}"),
            format!("Invoking reactive handler: {second}")
        ]
    );
}

#[test]
fn flag_changes_outside_dispatch_are_traced_without_queue_lines() {
    let mut ctx = Context::in_memory("install");
    let log = MemoryLog::default();
    ctx.set_log(log.clone());
    ctx.set_tracing(true);
    ctx.set_flag("a");
    ctx.set_flag("a");
    ctx.clear_flag("a");
    ctx.clear_flag("a");
    assert_eq!(
        log.messages_at(LogLevel::Debug),
        ["tracer: set flag a", "tracer: cleared flag a"]
    );
}

#[test]
fn without_tracing_no_debug_line_is_logged() {
    let mut ctx = Context::in_memory("update-status");
    let log = MemoryLog::default();
    ctx.set_log(log.clone());
    ctx.set_flag("go");
    let report = dispatch(&mut ctx, &registry("traced")).unwrap();
    assert_eq!(names(&report), ["first", "second"]);
    assert!(log.messages_at(LogLevel::Debug).is_empty());
    assert_eq!(log.messages_at(LogLevel::Info).len(), 2);
}

mod traced_hook {
    use super::*;

    #[hook("install")]
    fn start(ctx: &mut Context) {
        ctx.set_flag("go");
    }

    #[when("go")]
    fn next() {}
}

#[test]
fn tracing_through_the_harness_reaches_juju_log_at_debug() {
    let mut harness = Harness::from_yaml(
        "name: app\n",
        "",
        Registry::builder().module_prefix("flags_and_triggers::traced_hook"),
    )
    .unwrap();
    harness.set_tracing(true);
    harness.fire("install").unwrap();
    let debug: Vec<String> = harness
        .logs()
        .into_iter()
        .filter(|(level, _)| *level == LogLevel::Debug)
        .map(|(_, m)| m)
        .collect();
    assert!(
        debug
            .iter()
            .any(|m| m.starts_with("tracer") && m.contains("starting handler dispatch")),
        "{debug:?}"
    );
    assert!(
        debug.iter().any(|m| m.contains("++   queue handler")),
        "{debug:?}"
    );
    let mut quiet = Harness::from_yaml(
        "name: app\n",
        "",
        Registry::builder().module_prefix("flags_and_triggers::traced_hook"),
    )
    .unwrap();
    quiet.fire("install").unwrap();
    assert!(quiet
        .logs()
        .iter()
        .all(|(level, _)| *level != LogLevel::Debug));
}

#[test]
fn the_tracer_is_quiet_during_exit_work() {
    // charms.reactive installs a NullTracer at exit, before the base layer
    // clears the config flags: exit work is not traced (it would cost one
    // juju-log call per flag cleared).
    let mut harness = Harness::from_yaml(
        "name: app\n",
        "options:\n  port: {type: int, default: 80}\n  name: {type: string, default: x}\n",
        Registry::builder().module_prefix("flags_and_triggers::traced_hook"),
    )
    .unwrap();
    harness.set_tracing(true);
    let record = harness.fire("install").unwrap().clone();
    let debug: Vec<String> = harness
        .logs()
        .into_iter()
        .filter(|(level, _)| *level == LogLevel::Debug)
        .map(|(_, m)| m)
        .collect();
    let last_dispatch_line = debug
        .iter()
        .rposition(|m| m.contains("handlers queued"))
        .expect("dispatch was traced");
    assert_eq!(
        &debug[last_dispatch_line + 1..],
        [] as [String; 0],
        "exit work was traced"
    );
    assert!(
        !debug.iter().any(|m| m.contains("cleared flag config.")),
        "{debug:?}"
    );
    assert!(record.calls_of("juju-log") > 0);
}

#[test]
fn a_trigger_naming_an_empty_flag_is_an_error() {
    let mut ctx = Context::in_memory("install");
    let cases = [
        (Trigger::when("").set_flag("b"), "when"),
        (Trigger::when_not("").set_flag("b"), "when_not"),
        (Trigger::when("a").set_flag(""), "set_flag"),
        (Trigger::when("a").clear_flag(""), "clear_flag"),
        (
            Trigger::when("a").set_flag("b").clear_flag(""),
            "clear_flag",
        ),
    ];
    for (trigger, role) in cases {
        let err = ctx.register_trigger(trigger).unwrap_err();
        assert_eq!(err, TriggerError::EmptyFlag { role }, "{role}");
        assert!(
            err.to_string().contains(&format!("`{role}`")) && err.to_string().contains("empty"),
            "{err}"
        );
    }
    // Nothing was registered: setting `a` fires nothing.
    ctx.set_flag("a");
    assert_eq!(ctx.get_flags(), ["a"]);
}
