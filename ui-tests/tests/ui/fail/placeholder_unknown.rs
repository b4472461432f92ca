use reactive_core::prelude::*;

#[when("db.{unit}.ready")]
fn handler() {}

fn main() {}
