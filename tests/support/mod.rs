//! What the test crates that run the telemetry charms as processes share.
//! Included by each with `#[path = ...] mod support;` (not a test crate
//! of its own).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use reactive_rs::telemetry;

/// The directory holding the charm binaries, `target/<profile>` of this
/// test's own target directory and profile, after bringing them up to date
/// with cargo (built once per test run).
pub fn charm_binaries() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().expect("the test binary's path");
        // target/<profile>/deps/<test>-<hash>
        let dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("the test runs from target/<profile>/deps/")
            .to_path_buf();
        let profile = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let parent = dir.parent().expect("a target directory").to_path_buf();
        // Cargo tags the root of a target directory; without the tag, the
        // parent is a target triple's directory (a cross build).
        let (target_dir, triple) = match parent.parent() {
            Some(root)
                if !parent.join("CACHEDIR.TAG").exists() && root.join("CACHEDIR.TAG").exists() =>
            {
                (
                    root.to_path_buf(),
                    parent.file_name().map(|t| t.to_os_string()),
                )
            }
            _ => (parent.clone(), None),
        };
        let mut args: Vec<OsString> = vec!["build".into(), "--quiet".into()];
        for charm in telemetry::CHARMS {
            args.push("-p".into());
            args.push(charm.into());
        }
        match profile.as_str() {
            "debug" => {}
            "release" => args.push("--release".into()),
            other => {
                args.push("--profile".into());
                args.push(other.into());
            }
        }
        if let Some(triple) = triple {
            args.push("--target".into());
            args.push(triple);
        }
        args.push("--target-dir".into());
        args.push(target_dir.into());
        args.push("--manifest-path".into());
        args.push(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("Cargo.toml")
                .into(),
        );
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
        let command = std::iter::once(&cargo)
            .chain(&args)
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        let present = || telemetry::CHARMS.iter().all(|c| dir.join(c).is_file());
        match Command::new(&cargo).args(&args).status() {
            Ok(status) if status.success() => {}
            outcome if present() => {
                eprintln!("warning: `{command}`: {outcome:?}; using the binaries present")
            }
            outcome => panic!(
                "the charm binaries are missing from {} and `{command}` failed: {outcome:?}",
                dir.display()
            ),
        }
        assert!(
            present(),
            "`{command}` left no charm binaries in {}",
            dir.display()
        );
        dir
    })
}
