use reactive_core::prelude::*;

struct Params {
    target: String,
}

#[action("backup")]
fn backup(ctx: &mut Context, params: Params) {
    let _ = (ctx, params.target);
}

fn main() {}
