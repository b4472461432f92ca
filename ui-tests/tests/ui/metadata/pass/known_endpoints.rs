//! Flags and hook patterns naming endpoints metadata.yaml declares, and
//! everything that names no endpoint.
#![deny(unused_imports)]

use reactive_core::endpoint::EndpointBase;
use reactive_core::prelude::*;

#[when("endpoint.metrics.joined")]
fn provides_endpoint() {}

#[when_any("endpoint.db.joined", "endpoint.cluster.departed")]
#[when_not("endpoint.db.changed.host")]
fn requires_and_peers_endpoints() {}

#[when_all("endpoint.db")]
fn endpoint_name_alone() {}

#[when("db.ready", "app.installed", "endpoints.anything", "my.endpoint.x")]
fn flags_naming_no_endpoint() {}

#[hook("install")]
fn plain_hook() {}

#[hook("{install,upgrade-charm}", "data-storage-attached")]
fn hooks_naming_no_endpoint() {}

#[hook("db-relation-{joined,changed}", "{metrics,cluster}-relation-broken")]
fn relation_hooks() {}

#[hook("{requires:mysql}-relation-joined")]
fn role_interface_hook() {}

#[not_unless("endpoint.db.available")]
fn guard(ctx: &Context) {
    let _ = ctx;
}

struct Client;

impl Client {
    /// A bare `not_unless` on a method of a plain impl block.
    #[not_unless("endpoint.db.available")]
    fn query(&self, ctx: &Context) {
        let _ = ctx;
    }
}

pub struct Db {
    base: EndpointBase,
}

impl Endpoint for Db {
    fn from_base(base: EndpointBase) -> Self {
        Db { base }
    }
    fn base(&self) -> &EndpointBase {
        &self.base
    }
    fn base_mut(&mut self) -> &mut EndpointBase {
        &mut self.base
    }
}

#[endpoint(interface = "mysql", role = "requires")]
impl Db {
    #[when("endpoint.{endpoint_name}.joined")]
    fn joined(&mut self) {}

    #[when("endpoint.{endpoint_name}.changed")]
    #[when_not("endpoint.db.available", "db.ready")]
    fn changed(&mut self) {}

    #[hook("db-relation-broken")]
    fn broken(&mut self) {}
}

#[when("app.ready")]
fn uses(ctx: &Context) {
    guard(ctx);
    Client.query(ctx);
}

fn main() {}
