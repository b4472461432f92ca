use reactive_core::prelude::*;

#[not_unless("db.ready")]
fn helper() {}

fn main() {}
