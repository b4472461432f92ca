//! Unit tests of the unit state.

use super::range::{COUNT_RANGE, SELECT_FLAGS, SELECT_KEYS_RANGE, SELECT_RANGE};
use super::Walk;
use super::*;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let unique = format!(
            "reactive-unit-state-{}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            name
        );
        let dir = std::env::temp_dir().join(unique);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    fn db(&self) -> PathBuf {
        self.0.join(".unit-state.db")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A DB built with plain SQL the way charmhelpers builds it.
fn charmhelpers_db(path: &Path, rows: &[(&str, &str)]) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(SCHEMA).unwrap();
    for (key, data) in rows {
        conn.execute("insert into kv (key, data) values (?1, ?2)", [key, data])
            .unwrap();
    }
}

fn raw_rows(path: &Path) -> Vec<(String, String)> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("select key, data from kv order by key")
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    rows
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn unit_state_is_send_and_debug() {
    fn assert_send<T: Send + fmt::Debug>() {}
    assert_send::<UnitState>();
    fn assert_error<T: std::error::Error + Send + Sync + 'static>() {}
    assert_error::<StateError>();
}

#[test]
fn round_trip_through_a_file() {
    let dir = TempDir::new("round-trip");
    let values = vec![
        ("reactive.states.db.ready", json!(null)),
        ("reactive.states.config", json!({"b": [1, 2.5], "a": "é😀"})),
        (
            "reactive.data_changed.x",
            json!("d41d8cd98f00b204e9800998ecf8427e"),
        ),
        ("big", json!([u64::MAX, i64::MIN, 1e16, -0.0])),
        ("", json!(true)),
        ("nul\u{0}key", json!({})),
    ];
    {
        let mut state = UnitState::open(&dir.db()).unwrap();
        for (key, value) in &values {
            state.set(key, value.clone());
        }
        assert!(
            raw_rows(&dir.db()).is_empty(),
            "nothing written before commit"
        );
        state.commit().unwrap();
        assert!(!state.has_pending());
    }
    let mut state = UnitState::open(&dir.db()).unwrap();
    for (key, value) in &values {
        assert_eq!(state.get(key).unwrap().as_ref(), Some(value), "{key:?}");
    }
    let mut expected: Vec<(String, Value)> = values
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(state.get_range("").unwrap(), expected);
    // Stored as Python-style JSON text.
    let rows = raw_rows(&dir.db());
    assert!(rows.contains(&(
        "reactive.states.config".to_string(),
        r#"{"a": "\u00e9\ud83d\ude00", "b": [1, 2.5]}"#.to_string()
    )));
    assert!(rows.contains(&(
        "big".to_string(),
        "[18446744073709551615, -9223372036854775808, 1e+16, -0.0]".to_string()
    )));
}

#[test]
fn reads_a_charmhelpers_database() {
    let dir = TempDir::new("charmhelpers");
    charmhelpers_db(
        &dir.db(),
        &[
            ("reactive.states.foo", "null"),
            ("reactive.states.bar", "{\"a\": 1}"),
            ("reactive.statesbaz", "null"),
            ("reactive.dispatch.phase", "\"hooks\""),
            (
                "reactive.data_changed.endpoint.db.db:1.pg/0.host",
                "\"0a1b\"",
            ),
            // Python's json.dumps without sort_keys, non-ASCII escaped.
            ("unit.data", "{\"z\": [1.5, true], \"a\": \"\\u00e9\"}"),
            ("reactive.states.hook_ran", "{\"hook\": \"install\"}"),
        ],
    );
    let mut state = UnitState::open(&dir.db()).unwrap();
    assert_eq!(state.get("reactive.states.foo").unwrap(), Some(json!(null)));
    assert_eq!(
        state.get("reactive.states.bar").unwrap(),
        Some(json!({"a": 1}))
    );
    assert_eq!(
        state.get("unit.data").unwrap(),
        Some(json!({"a": "é", "z": [1.5, true]}))
    );
    assert_eq!(state.get("reactive.states.missing").unwrap(), None);
    assert_eq!(
        state.get_range("reactive.states.").unwrap(),
        vec![
            ("reactive.states.bar".to_string(), json!({"a": 1})),
            ("reactive.states.foo".to_string(), json!(null)),
            (
                "reactive.states.hook_ran".to_string(),
                json!({"hook": "install"})
            ),
        ]
    );
    // Writing back the same value through our encoder is a no-op for
    // sorted text; unsorted Python text gets rewritten sorted.
    state.set("reactive.states.bar", json!({"a": 1}));
    state.set("unit.data", json!({"a": "é", "z": [1.5, true]}));
    let before = state.conn.total_changes();
    state.commit().unwrap();
    assert_eq!(state.conn.total_changes() - before, 1);
    let rows = raw_rows(&dir.db());
    assert!(rows.contains(&(
        "unit.data".to_string(),
        r#"{"a": "\u00e9", "z": [1.5, true]}"#.to_string()
    )));
}

#[test]
fn get_range_is_exact_with_like_wildcards() {
    let dir = TempDir::new("range");
    let keys = [
        "a",
        "a%",
        "a%c",
        "a_",
        "a_b",
        "aXb",
        "ab",
        "a\\_",
        "b",
        "a\u{10ffff}",
        "a\u{10ffff}z",
        "\u{10ffff}",
        "\u{10ffff}\u{10ffff}",
        "a\u{d7ff}",
        "a\u{e000}",
    ];
    let rows: Vec<(&str, &str)> = keys.iter().map(|k| (*k, "1")).collect();
    charmhelpers_db(&dir.db(), &rows);
    let mut state = UnitState::open(&dir.db()).unwrap();
    let range_keys = |state: &mut UnitState, prefix: &str| -> Vec<String> {
        state
            .get_range(prefix)
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    };
    assert_eq!(range_keys(&mut state, "a_"), ["a_", "a_b"]);
    assert_eq!(range_keys(&mut state, "a%"), ["a%", "a%c"]);
    assert_eq!(range_keys(&mut state, "a\\"), ["a\\_"]);
    assert_eq!(range_keys(&mut state, "ab"), ["ab"]);
    assert_eq!(range_keys(&mut state, "abc"), Vec::<String>::new());
    assert_eq!(range_keys(&mut state, "a\u{d7ff}"), ["a\u{d7ff}"]);
    assert_eq!(
        range_keys(&mut state, "a\u{10ffff}"),
        ["a\u{10ffff}", "a\u{10ffff}z"]
    );
    assert_eq!(
        range_keys(&mut state, "\u{10ffff}"),
        ["\u{10ffff}", "\u{10ffff}\u{10ffff}"]
    );
    let mut all: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    all.sort();
    assert_eq!(range_keys(&mut state, ""), all);
    assert_eq!(range_keys(&mut state, "a").len(), all.len() - 3);

    // Pending changes are applied, with the same exactness.
    state.set("a_z", json!(2));
    state.set("a%z", json!(3));
    state.unset("a_b");
    assert_eq!(
        state.get_range("a_").unwrap(),
        vec![("a_".to_string(), json!(1)), ("a_z".to_string(), json!(2))]
    );
}

#[test]
fn raw_ranges_come_in_rust_order_with_pending_changes_merged() {
    let dir = TempDir::new("raw-range");
    // Byte order, which SQLite's text keys follow: upper case before lower
    // case, `/` before digits, non-ASCII last.
    let keys = [
        "r.b", "r.B", "r.a/10", "r.a/9", "r.\u{e9}", "r.z", "r.a", "r.", "s",
    ];
    let rows: Vec<(&str, &str)> = keys.iter().map(|k| (*k, "null")).collect();
    charmhelpers_db(&dir.db(), &rows);
    let mut state = UnitState::open(&dir.db()).unwrap();
    let keys_of =
        |rows: Vec<(String, String)>| -> Vec<String> { rows.into_iter().map(|(k, _)| k).collect() };
    let mut expected: Vec<String> = keys
        .iter()
        .filter(|k| k.starts_with("r."))
        .map(|k| k.to_string())
        .collect();
    expected.sort();
    assert_eq!(keys_of(state.get_range_raw("r.").unwrap()), expected);

    state.set("r.a/5", json!({"x": 1}));
    state.set("r.z", json!(true));
    state.unset("r.B");
    state.unset("r.missing");
    state.set("s.other", json!(1));
    let rows = state.get_range_raw("r.").unwrap();
    let mut expected: Vec<String> = expected
        .into_iter()
        .filter(|k| k != "r.B")
        .chain(["r.a/5".to_string()])
        .collect();
    expected.sort();
    assert_eq!(keys_of(rows.clone()), expected);
    let value = |key: &str| rows.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    assert_eq!(value("r.a/5"), Some(r#"{"x": 1}"#));
    assert_eq!(value("r.z"), Some("true"), "a pending value wins");
    assert_eq!(value("r.a"), Some("null"));
}

/// Every row `for_each_raw` hands over, copied.
fn walked(state: &mut UnitState, prefix: &str) -> Result<Vec<(String, String)>, StateError> {
    let mut rows = Vec::new();
    state.for_each_raw(prefix, |key, text| {
        rows.push((key.to_string(), text.to_string()));
        Ok(())
    })?;
    Ok(rows)
}

#[test]
fn walking_a_range_gives_what_the_raw_range_read_gives() {
    let dir = TempDir::new("walk-range");
    let keys = ["r.b", "r.B", "r.a/10", "r.a/9", "r.\u{e9}", "r.a", "s"];
    let rows: Vec<(&str, &str)> = keys.iter().map(|k| (*k, "null")).collect();
    charmhelpers_db(&dir.db(), &rows);
    Connection::open(dir.db())
        .unwrap()
        .execute_batch("insert into kv (key, data) values ('r.n', 5);")
        .unwrap();
    let mut state = UnitState::open(&dir.db()).unwrap();
    // Nothing pending: the rows as read, numbers as JSON.
    let plain = walked(&mut state, "r.").unwrap();
    assert_eq!(plain, state.get_range_raw("r.").unwrap());
    assert!(plain.contains(&("r.n".to_string(), "5".to_string())));
    assert_eq!(plain.len(), 7);
    let mut calls = 0;
    let stop = state.for_each_raw("r.", |_, _| {
        calls += 1;
        Err(StateError::InvalidJson {
            file: None,
            key: "stop".to_string(),
            source: from_python_json("{").unwrap_err(),
        })
    });
    assert_eq!((calls, stop.unwrap_err().key()), (1, Some("stop")));
    // Pending sets, overwrites and unsets merged, in the same order.
    state.set("r.a/5", json!({"x": 1}));
    state.set("r.b", json!(true));
    state.unset("r.B");
    let merged = walked(&mut state, "r.").unwrap();
    assert_eq!(merged, state.get_range_raw("r.").unwrap());
    assert!(merged.contains(&("r.b".to_string(), "true".to_string())));
    assert!(!merged.iter().any(|(k, _)| k == "r.B"));
    // The walker's error ends the walk, and is the answer.
    let mut calls = 0;
    let err = state
        .for_each_raw("r.", |key, _| {
            calls += 1;
            Err(StateError::InvalidJson {
                file: None,
                key: key.to_string(),
                source: from_python_json("{").unwrap_err(),
            })
        })
        .unwrap_err();
    assert_eq!(calls, 1);
    assert_eq!(err.key(), Some(merged[0].0.as_str()));
}

#[test]
fn raw_reads_give_numbers_as_json_and_name_rows_that_are_not_text() {
    let dir = TempDir::new("raw-kinds");
    charmhelpers_db(&dir.db(), &[]);
    Connection::open(dir.db())
        .unwrap()
        .execute_batch(
            "insert into kv (key, data) values ('n.int', 5);
             insert into kv (key, data) values ('n.real', 1.5);
             insert into kv (key, data) values ('x.null', NULL);
             insert into kv (key, data) values ('y.blob', x'00ff');
             insert into kv (key, data) values ('z.bad', cast(x'ff' as text));",
        )
        .unwrap();
    let mut state = UnitState::open(&dir.db()).unwrap();
    assert_eq!(state.get_raw("n.int").unwrap().as_deref(), Some("5"));
    assert_eq!(state.get_raw("n.real").unwrap().as_deref(), Some("1.5"));
    assert_eq!(
        state.get_range_raw("n.").unwrap(),
        [
            ("n.int".to_string(), "5".to_string()),
            ("n.real".to_string(), "1.5".to_string())
        ]
    );
    assert_eq!(state.get("n.real").unwrap(), Some(json!(1.5)));
    for (key, prefix, expected) in [
        ("x.null", "x.", "NULL"),
        ("y.blob", "y.", "a BLOB"),
        ("z.bad", "z.", "invalid UTF-8 text"),
    ] {
        for err in [
            state.get_raw(key).unwrap_err(),
            state.get_range_raw(prefix).unwrap_err(),
            walked(&mut state, prefix).unwrap_err(),
            state.get(key).unwrap_err(),
        ] {
            match &err {
                StateError::NotText { found, column, .. } => {
                    assert_eq!((*found, *column), (expected, "data"), "{key}: {err:?}")
                }
                other => panic!("{key}: {other:?}"),
            }
            assert_eq!(err.key(), Some(key));
        }
    }
}

#[test]
fn pending_changes_win_and_rollback_discards() {
    let dir = TempDir::new("rollback");
    charmhelpers_db(&dir.db(), &[("k", "1"), ("gone", "2")]);
    let mut state = UnitState::open(&dir.db()).unwrap();
    assert!(!state.has_pending());
    state.set("k", json!("new"));
    state.unset("gone");
    state.set("added", json!([]));
    assert!(state.has_pending());
    assert_eq!(state.get("k").unwrap(), Some(json!("new")));
    assert_eq!(state.get("gone").unwrap(), None);
    assert_eq!(state.get("added").unwrap(), Some(json!([])));
    state.rollback();
    assert!(!state.has_pending());
    assert_eq!(state.get("k").unwrap(), Some(json!(1)));
    assert_eq!(state.get("gone").unwrap(), Some(json!(2)));
    assert_eq!(state.get("added").unwrap(), None);
    state.commit().unwrap();
    assert_eq!(
        raw_rows(&dir.db()),
        [
            ("gone".to_string(), "2".to_string()),
            ("k".to_string(), "1".to_string())
        ]
    );
}

#[test]
fn rollback_drops_stale_cache() {
    let dir = TempDir::new("stale-cache");
    charmhelpers_db(&dir.db(), &[("k", "1")]);
    let mut state = UnitState::open(&dir.db()).unwrap();
    assert_eq!(state.get("k").unwrap(), Some(json!(1)));
    Connection::open(dir.db())
        .unwrap()
        .execute("update kv set data = '2' where key = 'k'", [])
        .unwrap();
    assert_eq!(state.get("k").unwrap(), Some(json!(1)), "cached");
    state.rollback();
    assert_eq!(state.get("k").unwrap(), Some(json!(2)));
}

#[test]
fn commit_writes_unsets_and_skips_identical_values() {
    let mut state = UnitState::in_memory();
    state.set("a", json!({"x": 1}));
    state.set("b", json!(2));
    state.unset("never-existed");
    state.commit().unwrap();
    let before = state.conn.total_changes();
    state.set("a", json!({"x": 1}));
    state.set("b", json!(2));
    state.commit().unwrap();
    assert_eq!(
        state.conn.total_changes(),
        before,
        "identical values rewritten"
    );
    state.set("b", json!(3));
    state.unset("a");
    state.commit().unwrap();
    assert_eq!(state.conn.total_changes(), before + 2);
    state.rollback();
    assert_eq!(
        state.get_range("").unwrap(),
        vec![("b".to_string(), json!(3))]
    );
    // An empty commit does not even start a transaction.
    state.commit().unwrap();
    assert!(state.conn.is_autocommit());
}

#[test]
fn memory_path_means_in_memory() {
    let mut state = UnitState::open(Path::new(":memory:")).unwrap();
    assert_eq!(state.path(), None);
    state.set("k", json!(1));
    state.commit().unwrap();
    state.rollback();
    assert_eq!(state.get("k").unwrap(), Some(json!(1)));
    assert!(!Path::new(":memory:").exists());
}

#[test]
fn commit_failing_on_a_write_lock_writes_nothing_and_keeps_pending() {
    let dir = TempDir::new("busy-writer");
    charmhelpers_db(&dir.db(), &[("existing", "1")]);
    let mut state = UnitState::open(&dir.db()).unwrap();
    state.conn.busy_timeout(Duration::from_millis(50)).unwrap();
    state.set("existing", json!(2));
    state.set("new", json!("x"));
    state.unset("other");

    let other = Connection::open(dir.db()).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let err = state.commit().unwrap_err();
    assert!(matches!(err, StateError::Commit { .. }), "{err:?}");
    assert_eq!(err.file(), Some(dir.db().as_path()));
    assert!(err.to_string().contains(".unit-state.db"), "{err}");
    assert!(std::error::Error::source(&err).is_some());
    assert!(state.has_pending());
    assert!(state.conn.is_autocommit(), "transaction left open");
    other.execute_batch("ROLLBACK").unwrap();
    assert_eq!(
        raw_rows(&dir.db()),
        [("existing".to_string(), "1".to_string())]
    );

    // The lock is gone: the kept changes commit.
    state.commit().unwrap();
    assert!(!state.has_pending());
    assert_eq!(
        raw_rows(&dir.db()),
        [
            ("existing".to_string(), "2".to_string()),
            ("new".to_string(), "\"x\"".to_string())
        ]
    );
}

#[test]
fn commit_failing_at_commit_time_writes_nothing() {
    // A reader's shared lock lets us write into the transaction but makes
    // the final COMMIT fail: the failure is after every write.
    let dir = TempDir::new("busy-reader");
    charmhelpers_db(&dir.db(), &[("existing", "1")]);
    let mut state = UnitState::open(&dir.db()).unwrap();
    state.conn.busy_timeout(Duration::from_millis(50)).unwrap();
    state.set("existing", json!(2));
    state.set("new", json!(3));

    let reader = Connection::open(dir.db()).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let n: i64 = reader
        .query_row("select count(*) from kv", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
    let err = state.commit().unwrap_err();
    assert!(
        matches!(err, StateError::Commit { key: None, .. }),
        "{err:?}"
    );
    assert!(state.has_pending());
    assert!(state.conn.is_autocommit());
    reader.execute_batch("COMMIT").unwrap();
    assert_eq!(
        raw_rows(&dir.db()),
        [("existing".to_string(), "1".to_string())]
    );
    assert_eq!(
        state.get("existing").unwrap(),
        Some(json!(2)),
        "pending kept"
    );
    state.commit().unwrap();
    assert_eq!(raw_rows(&dir.db()).len(), 2);
}

#[test]
fn commit_failing_mid_way_writes_nothing() {
    let dir = TempDir::new("mid-way");
    charmhelpers_db(&dir.db(), &[("a", "0")]);
    Connection::open(dir.db())
        .unwrap()
        .execute_batch(
            "create trigger boom before insert on kv when new.key = 'm'
             begin select raise(abort, 'boom'); end;",
        )
        .unwrap();
    let mut state = UnitState::open(&dir.db()).unwrap();
    state.set("a", json!(1)); // written before the failure
    state.set("m", json!(2)); // fails
    state.set("z", json!(3)); // never reached
    let err = state.commit().unwrap_err();
    match &err {
        StateError::Commit { key, .. } => assert_eq!(key.as_deref(), Some("m")),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(err.key(), Some("m"));
    assert!(err.to_string().contains("\"m\""), "{err}");
    assert_eq!(raw_rows(&dir.db()), [("a".to_string(), "0".to_string())]);
    assert!(state.has_pending());
    assert_eq!(state.get("a").unwrap(), Some(json!(1)));
    state.unset("m");
    state.commit().unwrap();
    assert_eq!(
        raw_rows(&dir.db()),
        [
            ("a".to_string(), "1".to_string()),
            ("z".to_string(), "3".to_string())
        ]
    );
}

#[cfg(unix)]
#[test]
fn file_mode_is_0600() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("mode");
    let created = dir.db();
    UnitState::open(&created).unwrap();
    assert_eq!(mode(&created), 0o600);

    let existing = dir.0.join("existing.db");
    charmhelpers_db(&existing, &[("k", "1")]);
    std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(mode(&existing), 0o644);
    let mut state = UnitState::open(&existing).unwrap();
    assert_eq!(mode(&existing), 0o600);
    assert_eq!(state.get("k").unwrap(), Some(json!(1)));
}

#[test]
fn corrupt_row_names_key_and_file() {
    let dir = TempDir::new("corrupt-row");
    charmhelpers_db(&dir.db(), &[("good", "1"), ("bad.key", "not json{")]);
    Connection::open(dir.db())
        .unwrap()
        .execute_batch(
            "insert into kv (key, data) values ('null.data', NULL);
             insert into kv (key, data) values ('blob.data', x'00ff');
             insert into kv (key, data) values (x'ff', '1');",
        )
        .unwrap();
    let mut state = UnitState::open(&dir.db()).unwrap();
    let err = state.get("bad.key").unwrap_err();
    assert!(matches!(err, StateError::InvalidJson { .. }), "{err:?}");
    assert_eq!(err.key(), Some("bad.key"));
    assert_eq!(err.file(), Some(dir.db().as_path()));
    let msg = err.to_string();
    assert!(
        msg.contains("bad.key") && msg.contains(".unit-state.db"),
        "{msg}"
    );
    assert!(std::error::Error::source(&err).is_some());

    let err = state.get("null.data").unwrap_err();
    assert!(
        matches!(
            err,
            StateError::NotText {
                found: "NULL",
                column: "data",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.key(), Some("null.data"));
    let err = state.get("blob.data").unwrap_err();
    assert!(matches!(err, StateError::NotText { .. }), "{err:?}");

    let err = state.get_range("bad").unwrap_err();
    assert_eq!(err.key(), Some("bad.key"));
    // Other keys stay readable; a BLOB key is not text and is skipped.
    assert_eq!(state.get("good").unwrap(), Some(json!(1)));
    assert_eq!(
        state.get_range("g").unwrap(),
        vec![("good".to_string(), json!(1))]
    );
    // An open range (no upper bound) reaches the BLOB key, and skips it.
    let keys = state.get_range_keys("").unwrap();
    assert_eq!(keys, ["bad.key", "blob.data", "good", "null.data"]);
    let mut walked = Vec::new();
    state
        .for_each_raw("", |key, _| {
            walked.push(key.to_string());
            Ok(())
        })
        .unwrap_err();
    assert_eq!(
        walked,
        ["bad.key"],
        "stops at blob.data, whose data is a BLOB"
    );
    // Overwriting a corrupt row repairs it.
    state.set("bad.key", json!("fixed"));
    state.commit().unwrap();
    state.rollback();
    assert_eq!(state.get("bad.key").unwrap(), Some(json!("fixed")));
}

#[test]
fn in_memory_errors_say_in_memory_and_debug_hides_values() {
    let mut state = UnitState::in_memory();
    state
        .conn
        .execute("insert into kv (key, data) values ('k', '{oops')", [])
        .unwrap();
    let err = state.get("k").unwrap_err();
    assert_eq!(err.file(), None);
    assert!(
        err.to_string().starts_with("unit state in-memory: "),
        "{err}"
    );
    state.set("secret.key", json!("hunter2"));
    let debug = format!("{state:?}");
    assert!(
        debug.contains("in-memory") && debug.contains("secret.key"),
        "{debug}"
    );
    assert!(!debug.contains("hunter2"), "{debug}");
}

#[test]
fn invalid_utf8_text_is_a_typed_error() {
    let dir = TempDir::new("utf8");
    charmhelpers_db(&dir.db(), &[]);
    Connection::open(dir.db())
        .unwrap()
        .execute_batch(
            "insert into kv (key, data) values ('k', cast(x'22ff22' as text));
             insert into kv (key, data) values (cast(x'7a7aff' as text), '1');",
        )
        .unwrap();
    let mut state = UnitState::open(&dir.db()).unwrap();
    let err = state.get("k").unwrap_err();
    assert!(
        matches!(
            err,
            StateError::NotText {
                column: "data",
                source: Some(_),
                ..
            }
        ),
        "{err:?}"
    );
    let err = state.get_range("zz").unwrap_err();
    assert!(
        matches!(err, StateError::NotText { column: "key", .. }),
        "{err:?}"
    );
}

#[test]
fn not_a_database_names_the_file() {
    let dir = TempDir::new("not-db");
    let path = dir.0.join("garbage.db");
    std::fs::write(&path, "this is not a SQLite database\n".repeat(200)).unwrap();
    let err = UnitState::open(&path).unwrap_err();
    assert!(matches!(err, StateError::Open { .. }), "{err:?}");
    assert_eq!(err.file(), Some(path.as_path()));
    assert!(err.to_string().contains("garbage.db"), "{err}");
    assert!(std::error::Error::source(&err).is_some());
    // Left as it was.
    assert_eq!(
        std::fs::read(&path).unwrap(),
        "this is not a SQLite database\n".repeat(200).as_bytes()
    );
}

#[test]
fn wrong_kv_schema_is_an_open_error() {
    let dir = TempDir::new("schema");
    Connection::open(dir.db())
        .unwrap()
        .execute_batch("create table kv (k text, v text)")
        .unwrap();
    let err = UnitState::open(&dir.db()).unwrap_err();
    assert!(matches!(err, StateError::Open { .. }), "{err:?}");
}

#[test]
fn unopenable_paths_are_io_errors() {
    let dir = TempDir::new("io");
    // A directory where the file should be.
    let err = UnitState::open(&dir.0).unwrap_err();
    assert!(matches!(err, StateError::Io { .. }), "{err:?}");
    assert_eq!(err.file(), Some(dir.0.as_path()));
    // A missing parent directory.
    let missing = dir.0.join("no-such-dir").join("db");
    let err = UnitState::open(&missing).unwrap_err();
    assert!(matches!(err, StateError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("no-such-dir"), "{err}");
}

#[test]
fn locate_precedence() {
    let env_of = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    };
    let both = env_of(&[("UNIT_STATE_DB", "/tmp/x.db"), ("CHARM_DIR", "/charm")]);
    assert_eq!(UnitState::locate(&both), Some(PathBuf::from("/tmp/x.db")));
    let charm_dir = env_of(&[("CHARM_DIR", "/charm")]);
    assert_eq!(
        UnitState::locate(&charm_dir),
        Some(PathBuf::from("/charm/.unit-state.db"))
    );
    let empty_db = env_of(&[("UNIT_STATE_DB", ""), ("CHARM_DIR", "/charm")]);
    assert_eq!(
        UnitState::locate(&empty_db),
        Some(PathBuf::from("/charm/.unit-state.db"))
    );
    let neither = env_of(&[("JUJU_UNIT_NAME", "x/0")]);
    assert_eq!(UnitState::locate(&neither), None);
    assert_eq!(UnitState::locate(&env_of(&[("CHARM_DIR", "")])), None);
}

#[test]
fn upper_bound() {
    assert_eq!(prefix_upper_bound(""), None);
    assert_eq!(prefix_upper_bound("a"), Some("b".to_string()));
    assert_eq!(prefix_upper_bound("a_"), Some("a`".to_string()));
    assert_eq!(
        prefix_upper_bound("x\u{d7ff}"),
        Some("x\u{e000}".to_string())
    );
    assert_eq!(prefix_upper_bound("x\u{10ffff}"), Some("y".to_string()));
    assert_eq!(prefix_upper_bound("\u{10ffff}\u{10ffff}"), None);
    assert_eq!(prefix_upper_bound("é"), Some("ê".to_string()));
}

#[test]
fn a_serialized_value_reads_back_through_every_getter_before_and_after_the_commit() {
    let dir = TempDir::new("serialized");
    let path = dir.0.join(".unit-state.db");
    let mut state = UnitState::open(&path).unwrap();
    let table = std::collections::BTreeMap::from([("b", vec!["é", "x"]), ("a", vec![])]);
    state.set_serialized("t.table", &table).unwrap();
    state.set("t.other", json!(1));
    let expected = json!({"a": [], "b": ["é", "x"]});
    for when in ["pending", "committed"] {
        assert_eq!(
            state.get("t.table").unwrap(),
            Some(expected.clone()),
            "{when}"
        );
        assert_eq!(
            state.get_raw("t.table").unwrap().as_deref(),
            Some(r#"{"a":[],"b":["é","x"]}"#),
            "{when}: written as serde_json wrote it"
        );
        assert_eq!(
            state.get_range("t.").unwrap(),
            vec![
                ("t.other".to_string(), json!(1)),
                ("t.table".to_string(), expected.clone())
            ],
            "{when}"
        );
        assert_eq!(
            state.get_range_raw("t.").unwrap()[1],
            (
                "t.table".to_string(),
                r#"{"a":[],"b":["é","x"]}"#.to_string()
            ),
            "{when}"
        );
        state.commit().unwrap();
    }
    // In the file as written, and read by a fresh store.
    assert!(raw_rows(&path).contains(&(
        "t.table".to_string(),
        r#"{"a":[],"b":["é","x"]}"#.to_string()
    )));
    drop(state);
    let mut state = UnitState::open(&path).unwrap();
    assert_eq!(state.get("t.table").unwrap(), Some(expected));
    // A later set or unset replaces it; a rollback drops it.
    state.set_serialized("t.table", &[1, 2]).unwrap();
    state.set("t.table", json!("plain"));
    state.commit().unwrap();
    assert_eq!(
        state.get_raw("t.table").unwrap().as_deref(),
        Some("\"plain\"")
    );
    state.set_serialized("t.table", &[3]).unwrap();
    state.rollback();
    assert_eq!(state.get("t.table").unwrap(), Some(json!("plain")));
    // What serde_json cannot write is refused, and nothing is set.
    let bad = std::collections::HashMap::from([(vec![1], 2)]);
    assert!(state.set_serialized("t.bad", &bad).is_err());
    assert!(!state.has_pending());
}

#[test]
fn the_flags_are_read_from_their_own_index_on_a_charmhelpers_database_too() {
    let dir = TempDir::new("flags-index");
    let path = dir.0.join(".unit-state.db");
    charmhelpers_db(
        &path,
        &[
            ("reactive.states.a", "null"),
            ("reactive.states.b", "{\"x\": 1}"),
            ("reactive.data_changed.y", "\"0\""),
        ],
    );
    let mut state = UnitState::open(&path).unwrap();
    let plan: String = state
        .conn
        .prepare(&format!("explain query plan {SELECT_FLAGS}"))
        .unwrap()
        .query_map(["reactive.states.", "reactive.states/"], |row| {
            row.get::<_, String>(3)
        })
        .unwrap()
        .map(Result::unwrap)
        .collect::<Vec<_>>()
        .join("; ");
    assert!(plan.contains("COVERING INDEX reactive_flags"), "{plan}");
    assert_eq!(
        state.get_range_raw(crate::flags::FLAG_KEY_PREFIX).unwrap(),
        [
            ("reactive.states.a".to_string(), "null".to_string()),
            ("reactive.states.b".to_string(), "{\"x\": 1}".to_string()),
        ]
    );
    // Kept up to date by writes.
    state.unset("reactive.states.a");
    state.set("reactive.states.c", json!(null));
    state.commit().unwrap();
    assert_eq!(
        state.get_range_keys(crate::flags::FLAG_KEY_PREFIX).unwrap(),
        ["reactive.states.b", "reactive.states.c"]
    );
}

#[test]
fn the_flags_statement_reads_the_range_of_the_flags_prefix_and_its_index() {
    let prefix = crate::flags::FLAG_KEY_PREFIX;
    let upper = prefix_upper_bound(prefix).unwrap();
    let range = format!("and key >= '{prefix}' and key < '{upper}' order by key");
    assert!(SELECT_FLAGS.contains(&range), "{SELECT_FLAGS}");
    let index_range = format!("where key >= '{prefix}' and key < '{upper}';");
    assert!(SCHEMA.contains(&index_range), "{SCHEMA}");
    let (sql, bounds) = range_query(prefix, "reactive.states.m", ROWS);
    assert_eq!(sql, SELECT_FLAGS);
    assert_eq!(bounds, ["reactive.states.m", "reactive.states/"]);
    assert_eq!(
        range_query("reactive.states.a.", "reactive.states.a.", ROWS).0,
        SELECT_FLAGS
    );
    // Only the rows' reader has a statement of its own for them.
    assert_eq!(range_query(prefix, prefix, KEYS).0, SELECT_KEYS_RANGE);
    assert_eq!(
        range_query("reactive.states", "reactive.states", ROWS).0,
        SELECT_RANGE
    );
}

#[test]
fn range_reads_are_not_prepared_again_for_the_values_bound_to_them() {
    use rusqlite::StatementStatus::RePrepare;
    let mut state = UnitState::in_memory();
    for key in ["a.1", "b.1", "reactive.states.f", "reactive.states.g"] {
        state.set(key, json!(null));
    }
    state.commit().unwrap();
    for prefix in ["a.", "b.", "reactive.states.", "reactive."] {
        assert!(!state.get_range_raw(prefix).unwrap().is_empty());
        assert!(!state.get_range_keys(prefix).unwrap().is_empty());
        assert!(state.count_range(prefix).unwrap() > 0);
    }
    for sql in [SELECT_RANGE, SELECT_KEYS_RANGE, COUNT_RANGE, SELECT_FLAGS] {
        let stmt = state.conn.prepare_cached(sql).unwrap();
        assert_eq!(stmt.get_status(RePrepare), 0, "{sql}");
    }
}

#[test]
fn a_walk_skips_the_rest_of_a_prefix_of_the_row_it_is_on() {
    let mut state = UnitState::in_memory();
    for key in [
        "w.a", "w.b.1", "w.b.2", "w.b.3", "w.c", "w.d.1", "w.e", "x.a",
    ] {
        state.set(key, json!(null));
    }
    state.commit().unwrap();
    let walk = |state: &mut UnitState| {
        let mut seen = Vec::new();
        state
            .walk_raw("w.", |key, _| {
                seen.push(key.to_string());
                Ok(match key {
                    "w.b.1" => Walk::SkipPast("w.b.".to_string()),
                    // Not a prefix of the key: no skip.
                    "w.c" => Walk::SkipPast("w.zz".to_string()),
                    "w.d.1" => Walk::SkipPast("w.d.1".to_string()),
                    _ => Walk::Next,
                })
            })
            .unwrap();
        seen
    };
    assert_eq!(walk(&mut state), ["w.a", "w.b.1", "w.c", "w.d.1", "w.e"]);
    // Pending changes under the prefix: the same walk over the merged rows.
    state.set("w.b.4", json!(1));
    state.unset("w.e");
    state.set("w.f", json!(null));
    assert_eq!(walk(&mut state), ["w.a", "w.b.1", "w.c", "w.d.1", "w.f"]);
}

#[test]
fn a_string_is_written_as_serde_json_writes_it() {
    let long = "x".repeat(10_000);
    for value in [
        "",
        "plain text; 10 0 41 node-00534641",
        "é ü \u{7f} \u{2028} 日本",
        "a \"quoted\" word",
        "back\\slash",
        "tab\there",
        "new\nline",
        "\u{1}\u{1f}",
        long.as_str(),
    ] {
        assert_eq!(
            json_string(value),
            serde_json::to_string(value).unwrap(),
            "{value:?}"
        );
        let mut state = UnitState::in_memory();
        state.set_string("k", value);
        state.commit().unwrap();
        assert_eq!(
            state.get("k").unwrap(),
            Some(serde_json::json!(value)),
            "{value:?}"
        );
    }
}
