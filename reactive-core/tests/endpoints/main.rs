//! Endpoint acceptance tests (`docs/guide/02-interfaces.md`): automatic flags, departed units,
//! key lists and combined views, data views, publishing, lookups, one type
//! serving several endpoints, and the hook-tool calls each hook makes.
//!
//! Every test drives a charm through the single-unit [`Harness`] and names
//! the rule it checks. The endpoint type under test is [`AcceptRequires`]
//! (interface `accept-test`, role `requires`); its handlers are switched on
//! per test by flags put into the unit state before a hook (`test.*`). A
//! test that needs to look at an endpoint instance inside a hook installs a
//! *probe*: a closure the `probe` handler runs with the instance and the
//! context, whose JSON answer the test reads after the hook. Probes live in
//! thread-locals, reset by [`harness`]; hooks run on the test's thread.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

use reactive_core::endpoint::{
    departed_key, expand_name, EndpointBase, PublishData, RelationDataError,
};
use reactive_core::handler::HandlerError;
use reactive_core::metadata::CharmMetadata;
use reactive_core::names::RelationId;
use reactive_core::prelude::*;
use reactive_core::tools::DataBag;
use reactive_core::{HookInfo, UnitState};
use reactive_testing::harness::{Harness, HarnessError, HookRecord};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------
// The endpoint types
// ---------------------------------------------------------------------------

/// The endpoint type under test.
///
/// `register_triggers` sets `<name>.trigger-fired` when `joined` becomes
/// set; `manage_flags` counts its calls in `<name>.manage-flags`, noting
/// which automatic flags it saw.
pub struct AcceptRequires {
    base: EndpointBase,
}

impl Endpoint for AcceptRequires {
    fn from_base(base: EndpointBase) -> Self {
        AcceptRequires { base }
    }

    fn base(&self) -> &EndpointBase {
        &self.base
    }

    fn base_mut(&mut self) -> &mut EndpointBase {
        &mut self.base
    }

    fn register_triggers(&mut self, ctx: &mut Context) {
        let trigger = Trigger::when(self.expand_name("joined"))
            .set_flag(self.expand_name("{endpoint_name}.trigger-fired"));
        ctx.register_trigger(trigger).expect("a valid trigger");
    }

    fn manage_flags(&mut self, ctx: &mut Context) -> Result<(), HandlerError> {
        let flag = self.expand_name("{endpoint_name}.manage-flags");
        let count = ctx
            .flag_value(&flag)
            .and_then(|v| v.get("count"))
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let value = json!({
            "count": count + 1,
            "saw_joined": ctx.is_flag_set(&self.expand_name("joined")),
            "saw_changed": ctx.is_flag_set(&self.expand_name("changed")),
            "saw_departed": ctx.is_flag_set(&self.expand_name("departed")),
        });
        ctx.set_flag_value(&flag, value);
        Ok(())
    }
}

#[endpoint(interface = "accept-test", role = "requires")]
impl AcceptRequires {
    /// Runs the test's probe, if any, with this instance.
    #[when("test.probe")]
    fn probe(&mut self, ctx: &mut Context) -> Result<(), HandlerError> {
        let Some(mut probe) = PROBE.with(|p| p.borrow_mut().take()) else {
            return Ok(());
        };
        let result = probe(self, ctx);
        PROBE.with(|p| *p.borrow_mut() = Some(probe));
        let value = result?;
        SEEN.with(|s| {
            s.borrow_mut()
                .push((self.endpoint_name().to_string(), value))
        });
        Ok(())
    }

    /// Deals with a change: notes which `changed*` flags were set, and
    /// clears them (as an interface layer's handler does).
    #[when("endpoint.{endpoint_name}.changed", "test.clear-changed")]
    fn clear_changed(&mut self, ctx: &mut Context) {
        let changed = self.expand_name("changed");
        let prefix = format!("{changed}.");
        let seen: Vec<String> = ctx
            .get_flags()
            .into_iter()
            .filter(|f| *f == changed || f.starts_with(&prefix))
            .collect();
        for flag in &seen {
            ctx.clear_flag(flag);
        }
        ctx.set_flag_value(
            &self.expand_name("{endpoint_name}.changed-seen"),
            json!(seen),
        );
    }

    /// The seed documentation's "run a command each time a unit departs".
    #[when("endpoint.{endpoint_name}.departed", "test.handle-departed")]
    fn handle_departed_unit(&mut self, ctx: &mut Context) {
        let mut handled = Vec::new();
        for (name, unit) in self.all_departed_units().items() {
            // Run the command to remove `unit` from the cluster.
            handled.push(json!({
                "unit": name,
                "relation": unit.relation_id(),
                "data": unit.received_raw().ok(),
            }));
        }
        self.all_departed_units_mut().clear();
        ctx.clear_flag(&self.expand_name("departed"));
        ctx.set_flag_value(
            &self.expand_name("{endpoint_name}.departed-handled"),
            json!(handled),
        );
    }

    /// Notes which instance it was given.
    #[when("endpoint.{endpoint_name}.joined")]
    fn note_instance(&self, ctx: &mut Context) {
        ctx.set_flag_value(
            &self.expand_name("{endpoint_name}.instance"),
            json!(self.endpoint_name()),
        );
    }
}

/// A second endpoint type, of an interface the test charms mostly do not
/// use.
pub struct OtherProvides {
    base: EndpointBase,
}

impl Endpoint for OtherProvides {
    fn from_base(base: EndpointBase) -> Self {
        OtherProvides { base }
    }

    fn base(&self) -> &EndpointBase {
        &self.base
    }

    fn base_mut(&mut self) -> &mut EndpointBase {
        &mut self.base
    }
}

#[endpoint(interface = "accept-test-other", role = "provides")]
impl OtherProvides {
    #[when("endpoint.{endpoint_name}.joined")]
    fn other_joined(&self, ctx: &mut Context) {
        ctx.set_flag(&self.expand_name("{endpoint_name}.other-joined"));
    }
}

/// Charm-level handlers (selected by the harness's module prefix).
mod charm {
    use super::*;

    /// Takes the endpoint as a typed parameter.
    #[when("test.endpoint-param")]
    fn endpoint_param(ctx: &mut Context, endpoint: &mut AcceptRequires) {
        let name = endpoint.endpoint_name().to_string();
        ctx.set_flag(&format!("param.saw.{name}"));
    }

    /// Takes the endpoint by shared reference; its flags name `cache`.
    #[when("test.shared-param", "endpoint.cache.joined")]
    fn shared_param(ctx: &mut Context, endpoint: &AcceptRequires) {
        let name = endpoint.endpoint_name().to_string();
        ctx.set_flag(&format!("shared.saw.{name}"));
    }

    /// Takes only the endpoint, by shared reference; its flags name `db`
    /// the way interface layers name theirs (`<endpoint>.<state>`).
    #[when("test.shared-only", "db.seen")]
    fn shared_only(endpoint: &AcceptRequires) -> Result<(), HandlerError> {
        Err(format!("shared_only was given `{}`", endpoint.endpoint_name()).into())
    }

    /// Takes only the endpoint.
    #[when("test.endpoint-only")]
    fn endpoint_only(endpoint: &mut AcceptRequires) -> Result<(), HandlerError> {
        let rid = endpoint.relations()[0].relation_id().to_string();
        endpoint.relations_mut()[rid.as_str()]
            .to_publish()?
            .set_raw("seen-by", "endpoint_only");
        Ok(())
    }

    /// Runs the test's charm probe, if any, with the context.
    #[when("test.charm-probe")]
    fn charm_probe(ctx: &mut Context) -> Result<(), HandlerError> {
        let Some(mut probe) = CHARM_PROBE.with(|p| p.borrow_mut().take()) else {
            return Ok(());
        };
        let result = probe(ctx);
        CHARM_PROBE.with(|p| *p.borrow_mut() = Some(probe));
        let value = result?;
        SEEN.with(|s| s.borrow_mut().push(("charm".to_string(), value)));
        Ok(())
    }
}

type Probe = Box<dyn FnMut(&mut AcceptRequires, &mut Context) -> Result<Value, HandlerError>>;
type CharmProbe = Box<dyn FnMut(&mut Context) -> Result<Value, HandlerError>>;

thread_local! {
    static PROBE: RefCell<Option<Probe>> = const { RefCell::new(None) };
    static CHARM_PROBE: RefCell<Option<CharmProbe>> = const { RefCell::new(None) };
    static SEEN: RefCell<Vec<(String, Value)>> = const { RefCell::new(Vec::new()) };
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const ONE: &str = "name: acceptor\nrequires:\n  db:\n    interface: accept-test\n";
const TWO: &str = "name: acceptor\nrequires:\n  db:\n    interface: accept-test\n  cache:\n    interface: accept-test\n";
const MODULE: &str = "endpoints::charm";

/// A harness for unit `acceptor/0` of a charm with `metadata`; clears the
/// probes of any earlier test on this thread.
fn harness(metadata: &str) -> Harness {
    PROBE.with(|p| p.borrow_mut().take());
    CHARM_PROBE.with(|p| p.borrow_mut().take());
    SEEN.with(|s| s.borrow_mut().clear());
    Harness::from_yaml(metadata, "", Registry::builder().module_prefix(MODULE)).unwrap()
}

fn registry_for(metadata: &str) -> Registry {
    let metadata = CharmMetadata::parse(metadata, "metadata.yaml").unwrap();
    Registry::builder()
        .module_prefix(MODULE)
        .metadata(Arc::new(metadata))
        .build()
        .unwrap()
}

/// Set a flag in the unit state, as an earlier hook would have.
fn put_flag(h: &mut Harness, flag: &str, value: Value) {
    let state = h.unit_state();
    state.set(&format!("reactive.states.{flag}"), value);
    state.commit().unwrap();
}

fn drop_flag(h: &mut Harness, flag: &str) {
    let state = h.unit_state();
    state.unset(&format!("reactive.states.{flag}"));
    state.commit().unwrap();
}

fn flag_value(h: &mut Harness, flag: &str) -> Option<Value> {
    h.flag_values()
        .into_iter()
        .find(|(f, _)| f == flag)
        .map(|(_, v)| v)
}

/// The flags of endpoint `name` (`endpoint.<name>.*`), sorted.
fn ep_flags(h: &mut Harness, name: &str) -> Vec<String> {
    let prefix = format!("endpoint.{name}.");
    h.flags()
        .into_iter()
        .filter(|f| f.starts_with(&prefix))
        .collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn manage_count(h: &mut Harness, name: &str) -> u64 {
    flag_value(h, &format!("{name}.manage-flags"))
        .and_then(|v| v.get("count").and_then(Value::as_u64))
        .unwrap_or(0)
}

fn probe(
    h: &mut Harness,
    f: impl FnMut(&mut AcceptRequires, &mut Context) -> Result<Value, HandlerError> + 'static,
) {
    PROBE.with(|p| *p.borrow_mut() = Some(Box::new(f)));
    put_flag(h, "test.probe", Value::Null);
}

fn charm_probe(
    h: &mut Harness,
    f: impl FnMut(&mut Context) -> Result<Value, HandlerError> + 'static,
) {
    CHARM_PROBE.with(|p| *p.borrow_mut() = Some(Box::new(f)));
    put_flag(h, "test.charm-probe", Value::Null);
}

/// What the probes answered since last asked, by endpoint (`charm` for the
/// charm probe).
fn seen() -> Vec<(String, Value)> {
    SEEN.with(|s| std::mem::take(&mut *s.borrow_mut()))
}

/// The only probe answer of the last hook.
fn seen_one() -> Value {
    let mut all = seen();
    assert_eq!(all.len(), 1, "one probe answer expected: {all:?}");
    all.remove(0).1
}

fn ok(result: Result<&HookRecord, HarnessError>) -> HookRecord {
    match result {
        Ok(record) => record.clone(),
        Err(error) => panic!("{error}"),
    }
}

fn fire(h: &mut Harness, hook: &str) -> HookRecord {
    ok(h.fire(hook))
}

fn fire_rel(h: &mut Harness, event: &str, rid: &str, unit: Option<&str>) -> HookRecord {
    ok(h.fire_relation(event, rid, unit))
}

/// Every tool call but `juju-log`, counted by tool.
fn call_counts(record: &HookRecord) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for call in &record.calls {
        if call.tool != "juju-log" {
            *counts.entry(call.tool.clone()).or_default() += 1;
        }
    }
    counts
}

fn counts(expected: &[(&str, usize)]) -> BTreeMap<String, usize> {
    expected
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(t, n)| (t.to_string(), *n))
        .collect()
}

/// The arguments of every call of `tool`.
fn args_of(record: &HookRecord, tool: &str) -> Vec<Vec<String>> {
    record
        .calls
        .iter()
        .filter(|c| c.tool == tool)
        .map(|c| c.args.clone())
        .collect()
}

fn bag(pairs: &[(&str, &str)]) -> DataBag {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn address(h: &Harness, unit: &str) -> String {
    h.model().units[unit].address.clone()
}

/// The bag Juju pre-fills for `unit`.
fn prefilled(h: &Harness, unit: &str) -> DataBag {
    let a = address(h, unit);
    bag(&[
        ("egress-subnets", &format!("{a}/32")),
        ("ingress-address", &a),
        ("private-address", &a),
    ])
}

/// What an endpoint instance looks like, without reading relation data.
fn snapshot(ep: &AcceptRequires) -> Value {
    json!({
        "relations": ep.relations().keys(),
        "units": ep
            .relations()
            .iter()
            .map(|r| json!([r.relation_id(), r.joined_units().keys()]))
            .collect::<Vec<_>>(),
        "is_joined": ep.is_joined(),
        "departed": ep
            .all_departed_units()
            .iter()
            .map(|u| json!([u.relation_id(), u.unit_name()]))
            .collect::<Vec<_>>(),
    })
}

/// Relate `db` to `server` with `units` joined, running created and joined
/// hooks as Juju would. Returns the relation id.
fn joined_with(h: &mut Harness, units: &[&str]) -> RelationId {
    let rid = h.add_relation("db", "server").unwrap();
    fire_rel(h, "created", &rid, None);
    for unit in units {
        h.add_remote_unit(&rid, unit).unwrap();
        fire_rel(h, "joined", &rid, Some(unit));
        fire_rel(h, "changed", &rid, Some(unit));
    }
    rid
}

/// Fire a hook with `<name>.changed-seen` dropped first; the `changed*`
/// flags the clearing handler saw (empty when it did not run).
fn changed_seen(h: &mut Harness, event: &str, rid: &str, unit: &str) -> Vec<String> {
    drop_flag(h, "db.changed-seen");
    let record = fire_rel(h, event, rid, Some(unit));
    let value = flag_value(h, "db.changed-seen");
    let ran = record
        .invoked
        .iter()
        .any(|id| id.contains(":clear_changed:"));
    assert_eq!(ran, value.is_some(), "{:?}", record.invoked);
    serde_json::from_value(value.unwrap_or(json!([]))).unwrap()
}

/// `db:2` and `db:10`, both to `server`; `server/0` is on both.
fn two_relations(h: &mut Harness) -> (RelationId, RelationId) {
    h.model().next_relation_id = 10;
    let ten = h.add_relation("db", "server").unwrap();
    h.model().next_relation_id = 2;
    let two = h.add_relation("db", "server").unwrap();
    h.model().next_relation_id = 11;
    assert_eq!((two.as_str(), ten.as_str()), ("db:2", "db:10"));
    for (rid, unit, data) in [
        (
            &two,
            "server/1",
            &[("key0", "\"v0_2_1\""), ("key2", "\"v2_2_1\"")][..],
        ),
        (
            &two,
            "server/0",
            &[("key0", "\"v0_2_0\""), ("key1", "\"v1_2_0\"")][..],
        ),
        (
            &ten,
            "server/0",
            &[
                ("key0", "\"v0_10_0\""),
                ("key2", "\"v2_10_0\""),
                ("key3", "\"v3_10_0\""),
            ][..],
        ),
        (&ten, "server/2", &[("key4", "5")][..]),
    ] {
        h.add_remote_unit(rid, unit).unwrap();
        h.set_remote_unit_data(rid, unit, data).unwrap();
    }
    (two, ten)
}

mod automatic_flags;
mod data_and_publishing;
mod departed_and_views;
mod lookups_and_calls;
