//! Relation membership kept in the unit state: `relation-ids` and
//! `relation-list` asked only in the hooks that change what they answer
//! (and not in `-joined` and `-departed`, which amend the copy),
//! the kept copy under its documented key, and the marker that makes the
//! hook after a failed (then skipped) membership hook read them again, in
//! the harness and in the simulator with `juju resolved --no-retry`.

use std::cell::RefCell;

use reactive_core::config::ConfigOptions;
use reactive_core::endpoint::membership::members_key;
use reactive_core::endpoint::{EndpointBase, RelationDataMode};
use reactive_core::metadata::CharmMetadata;
use reactive_core::prelude::*;
use reactive_core::registry::Registry;
use reactive_core::runtime::Charm;
use reactive_core::unit_state::Marker;
use reactive_testing::harness::{Harness, HookRecord};
use reactive_testing::sim::{AppSpec, CharmRunner, Deployment, SimError};
use serde_json::{json, Value};

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

#[endpoint(interface = "membership-test", role = "requires")]
impl Db {}

thread_local! {
    /// What the charm saw of `db` in each hook: `[relation id, [units]]`
    /// pairs.
    static SEEN: RefCell<Vec<Value>> = const { RefCell::new(Vec::new()) };
    /// The hook that fails (as a handler error), if any.
    static FAIL: RefCell<Option<String>> = const { RefCell::new(None) };
}

#[hook("db-relation-{created,joined,changed,departed,broken}")]
fn in_relation_hooks(ctx: &mut Context) -> Result<(), String> {
    look(ctx)
}

#[hook("{update-status,config-changed,start}")]
fn in_other_hooks(ctx: &mut Context) -> Result<(), String> {
    look(ctx)
}

/// Records what `db` holds, then fails if told to.
fn look(ctx: &mut Context) -> Result<(), String> {
    let seen: Vec<Value> = ctx
        .endpoint::<Db>("db")
        .map(|db| {
            db.relations()
                .iter()
                .map(|r| json!([r.relation_id(), r.joined_units().keys()]))
                .collect()
        })
        .unwrap_or_default();
    SEEN.with(|s| s.borrow_mut().push(Value::Array(seen)));
    let hook = ctx.hook_name().to_string();
    if FAIL.with(|f| f.borrow().as_deref() == Some(hook.as_str())) {
        return Err(format!("told to fail in {hook}"));
    }
    Ok(())
}

const METADATA: &str = "name: watcher\nrequires:\n  db:\n    interface: membership-test\n";
const SERVER_METADATA: &str = "name: server\nprovides:\n  db:\n    interface: membership-test\n";

fn charm(metadata: &str, prefix: &str) -> Charm {
    Charm::from_parts(
        CharmMetadata::parse(metadata, "metadata.yaml").unwrap(),
        ConfigOptions::default(),
        Registry::builder().module_prefix(prefix),
    )
    .unwrap()
}

fn reset() {
    SEEN.with(|s| s.borrow_mut().clear());
    FAIL.with(|f| *f.borrow_mut() = None);
}

fn last_seen() -> Value {
    SEEN.with(|s| s.borrow().last().cloned().unwrap_or(Value::Null))
}

fn fail_in(hook: Option<&str>) {
    FAIL.with(|f| *f.borrow_mut() = hook.map(str::to_string));
}

/// The membership tools a hook asked, in order.
fn membership_calls(record: &HookRecord) -> Vec<&str> {
    record
        .calls
        .iter()
        .map(|c| c.tool.as_str())
        .filter(|t| matches!(*t, "relation-ids" | "relation-list"))
        .collect()
}

/// Clear the marker the harness sets when it changes relations directly,
/// as if the change had come with its hook.
fn settle(h: &mut Harness) {
    h.unit_state()
        .clear_marker_on_commit(Marker::MembershipUnsettled);
    h.unit_state().commit().unwrap();
}

/// Fire `db-relation-<event>` about `unit`, and what it did.
fn fired(h: &mut Harness, event: &str, rid: &str, unit: &str) -> HookRecord {
    h.fire_relation(event, rid, Some(unit)).unwrap().clone()
}

/// A harness past `install`, with relation `db` to `server` and these
/// units joined (each with its joined hook), and the relation's id.
fn joined(units: &[&str]) -> (Harness, String) {
    let mut h = Harness::from_charm(charm(METADATA, "relation_membership"));
    h.fire("install").unwrap();
    let rid = h.add_relation("db", "server").unwrap().to_string();
    for unit in units {
        h.add_remote_unit(&rid, unit).unwrap();
        h.fire_relation("joined", &rid, Some(unit)).unwrap();
    }
    (h, rid)
}

#[test]
fn membership_is_read_in_the_hooks_that_change_it_and_kept_between_them() {
    reset();
    let mut h = Harness::from_charm(charm(METADATA, "relation_membership"));
    let fire = |h: &mut Harness, hook: &str| h.fire(hook).unwrap().clone();
    let rel = |h: &mut Harness, event: &str, rid: &str, unit: Option<&str>| {
        h.fire_relation(event, rid, unit).unwrap().clone()
    };
    assert_eq!(membership_calls(&fire(&mut h, "install")), ["relation-ids"]);
    let rid = h.add_relation("db", "server").unwrap().to_string();
    settle(&mut h);
    let record = rel(&mut h, "created", &rid, None);
    assert_eq!(membership_calls(&record), ["relation-ids", "relation-list"]);
    assert_eq!(last_seen(), json!([[rid, []]]));
    // A joined hook adds its unit to the copy, as Juju's own hook context
    // does: no call.
    for unit in ["server/0", "server/1"] {
        h.add_remote_unit(&rid, unit).unwrap();
        settle(&mut h);
        let record = rel(&mut h, "joined", &rid, Some(unit));
        assert!(membership_calls(&record).is_empty(), "{:?}", record.calls);
    }
    // Kept under its documented key, as relation-list answered.
    let row = h.unit_state().get(&members_key("db")).unwrap();
    assert_eq!(row, Some(json!({ rid.clone(): ["server/0", "server/1"] })));
    // The hooks that cannot change it read the copy.
    let both = json!([[rid, ["server/0", "server/1"]]]);
    let record = rel(&mut h, "changed", &rid, Some("server/1"));
    assert!(membership_calls(&record).is_empty(), "{:?}", record.calls);
    assert_eq!(last_seen(), both);
    for hook in ["update-status", "config-changed", "start"] {
        let record = fire(&mut h, hook);
        assert!(membership_calls(&record).is_empty(), "{hook}");
        assert_eq!(last_seen(), both, "{hook}");
    }
    h.remove_remote_unit(&rid, "server/0").unwrap();
    settle(&mut h);
    // A departed hook takes its unit out.
    let record = rel(&mut h, "departed", &rid, Some("server/0"));
    assert!(membership_calls(&record).is_empty(), "{:?}", record.calls);
    assert_eq!(last_seen(), json!([[rid, ["server/1"]]]));
    let row = h.unit_state().get(&members_key("db")).unwrap();
    assert_eq!(row, Some(json!({ rid.clone(): ["server/1"] })));
    let record = fire(&mut h, "update-status");
    assert!(membership_calls(&record).is_empty());
    assert_eq!(last_seen(), json!([[rid, ["server/1"]]]));
    h.remove_remote_unit(&rid, "server/1").unwrap();
    settle(&mut h);
    rel(&mut h, "departed", &rid, Some("server/1"));
    rel(&mut h, "broken", &rid, None);
    // The broken relation is not kept, even while Juju still lists it.
    let row = h.unit_state().get(&members_key("db")).unwrap();
    assert_eq!(row, Some(json!({})));
    h.remove_relation(&rid).unwrap();
    settle(&mut h);
    let record = fire(&mut h, "update-status");
    assert!(membership_calls(&record).is_empty());
    assert_eq!(last_seen(), json!([]));
}

#[test]
fn units_are_kept_in_unit_order() {
    reset();
    let (mut h, rid) = joined(&["server/10", "server/2"]);
    let row = h.unit_state().get(&members_key("db")).unwrap();
    assert_eq!(row, Some(json!({ rid.clone(): ["server/2", "server/10"] })));
    h.fire("update-status").unwrap();
    assert_eq!(last_seen(), json!([[rid, ["server/2", "server/10"]]]));
}

#[test]
fn joined_and_departed_hooks_amend_the_copy_in_unit_order() {
    reset();
    let (mut h, rid) = joined(&["server/2"]);
    for (unit, now) in [
        ("server/10", json!(["server/2", "server/10"])),
        ("server/1", json!(["server/1", "server/2", "server/10"])),
        (
            "server/3",
            json!(["server/1", "server/2", "server/3", "server/10"]),
        ),
    ] {
        h.add_remote_unit(&rid, unit).unwrap();
        settle(&mut h);
        let record = fired(&mut h, "joined", &rid, unit);
        assert!(membership_calls(&record).is_empty(), "{unit}");
        assert_eq!(last_seen(), json!([[rid, now]]), "{unit}");
        let row = h.unit_state().get(&members_key("db")).unwrap();
        assert_eq!(row, Some(json!({ rid.clone(): now })), "{unit}");
    }
    h.remove_remote_unit(&rid, "server/2").unwrap();
    settle(&mut h);
    let record = fired(&mut h, "departed", &rid, "server/2");
    assert!(membership_calls(&record).is_empty());
    let now = json!(["server/1", "server/3", "server/10"]);
    assert_eq!(last_seen(), json!([[rid, now]]));
    // The next hooks read the amended copy.
    let record = h.fire("update-status").unwrap().clone();
    assert!(membership_calls(&record).is_empty());
    assert_eq!(last_seen(), json!([[rid, now]]));
}

#[test]
fn a_joined_or_departed_hook_the_copy_cannot_explain_reads_membership_again() {
    reset();
    let (mut h, rid) = joined(&["server/0", "server/1"]);
    // A joined hook for a unit the copy already holds.
    let record = fired(&mut h, "joined", &rid, "server/1");
    assert_eq!(membership_calls(&record), ["relation-ids", "relation-list"]);
    assert_eq!(last_seen(), json!([[rid, ["server/0", "server/1"]]]));
    // A departed hook for a unit the copy does not hold (a copy put
    // right by hand): what the tools answer is kept.
    h.remove_remote_unit(&rid, "server/0").unwrap();
    settle(&mut h);
    h.unit_state().set(
        &members_key("db"),
        json!({ rid.clone(): ["server/1", "server/5"] }),
    );
    h.unit_state().commit().unwrap();
    let record = fired(&mut h, "departed", &rid, "server/0");
    assert_eq!(membership_calls(&record), ["relation-ids", "relation-list"]);
    assert_eq!(last_seen(), json!([[rid, ["server/1"]]]));
    let row = h.unit_state().get(&members_key("db")).unwrap();
    assert_eq!(row, Some(json!({ rid.clone(): ["server/1"] })));
    // A joined hook of a relation the copy does not hold.
    h.unit_state().set(&members_key("db"), json!({}));
    h.unit_state().commit().unwrap();
    h.add_remote_unit(&rid, "server/4").unwrap();
    settle(&mut h);
    let record = fired(&mut h, "joined", &rid, "server/4");
    assert_eq!(membership_calls(&record), ["relation-ids", "relation-list"]);
    assert_eq!(last_seen(), json!([[rid, ["server/1", "server/4"]]]));
}

#[test]
fn a_hook_about_a_unit_the_copy_does_not_hold_reads_membership_again() {
    reset();
    let (mut h, rid) = joined(&["server/0"]);
    // server/1 appears without its joined hook (and without the marker):
    // its -changed hook is about a unit the copy does not hold.
    h.add_remote_unit(&rid, "server/1").unwrap();
    settle(&mut h);
    let record = h
        .fire_relation("changed", &rid, Some("server/1"))
        .unwrap()
        .clone();
    assert_eq!(membership_calls(&record), ["relation-ids", "relation-list"]);
    assert_eq!(last_seen(), json!([[rid, ["server/0", "server/1"]]]));
}

#[test]
fn a_failed_membership_hook_leaves_the_marker_and_the_next_hook_reads_again() {
    reset();
    let (mut h, rid) = joined(&["server/0"]);
    assert!(!h.unit_state().has_marker(Marker::MembershipUnsettled));

    // server/1's joined hook fails; Juju is told to go on without it
    // (`juju resolved --no-retry`), so it counts server/1 as joined.
    h.add_remote_unit(&rid, "server/1").unwrap();
    settle(&mut h);
    fail_in(Some("db-relation-joined"));
    let failed = h.fire_relation("joined", &rid, Some("server/1"));
    assert!(failed.is_err());
    fail_in(None);
    assert!(h.unit_state().has_marker(Marker::MembershipUnsettled));
    let row = h.unit_state().get(&members_key("db")).unwrap();
    assert_eq!(
        row,
        Some(json!({ rid.clone(): ["server/0"] })),
        "rolled back"
    );
    let record = h.fire("update-status").unwrap().clone();
    assert_eq!(membership_calls(&record), ["relation-ids", "relation-list"]);
    assert_eq!(last_seen(), json!([[rid, ["server/0", "server/1"]]]));
    assert!(!h.unit_state().has_marker(Marker::MembershipUnsettled));
    let record = h.fire("update-status").unwrap().clone();
    assert!(membership_calls(&record).is_empty());
    assert_eq!(last_seen(), json!([[rid, ["server/0", "server/1"]]]));

    // The same for a departed hook: server/0 is gone for Juju.
    let server0_row = format!("reactive.relation_data.{rid}.unit.server/0");
    let rows = |h: &mut Harness| {
        h.unit_state()
            .get_range_keys(&format!("reactive.relation_data.{rid}."))
            .unwrap()
    };
    assert!(rows(&mut h).contains(&server0_row));
    h.remove_remote_unit(&rid, "server/0").unwrap();
    settle(&mut h);
    fail_in(Some("db-relation-departed"));
    assert!(h.fire_relation("departed", &rid, Some("server/0")).is_err());
    fail_in(None);
    let record = h.fire("config-changed").unwrap().clone();
    assert_eq!(membership_calls(&record), ["relation-ids", "relation-list"]);
    assert_eq!(last_seen(), json!([[rid, ["server/1"]]]));
    // Its snapshot row goes with it.
    assert!(!rows(&mut h).contains(&server0_row));
}

#[test]
fn with_fresh_reads_membership_is_read_in_every_hook_and_not_kept() {
    reset();
    let charm = charm(METADATA, "relation_membership").with_relation_data(RelationDataMode::Fresh);
    let mut h = Harness::from_charm(charm);
    h.fire("install").unwrap();
    let rid = h.add_relation("db", "server").unwrap().to_string();
    h.add_remote_unit(&rid, "server/0").unwrap();
    // A copy left by an earlier hook in snapshot mode is dropped.
    h.unit_state()
        .set(&members_key("db"), json!({ rid.clone(): [] }));
    h.unit_state().commit().unwrap();
    h.fire_relation("joined", &rid, Some("server/0")).unwrap();
    for _ in 0..2 {
        let record = h.fire("update-status").unwrap().clone();
        assert_eq!(membership_calls(&record), ["relation-ids", "relation-list"]);
        assert_eq!(last_seen(), json!([[rid, ["server/0"]]]));
    }
    assert_eq!(h.unit_state().get(&members_key("db")).unwrap(), None);
    assert!(!h.unit_state().has_marker(Marker::MembershipUnsettled));
}

#[test]
fn a_copy_that_does_not_read_as_membership_is_read_again_and_replaced() {
    reset();
    let (mut h, rid) = joined(&["server/0"]);
    for bad in [
        json!(["db:0"]),
        json!({ rid.clone(): "server/0" }),
        json!(7),
    ] {
        h.unit_state().set(&members_key("db"), bad.clone());
        h.unit_state().commit().unwrap();
        let record = h.fire("update-status").unwrap().clone();
        assert_eq!(
            membership_calls(&record),
            ["relation-ids", "relation-list"],
            "{bad}"
        );
        assert_eq!(last_seen(), json!([[rid, ["server/0"]]]));
        let row = h.unit_state().get(&members_key("db")).unwrap();
        assert_eq!(row, Some(json!({ rid.clone(): ["server/0"] })), "{bad}");
    }
}

/// The other side: one handler that does nothing.
mod server {
    use reactive_core::prelude::*;

    #[hook("install")]
    fn installed() {}
}

#[test]
fn in_the_simulator_a_skipped_joined_or_departed_hook_is_made_up_by_the_next_hook() {
    reset();
    let dir = std::env::temp_dir().join(format!("relation-membership-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut model = Deployment::new(&dir).unwrap();
    let deploy = |model: &mut Deployment, name: &str, charm: Charm| {
        model.deploy(AppSpec {
            name: name.into(),
            runner: CharmRunner::InProcess(charm),
            charm_dir: dir.join(name),
            units: 1,
            config: Default::default(),
        })
    };
    deploy(
        &mut model,
        "watcher",
        charm(METADATA, "relation_membership"),
    )
    .unwrap();
    deploy(
        &mut model,
        "server",
        charm(SERVER_METADATA, "relation_membership::server"),
    )
    .unwrap();
    let rid = model.relate("watcher:db", "server:db").unwrap().to_string();
    assert_eq!(last_seen(), json!([[rid, ["server/0"]]]));

    // server/1 joins; watcher/0's joined hook fails and is skipped.
    fail_in(Some("db-relation-joined"));
    model.add_units("server", 1).unwrap();
    match model.run_until_quiet() {
        Err(SimError::HookFailed { unit, hook, .. }) => {
            assert_eq!(
                (unit.as_str(), hook.as_str()),
                ("watcher/0", "db-relation-joined")
            )
        }
        other => panic!("expected watcher/0 to fail: {other:?}"),
    }
    fail_in(None);
    model.take_runs();
    model.resolved_no_retry("watcher/0").unwrap();
    let runs = model.take_runs();
    assert!(
        runs.iter()
            .all(|r| !(r.unit == "watcher/0" && r.hook == "db-relation-joined")),
        "not run again"
    );
    let update_status = |model: &mut Deployment| {
        model
            .queue_hook("watcher/0", reactive_core::HookInfo::named("update-status"))
            .unwrap();
        model.run_until_quiet().unwrap();
        let runs = model.take_runs();
        let run = runs.iter().rfind(|r| r.unit == "watcher/0").unwrap();
        run.calls
            .iter()
            .filter(|c| matches!(c.tool.as_str(), "relation-ids" | "relation-list"))
            .count()
    };
    update_status(&mut model);
    assert_eq!(last_seen(), json!([[rid, ["server/0", "server/1"]]]));
    assert_eq!(update_status(&mut model), 0, "settled again");
    assert_eq!(last_seen(), json!([[rid, ["server/0", "server/1"]]]));

    // server/0 leaves; watcher/0's departed hook fails and is skipped.
    fail_in(Some("db-relation-departed"));
    assert!(model.remove_unit("server/0").is_err());
    fail_in(None);
    model.resolved_no_retry("watcher/0").unwrap();
    model.take_runs();
    // Nothing else ran on watcher/0 since: the marker the failed hook left
    // makes this hook read membership again.
    assert_eq!(update_status(&mut model), 2);
    assert_eq!(last_seen(), json!([[rid, ["server/1"]]]));
    assert_eq!(update_status(&mut model), 0);
    let _ = std::fs::remove_dir_all(&dir);
}
