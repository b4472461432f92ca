//! Packing a charm: its files checked, its binary built (or given), all
//! written as a `.charm` archive or an unpacked directory.

use std::path::{Path, PathBuf};

use crate::archive::{write_archive, write_directory};
use crate::build::{bin_target, build_bin};
use crate::contents::CharmContents;
use crate::error::PackError;
use crate::linking::{host_triple, loads_libc_dynamically, static_libc_args};
use crate::platform::Platform;

/// What to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// The zip archive `<name>_ubuntu-22.04-amd64.charm`, which
    /// `juju deploy` takes.
    #[default]
    Archive,
    /// The same files unpacked into the directory
    /// `<name>_ubuntu-22.04-amd64/`.
    Directory,
}

/// How to pack a charm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackOptions {
    /// The charm's directory: its `metadata.yaml` (and `config.yaml`,
    /// `actions.yaml`) and, when no binary is given, its `Cargo.toml`.
    pub charm_dir: PathBuf,
    /// The charm binary; `None` builds it with cargo.
    pub binary: Option<PathBuf>,
    /// The cargo profile the binary is built with (`release`).
    pub profile: String,
    /// Where the packed charm is written (created if missing).
    pub out_dir: PathBuf,
    /// Where the charm runs.
    pub platform: Platform,
    /// Archive or directory.
    pub layout: Layout,
    /// Link the C library into the binary (see [`crate::linking`]): the
    /// binary is built so for this machine's target triple, and the binary
    /// packed (built or given) must be static.
    pub static_libc: bool,
}

impl PackOptions {
    /// Pack the charm in `charm_dir` for `platform` as an archive in the
    /// current directory, building its binary in release mode.
    pub fn new(charm_dir: impl Into<PathBuf>, platform: Platform) -> PackOptions {
        PackOptions {
            charm_dir: charm_dir.into(),
            binary: None,
            profile: "release".to_string(),
            out_dir: PathBuf::from("."),
            platform,
            layout: Layout::Archive,
            static_libc: false,
        }
    }
}

/// A packed charm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packed {
    /// The charm's name.
    pub name: String,
    /// The archive (or directory) written.
    pub path: PathBuf,
    /// The charm binary packed.
    pub binary: PathBuf,
}

/// Pack a charm as `options` say.
///
/// The charm's files are checked first, so a charm with a missing or
/// malformed `metadata.yaml` fails before any build.
///
/// # Errors
///
/// Any [`PackError`], naming the file, flag or command at fault.
pub fn pack(options: &PackOptions) -> Result<Packed, PackError> {
    let mut contents = CharmContents::read(&options.charm_dir, &options.platform)?;
    let binary = match &options.binary {
        Some(binary) => binary.clone(),
        None => {
            let bin = bin_target(&options.charm_dir, &contents.name)?;
            let extra = if options.static_libc {
                static_libc_args(&host_triple()?)
            } else {
                Vec::new()
            };
            build_bin(&options.charm_dir, &bin, &options.profile, &extra)?
        }
    };
    if options.static_libc && loads_libc_dynamically(&binary)? {
        return Err(PackError::NotStatic { binary });
    }
    contents.add_binary(&binary)?;
    std::fs::create_dir_all(&options.out_dir).map_err(PackError::io(&options.out_dir))?;
    let archive_name = contents.archive_name();
    let path = match options.layout {
        Layout::Archive => {
            let path = options.out_dir.join(&archive_name);
            write_archive(&contents, &path)?;
            path
        }
        Layout::Directory => {
            let stem = Path::new(&archive_name).with_extension("");
            let path = options.out_dir.join(stem);
            write_directory(&contents, &path)?;
            path
        }
    };
    Ok(Packed {
        name: contents.name,
        path,
        binary,
    })
}
