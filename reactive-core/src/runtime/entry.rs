//! The charm binary's entry point.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{cli, run_hook, Charm, HookInput, PreviousConfigStore};
use crate::endpoint::RelationDataMode;
use crate::hook::HookInfo;
use crate::registry::RegistryBuilder;
use crate::tools::process::ProcessTools;
use crate::unit_state::UnitState;
use crate::CharmDeclaration;

/// Run the charm: the whole `main` of a charm binary.
///
/// Under Juju (run as `dispatch` or `hooks/<name>`, with no arguments) it
/// runs the hook; otherwise it is a small command-line tool for the charm
/// (`--help`, `flags`, `handlers`, `graph`, `set-flag`, `clear-flag`).
/// Never returns: the process exits 0 on success and 1 on failure, so that
/// Juju retries a failed hook. A failed action exits 0 once `action-fail`
/// recorded its message (see [`runtime::action`](crate::runtime::action)).
///
/// `charm` is the charm's declaration ([`charm!`](crate::charm)): the
/// handlers of the charm's package and of the endpoint types its
/// `metadata.yaml` uses. Naming it links the charm's library, so its
/// handlers are registered; a declaration that selects no handler fails
/// every hook with an error that says so.
///
/// ```no_run
/// // src/lib.rs of the charm `my-charm` holds its handlers and
/// // `reactive_core::charm!();`. Its src/main.rs:
/// # mod my_charm { reactive_core::charm!(); }
/// fn main() {
///     reactive_core::run(my_charm::charm())
/// }
/// ```
pub fn run(charm: CharmDeclaration) -> ! {
    let args: Vec<OsString> = std::env::args_os().collect();
    let env = |key: &str| std::env::var(key).ok();
    let program = args
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_default();
    // This runs first in the charm's `main`, before any thread is started,
    // and changes only this process's environment (inherited by the
    // processes its handlers start), as charms.reactive does.
    if let Some(name) = hook_name_to_export(&env, &program) {
        std::env::set_var(HOOK_NAME_ENV, name);
    }
    let code = main_with(&args, &env, charm.registry());
    std::process::exit(code)
}

/// The variable naming the hook, for the processes a charm starts.
pub const HOOK_NAME_ENV: &str = "JUJU_HOOK_NAME";

/// The hook name [`run`] exports as `JUJU_HOOK_NAME` so that the processes
/// the handlers start can tell which hook they run in: the hook's name,
/// when the process runs a hook and the variable is unset or empty (Juju
/// does not always set it; charms.reactive exports it too).
pub fn hook_name_to_export(env: &dyn Fn(&str) -> Option<String>, program: &str) -> Option<String> {
    if !HookInfo::in_hook(env) || env(HOOK_NAME_ENV).is_some_and(|v| !v.is_empty()) {
        return None;
    }
    HookInfo::from_env(env, program).ok().map(|hook| hook.name)
}

/// [`run`] with its inputs given: the command line, the environment, and
/// the handlers to use. Returns the exit code.
pub fn main_with(
    args: &[OsString],
    env: &dyn Fn(&str) -> Option<String>,
    registry: RegistryBuilder,
) -> i32 {
    let program = args
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_default();
    let rest: Vec<String> = args
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    if !rest.is_empty() || !HookInfo::in_hook(env) {
        return cli::run_cli(
            &program,
            &rest,
            env,
            registry,
            &mut stdout.lock(),
            &mut stderr.lock(),
        );
    }
    run_juju_hook(&program, env, registry, &mut stderr.lock())
}

fn run_juju_hook(
    program: &str,
    env: &dyn Fn(&str) -> Option<String>,
    registry: RegistryBuilder,
    err: &mut dyn Write,
) -> i32 {
    let started = Instant::now();
    let hook = match HookInfo::from_env(env, program) {
        Ok(hook) => hook,
        Err(e) => {
            let _ = writeln!(err, "ERROR: {e}");
            return 1;
        }
    };
    let charm_dir = charm_dir(&hook);
    let state_path = UnitState::locate(env).unwrap_or_else(|| charm_dir.join(".unit-state.db"));
    let mut state = match UnitState::open(&state_path) {
        Ok(state) => state,
        Err(e) => {
            let _ = writeln!(err, "ERROR: {e}");
            return 1;
        }
    };
    // The hook's reads start here, with the charm files kept from an
    // earlier hook (see `run_hook`).
    state.begin_reads();
    let charm = match Charm::load_for_hook(&charm_dir, registry, hook.is_action(), Some(&mut state))
    {
        Ok(charm) => charm.with_relation_data(RelationDataMode::from_env(env)),
        Err(e) => {
            let _ = writeln!(err, "ERROR: cannot load the charm: {e}");
            return 1;
        }
    };
    let tracing = env("REACTIVE_TRACE").is_some_and(|v| !v.is_empty() && v != "0");
    let tools = ProcessTools::new(env("PATH").map(Into::into));
    let tool_times = tools.times();
    let (hook_name, unit) = (
        hook.name.clone(),
        hook.unit_name.clone().unwrap_or_default(),
    );
    let outcome = run_hook(
        &charm,
        HookInput {
            hook,
            state,
            tools: Box::new(tools),
            tracing,
            previous_config: PreviousConfigStore::in_charm_dir(&charm_dir),
            process_ends: true,
        },
    );
    let code = match &outcome.result {
        Ok(()) => 0,
        // Recorded by action-fail: a non-zero exit would make Juju replace
        // its message with `exit status 1` (see `runtime::action`).
        Err(super::HookError::Action(failure)) if failure.reported => 0,
        Err(_) => 1,
    };
    // The process exits next: what the hook and the charm hold is left to
    // the operating system (the unit state was committed, or rolled back).
    std::mem::forget(outcome);
    std::mem::forget(charm);
    if let Some(path) = env(TIMING_FILE_ENV).filter(|p| !p.is_empty()) {
        let line = serde_json::json!({
            "hook": hook_name,
            "unit": unit,
            "wall_us": micros(started.elapsed()),
            "tools_us": micros(tool_times.total()),
            "tool_calls": tool_times.calls(),
            "max_rss_kb": max_rss_kb(),
            "cpu_us": cpu_us(),
            "minor_faults": minor_faults(),
        });
        if let Err(e) = append_line(Path::new(&path), &line.to_string()) {
            let _ = writeln!(err, "WARNING: cannot write timing to {path}: {e}");
        }
    }
    code
}

/// When set, the file where each hook appends one JSON line of timing:
/// `{"hook", "unit", "wall_us", "tools_us", "tool_calls", "max_rss_kb",
/// "cpu_us", "minor_faults"}` (wall time of the hook in the binary, wall
/// time and number of hook-tool subprocesses, peak resident set size from
/// `/proc/self/status`, CPU time of the charm process itself, its hook
/// tools' not included, from `/proc/self/schedstat`, and the page faults
/// it took without reading from disk, from `/proc/self/stat`: each one a
/// page of memory or of a mapped file touched for the first time, which
/// costs kernel time that the instruction count does not show).
pub const TIMING_FILE_ENV: &str = "REACTIVE_TIMING_FILE";

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// The CPU time this process's main thread has run, in microseconds: the
/// first field of `/proc/self/schedstat`, in nanoseconds (`None` where
/// there is none). Child processes are not counted.
fn cpu_us() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/schedstat").ok()?;
    let nanos: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(nanos / 1000)
}

/// The minor page faults this process took (`minflt`, the tenth field of
/// `/proc/self/stat`; `None` where there is none).
fn minor_faults() -> Option<u64> {
    minor_faults_in(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

/// `minflt` in a `/proc/<pid>/stat` line. The command name (second field)
/// is in parentheses and may hold spaces and parentheses itself, so the
/// fields are counted from the last `)`.
fn minor_faults_in(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    // State is field 3; minflt is field 10.
    after_name.split_whitespace().nth(7)?.parse().ok()
}

/// `VmHWM` of `/proc/self/status`, in KiB (`None` where there is none).
fn max_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn append_line(path: &Path, line: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(format!("{line}\n").as_bytes())
}

/// The charm directory of a hook: `JUJU_CHARM_DIR`/`CHARM_DIR`, else the
/// working directory (Juju runs hooks there).
pub(crate) fn charm_dir(hook: &HookInfo) -> PathBuf {
    hook.charm_dir
        .clone()
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_faults_are_counted_from_the_end_of_the_command_name() {
        // Fields 3 to 12 after `pid (comm)`: state, ppid, pgrp, session,
        // tty, tpgid, flags, minflt, cminflt, majflt.
        let line = |comm: &str| format!("4242 ({comm}) S 1 4242 4242 0 -1 4194560 317 9 2 0 5 3");
        assert_eq!(minor_faults_in(&line("prometheus")), Some(317));
        assert_eq!(minor_faults_in(&line("a b) S 1 2 3")), Some(317));
        assert_eq!(minor_faults_in(&line("(x)")), Some(317));
        assert_eq!(minor_faults_in("4242 (cut short) S 1"), None);
        assert_eq!(minor_faults_in("no name at all"), None);
        // This process has touched memory.
        assert!(minor_faults().is_some_and(|n| n > 0));
    }
}
