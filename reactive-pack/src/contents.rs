//! What a packed charm holds, file by file, with the Unix mode of each:
//!
//! | entry | mode | what |
//! |---|---|---|
//! | `manifest.yaml` | 0644 | the base and architecture the charm runs on |
//! | `metadata.yaml` | 0644 | the charm's, as written |
//! | `config.yaml` | 0644 | when the charm has one |
//! | `actions.yaml` | 0644 | when the charm has one |
//! | `README.md`, `icon.svg`, `LICENSE` | 0644 | when the charm has them |
//! | `dispatch` | 0755 | the script Juju runs for every hook |
//! | `bin/<charm name>` | 0755 | the charm binary |
//!
//! Juju reads `metadata.yaml`, `manifest.yaml`, `config.yaml` and
//! `actions.yaml` from the archive; on a unit it unpacks everything, keeping
//! the modes stored, and runs `dispatch` for every hook with
//! `JUJU_DISPATCH_PATH` naming the hook.

use std::path::{Path, PathBuf};

use reactive_core::charm_file::CharmFileError;
use reactive_core::config::ConfigOptions;
use reactive_core::metadata::CharmMetadata;

use crate::error::PackError;
use crate::platform::{elf_arch, Platform};

/// Mode of the files Juju only reads.
pub const FILE_MODE: u32 = 0o644;

/// Mode of the files Juju runs.
pub const EXECUTABLE_MODE: u32 = 0o755;

/// The charm's own files copied as they are when present, besides
/// `metadata.yaml` (always) and the YAML files checked on the way.
const OPTIONAL_FILES: [&str; 3] = ["README.md", "icon.svg", "LICENSE"];

/// Where an entry's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Bytes made by the packer (`manifest.yaml`, `dispatch`).
    Bytes(Vec<u8>),
    /// A file, copied as it is.
    File(PathBuf),
}

/// One file of a packed charm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its path inside the charm, `/`-separated.
    pub name: String,
    /// Its Unix permission bits.
    pub mode: u32,
    /// Its bytes.
    pub source: Source,
}

/// The files of a packed charm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CharmContents {
    /// The charm's name, from its `metadata.yaml`.
    pub name: String,
    /// Where it runs.
    pub platform: Platform,
    /// Its files, in the order they are written.
    pub entries: Vec<Entry>,
}

impl CharmContents {
    /// The files of the charm in `charm_dir` (everything but the binary):
    /// `metadata.yaml` (required) and the charm's other files, each checked,
    /// and the `manifest.yaml` and `dispatch` made for it.
    ///
    /// # Errors
    ///
    /// [`PackError::MissingMetadata`], [`PackError::CharmFile`] for a
    /// malformed `metadata.yaml`, `config.yaml` or `actions.yaml`,
    /// [`PackError::BadCharmName`].
    pub fn read(charm_dir: &Path, platform: &Platform) -> Result<CharmContents, PackError> {
        let metadata_path = charm_dir.join("metadata.yaml");
        if !metadata_path.is_file() {
            return Err(PackError::MissingMetadata {
                path: metadata_path,
            });
        }
        let text = std::fs::read_to_string(&metadata_path).map_err(|e| {
            CharmFileError::new(&metadata_path, None, format!("cannot be read: {e}"))
        })?;
        let metadata = CharmMetadata::parse(&text, &metadata_path)?;
        if !is_charm_name(&metadata.name) {
            return Err(PackError::BadCharmName {
                file: metadata_path,
                name: metadata.name,
            });
        }
        let file = |name: &str| Entry {
            name: name.to_string(),
            mode: FILE_MODE,
            source: Source::File(charm_dir.join(name)),
        };
        let mut entries = vec![
            Entry {
                name: "manifest.yaml".into(),
                mode: FILE_MODE,
                source: Source::Bytes(manifest_yaml(platform).into_bytes()),
            },
            file("metadata.yaml"),
        ];
        if charm_dir.join("config.yaml").exists() {
            ConfigOptions::load(charm_dir)?;
            entries.push(file("config.yaml"));
        }
        let actions = charm_dir.join("actions.yaml");
        if actions.exists() {
            check_actions(&actions)?;
            entries.push(file("actions.yaml"));
        }
        for name in OPTIONAL_FILES {
            if charm_dir.join(name).is_file() {
                entries.push(file(name));
            }
        }
        entries.push(Entry {
            name: "dispatch".into(),
            mode: EXECUTABLE_MODE,
            source: Source::Bytes(dispatch_script(&metadata.name).into_bytes()),
        });
        Ok(CharmContents {
            name: metadata.name,
            platform: platform.clone(),
            entries,
        })
    }

    /// Add the charm binary, as `bin/<charm name>`.
    ///
    /// # Errors
    ///
    /// [`PackError::BinaryNotFound`] when `binary` is not a file;
    /// [`PackError::ArchMismatch`] when it is an executable for another
    /// architecture than the platform's.
    pub fn add_binary(&mut self, binary: &Path) -> Result<(), PackError> {
        if !binary.is_file() {
            return Err(PackError::BinaryNotFound {
                path: binary.to_path_buf(),
            });
        }
        if let Some(found) = elf_arch(binary)? {
            if found != self.platform.architecture {
                return Err(PackError::ArchMismatch {
                    binary: binary.to_path_buf(),
                    declared: self.platform.architecture.clone(),
                    found: found.to_string(),
                });
            }
        }
        self.entries.push(Entry {
            name: binary_entry(&self.name),
            mode: EXECUTABLE_MODE,
            source: Source::File(binary.to_path_buf()),
        });
        Ok(())
    }

    /// The file name `charmcraft` gives this charm's archive:
    /// `<name>_ubuntu-22.04-amd64.charm`.
    pub fn archive_name(&self) -> String {
        format!("{}_{}.charm", self.name, self.platform.file_stem())
    }
}

/// Where the charm binary goes in the charm: `bin/<charm name>`.
pub fn binary_entry(charm: &str) -> String {
    format!("bin/{charm}")
}

/// Whether `name` is a valid charm name: lower-case letters, digits and
/// single hyphens, starting with a letter, each hyphenated part holding a
/// letter (Juju's rule).
///
/// ```
/// use reactive_pack::contents::is_charm_name;
/// assert!(is_charm_name("scrape-target"));
/// assert!(is_charm_name("mysql-k8s"));
/// assert!(!is_charm_name("Mysql") && !is_charm_name("../x") && !is_charm_name("a-1"));
/// ```
pub fn is_charm_name(name: &str) -> bool {
    let mut parts = name.split('-');
    let first_ok = parts
        .next()
        .and_then(|p| p.bytes().next())
        .is_some_and(|b| b.is_ascii_lowercase());
    first_ok
        && name.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                && part.bytes().any(|b| b.is_ascii_lowercase())
        })
}

/// The `manifest.yaml` of a charm packed for `platform`: the `bases` Juju
/// reads (its channel quoted, so that YAML keeps it a string), and the
/// `analysis` attributes `charmcraft` records.
pub fn manifest_yaml(platform: &Platform) -> String {
    format!(
        "analysis:\n\
         \x20 attributes:\n\
         \x20 - name: language\n\
         \x20   result: rust\n\
         \x20 - name: framework\n\
         \x20   result: reactive-rs\n\
         bases:\n\
         - architectures:\n\
         \x20 - {arch}\n\
         \x20 channel: '{channel}'\n\
         \x20 name: ubuntu\n\
         reactive-pack-version: {version}\n",
        arch = platform.architecture,
        channel = platform.channel,
        version = env!("CARGO_PKG_VERSION"),
    )
}

/// The `dispatch` script of the charm `name`: it runs the charm binary
/// packed beside it (found through the script's own real path, so that it
/// also works when run through a link), with the environment Juju set.
pub fn dispatch_script(name: &str) -> String {
    format!(
        "#!/bin/sh\n\
         # Juju runs this for every hook and action, JUJU_DISPATCH_PATH naming which;\n\
         # the charm binary handles them all.\n\
         exec \"$(dirname \"$(realpath \"$0\")\")/{}\" \"$@\"\n",
        binary_entry(name)
    )
}

/// `actions.yaml` must be a YAML mapping (or empty).
fn check_actions(path: &Path) -> Result<(), PackError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CharmFileError::new(path, None, format!("cannot be read: {e}")))?;
    let doc = reactive_core::charm_file::parse_yaml(&text, path)?;
    match doc {
        serde_norway::Value::Mapping(_) | serde_norway::Value::Null => Ok(()),
        _ => Err(CharmFileError::new(path, None, "must be a mapping of actions").into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Dir(PathBuf);

    impl Dir {
        fn new(name: &str) -> Dir {
            let dir = std::env::temp_dir().join(format!(
                "reactive-pack-contents-{}-{name}",
                std::process::id()
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Dir(dir)
        }

        fn write(&self, name: &str, text: &str) -> PathBuf {
            let path = self.0.join(name);
            std::fs::write(&path, text).unwrap();
            path
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn amd64() -> Platform {
        Platform::new("ubuntu@22.04", "amd64").unwrap()
    }

    fn names(contents: &CharmContents) -> Vec<(&str, u32)> {
        contents
            .entries
            .iter()
            .map(|e| (e.name.as_str(), e.mode))
            .collect()
    }

    #[test]
    fn deeply_nested_actions_yaml_is_refused_at_once_naming_it() {
        let dir = Dir::new("deep-actions");
        let path = dir.write("actions.yaml", &format!("a: {}", "[".repeat(100_000)));
        let started = std::time::Instant::now();
        let e = check_actions(&path).unwrap_err().to_string();
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert!(
            e.contains("actions.yaml") && e.contains("nest deeper than 128"),
            "{e}"
        );
    }

    #[test]
    fn reads_the_charm_files_and_adds_the_binary() {
        let dir = Dir::new("full");
        dir.write("metadata.yaml", "name: demo\n");
        dir.write(
            "config.yaml",
            "options:\n  a:\n    type: int\n    default: 1\n",
        );
        dir.write("actions.yaml", "do-it:\n  description: Does it.\n");
        dir.write("icon.svg", "<svg/>");
        dir.write("notes.txt", "not packed");
        let binary = dir.write("demo-bin", "#!/bin/sh\n");
        let mut contents = CharmContents::read(&dir.0, &amd64()).unwrap();
        contents.add_binary(&binary).unwrap();
        assert_eq!(contents.name, "demo");
        assert_eq!(
            names(&contents),
            [
                ("manifest.yaml", 0o644),
                ("metadata.yaml", 0o644),
                ("config.yaml", 0o644),
                ("actions.yaml", 0o644),
                ("icon.svg", 0o644),
                ("dispatch", 0o755),
                ("bin/demo", 0o755),
            ]
        );
        assert_eq!(contents.archive_name(), "demo_ubuntu-22.04-amd64.charm");
        assert_eq!(
            contents.entries.last().unwrap().source,
            Source::File(binary)
        );
    }

    #[test]
    fn only_metadata_is_required() {
        let dir = Dir::new("minimal");
        dir.write("metadata.yaml", "name: demo\n");
        let contents = CharmContents::read(&dir.0, &amd64()).unwrap();
        assert_eq!(
            names(&contents),
            [
                ("manifest.yaml", 0o644),
                ("metadata.yaml", 0o644),
                ("dispatch", 0o755)
            ]
        );
    }

    #[test]
    fn the_manifest_is_what_juju_reads() {
        let text = manifest_yaml(&Platform::new("ubuntu@24.04", "arm64").unwrap());
        let doc: serde_norway::Value = serde_norway::from_str(&text).unwrap();
        let bases = doc["bases"].as_sequence().unwrap();
        assert_eq!(bases.len(), 1);
        assert_eq!(bases[0]["name"].as_str(), Some("ubuntu"));
        // A string: Juju's schema rejects a number here.
        assert_eq!(bases[0]["channel"].as_str(), Some("24.04"));
        let arches: Vec<&str> = bases[0]["architectures"]
            .as_sequence()
            .unwrap()
            .iter()
            .filter_map(|a| a.as_str())
            .collect();
        assert_eq!(arches, ["arm64"]);
        let attributes = doc["analysis"]["attributes"].as_sequence().unwrap();
        assert_eq!(attributes[0]["name"].as_str(), Some("language"));
    }

    #[test]
    fn the_dispatch_script_runs_the_binary_beside_it() {
        let script = dispatch_script("demo");
        assert!(script.starts_with("#!/bin/sh\n"), "{script}");
        assert!(
            script.ends_with("exec \"$(dirname \"$(realpath \"$0\")\")/bin/demo\" \"$@\"\n"),
            "{script}"
        );
    }

    #[test]
    fn errors_name_the_file() {
        let dir = Dir::new("errors");
        let e = CharmContents::read(&dir.0, &amd64()).unwrap_err();
        assert!(matches!(e, PackError::MissingMetadata { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            format!(
                "{}: not found; a charm archive needs the charm's metadata.yaml",
                dir.0.join("metadata.yaml").display()
            )
        );

        // charmcraft.yaml alone is not enough: Juju reads metadata.yaml.
        dir.write("charmcraft.yaml", "name: demo\n");
        let e = CharmContents::read(&dir.0, &amd64()).unwrap_err();
        assert!(matches!(e, PackError::MissingMetadata { .. }), "{e:?}");

        dir.write("metadata.yaml", "summary: no name\n");
        let e = CharmContents::read(&dir.0, &amd64()).unwrap_err();
        assert!(matches!(e, PackError::CharmFile(_)), "{e:?}");
        assert!(
            e.to_string().contains("metadata.yaml: `name`: is missing"),
            "{e}"
        );

        for bad in ["Demo", "../demo", "demo-", "a--b", "a-1"] {
            dir.write("metadata.yaml", &format!("name: {bad:?}\n"));
            let e = CharmContents::read(&dir.0, &amd64()).unwrap_err();
            match &e {
                PackError::BadCharmName { file, name } => {
                    assert_eq!(name, bad);
                    assert!(file.ends_with("metadata.yaml"));
                }
                other => panic!("{bad}: {other:?}"),
            }
        }

        dir.write("metadata.yaml", "name: demo\n");
        dir.write("config.yaml", "options:\n  a:\n    type: colour\n");
        let e = CharmContents::read(&dir.0, &amd64()).unwrap_err();
        assert!(matches!(e, PackError::CharmFile(_)), "{e:?}");
        assert!(e.to_string().contains("config.yaml"), "{e}");

        std::fs::remove_file(dir.0.join("config.yaml")).unwrap();
        dir.write("actions.yaml", "- a list\n");
        let e = CharmContents::read(&dir.0, &amd64()).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("actions.yaml: must be a mapping of actions"),
            "{e}"
        );
        dir.write("actions.yaml", "a: [\n");
        let e = CharmContents::read(&dir.0, &amd64()).unwrap_err();
        assert!(
            e.to_string().contains("actions.yaml: is not valid YAML"),
            "{e}"
        );
    }

    #[test]
    fn the_binary_must_exist_and_match_the_architecture() {
        let dir = Dir::new("binary");
        dir.write("metadata.yaml", "name: demo\n");
        let mut contents = CharmContents::read(&dir.0, &amd64()).unwrap();
        let missing = dir.0.join("target/release/demo");
        let e = contents.add_binary(&missing).unwrap_err();
        assert!(matches!(e, PackError::BinaryNotFound { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            format!("charm binary {}: not found", missing.display())
        );
        // A directory is not a binary either.
        let e = contents.add_binary(&dir.0).unwrap_err();
        assert!(matches!(e, PackError::BinaryNotFound { .. }), "{e:?}");

        let mut arm64 = b"\x7fELF\x02\x01\x01\x00".to_vec();
        arm64.resize(18, 0);
        arm64.extend_from_slice(&[0xb7, 0x00]);
        let path = dir.0.join("arm-bin");
        std::fs::write(&path, arm64).unwrap();
        let e = contents.add_binary(&path).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("is built for arm64, not for amd64 (--arch)"),
            "{e}"
        );
        let mut arm =
            CharmContents::read(&dir.0, &Platform::new("ubuntu@22.04", "arm64").unwrap()).unwrap();
        arm.add_binary(&path).unwrap();
    }
}
