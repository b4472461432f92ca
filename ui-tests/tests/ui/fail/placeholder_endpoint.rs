use reactive_core::prelude::*;

#[when("endpoint.{endpoint}.joined")]
fn handler() {}

fn main() {}
