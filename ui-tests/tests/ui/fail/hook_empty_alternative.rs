use reactive_core::prelude::*;

#[hook("db-relation-{joined,,changed}")]
fn handler() {}

fn main() {}
