use reactive_core::prelude::*;

#[when("endpoint.{endpoint_name}.joined")]
fn handler() {}

fn main() {}
