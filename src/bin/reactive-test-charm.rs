//! A small charm binary for the whole-process test (`tests/charm_process.rs`):
//! Juju runs it as `hooks/<name>` with its hook tools on `PATH`.
//!
//! - `install` (a `#[hook]` handler) sets `charm.installed` and a status;
//! - any config change sets `charm.configured` to the `port` option, and
//!   `fail.now` when the `fail` option is true;
//! - `fail.now` makes a handler fail, which fails the hook.

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

reactive_core::charm!();

fn main() {
    reactive_core::run(charm())
}
