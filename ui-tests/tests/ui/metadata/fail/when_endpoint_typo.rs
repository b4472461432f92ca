use reactive_core::prelude::*;

#[when("endpoint.metric.joined")]
fn handler() {}

fn main() {}
