//! Dispatch benchmarks: one whole `dispatch` over registries of hand-built
//! handlers.
//!
//! Run with `cargo bench -p reactive-core --bench dispatch`; the figures are
//! in `BENCHMARKS.md` at the workspace root.
//!
//! Patterns, for H registered handlers:
//!
//! - `chain`: handler i runs on `f_i` and sets `f_{i+1}`; `f_0` is set
//!   before dispatch. With more than 100 handlers only 100 links run (the
//!   dispatch iteration cap).
//! - `fanout`: H handlers on one set flag, doing nothing.
//! - `fanout-set`: the same, each setting a flag of its own.
//! - `idle`: H handlers on a flag that is never set.
//! - `later_iterations`: a 100-link chain plus N idle handlers (each on its
//!   own never-set flag), started at `f_0` (100 links) or at `f_99` (1 link).
//!   Both runs test all 100 + N handlers in iteration 0; the difference of
//!   their medians divided by 99 is the cost of one later iteration.
//!
//! Handlers are built without the macros: leaked `HandlerDescriptor`s whose
//! `invoke` functions decide what to do from the registry entry they get.
//! The registry is built outside the timed section; each timed call gets a
//! fresh `Context::in_memory("update-status")` with the starting flag set.

use std::sync::Arc;

use divan::Bencher;
use reactive_core::handler::{Condition, HandlerDescriptor, HandlerError, HandlerFn};
use reactive_core::registry::HandlerEntry;
use reactive_core::{dispatch, Context, Registry};

fn main() {
    divan::main();
}

/// The flag every `fanout` and `fanout-set` handler watches.
const START: &str = "start";
/// The flag every `idle` handler watches; nothing sets it.
const NEVER: &str = "never";

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// A handler running when `flag` is set. `line` must differ between the
/// handlers of one registry (it makes the id unique and fixes the order).
fn descriptor(
    line: u32,
    function: &'static str,
    flag: &'static str,
    invoke: HandlerFn,
) -> &'static HandlerDescriptor {
    let flags: &'static [&'static str] = Box::leak(Box::new([flag]));
    let conditions: &'static [Condition] = Box::leak(Box::new([Condition::All(flags)]));
    Box::leak(Box::new(HandlerDescriptor {
        module_path: "dispatch_bench",
        crate_name: "reactive-core",
        file: "benches/dispatch.rs",
        line,
        function,
        conditions,
        hooks: &[],
        files_changed: &[],
        only_once: false,
        restricted: None,
        action: None,
        endpoint: None,
        invoke,
    }))
}

fn registry(descriptors: Vec<&'static HandlerDescriptor>) -> Arc<Registry> {
    Arc::new(
        Registry::builder()
            .descriptors(descriptors)
            .build()
            .expect("the benchmark handlers have unique ids"),
    )
}

/// A chain link: watches `f_i`, sets `f_{i+1}`.
fn chain_link(ctx: &mut Context, entry: &HandlerEntry) -> Result<(), HandlerError> {
    let i: usize = entry.watched_flags()[0]["f_".len()..].parse()?;
    ctx.set_flag(&format!("f_{}", i + 1));
    Ok(())
}

/// Does nothing.
fn noop(_ctx: &mut Context, _entry: &HandlerEntry) -> Result<(), HandlerError> {
    Ok(())
}

/// Sets a flag of its own: its function name, unique per handler and
/// watched by no handler.
fn set_own(ctx: &mut Context, entry: &HandlerEntry) -> Result<(), HandlerError> {
    ctx.set_flag(entry.descriptor().function);
    Ok(())
}

/// The descriptors of a chain of `links` handlers, on lines 1..=links.
fn chain_descriptors(links: usize) -> Vec<&'static HandlerDescriptor> {
    (0..links)
        .map(|i| {
            descriptor(
                line(i),
                leak(format!("link_{i}")),
                leak(format!("f_{i}")),
                chain_link,
            )
        })
        .collect()
}

/// `h` handlers on `flag`, on lines 1..=h.
fn same_flag(h: usize, flag: &'static str, invoke: HandlerFn) -> Vec<&'static HandlerDescriptor> {
    (0..h)
        .map(|i| descriptor(line(i), leak(format!("own_{i}")), flag, invoke))
        .collect()
}

fn line(i: usize) -> u32 {
    u32::try_from(i + 1).expect("fewer than 2^32 handlers")
}

/// Time one whole dispatch on a fresh in-memory context with `start` set;
/// check once, untimed, that it invoked `expected` handlers.
fn bench_dispatch(
    bencher: Bencher,
    registry: &Arc<Registry>,
    start: &'static str,
    expected: usize,
) {
    let fresh = move || {
        let mut ctx = Context::in_memory("update-status");
        ctx.set_flag(start);
        ctx
    };
    let report = dispatch(&mut fresh(), registry).expect("dispatch succeeds");
    assert_eq!(report.invoked.len(), expected, "handlers invoked");
    bencher
        .with_inputs(fresh)
        .bench_local_refs(|ctx| dispatch(ctx, registry).expect("dispatch succeeds"));
}

#[divan::bench(args = [100, 1_000, 5_000, 10_000])]
fn chain(bencher: Bencher, h: usize) {
    let registry = registry(chain_descriptors(h));
    bench_dispatch(
        bencher,
        &registry,
        "f_0",
        h.min(reactive_core::dispatch::MAX_ITERATIONS),
    );
}

#[divan::bench(args = [100, 1_000, 5_000, 10_000])]
fn fanout(bencher: Bencher, h: usize) {
    let registry = registry(same_flag(h, START, noop));
    bench_dispatch(bencher, &registry, START, h);
}

#[divan::bench(name = "fanout-set", args = [100, 1_000, 5_000, 10_000])]
fn fanout_set(bencher: Bencher, h: usize) {
    let registry = registry(same_flag(h, START, set_own));
    bench_dispatch(bencher, &registry, START, h);
}

#[divan::bench(args = [100, 1_000, 5_000, 10_000])]
fn idle(bencher: Bencher, h: usize) {
    let registry = registry(same_flag(h, NEVER, noop));
    bench_dispatch(bencher, &registry, START, 0);
}

/// A 100-link chain plus `n` handlers that no changed flag touches, each
/// on a never-set flag of its own (so the flag index grows with `n` too).
#[divan::bench_group]
mod later_iterations {
    use super::*;

    const LINKS: usize = 100;

    fn chain_plus_idle(n: usize) -> Arc<Registry> {
        let mut descriptors = chain_descriptors(LINKS);
        descriptors.extend((0..n).map(|j| {
            descriptor(
                line(LINKS + j),
                leak(format!("idle_{j}")),
                leak(format!("idle_{j}")),
                noop,
            )
        }));
        registry(descriptors)
    }

    /// Iteration 0 (tests all 100 + n handlers, runs link 0) and 99 later
    /// iterations of one link each.
    #[divan::bench(args = [1_000, 10_000, 20_000])]
    fn links_100(bencher: Bencher, n: usize) {
        bench_dispatch(bencher, &chain_plus_idle(n), "f_0", LINKS);
    }

    /// Iteration 0 alone (tests all 100 + n handlers, runs link 99, whose
    /// flag `f_100` nothing watches).
    #[divan::bench(args = [1_000, 10_000, 20_000])]
    fn links_1(bencher: Bencher, n: usize) {
        bench_dispatch(bencher, &chain_plus_idle(n), "f_99", 1);
    }
}
