//! A small charm binary for the whole-process test (`tests/charm_process.rs`):
//! Juju runs it as `hooks/<name>` with its hook tools on `PATH`.
//!
//! - `install` (a `#[hook]` handler) sets `charm.installed` and a status;
//! - any config change sets `charm.configured` to the `port` option, and
//!   `fail.now` when the `fail` option is true;
//! - `fail.now` makes a handler fail, which fails the hook;
//! - `start` runs a shell that prints `JUJU_HOOK_NAME` and keeps what it
//!   printed in the flag `charm.child-hook-name`.

use std::fmt;

use reactive_core::prelude::*;
use reactive_core::tools::WorkloadState;

/// The error of the handler that fails on purpose.
#[derive(Debug)]
struct AskedToFail;

impl fmt::Display for AskedToFail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("asked to fail by the `fail` option")
    }
}

impl std::error::Error for AskedToFail {}

#[hook("install")]
fn install(ctx: &mut Context) -> Result<(), reactive_core::tools::ToolError> {
    ctx.set_flag("charm.installed");
    ctx.status_set(WorkloadState::Maintenance, "installed")
}

#[when("config.changed")]
fn configure(ctx: &mut Context) {
    let fail = ctx.config().get_bool("fail") == Some(true);
    ctx.toggle_flag("fail.now", fail);
    let port = ctx.config().get_i64("port").unwrap_or_default();
    ctx.set_flag_value("charm.configured", port);
}

#[when("fail.now")]
fn fail_now() -> Result<(), AskedToFail> {
    Err(AskedToFail)
}

/// What a process the charm starts sees as `JUJU_HOOK_NAME`.
#[hook("start")]
fn child_hook_name(ctx: &mut Context) -> Result<(), std::io::Error> {
    let output = std::process::Command::new("sh")
        .args(["-c", "printf '%s' \"${JUJU_HOOK_NAME-unset}\""])
        .output()?;
    let seen = String::from_utf8_lossy(&output.stdout).into_owned();
    ctx.set_flag_value("charm.child-hook-name", seen);
    Ok(())
}

reactive_core::charm!();

fn main() {
    reactive_core::run(charm())
}
