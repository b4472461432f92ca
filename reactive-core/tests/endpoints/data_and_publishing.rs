//! Data views and publishing.

use super::*;

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

#[test]
fn one_published_key_is_read_alone_and_a_second_reads_the_whole_bag() {
    let mut h = harness(ONE);
    let rid = joined_with(&mut h, &["server/0"]);
    probe(&mut h, |ep, _| {
        let data = ep.relations_mut()[0].to_publish()?;
        data.set_raw("answer", "42");
        data.set_raw("other", "x");
        Ok(Value::Null)
    });
    fire(&mut h, "update-status");
    seen();
    // The hook after one that published reads its bags back whole (to put
    // back what Juju may have lost): one more hook (the probe writes the
    // same values again: nothing is published), so that none is read.
    fire(&mut h, "update-status");
    seen();

    // The same key twice, then a missing one: the first reads that key
    // alone, the repeat is kept, the other key reads the whole bag.
    probe(&mut h, |ep, _| {
        let rel = &ep.relations()[0];
        let first = rel.published_value("answer")?.map(str::to_string);
        let again = rel.published_value("answer")?.map(str::to_string);
        let missing = rel.published_value("nope")?.map(str::to_string);
        let other = rel.published_value("other")?.map(str::to_string);
        Ok(json!([first, again, missing, other]))
    });
    let record = fire(&mut h, "update-status");
    assert_eq!(seen_one(), json!(["42", "42", null, "x"]));
    let own = h.unit_name().to_string();
    assert_eq!(
        args_of(&record, "relation-get"),
        [
            strings(&["--format=json", "-r", &rid, "answer", &own]),
            strings(&["--format=json", "-r", &rid, "-", &own]),
        ]
    );

    // A missing key asked first reads as missing; after this hook's own
    // write, the value written is the answer, with no read of the key.
    fire(&mut h, "update-status");
    seen();
    probe(&mut h, |ep, _| {
        let missing = ep.relations()[0].published_value("nope")?.is_none();
        ep.relations_mut()[0].to_publish()?.set_raw("nope", "now");
        let written = ep.relations()[0]
            .published_value("nope")?
            .map(str::to_string);
        Ok(json!([missing, written]))
    });
    let record = fire(&mut h, "update-status");
    assert_eq!(seen_one(), json!([true, "now"]));
    assert_eq!(
        args_of(&record, "relation-get"),
        [
            strings(&["--format=json", "-r", &rid, "nope", &own]),
            strings(&["--format=json", "-r", &rid, "-", &own]),
        ]
    );
}
