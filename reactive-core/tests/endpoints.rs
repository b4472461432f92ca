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

// ---------------------------------------------------------------------------
// 1. Automatic flags
// ---------------------------------------------------------------------------

#[test]
fn created_hook_sets_no_automatic_flag_but_runs_manage_flags() {
    let mut h = harness(ONE);
    fire(&mut h, "install");
    assert_eq!(manage_count(&mut h, "db"), 1, "not joined: never skipped");
    let rid = h.add_relation("db", "server").unwrap();
    fire_rel(&mut h, "created", &rid, None);
    assert_eq!(ep_flags(&mut h, "db"), Vec::<String>::new());
    assert_eq!(manage_count(&mut h, "db"), 2);
}

#[test]
fn first_joined_unit_sets_joined() {
    let mut h = harness(ONE);
    let rid = h.add_relation("db", "server").unwrap();
    fire_rel(&mut h, "created", &rid, None);
    assert!(!h.is_flag_set("endpoint.db.joined"));
    h.add_remote_unit(&rid, "server/0").unwrap();
    let record = fire_rel(&mut h, "joined", &rid, Some("server/0"));
    assert!(record.flags.contains(&"endpoint.db.joined".to_string()));
    assert!(h.is_flag_set("endpoint.db.joined"));
    assert!(!h.is_flag_set("endpoint.db.departed"));
}

#[test]
fn juju_prefilled_keys_count_as_changed_on_first_sight() {
    let mut h = harness(ONE);
    let rid = h.add_relation("db", "server").unwrap();
    h.add_remote_unit(&rid, "server/0").unwrap();
    fire_rel(&mut h, "joined", &rid, Some("server/0"));
    assert_eq!(
        ep_flags(&mut h, "db"),
        strings(&[
            "endpoint.db.changed",
            "endpoint.db.changed.egress-subnets",
            "endpoint.db.changed.ingress-address",
            "endpoint.db.changed.private-address",
            "endpoint.db.joined",
        ])
    );
}

#[test]
fn changed_hook_with_one_key_sets_changed_for_that_key_only() {
    let mut h = harness(ONE);
    put_flag(&mut h, "test.clear-changed", Value::Null);
    let rid = h.add_relation("db", "server").unwrap();
    h.add_remote_unit(&rid, "server/0").unwrap();
    h.set_remote_unit_data(&rid, "server/0", &[("host", "\"a\""), ("port", "1")])
        .unwrap();
    assert_eq!(
        changed_seen(&mut h, "joined", &rid, "server/0"),
        strings(&[
            "endpoint.db.changed",
            "endpoint.db.changed.egress-subnets",
            "endpoint.db.changed.host",
            "endpoint.db.changed.ingress-address",
            "endpoint.db.changed.port",
            "endpoint.db.changed.private-address",
        ])
    );
    h.set_remote_unit_data(&rid, "server/0", &[("port", "2")])
        .unwrap();
    assert_eq!(
        changed_seen(&mut h, "changed", &rid, "server/0"),
        strings(&["endpoint.db.changed", "endpoint.db.changed.port"])
    );
}

#[test]
fn changed_hook_with_several_keys_sets_changed_for_exactly_those_keys() {
    let mut h = harness(ONE);
    put_flag(&mut h, "test.clear-changed", Value::Null);
    let rid = h.add_relation("db", "server").unwrap();
    h.add_remote_unit(&rid, "server/0").unwrap();
    h.set_remote_unit_data(
        &rid,
        "server/0",
        &[("host", "\"a\""), ("port", "1"), ("user", "\"u\"")],
    )
    .unwrap();
    changed_seen(&mut h, "joined", &rid, "server/0");
    // host and port change, user is rewritten as it was, extra is new.
    h.set_remote_unit_data(
        &rid,
        "server/0",
        &[
            ("host", "\"b\""),
            ("port", "2"),
            ("user", "\"u\""),
            ("extra", "[1, 2]"),
        ],
    )
    .unwrap();
    assert_eq!(
        changed_seen(&mut h, "changed", &rid, "server/0"),
        strings(&[
            "endpoint.db.changed",
            "endpoint.db.changed.extra",
            "endpoint.db.changed.host",
            "endpoint.db.changed.port",
        ])
    );
}

#[test]
fn a_key_rewritten_with_the_same_value_does_not_set_changed_again() {
    let mut h = harness(ONE);
    put_flag(&mut h, "test.clear-changed", Value::Null);
    let rid = h.add_relation("db", "server").unwrap();
    h.add_remote_unit(&rid, "server/0").unwrap();
    h.set_remote_unit_data(&rid, "server/0", &[("port", "1")])
        .unwrap();
    assert!(!changed_seen(&mut h, "joined", &rid, "server/0").is_empty());
    assert!(
        !h.is_flag_set("endpoint.db.changed"),
        "the handler cleared it"
    );
    h.set_remote_unit_data(&rid, "server/0", &[("port", "1")])
        .unwrap();
    assert_eq!(
        changed_seen(&mut h, "changed", &rid, "server/0"),
        Vec::<String>::new()
    );
    assert_eq!(ep_flags(&mut h, "db"), strings(&["endpoint.db.joined"]));
}

#[test]
fn changed_compares_decoded_values_not_raw_strings() {
    let mut h = harness(ONE);
    put_flag(&mut h, "test.clear-changed", Value::Null);
    let rid = h.add_relation("db", "server").unwrap();
    h.add_remote_unit(&rid, "server/0").unwrap();
    h.set_remote_unit_data(&rid, "server/0", &[("conf", r#"{"a": 1, "b": 2.5}"#)])
        .unwrap();
    changed_seen(&mut h, "joined", &rid, "server/0");
    // Other spacing, other key order, same value.
    h.set_remote_unit_data(&rid, "server/0", &[("conf", r#"{"b":2.50,"a":1}"#)])
        .unwrap();
    assert_eq!(
        changed_seen(&mut h, "changed", &rid, "server/0"),
        Vec::<String>::new()
    );
    h.set_remote_unit_data(&rid, "server/0", &[("conf", r#"{"b":2.5,"a":2}"#)])
        .unwrap();
    assert_eq!(
        changed_seen(&mut h, "changed", &rid, "server/0"),
        strings(&["endpoint.db.changed", "endpoint.db.changed.conf"])
    );
}

#[test]
fn data_changed_hashes_are_those_charms_reactive_keeps() {
    let mut h = harness(ONE);
    let rid = h.add_relation("db", "server").unwrap();
    h.add_remote_unit(&rid, "server/0").unwrap();
    h.set_remote_unit_data(
        &rid,
        "server/0",
        &[("host", "\"10.9.9.9\""), ("port", "5432")],
    )
    .unwrap();
    // A Python charm already saw host = "10.9.9.9":
    // md5(json.dumps("10.9.9.9", sort_keys=True)).
    let host_key = format!("reactive.data_changed.endpoint.db.{rid}.server/0.host");
    let state = h.unit_state();
    state.set(&host_key, json!("6754ef9cc4e07f3a4fb06720c0447395"));
    state.commit().unwrap();
    fire_rel(&mut h, "joined", &rid, Some("server/0"));
    assert!(!h.is_flag_set("endpoint.db.changed.host"));
    assert!(h.is_flag_set("endpoint.db.changed.port"));
    // md5(json.dumps(5432, sort_keys=True)), as python3 computes it.
    let port_key = format!("reactive.data_changed.endpoint.db.{rid}.server/0.port");
    assert_eq!(
        h.unit_state().get(&port_key).unwrap(),
        Some(json!("2e92962c0b6996add9517e4242ea9bdc"))
    );
}

#[test]
fn departed_of_the_last_unit_clears_joined_sets_departed_and_drops_the_relation() {
    let mut h = harness(ONE);
    let rid = joined_with(&mut h, &["server/0"]);
    probe(&mut h, |ep, _| Ok(snapshot(ep)));
    h.remove_remote_unit(&rid, "server/0").unwrap();
    fire_rel(&mut h, "departed", &rid, Some("server/0"));
    assert_eq!(
        seen_one(),
        json!({
            "relations": [],
            "units": [],
            "is_joined": false,
            "departed": [[rid, "server/0"]],
        })
    );
    let flags = ep_flags(&mut h, "db");
    assert!(
        flags.contains(&"endpoint.db.departed".to_string()),
        "{flags:?}"
    );
    assert!(
        !flags.contains(&"endpoint.db.joined".to_string()),
        "{flags:?}"
    );
}

#[test]
fn departed_of_a_unit_that_is_not_the_last_keeps_joined_and_the_relation() {
    let mut h = harness(ONE);
    let rid = joined_with(&mut h, &["server/0", "server/1"]);
    probe(&mut h, |ep, _| Ok(snapshot(ep)));
    h.remove_remote_unit(&rid, "server/1").unwrap();
    fire_rel(&mut h, "departed", &rid, Some("server/1"));
    assert_eq!(
        seen_one(),
        json!({
            "relations": [rid],
            "units": [[rid, ["server/0"]]],
            "is_joined": true,
            "departed": [[rid, "server/1"]],
        })
    );
    assert!(h.is_flag_set("endpoint.db.departed"));
    assert!(h.is_flag_set("endpoint.db.joined"));
}

#[test]
fn a_departing_unit_counts_as_departed_as_soon_as_its_departed_hook_starts() {
    // Juju may still list the departing unit in relation-list during the
    // hook; the endpoint must not.
    let mut h = harness(ONE);
    let rid = joined_with(&mut h, &["server/0"]);
    probe(&mut h, |ep, _| Ok(snapshot(ep)));
    fire_rel(&mut h, "departed", &rid, Some("server/0"));
    assert_eq!(seen_one()["is_joined"], json!(false));
    assert!(!h.is_flag_set("endpoint.db.joined"));
    assert!(h.is_flag_set("endpoint.db.departed"));
}

#[test]
fn departed_hook_of_the_leaving_local_unit_records_the_remote_unit() {
    // When this unit is being removed, Juju runs its departed hooks with
    // JUJU_REMOTE_UNIT = the remote unit and JUJU_DEPARTING_UNIT = this
    // unit. charms.reactive adds `hookenv.remote_unit()`.
    let mut h = harness(ONE);
    let rid = joined_with(&mut h, &["server/0"]);
    probe(&mut h, |ep, _| Ok(snapshot(ep)));
    h.remove_remote_unit(&rid, "server/0").unwrap();
    let hook = HookInfo {
        relation: Some("db".into()),
        relation_id: Some(rid.to_string()),
        remote_unit: Some("server/0".into()),
        remote_app: Some("server".into()),
        departing_unit: Some("acceptor/0".into()),
        ..HookInfo::named("db-relation-departed")
    };
    ok(h.fire_with(hook));
    assert_eq!(seen_one()["departed"], json!([[rid, "server/0"]]));
    let saved = h.unit_state().get(&departed_key("db")).unwrap().unwrap();
    assert_eq!(saved[0]["unit_name"], json!("server/0"));
}

#[test]
fn broken_hook_leaves_the_endpoint_unjoined_and_departed_set() {
    let mut h = harness(ONE);
    let rid = joined_with(&mut h, &["server/0"]);
    h.remove_remote_unit(&rid, "server/0").unwrap();
    fire_rel(&mut h, "departed", &rid, Some("server/0"));
    let before = manage_count(&mut h, "db");
    probe(&mut h, |ep, _| Ok(snapshot(ep)));
    fire_rel(&mut h, "broken", &rid, None);
    assert_eq!(seen_one()["is_joined"], json!(false));
    assert!(!h.is_flag_set("endpoint.db.joined"));
    assert!(
        h.is_flag_set("endpoint.db.departed"),
        "cleared only when joined"
    );
    assert_eq!(manage_count(&mut h, "db"), before + 1);
    h.remove_relation(&rid).unwrap();
    fire(&mut h, "update-status");
    assert_eq!(seen_one()["relations"], json!([]));
    assert!(h.is_flag_set("endpoint.db.departed"));
}

#[test]
fn departed_is_cleared_by_the_next_hook_that_finds_the_endpoint_joined() {
    let mut h = harness(ONE);
    let rid = joined_with(&mut h, &["server/0", "server/1"]);
    h.remove_remote_unit(&rid, "server/1").unwrap();
    fire_rel(&mut h, "departed", &rid, Some("server/1"));
    assert!(h.is_flag_set("endpoint.db.departed"));
    let record = fire(&mut h, "update-status");
    assert!(!record.flags.contains(&"endpoint.db.departed".to_string()));
    assert!(!h.is_flag_set("endpoint.db.departed"));
}

#[test]
fn departed_stays_set_while_the_endpoint_is_not_joined() {
    let mut h = harness(ONE);
    let rid = joined_with(&mut h, &["server/0"]);
    h.remove_remote_unit(&rid, "server/0").unwrap();
    fire_rel(&mut h, "departed", &rid, Some("server/0"));
    fire(&mut h, "update-status");
    fire(&mut h, "config-changed");
    assert!(h.is_flag_set("endpoint.db.departed"));
    // A new unit joins: the first hook that finds it joined clears it.
    h.add_remote_unit(&rid, "server/1").unwrap();
    fire_rel(&mut h, "joined", &rid, Some("server/1"));
    assert!(!h.is_flag_set("endpoint.db.departed"));
}

#[test]
fn joined_endpoint_outside_its_relation_hooks_reads_no_data_and_skips_manage_flags() {
    let mut h = harness(ONE);
    let rid = joined_with(&mut h, &["server/0"]);
    let before = manage_count(&mut h, "db");
    // A change Juju has not told this unit about yet.
    h.set_remote_unit_data(&rid, "server/0", &[("late", "1")])
        .unwrap();
    let record = fire(&mut h, "update-status");
    assert_eq!(record.calls_of("relation-get"), 0, "{:?}", record.calls);
    assert_eq!(
        manage_count(&mut h, "db"),
        before,
        "manage_flags not called"
    );
    assert!(!h.is_flag_set("endpoint.db.changed.late"));
    // Its own relation hook reads the data and calls manage_flags.
    let record = fire_rel(&mut h, "changed", &rid, Some("server/0"));
    assert_eq!(record.calls_of("relation-get"), 1);
    assert_eq!(manage_count(&mut h, "db"), before + 1);
    assert!(h.is_flag_set("endpoint.db.changed.late"));
}

#[test]
fn another_endpoints_relation_hook_counts_as_outside_this_endpoints_hooks() {
    let mut h = harness(TWO);
    let db = joined_with(&mut h, &["server/0"]);
    let cache = h.add_relation("cache", "store").unwrap();
    h.add_remote_unit(&cache, "store/0").unwrap();
    fire_rel(&mut h, "joined", &cache, Some("store/0"));
    let (db_before, cache_before) = (manage_count(&mut h, "db"), manage_count(&mut h, "cache"));
    let record = fire_rel(&mut h, "changed", &cache, Some("store/0"));
    let gets = args_of(&record, "relation-get");
    assert_eq!(gets.len(), 1, "{gets:?}");
    assert!(
        gets[0].contains(&cache.to_string()) && !gets[0].contains(&db.to_string()),
        "{gets:?}"
    );
    assert_eq!(manage_count(&mut h, "db"), db_before);
    assert_eq!(manage_count(&mut h, "cache"), cache_before + 1);
}

#[test]
fn endpoint_joined_without_its_flag_is_not_skipped_outside_relation_hooks() {
    // E.g. the first hook after moving to endpoints: Juju has the unit
    // joined, the flag is not set yet.
    let mut h = harness(ONE);
    let rid = h.add_relation("db", "server").unwrap();
    h.add_remote_unit(&rid, "server/0").unwrap();
    let record = fire(&mut h, "update-status");
    assert_eq!(record.calls_of("relation-get"), 1);
    assert!(h.is_flag_set("endpoint.db.joined"));
    assert!(h.is_flag_set("endpoint.db.changed.ingress-address"));
    assert_eq!(manage_count(&mut h, "db"), 1);
}

#[test]
fn register_triggers_runs_before_the_automatic_flags() {
    let mut h = harness(ONE);
    let rid = h.add_relation("db", "server").unwrap();
    let record = fire_rel(&mut h, "created", &rid, None);
    assert!(!record.flags.contains(&"db.trigger-fired".to_string()));
    h.add_remote_unit(&rid, "server/0").unwrap();
    // The trigger on `endpoint.db.joined` fires in the hook that sets it.
    let record = fire_rel(&mut h, "joined", &rid, Some("server/0"));
    assert!(record.flags.contains(&"db.trigger-fired".to_string()));
    assert!(h.is_flag_set("db.trigger-fired"));
}

#[test]
fn manage_flags_runs_after_the_automatic_flags() {
    let mut h = harness(ONE);
    let rid = h.add_relation("db", "server").unwrap();
    h.add_remote_unit(&rid, "server/0").unwrap();
    fire_rel(&mut h, "joined", &rid, Some("server/0"));
    assert_eq!(
        flag_value(&mut h, "db.manage-flags"),
        Some(json!({"count": 1, "saw_joined": true, "saw_changed": true, "saw_departed": false}))
    );
    h.remove_remote_unit(&rid, "server/0").unwrap();
    fire_rel(&mut h, "departed", &rid, Some("server/0"));
    assert_eq!(
        flag_value(&mut h, "db.manage-flags"),
        Some(json!({"count": 2, "saw_joined": false, "saw_changed": true, "saw_departed": true}))
    );
}

// ---------------------------------------------------------------------------
// 2. all_departed_units
// ---------------------------------------------------------------------------

#[test]
fn departed_units_are_saved_in_charms_reactive_format_and_kept_across_hooks() {
    let mut h = harness(ONE);
    let rid = joined_with(&mut h, &["server/0", "server/1"]);
    h.set_remote_unit_data(&rid, "server/1", &[("port", "5432")])
        .unwrap();
    h.remove_remote_unit(&rid, "server/1").unwrap();
    fire_rel(&mut h, "departed", &rid, Some("server/1"));
    let mut data = prefilled(&h, "server/1");
    data.insert("port".into(), "5432".into());
    let expected = json!([{"relation": rid, "unit_name": "server/1", "data": data}]);
    assert_eq!(
        h.unit_state().get(&departed_key("db")).unwrap(),
        Some(expected.clone())
    );
    assert_eq!(departed_key("db"), "reactive.endpoints.departed.db");

    // The next hooks see it, data included, without asking Juju.
    probe(&mut h, |ep, _| {
        let unit = &ep.all_departed_units()["server/1"];
        Ok(json!({
            "names": ep.all_departed_units().keys(),
            "port": unit.received()?.get("port"),
            "raw": unit.received_raw()?,
        }))
    });
    let record = fire(&mut h, "update-status");
    assert_eq!(record.calls_of("relation-get"), 0);
    assert_eq!(
        seen_one(),
        json!({"names": ["server/1"], "port": 5432, "raw": data})
    );
    assert_eq!(
        h.unit_state().get(&departed_key("db")).unwrap(),
        Some(expected)
    );
}

#[test]
fn departed_units_load_from_a_db_written_by_charms_reactive() {
    let dir = std::env::temp_dir().join(format!("reactive-endpoints-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("python-unit-state.db");
    let _ = std::fs::remove_file(&path);
    let state = UnitState::open(&path).unwrap();
    // What charms.reactive left: the departed flag, and the list as
    // charmhelpers' kv().set() writes it (json.dumps, insertion order).
    let key = "reactive.endpoints.departed.db";
    let python = r#"[{"relation": "db:7", "unit_name": "old/3", "data": {"port": "5432", "ingress-address": "10.9.9.9", "note": "caf\u00e9"}}]"#;
    let conn = rusqlite::Connection::open(&path).unwrap();
    for (k, v) in [
        (key, python),
        ("reactive.states.endpoint.db.departed", "null"),
    ] {
        conn.execute("INSERT INTO kv (key, data) VALUES (?1, ?2)", [k, v])
            .unwrap();
    }
    let stored = |conn: &rusqlite::Connection| -> Option<String> {
        conn.query_row("SELECT data FROM kv WHERE key = ?1", [key], |r| r.get(0))
            .ok()
    };
    let mut h = harness(ONE);
    *h.unit_state() = state;
    probe(&mut h, |ep, _| {
        let unit = &ep.all_departed_units()[0];
        Ok(json!({
            "relation": unit.relation_id(),
            "unit": unit.unit_name(),
            "app": unit.application_name(),
            "received": unit.received()?.to_map(),
        }))
    });
    let record = fire(&mut h, "update-status");
    assert_eq!(record.calls_of("relation-get"), 0);
    assert_eq!(
        seen_one(),
        json!({
            "relation": "db:7",
            "unit": "old/3",
            "app": "old",
            "received": {"port": 5432, "ingress-address": "10.9.9.9", "note": "café"},
        })
    );
    assert_eq!(
        stored(&conn).as_deref(),
        Some(python),
        "untouched while unchanged"
    );
    assert!(h.is_flag_set("endpoint.db.departed"));

    // The seed pattern handles it; the row goes.
    put_flag(&mut h, "test.handle-departed", Value::Null);
    fire(&mut h, "update-status");
    let handled = flag_value(&mut h, "db.departed-handled").unwrap();
    assert_eq!(handled[0]["unit"], json!("old/3"));
    assert_eq!(stored(&conn), None);
    drop(conn);
    drop(h);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn departed_units_cleared_by_the_seed_handler_pattern_leave_no_key() {
    let mut h = harness(ONE);
    let rid = joined_with(&mut h, &["server/0", "server/1"]);
    // Departures saved by earlier hooks, handled later.
    h.remove_remote_unit(&rid, "server/1").unwrap();
    fire_rel(&mut h, "departed", &rid, Some("server/1"));
    h.remove_remote_unit(&rid, "server/0").unwrap();
    fire_rel(&mut h, "departed", &rid, Some("server/0"));
    assert_eq!(
        h.unit_state()
            .get(&departed_key("db"))
            .unwrap()
            .map(|v| v.as_array().unwrap().len()),
        Some(2)
    );
    put_flag(&mut h, "test.handle-departed", Value::Null);
    let record = fire(&mut h, "update-status");
    assert!(record
        .invoked
        .iter()
        .any(|id| id.ends_with(":handle_departed_unit:db")));
    let handled = flag_value(&mut h, "db.departed-handled").unwrap();
    let names: Vec<&str> = handled
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["unit"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["server/1", "server/0"]);
    assert_eq!(handled[0]["data"], json!(prefilled(&h, "server/1")));
    assert!(!h.is_flag_set("endpoint.db.departed"));
    assert_eq!(h.unit_state().get(&departed_key("db")).unwrap(), None);
}

#[test]
fn departed_units_handled_in_the_departed_hook_itself_are_never_saved() {
    let mut h = harness(ONE);
    let rid = joined_with(&mut h, &["server/0", "server/1"]);
    put_flag(&mut h, "test.handle-departed", Value::Null);
    h.remove_remote_unit(&rid, "server/1").unwrap();
    fire_rel(&mut h, "departed", &rid, Some("server/1"));
    let handled = flag_value(&mut h, "db.departed-handled").unwrap();
    assert_eq!(handled[0]["unit"], json!("server/1"));
    assert!(!h.is_flag_set("endpoint.db.departed"));
    assert_eq!(h.unit_state().get(&departed_key("db")).unwrap(), None);
}

#[test]
fn departed_units_list_changes_are_saved() {
    let mut h = harness(ONE);
    let rid = joined_with(&mut h, &["server/0", "server/1", "server/2"]);
    for unit in ["server/2", "server/1"] {
        h.remove_remote_unit(&rid, unit).unwrap();
        fire_rel(&mut h, "departed", &rid, Some(unit));
    }
    probe(&mut h, |ep, _| {
        let joined = ep.all_joined_units().get(0).unwrap().clone();
        let departed = ep.all_departed_units_mut();
        let removed = departed
            .remove("server/2")
            .map(|u| u.unit_name().to_string());
        departed.push(joined);
        let popped = departed.pop().map(|u| u.unit_name().to_string());
        Ok(json!({"removed": removed, "popped": popped, "left": departed.keys()}))
    });
    fire(&mut h, "update-status");
    assert_eq!(
        seen_one(),
        json!({"removed": "server/2", "popped": "server/0", "left": ["server/1"]})
    );
    let saved = h.unit_state().get(&departed_key("db")).unwrap().unwrap();
    assert_eq!(
        saved,
        json!([{"relation": rid, "unit_name": "server/1", "data": prefilled(&h, "server/1")}])
    );
}

#[test]
fn a_departed_units_change_reads_back_from_the_unit_state_in_the_same_hook() {
    let mut h = harness(ONE);
    let rid = joined_with(&mut h, &["server/0", "server/1", "server/2"]);
    for unit in ["server/2", "server/1"] {
        h.remove_remote_unit(&rid, unit).unwrap();
        fire_rel(&mut h, "departed", &rid, Some(unit));
    }
    // The endpoint's handler removes a unit; a later handler of the same
    // hook reads the list back from the unit state.
    probe(&mut h, |ep, _| {
        let removed = ep.all_departed_units_mut().remove("server/2");
        Ok(json!(removed.map(|u| u.unit_name().to_string())))
    });
    charm_probe(&mut h, |ctx| {
        let saved = ctx.unit_state().get(&departed_key("db"))?;
        let names: Vec<String> = saved
            .as_ref()
            .and_then(Value::as_array)
            .map(|units| {
                units
                    .iter()
                    .filter_map(|u| u["unit_name"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        Ok(json!(names))
    });
    fire(&mut h, "update-status");
    assert_eq!(
        seen(),
        [
            ("db".to_string(), json!("server/2")),
            ("charm".to_string(), json!(["server/1"])),
        ]
    );
}

// ---------------------------------------------------------------------------
// 3. Key lists and combined views
// ---------------------------------------------------------------------------

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

#[test]
fn relations_are_ordered_by_relation_number_and_indexable_by_position_and_id() {
    let mut h = harness(ONE);
    two_relations(&mut h);
    probe(&mut h, |ep, _| {
        let rels = ep.relations();
        Ok(json!({
            "keys": rels.keys(),
            "len": rels.len(),
            "first": rels[0].relation_id(),
            "by_id": rels["db:10"].relation_id(),
            "position": rels.position("db:10"),
            "values": rels.values().iter().map(|r| r.relation_id()).collect::<Vec<_>>(),
            "items": rels.items().iter().map(|(k, r)| json!([k, r.relation_id()])).collect::<Vec<_>>(),
            "contains_key": [rels.contains_key("db:10"), rels.contains_key("db:3")],
            "contains_value": rels.contains(&rels[1]),
            "endpoint_names": rels.iter().map(|r| r.endpoint_name()).collect::<Vec<_>>(),
        }))
    });
    fire(&mut h, "update-status");
    assert_eq!(
        seen_one(),
        json!({
            "keys": ["db:2", "db:10"],
            "len": 2,
            "first": "db:2",
            "by_id": "db:10",
            "position": 1,
            "values": ["db:2", "db:10"],
            "items": [["db:2", "db:2"], ["db:10", "db:10"]],
            "contains_key": [true, false],
            "contains_value": true,
            "endpoint_names": ["db", "db"],
        })
    );
}

#[test]
fn all_joined_units_are_ordered_by_relation_then_unit_and_by_name_takes_the_lowest_relation() {
    let mut h = harness(ONE);
    two_relations(&mut h);
    probe(&mut h, |ep, _| {
        let all = ep.all_joined_units();
        Ok(json!({
            "units": all.iter().map(|u| json!([u.relation_id(), u.unit_name()])).collect::<Vec<_>>(),
            "keys": all.keys(),
            "len": all.len(),
            "third": all.get(2).map(|u| u.relation_id()),
            "by_name": all.by_name("server/0").map(|u| u.relation_id()),
            "contains": [all.contains_key("server/2"), all.contains_key("server/3")],
            "joined_units": ep.relations()["db:10"].joined_units().keys(),
            "unit_list": ep.relations()[0].unit_list().keys(),
        }))
    });
    fire(&mut h, "update-status");
    assert_eq!(
        seen_one(),
        json!({
            "units": [["db:2", "server/0"], ["db:2", "server/1"], ["db:10", "server/0"], ["db:10", "server/2"]],
            "keys": ["server/0", "server/1", "server/0", "server/2"],
            "len": 4,
            "third": "db:10",
            "by_name": "db:2",
            "contains": [true, false],
            "joined_units": ["server/0", "server/2"],
            "unit_list": ["server/0", "server/1"],
        })
    );
}

#[test]
fn merged_received_data_prefers_the_lowest_relation_then_unit() {
    const KEYS: [&str; 5] = ["key0", "key1", "key2", "key3", "key4"];
    let mut h = harness(ONE);
    two_relations(&mut h);
    probe(&mut h, |ep, _| {
        let pick = |m: &serde_json::Map<String, Value>| json!(KEYS.map(|k| m.get(k).cloned()));
        let all = ep.all_joined_units();
        let raw = all.received_raw()?;
        Ok(json!({
            "all": pick(&all.received()?),
            "all_raw": (["key0", "key4"].map(|k| raw.get(k).cloned())),
            "db10": pick(&ep.relations()["db:10"].joined_units().received()?),
            "db2": pick(&ep.relations()["db:2"].joined_units().received()?),
            "single": ep.relations()["db:10"].unit_list()["server/0"].received()?.get("key0"),
        }))
    });
    fire(&mut h, "update-status");
    assert_eq!(
        seen_one(),
        json!({
            "all": ["v0_2_0", "v1_2_0", "v2_2_1", "v3_10_0", 5],
            "all_raw": ["\"v0_2_0\"", "5"],
            "db10": ["v0_10_0", null, "v2_10_0", "v3_10_0", 5],
            "db2": ["v0_2_0", "v1_2_0", "v2_2_1", null, null],
            "single": "v0_10_0",
        })
    );
}

#[test]
fn application_name_is_the_first_joined_units_or_the_local_application() {
    let mut h = harness(ONE);
    two_relations(&mut h);
    let empty = h.add_relation("db", "lonely").unwrap();
    probe(&mut h, move |ep, _| {
        let rel = &ep.relations()[empty.as_str()];
        Ok(json!({
            "db2": ep.relations()["db:2"].application_name(),
            "empty": rel.application_name(),
            "empty_units": rel.joined_units().len(),
            "unit_app": ep.all_joined_units().get(0).unwrap().application_name(),
        }))
    });
    fire(&mut h, "update-status");
    assert_eq!(
        seen_one(),
        json!({"db2": "server", "empty": "acceptor", "empty_units": 0, "unit_app": "server"})
    );
}

#[test]
#[allow(deprecated)]
fn deprecated_aliases_behave_as_their_replacements() {
    let mut h = harness(ONE);
    two_relations(&mut h);
    probe(&mut h, |ep, _| {
        Ok(json!({
            "joined": [ep.joined(), ep.is_joined()],
            "all_units": [ep.all_units().keys(), ep.all_joined_units().keys()],
            "units": [ep.relations()[1].units().keys(), ep.relations()[1].joined_units().keys()],
        }))
    });
    fire(&mut h, "update-status");
    let answer = seen_one();
    for key in ["joined", "all_units", "units"] {
        assert_eq!(answer[key][0], answer[key][1], "{key}: {answer}");
    }
    assert_eq!(answer["joined"][0], json!(true));
    assert_eq!(answer["units"][0], json!(["server/0", "server/2"]));
}

// ---------------------------------------------------------------------------
// 4. Data views
// ---------------------------------------------------------------------------

#[test]
fn to_publish_encodes_values_exactly_as_python_json_dumps_sort_keys() {
    let mut h = harness(ONE);
    let rid = joined_with(&mut h, &["server/0"]);
    probe(&mut h, |ep, _| {
        let data = ep.relations_mut()[0].to_publish()?;
        data.set(
            "nested",
            json!({"b": {"z": [1, 2.5, null, true], "a": "x"}, "a": 1}),
        );
        data.set(
            "floats",
            json!([0.1, 1e16, 1e-05, 3.0, -0.0, 1.5e300, 123456789.123]),
        );
        data.set(
            "unicode",
            json!({"name": "café ☃ 😀", "tab": "a\tb\"c\\d\n", "ctl": "\u{7f}\u{1}"}),
        );
        data.set("text", json!("plain"));
        data.set_serialized("greeting", &BTreeMap::from([("greeting", "héllo")]))?;
        Ok(Value::Null)
    });
    fire(&mut h, "update-status");
    // Each expected string printed by python3's json.dumps(v, sort_keys=True).
    let published = h.published(&rid).unwrap();
    assert_eq!(
        published["nested"],
        r#"{"a": 1, "b": {"a": "x", "z": [1, 2.5, null, true]}}"#
    );
    assert_eq!(
        published["floats"],
        "[0.1, 1e+16, 1e-05, 3.0, -0.0, 1.5e+300, 123456789.123]"
    );
    assert_eq!(
        published["unicode"],
        r#"{"ctl": "\u007f\u0001", "name": "caf\u00e9 \u2603 \ud83d\ude00", "tab": "a\tb\"c\\d\n"}"#
    );
    assert_eq!(published["text"], r#""plain""#);
    assert_eq!(published["greeting"], r#"{"greeting": "h\u00e9llo"}"#);
}

#[test]
fn raw_views_read_and_write_strings_as_they_are() {
    let mut h = harness(ONE);
    let rid = joined_with(&mut h, &["server/0"]);
    h.set_remote_unit_data(&rid, "server/0", &[("port", "5432")])
        .unwrap();
    // Juju runs -changed after every change of remote data.
    fire_rel(&mut h, "changed", &rid, Some("server/0"));
    probe(&mut h, |ep, _| {
        let rel = &mut ep.relations_mut()[0];
        let raw = rel.to_publish_raw()?;
        raw.set_raw("raw", "not {json");
        raw.set_raw("num", "42");
        let back = json!([
            raw.get("raw"),
            raw.get_raw("raw"),
            raw.get("num"),
            raw.get_raw("num")
        ]);
        let unit = &rel.unit_list()[0];
        Ok(json!({
            "publish": back,
            "received_raw": unit.received_raw()?.get("port"),
            "received": unit.received()?.get("port"),
        }))
    });
    fire(&mut h, "update-status");
    assert_eq!(
        seen_one(),
        json!({
            "publish": ["not {json", "not {json", 42, "42"],
            "received_raw": "5432",
            "received": 5432,
        })
    );
    let published = h.published(&rid).unwrap();
    assert_eq!(published["raw"], "not {json");
    assert_eq!(published["num"], "42");
}

#[test]
fn remote_values_that_are_not_json_decode_to_the_raw_string() {
    let mut h = harness(ONE);
    let rid = joined_with(&mut h, &["server/0"]);
    h.set_remote_unit_data(
        &rid,
        "server/0",
        &[
            ("plain", "not json"),
            ("broken", "{\"a\": 1"),
            ("address", "10.1.2.3"),
            ("number", "42"),
            ("string", "\"s\""),
            ("list", "[1, \"two\"]"),
            ("null", "null"),
        ],
    )
    .unwrap();
    // Juju runs -changed after every change of remote data.
    fire_rel(&mut h, "changed", &rid, Some("server/0"));
    probe(&mut h, |ep, _| {
        let unit = &ep.relations()[0].unit_list()[0];
        let view = unit.received()?;
        let keys = [
            "plain", "broken", "address", "number", "string", "list", "null", "missing",
        ];
        Ok(json!(keys.map(|k| view.get(k))))
    });
    fire(&mut h, "update-status");
    assert_eq!(
        seen_one(),
        json!([
            "not json",
            "{\"a\": 1",
            "10.1.2.3",
            42,
            "s",
            [1, "two"],
            null,
            null
        ])
    );
}

#[test]
fn application_data_is_writable_by_the_leader_only() {
    let mut h = harness(ONE);
    let rid = joined_with(&mut h, &["server/0"]);
    probe(&mut h, |ep, _| {
        let rel = &mut ep.relations_mut()[0];
        Ok(match rel.to_publish_app() {
            Ok(data) => {
                data.set("app-key", json!({"v": 1}));
                json!("written")
            }
            Err(RelationDataError::NotLeader { relation_id }) => json!({"not_leader": relation_id}),
            Err(e) => return Err(e.into()),
        })
    });
    let record = fire(&mut h, "update-status");
    assert_eq!(seen_one(), json!({"not_leader": rid}));
    assert_eq!(record.calls_of("relation-set"), 0);
    assert_eq!(h.published_app(&rid).unwrap(), DataBag::new());

    h.set_leader(true);
    let record = fire(&mut h, "update-status");
    assert_eq!(seen_one(), json!("written"));
    assert_eq!(
        args_of(&record, "relation-set"),
        [strings(&["-r", &rid, "--app", "--file", "-"])]
    );
    assert_eq!(
        h.published_app(&rid).unwrap(),
        bag(&[("app-key", r#"{"v": 1}"#)])
    );
    assert_eq!(
        h.published(&rid).unwrap(),
        prefilled(&h, "acceptor/0"),
        "unit data untouched"
    );
}

#[test]
fn received_app_decodes_the_remote_applications_data() {
    let mut h = harness(ONE);
    let rid = joined_with(&mut h, &["server/0"]);
    h.set_remote_app_data(
        &rid,
        "server",
        &[("ready", "true"), ("name", "\"srv\""), ("odd", "x y")],
    )
    .unwrap();
    probe(&mut h, |ep, _| {
        let rel = &ep.relations()[0];
        let view = rel.received_app()?;
        Ok(json!({
            "decoded": [view.get("ready"), view.get("name"), view.get("odd")],
            "raw": rel.received_app_raw()?.get("name"),
        }))
    });
    fire(&mut h, "update-status");
    assert_eq!(
        seen_one(),
        json!({"decoded": [true, "srv", "x y"], "raw": "\"srv\""})
    );
}

// ---------------------------------------------------------------------------
// 5. Publishing
// ---------------------------------------------------------------------------

#[test]
fn publishing_happens_at_the_end_of_the_hook_with_one_relation_set_per_modified_bag() {
    let mut h = harness(ONE);
    let (two, ten) = two_relations(&mut h);
    h.set_leader(true);
    probe(&mut h, |ep, ctx| {
        let rels = ep.relations_mut();
        let first = rels[0].to_publish()?;
        first.set("a", json!(1));
        first.set("b", json!("two"));
        rels[0].to_publish_app()?.set("app", json!(true));
        rels[1].to_publish()?.set("c", json!([3]));
        ctx.log(LogLevel::Info, "probe wrote");
        Ok(Value::Null)
    });
    let record = fire(&mut h, "update-status");
    assert_eq!(
        args_of(&record, "relation-set"),
        [
            strings(&["-r", &two, "--file", "-"]),
            strings(&["-r", &two, "--app", "--file", "-"]),
            strings(&["-r", &ten, "--file", "-"]),
        ]
    );
    let wrote = record
        .calls
        .iter()
        .position(|c| c.tool == "juju-log" && c.args.iter().any(|a| a == "probe wrote"))
        .unwrap();
    let first_set = record
        .calls
        .iter()
        .position(|c| c.tool == "relation-set")
        .unwrap();
    assert!(wrote < first_set, "published after the handlers ran");
    assert_eq!(h.published(&two).unwrap()["b"], r#""two""#);
    assert_eq!(h.published(&ten).unwrap()["c"], "[3]");
    assert_eq!(h.published_app(&two).unwrap()["app"], "true");
}

#[test]
fn nothing_is_published_when_nothing_changed() {
    let mut h = harness(ONE);
    let rid = joined_with(&mut h, &["server/0"]);
    probe(&mut h, |ep, _| {
        ep.relations_mut()[0].to_publish()?.set("a", json!(1));
        Ok(Value::Null)
    });
    let record = fire(&mut h, "update-status");
    assert_eq!(record.calls_of("relation-set"), 1);
    // Same value again, and a read-only look.
    let record = fire(&mut h, "update-status");
    assert_eq!(record.calls_of("relation-set"), 0);
    assert!(record.changed.is_empty());
    probe(&mut h, |ep, _| {
        Ok(json!(ep.relations_mut()[0].to_publish()?.get("a")))
    });
    let record = fire(&mut h, "update-status");
    assert_eq!(seen().last().unwrap().1, json!(1));
    assert_eq!(record.calls_of("relation-set"), 0);
    assert_eq!(h.published(&rid).unwrap()["a"], "1");
}

#[test]
fn nothing_is_published_when_the_hook_fails() {
    let mut h = harness(ONE);
    let rid = joined_with(&mut h, &["server/0"]);
    let before = h.published(&rid).unwrap();
    probe(&mut h, |ep, _| {
        ep.relations_mut()[0].to_publish()?.set("a", json!(1));
        Err("the handler failed after writing".into())
    });
    let record = h
        .fire("update-status")
        .unwrap_err()
        .record()
        .unwrap()
        .clone();
    assert!(record
        .result
        .as_ref()
        .unwrap_err()
        .contains("the handler failed after writing"));
    assert_eq!(record.calls_of("relation-set"), 0);
    assert!(record.changed.is_empty());
    assert_eq!(h.published(&rid).unwrap(), before);
}

#[test]
fn removed_keys_are_published_as_empty_values() {
    let mut h = harness(ONE);
    let rid = joined_with(&mut h, &["server/0"]);
    probe(&mut h, |ep, _| {
        let data = ep.relations_mut()[0].to_publish()?;
        data.set("a", json!(1));
        data.set("b", json!(2));
        Ok(Value::Null)
    });
    fire(&mut h, "update-status");
    seen();
    probe(&mut h, |ep, _| {
        let data = ep.relations_mut()[0].to_publish()?;
        let removed = data.remove("a");
        Ok(json!({"removed": removed, "changes": data.changes()}))
    });
    let record = fire(&mut h, "update-status");
    assert_eq!(seen_one(), json!({"removed": "1", "changes": {"a": ""}}));
    assert_eq!(record.calls_of("relation-set"), 1);
    let published = h.published(&rid).unwrap();
    assert!(!published.contains_key("a"));
    assert_eq!(published["b"], "2");

    // The bag's own account of what relation-set must send.
    let mut data = PublishData::new(bag(&[("a", "1"), ("b", "2")]));
    data.remove("a");
    data.set("c", json!("x"));
    assert_eq!(data.changes(), bag(&[("a", ""), ("c", "\"x\"")]));
}

// ---------------------------------------------------------------------------
// 6. Lookups
// ---------------------------------------------------------------------------

#[test]
fn endpoint_from_name_and_from_flag() {
    let mut h = harness(ONE);
    joined_with(&mut h, &["server/0"]);
    charm_probe(&mut h, |ctx| {
        ctx.set_flag("db.legacy");
        ctx.set_flag("endpoint.nope.joined");
        ctx.set_flag("db");
        let name = |e: Option<&EndpointBase>| e.map(|e| e.endpoint_name().to_string());
        Ok(json!({
            "from_name": [name(ctx.endpoint_from_name("db")), name(ctx.endpoint_from_name("nope"))],
            "from_flag": [
                name(ctx.endpoint_from_flag("endpoint.db.joined")),
                name(ctx.endpoint_from_flag("db.legacy")),
                name(ctx.endpoint_from_flag("endpoint.db.not-set")),
                name(ctx.endpoint_from_flag("db.not-set")),
                name(ctx.endpoint_from_flag("endpoint.nope.joined")),
                name(ctx.endpoint_from_flag("db")),
            ],
            "relations": ctx.endpoint_from_name("db").map(|e| e.relations().keys()),
        }))
    });
    fire(&mut h, "update-status");
    assert_eq!(
        seen_one(),
        json!({
            "from_name": ["db", null],
            "from_flag": ["db", "db", null, null, null, null],
            "relations": ["db:0"],
        })
    );
}

#[test]
fn ctx_endpoint_gives_the_typed_instance() {
    let mut h = harness(ONE);
    joined_with(&mut h, &["server/0"]);
    charm_probe(&mut h, |ctx| {
        Ok(json!({
            "typed": ctx.endpoint::<AcceptRequires>("db").map(|e| e.all_joined_units().keys()),
            "wrong_type": ctx.endpoint::<OtherProvides>("db").is_some(),
            "missing": ctx.endpoint::<AcceptRequires>("nope").is_some(),
            "mut": ctx.endpoint_mut::<AcceptRequires>("db").map(|e| e.relations_mut().len()),
        }))
    });
    fire(&mut h, "update-status");
    assert_eq!(
        seen_one(),
        json!({"typed": ["server/0"], "wrong_type": false, "missing": false, "mut": 1})
    );
}

#[test]
fn ctx_with_endpoint_lends_the_instance_with_the_context() {
    let mut h = harness(ONE);
    let rid = joined_with(&mut h, &["server/0"]);
    charm_probe(&mut h, |ctx| {
        let done = ctx.with_endpoint::<AcceptRequires, _>("db", |db, ctx| {
            ctx.set_flag("charm.saw-db");
            db.relations_mut()[0]
                .to_publish()
                .map(|d| d.set("via", json!("charm")))
        });
        let missing = ctx.with_endpoint::<AcceptRequires, _>("nope", |_, _| ());
        let wrong = ctx.with_endpoint::<OtherProvides, _>("db", |_, _| ());
        done.expect("db is an AcceptRequires")?;
        Ok(json!([missing.is_some(), wrong.is_some()]))
    });
    let record = fire(&mut h, "update-status");
    assert_eq!(seen_one(), json!([false, false]));
    assert!(h.is_flag_set("charm.saw-db"));
    assert_eq!(record.calls_of("relation-set"), 1);
    // Published at exit: the instance went back into the context.
    assert_eq!(h.published(&rid).unwrap()["via"], r#""charm""#);
}

#[test]
fn expand_name_prefixes_or_substitutes() {
    assert_eq!(expand_name("db", "joined"), "endpoint.db.joined");
    assert_eq!(
        expand_name("db", "changed.host"),
        "endpoint.db.changed.host"
    );
    assert_eq!(expand_name("db", "{endpoint_name}.ready"), "db.ready");
    assert_eq!(
        expand_name("db", "endpoint.{endpoint_name}.x"),
        "endpoint.db.x"
    );
    assert_eq!(
        expand_name("db", "a.{endpoint_name}.{endpoint_name}"),
        "a.db.db"
    );
    let mut h = harness(ONE);
    joined_with(&mut h, &["server/0"]);
    probe(&mut h, |ep, _| {
        Ok(json!([
            ep.expand_name("joined"),
            ep.expand_name("{endpoint_name}.ready")
        ]))
    });
    fire(&mut h, "update-status");
    assert_eq!(seen_one(), json!(["endpoint.db.joined", "db.ready"]));
}

// ---------------------------------------------------------------------------
// 7. One type, several endpoints; unused types
// ---------------------------------------------------------------------------

#[test]
fn one_type_serves_two_endpoints_with_handlers_registered_per_instance() {
    let registry = registry_for(TWO);
    let mut ids: Vec<&str> = registry
        .handlers()
        .iter()
        .map(|h| h.id())
        .filter(|id| id.contains(":note_instance"))
        .collect();
    ids.sort();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(ids[0].ends_with(":note_instance:cache"), "{ids:?}");
    assert!(ids[1].ends_with(":note_instance:db"), "{ids:?}");
    let endpoints: Vec<&str> = registry
        .endpoint_types()
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(endpoints, ["cache", "db"]);

    let mut h = harness(TWO);
    joined_with(&mut h, &["server/0"]);
    let cache = h.add_relation("cache", "store").unwrap();
    h.add_remote_unit(&cache, "store/0").unwrap();
    probe(&mut h, |ep, _| Ok(json!(ep.relations().keys())));
    let record = fire_rel(&mut h, "joined", &cache, Some("store/0"));
    assert!(record
        .invoked
        .iter()
        .any(|id| id.ends_with(":note_instance:cache")));
    assert_eq!(flag_value(&mut h, "cache.instance"), Some(json!("cache")));
    assert_eq!(flag_value(&mut h, "db.instance"), Some(json!("db")));
    let mut answers = seen();
    answers.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        answers,
        [
            ("cache".to_string(), json!([cache])),
            ("db".to_string(), json!(["db:0"])),
        ]
    );
    assert!(h.is_flag_set("endpoint.cache.joined") && h.is_flag_set("endpoint.db.joined"));
}

#[test]
fn an_endpoint_type_whose_interface_the_charm_does_not_use_registers_no_handlers() {
    let uses = |registry: &Registry, function: &str| {
        registry
            .handlers()
            .iter()
            .any(|h| h.id().contains(&format!(":{function}:")))
    };
    let registry = registry_for(ONE);
    assert!(uses(&registry, "note_instance"));
    assert!(!uses(&registry, "other_joined"));
    assert_eq!(registry.endpoint_types().len(), 1);
    // Same interface, other role: not served by AcceptRequires.
    let registry = registry_for("name: x\nprovides:\n  db:\n    interface: accept-test\n");
    assert!(
        registry.handlers().iter().all(|h| h.endpoint().is_none()),
        "{:?}",
        registry
            .handlers()
            .iter()
            .map(|h| h.id())
            .collect::<Vec<_>>()
    );
    assert_eq!(registry.unserved_endpoints(), ["db"]);
    // Declared: registered, with its endpoint's name.
    let registry = registry_for("name: x\nprovides:\n  web:\n    interface: accept-test-other\n");
    assert!(registry
        .handlers()
        .iter()
        .any(|h| h.id().ends_with(":other_joined:web")));
    assert!(!uses(&registry, "note_instance"));
}

// ---------------------------------------------------------------------------
// 8. Hook-tool calls per hook
// ---------------------------------------------------------------------------

#[test]
fn hook_tool_calls_per_hook_are_no_more_than_charms_reactive_makes() {
    // Per hook: config-get and is-leader once (layer-basic and
    // layer-leadership do the same), leader-get in install only (the copy
    // of the leader settings stands for them until a leadership hook);
    // relation-ids once per endpoint; relation-list once per relation;
    // relation-get only for the unit the hook is about (the others come
    // from the snapshot), plus the departing unit's data in -departed
    // (charms.reactive reads it to save it).
    let mut h = harness(ONE);
    let mut rows: Vec<(String, BTreeMap<String, usize>)> = Vec::new();
    let mut check = |name: &str, record: HookRecord, expected: &[(&str, usize)]| {
        let leader_get = usize::from(name == "install");
        let mut all = vec![
            ("config-get", 1),
            ("is-leader", 1),
            ("leader-get", leader_get),
        ];
        all.extend_from_slice(expected);
        assert_eq!(
            call_counts(&record),
            counts(&all),
            "{name}: {:#?}",
            record.calls
        );
        rows.push((name.to_string(), call_counts(&record)));
    };
    check("install", fire(&mut h, "install"), &[("relation-ids", 1)]);
    let rid = h.add_relation("db", "server").unwrap();
    check(
        "created",
        fire_rel(&mut h, "created", &rid, None),
        &[("relation-ids", 1), ("relation-list", 1)],
    );
    for unit in ["server/0", "server/1"] {
        h.add_remote_unit(&rid, unit).unwrap();
        let record = fire_rel(&mut h, "joined", &rid, Some(unit));
        check(
            &format!("joined {unit}"),
            record,
            &[
                ("relation-ids", 1),
                ("relation-list", 1),
                ("relation-get", 1),
            ],
        );
        h.set_remote_unit_data(&rid, unit, &[("k", "1")]).unwrap();
        let record = fire_rel(&mut h, "changed", &rid, Some(unit));
        check(
            &format!("changed {unit}"),
            record,
            &[
                ("relation-ids", 1),
                ("relation-list", 1),
                ("relation-get", 1),
            ],
        );
    }
    check(
        "update-status (joined)",
        fire(&mut h, "update-status"),
        &[("relation-ids", 1), ("relation-list", 1)],
    );
    probe(&mut h, |ep, _| {
        ep.relations_mut()[0].to_publish()?.set("ack", json!(true));
        Ok(Value::Null)
    });
    check(
        "update-status (publishing)",
        fire(&mut h, "update-status"),
        &[
            ("relation-ids", 1),
            ("relation-list", 1),
            ("relation-get", 1),
            ("relation-set", 1),
        ],
    );
    drop_flag(&mut h, "test.probe");
    h.remove_remote_unit(&rid, "server/1").unwrap();
    // The one call more than charms.reactive: the hook after one that
    // published reads this unit's bag back, to publish again what Juju
    // would have dropped had that hook's process died after its commit.
    check(
        "departed server/1",
        fire_rel(&mut h, "departed", &rid, Some("server/1")),
        &[
            ("relation-ids", 1),
            ("relation-list", 1),
            ("relation-get", 2),
        ],
    );
    h.remove_remote_unit(&rid, "server/0").unwrap();
    check(
        "departed server/0",
        fire_rel(&mut h, "departed", &rid, Some("server/0")),
        &[
            ("relation-ids", 1),
            ("relation-list", 1),
            ("relation-get", 1),
        ],
    );
    check(
        "broken",
        fire_rel(&mut h, "broken", &rid, None),
        &[("relation-ids", 1), ("relation-list", 1)],
    );
    h.remove_relation(&rid).unwrap();
    check(
        "update-status (no relation)",
        fire(&mut h, "update-status"),
        &[("relation-ids", 1)],
    );
    for (name, tally) in &rows {
        println!("{name:28} {tally:?}");
    }
}

#[test]
fn hook_tool_calls_with_two_endpoints_and_two_relations() {
    let mut h = harness(TWO);
    two_relations(&mut h);
    let cache = h.add_relation("cache", "store").unwrap();
    h.add_remote_unit(&cache, "store/0").unwrap();
    // First sight of everything: every unit's data read once (server/0 is
    // on two relations: read once per relation).
    let record = fire(&mut h, "update-status");
    assert_eq!(
        call_counts(&record),
        counts(&[
            ("config-get", 1),
            ("is-leader", 1),
            ("leader-get", 1),
            ("relation-ids", 2),
            ("relation-list", 3),
            ("relation-get", 5),
        ]),
        "{:#?}",
        record.calls
    );
    // Both joined, not their relation hooks: no data read at all.
    let record = fire(&mut h, "update-status");
    assert_eq!(record.calls_of("relation-get"), 0);
    assert_eq!(record.calls_of("relation-list"), 3);
    // A relation hook of cache: only cache's unit is read.
    let record = fire_rel(&mut h, "changed", &cache, Some("store/0"));
    assert_eq!(record.calls_of("relation-get"), 1);
    assert_eq!(record.calls_of("relation-ids"), 2);
}

#[test]
fn a_charm_handler_receives_the_endpoint_of_its_parameter_type() {
    let mut h = harness(ONE);
    put_flag(&mut h, "test.endpoint-param", Value::Null);
    h.fire("update-status").unwrap();
    assert!(h.is_flag_set("param.saw.db"));
}

#[test]
fn an_endpoint_parameter_served_by_two_endpoints_fails_the_hook_clearly() {
    let mut h = harness(TWO);
    put_flag(&mut h, "test.endpoint-param", Value::Null);
    let error = h
        .fire("update-status")
        .unwrap_err()
        .record()
        .unwrap()
        .result
        .clone()
        .unwrap_err();
    assert!(
        error.contains("several endpoints are of that type (cache, db)"),
        "{error}"
    );
}

#[test]
fn two_endpoints_of_one_type_each_get_their_own_endpoint_in_a_relation_hook() {
    let mut h = harness(TWO);
    let db = h.add_relation("db", "server").unwrap();
    let cache = h.add_relation("cache", "store").unwrap();
    h.add_remote_unit(&db, "server/0").unwrap();
    h.add_remote_unit(&cache, "store/0").unwrap();
    put_flag(&mut h, "test.endpoint-param", Value::Null);
    fire_rel(&mut h, "joined", &db, Some("server/0"));
    assert!(h.is_flag_set("param.saw.db"));
    assert!(!h.is_flag_set("param.saw.cache"));
    fire_rel(&mut h, "joined", &cache, Some("store/0"));
    assert!(h.is_flag_set("param.saw.cache"));
}

#[test]
fn an_endpoint_parameter_resolves_to_the_endpoint_its_flags_name() {
    let mut h = harness(TWO);
    let db = h.add_relation("db", "server").unwrap();
    let cache = h.add_relation("cache", "store").unwrap();
    h.add_remote_unit(&db, "server/0").unwrap();
    h.add_remote_unit(&cache, "store/0").unwrap();
    fire_rel(&mut h, "joined", &db, Some("server/0"));
    fire_rel(&mut h, "joined", &cache, Some("store/0"));
    put_flag(&mut h, "test.shared-param", Value::Null);
    put_flag(&mut h, "test.shared-only", Value::Null);
    // A hook about no relation: the flags decide, `&E` is accepted.
    fire(&mut h, "update-status");
    assert!(h.is_flag_set("shared.saw.cache"));
    assert!(!h.is_flag_set("shared.saw.db"));
    // Even in the other endpoint's relation hook, the flags win.
    fire_rel(&mut h, "changed", &db, Some("server/0"));
    assert!(!h.is_flag_set("shared.saw.db"));
    // `<endpoint>.<state>` flags name the endpoint too (the handler fails
    // on purpose, saying which endpoint it was given).
    put_flag(&mut h, "db.seen", Value::Null);
    let error = h.fire("update-status").unwrap_err().to_string();
    assert!(error.contains("shared_only was given `db`"), "{error}");
}

#[test]
fn a_charm_handler_may_take_only_its_endpoint() {
    let mut h = harness(ONE);
    let rid = h.add_relation("db", "server").unwrap();
    h.fire_relation("created", &rid, None).unwrap();
    put_flag(&mut h, "test.endpoint-only", Value::Null);
    h.fire("update-status").unwrap();
    assert_eq!(
        h.published(&rid)
            .unwrap()
            .get("seen-by")
            .map(String::as_str),
        Some("endpoint_only")
    );
}
