//! No global mutable state (every hook's state lives in its `Context`): many dispatches of different handler
//! sets, in parallel threads of one process, give exactly the results they
//! give one at a time.

use std::sync::{Arc, Barrier};

use reactive_core::log::{LogLevel, MemoryLog};
use reactive_core::prelude::*;
use reactive_core::{dispatch, HookInfo, UnitState};
use reactive_testing::harness::Harness;
use serde_json::{json, Value};

mod chain {
    use super::*;

    #[when("start")]
    fn step_a(ctx: &mut Context) {
        ctx.set_flag_value("b", 1);
    }

    #[when("b")]
    fn step_b(ctx: &mut Context) {
        let n = ctx.flag_value("b").and_then(Value::as_i64).unwrap_or(0);
        ctx.set_flag_value("c", n + 1);
    }

    #[when("c")]
    #[when_not("done")]
    fn step_c(ctx: &mut Context) {
        ctx.set_flag("done");
        ctx.clear_flag("start");
    }
}

mod clears {
    use super::*;

    #[when("start")]
    fn clears_x(ctx: &mut Context) {
        ctx.clear_flag("x");
    }

    #[when("start", "x")]
    fn needs_x() {}

    #[when_not("x")]
    fn after_clear(ctx: &mut Context) {
        ctx.set_flag_value("cleared.seen", "yes");
    }
}

mod counter {
    use super::*;

    /// Counts to 10, one count every other iteration of the main loop.
    #[when("start")]
    #[when_not("tock", "count.done")]
    fn tick(ctx: &mut Context) {
        let n = ctx.flag_value("count").and_then(Value::as_i64).unwrap_or(0) + 1;
        ctx.set_flag_value("count", n);
        if n >= 10 {
            ctx.set_flag("count.done");
        }
        ctx.set_flag("tock");
    }

    #[when("tock")]
    fn tock(ctx: &mut Context) {
        ctx.clear_flag("tock");
    }

    #[when("count.done")]
    fn finished(ctx: &mut Context) {
        ctx.set_flag_value("finished", json!({"at": 10}));
    }
}

mod triggered {
    use super::*;

    #[hook("install")]
    fn register(ctx: &mut Context) {
        ctx.register_trigger(Trigger::when("ready").set_flag("announced"))
            .unwrap();
        ctx.register_trigger(Trigger::when_not("start").callback(|ctx: &mut Context| {
            ctx.set_flag_value("stopped", "by trigger");
        }))
        .unwrap();
    }

    #[when("start")]
    fn make_ready(ctx: &mut Context) {
        ctx.set_flag("ready");
    }

    #[when("announced")]
    fn stop(ctx: &mut Context) {
        ctx.clear_flag("start");
    }
}

mod once_and_any {
    use super::*;

    #[only_once]
    fn once(ctx: &mut Context) {
        ctx.set_flag("once.ran");
    }

    #[when_any("once.ran", "nothing")]
    fn any(ctx: &mut Context) {
        let seen = ctx
            .data_changed("seen", &json!({"hook": ctx.hook_name()}))
            .unwrap();
        ctx.set_flag_value("any.ran", seen);
    }

    #[when_not_all("once.ran", "nothing")]
    fn not_all() {}
}

const SCENARIOS: [&str; 5] = ["chain", "clears", "counter", "triggered", "once_and_any"];

/// What one dispatch did: the handlers invoked, the final flags with their
/// values, and every log line.
type Outcome = (Vec<String>, Vec<(String, Value)>, Vec<(LogLevel, String)>);

fn registry(module: &str) -> Arc<Registry> {
    let prefix = format!("parallel::{module}");
    Arc::new(Registry::builder().module_prefix(&prefix).build().unwrap())
}

fn run_scenario(module: &str, registry: &Arc<Registry>, tracing: bool) -> Outcome {
    let mut ctx = Context::new(HookInfo::named("install"), UnitState::in_memory()).unwrap();
    let log = MemoryLog::default();
    ctx.set_log(log.clone());
    ctx.set_flag("start");
    ctx.set_flag("x");
    ctx.set_tracing(tracing);
    let report = dispatch(&mut ctx, registry).unwrap();
    ctx.commit().unwrap();
    let flags = ctx
        .get_flags()
        .into_iter()
        .map(|f| {
            let v = ctx.flag_value(&f).cloned().unwrap();
            (f, v)
        })
        .collect();
    let logs = log
        .records()
        .into_iter()
        .map(|r| (r.level, r.message))
        .collect();
    assert!(!report.invoked.is_empty(), "{module} invoked nothing");
    (report.invoked, flags, logs)
}

#[test]
fn parallel_dispatches_give_the_serial_results() {
    const THREADS: usize = 8;
    const DISPATCHES: usize = 50;
    let registries: Vec<Arc<Registry>> = SCENARIOS.iter().map(|m| registry(m)).collect();
    let expected: Vec<(Outcome, Outcome)> = SCENARIOS
        .iter()
        .zip(&registries)
        .map(|(m, r)| (run_scenario(m, r, false), run_scenario(m, r, true)))
        .collect();
    // Sanity: the scenarios differ from each other and do real work.
    assert_eq!(
        expected[0].0 .1,
        [
            ("b".to_string(), json!(1)),
            ("c".to_string(), json!(2)),
            ("done".to_string(), Value::Null),
            ("x".to_string(), Value::Null),
        ]
    );
    assert_eq!(
        expected[2].0 .0.len(),
        21,
        "counter: 10 ticks, 10 tocks, finished"
    );
    assert!(expected[2].0 .1.contains(&("count".to_string(), json!(10))));
    assert!(expected[3]
        .0
         .1
        .contains(&("stopped".to_string(), json!("by trigger"))));
    for (i, a) in expected.iter().enumerate() {
        for b in &expected[i + 1..] {
            assert_ne!(a.0 .0, b.0 .0);
        }
    }

    let expected = Arc::new(expected);
    let barrier = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let expected = Arc::clone(&expected);
            let registries = registries.clone();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                let mut mismatches = Vec::new();
                for d in 0..DISPATCHES {
                    let i = (t + d) % SCENARIOS.len();
                    let tracing = (t + d) % 3 == 0;
                    // Half the dispatches share the registry, half build
                    // their own from the inventory.
                    let registry = if d % 2 == 0 {
                        Arc::clone(&registries[i])
                    } else {
                        registry(SCENARIOS[i])
                    };
                    let got = run_scenario(SCENARIOS[i], &registry, tracing);
                    let want = if tracing {
                        &expected[i].1
                    } else {
                        &expected[i].0
                    };
                    if &got != want {
                        mismatches.push(format!(
                            "thread {t} dispatch {d} ({}): {got:?} != {want:?}",
                            SCENARIOS[i]
                        ));
                    }
                }
                mismatches
            })
        })
        .collect();
    let mismatches: Vec<String> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("a dispatch thread panicked"))
        .collect();
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// A hook's name, the handlers it invoked, and the flags it left.
type HookSummary = (String, Vec<String>, Vec<(String, Value)>);

#[test]
fn parallel_harnesses_give_the_serial_results() {
    fn run() -> Vec<HookSummary> {
        let mut harness = Harness::from_yaml(
            "name: app\n",
            "options:\n  mode: {type: string, default: fast}\n",
            Registry::builder()
                .module_prefix("parallel::chain")
                .module_prefix("parallel::once_and_any"),
        )
        .unwrap();
        let mut out = Vec::new();
        for (hook, config) in [
            ("install", None),
            ("config-changed", Some(json!({"mode": "slow"}))),
            ("update-status", None),
        ] {
            if let Some(config) = config {
                harness.update_config(config).unwrap();
            }
            let invoked = harness.fire(hook).unwrap().invoked.clone();
            out.push((hook.to_string(), invoked, harness.flag_values()));
        }
        out
    }
    let expected = run();
    assert!(expected[0].1.iter().any(|id| id.ends_with(":once")));
    assert!(!expected[1].1.iter().any(|id| id.ends_with(":once")));
    let threads: Vec<_> = (0..8)
        .map(|_| std::thread::spawn(|| (0..10).map(|_| run()).collect::<Vec<_>>()))
        .collect();
    for t in threads {
        for got in t.join().unwrap() {
            assert_eq!(got, expected);
        }
    }
}
