use reactive_core::prelude::*;

#[when(".db")]
fn handler() {}

fn main() {}
