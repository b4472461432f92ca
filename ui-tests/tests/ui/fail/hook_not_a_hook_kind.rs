use reactive_core::prelude::*;

#[hook("config-change")]
fn handler() {}

fn main() {}
