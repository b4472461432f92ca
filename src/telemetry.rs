//! The telemetry example's charms as the simulator runs them: the catalog
//! shared by the example runner, its tests and its benchmark.

use std::path::{Path, PathBuf};

use reactive_core::endpoint::RelationDataMode;
use reactive_core::runtime::Charm;
use reactive_testing::sim::{CharmRunner, ProcessCharm, SimError};

/// The charms of the example, by the name `deploy` steps give.
pub const CHARMS: [&str; 2] = ["scrape-target", "prometheus"];

/// The example's scenario file.
pub fn scenario_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/telemetry/scenario.yaml")
}

/// The source directory (metadata.yaml, config.yaml) of a charm.
pub fn charm_dir(name: &str) -> Result<PathBuf, SimError> {
    match name {
        "scrape-target" => Ok(scrape_target::charm().source_dir().to_path_buf()),
        "prometheus" => Ok(prometheus::charm().source_dir().to_path_buf()),
        other => Err(SimError::Unknown {
            what: "charm",
            name: other.to_string(),
        }),
    }
}

/// A charm run in this process, with its own handlers (and its
/// endpoints').
pub fn in_process(name: &str) -> Result<(CharmRunner, PathBuf), SimError> {
    in_process_reading(name, RelationDataMode::Snapshot)
}

/// [`in_process`], reading remote relation data as charms.reactive does:
/// every bag a hook needs with `relation-get`.
pub fn in_process_fresh(name: &str) -> Result<(CharmRunner, PathBuf), SimError> {
    in_process_reading(name, RelationDataMode::Fresh)
}

fn in_process_reading(
    name: &str,
    mode: RelationDataMode,
) -> Result<(CharmRunner, PathBuf), SimError> {
    let dir = charm_dir(name)?;
    let registry = match name {
        "scrape-target" => scrape_target::charm(),
        _ => prometheus::charm(),
    };
    let charm = Charm::load_with(&dir, registry.registry())
        .map_err(|e| SimError::Invalid(e.to_string()))?
        .with_relation_data(mode);
    Ok((CharmRunner::InProcess(charm), dir))
}

/// A charm run as a process: its binary in `binaries` (a
/// `target/<profile>` directory), its hook tools served through
/// `tool_client`.
pub fn as_process(
    name: &str,
    binaries: &Path,
    tool_client: &Path,
) -> Result<(CharmRunner, PathBuf), SimError> {
    let dir = charm_dir(name)?;
    let charm = ProcessCharm::load(binaries.join(name), &dir, tool_client)?;
    Ok((CharmRunner::Process(charm), dir))
}
