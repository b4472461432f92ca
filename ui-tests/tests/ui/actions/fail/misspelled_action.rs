use reactive_core::prelude::*;

#[action("bakup")]
fn backup(ctx: &mut Context) {
    let _ = ctx;
}

fn main() {}
