use reactive_core::prelude::*;

#[when("db..ready", "app ready")]
#[hook("config-change")]
fn handler() {}

fn main() {}
