//! Packaging a charm built with reactive-rs as a directory Juju can deploy:
//! `metadata.yaml`, `config.yaml`, `manifest.yaml`, the charm binary under
//! `bin/`, and a `dispatch` script that runs it for every hook.

use std::fmt;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::metadata::CharmMetadata;

/// Why a charm cannot be packed.
#[derive(Debug)]
pub enum PackError {
    /// The charm's metadata is missing or malformed.
    Metadata(crate::metadata::MetadataError),
    /// A file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl fmt::Display for PackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PackError::Metadata(e) => write!(f, "{e}"),
            PackError::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for PackError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PackError::Metadata(e) => Some(e),
            PackError::Io { source, .. } => Some(source),
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PackError + '_ {
    move |source| PackError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The Ubuntu base and architecture a packed charm declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base {
    /// e.g. `22.04`.
    pub channel: String,
    /// e.g. `amd64`.
    pub architecture: String,
}

impl Default for Base {
    fn default() -> Self {
        let architecture = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "powerpc64" => "ppc64el",
            "s390x" => "s390x",
            other => other,
        };
        Base {
            channel: "22.04".to_string(),
            architecture: architecture.to_string(),
        }
    }
}

/// Pack the charm whose `metadata.yaml` (and `config.yaml`) are in
/// `charm_dir`, with its compiled `binary`, into `out_dir` (created, or
/// emptied of the files it writes). Returns `out_dir`.
///
/// The result deploys with `juju deploy ./out_dir` (Juju 2.9), or zipped
/// into a `.charm` file (`cd out_dir && zip -r ../name.charm .`) with
/// `juju deploy ./name.charm`.
pub fn pack_charm(
    charm_dir: &Path,
    binary: &Path,
    out_dir: &Path,
    base: &Base,
) -> Result<PathBuf, PackError> {
    let metadata = CharmMetadata::load(charm_dir).map_err(PackError::Metadata)?;
    fs::create_dir_all(out_dir.join("bin")).map_err(io(out_dir))?;
    for name in [
        "metadata.yaml",
        "config.yaml",
        "charmcraft.yaml",
        "actions.yaml",
        "README.md",
        "icon.svg",
    ] {
        let from = charm_dir.join(name);
        if from.exists() {
            let to = out_dir.join(name);
            fs::copy(&from, &to).map_err(io(&from))?;
        }
    }
    let target = out_dir.join("bin").join(&metadata.name);
    fs::copy(binary, &target).map_err(io(binary))?;
    fs::set_permissions(&target, fs::Permissions::from_mode(0o755)).map_err(io(&target))?;
    let dispatch = out_dir.join("dispatch");
    let script = format!(
        "#!/bin/sh\n# Juju runs this for every hook; JUJU_DISPATCH_PATH names the hook.\nexec \"$(dirname \"$0\")/bin/{}\" \"$@\"\n",
        metadata.name
    );
    fs::write(&dispatch, script).map_err(io(&dispatch))?;
    fs::set_permissions(&dispatch, fs::Permissions::from_mode(0o755)).map_err(io(&dispatch))?;
    let manifest = out_dir.join("manifest.yaml");
    let text = format!(
        "analysis:\n  attributes:\n  - name: language\n    result: rust\n  - name: framework\n    result: reactive-rs\nbases:\n- architectures:\n  - {}\n  channel: '{}'\n  name: ubuntu\n",
        base.architecture, base.channel
    );
    fs::write(&manifest, text).map_err(io(&manifest))?;
    Ok(out_dir.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_a_deployable_directory() {
        let root = std::env::temp_dir().join(format!("reactive-pack-{}", std::process::id()));
        let src = root.join("src");
        fs::create_dir_all(&src).unwrap();
        fs::write(src.join("metadata.yaml"), "name: demo\n").unwrap();
        fs::write(src.join("config.yaml"), "options: {}\n").unwrap();
        let binary = root.join("demo-bin");
        fs::write(&binary, "#!/bin/sh\n").unwrap();
        let out = root.join("out");
        let base = Base {
            channel: "22.04".into(),
            architecture: "amd64".into(),
        };
        pack_charm(&src, &binary, &out, &base).unwrap();
        for file in [
            "metadata.yaml",
            "config.yaml",
            "manifest.yaml",
            "dispatch",
            "bin/demo",
        ] {
            assert!(out.join(file).exists(), "{file}");
        }
        let mode = fs::metadata(out.join("dispatch"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
        let dispatch = fs::read_to_string(out.join("dispatch")).unwrap();
        assert!(dispatch.contains("/bin/demo\""), "{dispatch}");
        let manifest = fs::read_to_string(out.join("manifest.yaml")).unwrap();
        assert!(
            manifest.contains("- amd64\n  channel: '22.04'\n  name: ubuntu"),
            "{manifest}"
        );
        let e = pack_charm(&root, &binary, &out, &base).unwrap_err();
        assert!(e.to_string().contains("metadata.yaml: not found"), "{e}");
        fs::remove_dir_all(&root).unwrap();
    }
}
