use reactive_core::prelude::*;

#[hook("metric-relation-joined")]
fn handler() {}

fn main() {}
