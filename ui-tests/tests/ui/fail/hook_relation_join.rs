use reactive_core::prelude::*;

#[hook("db-relation-join")]
fn handler() {}

fn main() {}
