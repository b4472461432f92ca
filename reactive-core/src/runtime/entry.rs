//! The charm binary's entry point.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use super::{cli, run_hook, Charm, HookInput};
use crate::hook::HookInfo;
use crate::registry::RegistryBuilder;
use crate::tools::process::ProcessTools;
use crate::unit_state::UnitState;

/// Run the charm: the whole `main` of a charm binary.
///
/// Under Juju (run as `dispatch` or `hooks/<name>`, with no arguments) it
/// runs the hook; otherwise it is a small command-line tool for the charm
/// (`--help`, `flags`, `handlers`, `graph`, `set-flag`, `clear-flag`).
/// Never returns: the process exits 0 on success and 1 on failure, so that
/// Juju retries a failed hook.
///
/// ```no_run
/// // src/main.rs of a charm:
/// # fn main() {
/// reactive_core::run()
/// # }
/// ```
pub fn run() -> ! {
    let args: Vec<OsString> = std::env::args_os().collect();
    let env = |key: &str| std::env::var(key).ok();
    let code = main_with(&args, &env, RegistryBuilder::default());
    std::process::exit(code)
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
    let hook = match HookInfo::from_env(env, program) {
        Ok(hook) => hook,
        Err(e) => {
            let _ = writeln!(err, "ERROR: {e}");
            return 1;
        }
    };
    let charm_dir = charm_dir(&hook);
    let charm = match Charm::load_with(&charm_dir, registry) {
        Ok(charm) => charm,
        Err(e) => {
            let _ = writeln!(err, "ERROR: cannot load the charm: {e}");
            return 1;
        }
    };
    let state_path = UnitState::locate(env).unwrap_or_else(|| charm_dir.join(".unit-state.db"));
    let state = match UnitState::open(&state_path) {
        Ok(state) => state,
        Err(e) => {
            let _ = writeln!(err, "ERROR: {e}");
            return 1;
        }
    };
    let tracing = env("REACTIVE_TRACE").is_some_and(|v| !v.is_empty() && v != "0");
    let outcome = run_hook(
        &charm,
        HookInput {
            hook,
            state,
            tools: Box::new(ProcessTools::from_env()),
            tracing,
        },
    );
    match outcome.result {
        Ok(()) => 0,
        Err(_) => 1,
    }
}

/// The charm directory of a hook: `JUJU_CHARM_DIR`/`CHARM_DIR`, else the
/// working directory (Juju runs hooks there).
pub(crate) fn charm_dir(hook: &HookInfo) -> PathBuf {
    hook.charm_dir
        .clone()
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("."))
}
