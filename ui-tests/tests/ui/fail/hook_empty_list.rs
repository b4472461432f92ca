use reactive_core::prelude::*;

#[hook()]
fn handler() {}

fn main() {}
