//! The harness refuses what Juju would never do, naming the thing that is
//! wrong, and changes nothing when it refuses.

use reactive_core::prelude::*;
use reactive_testing::harness::{Harness, HarnessError};
use serde_json::json;

reactive_core::charm!();

#[when("never.set")]
fn placeholder() {}

const METADATA: &str =
    "name: app\nrequires:\n  db:\n    interface: sql\npeers:\n  ring:\n    interface: ring\n";
const CONFIG: &str = "options:\n  port: {type: int, default: 80}\n  name: {type: string}\n  debug: {type: boolean}\n  ratio: {type: float}\n";

fn harness() -> Harness {
    Harness::from_yaml(METADATA, CONFIG, charm()).unwrap()
}

fn message(result: Result<impl std::fmt::Debug, HarnessError>) -> String {
    result.unwrap_err().to_string()
}

#[test]
fn hook_names_that_are_not_juju_hooks_are_refused_with_a_suggestion() {
    let mut h = harness();
    assert_eq!(
        message(h.fire("instal")),
        "`instal` is not a Juju hook; did you mean `install`?"
    );
    assert_eq!(message(h.fire("reboot")), "`reboot` is not a Juju hook");
    assert!(h.history().is_empty(), "a refused hook does not run");
    h.fire("install").unwrap();
}

#[test]
fn relation_hooks_need_a_relation() {
    let mut h = harness();
    assert!(matches!(
        h.fire("db-relation-joined"),
        Err(HarnessError::RelationHookWithoutRelation { .. })
    ));
}

#[test]
fn endpoints_not_in_metadata_are_refused() {
    let mut h = harness();
    assert_eq!(
        message(h.add_relation("nosuch", "other")),
        "metadata.yaml declares no endpoint `nosuch` (it declares: db, ring)"
    );
    assert_eq!(
        message(h.published("nosuch:0")),
        "metadata.yaml declares no endpoint `nosuch` (it declares: db, ring)"
    );
}

#[test]
fn unknown_and_malformed_relation_ids_are_refused() {
    let mut h = harness();
    let rid = h.add_relation("db", "mysql").unwrap();
    assert_eq!(rid, "db:0");
    assert_eq!(
        message(h.published("db:99")),
        "this unit is in no relation `db:99` (never added, or removed)"
    );
    assert_eq!(
        message(h.published("db")),
        "`db` is not a relation id (`<endpoint>:<number>`)"
    );
    assert!(matches!(
        h.fire_relation("changed", "db:7", None),
        Err(HarnessError::UnknownRelation { .. })
    ));
    assert!(matches!(
        h.set_remote_unit_data("db:5", "mysql/0", &[("k", "v")]),
        Err(HarnessError::UnknownRelation { .. })
    ));
    h.remove_relation(&rid).unwrap();
    assert!(matches!(
        h.fire_relation("broken", &rid, None),
        Err(HarnessError::UnknownRelation { .. })
    ));
    assert!(h.published(&rid).is_err(), "a removed relation is gone");
}

#[test]
fn relation_hooks_for_a_unit_that_never_joined_are_refused() {
    let mut h = harness();
    let rid = h.add_relation("db", "mysql").unwrap();
    assert_eq!(
        message(h.fire_relation("joined", &rid, Some("mysql/3"))),
        "unit `mysql/3` never joined relation `db:0`; add it with `add_remote_unit` first"
    );
    assert!(matches!(
        h.fire_relation("joined", &rid, None),
        Err(HarnessError::RemoteUnitRequired { .. })
    ));
    assert!(matches!(
        h.fire_relation("join", &rid, None),
        Err(HarnessError::UnknownRelationEvent { .. })
    ));
    h.add_remote_unit(&rid, "mysql/3").unwrap();
    h.fire_relation("joined", &rid, Some("mysql/3")).unwrap();
    // A departed hook follows the unit's leaving, so it is still known.
    h.remove_remote_unit(&rid, "mysql/3").unwrap();
    h.fire_relation("departed", &rid, Some("mysql/3")).unwrap();
    assert!(matches!(
        h.remove_remote_unit(&rid, "mysql/3"),
        Err(HarnessError::UnitNotInRelation { .. })
    ));
}

#[test]
fn remote_units_must_be_of_the_application_on_the_other_side() {
    let mut h = harness();
    let rid = h.add_relation("db", "mysql").unwrap();
    assert_eq!(
        message(h.add_remote_unit(&rid, "postgres/0")),
        "unit `postgres/0`: the other side of this relation is the application mysql"
    );
    assert!(message(h.add_remote_unit(&rid, "mysql")).contains("not a unit name"));
    assert!(message(h.add_remote_unit(&rid, "app/0")).contains("this unit itself"));
    assert!(h.set_remote_app_data(&rid, "app", &[("k", "v")]).is_err());
    h.set_remote_app_data(&rid, "mysql", &[("k", "v")]).unwrap();
    // On a peer relation the other units are of this application.
    let peers = h.add_relation("ring", "app").unwrap();
    h.add_remote_unit(&peers, "app/1").unwrap();
    assert!(h.add_remote_unit(&peers, "mysql/1").is_err());
}

#[test]
fn config_keys_and_types_not_in_config_yaml_are_refused() {
    let mut h = harness();
    assert_eq!(
        message(h.update_config(json!({"portt": 8080}))),
        "config.yaml declares no option `portt`; did you mean `port`?"
    );
    assert_eq!(
        message(h.update_config(json!({"port": "8080"}))),
        "config option `port` is of type int in config.yaml, not a string"
    );
    assert!(h.update_config(json!({"debug": 1})).is_err());
    assert!(h.update_config(json!({"ratio": "x"})).is_err());
    assert!(h.update_config(json!(["port"])).is_err());
    // Nothing of a refused update is applied.
    assert!(h.update_config(json!({"name": "a", "port": "x"})).is_err());
    assert!(!h.model().apps["app"].config.contains_key("name"));
    h.update_config(json!({"port": 8080, "ratio": 2, "name": null, "debug": true}))
        .unwrap();
    assert_eq!(h.model().apps["app"].config["port"], json!(8080));
}

#[test]
fn leader_only_hooks_and_tools_on_a_non_leader_are_refused() {
    let mut h = harness();
    assert!(matches!(
        h.fire("leader-elected"),
        Err(HarnessError::NotLeader { .. })
    ));
    h.set_leader(true);
    h.fire("leader-elected").unwrap();
}

mod leader_tools {
    use super::*;
    use reactive_core::tools::{HookTools, WorkloadState};

    #[when("try.app-status")]
    fn set_app_status(ctx: &mut Context) -> Result<(), reactive_core::tools::ToolError> {
        ctx.tools()
            .with(|t| t.status_set(true, WorkloadState::Active, "ready"))
    }
}

#[test]
fn an_application_status_set_by_a_non_leader_fails_the_hook() {
    let mut h = harness();
    h.fire("install").unwrap();
    h.unit_state()
        .set("reactive.states.try.app-status", serde_json::Value::Null);
    h.unit_state().commit().unwrap();
    let error = h.fire("update-status").unwrap_err();
    let record = error.record().expect("the hook ran and failed");
    let text = record.result.clone().unwrap_err();
    assert!(
        text.contains("status-set") && text.contains("not the leader"),
        "{text}"
    );
    h.set_leader(true);
    h.fire("update-status").unwrap();
    assert_eq!(
        h.model().apps["app"]
            .status
            .as_ref()
            .map(|s| s.message.clone()),
        Some("ready".to_string())
    );
}

#[test]
fn checks_can_be_turned_off_for_a_deliberate_edge_test() {
    let mut h = harness();
    let rid = h.add_relation("db", "mysql").unwrap();
    h.set_consistency_checks(false);
    h.fire_relation("joined", &rid, Some("mysql/9")).unwrap();
    h.update_config(json!({"undeclared": 1})).unwrap();
    // Malformed ids stay refused: the harness could not find the relation.
    assert!(h.published("db").is_err());
}
