use reactive_core::prelude::*;

#[when("endpoint.db.joined")]
#[when_not("endpoint.clustr.departed")]
fn handler() {}

fn main() {}
