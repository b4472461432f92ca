//! Why a charm cannot be packed: one variant per failure, each naming the
//! file, flag or command at fault.

use std::fmt;
use std::path::PathBuf;
use std::process::ExitStatus;

use reactive_core::charm_file::CharmFileError;

/// Why a charm cannot be packed.
#[derive(Debug)]
pub enum PackError {
    /// The charm directory has no `metadata.yaml` (Juju reads the charm's
    /// name and endpoints from it inside the archive).
    MissingMetadata {
        /// The `metadata.yaml` looked for.
        path: PathBuf,
    },
    /// A charm file (`metadata.yaml`, `config.yaml`, `actions.yaml`) is
    /// malformed.
    CharmFile(CharmFileError),
    /// The charm's name cannot name a Juju charm (nor a file).
    BadCharmName {
        /// The file declaring it.
        file: PathBuf,
        /// The name.
        name: String,
    },
    /// The charm binary given (or built) is not a file.
    BinaryNotFound {
        /// The path.
        path: PathBuf,
    },
    /// The charm binary is built for another architecture than the one
    /// declared.
    ArchMismatch {
        /// The binary.
        binary: PathBuf,
        /// The architecture declared (`--arch`).
        declared: String,
        /// The architecture the binary is for.
        found: String,
    },
    /// `--base` is not of the form `ubuntu@<YY.MM>`.
    BadBase {
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `--arch` is not an architecture Juju knows.
    BadArch {
        /// The value given.
        value: String,
    },
    /// Cargo could not be started.
    CargoNotRun {
        /// The cargo program.
        program: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// `cargo metadata` failed or said something unexpected.
    CargoMetadata {
        /// The charm's `Cargo.toml`.
        manifest: PathBuf,
        /// What went wrong (cargo's own last words, when it failed).
        message: String,
    },
    /// The charm's package has no binary target, or several none of which
    /// is named after the charm.
    BinTarget {
        /// The charm's `Cargo.toml`.
        manifest: PathBuf,
        /// The binary targets found.
        found: Vec<String>,
    },
    /// `cargo build` failed (its diagnostics went to standard error).
    CargoBuild {
        /// The charm's `Cargo.toml`.
        manifest: PathBuf,
        /// How cargo exited.
        status: ExitStatus,
    },
    /// The host's target triple could not be read from `rustc -vV`
    /// (`--static-libc` builds for it).
    HostTriple {
        /// What went wrong.
        message: String,
    },
    /// `--static-libc` asks for the C library linked into the binary, and
    /// the binary built or given still has the dynamic loader start it.
    NotStatic {
        /// The binary.
        binary: PathBuf,
    },
    /// The binary is an ELF file whose headers do not read.
    NotElf {
        /// The binary.
        binary: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The directory `--dir` would write exists and is not a packed charm.
    NotAPackedCharm {
        /// The directory.
        path: PathBuf,
    },
    /// A file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The archive could not be written.
    Zip {
        /// The archive.
        path: PathBuf,
        /// Why.
        source: zip::result::ZipError,
    },
}

impl PackError {
    /// An I/O error about `path`.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> PackError {
        let path = path.into();
        move |source| PackError::Io { path, source }
    }
}

impl fmt::Display for PackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PackError::MissingMetadata { path } => write!(
                f,
                "{}: not found; a charm archive needs the charm's metadata.yaml",
                path.display()
            ),
            PackError::CharmFile(e) => write!(f, "{e}"),
            PackError::BadCharmName { file, name } => write!(
                f,
                "{}: `name`: {name:?} is not a valid charm name (lower-case letters, \
                 digits and single hyphens, starting with a letter)",
                file.display()
            ),
            PackError::BinaryNotFound { path } => {
                write!(f, "charm binary {}: not found", path.display())
            }
            PackError::ArchMismatch {
                binary,
                declared,
                found,
            } => write!(
                f,
                "charm binary {} is built for {found}, not for {declared} (--arch)",
                binary.display()
            ),
            PackError::BadBase { value, reason } => {
                write!(f, "--base {value:?}: {reason} (expected e.g. ubuntu@22.04)")
            }
            PackError::BadArch { value } => write!(
                f,
                "--arch {value:?}: not an architecture Juju knows (one of {})",
                crate::platform::ARCHITECTURES.join(", ")
            ),
            PackError::CargoNotRun { program, source } => {
                write!(f, "cannot run {}: {source}", program.display())
            }
            PackError::CargoMetadata { manifest, message } => {
                write!(f, "{}: cargo metadata: {message}", manifest.display())
            }
            PackError::BinTarget { manifest, found } if found.is_empty() => {
                write!(
                    f,
                    "{}: the package has no binary target",
                    manifest.display()
                )
            }
            PackError::BinTarget { manifest, found } => write!(
                f,
                "{}: several binary targets ({}) and none named after the charm; \
                 build one and pass it with --binary",
                manifest.display(),
                found.join(", ")
            ),
            PackError::CargoBuild { manifest, status } => write!(
                f,
                "{}: cargo build failed ({status}); see its messages above",
                manifest.display()
            ),
            PackError::HostTriple { message } => {
                write!(f, "cannot tell this machine's target triple: {message}")
            }
            PackError::NotStatic { binary } => write!(
                f,
                "charm binary {}: loads the C library dynamically, and --static-libc asks \
                 for it linked in (build it with `-C target-feature=+crt-static`; RUSTFLAGS or \
                 CARGO_ENCODED_RUSTFLAGS in the environment replace the flags reactive-pack \
                 gives cargo)",
                binary.display()
            ),
            PackError::NotElf { binary, message } => write!(
                f,
                "charm binary {}: not a readable ELF executable: {message}",
                binary.display()
            ),
            PackError::NotAPackedCharm { path } => write!(
                f,
                "{}: exists and is not a packed charm (no manifest.yaml and dispatch); \
                 not overwriting it",
                path.display()
            ),
            PackError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            PackError::Zip { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for PackError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PackError::CharmFile(e) => Some(e),
            PackError::CargoNotRun { source, .. } | PackError::Io { source, .. } => Some(source),
            PackError::Zip { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<CharmFileError> for PackError {
    fn from(e: CharmFileError) -> Self {
        PackError::CharmFile(e)
    }
}
