//! Running a charm as a real process under the simulator: the charm binary
//! is started as Juju starts it, and its hook tools are served by the
//! simulator.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::deployment::SimError;
use super::unit_tools::SharedUnitTools;
use crate::hook::HookInfo;

/// A charm run as a process.
#[derive(Debug, Clone)]
pub struct ProcessCharm {
    /// The charm binary.
    pub binary: PathBuf,
    /// Its endpoints (name to interface), from its metadata.
    pub endpoints: BTreeMap<String, String>,
    /// Its config defaults, from its `config.yaml`.
    pub config_defaults: Map<String, Value>,
}

/// What a hook run as a process did.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessOutcome {
    /// Handler ids invoked (read from the charm's log lines).
    pub invoked: Vec<String>,
    /// `Err` with what the charm printed when it exited non-zero.
    pub result: Result<(), String>,
    /// The unit's flags after the hook, read from its state DB.
    pub flags: Option<Vec<String>>,
}

impl ProcessCharm {
    /// Run one hook of this charm for a unit whose charm directory is `dir`.
    pub fn run(
        &self,
        _hook: &HookInfo,
        _dir: &Path,
        _tools: SharedUnitTools,
    ) -> Result<ProcessOutcome, SimError> {
        Err(SimError::Invalid(
            "running charms as processes is not available yet".to_string(),
        ))
    }
}
