//! The reactive-rs workspace's facade package: it holds the cross-crate
//! integration tests (`tests/`) and the runnable examples (`examples/`).
//! Charms depend on [`reactive_core`] directly.
#![deny(missing_docs)]

pub use reactive_core;

pub mod telemetry;
