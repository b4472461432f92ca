//! The request index of a responder endpoint: the requests decoded per
//! hook follow the units that changed, not the number of units, and what
//! the index answers (flags, new, malformed, changed requests, requests by
//! id, received ids) is what reading every unit gives, hook after hook,
//! through joins, changes, answers, malformed data, departures, a second
//! relation and a broken one; a unit state without the index (or with a
//! damaged one) is read once in full, and fresh reads drop it.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;

use reactive_core::config::ConfigOptions;
use reactive_core::endpoint::request_index::request_index_key;
use reactive_core::endpoint::{EndpointBase, RelationDataMode};
use reactive_core::metadata::CharmMetadata;
use reactive_core::prelude::*;
use reactive_core::registry::Registry;
use reactive_core::runtime::Charm;
use reactive_testing::harness::Harness;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::json;

thread_local! {
    /// Requests decoded (a `JobRequest` read from relation data).
    static DECODED: Cell<usize> = const { Cell::new(0) };
    /// What the observer handler saw in each hook.
    static SEEN: RefCell<Vec<Seen>> = const { RefCell::new(Vec::new()) };
    /// Requests found by id with a few ids and with many, per hook (when
    /// a test asks for them).
    static BY_FEW_AND_MANY: RefCell<Option<Vec<FewAndMany>>> = const { RefCell::new(None) };
}

/// The requests one hook found by a few ids, and by more.
type FewAndMany = (Vec<String>, Vec<String>);

/// A job name whose decoding is counted.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Counted(pub String);

impl<'de> Deserialize<'de> for Counted {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        DECODED.with(|c| c.set(c.get() + 1));
        String::deserialize(d).map(Counted)
    }
}

#[derive(Request, Debug, Clone, PartialEq)]
#[request(response = JobResponse)]
pub struct JobRequest {
    pub job_name: Counted,
    pub port: u16,
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

/// What the endpoint answered in one hook (requests as `unit id port`).
#[derive(Debug, Clone, PartialEq, Default)]
struct Seen {
    hook: String,
    new: Vec<String>,
    malformed: Vec<String>,
    changed: Vec<String>,
    by_id: Vec<String>,
    received_ids: BTreeSet<String>,
    /// `received_request_id_set()`, as a sorted set.
    received_set: BTreeSet<String>,
}

fn describe(r: &RequestRecord<JobRequest>) -> String {
    format!(
        "{} {} {}",
        r.unit_name().unwrap_or_default(),
        r.request_id(),
        r.port
    )
}

#[endpoint(interface = "index-jobs", role = "requires", responder = JobRequest)]
impl Jobs {
    /// Answer every new request but those asking for port 1 (left
    /// unanswered, so `new_requests` stays set), and malformed ones.
    #[when("endpoint.{endpoint_name}.new_requests")]
    fn answer(&mut self) -> Result<(), RequestError> {
        for request in self.new_requests()? {
            if request.port != 1 {
                self.respond(&request, &JobResponse { success: true })?;
            }
        }
        for request in self.malformed_requests()? {
            if !request.has_response() {
                self.respond_to_malformed(&request, &JobResponse { success: false })?;
            }
        }
        Ok(())
    }

    /// Observe (hook handlers run before flag handlers: this sees the
    /// hook's requests before `answer` answers them).
    #[hook("{requires:index-jobs}-relation-{joined,changed,departed,broken}")]
    fn observe_relation_hook(&mut self, ctx: &mut Context) -> Result<(), RequestError> {
        self.observe(ctx)
    }

    #[hook("update-status")]
    fn observe_update_status(&mut self, ctx: &mut Context) -> Result<(), RequestError> {
        self.observe(ctx)
    }
}

impl Jobs {
    fn observe(&mut self, ctx: &mut Context) -> Result<(), RequestError> {
        let some_ids: BTreeSet<String> = [
            "00000000-0000-4000-8000-000000000003",
            "00000000-0000-4000-8000-000000000777",
            "00000000-0000-4000-8000-000000000005",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        // Asked with more ids (some never sent), the same requests: a few
        // ids and many are looked up differently.
        if BY_FEW_AND_MANY.with(|b| b.borrow().is_some()) {
            let many_ids: BTreeSet<String> =
                some_ids.iter().cloned().chain((900..903).map(id)).collect();
            let few = self
                .requests_with_ids(&some_ids)?
                .iter()
                .map(describe)
                .collect();
            let many = self
                .requests_with_ids(&many_ids)?
                .iter()
                .map(describe)
                .collect();
            BY_FEW_AND_MANY.with(|b| b.borrow_mut().as_mut().map(|v| v.push((few, many))));
        }
        let seen = Seen {
            hook: ctx.hook_name().to_string(),
            new: self.new_requests()?.iter().map(describe).collect(),
            malformed: self
                .malformed_requests()?
                .iter()
                .map(|m| format!("{} {} {}", m.unit_name(), m.request_id(), m.has_response()))
                .collect(),
            changed: self.changed_requests()?.iter().map(describe).collect(),
            by_id: self
                .requests_with_ids(&some_ids)?
                .iter()
                .map(describe)
                .collect(),
            received_ids: self.received_request_ids()?,
            received_set: self
                .received_request_id_set()?
                .iter()
                .map(str::to_string)
                .collect(),
        };
        SEEN.with(|s| s.borrow_mut().push(seen));
        Ok(())
    }
}

/// The charm's own handler (a charm selects at least one).
#[hook("install")]
fn on_install(ctx: &mut Context) {
    ctx.set_flag("prom.installed");
}

/// The index row's entries, each `[relation, unit, request id, state]`
/// (the row is one JSON string: entries separated by `;`, their fields by
/// spaces).
fn index_entries(row: &serde_json::Value) -> Vec<Vec<String>> {
    let text = row.as_str().expect("the index row is a string");
    text.split(';')
        .filter(|entry| !entry.is_empty())
        .map(|entry| entry.split(' ').map(str::to_string).collect())
        .collect()
}

/// The index row holding `entries`.
fn index_row(entries: &[Vec<String>]) -> serde_json::Value {
    let entries: Vec<String> = entries.iter().map(|e| e.join(" ")).collect();
    json!(entries.join(";"))
}

/// The units the index row lists on relation `rid`, in its order, each
/// once.
fn indexed_units(row: &serde_json::Value, rid: &str) -> Vec<String> {
    let mut units: Vec<String> = Vec::new();
    for entry in index_entries(row) {
        if entry[0] == rid && units.last() != Some(&entry[1]) {
            units.push(entry[1].clone());
        }
    }
    units
}

/// The state the index row gives a request (1: valid, +2: answered).
fn indexed_state(row: &serde_json::Value, rid: &str, unit: &str, id: &str) -> Option<u64> {
    index_entries(row)
        .into_iter()
        .find(|e| e[0] == rid && e[1] == unit && e[2] == id)
        .and_then(|e| e[3].parse().ok())
}

const METADATA: &str = "name: prom\nrequires:\n  scrape:\n    interface: index-jobs\n";

fn harness(mode: RelationDataMode) -> Harness {
    let metadata = CharmMetadata::parse(METADATA, "metadata.yaml").unwrap();
    let charm = Charm::from_parts(
        metadata,
        ConfigOptions::default(),
        Registry::builder().module_prefix("request_index"),
    )
    .unwrap()
    .with_relation_data(mode);
    Harness::from_charm(charm)
}

fn id(n: usize) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

fn request(n: usize, port: u16) -> (String, String) {
    (
        format!("request_{}", id(n)),
        json!({"job_name": format!("job{n}"), "port": port, "request_id": id(n)}).to_string(),
    )
}

fn set_data(h: &mut Harness, rid: &str, unit: &str, data: &[(String, String)]) {
    let pairs: Vec<(&str, &str)> = data.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    h.set_remote_unit_data(rid, unit, &pairs).unwrap();
}

/// Give `unit` this data and run its `-relation-changed` hook.
fn send(h: &mut Harness, rid: &str, unit: &str, data: &[(String, String)]) {
    set_data(h, rid, unit, data);
    h.fire_relation("changed", rid, Some(unit)).unwrap();
}

fn decoded_by<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = DECODED.with(Cell::get);
    let out = f();
    (out, DECODED.with(Cell::get) - before)
}

/// The last hook's observations; the id set and the sorted ids agree.
fn last_seen() -> Seen {
    let seen = SEEN.with(|s| s.borrow().last().cloned().unwrap_or_default());
    assert_eq!(seen.received_set, seen.received_ids, "in {}", seen.hook);
    seen
}

/// A unit related to `n` target units, each with one request, answered.
fn deployed(n: usize) -> (Harness, String) {
    SEEN.with(|s| s.borrow_mut().clear());
    let mut h = harness(RelationDataMode::Snapshot);
    h.fire("install").unwrap();
    let rid = h.add_relation("scrape", "target").unwrap().to_string();
    for i in 0..n {
        let unit = format!("target/{i}");
        h.add_remote_unit(&rid, &unit).unwrap();
        set_data(&mut h, &rid, &unit, &[request(i, 9100)]);
    }
    h.fire_relation("joined", &rid, Some(&format!("target/{}", n - 1)))
        .unwrap();
    // The flags follow the answers from the next hook on.
    h.fire("update-status").unwrap();
    assert!(!h.is_flag_set("endpoint.scrape.new_requests"));
    (h, rid)
}

/// Requests decoded by one hook of each kind, with `n` related units.
fn decoded_per_hook(n: usize) -> Vec<(&'static str, usize)> {
    let (mut h, rid) = deployed(n);
    let mut out = Vec::new();
    let middle = format!("target/{}", n / 2);
    set_data(&mut h, &rid, &middle, &[request(n / 2, 9200)]);
    let (_, d) = decoded_by(|| {
        h.fire_relation("changed", &rid, Some(&middle))
            .unwrap()
            .clone()
    });
    assert_eq!(
        last_seen().changed,
        [format!("{middle} {} 9200", id(n / 2))],
        "the changed request, and only it"
    );
    out.push(("-relation-changed", d));
    let (_, d) = decoded_by(|| h.fire("update-status").unwrap().clone());
    assert_eq!(last_seen().received_ids.len(), n);
    assert!(last_seen().new.is_empty(), "{:?}", last_seen());
    out.push(("update-status", d));
    let fresh = format!("target/{n}");
    h.add_remote_unit(&rid, &fresh).unwrap();
    set_data(&mut h, &rid, &fresh, &[request(n, 9100)]);
    let (_, d) = decoded_by(|| {
        h.fire_relation("joined", &rid, Some(&fresh))
            .unwrap()
            .clone()
    });
    assert_eq!(last_seen().new, [format!("{fresh} {} 9100", id(n))]);
    out.push(("-relation-joined (new request answered)", d));
    h.remove_remote_unit(&rid, &middle).unwrap();
    let (_, d) = decoded_by(|| {
        h.fire_relation("departed", &rid, Some(&middle))
            .unwrap()
            .clone()
    });
    assert_eq!(last_seen().received_ids.len(), n);
    out.push(("-relation-departed", d));
    out
}

#[test]
fn requests_decoded_per_hook_do_not_grow_with_the_number_of_units() {
    let small = decoded_per_hook(12);
    let large = decoded_per_hook(300);
    assert_eq!(small, large, "decoded per hook, 12 units then 300");
    for (hook, decoded) in &large {
        assert!(*decoded <= 16, "{hook}: {decoded} requests decoded");
    }
}

#[test]
fn without_the_index_every_unit_is_decoded_once_then_only_those_that_change() {
    let (mut h, rid) = deployed(40);
    h.unit_state().unset(&request_index_key("scrape"));
    h.unit_state().unset("reactive.endpoints.pattern.scrape");
    h.unit_state().commit().unwrap();
    set_data(&mut h, &rid, "target/3", &[request(3, 9300)]);
    let (_, once) = decoded_by(|| {
        h.fire_relation("changed", &rid, Some("target/3"))
            .unwrap()
            .clone()
    });
    assert!(once >= 40, "every unit read once: {once}");
    let row = h.unit_state().get(&request_index_key("scrape")).unwrap();
    assert_eq!(
        row.as_ref().map(|r| indexed_units(r, &rid).len()),
        Some(40),
        "the index is written again: {row:?}"
    );
    set_data(&mut h, &rid, "target/4", &[request(4, 9400)]);
    let (_, then) = decoded_by(|| {
        h.fire_relation("changed", &rid, Some("target/4"))
            .unwrap()
            .clone()
    });
    assert!(then <= 10, "{then}");
}

#[test]
fn the_index_row_is_written_only_when_what_it_says_changes() {
    let (mut h, rid) = deployed(5);
    let row = |h: &mut Harness| {
        h.unit_state()
            .get_raw(&request_index_key("scrape"))
            .unwrap()
            .unwrap()
    };
    let units = |text: &str| -> Vec<String> {
        let row: serde_json::Value = serde_json::from_str(text).unwrap();
        indexed_units(&row, &rid)
    };
    let before = row(&mut h);
    assert_eq!(units(&before).len(), 5);

    // A new port for the same request: same ids, same answers.
    set_data(&mut h, &rid, "target/1", &[request(1, 9301)]);
    h.fire_relation("changed", &rid, Some("target/1")).unwrap();
    assert_eq!(row(&mut h), before);

    // A second request from the same unit.
    set_data(
        &mut h,
        &rid,
        "target/1",
        &[request(1, 9301), request(7, 9307)],
    );
    h.fire_relation("changed", &rid, Some("target/1")).unwrap();
    let two = row(&mut h);
    let parsed: serde_json::Value = serde_json::from_str(&two).unwrap();
    let of_target_1 = index_entries(&parsed)
        .into_iter()
        .filter(|e| e[0] == rid && e[1] == "target/1");
    assert_eq!(of_target_1.count(), 2, "{two}");

    // A unit that departs leaves it; the others' entries stay as they
    // were, answers and all.
    h.remove_remote_unit(&rid, "target/2").unwrap();
    h.fire_relation("departed", &rid, Some("target/2")).unwrap();
    assert_eq!(
        units(&row(&mut h)),
        ["target/0", "target/1", "target/3", "target/4"]
    );
    let without: Vec<Vec<String>> = index_entries(&parsed)
        .into_iter()
        .filter(|e| e[1] != "target/2")
        .collect();
    assert_eq!(row(&mut h), index_row(&without).to_string());

    // An entry for a unit no longer listed (a row written by hand) goes at
    // the next hook that reads a unit, though that unit's requests did not
    // change.
    let mut tampered = index_entries(&serde_json::from_str(&row(&mut h)).unwrap());
    tampered.push(vec![rid.clone(), "target/9".into(), id(9), "3".into()]);
    h.unit_state()
        .set(&request_index_key("scrape"), index_row(&tampered));
    h.unit_state().commit().unwrap();
    set_data(&mut h, &rid, "target/3", &[request(3, 9303)]);
    h.fire_relation("changed", &rid, Some("target/3")).unwrap();
    assert_eq!(
        units(&row(&mut h)),
        ["target/0", "target/1", "target/3", "target/4"]
    );
}

#[test]
fn a_damaged_index_row_is_built_again() {
    let (mut h, rid) = deployed(5);
    h.unit_state().set(
        &request_index_key("scrape"),
        json!({"scrape:0": "nonsense"}),
    );
    h.unit_state().commit().unwrap();
    set_data(&mut h, &rid, "target/1", &[request(11, 1)]);
    h.fire_relation("changed", &rid, Some("target/1")).unwrap();
    assert!(h.is_flag_set("endpoint.scrape.new_requests"));
    assert_eq!(last_seen().new, [format!("target/1 {} 1", id(11))]);
    let row = h
        .unit_state()
        .get(&request_index_key("scrape"))
        .unwrap()
        .unwrap();
    assert_eq!(indexed_units(&row, &rid).len(), 5, "{row}");
}

#[test]
fn upgrade_charm_classifies_every_unit_again() {
    let (mut h, rid) = deployed(6);
    // A malformed request arrives, then the index is made to say it reads
    // as the request type (as an index written by an earlier version of
    // the charm, whose request type read it, would).
    let bad = id(500);
    let bad_request = json!({"request_id": bad, "job_name": "x", "port": "not a port"}).to_string();
    set_data(
        &mut h,
        &rid,
        "target/2",
        &[request(2, 9100), (format!("request_{bad}"), bad_request)],
    );
    h.fire_relation("changed", &rid, Some("target/2")).unwrap();
    let key = request_index_key("scrape");
    let row = h.unit_state().get(&key).unwrap().unwrap();
    // Malformed (not valid), answered.
    assert_eq!(
        indexed_state(&row, &rid, "target/2", &bad),
        Some(2),
        "{row}"
    );
    let mut edited = index_entries(&row);
    for entry in &mut edited {
        if entry[2] == bad {
            entry[3] = "3".into();
        }
    }
    h.unit_state().set(&key, index_row(&edited));
    h.unit_state().commit().unwrap();
    h.fire("update-status").unwrap();
    assert!(
        last_seen().malformed.is_empty(),
        "the index is trusted between upgrades"
    );
    let (_, decoded) = decoded_by(|| h.fire("upgrade-charm").unwrap().clone());
    assert!(decoded >= 6, "every unit classified again: {decoded}");
    let row = h.unit_state().get(&key).unwrap().unwrap();
    assert_eq!(
        indexed_state(&row, &rid, "target/2", &bad),
        Some(2),
        "{row}"
    );
    h.fire("update-status").unwrap();
    assert_eq!(last_seen().malformed, [format!("target/2 {bad} true")]);
}

#[test]
fn reading_fresh_drops_the_index_and_reads_every_unit() {
    let (mut h, _) = deployed(5);
    assert!(h
        .unit_state()
        .get(&request_index_key("scrape"))
        .unwrap()
        .is_some());
    let mut fresh = harness(RelationDataMode::Fresh);
    fresh.fire("install").unwrap();
    let rid = fresh.add_relation("scrape", "target").unwrap().to_string();
    for i in 0..5 {
        let unit = format!("target/{i}");
        fresh.add_remote_unit(&rid, &unit).unwrap();
        set_data(&mut fresh, &rid, &unit, &[request(i, 9100)]);
    }
    fresh
        .fire_relation("joined", &rid, Some("target/4"))
        .unwrap();
    assert!(fresh
        .unit_state()
        .get(&request_index_key("scrape"))
        .unwrap()
        .is_none());
    let (_, d) = decoded_by(|| fresh.fire("update-status").unwrap().clone());
    assert!(d >= 5, "every unit read: {d}");
}

/// One step of the scenario both harnesses go through.
type Step = fn(&mut Harness, &str, &str);

fn steps() -> Vec<(&'static str, Step)> {
    vec![
        ("a unit changes its request's port", |h, rid, _| {
            set_data(h, rid, "target/1", &[request(1, 9301)]);
            h.fire_relation("changed", rid, Some("target/1")).unwrap();
        }),
        ("a unit asks for port 1 (left unanswered)", |h, rid, _| {
            set_data(h, rid, "target/2", &[request(2, 9100), request(5, 1)]);
            h.fire_relation("changed", rid, Some("target/2")).unwrap();
        }),
        ("update-status", |h, _, _| {
            h.fire("update-status").unwrap();
        }),
        ("a malformed request and a non-canonical id", |h, rid, _| {
            let bad_id = id(777);
            set_data(
                h,
                rid,
                "target/3",
                &[
                    request(3, 9100),
                    (
                        format!("request_{bad_id}"),
                        json!({"request_id": bad_id, "port": "x"}).to_string(),
                    ),
                    ("request_NOT-A-UUID".to_string(), "{}".to_string()),
                ],
            );
            h.fire_relation("changed", rid, Some("target/3")).unwrap();
        }),
        ("a second relation joins", |h, _, rid2| {
            h.add_remote_unit(rid2, "other/0").unwrap();
            set_data(h, rid2, "other/0", &[request(3, 9100), request(9, 9109)]);
            h.fire_relation("joined", rid2, Some("other/0")).unwrap();
        }),
        ("the port-1 request moves to port 2", |h, rid, _| {
            set_data(h, rid, "target/2", &[request(2, 9100), request(5, 2)]);
            h.fire_relation("changed", rid, Some("target/2")).unwrap();
        }),
        ("a unit departs", |h, rid, _| {
            h.remove_remote_unit(rid, "target/1").unwrap();
            h.fire_relation("departed", rid, Some("target/1")).unwrap();
        }),
        ("update-status", |h, _, _| {
            h.fire("update-status").unwrap();
        }),
        ("the second relation breaks", |h, _, rid2| {
            h.remove_remote_unit(rid2, "other/0").unwrap();
            h.fire_relation("departed", rid2, Some("other/0")).unwrap();
            h.remove_relation(rid2).unwrap();
        }),
        ("update-status", |h, _, _| {
            h.fire("update-status").unwrap();
        }),
    ]
}

#[test]
fn what_the_index_answers_is_what_reading_every_unit_gives() {
    let mut runs = Vec::new();
    for mode in [RelationDataMode::Snapshot, RelationDataMode::Fresh] {
        SEEN.with(|s| s.borrow_mut().clear());
        let mut h = harness(mode);
        h.fire("install").unwrap();
        let rid = h.add_relation("scrape", "target").unwrap().to_string();
        let rid2 = h.add_relation("scrape", "other").unwrap().to_string();
        for i in 0..4 {
            let unit = format!("target/{i}");
            h.add_remote_unit(&rid, &unit).unwrap();
            set_data(&mut h, &rid, &unit, &[request(i, 9100)]);
            h.fire_relation("joined", &rid, Some(&unit)).unwrap();
        }
        let mut states = Vec::new();
        for (what, step) in steps() {
            step(&mut h, &rid, &rid2);
            let flags: Vec<String> = h
                .flags()
                .into_iter()
                .filter(|f| f.ends_with("_requests"))
                .collect();
            states.push((what, flags, last_seen(), h.published(&rid).unwrap()));
        }
        runs.push(states);
    }
    let (snapshot, fresh) = (&runs[0], &runs[1]);
    for (a, b) in snapshot.iter().zip(fresh) {
        assert_eq!(a, b, "after: {}", a.0);
    }
    // The scenario exercised what it means to.
    let at = |what: &str| snapshot.iter().find(|s| s.0 == what).unwrap();
    let unanswered = at("a unit asks for port 1 (left unanswered)");
    assert!(unanswered
        .1
        .contains(&"endpoint.scrape.new_requests".to_string()));
    assert_eq!(unanswered.2.new, [format!("target/2 {} 1", id(5))]);
    let malformed = at("a malformed request and a non-canonical id");
    // Seen before `answer` refused it.
    assert_eq!(
        malformed.2.malformed,
        [format!("target/3 {} false", id(777))]
    );
    assert_eq!(
        malformed
            .3
            .get(&format!("response_{}", id(777)))
            .map(String::as_str),
        Some("{\"success\": false}")
    );
    assert!(malformed.2.received_ids.contains(&id(777)));
    let moved = at("the port-1 request moves to port 2");
    assert_eq!(moved.2.changed, [format!("target/2 {} 2", id(5))]);
    assert_eq!(moved.2.new, [format!("target/2 {} 2", id(5))]);
    // Answered then: the flag is down from the next hook on.
    let after = at("a unit departs");
    assert!(!after
        .1
        .contains(&"endpoint.scrape.new_requests".to_string()));
    assert!(after.2.new.is_empty());
    let second = at("a second relation joins");
    assert_eq!(
        second.2.by_id,
        [
            format!("target/3 {} 9100", id(3)),
            format!("other/0 {} 9100", id(3)),
            format!("target/2 {} 1", id(5)),
        ]
    );
}

#[test]
fn with_no_request_left_unanswered_the_flags_follow_the_units_read() {
    let (mut h, rid) = deployed(3);
    let flag = |h: &mut Harness, name: &str| h.is_flag_set(&format!("endpoint.scrape.{name}"));
    assert!(flag(&mut h, "has_requests"));
    // A unit read in the hook asks for port 1, left unanswered.
    send(&mut h, &rid, "target/1", &[request(1, 9100), request(5, 1)]);
    assert!(flag(&mut h, "new_requests"));
    h.fire("update-status").unwrap();
    assert!(flag(&mut h, "new_requests"));
    // It takes it back (an empty value deletes the key): nothing new again.
    let gone = (request(5, 1).0, String::new());
    send(&mut h, &rid, "target/1", &[request(1, 9100), gone]);
    h.fire("update-status").unwrap();
    assert!(!flag(&mut h, "new_requests"));
    // Units depart: requests remain while one unit holding some stays.
    for (unit, left) in [("target/0", true), ("target/2", true), ("target/1", false)] {
        h.remove_remote_unit(&rid, unit).unwrap();
        h.fire_relation("departed", &rid, Some(unit)).unwrap();
        assert_eq!(flag(&mut h, "has_requests"), left, "after {unit}");
        assert!(!flag(&mut h, "new_requests"), "after {unit}");
    }
    // A unit holding no request joins, then sends one that is answered.
    h.add_remote_unit(&rid, "target/7").unwrap();
    h.fire_relation("joined", &rid, Some("target/7")).unwrap();
    assert!(!flag(&mut h, "has_requests"));
    send(&mut h, &rid, "target/7", &[request(7, 9107)]);
    h.fire("update-status").unwrap();
    assert!(flag(&mut h, "has_requests"));
    assert!(!flag(&mut h, "new_requests"));
}

#[test]
fn requests_asked_by_a_few_ids_or_by_many_are_the_same() {
    BY_FEW_AND_MANY.with(|b| *b.borrow_mut() = Some(Vec::new()));
    let (mut h, rid) = deployed(6);
    send(
        &mut h,
        &rid,
        "target/3",
        &[request(3, 9303), request(5, 9305)],
    );
    h.fire("update-status").unwrap();
    let seen = BY_FEW_AND_MANY.with(|b| b.borrow_mut().take()).unwrap();
    assert!(seen.len() >= 3, "{seen:?}");
    for (few, many) in &seen {
        assert_eq!(few, many);
    }
    // The ids asked for that were sent are found: 3 from target/3, 5 from
    // target/3 and from target/5.
    let (few, _) = seen.last().unwrap();
    assert_eq!(few.len(), 3, "{few:?}");
}
