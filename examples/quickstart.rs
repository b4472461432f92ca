//! A tiny charm run hook by hook through the in-process harness: the
//! quickest way to see the flag engine work.
//!
//! `cargo run --example quickstart`

use reactive_core::prelude::*;
use reactive_core::tools::WorkloadState;
use reactive_testing::harness::Harness;

reactive_core::charm!();

#[when_not("app.installed")]
fn install(ctx: &mut Context) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    ctx.status_set(WorkloadState::Maintenance, "installing")?;
    ctx.set_flag("app.installed");
    Ok(())
}

#[when("app.installed", "config.changed.port")]
fn configure(ctx: &mut Context) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let port = ctx.config().get_i64("port").unwrap_or(80);
    ctx.set_flag_value("app.configured", port);
    ctx.status_set(WorkloadState::Active, &format!("listening on port {port}"))?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut harness = Harness::from_yaml(
        "name: quickstart\n",
        "options:\n  port: {type: int, default: 8080}\n",
        charm(),
    )?;
    harness.fire("install")?;
    report(&mut harness);
    harness.update_config(serde_json::json!({"port": 9000}))?;
    harness.fire("config-changed")?;
    report(&mut harness);
    harness.fire("update-status")?;
    report(&mut harness);
    Ok(())
}

fn report(harness: &mut Harness) {
    let record = harness.last().expect("a hook ran").clone();
    println!("== {}", record.hook);
    for id in &record.invoked {
        println!("   ran      {id}");
    }
    println!("   tools    {} calls", record.calls.len());
    for (flag, value) in harness.flag_values() {
        println!("   flag     {flag} = {value}");
    }
    if let Some(status) = harness.status() {
        println!("   status   {} ({})", status.state, status.message);
    }
}
