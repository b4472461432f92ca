use reactive_core::prelude::*;

#[not_unless("endpoint.dbs.available")]
fn query(ctx: &Context) {
    let _ = ctx;
}

fn main() {}
