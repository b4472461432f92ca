//! The reactive-rs workspace's facade package: it holds the cross-crate
//! integration tests (`tests/`) and the runnable examples (`examples/`).
//! Charms depend on [`reactive_core`] directly.
#![deny(missing_docs)]

pub use reactive_core;

pub mod telemetry;

/// The Rust code of the README and of the guide, compiled and run as
/// doctests (`cargo test -p reactive-rs --doc`), so that every snippet a
/// reader copies builds against the crates as they are. A block that needs
/// a charm crate which does not exist here is marked `ignore` and says so.
/// (The request/response chapter's blocks are excerpts of
/// `examples/telemetry/`, which the workspace's tests build.)
#[cfg(doctest)]
mod documentation {
    #[doc = include_str!("../README.md")]
    mod readme {}

    #[doc = include_str!("../docs/guide/01-first-charm.md")]
    mod guide_first_charm {}

    #[doc = include_str!("../docs/guide/02-interfaces.md")]
    mod guide_interfaces {}

    #[doc = include_str!("../docs/guide/04-testing.md")]
    mod guide_testing {}

    #[doc = include_str!("../docs/guide/05-packing.md")]
    mod guide_packing {}

    #[doc = include_str!("../docs/upgrading-from-python.md")]
    mod upgrading_from_python {}
}
