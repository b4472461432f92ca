//! A small charm binary for the simulator's real-processes test
//! (`tests/sim_processes.rs`), with its fixtures in
//! `tests/fixtures/sim-demo-charm/`: two applications of it are related,
//! one's `link` (requires) to the other's `serve` (provides), both of the
//! `reactive-sim-demo` interface.
//!
//! - `install` opens a port, sets the application version, sets
//!   `demo.installed` and a maintenance status;
//! - the leader writes a `token` leader setting once;
//! - in every hook after install (but `stop`), each unit publishes
//!   `greeting: "<greeting option> from <unit>"` on every relation (the
//!   leader also `leader: <unit>` in its application's bag), reads what the
//!   remote units published, toggles `demo.linked` and sets an active
//!   status naming what it heard;
//! - the `fail` option makes every hook after install fail.

use std::fmt;

use reactive_core::prelude::*;
use reactive_core::tools::{DataBag, HookTools, Protocol, ToolError, WorkloadState};

/// The error of the handler that fails on purpose.
#[derive(Debug)]
struct AskedToFail;

impl fmt::Display for AskedToFail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("asked to fail by the `fail` option")
    }
}

impl std::error::Error for AskedToFail {}

fn unit_name(ctx: &Context) -> String {
    ctx.hook().unit_name.clone().unwrap_or_default()
}

#[hook("install")]
fn install(ctx: &mut Context) -> Result<(), ToolError> {
    ctx.tools().with(|t| {
        t.open_port(8080, Protocol::Tcp)?;
        t.application_version_set("1.0.0")
    })?;
    ctx.set_flag("demo.installed");
    ctx.status_set(WorkloadState::Maintenance, "installed")
}

#[hook("stop")]
fn stop(ctx: &mut Context) -> Result<(), ToolError> {
    ctx.set_flag("demo.stopping");
    ctx.status_set(WorkloadState::Maintenance, "stopping")
}

#[when("demo.installed")]
fn fail_when_asked(ctx: &mut Context) -> Result<(), AskedToFail> {
    if ctx.config().get_bool("fail") == Some(true) {
        Err(AskedToFail)
    } else {
        Ok(())
    }
}

#[when("demo.installed", "leadership.is_leader")]
#[when_not("leadership.set.token")]
fn lead(ctx: &mut Context) -> Result<(), ToolError> {
    let mut data = DataBag::new();
    data.insert("token".into(), format!("token-of-{}", unit_name(ctx)));
    ctx.tools().with(|t| t.leader_set(&data))
}

#[when("demo.installed")]
#[when_not("demo.stopping")]
fn exchange(ctx: &mut Context) -> Result<(), ToolError> {
    let greeting = ctx
        .config()
        .get_str("greeting")
        .unwrap_or_default()
        .to_string();
    let unit = unit_name(ctx);
    let leader = ctx.is_leader()?;
    let mut heard = Vec::new();
    let mut remote_leaders = Vec::new();
    for endpoint in ["link", "serve"] {
        let ids = ctx.tools().with(|t| t.relation_ids(endpoint))?;
        for rid in ids {
            let mut mine = DataBag::new();
            mine.insert("greeting".into(), format!("{greeting} from {unit}"));
            ctx.tools().with(|t| t.relation_set(&rid, false, &mine))?;
            if leader {
                let mut app = DataBag::new();
                app.insert("leader".into(), unit.clone());
                ctx.tools().with(|t| t.relation_set(&rid, true, &app))?;
            }
            let remotes = ctx.tools().with(|t| t.relation_list(&rid))?;
            for remote in &remotes {
                let bag = ctx.tools().with(|t| t.relation_get(&rid, remote))?;
                if let Some(g) = bag.get("greeting") {
                    heard.push(g.clone());
                }
            }
            if let Some((app, _)) = remotes.first().and_then(|u| u.split_once('/')) {
                let bag = ctx.tools().with(|t| t.relation_get_app(&rid, app))?;
                if let Some(l) = bag.get("leader") {
                    remote_leaders.push(l.clone());
                }
            }
        }
    }
    heard.sort();
    ctx.toggle_flag("demo.linked", !heard.is_empty());
    ctx.toggle_flag("demo.remote-leader-known", !remote_leaders.is_empty());
    let message = if heard.is_empty() {
        format!("ready: {greeting}")
    } else {
        format!("ready: {greeting}; heard {}", heard.join(", "))
    };
    ctx.status_set(WorkloadState::Active, &message)
}

reactive_core::charm!();

fn main() {
    reactive_core::run(charm())
}
