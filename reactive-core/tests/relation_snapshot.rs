//! The relation-data snapshot: hook-tool calls per hook that do not grow
//! with the number of related units, and the snapshot's rules (a remote
//! change seen from its -changed hook on, departed and broken dropping
//! data, a unit state without a snapshot read once in full, fresh reads on
//! demand), on a responder endpoint of the request/response pattern.

use std::cell::RefCell;
use std::collections::BTreeMap;

use reactive_core::config::ConfigOptions;
use reactive_core::endpoint::snapshot::{relation_data_prefix, unit_data_key};
use reactive_core::endpoint::{EndpointBase, RelationDataMode};
use reactive_core::metadata::CharmMetadata;
use reactive_core::prelude::*;
use reactive_core::registry::Registry;
use reactive_core::runtime::Charm;
use reactive_core::tools::HookTools;
use reactive_testing::harness::{Harness, HookRecord};
use serde_json::{json, Value};

#[derive(Request, Debug, Clone, PartialEq)]
#[request(response = JobResponse)]
pub struct JobRequest {
    pub job_name: String,
}

#[derive(Response, Debug, Clone, PartialEq)]
pub struct JobResponse {
    pub success: bool,
}

pub struct Jobs {
    base: EndpointBase,
}

impl Endpoint for Jobs {
    fn from_base(base: EndpointBase) -> Self {
        Jobs { base }
    }
    fn base(&self) -> &EndpointBase {
        &self.base
    }
    fn base_mut(&mut self) -> &mut EndpointBase {
        &mut self.base
    }
}

impl ResponderEndpoint for Jobs {
    type Request = JobRequest;
}

thread_local! {
    /// The unit whose `port` the watcher reports, and what it saw.
    static WATCH: RefCell<(String, Vec<Option<String>>)> = RefCell::new(Default::default());
    /// Whether the next hook's watcher refreshes the data first.
    static REFRESH: RefCell<bool> = const { RefCell::new(false) };
}

#[endpoint(interface = "snapshot-jobs", role = "requires", responder = JobRequest)]
impl Jobs {
    #[when("endpoint.{endpoint_name}.new_requests")]
    fn answer(&mut self) -> Result<(), RequestError> {
        for request in self.new_requests()? {
            self.respond(&request, &JobResponse { success: true })?;
        }
        Ok(())
    }

    #[when("endpoint.{endpoint_name}.joined")]
    fn watch(&mut self) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if REFRESH.with(|r| std::mem::take(&mut *r.borrow_mut())) {
            self.base_mut().refresh_remote_data()?;
        }
        let unit = WATCH.with(|w| w.borrow().0.clone());
        let seen = match self.all_joined_units().by_name(&unit) {
            Some(u) => u.received_raw()?.get("port").cloned(),
            None => None,
        };
        WATCH.with(|w| w.borrow_mut().1.push(seen));
        Ok(())
    }
}

/// The charm's own handler: the leader writes a setting.
#[hook("leader-elected")]
fn on_leader_elected(ctx: &mut Context) -> Result<(), reactive_core::tools::ToolError> {
    let mut settings = reactive_core::tools::DataBag::new();
    settings.insert("token".into(), "from-leader".into());
    ctx.tools().with(|t| t.leader_set(&settings))
}

const METADATA: &str = "name: prom\nrequires:\n  scrape:\n    interface: snapshot-jobs\n";

fn charm(mode: RelationDataMode) -> Charm {
    let metadata = CharmMetadata::parse(METADATA, "metadata.yaml").unwrap();
    Charm::from_parts(
        metadata,
        ConfigOptions::default(),
        Registry::builder().module_prefix("relation_snapshot"),
    )
    .unwrap()
    .with_relation_data(mode)
}

fn harness(mode: RelationDataMode) -> Harness {
    WATCH.with(|w| *w.borrow_mut() = Default::default());
    REFRESH.with(|r| *r.borrow_mut() = false);
    Harness::from_charm(charm(mode))
}

fn watch(unit: &str) {
    WATCH.with(|w| w.borrow_mut().0 = unit.to_string());
}

fn last_seen() -> Option<String> {
    WATCH.with(|w| w.borrow().1.last().cloned().flatten())
}

fn request_data(n: usize, port: u16) -> Vec<(String, String)> {
    let id = format!("00000000-0000-4000-8000-{n:012}");
    let request = json!({"job_name": format!("job{n}"), "request_id": id}).to_string();
    vec![
        (format!("request_{id}"), request),
        ("port".to_string(), port.to_string()),
    ]
}

fn set_data(h: &mut Harness, rid: &str, unit: &str, data: &[(String, String)]) {
    let pairs: Vec<(&str, &str)> = data.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    h.set_remote_unit_data(rid, unit, &pairs).unwrap();
}

fn fire(h: &mut Harness, hook: &str) -> HookRecord {
    h.fire(hook).unwrap().clone()
}

fn fire_rel(h: &mut Harness, event: &str, rid: &str, unit: Option<&str>) -> HookRecord {
    h.fire_relation(event, rid, unit).unwrap().clone()
}

/// Every tool call but `juju-log`, counted by tool.
fn counts(record: &HookRecord) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for call in &record.calls {
        if call.tool != "juju-log" {
            *counts.entry(call.tool.clone()).or_default() += 1;
        }
    }
    counts
}

fn total(record: &HookRecord) -> usize {
    counts(record).values().sum()
}

/// A prometheus-like unit related to `n` target units that all joined
/// (with requests) before this unit's first hook: the first hook reads
/// everything once.
fn deployed(n: usize, mode: RelationDataMode) -> (Harness, String, HookRecord) {
    let mut h = harness(mode);
    fire(&mut h, "install");
    let rid = h.add_relation("scrape", "target").unwrap();
    for i in 0..n {
        let unit = format!("target/{i}");
        h.add_remote_unit(&rid, &unit).unwrap();
        set_data(&mut h, &rid, &unit, &request_data(i, 9100));
    }
    let first = fire_rel(&mut h, "joined", &rid, Some(&format!("target/{}", n - 1)));
    (h, rid.to_string(), first)
}

/// Per hook kind, the calls one hook makes with `n` related units.
fn calls_per_hook(n: usize) -> BTreeMap<&'static str, BTreeMap<String, usize>> {
    let (mut h, rid, first) = deployed(n, RelationDataMode::Snapshot);
    assert_eq!(
        first.calls_of("relation-get"),
        n + 1,
        "first hook: every unit once, and this unit's own data"
    );
    let mut out = BTreeMap::new();
    let middle = format!("target/{}", n / 2);
    watch(&middle);
    set_data(&mut h, &rid, &middle, &request_data(n / 2, 9200));
    out.insert(
        "-relation-changed",
        counts(&fire_rel(&mut h, "changed", &rid, Some(&middle))),
    );
    assert_eq!(last_seen().as_deref(), Some("9200"));
    out.insert("update-status", counts(&fire(&mut h, "update-status")));
    assert_eq!(last_seen().as_deref(), Some("9200"));
    let fresh = format!("target/{n}");
    h.add_remote_unit(&rid, &fresh).unwrap();
    set_data(&mut h, &rid, &fresh, &request_data(n, 9100));
    out.insert(
        "-relation-joined",
        counts(&fire_rel(&mut h, "joined", &rid, Some(&fresh))),
    );
    out.insert("config-changed", counts(&fire(&mut h, "config-changed")));
    out.insert(
        "leader-settings-changed",
        counts(&fire(&mut h, "leader-settings-changed")),
    );
    h.remove_remote_unit(&rid, &middle).unwrap();
    out.insert(
        "-relation-departed",
        counts(&fire_rel(&mut h, "departed", &rid, Some(&middle))),
    );
    out.insert(
        "update-status (after departed)",
        counts(&fire(&mut h, "update-status")),
    );
    out
}

#[test]
fn hook_tool_calls_per_hook_do_not_grow_with_the_number_of_units() {
    let small = calls_per_hook(10);
    let large = calls_per_hook(300);
    for (kind, calls) in &small {
        println!("{kind:32} {calls:?}");
    }
    assert_eq!(small, large, "calls per hook grew from 10 to 300 units");
    let sum = |kind: &str| small[kind].values().sum::<usize>();
    assert!(
        sum("-relation-changed") <= 10,
        "{:?}",
        small["-relation-changed"]
    );
    assert!(sum("update-status") <= 6, "{:?}", small["update-status"]);
    // The changed unit, and this unit's own data read back once after the
    // hook that answered (crash safety); then nothing: relation data comes
    // from the snapshot, and whether requests were answered from the
    // request index; the departing unit is read to keep its last data.
    assert_eq!(small["-relation-changed"].get("relation-get"), Some(&2));
    assert_eq!(small["update-status"].get("relation-get"), None);
    assert_eq!(small["-relation-departed"].get("relation-get"), Some(&1));
    // Relations and their units are listed only where they change.
    for kind in [
        "-relation-changed",
        "update-status",
        "config-changed",
        "leader-settings-changed",
        "update-status (after departed)",
    ] {
        for tool in ["relation-ids", "relation-list"] {
            assert_eq!(small[kind].get(tool), None, "{kind}: {tool}");
        }
    }
    for kind in ["-relation-joined", "-relation-departed"] {
        assert_eq!(small[kind].get("relation-list"), Some(&1), "{kind}");
    }
    assert_eq!(small["leader-settings-changed"].get("leader-get"), Some(&1));
    assert_eq!(small["config-changed"].get("leader-get"), None);
}

#[test]
fn with_fresh_reads_every_hook_reads_every_unit_as_charms_reactive_does() {
    let (mut h, _, _) = deployed(20, RelationDataMode::Fresh);
    // A row under the relation's prefix that is neither a unit's nor the
    // application's goes with the rest.
    let stray = format!("{}other", relation_data_prefix("scrape:0"));
    h.unit_state().set(&stray, json!({}));
    // So do two applications' rows (one relation has one remote
    // application; never written so).
    for app in ["app.a", "app.b"] {
        let row = format!("{}{app}", relation_data_prefix("scrape:0"));
        h.unit_state().set(&row, json!({}));
    }
    h.unit_state().commit().unwrap();
    let record = fire(&mut h, "update-status");
    // Flags from every unit's data, in every hook.
    assert_eq!(record.calls_of("relation-get"), 21);
    assert!(h
        .unit_state()
        .get_range_raw(&relation_data_prefix("scrape:0"))
        .unwrap()
        .is_empty());
}

#[test]
fn a_remote_change_is_seen_in_its_changed_hook_and_in_later_hooks() {
    let (mut h, rid, _) = deployed(5, RelationDataMode::Snapshot);
    watch("target/2");
    set_data(&mut h, &rid, "target/2", &request_data(2, 9300));
    let record = fire_rel(&mut h, "changed", &rid, Some("target/2"));
    assert_eq!(last_seen().as_deref(), Some("9300"));
    assert!(h.is_flag_set("endpoint.scrape.changed.port"));
    let args: Vec<_> = record
        .calls
        .iter()
        .filter(|c| c.tool == "relation-get")
        .map(|c| c.args.clone())
        .collect();
    assert!(
        args.iter().any(|a| a.contains(&"target/2".to_string())),
        "{args:?}"
    );
    assert!(
        !args.iter().any(|a| a.contains(&"target/1".to_string())),
        "{args:?}"
    );
    for hook in ["update-status", "config-changed"] {
        watch("target/2");
        let record = fire(&mut h, hook);
        assert_eq!(last_seen().as_deref(), Some("9300"), "{hook}");
        assert_eq!(record.calls_of("relation-get"), 0, "{hook}");
    }
    // The snapshot holds the new data under the documented key.
    let row = h
        .unit_state()
        .get(&unit_data_key(&rid, "target/2"))
        .unwrap()
        .unwrap();
    assert_eq!(row["port"], json!("9300"));
}

#[test]
fn until_its_changed_hook_a_remote_change_is_not_seen_unless_read_fresh() {
    let (mut h, rid, _) = deployed(3, RelationDataMode::Snapshot);
    watch("target/1");
    set_data(&mut h, &rid, "target/1", &request_data(1, 9400));
    fire(&mut h, "update-status");
    assert_eq!(last_seen().as_deref(), Some("9100"));
    // A handler asking for fresh data reads it, and the snapshot keeps it.
    REFRESH.with(|r| *r.borrow_mut() = true);
    let record = fire(&mut h, "update-status");
    assert_eq!(last_seen().as_deref(), Some("9400"));
    assert_eq!(record.calls_of("relation-get"), 3);
    let record = fire(&mut h, "update-status");
    assert_eq!(last_seen().as_deref(), Some("9400"));
    assert_eq!(record.calls_of("relation-get"), 0);
}

/// The endpoint's list of departed units, as the unit state holds it.
fn departed_list(h: &mut Harness) -> serde_json::Value {
    h.unit_state()
        .get("reactive.endpoints.departed.scrape")
        .unwrap()
        .expect("a departed list")
}

#[test]
fn departed_drops_the_unit_and_broken_drops_the_relation() {
    let (mut h, rid, _) = deployed(3, RelationDataMode::Snapshot);
    let prefix = relation_data_prefix(&rid);
    let rows = |h: &mut Harness| -> Vec<String> {
        h.unit_state()
            .get_range_raw(&prefix)
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    };
    assert_eq!(rows(&mut h).len(), 3);
    h.remove_remote_unit(&rid, "target/1").unwrap();
    fire_rel(&mut h, "departed", &rid, Some("target/1"));
    assert_eq!(
        rows(&mut h),
        [
            unit_data_key(&rid, "target/0"),
            unit_data_key(&rid, "target/2")
        ]
    );
    // Its last data went to all_departed_units.
    let departed = departed_list(&mut h);
    assert_eq!(departed[0]["unit_name"], json!("target/1"));
    assert_eq!(departed[0]["data"]["port"], json!("9100"));
    for unit in ["target/0", "target/2"] {
        h.remove_remote_unit(&rid, unit).unwrap();
        fire_rel(&mut h, "departed", &rid, Some(unit));
    }
    assert!(rows(&mut h).is_empty());

    // broken drops whatever is left of the relation (here: the
    // application's data a handler read).
    let (mut h, rid, _) = deployed(2, RelationDataMode::Snapshot);
    h.set_remote_app_data(&rid, "target", &[("mode", "x")])
        .unwrap();
    REFRESH.with(|r| *r.borrow_mut() = true);
    fire_rel(&mut h, "changed", &rid, None);
    let prefix = relation_data_prefix(&rid);
    assert!(h.unit_state().get_range_raw(&prefix).unwrap().len() >= 2);
    fire_rel(&mut h, "broken", &rid, None);
    assert!(
        h.unit_state().get_range_raw(&prefix).unwrap().is_empty(),
        "{:?}",
        h.unit_state().get_range_raw(&prefix).unwrap()
    );
}

#[test]
fn a_unit_state_without_a_snapshot_is_read_once_in_full() {
    let (mut h, rid, _) = deployed(30, RelationDataMode::Snapshot);
    // As a unit state from before the snapshot existed (or written by
    // charms.reactive) would be: flags and hashes, no rows.
    let keys: Vec<String> = h
        .unit_state()
        .get_range_raw("reactive.relation_data.")
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys.len(), 30);
    for key in &keys {
        h.unit_state().unset(key);
    }
    let changed: Vec<String> = h
        .unit_state()
        .get_range_raw("reactive.states.endpoint.scrape.changed")
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert!(!changed.is_empty());
    for key in &changed {
        h.unit_state().unset(key);
    }
    h.unit_state().unset("reactive.endpoints.pattern.scrape");
    h.unit_state().commit().unwrap();
    watch("target/7");
    let record = fire_rel(&mut h, "changed", &rid, Some("target/3"));
    assert_eq!(record.calls_of("relation-get"), 31);
    assert_eq!(last_seen().as_deref(), Some("9100"));
    // No change flag for data already seen.
    assert!(!h.is_flag_set("endpoint.scrape.changed"));
    // Then only the hook's unit (whether its request was answered is in
    // the request index).
    let record = fire_rel(&mut h, "changed", &rid, Some("target/3"));
    assert_eq!(record.calls_of("relation-get"), 1);
    assert!(total(&record) <= 10);
}

#[test]
fn a_snapshot_row_that_is_not_a_bag_of_strings_is_read_again() {
    let (mut h, rid, _) = deployed(2, RelationDataMode::Snapshot);
    fire(&mut h, "update-status");
    h.unit_state()
        .set(&unit_data_key(&rid, "target/0"), json!({"port": 1}));
    h.unit_state().commit().unwrap();
    watch("target/0");
    let record = fire(&mut h, "update-status");
    assert_eq!(last_seen().as_deref(), Some("9100"));
    assert_eq!(record.calls_of("relation-get"), 1);
    let row: Value = h
        .unit_state()
        .get(&unit_data_key(&rid, "target/0"))
        .unwrap()
        .unwrap();
    assert_eq!(row["port"], json!("9100"));
}

#[test]
fn a_lost_row_is_missed_by_the_count_and_read_again() {
    let (mut h, rid, _) = deployed(5, RelationDataMode::Snapshot);
    fire(&mut h, "update-status");
    h.unit_state().unset(&unit_data_key(&rid, "target/1"));
    h.unit_state().commit().unwrap();
    watch("target/1");
    let record = fire(&mut h, "update-status");
    assert_eq!(last_seen().as_deref(), Some("9100"));
    assert_eq!(record.calls_of("relation-get"), 1);
    let row = h
        .unit_state()
        .get(&unit_data_key(&rid, "target/1"))
        .unwrap();
    assert_eq!(row.unwrap()["port"], json!("9100"));
    let record = fire(&mut h, "update-status");
    assert_eq!(record.calls_of("relation-get"), 0);
}

#[test]
fn a_row_put_in_for_a_unit_not_there_is_dropped_when_membership_is_next_listed() {
    let (mut h, rid, _) = deployed(3, RelationDataMode::Snapshot);
    fire(&mut h, "update-status");
    // As many unit rows as units, but one is not a unit's of the relation
    // and one unit has none: that unit is read when its data is needed.
    let stray = unit_data_key(&rid, "target/99");
    h.unit_state().set(&stray, json!({"port": "1"}));
    h.unit_state().unset(&unit_data_key(&rid, "target/2"));
    h.unit_state().commit().unwrap();
    watch("target/2");
    let record = fire(&mut h, "update-status");
    assert_eq!(last_seen().as_deref(), Some("9100"));
    assert_eq!(record.calls_of("relation-get"), 1);
    assert!(h.unit_state().get(&stray).unwrap().is_some());
    // The next hook that lists the relation's units drops the stray row.
    h.add_remote_unit(&rid, "target/3").unwrap();
    fire_rel(&mut h, "joined", &rid, Some("target/3"));
    assert_eq!(h.unit_state().get(&stray).unwrap(), None);
    assert!(h
        .unit_state()
        .get(&unit_data_key(&rid, "target/2"))
        .unwrap()
        .is_some());
}

#[test]
fn a_departed_hook_counts_the_rows_rather_than_reading_their_keys() {
    let (mut h, rid, _) = deployed(3, RelationDataMode::Snapshot);
    // As many unit rows as the units that stay plus the departing one, but
    // one is not a unit's of the relation and one unit has none.
    let stray = unit_data_key(&rid, "target/99");
    h.unit_state().set(&stray, json!({"port": "1"}));
    h.unit_state().unset(&unit_data_key(&rid, "target/2"));
    h.unit_state().commit().unwrap();
    h.remove_remote_unit(&rid, "target/0").unwrap();
    watch("target/2");
    let record = fire_rel(&mut h, "departed", &rid, Some("target/0"));
    // The departing unit's row went to the departed list and is dropped;
    // the unit without a row is read when its data is needed.
    let departed = departed_list(&mut h);
    assert_eq!(departed[0]["unit_name"], json!("target/0"));
    assert_eq!(departed[0]["data"]["port"], json!("9100"));
    assert_eq!(
        h.unit_state()
            .get(&unit_data_key(&rid, "target/0"))
            .unwrap(),
        None
    );
    assert_eq!(last_seen().as_deref(), Some("9100"));
    let read = |unit: &str| {
        record
            .calls
            .iter()
            .filter(|c| c.tool == "relation-get" && c.args.last().map(String::as_str) == Some(unit))
            .count()
    };
    // Juju answers for the departing unit in its -departed hook.
    assert_eq!(
        (read("target/0"), read("target/1"), read("target/2")),
        (1, 0, 1)
    );
    // The stray row stays until a hook reads the keys.
    assert!(h.unit_state().get(&stray).unwrap().is_some());
    h.add_remote_unit(&rid, "target/3").unwrap();
    fire_rel(&mut h, "joined", &rid, Some("target/3"));
    assert_eq!(h.unit_state().get(&stray).unwrap(), None);
}

#[test]
fn request_flags_follow_responses_published_in_an_earlier_hook() {
    let (mut h, rid, _) = deployed(4, RelationDataMode::Snapshot);
    // The first hook answered every request; the next sees them answered.
    fire(&mut h, "update-status");
    assert!(h.is_flag_set("endpoint.scrape.has_requests"));
    assert!(!h.is_flag_set("endpoint.scrape.new_requests"));
    // A new request arrives with its -changed hook: answered there, and the
    // flag cleared in the next hook.
    let mut data = request_data(1, 9100);
    data.extend(request_data(77, 9100).into_iter().take(1));
    set_data(&mut h, &rid, "target/1", &data);
    fire_rel(&mut h, "changed", &rid, Some("target/1"));
    assert!(h.is_flag_set("endpoint.scrape.new_requests"));
    let record = fire(&mut h, "update-status");
    assert!(!h.is_flag_set("endpoint.scrape.new_requests"));
    // Recomputed from the snapshot: only this unit's own data was read.
    assert_eq!(record.calls_of("relation-get"), 1);
    // A handler clearing a pattern flag gets it recomputed.
    h.unit_state()
        .unset("reactive.states.endpoint.scrape.has_requests");
    h.unit_state().commit().unwrap();
    fire(&mut h, "update-status");
    assert!(h.is_flag_set("endpoint.scrape.has_requests"));
}

#[test]
fn leader_get_is_asked_in_leadership_hooks_and_after_leader_set() {
    let mut h = harness(RelationDataMode::Snapshot);
    assert_eq!(fire(&mut h, "install").calls_of("leader-get"), 1);
    assert_eq!(fire(&mut h, "update-status").calls_of("leader-get"), 0);
    h.set_leader_settings(&[("token", "a")]);
    let record = fire(&mut h, "leader-settings-changed");
    assert_eq!(record.calls_of("leader-get"), 1);
    assert!(h.is_flag_set("leadership.set.token"));
    assert!(h.is_flag_set("leadership.changed.token"));
    // Later hooks: the copy stands for the settings; nothing changed.
    assert_eq!(fire(&mut h, "update-status").calls_of("leader-get"), 0);
    assert!(h.is_flag_set("leadership.set.token"));
    assert!(!h.is_flag_set("leadership.changed.token"));
    assert!(!h.is_flag_set("leadership.changed"));
    h.set_leader(true);
    let record = fire(&mut h, "leader-elected");
    assert_eq!(record.calls_of("leader-get"), 1);
    assert_eq!(record.calls_of("leader-set"), 1);
    // The leader gets no hook for its own write: the next hook reads the
    // settings again, and sees the change.
    assert_eq!(fire(&mut h, "update-status").calls_of("leader-get"), 1);
    assert!(h.is_flag_set("leadership.changed.token"));
    assert_eq!(fire(&mut h, "update-status").calls_of("leader-get"), 0);
    assert!(!h.is_flag_set("leadership.changed.token"));
    // A unit state without the marker (charms.reactive's) reads once.
    h.unit_state().unset("reactive.leadership.snapshot");
    h.unit_state().commit().unwrap();
    assert_eq!(fire(&mut h, "update-status").calls_of("leader-get"), 1);
    assert_eq!(fire(&mut h, "update-status").calls_of("leader-get"), 0);
}
