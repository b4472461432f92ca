//! The simulated Juju: a model of applications, units and relations, and
//! hook tools that answer from it, so charms run without Juju.

pub mod model;
pub mod unit_tools;

pub use model::{ModelState, Status};
pub use unit_tools::{ChangedBag, SharedModel, SharedUnitTools, ToolCall, UnitTools};
