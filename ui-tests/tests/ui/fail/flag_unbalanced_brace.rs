use reactive_core::prelude::*;

#[when("endpoint.{endpoint_name.joined")]
fn unclosed() {}

#[when("endpoint.endpoint_name}.joined")]
fn unopened() {}

fn main() {}
