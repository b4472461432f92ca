use reactive_core::prelude::*;

#[when("endpoint.{relation_name}.joined")]
fn handler() {}

fn main() {}
