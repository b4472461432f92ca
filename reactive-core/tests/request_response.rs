//! The request/response pattern, end to end: a requester charm and a
//! responder charm, each in its own harness, with the relation data carried
//! between them by hand.

use std::cell::RefCell;
use std::error::Error;

use reactive_core::endpoint::EndpointBase;
use reactive_core::prelude::*;
use reactive_core::request::is_canonical_request_id;
use reactive_testing::harness::Harness;
use serde_json::{json, Value};

// ---- the interface -------------------------------------------------------

#[derive(Request, Debug, Clone, PartialEq)]
#[request(response = JobResponse)]
pub struct JobRequest {
    pub job_name: String,
    pub job_data: Value,
    pub ca_cert: Option<String>,
}

#[derive(Response, Debug, Clone, PartialEq)]
pub struct JobResponse {
    pub success: bool,
    pub reason: Option<String>,
}

pub struct JobsProvides {
    base: EndpointBase,
}

impl Endpoint for JobsProvides {
    fn from_base(base: EndpointBase) -> Self {
        JobsProvides { base }
    }
    fn base(&self) -> &EndpointBase {
        &self.base
    }
    fn base_mut(&mut self) -> &mut EndpointBase {
        &mut self.base
    }
}

impl RequesterEndpoint for JobsProvides {
    type Request = JobRequest;
}

#[endpoint(interface = "jobs", role = "provides", requester = JobRequest)]
impl JobsProvides {
    /// Create or update the job on `relation_id`, or on every relation.
    pub fn register_job(
        &mut self,
        job_name: &str,
        job_data: Value,
        ca_cert: Option<&str>,
        relation_id: Option<&str>,
    ) -> Result<Vec<String>, RequestError> {
        let request = JobRequest {
            job_name: job_name.to_string(),
            job_data,
            ca_cert: ca_cert.map(str::to_string),
        };
        let relation_ids: Vec<String> = match relation_id {
            Some(rid) => vec![rid.to_string()],
            None => self
                .relations()
                .keys()
                .into_iter()
                .map(String::from)
                .collect(),
        };
        let mut ids = Vec::new();
        for rid in relation_ids {
            ids.push(self.create_or_update_request(&["job_name"], &rid, &request)?);
        }
        Ok(ids)
    }
}

pub struct JobsRequires {
    base: EndpointBase,
}

impl Endpoint for JobsRequires {
    fn from_base(base: EndpointBase) -> Self {
        JobsRequires { base }
    }
    fn base(&self) -> &EndpointBase {
        &self.base
    }
    fn base_mut(&mut self) -> &mut EndpointBase {
        &mut self.base
    }
}

impl ResponderEndpoint for JobsRequires {
    type Request = JobRequest;
}

#[endpoint(interface = "jobs", role = "requires", responder = JobRequest)]
impl JobsRequires {}

// ---- scripting the hooks -------------------------------------------------

type Step = Box<dyn FnOnce(&mut Context) -> Result<(), Box<dyn Error + Send + Sync>>>;

thread_local! {
    /// What the next hook on this thread does (tests run on their own
    /// threads, hooks on the test's).
    static SCRIPT: RefCell<Vec<Step>> = const { RefCell::new(Vec::new()) };
}

/// Run in the next hook.
fn then(step: impl FnOnce(&mut Context) -> Result<(), Box<dyn Error + Send + Sync>> + 'static) {
    SCRIPT.with(|s| s.borrow_mut().push(Box::new(step)));
}

/// Run `f` with the requester endpoint `name` in the next hook, and return
/// what it gave once the hook ran.
fn with_provides<T: 'static>(
    name: &'static str,
    f: impl FnOnce(&mut JobsProvides) -> T + 'static,
) -> std::rc::Rc<RefCell<Option<T>>> {
    let out = std::rc::Rc::new(RefCell::new(None));
    let slot = out.clone();
    then(move |ctx| {
        let value = ctx
            .with_endpoint::<JobsProvides, _>(name, |ep, _| f(ep))
            .ok_or("no requester endpoint")?;
        *slot.borrow_mut() = Some(value);
        Ok(())
    });
    out
}

/// Run `f` with the responder endpoint `name` in the next hook.
fn with_requires<T: 'static>(
    name: &'static str,
    f: impl FnOnce(&mut JobsRequires) -> T + 'static,
) -> std::rc::Rc<RefCell<Option<T>>> {
    let out = std::rc::Rc::new(RefCell::new(None));
    let slot = out.clone();
    then(move |ctx| {
        let value = ctx
            .with_endpoint::<JobsRequires, _>(name, |ep, _| f(ep))
            .ok_or("no responder endpoint")?;
        *slot.borrow_mut() = Some(value);
        Ok(())
    });
    out
}

fn take<T>(slot: std::rc::Rc<RefCell<Option<T>>>) -> T {
    slot.borrow_mut().take().expect("the scripted step ran")
}

#[when_not("test.never")]
fn run_script(ctx: &mut Context) -> Result<(), Box<dyn Error + Send + Sync>> {
    let steps = SCRIPT.with(|s| std::mem::take(&mut *s.borrow_mut()));
    for step in steps {
        step(ctx)?;
    }
    Ok(())
}

// ---- harnesses -----------------------------------------------------------

fn registry() -> reactive_core::registry::RegistryBuilder {
    Registry::builder().module_prefix(module_path!())
}

/// The requester charm `target` (unit `target/0`), endpoint `metrics`.
fn target() -> Harness {
    let mut h = Harness::from_yaml(
        "name: target\nprovides:\n  metrics:\n    interface: jobs\n",
        "",
        registry(),
    )
    .unwrap();
    h.fire("install").unwrap();
    h
}

/// The responder charm `prom` (unit `prom/0`), endpoint `scrape`.
fn prom() -> Harness {
    let mut h = Harness::from_yaml(
        "name: prom\nrequires:\n  scrape:\n    interface: jobs\n",
        "",
        registry(),
    )
    .unwrap();
    h.fire("install").unwrap();
    h
}

/// Relate `h`'s endpoint to one remote unit and run `-joined`.
fn relate(h: &mut Harness, endpoint: &str, remote_unit: &str) -> String {
    let app = remote_unit.split('/').next().unwrap();
    let rid = h.add_relation(endpoint, app).unwrap();
    h.fire_relation("created", &rid, None).unwrap();
    h.add_remote_unit(&rid, remote_unit).unwrap();
    h.fire_relation("joined", &rid, Some(remote_unit)).unwrap();
    rid.to_string()
}

/// Copy what `from` publishes on `from_rid` into the data of its unit as
/// `to` sees it on `to_rid` (keys it no longer publishes are deleted).
fn carry(from: &Harness, from_rid: &str, to: &mut Harness, to_rid: &str) {
    let unit = from.unit_name().to_string();
    let published = from.published(from_rid).unwrap();
    let old: Vec<String> = to
        .model()
        .relation_by_id(to_rid)
        .and_then(|r| r.unit_data.get(&unit).cloned())
        .unwrap_or_default()
        .into_keys()
        .collect();
    let mut pairs: Vec<(&str, &str)> = published
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    for key in &old {
        if !published.contains_key(key) {
            pairs.push((key.as_str(), ""));
        }
    }
    to.set_remote_unit_data(to_rid, &unit, &pairs).unwrap();
}

fn job(name: &str) -> Value {
    json!({"static_configs": [{"targets": [format!("{name}:9100")]}]})
}

fn request_keys(h: &Harness, rid: &str) -> Vec<String> {
    h.published(rid)
        .unwrap()
        .into_keys()
        .filter(|k| k.starts_with("request_"))
        .collect()
}

fn warnings(h: &Harness) -> Vec<String> {
    h.logs()
        .into_iter()
        .filter(|(level, _)| *level == LogLevel::Warning)
        .map(|(_, m)| m)
        .collect()
}

// ---- tests ---------------------------------------------------------------

#[test]
fn all_responses_is_set_with_no_request() {
    let mut t = target();
    assert!(t.is_flag_set("endpoint.metrics.all_responses"));
    assert!(!t.is_flag_set("endpoint.metrics.has_responses"));
    relate(&mut t, "metrics", "prom/0");
    assert!(t.is_flag_set("endpoint.metrics.joined"));
    assert!(t.is_flag_set("endpoint.metrics.all_responses"));
    assert!(!t.is_flag_set("endpoint.metrics.has_responses"));

    let mut p = prom();
    relate(&mut p, "scrape", "target/0");
    assert!(!p.is_flag_set("endpoint.scrape.has_requests"));
    assert!(!p.is_flag_set("endpoint.scrape.new_requests"));
}

#[test]
fn request_response_round_trip_with_flags() {
    let mut t = target();
    let t_rid = relate(&mut t, "metrics", "prom/0");
    let mut p = prom();
    let p_rid = relate(&mut p, "scrape", "target/0");

    // Hook 1 (target): create the request. The flags were computed before.
    let ids = with_provides("metrics", |ep| {
        ep.register_job("node", job("10.0.0.1"), None, None)
    });
    t.fire("update-status").unwrap();
    let ids = take(ids).unwrap();
    assert_eq!(ids.len(), 1);
    let id = ids[0].clone();
    assert!(is_canonical_request_id(&id));
    assert_eq!(request_keys(&t, &t_rid), vec![format!("request_{id}")]);
    assert!(
        t.is_flag_set("endpoint.metrics.all_responses"),
        "shows from the next hook on"
    );

    // Hook 2 (target): one request, no response.
    t.fire("update-status").unwrap();
    assert!(!t.is_flag_set("endpoint.metrics.all_responses"));
    assert!(!t.is_flag_set("endpoint.metrics.has_responses"));

    // The responder sees a new request.
    carry(&t, &t_rid, &mut p, &p_rid);
    let seen = with_requires("scrape", |ep| ep.new_requests().unwrap());
    p.fire_relation("changed", &p_rid, Some("target/0"))
        .unwrap();
    let seen = take(seen);
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    assert_eq!(request.request_id(), id);
    assert!(request.is_received() && !request.is_created());
    assert_eq!(request.unit_name(), Some("target/0"));
    assert_eq!(request.relation_id(), p_rid);
    assert_eq!(request.job_name, "node");
    assert_eq!(request.job_data, job("10.0.0.1"));
    assert_eq!(request.ca_cert, None);
    let address = request.ingress_address().expect("pre-filled by the model");
    assert_eq!(
        request.egress_subnets(),
        Some(format!("{address}/32").as_str())
    );
    assert!(p.is_flag_set("endpoint.scrape.has_requests"));
    assert!(p.is_flag_set("endpoint.scrape.new_requests"));

    // The responder answers; its flags follow in the next hook.
    then(|ctx| {
        ctx.with_endpoint::<JobsRequires, _>("scrape", |ep, _| {
            for request in ep.new_requests()? {
                let success = request.job_name == "node";
                ep.respond(
                    &request,
                    &JobResponse {
                        success,
                        reason: None,
                    },
                )?;
            }
            Ok::<_, RequestError>(())
        })
        .ok_or("no endpoint")??;
        Ok(())
    });
    p.fire("update-status").unwrap();
    assert!(p.is_flag_set("endpoint.scrape.new_requests"));
    assert_eq!(
        p.published(&p_rid)
            .unwrap()
            .get(&format!("response_{id}"))
            .map(String::as_str),
        Some(r#"{"reason": null, "success": true}"#)
    );
    p.fire("update-status").unwrap();
    assert!(p.is_flag_set("endpoint.scrape.has_requests"));
    assert!(!p.is_flag_set("endpoint.scrape.new_requests"));
    let all = with_requires("scrape", |ep| ep.all_requests().unwrap());
    p.fire("update-status").unwrap();
    let all = take(all);
    assert_eq!(all.len(), 1);
    let own = all[0].response().expect("answered");
    assert!(own.success && !own.is_received());

    // The requester gets the response.
    carry(&p, &p_rid, &mut t, &t_rid);
    t.fire_relation("changed", &t_rid, Some("prom/0")).unwrap();
    assert!(t.is_flag_set("endpoint.metrics.has_responses"));
    assert!(t.is_flag_set("endpoint.metrics.all_responses"));
    let found = with_provides("metrics", |ep| {
        let responses = ep.responses().unwrap();
        let by_name = ep.response_by_job_name("node", None).unwrap();
        let by_name_here = ep
            .response_by_job_name("node", Some("metrics:999"))
            .unwrap();
        let by_missing = ep.response_by_job_name("nope", None).unwrap();
        let by_field = ep
            .response_by_field(None, &[("job_data", job("10.0.0.1"))])
            .unwrap();
        let requests = ep.requests().unwrap();
        (
            responses,
            by_name,
            by_name_here,
            by_missing,
            by_field,
            requests,
        )
    });
    t.fire("update-status").unwrap();
    let (responses, by_name, by_name_here, by_missing, by_field, requests) = take(found);
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0].request_id(), id);
    assert_eq!(responses[0].unit_name(), Some("prom/0"));
    assert_eq!(
        responses[0].fields(),
        &JobResponse {
            success: true,
            reason: None
        }
    );
    assert_eq!(
        by_name.map(|r| r.request_id().to_string()),
        Some(id.clone())
    );
    assert!(by_name_here.is_none(), "limited to a relation it is not on");
    assert!(by_missing.is_none());
    assert!(by_field.is_some());
    assert_eq!(requests.len(), 1);
    assert!(requests[0].is_created());
    assert!(requests[0].has_response());
    assert_eq!(requests[0].job_name(), "node", "the generated getter");
}

#[test]
fn create_or_update_keeps_one_request_per_job_and_relation() {
    let mut t = target();
    let first = relate(&mut t, "metrics", "prom/0");

    let ids = with_provides("metrics", |ep| {
        let a = ep.register_job("node", job("a"), None, None).unwrap();
        // Within the same hook the new request is already visible.
        let b = ep
            .register_job("node", job("b"), Some("PEM"), None)
            .unwrap();
        let other = ep.register_job("other", job("c"), None, None).unwrap();
        (a, b, other, ep.requests().unwrap().len())
    });
    t.fire("update-status").unwrap();
    let (a, b, other, count) = take(ids);
    assert_eq!(a, b, "updated, not duplicated");
    assert_ne!(a, other);
    assert_eq!(count, 2);
    assert_eq!(request_keys(&t, &first).len(), 2);
    let stored: Value =
        serde_json::from_str(&t.published(&first).unwrap()[&format!("request_{}", a[0])]).unwrap();
    assert_eq!(stored["job_data"], job("b"));
    assert_eq!(stored["ca_cert"], json!("PEM"));

    // A second relation gets its own request; the first is left alone.
    let second = relate(&mut t, "metrics", "prom2/0");
    let ids = with_provides("metrics", |ep| {
        ep.register_job("node", job("b"), Some("PEM"), None)
            .unwrap()
    });
    t.fire("update-status").unwrap();
    let ids = take(ids);
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], a[0]);
    assert_ne!(ids[1], a[0]);
    assert_eq!(request_keys(&t, &first).len(), 2);
    assert_eq!(
        request_keys(&t, &second),
        vec![format!("request_{}", ids[1])]
    );

    // find, find_all, get, requests ordered by id.
    let second2 = second.clone();
    let found = with_provides("metrics", move |ep| {
        let on_second = ep
            .find_request(Some(&second2), &[("job_name", json!("node"))])
            .unwrap()
            .map(|r| r.relation_id().to_string());
        let all_node = ep
            .find_all_requests(&[("job_name", json!("node"))])
            .unwrap();
        let none = ep
            .find_request(None, &[("job_name", json!("zzz"))])
            .unwrap();
        let requests = ep.get_all_requests().unwrap();
        let got = ep.get_request(requests[0].request_id()).unwrap();
        (on_second, all_node.len(), none.is_none(), requests, got)
    });
    t.fire("update-status").unwrap();
    let (on_second, all_node, none, requests, got) = take(found);
    assert_eq!(on_second, Some(second));
    assert_eq!(all_node, 2);
    assert!(none);
    let mut sorted: Vec<String> = requests
        .iter()
        .map(|r| r.request_id().to_string())
        .collect();
    let order = sorted.clone();
    sorted.sort();
    assert_eq!(order, sorted, "ordered by request id");
    assert_eq!(
        got.map(|r| r.request_id().to_string()),
        Some(order[0].clone())
    );
}

#[test]
fn typed_setters_and_withdraw() {
    let mut t = target();
    let rid = relate(&mut t, "metrics", "prom/0");
    let mut p = prom();
    let p_rid = relate(&mut p, "scrape", "target/0");

    let ids = with_provides("metrics", |ep| {
        let ids = ep.register_job("node", job("a"), None, None).unwrap();
        let extra = ep
            .create_request(
                "metrics:0",
                &JobRequest {
                    job_name: "extra".into(),
                    job_data: json!({}),
                    ca_cert: None,
                },
            )
            .unwrap();
        (ids[0].clone(), extra)
    });
    t.fire("update-status").unwrap();
    let (id, extra) = take(ids);

    // Answer both, so all_responses holds.
    carry(&t, &rid, &mut p, &p_rid);
    then(|ctx| {
        ctx.with_endpoint::<JobsRequires, _>("scrape", |ep, _| {
            for request in ep.new_requests()? {
                ep.create_response(
                    &request,
                    &JobResponse {
                        success: false,
                        reason: Some("no".into()),
                    },
                )?;
            }
            Ok::<_, RequestError>(())
        })
        .ok_or("no endpoint")??;
        Ok(())
    });
    p.fire_relation("changed", &p_rid, Some("target/0"))
        .unwrap();
    carry(&p, &p_rid, &mut t, &rid);
    t.fire_relation("changed", &rid, Some("prom/0")).unwrap();
    assert!(t.is_flag_set("endpoint.metrics.all_responses"));
    assert!(t.is_flag_set("endpoint.metrics.has_responses"));

    // Typed setters write the relation data at once.
    let id2 = id.clone();
    let changed = with_provides("metrics", move |ep| {
        let mut request = ep.request_mut(&id2).unwrap();
        assert!(request.is_created() && !request.is_received());
        request.set_job_name("renamed".to_string()).unwrap();
        request.set_ca_cert(Some("PEM".to_string())).unwrap();
        request.set_field("job_data", json!({"x": 1})).unwrap();
        let bad = request.set_field("job_name", json!(5));
        let unknown = request.set_field("nope", json!(1));
        let getter = request.job_name().clone();
        drop(request);
        let record = ep.get_request(&id2).unwrap().unwrap();
        (getter, record, bad, unknown)
    });
    t.fire("update-status").unwrap();
    let (getter, record, bad, unknown) = take(changed);
    assert_eq!(getter, "renamed");
    assert_eq!(record.job_name, "renamed");
    assert_eq!(record.ca_cert.as_deref(), Some("PEM"));
    assert_eq!(record.job_data, json!({"x": 1}));
    assert!(matches!(bad, Err(RequestError::Field(ref e)) if e.field == "job_name"));
    assert!(
        matches!(unknown, Err(RequestError::UnknownField { ref field, .. }) if field == "nope")
    );
    let stored: Value =
        serde_json::from_str(&t.published(&rid).unwrap()[&format!("request_{id}")]).unwrap();
    assert_eq!(stored["job_name"], json!("renamed"));
    assert_eq!(stored["request_id"], json!(id));

    // Withdraw one: its key leaves the relation (an empty value).
    let extra2 = extra.clone();
    let withdrawn = with_provides("metrics", move |ep| {
        let first = ep.withdraw_request(&extra2);
        let again = ep.withdraw_request(&extra2);
        (first, again)
    });
    let record = t.fire("update-status").unwrap().clone();
    let (first, again) = take(withdrawn);
    first.unwrap();
    assert!(matches!(again, Err(RequestError::NotFound { .. })));
    assert!(!t
        .published(&rid)
        .unwrap()
        .contains_key(&format!("request_{extra}")));
    assert!(
        !record.changed.is_empty(),
        "the removal was published with relation-set"
    );

    // withdraw through the handle too.
    let id3 = id.clone();
    let gone = with_provides("metrics", move |ep| {
        ep.request_mut(&id3).unwrap().withdraw();
        ep.requests().unwrap().len()
    });
    t.fire("update-status").unwrap();
    assert_eq!(take(gone), 0);
    assert!(request_keys(&t, &rid).is_empty());
    t.fire("update-status").unwrap();
    assert!(t.is_flag_set("endpoint.metrics.all_responses"));
    assert!(!t.is_flag_set("endpoint.metrics.has_responses"));
}

#[test]
fn forbidden_operations_give_typed_errors() {
    // One charm with both sides of the interface.
    let mut h = Harness::from_yaml(
        "name: both\nprovides:\n  metrics:\n    interface: jobs\nrequires:\n  scrape:\n    interface: jobs\n",
        "",
        registry(),
    )
    .unwrap();
    h.fire("install").unwrap();
    let m_rid = relate(&mut h, "metrics", "prom/0");
    let s_rid = relate(&mut h, "scrape", "target/0");
    let received_id = "0b7e2c9a-5f4d-4c3b-9a1e-2d3c4b5a6f70";
    let received = json!({
        "job_name": "remote", "job_data": {}, "ca_cert": null, "request_id": received_id,
    })
    .to_string();
    h.set_remote_unit_data(
        &s_rid,
        "target/0",
        &[(&format!("request_{received_id}"), &received)],
    )
    .unwrap();
    // The requester side's remote unit also publishes a request (as a
    // peer would): it cannot be changed here.
    h.set_remote_unit_data(
        &m_rid,
        "prom/0",
        &[(&format!("request_{received_id}"), &received)],
    )
    .unwrap();
    h.fire_relation("changed", &s_rid, Some("target/0"))
        .unwrap();
    h.fire_relation("changed", &m_rid, Some("prom/0")).unwrap();

    let out = std::rc::Rc::new(RefCell::new(Vec::<RequestError>::new()));
    let slot = out.clone();
    let m_rid2 = m_rid.clone();
    then(move |ctx| {
        let mut errors = Vec::new();
        let created = ctx
            .with_endpoint::<JobsProvides, _>("metrics", |ep, _| {
                let id = ep
                    .create_request(
                        &m_rid2,
                        &JobRequest {
                            job_name: "mine".into(),
                            job_data: json!({}),
                            ca_cert: None,
                        },
                    )
                    .unwrap();
                let mut handle = ep.request_mut(&id).unwrap();
                errors.push(handle.set_field("request_id", json!("x")).unwrap_err());
                errors.push(ep.request_mut(received_id).unwrap_err());
                errors.push(ep.withdraw_request(received_id).unwrap_err());
                errors.push(ep.request_mut("nope").unwrap_err());
                errors.push(
                    ep.create_request(
                        "metrics:999",
                        &JobRequest {
                            job_name: "x".into(),
                            job_data: json!({}),
                            ca_cert: None,
                        },
                    )
                    .unwrap_err(),
                );
                errors.push(
                    ep.create_or_update_request(
                        &["job_nam"],
                        &m_rid2,
                        &JobRequest {
                            job_name: "x".into(),
                            job_data: json!({}),
                            ca_cert: None,
                        },
                    )
                    .unwrap_err(),
                );
                ep.get_request(&id).unwrap().unwrap()
            })
            .ok_or("no requester")?;
        errors.push(created.set_field("job_name", json!("y")).unwrap_err());
        ctx.with_endpoint::<JobsRequires, _>("scrape", |ep, _| {
            let response = JobResponse {
                success: true,
                reason: None,
            };
            errors.push(ep.respond(&created, &response).unwrap_err());
            let received = ep.get_request(received_id).unwrap().unwrap();
            errors.push(received.set_field("job_name", json!("y")).unwrap_err());
            errors.push(received.set_field("request_id", json!("y")).unwrap_err());
        })
        .ok_or("no responder")?;
        *slot.borrow_mut() = errors;
        Ok(())
    });
    h.fire("update-status").unwrap();
    let errors = std::mem::take(&mut *out.borrow_mut());
    let shown: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    println!("{shown:#?}");
    assert!(matches!(errors[0], RequestError::RequestIdImmutable { .. }));
    assert!(
        matches!(errors[1], RequestError::ReceivedRequest { ref request_id } if request_id == received_id)
    );
    assert!(matches!(errors[2], RequestError::ReceivedRequest { .. }));
    assert!(matches!(errors[3], RequestError::NotFound { .. }));
    assert!(
        matches!(errors[4], RequestError::UnknownRelation { ref relation_id } if relation_id == "metrics:999")
    );
    assert!(
        matches!(errors[5], RequestError::UnknownField { ref field, .. } if field == "job_nam")
    );
    assert!(matches!(errors[6], RequestError::ReadOnlyRecord { .. }));
    assert!(matches!(errors[7], RequestError::RespondToCreated { .. }));
    assert!(matches!(errors[8], RequestError::ReceivedRequest { .. }));
    assert!(matches!(errors[9], RequestError::ReceivedRequest { .. }));
    assert_eq!(errors.len(), 10);
    assert!(shown[7].contains("created by this side"));
    // Nothing was answered.
    assert!(!h
        .published(&m_rid)
        .unwrap()
        .keys()
        .any(|k| k.starts_with("response_")));
}

#[test]
fn malformed_remote_requests_are_skipped_with_a_warning() {
    let mut p = prom();
    let rid = relate(&mut p, "scrape", "target/0");
    let good = "11111111-2222-4333-8444-555555555555";
    let upper = "AAAAAAAA-2222-4333-8444-555555555555";
    let other = "99999999-2222-4333-8444-555555555555";
    let wrong_type = "88888888-2222-4333-8444-555555555555";
    let not_json = "77777777-2222-4333-8444-555555555555";
    let body = |id: &str| {
        json!({"job_name": "n", "job_data": {}, "ca_cert": null, "request_id": id}).to_string()
    };
    let good_body = body(good);
    let upper_body = body(upper);
    let bad_id_body = body("not-a-uuid");
    let mismatched = body(good);
    let wrong_type_body =
        json!({"job_name": 5, "job_data": {}, "request_id": wrong_type}).to_string();
    p.set_remote_unit_data(
        &rid,
        "target/0",
        &[
            (&format!("request_{good}"), &good_body),
            (&format!("request_{upper}"), &upper_body),
            ("request_not-a-uuid", &bad_id_body),
            ("request_../../etc", &bad_id_body),
            (&format!("request_{other}"), &mismatched),
            (&format!("request_{wrong_type}"), &wrong_type_body),
            (&format!("request_{not_json}"), "[1, 2]"),
            ("request_", "{}"),
            ("unrelated", "\"fine\""),
        ],
    )
    .unwrap();
    let seen = with_requires("scrape", |ep| ep.all_requests().unwrap());
    p.fire_relation("changed", &rid, Some("target/0")).unwrap();
    let seen = take(seen);
    assert_eq!(
        seen.iter()
            .map(|r| r.request_id().to_string())
            .collect::<Vec<_>>(),
        vec![good.to_string()]
    );
    assert!(p.is_flag_set("endpoint.scrape.has_requests"));
    assert!(p.is_flag_set("endpoint.scrape.new_requests"));
    let warnings = warnings(&p);
    for key in [
        format!("request_{upper}"),
        "request_not-a-uuid".to_string(),
        "request_../../etc".to_string(),
        format!("request_{other}"),
        format!("request_{wrong_type}"),
        format!("request_{not_json}"),
    ] {
        assert!(
            warnings
                .iter()
                .any(|w| w.contains(&format!("`{key}`")) && w.contains("target/0")),
            "no warning for {key}: {warnings:#?}"
        );
    }
    assert!(!warnings.iter().any(|w| w.contains("unrelated")));
    assert!(!warnings
        .iter()
        .any(|w| w.contains(&format!("request_{good}`"))));
}

#[test]
fn malformed_remote_responses_are_skipped_with_a_warning() {
    let mut t = target();
    let rid = relate(&mut t, "metrics", "prom/0");
    let ids = with_provides("metrics", |ep| {
        ep.register_job("node", job("a"), None, None)
    });
    t.fire("update-status").unwrap();
    let id = take(ids).unwrap().remove(0);
    t.set_remote_unit_data(
        &rid,
        "prom/0",
        &[(&format!("response_{id}"), "{\"success\": \"yes\"}")],
    )
    .unwrap();
    t.fire_relation("changed", &rid, Some("prom/0")).unwrap();
    assert!(!t.is_flag_set("endpoint.metrics.has_responses"));
    assert!(!t.is_flag_set("endpoint.metrics.all_responses"));
    assert!(warnings(&t)
        .iter()
        .any(|w| w.contains(&format!("`response_{id}`")) && w.contains("prom/0")));
}

#[test]
fn published_request_is_byte_exact() {
    let mut t = target();
    let rid = relate(&mut t, "metrics", "prom/0");
    let ids = with_provides("metrics", |ep| {
        ep.register_job("x", json!({"b": [1, 2.5], "a": "é"}), None, None)
    });
    t.fire("update-status").unwrap();
    let id = take(ids).unwrap().remove(0);
    assert_eq!(
        t.published(&rid).unwrap()[&format!("request_{id}")],
        format!(
            r#"{{"ca_cert": null, "job_data": {{"a": "\u00e9", "b": [1, 2.5]}}, "job_name": "x", "request_id": "{id}"}}"#
        )
    );
}

#[test]
fn finder_by_request_id_and_getters_on_records() {
    let mut t = target();
    let rid = relate(&mut t, "metrics", "prom/0");
    let ids = with_provides("metrics", |ep| {
        ep.register_job("node", job("a"), None, None)
    });
    t.fire("update-status").unwrap();
    let id = take(ids).unwrap().remove(0);
    t.set_remote_unit_data(
        &rid,
        "prom/0",
        &[(
            &format!("response_{id}"),
            r#"{"reason": "bad port", "success": false}"#,
        )],
    )
    .unwrap();
    t.fire_relation("changed", &rid, Some("prom/0")).unwrap();
    let id2 = id.clone();
    let found = with_provides("metrics", move |ep| {
        let by_id = ep.response_by_request_id(id2.as_str(), None).unwrap();
        let by_data = ep
            .response_by_job_data(&job("a"), Some("metrics:0"))
            .unwrap();
        let by_cert = ep.response_by_ca_cert(&None::<String>, None).unwrap();
        (by_id, by_data, by_cert)
    });
    t.fire("update-status").unwrap();
    let (by_id, by_data, by_cert) = take(found);
    let by_id = by_id.expect("found by id");
    assert!(!by_id.success);
    assert_eq!(by_id.reason.as_deref(), Some("bad port"));
    assert!(by_data.is_some());
    assert!(by_cert.is_some());
}

#[test]
fn find_and_create_or_update_follow_creation_order_and_get_all_is_by_id() {
    let mut t = target();
    let rid = relate(&mut t, "metrics", "prom/0");
    let request = |n: usize| JobRequest {
        job_name: "dup".to_string(),
        job_data: json!(n),
        ca_cert: None,
    };
    // Six requests for the same job, created in one hook (their random ids
    // are almost never in creation order).
    let rid2 = rid.clone();
    let out = with_provides("metrics", move |ep| {
        let created: Vec<String> = (0..6)
            .map(|n| ep.create_request(&rid2, &request(n)).unwrap())
            .collect();
        let dup = [("job_name", json!("dup"))];
        let first = ep.find_request(None, &dup).unwrap().unwrap();
        let all: Vec<String> = ep
            .find_all_requests(&dup)
            .unwrap()
            .iter()
            .map(|r| r.request_id().to_string())
            .collect();
        let updated = ep
            .create_or_update_request(&["job_name"], &rid2, &request(99))
            .unwrap();
        let by_id: Vec<String> = ep
            .get_all_requests()
            .unwrap()
            .iter()
            .map(|r| r.request_id().to_string())
            .collect();
        (created, first.request_id().to_string(), all, updated, by_id)
    });
    t.fire("update-status").unwrap();
    let (created, first, all, updated, by_id) = take(out);
    assert_eq!(first, created[0], "find: the first created");
    assert_eq!(all, created, "find_all: in creation order");
    assert_eq!(updated, created[0], "create_or_update: the first created");
    let mut sorted = created.clone();
    sorted.sort();
    assert_eq!(by_id, sorted, "get_all: by request id");

    // In a later hook, the requests read from the relation come first (by
    // id, as Juju lists the keys), then those created in this hook.
    let rid2 = rid.clone();
    let out = with_provides("metrics", move |ep| {
        let new = ep.create_request(&rid2, &request(7)).unwrap();
        let all: Vec<String> = ep
            .find_all_requests(&[("job_name", json!("dup"))])
            .unwrap()
            .iter()
            .map(|r| r.request_id().to_string())
            .collect();
        (new, all)
    });
    t.fire("update-status").unwrap();
    let (new, all) = take(out);
    let mut expected = sorted.clone();
    expected.push(new);
    assert_eq!(all, expected);
}

#[test]
fn malformed_requests_reach_the_responder_and_can_be_answered() {
    let mut p = prom();
    let rid = relate(&mut p, "scrape", "target/0");
    let wrong_type = "88888888-2222-4333-8444-555555555555";
    let not_object = "77777777-2222-4333-8444-555555555555";
    p.set_remote_unit_data(
        &rid,
        "target/0",
        &[
            (
                &format!("request_{wrong_type}"),
                &json!({"job_name": 5, "job_data": {}, "request_id": wrong_type}).to_string(),
            ),
            (&format!("request_{not_object}"), "[1, 2]"),
            // Not answerable: no canonical id to answer under.
            ("request_not-a-uuid", "{}"),
        ],
    )
    .unwrap();
    let seen = with_requires("scrape", |ep| {
        let malformed = ep.malformed_requests().unwrap();
        for request in &malformed {
            let response = JobResponse {
                success: false,
                reason: Some(request.reason().to_string()),
            };
            ep.respond_to_malformed(request, &response).unwrap();
        }
        malformed
            .iter()
            .map(|m| {
                (
                    m.request_id().to_string(),
                    m.relation_id().to_string(),
                    m.unit_name().to_string(),
                    m.reason().to_string(),
                    m.has_response(),
                )
            })
            .collect::<Vec<_>>()
    });
    p.fire_relation("changed", &rid, Some("target/0")).unwrap();
    let seen = take(seen);
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0].0, not_object);
    assert!(seen[0].3.contains("not a JSON object"), "{seen:?}");
    assert_eq!(seen[1].0, wrong_type);
    assert_eq!(
        (seen[1].1.as_str(), seen[1].2.as_str()),
        (rid.as_str(), "target/0")
    );
    assert!(seen[1].3.contains("field `job_name`"), "{seen:?}");
    assert!(seen.iter().all(|s| !s.4));
    // The requester gets an answer naming the field.
    let published = p.published(&rid).unwrap();
    let answer: Value =
        serde_json::from_str(&published[&format!("response_{wrong_type}")]).unwrap();
    assert_eq!(answer["success"], json!(false));
    assert!(answer["reason"]
        .as_str()
        .unwrap()
        .contains("field `job_name`"));
    assert!(published.contains_key(&format!("response_{not_object}")));
    // Answered: no longer new in the next hook.
    let seen = with_requires("scrape", |ep| {
        ep.malformed_requests()
            .unwrap()
            .iter()
            .all(|m| m.has_response())
    });
    p.fire("update-status").unwrap();
    assert!(take(seen));
    assert!(p.is_flag_set("endpoint.scrape.has_requests"));
    assert!(!p.is_flag_set("endpoint.scrape.new_requests"));
}

#[test]
fn an_unanswered_malformed_request_is_new() {
    let mut p = prom();
    let rid = relate(&mut p, "scrape", "target/0");
    let id = "88888888-2222-4333-8444-555555555555";
    p.set_remote_unit_data(
        &rid,
        "target/0",
        &[(
            &format!("request_{id}"),
            &json!({"job_name": 5, "job_data": {}, "request_id": id}).to_string(),
        )],
    )
    .unwrap();
    p.fire_relation("changed", &rid, Some("target/0")).unwrap();
    assert!(p.is_flag_set("endpoint.scrape.has_requests"));
    assert!(p.is_flag_set("endpoint.scrape.new_requests"));
}
