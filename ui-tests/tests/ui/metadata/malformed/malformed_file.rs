use reactive_core::endpoint::EndpointBase;
use reactive_core::prelude::*;

#[when("endpoint.db.joined")]
#[when_not("db.ready")]
fn handler() {}

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

    #[hook("db-relation-broken")]
    fn broken(&mut self) {}
}

fn main() {}
