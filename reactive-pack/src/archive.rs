//! Writing a charm's files as the `.charm` zip archive Juju deploys, or as
//! an unpacked directory.
//!
//! The archive stores each file's Unix mode (Juju keeps it when it unpacks
//! the charm on a unit) and a fixed timestamp, so that packing the same
//! files twice gives the same bytes.

use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::contents::{CharmContents, Source};
use crate::error::PackError;

/// Write `contents` as a zip archive at `path` (written beside it first,
/// then renamed, so that `path` is never half written).
///
/// # Errors
///
/// [`PackError::Io`] or [`PackError::Zip`] naming the file at fault.
pub fn write_archive(contents: &CharmContents, path: &Path) -> Result<(), PackError> {
    let partial = partial_path(path);
    let result = write_zip(contents, &partial);
    if result.is_err() {
        let _ = fs::remove_file(&partial);
        return result;
    }
    fs::rename(&partial, path).map_err(PackError::io(path))
}

fn write_zip(contents: &CharmContents, path: &Path) -> Result<(), PackError> {
    let zip_error = |source| PackError::Zip {
        path: path.to_path_buf(),
        source,
    };
    let file = File::create(path).map_err(PackError::io(path))?;
    let mut zip = ZipWriter::new(io::BufWriter::new(file));
    for entry in &contents.entries {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .last_modified_time(DateTime::default())
            .unix_permissions(entry.mode);
        zip.start_file(entry.name.as_str(), options)
            .map_err(zip_error)?;
        match &entry.source {
            Source::Bytes(bytes) => zip.write_all(bytes).map_err(PackError::io(path))?,
            Source::File(from) => {
                let mut reader = File::open(from).map_err(PackError::io(from))?;
                io::copy(&mut reader, &mut zip).map_err(PackError::io(from))?;
            }
        }
    }
    let mut out = zip.finish().map_err(zip_error)?;
    out.flush().map_err(PackError::io(path))
}

fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}

/// Write `contents` unpacked into the directory `dir`, each file with its
/// mode. A previous packed charm there is replaced; any other existing
/// directory is left alone.
///
/// # Errors
///
/// [`PackError::NotAPackedCharm`] when `dir` exists and does not hold a
/// packed charm; [`PackError::Io`] naming the file at fault.
pub fn write_directory(contents: &CharmContents, dir: &Path) -> Result<(), PackError> {
    if dir.exists() {
        let packed = dir.join("manifest.yaml").is_file() && dir.join("dispatch").is_file();
        if !packed {
            return Err(PackError::NotAPackedCharm {
                path: dir.to_path_buf(),
            });
        }
        fs::remove_dir_all(dir).map_err(PackError::io(dir))?;
    }
    for entry in &contents.entries {
        let to = dir.join(&entry.name);
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).map_err(PackError::io(parent))?;
        }
        match &entry.source {
            Source::Bytes(bytes) => fs::write(&to, bytes).map_err(PackError::io(&to))?,
            Source::File(from) => {
                fs::copy(from, &to).map_err(PackError::io(from))?;
            }
        }
        fs::set_permissions(&to, fs::Permissions::from_mode(entry.mode))
            .map_err(PackError::io(&to))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Platform;
    use std::io::Read;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "reactive-pack-archive-{}-{name}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn demo(dir: &Path) -> CharmContents {
        fs::write(dir.join("metadata.yaml"), "name: demo\n").unwrap();
        fs::write(dir.join("bin"), "binary bytes").unwrap();
        let platform = Platform::new("ubuntu@22.04", "amd64").unwrap();
        let mut contents = CharmContents::read(dir, &platform).unwrap();
        contents.add_binary(&dir.join("bin")).unwrap();
        contents
    }

    #[test]
    fn archives_store_modes_and_are_reproducible() {
        let dir = scratch("zip");
        let contents = demo(&dir);
        let first = dir.join("a.charm");
        let second = dir.join("b.charm");
        write_archive(&contents, &first).unwrap();
        write_archive(&contents, &second).unwrap();
        assert_eq!(fs::read(&first).unwrap(), fs::read(&second).unwrap());
        assert!(!dir.join("a.charm.partial").exists());
        let mut zip = zip::ZipArchive::new(File::open(&first).unwrap()).unwrap();
        let mut seen = Vec::new();
        for i in 0..zip.len() {
            let mut file = zip.by_index(i).unwrap();
            let mut text = String::new();
            file.read_to_string(&mut text).unwrap();
            seen.push((file.name().to_string(), file.unix_mode().map(|m| m & 0o777)));
            if file.name() == "bin/demo" {
                assert_eq!(text, "binary bytes");
            }
        }
        assert_eq!(
            seen,
            [
                ("manifest.yaml".to_string(), Some(0o644)),
                ("metadata.yaml".to_string(), Some(0o644)),
                ("dispatch".to_string(), Some(0o755)),
                ("bin/demo".to_string(), Some(0o755)),
            ]
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failed_archive_leaves_nothing() {
        let dir = scratch("zip-fail");
        let mut contents = demo(&dir);
        contents.entries.push(crate::contents::Entry {
            name: "gone".into(),
            mode: 0o644,
            source: Source::File(dir.join("gone")),
        });
        let out = dir.join("demo.charm");
        match write_archive(&contents, &out) {
            Err(PackError::Io { path, .. }) => assert_eq!(path, dir.join("gone")),
            other => panic!("{other:?}"),
        }
        assert!(!out.exists());
        assert!(!dir.join("demo.charm.partial").exists());
        let e = write_archive(&contents, &dir.join("no/such/dir/demo.charm")).unwrap_err();
        assert!(
            e.to_string().contains("no/such/dir/demo.charm.partial"),
            "{e}"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn directories_keep_modes_and_replace_only_packed_charms() {
        let dir = scratch("dir");
        let contents = demo(&dir);
        let out = dir.join("out");
        write_directory(&contents, &out).unwrap();
        fs::write(out.join("stale"), "").unwrap();
        write_directory(&contents, &out).unwrap();
        assert!(!out.join("stale").exists());
        let mode = |p: &str| fs::metadata(out.join(p)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode("dispatch"), 0o755);
        assert_eq!(mode("bin/demo"), 0o755);
        assert_eq!(mode("metadata.yaml"), 0o644);
        assert_eq!(
            fs::read_to_string(out.join("bin/demo")).unwrap(),
            "binary bytes"
        );

        let other = dir.join("other");
        fs::create_dir_all(&other).unwrap();
        fs::write(other.join("keep"), "").unwrap();
        let e = write_directory(&contents, &other).unwrap_err();
        assert!(matches!(e, PackError::NotAPackedCharm { .. }), "{e:?}");
        assert!(
            e.to_string().starts_with(&other.display().to_string()),
            "{e}"
        );
        assert!(other.join("keep").exists());
        fs::remove_dir_all(&dir).unwrap();
    }
}
