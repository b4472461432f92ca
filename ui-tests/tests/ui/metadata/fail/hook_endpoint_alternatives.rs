use reactive_core::prelude::*;

#[hook("{db,cache,metric}-relation-{joined,changed}")]
fn handler() {}

fn main() {}
