//! The address helpers: this unit's ingress address for a binding, and the
//! address a related unit published.

use reactive_core::endpoint::EndpointBase;
use reactive_core::prelude::*;
use reactive_testing::Harness;

reactive_core::charm!();

pub struct Web {
    base: EndpointBase,
}

impl Endpoint for Web {
    fn from_base(base: EndpointBase) -> Self {
        Web { base }
    }
    fn base(&self) -> &EndpointBase {
        &self.base
    }
    fn base_mut(&mut self) -> &mut EndpointBase {
        &mut self.base
    }
}

#[endpoint(interface = "addresses-test", role = "requires")]
impl Web {}

#[when("endpoint.web.joined")]
fn remember_addresses(ctx: &mut Context, web: &Web) -> HandlerResult {
    let mut remote: Vec<String> = Vec::new();
    for unit in web.all_joined_units().iter() {
        if let Some(address) = unit.ingress_address()? {
            remote.push(format!("{}={address}", unit.unit_name()));
        }
    }
    ctx.set_flag_value("seen.remote", remote);
    let own = ctx.ingress_address("web")?;
    ctx.set_flag_value("seen.own", own);
    Ok(())
}

#[test]
fn ingress_addresses_of_this_unit_and_of_related_units() {
    let mut h = Harness::from_yaml(
        "name: app\nrequires:\n  web:\n    interface: addresses-test\n",
        "",
        charm(),
    )
    .unwrap();
    let rid = h.add_relation("web", "server").unwrap();
    h.add_remote_unit(&rid, "server/0").unwrap();
    h.add_remote_unit(&rid, "server/1").unwrap();
    h.set_remote_unit_data(&rid, "server/1", &[("ingress-address", "")])
        .unwrap();
    h.fire_relation("joined", &rid, Some("server/0")).unwrap();
    let values: std::collections::BTreeMap<String, serde_json::Value> =
        h.flag_values().into_iter().collect();
    let own = values["seen.own"].as_str().unwrap().to_string();
    let expected_own = h.model().units["app/0"].address.clone();
    assert_eq!(own, expected_own);
    let server0 = h.model().units["server/0"].address.clone();
    let server1 = h.model().units["server/1"].address.clone();
    // server/1 cleared its ingress-address: its private-address is used.
    assert_eq!(
        values["seen.remote"],
        serde_json::json!([format!("server/0={server0}"), format!("server/1={server1}")])
    );
    assert_ne!(server0, server1);
}
