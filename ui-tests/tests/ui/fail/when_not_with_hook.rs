use reactive_core::prelude::*;

#[when_not("db.ready")]
#[hook("install")]
fn handler() {}

fn main() {}
