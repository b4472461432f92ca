use reactive_core::prelude::*;

#[when("db.ready")]
fn handler() -> u32 {
    0
}

fn main() {}
