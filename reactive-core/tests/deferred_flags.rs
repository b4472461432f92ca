//! The flags an endpoint sets for each changed key of remote data
//! (`endpoint.<name>.changed.<key>`) are not read with the others when a
//! hook starts, but when a question needs them: every answer is the same as
//! if they had been (`docs/reference/flags.md`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use reactive_core::prelude::*;
use reactive_core::triggers::Trigger;
use reactive_core::unit_state::{StateError, UnitState};
use reactive_core::{dispatch, HookInfo};
use serde_json::{json, Value};

mod common;
use common::TempDir;

/// The flags an earlier hook left: two endpoints' changed keys among
/// flags of every other kind, on both sides of them in key order.
const STORED: [(&str, &str); 8] = [
    ("app.ready", "null"),
    ("endpoint.db.changed", "null"),
    ("endpoint.db.changed.host", "{\"seen\": 1}"),
    ("endpoint.db.changed.port", "null"),
    ("endpoint.db.joined", "null"),
    ("endpoint.web.changed.request_1", "null"),
    ("endpoint.web.joined", "null"),
    ("zz.last", "2"),
];

fn unit_state_with_flags(dir: &TempDir) -> PathBuf {
    let path = dir.db();
    let mut state = UnitState::open(&path).unwrap();
    for (flag, text) in STORED {
        let value: Value = serde_json::from_str(text).unwrap();
        state.set(&format!("reactive.states.{flag}"), value);
    }
    state.commit().unwrap();
    path
}

fn context(path: &Path) -> Context {
    Context::new(
        HookInfo::named("update-status"),
        UnitState::open(path).unwrap(),
    )
    .unwrap()
}

#[test]
fn the_rows_of_changed_keys_are_left_unread_when_the_hook_starts() {
    let dir = TempDir::new("unread");
    let ctx = context(&unit_state_with_flags(&dir));
    let shown = format!("{ctx:?}");
    assert!(
        shown.contains(r#"flags_not_read: ["endpoint.db.changed.", "endpoint.web.changed."]"#),
        "{shown}"
    );
    assert!(!shown.contains("endpoint.db.changed.host"), "{shown}");
    assert!(
        shown.contains(r#""endpoint.db.changed", "endpoint.db.joined""#),
        "{shown}"
    );
}

#[test]
fn every_question_about_a_stored_flag_is_answered_as_if_it_had_been_read() {
    let dir = TempDir::new("answers");
    let ctx = context(&unit_state_with_flags(&dir));
    assert!(ctx.is_flag_set("endpoint.db.changed.host"));
    assert!(ctx.is_flag_set("endpoint.web.changed.request_1"));
    assert!(!ctx.is_flag_set("endpoint.db.changed.user"));
    assert!(!ctx.is_flag_set("endpoint.other.changed.host"));
    assert!(ctx.all_flags_set(&["endpoint.db.changed.port", "app.ready"]));
    assert!(!ctx.any_flags_set(&["endpoint.db.changed.user", "endpoint.web.changed.x"]));
    assert_eq!(
        ctx.get_unset_flags(&["endpoint.db.changed.user", "endpoint.db.changed.port"]),
        ["endpoint.db.changed.user"]
    );
    assert_eq!(
        ctx.flag_value("endpoint.db.changed.host"),
        Some(&json!({"seen": 1}))
    );
    assert_eq!(ctx.flag_value("endpoint.db.changed.user"), None);
    assert_eq!(ctx.get_flags(), STORED.map(|(flag, _)| flag.to_string()));
}

#[test]
fn changes_to_deferred_flags_are_seen_at_once_and_written_at_commit() {
    let dir = TempDir::new("changes");
    let path = unit_state_with_flags(&dir);
    let mut ctx = context(&path);
    ctx.register_trigger(Trigger::when("endpoint.db.changed.port").set_flag("port.again"))
        .unwrap();
    ctx.register_trigger(Trigger::when("endpoint.db.changed.user").set_flag("user.new"))
        .unwrap();
    ctx.register_trigger(Trigger::when_not("endpoint.db.changed.host").set_flag("host.gone"))
        .unwrap();
    // Set already: a new value, but no change.
    ctx.set_flag_value("endpoint.db.changed.port", 5432);
    assert!(!ctx.is_flag_set("port.again"));
    ctx.set_flag("endpoint.db.changed.user");
    assert!(ctx.is_flag_set("user.new"));
    ctx.clear_flag("endpoint.db.changed.host");
    assert!(ctx.is_flag_set("host.gone"));
    // Clearing a flag that is not set is no change.
    ctx.clear_flag("endpoint.web.changed.never");
    assert!(!ctx.is_flag_set("endpoint.db.changed.host"));
    assert_eq!(
        ctx.flag_value("endpoint.db.changed.port"),
        Some(&json!(5432))
    );
    let listed = ctx.get_flags();
    assert!(listed.contains(&"endpoint.db.changed.user".to_string()));
    assert!(!listed.contains(&"endpoint.db.changed.host".to_string()));
    ctx.commit().unwrap();

    let state = UnitState::open(&path).unwrap();
    assert_eq!(
        state
            .get_raw("reactive.states.endpoint.db.changed.port")
            .unwrap(),
        Some("5432".to_string())
    );
    assert!(state
        .get_raw("reactive.states.endpoint.db.changed.user")
        .unwrap()
        .is_some());
    assert!(state
        .get_raw("reactive.states.endpoint.db.changed.host")
        .unwrap()
        .is_none());
    assert!(state
        .get_raw("reactive.states.endpoint.web.changed.request_1")
        .unwrap()
        .is_some());
}

mod conditions {
    use super::*;

    #[when("endpoint.db.changed.host")]
    fn host_changed(ctx: &mut Context) {
        ctx.set_flag("saw.host");
    }

    #[when("endpoint.db.changed.user")]
    fn user_changed(ctx: &mut Context) {
        ctx.set_flag("saw.user");
    }
}

#[test]
fn a_handler_condition_naming_a_deferred_flag_holds_when_the_flag_is_stored() {
    let dir = TempDir::new("conditions");
    let mut ctx = context(&unit_state_with_flags(&dir));
    let registry = Arc::new(
        Registry::builder()
            .module_prefix("deferred_flags::conditions")
            .build()
            .unwrap(),
    );
    dispatch(&mut ctx, &registry).unwrap();
    assert!(ctx.is_flag_set("saw.host"));
    assert!(!ctx.is_flag_set("saw.user"));
}

#[test]
fn a_deferred_flag_that_cannot_be_read_fails_the_commit_naming_its_key() {
    let dir = TempDir::new("failed-read");
    let path = unit_state_with_flags(&dir);
    let mut ctx = context(&path);
    // The unit state loses its table after the hook started.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("drop table kv")
        .unwrap();
    assert!(!ctx.is_flag_set("endpoint.db.changed.host"));
    match ctx.commit() {
        Err(StateError::Read { key, .. }) => {
            assert_eq!(key, "reactive.states.endpoint.db.changed.host")
        }
        other => panic!("expected the failed read, got {other:?}"),
    }
}
