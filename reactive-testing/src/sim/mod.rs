//! The simulated Juju: a model of applications, units and relations, hook
//! tools that answer from it, and a deployment simulator that runs charms
//! through whole scenarios without Juju.

pub mod action;
pub mod deployment;
pub mod model;
pub mod process;
pub mod queue;
pub mod report;
pub mod scenario;
pub mod secret_model;
pub mod tool_client;
pub mod tool_server;
pub mod unit_tools;

pub use action::ActionResult;
pub use deployment::{AppSpec, CharmRunner, Deployment, HookRun, QueuedHook, SimError};
pub use model::{ModelState, Status};
pub use process::{ProcessCharm, ProcessHost, ProcessTiming};
pub use report::{FileSnapshot, StepReport, UnitSnapshot};
pub use scenario::{CharmCatalog, Scenario, Step};
pub use unit_tools::{ChangedBag, SharedModel, SharedUnitTools, ToolCall, UnitTools};
