use reactive_core::prelude::*;

#[when("db..ready")]
fn handler() {}

fn main() {}
