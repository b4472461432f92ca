use reactive_core::prelude::*;

#[only_once("x")]
fn handler() {}

fn main() {}
