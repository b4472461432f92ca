//! Pack a charm written with reactive-rs into the `.charm` archive Juju
//! deploys (`juju deploy ./name_ubuntu-22.04-amd64.charm`), the same zip
//! `charmcraft pack` makes: the charm's `metadata.yaml`, `config.yaml` and
//! `actions.yaml`, a `manifest.yaml` naming the base and architecture, the
//! charm binary under `bin/`, and a `dispatch` script Juju runs for every
//! hook. See [`contents`] for the layout.
//!
//! The `reactive-pack` command does it from the command line (see [`cli`]);
//! [`pack`] does it from code:
//!
//! ```no_run
//! use reactive_pack::{pack, Platform, PackOptions};
//!
//! let mut options = PackOptions::new(
//!     "charms/my-charm",
//!     Platform::new("ubuntu@22.04", "amd64")?,
//! );
//! options.binary = Some("target/release/my-charm".into()); // else built
//! options.out_dir = "build".into();
//! let packed = pack(&options)?;
//! println!("{}", packed.path.display()); // build/my-charm_ubuntu-22.04-amd64.charm
//! # Ok::<(), reactive_pack::PackError>(())
//! ```
#![deny(missing_docs)]

pub mod archive;
pub mod build;
pub mod cli;
pub mod contents;
pub mod error;
pub mod linking;
pub mod pack;
pub mod platform;

pub use error::PackError;
pub use pack::{pack, Layout, PackOptions, Packed};
pub use platform::Platform;
