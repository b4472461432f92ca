//! Kill -9 at every kind of instant of a hook: the telemetry charms run as
//! real processes in the simulator, one hook at a time is killed by the
//! kernel at its n-th `write`, `pwrite64`, `fsync`, `fdatasync`,
//! `rename`, `unlink` or `exit_group` system call (through `strace`'s
//! fault injection), the simulator treats the hook as Juju does (the hook
//! failed: its `relation-set` calls are dropped) and retries it, as Juju
//! does, until it succeeds. After every step of the scenario the relation
//! data of the whole model must equal that of an uninterrupted run.
//!
//! Needs `strace` (it is how the kernel is told to kill at an exact system
//! call); without it the test says so and fails.
#![cfg(target_os = "linux")]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use reactive_rs::telemetry;
use reactive_testing::sim::{CharmRunner, Deployment, Scenario, SimError};
use serde_json::{json, Value};

#[path = "support/mod.rs"]
mod support;
use support::charm_binaries;

const TOOL: &str = env!("CARGO_BIN_EXE_reactive-sim-tool");
const STRACE: &str = "/usr/bin/strace";

/// The system calls at which a hook is killed, by kind.
const KINDS: [(&str, &[&str]); 5] = [
    ("write", &["write", "pwrite64"]),
    ("fsync", &["fsync", "fdatasync"]),
    ("rename", &["rename", "renameat", "renameat2"]),
    ("unlink", &["unlink", "unlinkat"]),
    ("exit", &["exit_group"]),
];

/// The most retries in one step before the test gives up (each hook is
/// killed at most once per run).
const MAX_RETRIES: usize = 100;

/// Runs the charm binary for one hook, as the plan in `$REACTIVE_FAULT_DIR`
/// says: traced (counting system calls), killed at an instant, or as is.
/// The index of the hook (in the order of an uninterrupted run) advances
/// only when a hook succeeds, so that a retry has the index of the hook it
/// retries.
const WRAPPER: &str = r#"#!/bin/sh
d="$REACTIVE_FAULT_DIR"
idx=$(cat "$d/index" 2>/dev/null || echo 0)
if [ -n "$REACTIVE_FAULT_TRACE" ]; then
  "$REACTIVE_FAULT_STRACE" -qq -o "$d/trace-$idx" -e trace="$REACTIVE_FAULT_TRACE" "$REACTIVE_FAULT_CHARM"
  rc=$?
else
  line=$(grep "^$idx " "$d/plan" 2>/dev/null | head -n 1)
  if [ -n "$line" ] && [ ! -e "$d/applied-$idx" ]; then
    : > "$d/applied-$idx"
    set -- $line
    "$REACTIVE_FAULT_STRACE" -qq -o /dev/null -e trace="$2" -e inject="$2":signal=KILL:when="$3" "$REACTIVE_FAULT_CHARM"
    rc=$?
    if [ $rc -ge 128 ]; then echo "$idx $2 $3 killed" >> "$d/log"; else echo "$idx $2 $3 missed" >> "$d/log"; fi
  else
    "$REACTIVE_FAULT_CHARM"
    rc=$?
  fi
fi
if [ $rc -eq 0 ]; then echo $((idx + 1)) > "$d/index"; fi
exit $rc
"#;

/// One simulated model whose charm processes go through the wrapper.
struct Rig {
    workdir: PathBuf,
    fault_dir: PathBuf,
}

impl Rig {
    fn new(name: &str) -> Rig {
        let workdir = std::env::temp_dir().join(format!(
            "reactive-crash-faults-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&workdir);
        let fault_dir = workdir.join("faults");
        std::fs::create_dir_all(&fault_dir).unwrap();
        Rig { workdir, fault_dir }
    }

    /// The wrapper for charm `name`, and the catalog entry running it.
    fn catalog(&self, name: &str, trace: bool) -> Result<(CharmRunner, PathBuf), SimError> {
        let (runner, dir) = telemetry::as_process(name, charm_binaries(), Path::new(TOOL))?;
        let CharmRunner::Process(mut charm) = runner else {
            unreachable!("as_process gives a process charm")
        };
        let wrapper = self.fault_dir.join(format!("run-{name}"));
        if !wrapper.exists() {
            std::fs::write(&wrapper, WRAPPER).unwrap();
            std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let real = std::mem::replace(&mut charm.binary, wrapper);
        let env = [
            (
                "REACTIVE_FAULT_DIR",
                self.fault_dir.to_string_lossy().into_owned(),
            ),
            ("REACTIVE_FAULT_CHARM", real.to_string_lossy().into_owned()),
            ("REACTIVE_FAULT_STRACE", STRACE.to_string()),
        ];
        for (k, v) in env {
            charm.env.insert(k.into(), v);
        }
        if trace {
            let all: Vec<&str> = KINDS
                .iter()
                .flat_map(|(_, calls)| calls.iter().copied())
                .collect();
            charm
                .env
                .insert("REACTIVE_FAULT_TRACE".into(), all.join(","));
        }
        Ok((CharmRunner::Process(charm), dir))
    }

    fn log(&self) -> Vec<String> {
        std::fs::read_to_string(self.fault_dir.join("log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.workdir);
    }
}

/// Every relation's bags (units' and applications'), with the request ids
/// (random per run) replaced by the name of the unit that made them; `ids`
/// keeps the requests seen in earlier steps (a removed unit's request may
/// still be answered).
fn relation_data(model: &Deployment, ids: &mut BTreeMap<String, String>) -> Value {
    let m = model.model();
    for relation in m.relations.values() {
        for (unit, bag) in &relation.unit_data {
            for key in bag.keys() {
                if let Some(id) = key.strip_prefix("request_") {
                    ids.insert(id.to_string(), format!("<request of {unit}>"));
                }
            }
        }
    }
    let value = json!(m
        .relations
        .values()
        .map(|r| json!({"id": r.id, "units": r.unit_data, "apps": r.app_data}))
        .collect::<Vec<_>>());
    let mut text = value.to_string();
    for (id, name) in ids.iter() {
        text = text.replace(id.as_str(), name);
    }
    serde_json::from_str(&text).unwrap()
}

/// Run the scenario, retrying each failed hook as Juju does; the relation
/// data after each step.
fn run_scenario(rig: &Rig, trace: bool) -> (Vec<Value>, usize) {
    let scenario = Scenario::load(&telemetry::scenario_path()).unwrap();
    let catalog = |name: &str| rig.catalog(name, trace);
    let mut model = Deployment::new(&rig.workdir.join("model")).unwrap();
    let mut data = Vec::new();
    let mut retries = 0;
    let mut ids = BTreeMap::new();
    for step in &scenario.steps {
        let report = model.run_step(step, &catalog, &scenario.files);
        let mut error = report.error.clone();
        let mut tries = 0;
        while let Some(e) = error {
            tries += 1;
            assert!(
                tries <= MAX_RETRIES,
                "step `{}`: still failing after {MAX_RETRIES} retries: {e}; kills: {:?}",
                report.step,
                rig.log()
            );
            retries += 1;
            error = model.retry().err().map(|e| e.to_string());
        }
        data.push(relation_data(&model, &mut ids));
    }
    (data, retries)
}

/// How many of each traced system call hook `idx` of the traced run made.
fn counts(rig: &Rig, idx: usize) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    let text =
        std::fs::read_to_string(rig.fault_dir.join(format!("trace-{idx}"))).unwrap_or_default();
    for line in text.lines() {
        if let Some((name, _)) = line.split_once('(') {
            *counts.entry(name.to_string()).or_insert(0) += 1;
        }
    }
    counts
}

/// Run the scenario killing each hook at its instant of `round`; check the
/// relation data after each step; the wrapper's log and the retries.
fn faulted_run(
    round: usize,
    plans: &[Vec<(String, usize)>],
    expected: &[Value],
) -> (Vec<String>, usize) {
    let rig = Rig::new(&format!("round-{round}"));
    let plan: String = plans
        .iter()
        .enumerate()
        .filter_map(|(idx, instants)| {
            instants
                .get(round)
                .map(|(call, n)| format!("{idx} {call} {n}\n"))
        })
        .collect();
    std::fs::write(rig.fault_dir.join("plan"), plan).unwrap();
    let (data, retries) = run_scenario(&rig, false);
    assert_eq!(data.len(), expected.len());
    for (step, (got, want)) in data.iter().zip(expected).enumerate() {
        assert_eq!(
            got,
            want,
            "round {round}, after step {step}: the relation data differs from an \
             uninterrupted run's; kills: {:?}",
            rig.log()
        );
    }
    (rig.log(), retries)
}

#[test]
fn a_hook_killed_at_any_instant_and_retried_leaves_the_relation_data_of_an_uninterrupted_run() {
    assert!(
        Path::new(STRACE).is_file(),
        "this test kills charm processes at exact system calls with {STRACE}; install strace"
    );
    let started = Instant::now();

    // The uninterrupted run, traced: the expected relation data after each
    // step, and every instant of every hook.
    let baseline = Rig::new("baseline");
    let (expected, retries) = run_scenario(&baseline, true);
    assert_eq!(retries, 0, "the uninterrupted run fails no hook");
    let hooks = std::fs::read_to_string(baseline.fault_dir.join("index"))
        .unwrap()
        .trim()
        .parse::<usize>()
        .unwrap();
    let per_hook: Vec<BTreeMap<String, usize>> = (0..hooks).map(|i| counts(&baseline, i)).collect();
    let available: usize = per_hook.iter().flat_map(|c| c.values()).sum();

    // The instants to kill at, per hook, at most one per run: the exit;
    // the last unlink (SQLite's commit: the journal goes); the last rename
    // (the saved config moves into place), else the first write; the last
    // fsync or fdatasync; the middle pwrite64 (SQLite writing pages); the
    // middle write (a hook tool's input, a log line).
    let mut plans: Vec<Vec<(String, usize)>> = Vec::new();
    for counts in &per_hook {
        let n = |call: &str| counts.get(call).copied().unwrap_or(0);
        let last_of = |calls: &[&str]| {
            calls
                .iter()
                .map(|c| (c.to_string(), n(c)))
                .rfind(|(_, k)| *k > 0)
        };
        let mut instants = Vec::new();
        instants.extend(last_of(&["exit_group"]).map(|(c, _)| (c, 1)));
        instants.extend(last_of(&["unlink", "unlinkat"]));
        match last_of(&["rename", "renameat", "renameat2"]) {
            Some(rename) => instants.push(rename),
            None if n("write") > 0 => instants.push(("write".to_string(), 1)),
            None => {}
        }
        instants.extend(last_of(&["fsync", "fdatasync"]));
        for call in ["pwrite64", "write"] {
            if n(call) > 0 {
                instants.push((call.to_string(), n(call).div_ceil(2)));
            }
        }
        plans.push(instants);
    }
    let rounds = plans.iter().map(Vec::len).max().unwrap_or(0);
    let planned: usize = plans.iter().map(Vec::len).sum();

    // Two runs at a time, each in its own model and directory.
    let outcomes: Vec<(Vec<String>, usize)> = std::thread::scope(|scope| {
        let plans = &plans;
        let expected = &expected;
        let workers: Vec<_> = (0..2)
            .map(|worker| {
                scope.spawn(move || {
                    let mut outcomes = Vec::new();
                    for round in (worker..rounds).step_by(2) {
                        outcomes.push(faulted_run(round, plans, expected));
                    }
                    outcomes
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a faulted run failed"))
            .collect()
    });
    let mut killed = BTreeMap::<&str, usize>::new();
    let mut kills = 0;
    let mut missed = 0;
    let mut retried = 0;
    for (log, retries) in outcomes {
        for line in log {
            let mut parts = line.split(' ');
            let (_, call, _, outcome) = (
                parts.next(),
                parts.next().unwrap_or(""),
                parts.next(),
                parts.next(),
            );
            if outcome == Some("killed") {
                kills += 1;
                let kind = KINDS
                    .iter()
                    .find(|(_, calls)| calls.contains(&call))
                    .map(|(kind, _)| *kind)
                    .unwrap_or("other");
                *killed.entry(kind).or_insert(0) += 1;
            } else {
                missed += 1;
            }
        }
        retried += retries;
    }
    let elapsed = started.elapsed();
    eprintln!(
        "crash faults: {hooks} hooks, {available} instants (write, pwrite64, fsync, fdatasync, \
         rename, unlink, exit_group) in an uninterrupted run; {planned} planned in {rounds} runs; \
         {kills} processes killed ({killed:?}), {missed} instants not reached after an earlier \
         kill changed the hook, {retried} resolutions; relation data equal to the \
         uninterrupted run's after every step of every run: nothing lost ({:.1} s)",
        elapsed.as_secs_f64()
    );
    for kind in ["write", "fsync", "rename", "unlink", "exit"] {
        assert!(
            killed.get(kind).copied().unwrap_or(0) > 0,
            "no kill at a {kind}: {killed:?}"
        );
    }
    // An earlier kill may leave a hook with fewer calls of a kind (the retry
    // of a hook whose state was committed does less); most instants are hit.
    assert!(
        kills * 4 >= planned * 3,
        "only {kills} of {planned} planned kills happened"
    );
}
