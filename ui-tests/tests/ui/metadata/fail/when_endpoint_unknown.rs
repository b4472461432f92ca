use reactive_core::prelude::*;

#[when_any("db.ready", "endpoint.website.joined")]
fn handler() {}

fn main() {}
