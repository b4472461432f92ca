//! The unit state DB (`docs/reference/unit-state.md`) and the helpers persisted in it: flags written
//! by one hook and read by the next, charmhelpers compatibility both ways,
//! one transaction per hook, data_changed, any_file_changed, was_invoked.

use std::path::Path;
use std::sync::{Arc, Mutex};

use reactive_core::config::ConfigOptions;
use reactive_core::metadata::CharmMetadata;
use reactive_core::prelude::*;
use reactive_core::runtime::{run_hook, Charm, HookInput};
use reactive_core::{HookInfo, UnitState};
use reactive_testing::sim::{ModelState, UnitTools};
use rusqlite::Connection;
use serde_json::{json, Value};

mod common;
use common::TempDir;

fn context(path: &Path, hook: &str) -> Context {
    Context::new(HookInfo::named(hook), UnitState::open(path).unwrap()).unwrap()
}

fn flags_and_values(ctx: &Context) -> Vec<(String, Value)> {
    ctx.get_flags()
        .into_iter()
        .map(|f| {
            let v = ctx.flag_value(&f).cloned().unwrap();
            (f, v)
        })
        .collect()
}

/// Each key of the kv table with `column` (`data`, `rowid`), sorted by key.
fn by_key<T: rusqlite::types::FromSql>(path: &Path, column: &str) -> Vec<(String, T)> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare(&format!("select key, {column} from kv order by key"))
        .unwrap();
    stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The rows of the kv table, as stored text, sorted by key.
fn raw_rows(path: &Path) -> Vec<(String, String)> {
    by_key(path, "data")
}

/// A database as charmhelpers' `unitdata.Storage` creates it, with `rows`.
fn charmhelpers_db(path: &Path, rows: &[(&str, &str)]) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(
        "create table if not exists kv (key text, data text, primary key (key));
         create table if not exists kv_revisions (key text, revision integer, data text, \
             primary key (key, revision));
         create table if not exists hooks (version integer primary key autoincrement, \
             hook text, date text);
         insert into hooks (hook, date) values ('install', '2024-01-01T00:00:00');",
    )
    .unwrap();
    for (key, data) in rows {
        conn.execute("insert into kv (key, data) values (?1, ?2)", [key, data])
            .unwrap();
    }
}

#[test]
fn flags_committed_by_a_context_are_read_back_by_the_next() {
    let dir = TempDir::new("roundtrip");
    let mut ctx = context(&dir.db(), "install");
    ctx.set_flag("app.installed");
    ctx.set_flag_value(
        "db.ready",
        json!({"host": "10.0.0.1", "port": 5432, "tls": false}),
    );
    ctx.set_flag_value("app.version", "1.2.3");
    ctx.set_flag_value("app.ratio", 0.25);
    ctx.set_flag_value("app.list", json!([1, "two", null, {"é": "ü"}]));
    ctx.set_flag("temporary");
    ctx.clear_flag("temporary");
    let written = flags_and_values(&ctx);
    ctx.commit().unwrap();
    drop(ctx);

    let ctx = context(&dir.db(), "config-changed");
    assert_eq!(flags_and_values(&ctx), written);
    assert_eq!(
        ctx.get_flags(),
        [
            "app.installed",
            "app.list",
            "app.ratio",
            "app.version",
            "db.ready"
        ]
    );
    assert_eq!(ctx.flag_value("temporary"), None);
}

#[test]
fn flags_are_stored_as_charmhelpers_stores_them() {
    let dir = TempDir::new("format");
    let mut ctx = context(&dir.db(), "install");
    ctx.set_flag("foo");
    ctx.set_flag_value("bar", json!({"y": [1, 2], "x": "é"}));
    ctx.commit().unwrap();
    drop(ctx);
    assert_eq!(
        raw_rows(&dir.db())
            .into_iter()
            .filter(|(k, _)| k.starts_with("reactive.states."))
            .collect::<Vec<_>>(),
        [
            (
                "reactive.states.bar".to_string(),
                r#"{"x": "\u00e9", "y": [1, 2]}"#.to_string()
            ),
            ("reactive.states.foo".to_string(), "null".to_string()),
        ]
    );
}

/// Each key's rowid, sorted by key.
fn rowids(path: &Path) -> Vec<(String, i64)> {
    by_key(path, "rowid")
}

#[test]
fn a_changed_value_is_written_over_its_row_and_an_unchanged_one_not_at_all() {
    let dir = TempDir::new("in-place");
    let mut state = UnitState::open(&dir.db()).unwrap();
    for key in ["a", "b", "c"] {
        state.set(key, json!(key));
    }
    state.commit().unwrap();
    let before = rowids(&dir.db());
    // Every row written from now on, as SQLite sees it.
    Connection::open(dir.db())
        .unwrap()
        .execute_batch(
            "create table writes (what text, key text);
             create trigger kv_update after update on kv
                 begin insert into writes values ('update', new.key); end;
             create trigger kv_insert after insert on kv
                 begin insert into writes values ('insert', new.key); end;
             create trigger kv_delete after delete on kv
                 begin insert into writes values ('delete', old.key); end;",
        )
        .unwrap();
    // A new value for `b` (longer, so it cannot be the same cell), the
    // same for `c`, a new key `d`.
    state.set("b", json!("b".repeat(5000)));
    state.set("c", json!("c"));
    state.set("d", json!("d"));
    state.commit().unwrap();
    drop(state);
    let after = rowids(&dir.db());
    // `b` kept its row, so its entry in the key index stays where it was
    // (`insert or replace` would move it under a new rowid); `d` came new.
    assert_eq!(&after[..3], &before[..]);
    assert_eq!(after[3].0, "d");
    assert!(after[3].1 > before.iter().map(|(_, id)| *id).max().unwrap());
    let rows = raw_rows(&dir.db());
    assert_eq!(
        rows[1],
        ("b".to_string(), format!("\"{}\"", "b".repeat(5000)))
    );
    assert_eq!(rows[2], ("c".to_string(), "\"c\"".to_string()));
    // `b` updated, `d` inserted, `c` not written at all.
    let conn = Connection::open(dir.db()).unwrap();
    let mut stmt = conn
        .prepare("select what, key from writes order by rowid")
        .unwrap();
    let writes: Vec<(String, String)> = stmt
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        writes,
        [
            ("update".to_string(), "b".to_string()),
            ("insert".to_string(), "d".to_string())
        ]
    );
}

#[test]
fn a_charmhelpers_database_is_read() {
    let dir = TempDir::new("charmhelpers");
    charmhelpers_db(
        &dir.db(),
        &[
            ("reactive.states.foo", "null"),
            ("reactive.states.bar", r#"{"x": 1}"#),
            ("reactive.states.endpoint.db.joined", "null"),
            ("reactive.states.leadership.is_leader", "true"),
            (
                "reactive.data_changed.db",
                r#""0123456789abcdef0123456789abcdef""#,
            ),
            ("reactive.statesX", "null"),
            ("unit.name", r#""app/0""#),
        ],
    );
    let mut ctx = context(&dir.db(), "update-status");
    assert_eq!(
        flags_and_values(&ctx),
        [
            ("bar".to_string(), json!({"x": 1})),
            ("endpoint.db.joined".to_string(), Value::Null),
            ("foo".to_string(), Value::Null),
            ("leadership.is_leader".to_string(), json!(true)),
        ]
    );
    // A flag change written back is readable by charmhelpers: plain JSON
    // text, the other rows untouched.
    ctx.clear_flag("foo");
    ctx.set_flag_value("baz", json!({"b": 2.5, "a": [true]}));
    ctx.commit().unwrap();
    drop(ctx);
    let rows = raw_rows(&dir.db());
    assert_eq!(
        rows,
        [
            (
                "reactive.data_changed.db".to_string(),
                r#""0123456789abcdef0123456789abcdef""#.to_string()
            ),
            ("reactive.states.bar".to_string(), r#"{"x": 1}"#.to_string()),
            (
                "reactive.states.baz".to_string(),
                r#"{"a": [true], "b": 2.5}"#.to_string()
            ),
            (
                "reactive.states.endpoint.db.joined".to_string(),
                "null".to_string()
            ),
            (
                "reactive.states.leadership.is_leader".to_string(),
                "true".to_string()
            ),
            ("reactive.statesX".to_string(), "null".to_string()),
            ("unit.name".to_string(), r#""app/0""#.to_string()),
        ]
    );
}

// ---- one transaction per hook ---------------------------------------------

mod failing_hook {
    use super::*;

    #[derive(Debug)]
    struct Broken;
    impl std::fmt::Display for Broken {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("broken on purpose")
        }
    }
    impl std::error::Error for Broken {}

    #[hook("install")]
    fn install(ctx: &mut Context) {
        ctx.set_flag_value("app.installed", 1);
        ctx.set_flag("to.be.cleared");
    }

    #[hook("upgrade-charm")]
    fn upgrade(ctx: &mut Context) -> Result<(), Broken> {
        ctx.set_flag_value("app.installed", 2);
        ctx.set_flag("app.upgraded");
        ctx.clear_flag("to.be.cleared");
        ctx.data_changed("some.data", &json!({"k": "v"})).unwrap();
        ctx.mark_invoked("upgrade");
        ctx.unit_state().set("custom.key", json!("written"));
        Err(Broken)
    }
}

/// A charm named `app` whose handlers are those of module `module`.
fn charm_of(module: &str) -> Charm {
    Charm::from_parts(
        CharmMetadata::new("app"),
        ConfigOptions::default(),
        Registry::builder().module_prefix(module),
    )
    .unwrap()
}

fn run(charm: &Charm, path: &Path, hook: &str) -> Result<(), String> {
    let outcome = run_outcome(charm, path, hook, false);
    outcome.result.map_err(|e| e.to_string())
}

/// `hook` run on the unit state at `path`, as a charm process runs it
/// (`process_ends`) or as a harness does.
fn run_outcome(
    charm: &Charm,
    path: &Path,
    hook: &str,
    process_ends: bool,
) -> reactive_core::runtime::HookOutcome {
    let mut model = ModelState::default();
    model.add_app("app", Default::default(), serde_json::Map::new());
    model.add_unit("app/0", None);
    let tools = UnitTools::new(Arc::new(Mutex::new(model)), "app/0");
    let mut info = HookInfo::named(hook);
    info.unit_name = Some("app/0".to_string());
    run_hook(
        charm,
        HookInput {
            hook: info,
            state: UnitState::open(path).unwrap(),
            tools: Box::new(tools),
            tracing: false,
            previous_config: Default::default(),
            process_ends,
        },
    )
}

#[test]
fn a_hook_whose_process_ends_with_it_commits_and_fails_alike_but_lists_no_flags() {
    let charm = charm_of("unit_state_persistence::failing_hook");
    let (kept, ending) = (TempDir::new("kept"), TempDir::new("ending"));
    let a = run_outcome(&charm, &kept.db(), "install", false);
    let b = run_outcome(&charm, &ending.db(), "install", true);
    assert!(a.result.is_ok() && b.result.is_ok());
    assert!(a.flags.contains(&"app.installed".to_string()));
    assert!(b.flags.is_empty());
    assert_eq!(raw_rows(&kept.db()), raw_rows(&ending.db()));
    drop(b);
    // A failed hook rolls back the same way.
    let before = std::fs::read(ending.db()).unwrap();
    let failed = run_outcome(&charm, &ending.db(), "upgrade-charm", true);
    let err = failed.result.map(drop).unwrap_err().to_string();
    assert!(err.contains("broken on purpose"), "{err}");
    assert_eq!(std::fs::read(ending.db()).unwrap(), before);
}

#[test]
fn a_failing_hook_leaves_the_database_file_byte_for_byte_as_before() {
    let dir = TempDir::new("failing");
    let charm = charm_of("unit_state_persistence::failing_hook");
    run(&charm, &dir.db(), "install").unwrap();
    let before = std::fs::read(dir.db()).unwrap();
    let rows_before = raw_rows(&dir.db());
    assert!(rows_before
        .iter()
        .any(|(k, v)| k == "reactive.states.app.installed" && v == "1"));

    let err = run(&charm, &dir.db(), "upgrade-charm").unwrap_err();
    assert!(
        err.contains(":upgrade") && err.contains("broken on purpose"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(dir.db()).unwrap(),
        before,
        "the failed hook changed the database file"
    );
    assert_eq!(raw_rows(&dir.db()), rows_before);
    assert!(
        !dir.0.join(".unit-state.db-journal").exists(),
        "a journal was left behind"
    );
    let ctx = context(&dir.db(), "update-status");
    assert_eq!(
        flags_and_values(&ctx),
        [
            ("app.installed".to_string(), json!(1)),
            ("to.be.cleared".to_string(), Value::Null),
        ]
    );
}

// ---- data_changed ------------------------------------------------------------

/// md5 of Python's `json.dumps(DATA, sort_keys=True)`, i.e. of
/// `{"a": {"y": true, "z": null}, "b": [1, 2.5, "x"], "u": "\u00e9"}`,
/// computed with python3.
const DATA_HASH: &str = "48b2cd34ae96ba4531a479692c411425";

fn data() -> Value {
    json!({"b": [1, 2.5, "x"], "a": {"z": null, "y": true}, "u": "é"})
}

#[test]
fn data_changed_stores_the_python_hash_and_reports_changes() {
    let dir = TempDir::new("data-changed");
    let mut ctx = context(&dir.db(), "install");
    assert!(ctx.data_changed("my.data", &data()).unwrap(), "first sight");
    assert_eq!(
        ctx.unit_state()
            .get("reactive.data_changed.my.data")
            .unwrap(),
        Some(json!(DATA_HASH))
    );
    assert!(!ctx.data_changed("my.data", &data()).unwrap());
    let other = json!({"b": [1, 2.5, "x"], "a": {"z": null, "y": false}, "u": "é"});
    assert!(ctx.data_changed("my.data", &other).unwrap());
    assert!(ctx.data_changed("my.data", &data()).unwrap());
    ctx.commit().unwrap();
    drop(ctx);
    assert!(raw_rows(&dir.db()).contains(&(
        "reactive.data_changed.my.data".to_string(),
        format!("\"{DATA_HASH}\"")
    )));
    let mut ctx = context(&dir.db(), "config-changed");
    assert!(
        !ctx.data_changed("my.data", &data()).unwrap(),
        "the hash did not survive the hook"
    );
}

#[test]
fn data_changed_agrees_with_a_hash_python_stored() {
    let dir = TempDir::new("data-changed-python");
    let stored = format!("\"{DATA_HASH}\"");
    charmhelpers_db(&dir.db(), &[("reactive.data_changed.py", &stored)]);
    let mut ctx = context(&dir.db(), "update-status");
    assert!(!ctx.is_data_changed("py", &data()).unwrap());
    assert!(!ctx.data_changed("py", &data()).unwrap());
    assert!(ctx.is_data_changed("py", &json!({"other": 1})).unwrap());
}

#[test]
fn is_data_changed_does_not_remember() {
    let mut ctx = Context::in_memory("install");
    assert!(ctx.is_data_changed("d", &data()).unwrap());
    assert!(ctx.is_data_changed("d", &data()).unwrap(), "it remembered");
    assert_eq!(
        ctx.unit_state().get("reactive.data_changed.d").unwrap(),
        None
    );
    assert!(ctx.data_changed("d", &data()).unwrap());
    assert!(!ctx.is_data_changed("d", &data()).unwrap());
    assert!(ctx.is_data_changed("d", &json!(null)).unwrap());
    assert!(
        !ctx.data_changed("d", &data()).unwrap(),
        "is_data_changed stored"
    );
}

// ---- any_file_changed --------------------------------------------------------

#[test]
fn any_file_changed_sees_files_appear_change_and_vanish() {
    let dir = TempDir::new("files");
    let mut hook = HookInfo::named("update-status");
    hook.charm_dir = Some(dir.0.clone());
    let mut ctx = Context::new(hook, UnitState::open(&dir.db()).unwrap()).unwrap();
    let file = dir.0.join("app.conf");
    let key = "reactive.files_changed.app.conf";

    assert!(
        !ctx.any_file_changed(&["app.conf"]).unwrap(),
        "absent, never seen"
    );
    std::fs::write(&file, "first version\n").unwrap();
    assert!(ctx.any_file_changed(&["app.conf"]).unwrap(), "appeared");
    // md5 of "first version\n", as Python's hashlib computes it.
    assert_eq!(
        ctx.unit_state().get(key).unwrap(),
        Some(json!("9f089b639127e2f5a79c4eda189678d6"))
    );
    assert!(!ctx.any_file_changed(&["app.conf"]).unwrap());
    std::fs::write(&file, "second version\n").unwrap();
    assert!(ctx.any_file_changed(&["app.conf"]).unwrap(), "changed");
    assert_eq!(
        ctx.unit_state().get(key).unwrap(),
        Some(json!("27f60b341727cb8ed1de139b0da7c173"))
    );
    // Rewriting the same content is no change.
    std::fs::write(&file, "second version\n").unwrap();
    assert!(!ctx.any_file_changed(&["app.conf"]).unwrap());
    std::fs::remove_file(&file).unwrap();
    assert!(ctx.any_file_changed(&["app.conf"]).unwrap(), "vanished");
    assert!(!ctx.any_file_changed(&["app.conf"]).unwrap());
}

#[test]
fn any_file_changed_checks_and_updates_every_file() {
    let dir = TempDir::new("files-many");
    std::fs::write(dir.0.join("a"), "a").unwrap();
    std::fs::write(dir.0.join("b"), "b").unwrap();
    let mut hook = HookInfo::named("update-status");
    hook.charm_dir = Some(dir.0.clone());
    let mut ctx = Context::new(hook, UnitState::open(&dir.db()).unwrap()).unwrap();
    assert!(ctx.any_file_changed(&["a", "b"]).unwrap());
    // Both hashes were stored although the first file already changed.
    assert!(!ctx.any_file_changed(&["b"]).unwrap());
    assert!(!ctx.any_file_changed(&["a", "b"]).unwrap());
    std::fs::write(dir.0.join("b"), "B").unwrap();
    assert!(ctx.any_file_changed(&["a", "b"]).unwrap());
    ctx.commit().unwrap();
    drop(ctx);
    let mut hook = HookInfo::named("update-status");
    hook.charm_dir = Some(dir.0.clone());
    let mut ctx = Context::new(hook, UnitState::open(&dir.db()).unwrap()).unwrap();
    assert!(
        !ctx.any_file_changed(&["a", "b"]).unwrap(),
        "the hashes did not survive the hook"
    );
}

// ---- was_invoked / mark_invoked -----------------------------------------------

#[test]
fn mark_invoked_is_remembered_across_hooks() {
    let dir = TempDir::new("invoked");
    let mut ctx = context(&dir.db(), "install");
    assert!(!ctx.was_invoked("setup").unwrap());
    ctx.mark_invoked("setup");
    assert!(ctx.was_invoked("setup").unwrap());
    assert!(!ctx.was_invoked("other").unwrap());
    ctx.commit().unwrap();
    drop(ctx);
    assert!(
        raw_rows(&dir.db()).contains(&("reactive.invoked.setup".to_string(), "true".to_string()))
    );
    let mut ctx = context(&dir.db(), "config-changed");
    assert!(ctx.was_invoked("setup").unwrap());
}

#[test]
fn was_invoked_reads_what_python_stored() {
    let dir = TempDir::new("invoked-python");
    charmhelpers_db(
        &dir.db(),
        &[
            ("reactive.invoked.py", "true"),
            ("reactive.invoked.no", "false"),
        ],
    );
    let mut ctx = context(&dir.db(), "update-status");
    assert!(ctx.was_invoked("py").unwrap());
    assert!(!ctx.was_invoked("no").unwrap());
    assert!(!ctx.was_invoked("absent").unwrap());
}

// ---- the file itself -------------------------------------------------------------

#[cfg(unix)]
#[test]
fn a_new_database_file_has_mode_0600() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("mode");
    let mut ctx = context(&dir.db(), "install");
    ctx.set_flag("a");
    ctx.commit().unwrap();
    drop(ctx);
    let mode = std::fs::metadata(dir.db()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "mode {mode:o}");
}

// ---- the reads at the start of a hook -------------------------------------

#[test]
fn a_read_transaction_holds_off_other_writers_until_it_ends() {
    let dir = TempDir::new("read-scope");
    let mut state = UnitState::open(&dir.db()).unwrap();
    state.set("a", json!(1));
    state.commit().unwrap();
    // Another process's connection, which does not wait for locks.
    let other = Connection::open(dir.db()).unwrap();
    other.busy_timeout(std::time::Duration::ZERO).unwrap();
    let write = |value: &str| {
        other.execute(
            "insert or replace into kv (key, data) values ('b', ?1)",
            [value],
        )
    };
    state.begin_reads();
    assert!(state.in_reads());
    // A read from the file (not from the store's cache) takes the lock.
    assert_eq!(state.get_range_keys("").unwrap(), ["a"]);
    let busy = write("1").unwrap_err();
    assert!(busy.to_string().contains("locked"), "{busy}");
    state.end_reads();
    assert!(!state.in_reads());
    write("2").unwrap();
    // A commit or a rollback ends it too.
    state.begin_reads();
    assert_eq!(state.get_range_keys("a").unwrap(), ["a"]);
    state.set("c", json!(3));
    state.commit().unwrap();
    assert!(!state.in_reads());
    write("3").unwrap();
    state.begin_reads();
    assert_eq!(state.get_raw("b").unwrap().as_deref(), Some("3"));
    state.rollback();
    assert!(!state.in_reads());
    write("4").unwrap();
}

mod helper_writes {
    use super::*;

    /// What the handler saw: whether the hook still held its read
    /// transaction, and whether a helper could write the unit state.
    pub static SEEN: Mutex<Option<(bool, Result<(), String>)>> = Mutex::new(None);

    #[hook("update-status")]
    fn run_a_helper(ctx: &mut Context) {
        let in_reads = ctx.unit_state().in_reads();
        let path = ctx.unit_state().path().unwrap().to_path_buf();
        // As a helper process the handler starts would: its own
        // connection, which waits for locks up to the busy timeout.
        let helper = std::thread::spawn(move || {
            let mut state = UnitState::open(&path).map_err(|e| e.to_string())?;
            state.set("helper.wrote", json!(true));
            state.commit().map_err(|e| e.to_string())
        });
        let wrote = helper.join().unwrap();
        *SEEN.lock().unwrap() = Some((in_reads, wrote));
        ctx.set_flag("ran");
    }
}

#[test]
fn the_hook_lets_its_read_transaction_go_before_handlers_run() {
    let dir = TempDir::new("helper");
    let charm = charm_of("unit_state_persistence::helper_writes");
    let mut outcome = run_outcome(&charm, &dir.db(), "update-status", true);
    assert!(outcome.result.is_ok(), "{:?}", outcome.result.map(drop));
    outcome.state.commit().unwrap();
    let seen = helper_writes::SEEN.lock().unwrap().take();
    assert_eq!(seen, Some((false, Ok(()))));
    let rows = raw_rows(&dir.db());
    assert!(rows.contains(&("helper.wrote".to_string(), "true".to_string())));
    assert!(rows.contains(&("reactive.states.ran".to_string(), "null".to_string())));
}
