use reactive_core::prelude::*;

#[action("backup")]
#[when("app.ready")]
fn backup(ctx: &mut Context) {
    let _ = ctx;
}

fn main() {}
