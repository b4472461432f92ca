//! `all_departed_units`, key lists and combined views.

use super::*;

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
fn all_joined_units_stay_ordered_when_a_handler_reorders_the_relations() {
    let mut h = harness(ONE);
    two_relations(&mut h);
    probe(&mut h, |ep, _| {
        let mut relations = ep.relations_mut().iter_mut();
        let (first, second) = (relations.next().unwrap(), relations.next().unwrap());
        std::mem::swap(first, second);
        let order: Vec<&str> = ep.relations().iter().map(|r| r.relation_id()).collect();
        let all = ep.all_joined_units();
        Ok(json!({
            "relations": order,
            "units": all.iter().map(|u| json!([u.relation_id(), u.unit_name()])).collect::<Vec<_>>(),
        }))
    });
    fire(&mut h, "update-status");
    assert_eq!(
        seen_one(),
        json!({
            "relations": ["db:10", "db:2"],
            "units": [["db:2", "server/0"], ["db:2", "server/1"], ["db:10", "server/0"], ["db:10", "server/2"]],
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
