//! Automatic flags: `joined`, `changed`, `departed` and the rest.

use super::*;

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
