//! The telemetry example: the `scrape-target` and `prometheus` charms
//! through the seven-step scenario of `examples/telemetry/scenario.yaml`,
//! on the built-in simulator, with a report after each step.
//!
//! ```text
//! cargo run --release --example telemetry            # charms in this process
//! cargo run --release --example telemetry -- --json  # the reports as JSON
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use reactive_core::runtime::Charm;
use reactive_core::sim::{CharmRunner, Deployment, Scenario, SimError};

fn charm_dir(name: &str) -> Result<PathBuf, SimError> {
    match name {
        "scrape-target" => Ok(PathBuf::from(scrape_target::CHARM_DIR)),
        "prometheus" => Ok(PathBuf::from(prometheus::CHARM_DIR)),
        other => Err(SimError::Unknown {
            what: "charm",
            name: other.to_string(),
        }),
    }
}

fn in_process(name: &str) -> Result<(CharmRunner, PathBuf), SimError> {
    let dir = charm_dir(name)?;
    let registry = match name {
        "scrape-target" => scrape_target::registry(),
        _ => prometheus::registry(),
    };
    let charm = Charm::load_with(&dir, registry).map_err(|e| SimError::Invalid(e.to_string()))?;
    Ok((CharmRunner::InProcess(charm), dir))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let scenario_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/telemetry/scenario.yaml");
    let scenario = match Scenario::load(&scenario_path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let workdir = std::env::temp_dir().join(format!("reactive-telemetry-{}", std::process::id()));
    let mut deployment = match Deployment::new(&workdir) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut all = Vec::new();
    let reports = deployment.run_scenario(&scenario, &in_process, &mut |report| {
        if json {
            all.push(report.to_json());
        } else {
            print!("{}", report.to_text());
        }
    });
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"scenario": scenario.name, "steps": all})
            )
            .unwrap_or_default()
        );
    }
    let _ = std::fs::remove_dir_all(&workdir);
    if reports.iter().any(|r| r.error.is_some()) || reports.len() != scenario.steps.len() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
