use reactive_core::prelude::*;

#[when("db.ready")]
fn handler(x: u32) {
    let _ = x;
}

fn main() {}
