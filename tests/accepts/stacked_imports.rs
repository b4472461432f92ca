//! Attributes used only stacked under another one still count as used:
//! the outermost attribute rewrites them to an inert marker instead of
//! deleting them. Explicit imports, since a glob import is never reported
//! as unused while anything else from it is used.
#![deny(unused_imports)]

use reactive_core::prelude::{hook, not_unless, only_once, when, when_file_changed, when_not};
use reactive_core::Context;

#[when("db.ready")]
#[when_not("app.installed")]
#[only_once]
#[when_file_changed("templates/app.conf")]
#[not_unless("db.ready")]
fn stacked(ctx: &mut Context) {
    ctx.set_flag("app.installed");
}

#[hook("update-status")]
#[only_once]
fn hook_stacked() {}

fn main() {}
