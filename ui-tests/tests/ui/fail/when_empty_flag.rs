use reactive_core::prelude::*;

#[when("")]
fn handler() {}

fn main() {}
