//! Actions on the deployment simulator: what Juju would refuse is refused
//! before anything runs (an unknown unit or action, parameters that do not
//! fit the schema), a text listing, and a failed action in the report.

use reactive_rs::telemetry;
use reactive_testing::sim::{Deployment, Scenario, SimError};
use serde_json::json;

fn scratch(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "reactive-sim-actions-{test}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn deployed(test: &str) -> (Deployment, std::path::PathBuf) {
    let dir = scratch(test);
    let mut deployment = Deployment::new(&dir).unwrap();
    let scenario = Scenario::parse(
        "steps:\n  - deploy: {app: prometheus, units: 1}\n",
        "s.yaml",
    )
    .unwrap();
    let reports = deployment.run_scenario(&scenario, &telemetry::in_process, &mut |_| {});
    assert_eq!(reports[0].error, None);
    (deployment, dir)
}

#[test]
fn unknown_units_actions_and_bad_params_are_refused() {
    let (mut d, dir) = deployed("refused");
    assert_eq!(
        d.run_action("prometheus/7", "list-jobs", json!({})),
        Err(SimError::Unknown {
            what: "unit",
            name: "prometheus/7".into()
        })
    );
    let err = d
        .run_action("prometheus/0", "list-job", json!({}))
        .unwrap_err();
    assert_eq!(err.to_string(), "unknown action `list-job (of prometheus)`");
    let err = d
        .run_action("prometheus/0", "list-jobs", json!({"format": "xml"}))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("action `list-jobs` on prometheus/0: parameter `format` must be one of"),
        "{err}"
    );
    let err = d
        .run_action("prometheus/0", "list-jobs", json!({"colour": "red"}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("parameter `colour` is not declared"), "{err}");
    assert!(d.take_runs().is_empty(), "nothing ran");
    drop(d);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_text_listing_with_no_job_and_the_report() {
    let (mut d, dir) = deployed("text");
    d.take_runs();
    let result = d
        .run_action("prometheus/0", "list-jobs", json!({"format": "text"}))
        .unwrap();
    assert_eq!(result.failure, None);
    assert_eq!(result.results, json!({"count": "0", "jobs": ""}));
    assert_eq!(result.params, json!({"format": "text"}));
    let runs = d.take_runs();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].hook, "list-jobs");
    assert_eq!(d.take_action_results(), [result]);
    drop(d);
    let _ = std::fs::remove_dir_all(dir);
}
