//! Workload status values and port protocols.

use std::fmt;
use std::str::FromStr;

/// The workload states a charm may set with `status-set`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WorkloadState {
    /// Ready and working.
    Active,
    /// Needs an operator's action.
    Blocked,
    /// Busy with its own work.
    Maintenance,
    /// Waiting for something outside its control.
    Waiting,
}

impl WorkloadState {
    /// The name `status-set` takes.
    pub const fn as_str(self) -> &'static str {
        match self {
            WorkloadState::Active => "active",
            WorkloadState::Blocked => "blocked",
            WorkloadState::Maintenance => "maintenance",
            WorkloadState::Waiting => "waiting",
        }
    }
}

impl fmt::Display for WorkloadState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for WorkloadState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "active" => Ok(WorkloadState::Active),
            "blocked" => Ok(WorkloadState::Blocked),
            "maintenance" => Ok(WorkloadState::Maintenance),
            "waiting" => Ok(WorkloadState::Waiting),
            other => Err(format!(
                "unknown workload state `{other}`; expected active, blocked, maintenance or waiting"
            )),
        }
    }
}

/// A port's protocol for `open-port` / `close-port`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

impl Protocol {
    /// The name the tools take.
    pub const fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
