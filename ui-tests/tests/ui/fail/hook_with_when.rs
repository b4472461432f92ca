use reactive_core::prelude::*;

#[hook("install")]
#[when("db.ready")]
fn handler() {}

fn main() {}
