//! The charm's `metadata.yaml` and `config.yaml` as an earlier hook parsed
//! them, kept in the unit state.
//!
//! Every hook is a new process, and each needs both files parsed. YAML is
//! slow to parse: 200 to 250 instructions a byte, so that a charm with a
//! 9 kB `config.yaml` and a 2 kB `metadata.yaml` spent 2.9 M instructions
//! (most of a millisecond) on them in every hook. The files change only
//! with the charm (`upgrade-charm`), so a hook keeps what it parsed under
//! [`KEY`], with each file's MD5 digest, and a later hook whose files have
//! the same digests decodes the parsed form from there (JSON, a tenth of
//! the cost) instead. A file that changed, a row this framework version
//! did not write, or one it cannot decode, means parsing the files again,
//! with the errors a malformed file gives, and keeping the new result.
//!
//! The row is written with the hook's other changes: a hook that fails
//! keeps nothing, and the next one parses again.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::charm::CharmError;
use crate::config::ConfigOptions;
use crate::helpers::md5_hex_bytes;
use crate::metadata::CharmMetadata;
use crate::unit_state::UnitState;

/// The unit-state key of the kept charm files.
pub const KEY: &str = "reactive.runtime.charm-files";

/// The shape of the row: raised whenever [`CharmMetadata`] or
/// [`ConfigOptions`] serialize differently, so that a row of another
/// shape is parsed again rather than misread. (The framework's version is
/// kept too: a charm upgraded to another one parses again.)
const FORMAT: u32 = 1;

/// The row, as written (`T` borrowed) or read (`T` owned).
#[derive(Serialize, Deserialize)]
struct Kept<M, C> {
    format: u32,
    framework: String,
    metadata: KeptFile<M>,
    /// `None` when the charm has no `config.yaml`.
    config: Option<KeptFile<C>>,
}

/// One file: its name (`metadata.yaml` or `charmcraft.yaml`), its text's
/// MD5 digest, and what parsing it gave.
#[derive(Serialize, Deserialize)]
struct KeptFile<T> {
    file: String,
    md5: String,
    parsed: T,
}

/// The charm's metadata and config options, from the files in `charm_dir`:
/// as kept in `state` when the files are those an earlier hook parsed, or
/// parsed now (and kept, pending in `state`).
///
/// # Errors
///
/// [`CharmError::Metadata`] or [`CharmError::Config`] when a file is
/// missing, unreadable or malformed, as [`CharmMetadata::load`] and
/// [`ConfigOptions::load`] say. A kept row that cannot be read is no
/// error: the files are parsed.
pub(crate) fn load(
    charm_dir: &Path,
    state: &mut UnitState,
) -> Result<(CharmMetadata, ConfigOptions), CharmError> {
    let metadata_path = CharmMetadata::locate(charm_dir).map_err(CharmError::Metadata)?;
    let metadata_text =
        crate::charm_file::read_text(&metadata_path).map_err(CharmError::Metadata)?;
    let config_path = charm_dir.join("config.yaml");
    let config_text = ConfigOptions::read_text(&config_path).map_err(CharmError::Config)?;
    let metadata_file = file_name(&metadata_path);
    let metadata_md5 = md5_hex_bytes(metadata_text.as_bytes());
    let config_md5 = config_text.as_deref().map(|t| md5_hex_bytes(t.as_bytes()));

    let kept = state
        .get_raw(KEY)
        .ok()
        .flatten()
        .and_then(|raw| serde_json::from_str::<Kept<CharmMetadata, ConfigOptions>>(&raw).ok())
        .filter(|k| k.format == FORMAT && k.framework == env!("CARGO_PKG_VERSION"));
    let (kept_metadata, kept_config) = match kept {
        Some(k) => (Some(k.metadata), Some(k.config)),
        None => (None, None),
    };
    let mut fresh = false;

    let metadata = match kept_metadata.filter(|k| k.file == metadata_file && k.md5 == metadata_md5)
    {
        Some(k) => k.parsed,
        None => {
            fresh = true;
            CharmMetadata::parse(&metadata_text, &metadata_path).map_err(CharmError::Metadata)?
        }
    };
    let config = match (kept_config, config_md5.as_deref()) {
        // No file now, and none when the row was written.
        (Some(None), None) => ConfigOptions::default(),
        (Some(Some(k)), Some(md5)) if k.md5 == md5 => k.parsed,
        _ => {
            fresh = true;
            match &config_text {
                Some(text) => {
                    ConfigOptions::parse(text, &config_path).map_err(CharmError::Config)?
                }
                None => ConfigOptions::default(),
            }
        }
    };

    if fresh {
        let row = Kept {
            format: FORMAT,
            framework: env!("CARGO_PKG_VERSION").to_string(),
            metadata: KeptFile {
                file: metadata_file,
                md5: metadata_md5,
                parsed: &metadata,
            },
            config: config_md5.map(|md5| KeptFile {
                file: "config.yaml".to_string(),
                md5,
                parsed: &config,
            }),
        };
        // Plain structures of strings and JSON values: serde_json writes
        // them all. Were it ever to fail, nothing would be kept, and the
        // next hook would parse again.
        let _ = state.set_serialized(KEY, &row);
    }
    Ok((metadata, config))
}

/// The last component of `path` (`metadata.yaml`, `charmcraft.yaml`).
fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
