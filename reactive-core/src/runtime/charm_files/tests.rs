use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::*;
use reactive_grammar::hook_pattern::Role;

const METADATA: &str = "name: app\nrequires:\n  db:\n    interface: mysql\n";
const CONFIG: &str = "options:\n  port: {type: int, default: 9100, description: The port.}\n";

/// A charm directory of its own for each test, holding `files`.
fn charm_dir(test: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("charm-files-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    dir
}

fn kept_row(state: &UnitState) -> Value {
    serde_json::from_str(&state.get_raw(KEY).unwrap().expect("a kept row")).unwrap()
}

/// A charm directory with both files, and a unit state in which a first
/// hook loaded and kept them.
fn loaded_once(test: &str) -> (PathBuf, UnitState) {
    let dir = charm_dir(
        test,
        &[("metadata.yaml", METADATA), ("config.yaml", CONFIG)],
    );
    let mut state = UnitState::in_memory();
    load_and_commit(&dir, &mut state);
    (dir, state)
}

/// Load, then commit what the load kept (as the hook's end would).
fn load_and_commit(dir: &Path, state: &mut UnitState) -> (CharmMetadata, ConfigOptions) {
    let loaded = load(dir, state).unwrap();
    state.commit().unwrap();
    loaded
}

#[test]
fn the_first_hook_parses_the_files_and_keeps_what_it_parsed() {
    let dir = charm_dir(
        "first",
        &[("metadata.yaml", METADATA), ("config.yaml", CONFIG)],
    );
    let mut state = UnitState::in_memory();
    let (metadata, config) = load_and_commit(&dir, &mut state);
    assert_eq!(
        metadata,
        CharmMetadata::parse(METADATA, "metadata.yaml").unwrap()
    );
    assert_eq!(config, ConfigOptions::parse(CONFIG, "config.yaml").unwrap());
    let row = kept_row(&state);
    assert_eq!(row["format"], json!(FORMAT));
    assert_eq!(row["framework"], json!(env!("CARGO_PKG_VERSION")));
    assert_eq!(row["metadata"]["file"], json!("metadata.yaml"));
    assert_eq!(
        row["metadata"]["md5"],
        json!(md5_hex_bytes(METADATA.as_bytes()))
    );
    assert_eq!(
        row["config"]["md5"],
        json!(md5_hex_bytes(CONFIG.as_bytes()))
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_later_hook_with_the_same_files_takes_the_kept_form_and_writes_nothing() {
    let (dir, mut state) = loaded_once("later");
    // The kept form says otherwise than the files: what a hook gets shows
    // where it came from.
    let mut row = kept_row(&state);
    row["metadata"]["parsed"]["name"] = json!("from-the-row");
    row["config"]["parsed"]["options"]["port"]["description"] = json!("kept");
    state.set(KEY, row);
    state.commit().unwrap();

    let (metadata, config) = load(&dir, &mut state).unwrap();
    assert_eq!(metadata.name, "from-the-row");
    assert_eq!(config.options["port"].description, "kept");
    assert_eq!(metadata.endpoints[0].role, Role::Requires);
    assert!(
        !state.has_pending(),
        "nothing to write when the row is used"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_changed_file_is_parsed_again_and_kept_anew() {
    let (dir, mut state) = loaded_once("changed");
    let other = "options:\n  port: {type: int, default: 9200}\n";
    std::fs::write(dir.join("config.yaml"), other).unwrap();
    let (_, config) = load_and_commit(&dir, &mut state);
    assert_eq!(config.defaults()["port"], 9200);
    assert_eq!(
        kept_row(&state)["config"]["md5"],
        json!(md5_hex_bytes(other.as_bytes()))
    );

    let renamed = METADATA.replace("name: app", "name: app2");
    std::fs::write(dir.join("metadata.yaml"), &renamed).unwrap();
    let (metadata, _) = load_and_commit(&dir, &mut state);
    assert_eq!(metadata.name, "app2");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_config_file_that_comes_or_goes_is_seen() {
    let dir = charm_dir("config-comes", &[("metadata.yaml", METADATA)]);
    let mut state = UnitState::in_memory();
    let (_, config) = load_and_commit(&dir, &mut state);
    assert!(config.options.is_empty());
    assert_eq!(kept_row(&state)["config"], Value::Null);
    // The kept row with no config is used while there is none.
    load(&dir, &mut state).unwrap();
    assert!(!state.has_pending());

    std::fs::write(dir.join("config.yaml"), CONFIG).unwrap();
    let (_, config) = load_and_commit(&dir, &mut state);
    assert_eq!(config.defaults()["port"], 9100);

    std::fs::remove_file(dir.join("config.yaml")).unwrap();
    let (_, config) = load_and_commit(&dir, &mut state);
    assert!(config.options.is_empty());
    assert_eq!(kept_row(&state)["config"], Value::Null);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_same_text_under_another_file_name_is_parsed_again() {
    let dir = charm_dir("charmcraft", &[("metadata.yaml", METADATA)]);
    let mut state = UnitState::in_memory();
    load_and_commit(&dir, &mut state);
    std::fs::remove_file(dir.join("metadata.yaml")).unwrap();
    std::fs::write(dir.join("charmcraft.yaml"), METADATA).unwrap();
    load_and_commit(&dir, &mut state);
    assert_eq!(
        kept_row(&state)["metadata"]["file"],
        json!("charmcraft.yaml")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_row_of_another_format_or_version_or_unreadable_is_parsed_over() {
    let (dir, mut state) = loaded_once("other-row");
    let good = kept_row(&state);
    let mut rows = Vec::new();
    for (field, value) in [("format", json!(FORMAT + 1)), ("framework", json!("0.0.0"))] {
        let mut row = good.clone();
        row[field] = value;
        row["metadata"]["parsed"]["name"] = json!("stale");
        rows.push(row);
    }
    rows.push(json!("not the row's shape"));
    rows.push(json!({"format": FORMAT, "framework": env!("CARGO_PKG_VERSION")}));
    for row in rows {
        state.set(KEY, row.clone());
        state.commit().unwrap();
        let (metadata, _) = load_and_commit(&dir, &mut state);
        assert_eq!(metadata.name, "app", "used the row {row}");
        assert_eq!(kept_row(&state), good);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_malformed_file_fails_as_before_though_a_row_is_kept() {
    let (dir, mut state) = loaded_once("malformed");
    std::fs::write(dir.join("config.yaml"), "options: [").unwrap();
    let err = load(&dir, &mut state).unwrap_err();
    assert!(matches!(err, CharmError::Config(_)), "{err}");
    assert!(err.to_string().contains("config.yaml"), "{err}");
    std::fs::write(dir.join("config.yaml"), CONFIG).unwrap();
    std::fs::write(dir.join("metadata.yaml"), "name: [").unwrap();
    let err = load(&dir, &mut state).unwrap_err();
    assert!(matches!(err, CharmError::Metadata(_)), "{err}");
    std::fs::remove_file(dir.join("metadata.yaml")).unwrap();
    let err = load(&dir, &mut state).unwrap_err();
    assert!(err.to_string().contains("not found"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_failed_hook_keeps_nothing() {
    let dir = charm_dir("rollback", &[("metadata.yaml", METADATA)]);
    let mut state = UnitState::in_memory();
    load(&dir, &mut state).unwrap();
    state.rollback();
    assert_eq!(state.get_raw(KEY).unwrap(), None);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The row's shape is [`FORMAT`]'s: a change to how the parsed types
/// serialize fails here, to be met by raising it.
#[test]
fn the_row_has_the_shape_format_names() {
    let dir = charm_dir(
        "shape",
        &[
            (
                "metadata.yaml",
                "name: app\nprovides:\n  web: {interface: http}\n\
                 storage:\n  data: {type: filesystem, location: /srv}\n",
            ),
            ("config.yaml", CONFIG),
        ],
    );
    let mut state = UnitState::in_memory();
    load_and_commit(&dir, &mut state);
    let row = kept_row(&state);
    assert_eq!(FORMAT, 1);
    assert_eq!(
        row["metadata"]["parsed"],
        json!({
            "name": "app",
            "endpoints": [{"name": "web", "role": "provides", "interface": "http"}],
            "storage": [{"name": "data", "kind": "filesystem", "location": "/srv",
                         "minimum": 1, "maximum": 1}],
        })
    );
    assert_eq!(
        row["config"]["parsed"],
        json!({"options": {"port": {"kind": "int", "default": 9100, "description": "The port."}}})
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
