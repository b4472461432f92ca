//! One test per rule of the dispatch algorithm (charms.reactive's
//! `bus.dispatch`; the rules are in `docs/reference/dispatch.md`). Each scenario lives in its own module, and each test
//! builds a registry of that module's handlers only.

use std::sync::Arc;

use reactive_core::metadata::CharmMetadata;
use reactive_core::prelude::*;
use reactive_core::{dispatch, DispatchError, DispatchReport, HookInfo, Role, UnitState};

fn registry(module: &str) -> Arc<Registry> {
    let prefix = format!("dispatch_rules::{module}");
    Arc::new(Registry::builder().module_prefix(&prefix).build().unwrap())
}

fn run(module: &str, hook: &str, flags: &[&str]) -> (Context, DispatchReport) {
    let mut ctx = Context::in_memory(hook);
    for f in flags {
        ctx.set_flag(f);
    }
    let report = dispatch(&mut ctx, &registry(module)).unwrap();
    (ctx, report)
}

/// The function names of the invoked handlers, in order.
fn names(report: &DispatchReport) -> Vec<&str> {
    report
        .invoked
        .iter()
        .map(|id| id.rsplit(':').next().unwrap())
        .collect()
}

mod hooks_phase {
    use super::*;

    #[hook("install")]
    fn on_install(ctx: &mut Context) {
        ctx.set_flag("installed");
    }

    #[hook("db-relation-{joined,changed}")]
    fn on_db() {}

    #[hook("{requires:mysql}-relation-departed")]
    fn on_mysql_departed() {}

    #[when("installed")]
    fn after_install() {}
}

#[test]
fn hook_handlers_run_first_and_only_for_their_hook() {
    let (_, report) = run("hooks_phase", "install", &[]);
    assert_eq!(names(&report), ["on_install", "after_install"]);
    let (_, report) = run("hooks_phase", "config-changed", &[]);
    assert!(report.invoked.is_empty());
}

#[test]
fn hook_patterns_expand_alternatives() {
    let (_, report) = run("hooks_phase", "db-relation-changed", &[]);
    assert_eq!(names(&report), ["on_db"]);
    let (_, report) = run("hooks_phase", "db-relation-broken", &[]);
    assert!(report.invoked.is_empty());
}

#[test]
fn hook_patterns_expand_role_and_interface_from_metadata() {
    let meta = CharmMetadata::new("app")
        .with_endpoint("primary", Role::Requires, "mysql")
        .with_endpoint("replica", Role::Requires, "mysql")
        .with_endpoint("website", Role::Provides, "http");
    for (hook, expected) in [
        ("replica-relation-departed", vec!["on_mysql_departed"]),
        ("primary-relation-departed", vec!["on_mysql_departed"]),
        ("website-relation-departed", vec![]),
    ] {
        let mut ctx = Context::in_memory(hook);
        ctx.set_metadata(Arc::new(meta.clone()));
        let report = dispatch(&mut ctx, &registry("hooks_phase")).unwrap();
        assert_eq!(names(&report), expected, "hook {hook}");
    }
}

mod chain {
    use super::*;

    #[when("a")]
    fn step_a(ctx: &mut Context) {
        ctx.set_flag("b");
    }

    #[when("b")]
    fn step_b(ctx: &mut Context) {
        ctx.set_flag("c");
    }

    #[when("c")]
    #[when_not("done")]
    fn step_c(ctx: &mut Context) {
        ctx.set_flag("done");
    }
}

#[test]
fn flags_set_in_one_iteration_queue_handlers_in_the_next() {
    let (ctx, report) = run("chain", "update-status", &["a"]);
    assert_eq!(names(&report), ["step_a", "step_b", "step_c"]);
    assert_eq!(report.iterations, 3);
    assert!(ctx.is_flag_set("done"));
}

#[test]
fn a_handler_whose_flags_did_not_change_is_not_rerun() {
    // step_a runs in iteration 0 and sets b; in iteration 1 only watchers
    // of b are candidates, so step_a (still eligible) is not invoked again.
    let (_, report) = run("chain", "update-status", &["a"]);
    assert_eq!(names(&report).iter().filter(|n| **n == "step_a").count(), 1);
}

mod set_mid_iteration {
    use super::*;

    #[when("go")]
    fn first(ctx: &mut Context) {
        ctx.set_flag("y");
    }

    #[when("y")]
    fn between() {}

    #[when("go")]
    fn last() {}
}

#[test]
fn a_flag_set_mid_iteration_does_not_add_to_the_current_queue() {
    let (_, report) = run("set_mid_iteration", "update-status", &["go"]);
    // `between` sorts before `last`, but `y` was set during iteration 0, so
    // it waits for iteration 1.
    assert_eq!(names(&report), ["first", "last", "between"]);
}

mod set_does_not_retest {
    use super::*;

    #[when("go")]
    fn setter(ctx: &mut Context) {
        ctx.set_flag("block");
    }

    #[when("go")]
    #[when_not("block")]
    fn blocked_by_set() {}
}

#[test]
fn a_set_alone_does_not_retest_the_queue() {
    // As in charms.reactive: only clears re-test the queue, so the second
    // handler still runs although its `when_not` no longer holds.
    let (_, report) = run("set_does_not_retest", "update-status", &["go"]);
    assert_eq!(names(&report), ["setter", "blocked_by_set"]);
}

mod clear_of_unset_flag {
    use super::*;

    #[when("go")]
    fn setter_and_clearer(ctx: &mut Context) {
        ctx.set_flag("block");
        ctx.clear_flag("never-set");
    }

    #[when("go")]
    #[when_not("block")]
    fn dropped() {}
}

#[test]
fn clearing_an_unset_flag_still_retests_the_queue() {
    let (_, report) = run("clear_of_unset_flag", "update-status", &["go"]);
    assert_eq!(names(&report), ["setter_and_clearer"]);
}

mod clear_drops {
    use super::*;

    #[when("x")]
    fn clears_x(ctx: &mut Context) {
        ctx.clear_flag("x");
    }

    #[when("x")]
    fn needs_x() {}

    #[when("other")]
    fn unrelated() {}
}

#[test]
fn a_clear_drops_queued_handlers_whose_conditions_fail() {
    let (_, report) = run("clear_drops", "update-status", &["x", "other"]);
    assert_eq!(names(&report), ["clears_x", "unrelated"]);
}

mod clear_enables_later {
    use super::*;

    #[when("go")]
    fn clears_z(ctx: &mut Context) {
        ctx.clear_flag("z");
    }

    #[when_not("z")]
    fn waits_for_next_iteration() {}

    #[when("go")]
    fn after() {}
}

#[test]
fn a_handler_a_clear_makes_eligible_waits_for_the_next_iteration() {
    let (_, report) = run("clear_enables_later", "update-status", &["go", "z"]);
    assert_eq!(
        names(&report),
        ["clears_z", "after", "waits_for_next_iteration"]
    );
    assert_eq!(report.iterations, 2);
}

mod set_and_cleared {
    use super::*;

    #[when("go")]
    #[when_not("started")]
    fn flips(ctx: &mut Context) {
        ctx.set_flag("started");
        ctx.set_flag("t");
        ctx.clear_flag("t");
    }

    #[when_not("t")]
    fn watches_t() {}
}

#[test]
fn a_flag_set_and_cleared_in_one_iteration_counts_as_changed() {
    let (_, report) = run("set_and_cleared", "update-status", &["go"]);
    // watches_t runs in iteration 0, and again in iteration 1 because `t`
    // changed (set then cleared) during iteration 0.
    assert_eq!(names(&report), ["flips", "watches_t", "watches_t"]);
}

mod unwatched {
    use super::*;

    #[only_once]
    fn once() {}

    #[when("go")]
    #[when_not("written")]
    fn write_file(ctx: &mut Context) {
        let dir = ctx.hook().charm_dir.clone().unwrap();
        std::fs::write(dir.join("watched.txt"), "new content").unwrap();
        ctx.set_flag("written");
    }

    #[when_file_changed("watched.txt")]
    fn file_changed() {}
}

#[test]
fn handlers_without_flags_are_retested_in_every_iteration() {
    let dir = std::env::temp_dir().join(format!("reactive-unwatched-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("watched.txt"), "old content").unwrap();
    let mut hook = HookInfo::named("update-status");
    hook.charm_dir = Some(dir.clone());
    let mut ctx = Context::new(hook, UnitState::in_memory()).unwrap();
    ctx.set_flag("go");
    let report = dispatch(&mut ctx, &registry("unwatched")).unwrap();
    // Hooks phase: once and file_changed (first sight of the file). Main
    // loop: write_file; file_changed again in iteration 1 because the file
    // changed, though no flag it watches did (it watches none).
    assert_eq!(
        names(&report),
        ["once", "file_changed", "write_file", "file_changed"]
    );
    ctx.commit().unwrap();
    let state = ctx.into_unit_state();
    let mut ctx = Context::new(HookInfo::named("update-status"), state).unwrap();
    let report = dispatch(&mut ctx, &registry("unwatched")).unwrap();
    assert!(!names(&report).contains(&"once"), "only_once ran twice");
    std::fs::remove_dir_all(&dir).unwrap();
}

mod restricted {
    use super::*;

    #[collect_metrics]
    fn metrics() {}

    #[meter_status_changed]
    fn meter() {}

    #[when("go")]
    fn flag_handler() {}

    #[hook("collect-metrics")]
    fn hook_handler() {}

    #[only_once]
    fn bare_once() {}
}

#[test]
fn restricted_mode_runs_only_restricted_handlers() {
    let (_, report) = run("restricted", "collect-metrics", &["go"]);
    assert_eq!(names(&report), ["metrics"]);
    let (_, report) = run("restricted", "meter-status-changed", &["go"]);
    assert_eq!(names(&report), ["meter"]);
    let (_, report) = run("restricted", "update-status", &["go"]);
    assert_eq!(names(&report), ["bare_once", "flag_handler"]);
}

mod flapping {
    use super::*;

    #[when_not("x")]
    fn sets_x(ctx: &mut Context) {
        ctx.set_flag("x");
    }

    #[when("x")]
    fn clears_x(ctx: &mut Context) {
        ctx.clear_flag("x");
    }
}

#[test]
fn the_iteration_cap_stops_a_flapping_loop_with_a_warning() {
    let mut ctx = Context::in_memory("update-status");
    let log = reactive_core::log::MemoryLog::default();
    ctx.set_log(log.clone());
    let report = dispatch(&mut ctx, &registry("flapping")).unwrap();
    assert!(report.hit_iteration_cap);
    assert_eq!(report.iterations, reactive_core::dispatch::MAX_ITERATIONS);
    let warnings = log.messages_at(LogLevel::Warning);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("after 100 iterations"),
        "{}",
        warnings[0]
    );
    assert!(warnings[0].contains(":sets_x") || warnings[0].contains(":clears_x"));
}

mod ordering {
    use super::*;

    pub const FIRST_LINE: u32 = line!() + 2;
    #[when("go")]
    fn zeta() {}

    #[when("go")]
    fn alpha() {}
}

#[test]
fn queues_run_in_source_order_and_ids_name_file_line_and_function() {
    let (_, report) = run("ordering", "update-status", &["go"]);
    assert_eq!(
        report.invoked,
        [
            format!(
                "reactive-core/tests/dispatch_rules.rs:{}:zeta",
                ordering::FIRST_LINE
            ),
            format!(
                "reactive-core/tests/dispatch_rules.rs:{}:alpha",
                ordering::FIRST_LINE + 3
            ),
        ]
    );
}

mod failing {
    use super::*;

    #[derive(Debug)]
    struct Broken;
    impl std::fmt::Display for Broken {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("the service is broken")
        }
    }
    impl std::error::Error for Broken {}

    #[when("go")]
    fn sets_before_failing(ctx: &mut Context) {
        ctx.set_flag("half-done");
    }

    #[when("half-done")]
    fn fails() -> Result<(), Broken> {
        Err(Broken)
    }

    #[when("panic")]
    fn panics() {
        panic!("handler lost its mind");
    }

    #[when("half-done")]
    fn never_reached() {}
}

#[test]
fn a_handler_error_aborts_dispatch_with_its_id() {
    let (mut ctx, _) = run("chain", "install", &[]);
    ctx.set_flag("go");
    let err = dispatch(&mut ctx, &registry("failing")).unwrap_err();
    match &err {
        DispatchError::Handler { id, error } => {
            assert!(id.ends_with(":fails"), "{id}");
            assert_eq!(error.to_string(), "the service is broken");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("the service is broken"));
}

#[test]
fn a_handler_panic_aborts_dispatch_with_its_message() {
    let mut ctx = Context::in_memory("install");
    ctx.set_flag("panic");
    let err = dispatch(&mut ctx, &registry("failing")).unwrap_err();
    match err {
        DispatchError::Panic { id, message } => {
            assert!(id.ends_with(":panics"), "{id}");
            assert_eq!(message, "handler lost its mind");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn a_failed_dispatch_leaves_the_unit_state_as_before() {
    let mut state = UnitState::in_memory();
    state.set("reactive.states.go", serde_json::Value::Null);
    state.commit().unwrap();
    let mut ctx = Context::new(HookInfo::named("install"), state).unwrap();
    assert!(dispatch(&mut ctx, &registry("failing")).is_err());
    assert!(ctx.is_flag_set("half-done"));
    let mut state = ctx.rollback();
    let flags: Vec<String> = state
        .get_range("reactive.states.")
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(flags, ["reactive.states.go"]);
}

mod not_unless_guard {
    use super::*;

    #[not_unless("db.ready", "cache.ready")]
    pub fn guarded(ctx: &mut Context) {
        ctx.set_flag("guarded.ran");
    }

    #[when("go")]
    fn caller(ctx: &mut Context) {
        guarded(ctx);
    }
}

#[test]
fn not_unless_warns_naming_the_missing_flags_but_runs() {
    let mut ctx = Context::in_memory("install");
    let log = reactive_core::log::MemoryLog::default();
    ctx.set_log(log.clone());
    ctx.set_flag("go");
    ctx.set_flag("db.ready");
    let report = dispatch(&mut ctx, &registry("not_unless_guard")).unwrap();
    assert_eq!(
        names(&report),
        ["caller"],
        "not_unless alone registers nothing"
    );
    assert!(ctx.is_flag_set("guarded.ran"));
    let warnings = log.messages_at(LogLevel::Warning);
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].ends_with(":guarded called before flag: cache.ready"),
        "{}",
        warnings[0]
    );
}

mod any_none_notall {
    use super::*;

    #[when_any("a", "b")]
    fn any_ab() {}

    #[when_none("a", "b")]
    fn none_ab() {}

    #[when_not_all("a", "b")]
    fn not_all_ab() {}

    #[when_all("a", "b")]
    fn all_ab() {}
}

#[test]
fn each_condition_kind_tests_its_flags() {
    let cases: [(&[&str], &[&str]); 4] = [
        (&[], &["none_ab", "not_all_ab"]),
        (&["a"], &["any_ab", "not_all_ab"]),
        (&["b"], &["any_ab", "not_all_ab"]),
        (&["a", "b"], &["any_ab", "all_ab"]),
    ];
    for (flags, expected) in cases {
        let (_, report) = run("any_none_notall", "update-status", flags);
        let mut got = names(&report);
        got.sort_unstable();
        let mut expected = expected.to_vec();
        expected.sort_unstable();
        assert_eq!(got, expected, "flags {flags:?}");
    }
}

mod stop_early {
    use super::*;

    #[hook("install")]
    fn stop_in_hooks_phase(ctx: &mut Context) {
        ctx.set_flag("go");
        ctx.stop_dispatch();
    }

    #[hook("install")]
    fn later_hook_handler(ctx: &mut Context) {
        ctx.set_flag("later.hook");
    }

    #[when("go")]
    fn stop_in_main_loop(ctx: &mut Context) {
        ctx.set_flag("stopped");
        ctx.stop_dispatch();
    }

    #[when("go")]
    fn later_in_queue(ctx: &mut Context) {
        ctx.set_flag("later.queue");
    }

    #[when("stopped")]
    fn next_iteration(ctx: &mut Context) {
        ctx.set_flag("later.iteration");
    }
}

#[test]
fn a_handler_can_stop_dispatch_as_a_success() {
    // In the hooks phase: the rest of the phase and the main loop are
    // skipped.
    let (mut ctx, report) = run("stop_early", "install", &[]);
    assert_eq!(names(&report), ["stop_in_hooks_phase"]);
    assert!(ctx.is_flag_set("go") && !ctx.is_flag_set("later.hook"));
    assert!(
        !ctx.dispatch_stopped(),
        "the request ends with the dispatch"
    );
    // The context can be committed as after any successful dispatch.
    ctx.commit().unwrap();

    // In the main loop: the rest of the queue and later iterations are
    // skipped.
    let (ctx, report) = run("stop_early", "config-changed", &["go"]);
    assert_eq!(names(&report), ["stop_in_main_loop"]);
    assert_eq!(report.iterations, 1);
    assert!(ctx.is_flag_set("stopped"));
    assert!(!ctx.is_flag_set("later.queue") && !ctx.is_flag_set("later.iteration"));
}
