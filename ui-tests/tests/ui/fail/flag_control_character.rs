use reactive_core::prelude::*;

#[when("db\u{7}ready")]
fn handler() {}

fn main() {}
