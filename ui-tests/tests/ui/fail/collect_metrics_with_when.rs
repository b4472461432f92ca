use reactive_core::prelude::*;

#[collect_metrics]
#[when("db.ready")]
fn handler() {}

fn main() {}
