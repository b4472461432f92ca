//! Attributes named through their crate path, alone and stacked, without
//! importing the prelude.
#![deny(unused_imports)]

#[reactive_core::when("a")]
fn qualified() {}

#[reactive_core::when("a")]
#[reactive_core::when_not("b")]
#[reactive_core::prelude::only_once]
fn qualified_stacked(ctx: &mut reactive_core::Context) {
    ctx.set_flag("b");
}

#[reactive_core::hook("install")]
#[reactive_core::not_unless("a")]
fn qualified_guarded(ctx: &reactive_core::Context) {
    let _ = ctx;
}

/// Stacked through a re-export at the crate root (`crate::…`): one
/// handler, not one per attribute.
#[crate::when("a")]
#[crate::only_once]
fn crate_path_stacked(ctx: &mut reactive_core::Context) {
    ctx.set_flag("c");
}

fn main() {}
