//! Lookups, one type serving several endpoints, and the hook-tool calls each hook makes.

use super::*;

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
    // relation-ids once per endpoint and relation-list once per relation
    // in the hooks that change them (created, joined, departed, broken,
    // install) and in the first hook after relations changed without one
    // (the harness changes them directly); relation-get only for the unit
    // the hook is about (the others come from the snapshot), plus the
    // departing unit's data in -departed (charms.reactive reads it to save
    // it).
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
        check(&format!("changed {unit}"), record, &[("relation-get", 1)]);
    }
    check("update-status (joined)", fire(&mut h, "update-status"), &[]);
    probe(&mut h, |ep, _| {
        ep.relations_mut()[0].to_publish()?.set("ack", json!(true));
        Ok(Value::Null)
    });
    check(
        "update-status (publishing)",
        fire(&mut h, "update-status"),
        &[("relation-get", 1), ("relation-set", 1)],
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
        "update-status (relation removed)",
        fire(&mut h, "update-status"),
        &[("relation-ids", 1)],
    );
    check(
        "update-status (no relation)",
        fire(&mut h, "update-status"),
        &[],
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
    // Both joined, not their relation hooks: no data read at all, and the
    // relations and units as the first hook saved them.
    let record = fire(&mut h, "update-status");
    assert_eq!(record.calls_of("relation-get"), 0);
    assert_eq!(record.calls_of("relation-list"), 0);
    assert_eq!(record.calls_of("relation-ids"), 0);
    // A relation hook of cache: only cache's unit is read.
    let record = fire_rel(&mut h, "changed", &cache, Some("store/0"));
    assert_eq!(record.calls_of("relation-get"), 1);
    assert_eq!(record.calls_of("relation-ids"), 0);
    // A unit joins cache: cache's relations are listed again, db's are not.
    h.add_remote_unit(&cache, "store/1").unwrap();
    let record = fire_rel(&mut h, "joined", &cache, Some("store/1"));
    assert_eq!(record.calls_of("relation-ids"), 2, "{:#?}", record.calls);
    let record = fire_rel(&mut h, "joined", &cache, Some("store/1"));
    assert_eq!(record.calls_of("relation-ids"), 1, "{:#?}", record.calls);
    assert_eq!(record.calls_of("relation-list"), 1, "{:#?}", record.calls);
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
