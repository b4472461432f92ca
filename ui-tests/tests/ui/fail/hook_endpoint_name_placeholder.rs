use reactive_core::prelude::*;

#[hook("{endpoint_name}-relation-joined")]
fn handler() {}

fn main() {}
