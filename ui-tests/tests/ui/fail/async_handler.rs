use reactive_core::prelude::*;

#[when("db.ready")]
async fn handler() {}

fn main() {}
