use reactive_core::prelude::*;

#[hook("{provide:mysql}-relation-joined")]
fn handler() {}

fn main() {}
