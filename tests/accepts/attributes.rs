//! Every attribute alone, and stacked.
#![deny(unused_imports)]

use reactive_core::prelude::*;

#[when("db.ready")]
fn when_alone() {}

#[when_all("db.ready", "app.installed")]
fn when_all_alone() {}

#[when_any("db.ready", "cache.ready")]
fn when_any_alone() {}

#[when_not("app.installed")]
fn when_not_alone() {}

#[when_none("app.installed", "app.blocked")]
fn when_none_alone() {}

#[when_not_all("db.ready", "cache.ready")]
fn when_not_all_alone() {}

#[hook("install")]
fn hook_alone() {}

#[hook("db-relation-{joined,changed}", "{requires:mysql}-relation-joined")]
fn hook_patterns() {}

#[when_file_changed("templates/app.conf")]
fn when_file_changed_alone() {}

#[only_once]
fn only_once_alone() {}

#[collect_metrics]
fn collect_metrics_alone() {}

#[meter_status_changed]
fn meter_status_changed_alone() {}

#[not_unless("db.ready")]
fn not_unless_mut(ctx: &mut Context) {
    ctx.set_flag("db.used");
}

#[not_unless("db.ready", "app.installed")]
fn not_unless_ref(ctx: &Context) -> bool {
    ctx.is_flag_set("db.used")
}

struct Db;

impl Db {
    /// A bare `not_unless` is a guard, not a handler: methods may have it.
    #[not_unless("db.ready")]
    fn query(&self, ctx: &Context) {
        let _ = ctx;
    }
}

#[when("db.ready")]
#[when_not("app.installed")]
#[only_once]
#[when_file_changed("templates/app.conf")]
fn stacked(ctx: &mut Context) {
    not_unless_mut(ctx);
    let _ = not_unless_ref(ctx);
    Db.query(ctx);
}

#[only_once]
#[when_any("db.ready", "cache.ready")]
#[when_not_all("a", "b")]
#[when_none("c")]
#[when_all("endpoint.db.joined")]
fn stacked_family() {}

#[hook("update-status")]
#[only_once]
fn hook_once() {}

fn main() {}
