//! What the telemetry contract says each step leaves, and the observation
//! of a run normalised for comparing the two modes.

use super::*;

// ---- what the contract says -------------------------------------------------------

const SUCCESS: &str = r#"{"reason": null, "success": true}"#;

fn bad_target_reason(target: &str) -> String {
    format!("target `{target}` must be host:port with a port from 1 to 65535")
}

/// The request a target publishes, byte for byte (Python's
/// `json.dumps(sort_keys=True)`), for a job scraping `target`.
fn expected_request(id: &str, target: &str, ca_cert: Option<&str>) -> String {
    let job_data = match ca_cert {
        None => format!(r#"{{"scheme": "http", "static_configs": [{{"targets": ["{target}"]}}]}}"#),
        Some(_) => format!(
            r#"{{"scheme": "http", "static_configs": [{{"targets": ["{target}"]}}], "tls_config": {{"ca_file": "__ca_file__"}}}}"#
        ),
    };
    let ca = match ca_cert {
        None => "null".to_string(),
        Some(pem) => serde_json::to_string(pem).unwrap(),
    };
    format!(
        r#"{{"ca_cert": {ca}, "client_cert": null, "client_key": null, "job_data": {job_data}, "job_name": "node", "request_id": "{id}"}}"#
    )
}

/// `prometheus.yml` for these jobs, each (request id, target, with a CA):
/// JSON with 2-space indent, sorted keys and a final newline.
fn expected_prometheus_yml(run: &Run, jobs: &[(&str, &str, bool)]) -> (String, Value) {
    let mut rendered: Vec<Value> = jobs
        .iter()
        .map(|(id, target, ca)| {
            let mut job = json!({
                "job_name": format!("node-{id}"),
                "scheme": "http",
                "static_configs": [{"targets": [target]}],
            });
            if *ca {
                let file = run.prometheus_dir.join(format!("certs/{id}/ca.crt"));
                job["tls_config"] = json!({"ca_file": file.to_string_lossy()});
            }
            job
        })
        .collect();
    rendered.sort_by(|a, b| a["job_name"].as_str().cmp(&b["job_name"].as_str()));
    let value = json!({ "scrape_configs": rendered });
    (
        format!("{}\n", serde_json::to_string_pretty(&value).unwrap()),
        value,
    )
}

fn check_prometheus_yml(run: &Run, o: &Observed, jobs: &[(&str, &str, bool)]) {
    let what = format!("{}: {}", run.mode, o.report.step);
    let text = o
        .prometheus_yml
        .as_deref()
        .unwrap_or_else(|| panic!("{what}: no prometheus.yml"));
    let (expected_text, expected) = expected_prometheus_yml(run, jobs);
    let parsed: Value = serde_json::from_str(text).unwrap();
    assert_eq!(parsed, expected, "{what}: prometheus.yml");
    assert_eq!(text, expected_text, "{what}: prometheus.yml's form");
    // The same again, the way an operator would read it.
    let configs = parsed["scrape_configs"].as_array().unwrap();
    assert_eq!(configs.len(), jobs.len(), "{what}");
    let names: Vec<&str> = configs
        .iter()
        .map(|j| j["job_name"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "{what}: jobs sorted by job_name");
    // The report shows the file as it is.
    let shown = o
        .report
        .files
        .iter()
        .find(|f| f.name == "prometheus/0:prometheus.yml")
        .and_then(|f| f.content.as_deref());
    assert_eq!(shown, Some(text), "{what}: the report shows prometheus.yml");
}

fn check_certs(run: &Run, o: &Observed, with_ca: &[&str], pem: &str) {
    let what = format!("{}: {}", run.mode, o.report.step);
    let dirs: BTreeSet<String> = with_ca.iter().map(|id| id.to_string()).collect();
    assert_eq!(o.cert_dirs, dirs, "{what}: the folders under certs/");
    let files: BTreeMap<String, (String, u32)> = with_ca
        .iter()
        .map(|id| (format!("{id}/ca.crt"), (pem.to_string(), 0o644)))
        .collect();
    assert_eq!(
        o.cert_files, files,
        "{what}: the files under certs/ (content, mode)"
    );
}

/// Both targets' requests and prometheus's responses while related: one
/// request per target unit, each answered as `verdict` says.
fn check_requests_and_responses(
    run: &Run,
    o: &Observed,
    targets: &[&str],
    port: u16,
    ca_cert: Option<&str>,
    ids: &BTreeMap<String, String>,
) {
    let what = format!("{}: {}", run.mode, o.report.step);
    let answered = responses(o, PROMETHEUS);
    for target_unit in targets {
        let (id, raw, decoded) = only_request(o, target_unit);
        assert_eq!(
            Some(&id),
            ids.get(*target_unit),
            "{what}: {target_unit} keeps its request id (create-or-update)"
        );
        let target = format!("{}:{port}", ingress(o, target_unit));
        assert_eq!(
            raw,
            expected_request(&id, &target, ca_cert),
            "{what}: {target_unit}'s request"
        );
        assert_eq!(decoded["request_id"], json!(id), "{what}");
        let (response, _) = answered
            .get(&id)
            .unwrap_or_else(|| panic!("{what}: no response to {target_unit}'s request {id}"));
        let expected = if port == 0 {
            format!(
                r#"{{"reason": "{}", "success": false}}"#,
                bad_target_reason(&target)
            )
        } else {
            SUCCESS.to_string()
        };
        assert_eq!(response, &expected, "{what}: the response to {target_unit}");
    }
    // Responses only to requests seen on the relation (the response to a
    // departed unit's request stays published until the relation goes).
    let known: BTreeSet<&String> = ids.values().collect();
    for id in answered.keys() {
        assert!(
            known.contains(id),
            "{what}: a response to an unknown request {id}"
        );
    }
}

/// The statuses and flags of the targets while related, all answered.
fn check_related_targets(run: &Run, o: &Observed, targets: &[&str], port: u16) {
    let what = format!("{}: {}", run.mode, o.report.step);
    for target_unit in targets {
        let expected_status = if port == 0 {
            let target = format!("{}:0", ingress(o, target_unit));
            ("blocked".to_string(), bad_target_reason(&target))
        } else {
            (
                "active".to_string(),
                "registered with 1 scraper(s)".to_string(),
            )
        };
        assert_eq!(
            status(o, target_unit),
            expected_status,
            "{what}: {target_unit}"
        );
        let mut flags = set(&[
            "endpoint.metrics.joined",
            "endpoint.metrics.has_responses",
            "endpoint.metrics.all_responses",
            "endpoint.metrics.available",
            "scrape-target.registered",
        ]);
        if *target_unit == TARGET_0 {
            flags.insert("leadership.is_leader".into());
        }
        assert_eq!(
            flags_of_interest(o, target_unit),
            flags,
            "{what}: {target_unit}"
        );
        for id in responses(o, PROMETHEUS).keys() {
            let changed = format!("endpoint.metrics.changed.response_{id}");
            assert!(
                unit(o, target_unit).flags.contains(&changed),
                "{what}: {target_unit} lacks {changed}"
            );
        }
    }
}

fn check_related_prometheus(run: &Run, o: &Observed, jobs: usize, ids: &BTreeMap<String, String>) {
    let what = format!("{}: {}", run.mode, o.report.step);
    assert_eq!(
        status(o, PROMETHEUS),
        ("active".to_string(), format!("scraping {jobs} job(s)")),
        "{what}"
    );
    assert_eq!(
        flags_of_interest(o, PROMETHEUS),
        set(&[
            "leadership.is_leader",
            "endpoint.scrape.joined",
            "endpoint.scrape.has_requests",
        ]),
        "{what}: prometheus/0 (no new_requests, changed, departed, config.stale)"
    );
    for id in ids.values() {
        let changed = format!("endpoint.scrape.changed.request_{id}");
        assert!(
            unit(o, PROMETHEUS).flags.contains(&changed),
            "{what}: prometheus/0 lacks {changed}"
        );
    }
}

fn ca_pem(scenario_step: &Step) -> String {
    match scenario_step {
        Step::Config { values, .. } => values["ca-cert"].as_str().unwrap().to_string(),
        other => panic!("step 5 is no config step: {other:?}"),
    }
}

/// Check the seven steps of the contract on one run.
pub(super) fn check_contract(run: &Run) {
    let mode = run.mode;
    // The action step is checked by `check_list_jobs`.
    let s: Vec<&Observed> = run
        .steps
        .iter()
        .filter(|o| !matches!(o.step, Step::RunAction { .. }))
        .collect();
    assert_eq!(
        s.len(),
        8,
        "{mode}: the scenario's steps (two deploys, then steps 2 to 7)"
    );
    let everyone_ran = |o: &Observed| {
        for h in &o.report.hooks {
            assert!(
                h.result.is_ok(),
                "{mode}: {}: {} on {} failed",
                o.report.step,
                h.hook,
                h.unit
            );
        }
    };
    s.iter().copied().for_each(everyone_ran);

    // ---- 1. deploy prometheus, then scrape-target ---------------------------
    let (o, what) = (&s[0], format!("{mode}: step 1 (deploy prometheus)"));
    assert!(
        matches!(&o.step, Step::Deploy { app, units: 1, .. } if app == "prometheus"),
        "{what}"
    );
    assert_eq!(
        hooks(o),
        ["install", "leader-elected", "config-changed", "start"].map(|h| hook(PROMETHEUS, h, None)),
        "{what}"
    );
    assert_eq!(
        status(o, PROMETHEUS),
        ("waiting".into(), "waiting for targets".into()),
        "{what}"
    );
    assert_eq!(
        flags_of_interest(o, PROMETHEUS),
        set(&["leadership.is_leader"]),
        "{what}"
    );
    assert!(
        o.prometheus_yml.is_none() && o.cert_dirs.is_empty(),
        "{what}"
    );

    let (o, what) = (&s[1], format!("{mode}: step 1 (deploy scrape-target)"));
    assert!(
        matches!(&o.step, Step::Deploy { app, units: 2, .. } if app == "scrape-target"),
        "{what}"
    );
    let mut expected = Vec::new();
    for h in ["install", "leader-elected", "config-changed", "start"] {
        expected.push(hook(TARGET_0, h, None));
    }
    for h in ["install", "config-changed", "start"] {
        expected.push(hook(TARGET_1, h, None));
    }
    assert_eq!(hooks(o), expected, "{what}");
    assert_eq!(
        o.report
            .units
            .iter()
            .map(|u| u.unit.as_str())
            .collect::<Vec<_>>(),
        [PROMETHEUS, TARGET_0, TARGET_1],
        "{what}"
    );
    assert_eq!(
        status(o, PROMETHEUS),
        ("waiting".into(), "waiting for targets".into()),
        "{what}"
    );
    for t in [TARGET_0, TARGET_1] {
        assert_eq!(
            status(o, t),
            ("waiting".into(), "waiting for scraper".into()),
            "{what}: {t}"
        );
        assert!(unit(o, t).published.is_empty(), "{what}: {t}");
    }
    // No request yet: every one (of none) is answered.
    assert_eq!(
        flags_of_interest(o, TARGET_0),
        set(&["leadership.is_leader", "endpoint.metrics.all_responses"]),
        "{what}"
    );
    assert_eq!(
        flags_of_interest(o, TARGET_1),
        set(&["endpoint.metrics.all_responses"]),
        "{what}"
    );
    assert!(
        o.prometheus_yml.is_none() && o.cert_dirs.is_empty(),
        "{what}"
    );

    // ---- 2. relate -----------------------------------------------------------
    let (o, what) = (&s[2], format!("{mode}: step 2 (relate)"));
    assert!(matches!(&o.step, Step::Relate(..)), "{what}");
    let h = hooks(o);
    assert!(h.len() > 11, "{what}: {h:?}");
    let created: BTreeSet<_> = h[..3].iter().cloned().collect();
    assert_eq!(
        created,
        BTreeSet::from([
            hook(PROMETHEUS, "scrape-relation-created", None),
            hook(TARGET_0, "metrics-relation-created", None),
            hook(TARGET_1, "metrics-relation-created", None),
        ]),
        "{what}: -relation-created first"
    );
    let mut pairs = BTreeSet::new();
    for pair in h[3..11].chunks(2) {
        let (joined, changed) = (&pair[0], &pair[1]);
        assert!(joined.1.ends_with("-relation-joined"), "{what}: {pair:?}");
        assert_eq!(
            (
                &changed.0,
                changed.1.replace("-changed", "-joined"),
                &changed.2
            ),
            (&joined.0, joined.1.clone(), &joined.2),
            "{what}: -joined then -changed for the same remote unit"
        );
        pairs.insert((joined.0.clone(), joined.2.clone().unwrap()));
    }
    let s_ = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(
        pairs,
        BTreeSet::from([
            s_(TARGET_0, PROMETHEUS),
            s_(TARGET_1, PROMETHEUS),
            s_(PROMETHEUS, TARGET_0),
            s_(PROMETHEUS, TARGET_1),
        ]),
        "{what}: every unit joins every remote unit"
    );
    for later in &h[11..] {
        assert!(
            later.1.ends_with("-relation-changed"),
            "{what}: then only -changed: {later:?}"
        );
    }
    let ids: BTreeMap<String, String> = [TARGET_0, TARGET_1]
        .iter()
        .map(|t| (t.to_string(), only_request(o, t).0))
        .collect();
    assert_ne!(ids[TARGET_0], ids[TARGET_1], "{what}");
    assert_ne!(ingress(o, TARGET_0), ingress(o, TARGET_1), "{what}");
    check_related_prometheus(run, o, 2, &ids);
    check_related_targets(run, o, &[TARGET_0, TARGET_1], 9100);
    check_requests_and_responses(run, o, &[TARGET_0, TARGET_1], 9100, None, &ids);
    assert_eq!(responses(o, PROMETHEUS).len(), 2, "{what}");
    let t = |unit: &str, port: u16| format!("{}:{port}", ingress(o, unit));
    let (t0, t1) = (t(TARGET_0, 9100), t(TARGET_1, 9100));
    check_prometheus_yml(
        run,
        o,
        &[(&ids[TARGET_0], &t0, false), (&ids[TARGET_1], &t1, false)],
    );
    check_certs(run, o, &[], "");

    // ---- 3. port=9200 --------------------------------------------------------
    let (o, what) = (&s[3], format!("{mode}: step 3 (port=9200)"));
    assert!(
        matches!(&o.step, Step::Config { values, .. } if values["port"] == json!(9200)),
        "{what}"
    );
    let h = hooks(o);
    assert_eq!(
        h[..2],
        [
            hook(TARGET_0, "config-changed", None),
            hook(TARGET_1, "config-changed", None)
        ],
        "{what}"
    );
    assert!(
        h[2..].iter().all(|x| x.1.ends_with("-relation-changed")),
        "{what}: {h:?}"
    );
    assert!(h.len() > 2, "{what}: the updated requests reach prometheus");
    check_related_prometheus(run, o, 2, &ids);
    check_related_targets(run, o, &[TARGET_0, TARGET_1], 9200);
    check_requests_and_responses(run, o, &[TARGET_0, TARGET_1], 9200, None, &ids);
    let (t0, t1) = (t(TARGET_0, 9200), t(TARGET_1, 9200));
    check_prometheus_yml(
        run,
        o,
        &[(&ids[TARGET_0], &t0, false), (&ids[TARGET_1], &t1, false)],
    );
    check_certs(run, o, &[], "");

    // ---- 4. port=0: refused --------------------------------------------------
    let (o, what) = (&s[4], format!("{mode}: step 4 (port=0)"));
    assert!(
        matches!(&o.step, Step::Config { values, .. } if values["port"] == json!(0)),
        "{what}"
    );
    check_related_prometheus(run, o, 0, &ids);
    check_related_targets(run, o, &[TARGET_0, TARGET_1], 0);
    check_requests_and_responses(run, o, &[TARGET_0, TARGET_1], 0, None, &ids);
    assert_eq!(
        status(o, TARGET_0).1,
        bad_target_reason(&t(TARGET_0, 0)),
        "{what}: the reason names the unit's own target"
    );
    check_prometheus_yml(run, o, &[]);
    assert_eq!(
        o.prometheus_yml.as_deref(),
        Some("{\n  \"scrape_configs\": []\n}\n"),
        "{what}"
    );
    check_certs(run, o, &[], "");

    // ---- 5. port=9200 and a CA: accepted, certificates written ---------------
    let (o, what) = (&s[5], format!("{mode}: step 5 (port=9200, ca-cert)"));
    let pem = ca_pem(&o.step);
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"), "{what}");
    check_related_prometheus(run, o, 2, &ids);
    check_related_targets(run, o, &[TARGET_0, TARGET_1], 9200);
    check_requests_and_responses(run, o, &[TARGET_0, TARGET_1], 9200, Some(&pem), &ids);
    check_prometheus_yml(
        run,
        o,
        &[(&ids[TARGET_0], &t0, true), (&ids[TARGET_1], &t1, true)],
    );
    check_certs(run, o, &[&ids[TARGET_0], &ids[TARGET_1]], &pem);
    let yml: Value = serde_json::from_str(o.prometheus_yml.as_deref().unwrap()).unwrap();
    for job in yml["scrape_configs"].as_array().unwrap() {
        let ca_file = Path::new(job["tls_config"]["ca_file"].as_str().unwrap());
        assert!(ca_file.is_absolute(), "{what}: {}", ca_file.display());
        let id = job["job_name"]
            .as_str()
            .unwrap()
            .strip_prefix("node-")
            .unwrap();
        assert_eq!(
            ca_file,
            run.prometheus_dir.join("certs").join(id).join("ca.crt"),
            "{what}: the job's ca_file is its own certificate"
        );
    }

    // ---- 6. remove scrape-target/1 -------------------------------------------
    let (o, what) = (
        &s[6],
        format!("{mode}: step 6 (remove-unit scrape-target/1)"),
    );
    assert_eq!(o.step, Step::RemoveUnit(TARGET_1.into()), "{what}");
    assert_eq!(
        hooks(o),
        [
            hook(TARGET_1, "metrics-relation-departed", Some(PROMETHEUS)),
            hook(TARGET_1, "metrics-relation-broken", None),
            hook(PROMETHEUS, "scrape-relation-departed", Some(TARGET_1)),
            hook(TARGET_1, "stop", None),
            hook(TARGET_1, "remove", None),
        ],
        "{what}"
    );
    let departed = &o.report.hooks[2];
    assert!(
        departed
            .invoked
            .iter()
            .any(|id| id.ends_with(":forget_departed")),
        "{what}: {:?}",
        departed.invoked
    );
    assert!(
        departed.flags_cleared.is_empty() && departed.flags_set.is_empty(),
        "{what}: endpoint.scrape.departed set and cleared in the hook: {departed:?}"
    );
    assert!(
        o.logs[PROMETHEUS].iter().any(|l| l
            .starts_with("scrape target scrape-target/1 (relation scrape:")
            && l.ends_with(") departed")),
        "{what}: the departed unit is logged: {:?}",
        o.logs[PROMETHEUS]
    );
    assert_eq!(
        o.report
            .units
            .iter()
            .map(|u| u.unit.as_str())
            .collect::<Vec<_>>(),
        [PROMETHEUS, TARGET_0],
        "{what}"
    );
    check_related_prometheus(run, o, 1, &ids);
    check_related_targets(run, o, &[TARGET_0], 9200);
    check_requests_and_responses(run, o, &[TARGET_0], 9200, Some(&pem), &ids);
    check_prometheus_yml(run, o, &[(&ids[TARGET_0], &t0, true)]);
    check_certs(run, o, &[&ids[TARGET_0]], &pem);

    // ---- 7. remove the relation ---------------------------------------------
    let (o, what) = (&s[7], format!("{mode}: step 7 (remove-relation)"));
    assert!(matches!(&o.step, Step::RemoveRelation(..)), "{what}");
    assert_eq!(
        hooks(o),
        [
            hook(PROMETHEUS, "scrape-relation-departed", Some(TARGET_0)),
            hook(PROMETHEUS, "scrape-relation-broken", None),
            hook(TARGET_0, "metrics-relation-departed", Some(PROMETHEUS)),
            hook(TARGET_0, "metrics-relation-broken", None),
        ],
        "{what}"
    );
    // The last unit's -departed hook writes the (now empty) config and
    // ends active; -broken then ends waiting.
    assert_eq!(
        last_status_set(&o.report.hooks[0]),
        Some(("active".into(), "scraping 0 job(s)".into())),
        "{what}: the end of scrape-relation-departed"
    );
    assert_eq!(
        last_status_set(&o.report.hooks[1]),
        Some(("waiting".into(), "waiting for targets".into())),
        "{what}: the end of scrape-relation-broken"
    );
    assert_eq!(
        status(o, PROMETHEUS),
        ("waiting".into(), "waiting for targets".into()),
        "{what}"
    );
    assert_eq!(
        flags_of_interest(o, PROMETHEUS),
        set(&["leadership.is_leader"]),
        "{what}: prometheus/0 (departed handled and cleared)"
    );
    assert_eq!(
        status(o, TARGET_0),
        ("waiting".into(), "waiting for scraper".into()),
        "{what}"
    );
    assert_eq!(
        flags_of_interest(o, TARGET_0),
        set(&["leadership.is_leader", "endpoint.metrics.departed"]),
        "{what}: scrape-target/0"
    );
    for u in &o.report.units {
        assert!(u.published.is_empty(), "{what}: {} still publishes", u.unit);
    }
    check_prometheus_yml(run, o, &[]);
    assert_eq!(
        o.prometheus_yml.as_deref(),
        Some("{\n  \"scrape_configs\": []\n}\n"),
        "{what}"
    );
    check_certs(run, o, &[], "");
}

/// The `list-jobs` action after relating: one run on prometheus/0 that
/// lists both targets' jobs, accepted, with their targets; it changes no
/// flag and starts no hook.
pub(super) fn check_list_jobs(run: &Run) {
    let mode = run.mode;
    let o = &run.steps[3];
    let what = format!("{mode}: the list-jobs action");
    assert!(
        matches!(&o.step, Step::RunAction { unit, action, .. } if unit == PROMETHEUS && action == "list-jobs"),
        "{what}: {:?}",
        o.step
    );
    assert_eq!(hooks(o), [hook(PROMETHEUS, "list-jobs", None)], "{what}");
    let h = &o.report.hooks[0];
    assert_eq!(h.invoked.len(), 1, "{what}: {:?}", h.invoked);
    assert!(
        h.invoked[0].ends_with(":list_jobs"),
        "{what}: {:?}",
        h.invoked
    );
    assert!(
        h.flags_set.is_empty() && h.flags_cleared.is_empty(),
        "{what}: {h:?}"
    );
    assert_eq!(o.report.actions.len(), 1, "{what}");
    let a = &o.report.actions[0];
    assert_eq!(a.failure, None, "{what}");
    assert_eq!(a.params, json!({"format": "json"}), "{what}");
    assert_eq!(a.results["count"], "2", "{what}: {}", a.results);
    assert_eq!(a.logs, ["2 job(s) requested"], "{what}");
    let jobs: Value = serde_json::from_str(a.results["jobs"].as_str().unwrap()).unwrap();
    let jobs = jobs.as_array().unwrap();
    assert_eq!(jobs.len(), 2, "{what}: {jobs:?}");
    let relate = &run.steps[2];
    let mut targets = BTreeSet::new();
    for job in jobs {
        assert_eq!(job["verdict"], "accepted", "{what}: {job}");
        assert_eq!(job["reason"], Value::Null, "{what}: {job}");
        for t in job["targets"].as_array().unwrap() {
            targets.insert(t.as_str().unwrap().to_string());
        }
    }
    let expected: BTreeSet<String> = [TARGET_0, TARGET_1]
        .iter()
        .map(|t| format!("{}:9100", ingress(relate, t)))
        .collect();
    assert_eq!(targets, expected, "{what}");
    let text = o.report.to_text();
    assert!(
        text.contains("action list-jobs on prometheus/0: completed"),
        "{what}: {text}"
    );
    assert_eq!(
        o.report.to_json()["actions"][0]["results"]["count"],
        "2",
        "{what}"
    );
}

// ---- comparing the modes ------------------------------------------------------------

/// A step's observation as JSON, with the request ids (random) and the
/// working directory (per run) replaced by stable names.
pub(super) fn normalised(run: &Run, o: &Observed, ids: &BTreeMap<String, String>) -> Value {
    let replace = |text: &str| -> String {
        let mut text = text.replace(&run.workdir.to_string_lossy().into_owned(), "<workdir>");
        for (unit, id) in ids {
            text = text.replace(id.as_str(), &format!("<request of {unit}>"));
        }
        text
    };
    let value = json!({
        "step": o.report.step,
        "error": o.report.error,
        "hooks": o.report.hooks.iter().map(|h| json!({
            "unit": h.unit,
            "hook": h.hook,
            "remote_unit": h.remote_unit,
            "invoked": h.invoked,
            "calls": h.calls.iter().map(|c| json!([c.tool, c.args])).collect::<Vec<_>>(),
            "flags_set": h.flags_set,
            "flags_cleared": h.flags_cleared,
            "result": format!("{:?}", h.result),
        })).collect::<Vec<_>>(),
        "units": o.report.units.iter().map(|u| json!({
            "unit": u.unit,
            "status": u.status,
            "flags": u.flags,
            "published": u.published,
        })).collect::<Vec<_>>(),
        "actions": o.report.actions.iter().map(|a| a.to_json()).collect::<Vec<_>>(),
        "prometheus.yml": o.prometheus_yml,
        "cert_files": o.cert_files,
        "cert_dirs": o.cert_dirs,
        "logs": o.logs,
    });
    let mut value: Value = serde_json::from_str(&replace(&value.to_string())).unwrap();
    // What is ordered by request id (random) is compared as sets.
    let sort = |v: &mut Value| {
        if let Value::Array(items) = v {
            items.sort_by_key(|item| item.to_string());
        }
    };
    for h in value["hooks"].as_array_mut().unwrap() {
        sort(&mut h["flags_set"]);
        sort(&mut h["flags_cleared"]);
    }
    for u in value["units"].as_array_mut().unwrap() {
        sort(&mut u["flags"]);
    }
    sort(&mut value["cert_dirs"]);
    if let Some(text) = value["prometheus.yml"].as_str() {
        let mut yml: Value = serde_json::from_str(text).unwrap();
        sort(&mut yml["scrape_configs"]);
        value["prometheus.yml"] = yml;
    }
    value
}

pub(super) fn request_ids(run: &Run) -> BTreeMap<String, String> {
    [TARGET_0, TARGET_1]
        .iter()
        .map(|t| (t.to_string(), only_request(&run.steps[2], t).0))
        .collect()
}
