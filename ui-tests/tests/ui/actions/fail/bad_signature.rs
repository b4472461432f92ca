use reactive_core::prelude::*;

#[action("backup")]
fn backup(ctx: &mut Context, target: String, extra: u32) {
    let _ = (ctx, target, extra);
}

fn main() {}
