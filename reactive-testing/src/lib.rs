//! # reactive-testing
//!
//! Test a reactive-rs charm without Juju: a charm's dev-dependency, apart
//! from the runtime it ships.
//!
//! - [`harness::Harness`] runs one unit of a charm, hook by hook, in
//!   process, against a simulated model that refuses what Juju would not
//!   do.
//! - [`sim::Deployment`] runs whole deployments of several charms, in
//!   Juju's hook order, in process or as real processes.
#![deny(missing_docs)]

pub mod harness;
pub mod sim;

pub use harness::Harness;
pub use sim::Deployment;
