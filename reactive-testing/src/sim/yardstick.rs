//! The host's speed of the moment, to read CPU figures against.
//!
//! On a virtual machine, the CPU time of the same work moves with the load
//! of the host beneath it (the benchmark's VM has run a hook 1.4 to 1.9
//! times slower in a busy hour than in a quiet one). A program that only
//! starts and exits does nothing but the fixed work every process does
//! (the kernel's `exec`, the dynamic loader, the exit), so the CPU it takes
//! is a yardstick: measured next to a benchmark, it tells how fast the host
//! ran then.
//!
//! The CPU of the children this process has waited for is read from
//! `/proc/self/stat` (`cutime` and `cstime`, in ticks of 10 ms), before and
//! after starting the program many times: no unsafe system call is needed,
//! and a few hundred starts make the ticks' coarseness negligible.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The length of a `/proc` clock tick: Linux's `USER_HZ`, 100 on every
/// architecture.
const TICK: Duration = Duration::from_millis(10);

/// The mean CPU time (user and system) one start of `program` (run with
/// no arguments) took, over `runs` starts.
///
/// Children this process reaps meanwhile from other threads are counted
/// too: measure when nothing else runs.
///
/// # Errors
///
/// A message when `/proc/self/stat` cannot be read, `program` cannot be
/// started, or it exits with a failure.
///
/// ```no_run
/// use reactive_testing::sim::yardstick::process_start_cpu;
/// let cpu = process_start_cpu(std::path::Path::new("true"), 200).unwrap();
/// println!("a process start took {:.2} ms of CPU", cpu.as_secs_f64() * 1e3);
/// ```
pub fn process_start_cpu(program: &Path, runs: usize) -> Result<Duration, String> {
    let ticks = || {
        let stat = std::fs::read_to_string("/proc/self/stat")
            .map_err(|e| format!("read /proc/self/stat: {e}"))?;
        children_ticks_in(&stat).ok_or_else(|| "no children's times in /proc/self/stat".to_string())
    };
    let before = ticks()?;
    for _ in 0..runs {
        let status = Command::new(program)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| format!("start {}: {e}", program.display()))?;
        if !status.success() {
            return Err(format!("{} failed: {status}", program.display()));
        }
    }
    let spent = ticks()?.saturating_sub(before);
    let total = TICK * u32::try_from(spent).unwrap_or(u32::MAX);
    Ok(total / u32::try_from(runs.max(1)).unwrap_or(u32::MAX))
}

/// `cutime` + `cstime` of a `/proc/<pid>/stat` line: the ticks of CPU
/// of the children waited for. The command name (second field) is in
/// parentheses and may hold spaces and parentheses itself, so the fields
/// are counted from the last `)`.
fn children_ticks_in(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    // State is field 3; cutime and cstime are fields 16 and 17.
    let mut fields = after_name.split_whitespace().skip(13);
    let cutime: u64 = fields.next()?.parse().ok()?;
    let cstime: u64 = fields.next()?.parse().ok()?;
    Some(cutime + cstime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_children_times_are_fields_sixteen_and_seventeen() {
        // Fields 3 to 17 after `pid (comm)`: state, ppid, pgrp, session,
        // tty, tpgid, flags, minflt, cminflt, majflt, cmajflt, utime,
        // stime, cutime, cstime; then more.
        let line = |comm: &str| {
            format!("4242 ({comm}) S 1 4242 4242 0 -1 4194560 317 9 2 0 5 3 40 2 20 0 1")
        };
        assert_eq!(children_ticks_in(&line("bench")), Some(42));
        assert_eq!(children_ticks_in(&line("a b) S 1 2 3")), Some(42));
        assert_eq!(children_ticks_in("4242 (cut short) S 1 2 3"), None);
        assert_eq!(
            children_ticks_in("4242 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 x y"),
            None
        );
        assert_eq!(children_ticks_in("no name at all"), None);
    }

    #[test]
    fn a_program_that_fails_or_is_missing_is_an_error() {
        let missing = process_start_cpu(Path::new("/nonexistent/yardstick"), 1).unwrap_err();
        assert!(missing.contains("/nonexistent/yardstick"), "{missing}");
        let failed = process_start_cpu(Path::new("false"), 1).unwrap_err();
        assert!(failed.contains("false failed"), "{failed}");
    }

    #[test]
    fn starts_are_measured() {
        // Other tests' children may be counted too: only that it measures.
        assert!(process_start_cpu(Path::new("true"), 20).is_ok());
        assert!(children_ticks_in(&std::fs::read_to_string("/proc/self/stat").unwrap()).is_some());
    }
}
