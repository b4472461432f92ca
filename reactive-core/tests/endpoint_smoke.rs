use reactive_core::endpoint::EndpointBase;
use reactive_core::harness::Harness;
use reactive_core::prelude::*;

#[derive(Default)]
pub struct SmokeRequires {
    base: EndpointBase,
}

impl Endpoint for SmokeRequires {
    fn from_base(base: EndpointBase) -> Self {
        SmokeRequires { base }
    }
    fn base(&self) -> &EndpointBase {
        &self.base
    }
    fn base_mut(&mut self) -> &mut EndpointBase {
        &mut self.base
    }
}

#[endpoint(interface = "smoke", role = "requires")]
impl SmokeRequires {
    #[when("endpoint.{endpoint_name}.changed.host")]
    fn host_changed(
        &mut self,
        ctx: &mut Context,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let host = self.all_joined_units().received()?.get("host").cloned();
        ctx.set_flag_value(
            &self.expand_name("{endpoint_name}.host"),
            host.unwrap_or_default(),
        );
        ctx.clear_flag(&self.expand_name("changed.host"));
        let relation = &mut self.relations_mut()[0];
        relation.to_publish()?.set("ack", serde_json::json!(true));
        Ok(())
    }
}

#[test]
fn smoke() {
    let mut h = Harness::from_yaml(
        "name: smoke-charm\nrequires:\n  db:\n    interface: smoke\n",
        "",
        Registry::builder().module_prefix("endpoint_smoke::nothing"),
    )
    .unwrap();
    h.fire("install").unwrap();
    let rid = h.add_relation("db", "server");
    h.fire_relation("created", &rid, None).unwrap();
    h.add_remote_unit(&rid, "server/0");
    h.set_remote_unit_data(&rid, "server/0", &[("host", "\"10.1.1.1\"")]);
    let rec = h
        .fire_relation("joined", &rid, Some("server/0"))
        .unwrap()
        .clone();
    println!("{rec:#?}");
    let flags = h.flags();
    println!("{flags:?}");
    assert!(flags.contains(&"endpoint.db.joined".to_string()));
    assert!(flags.contains(&"db.host".to_string()));
    assert_eq!(
        h.published(&rid).get("ack").map(String::as_str),
        Some("true")
    );
}
