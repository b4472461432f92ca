//! Building the charm binary with cargo when none is given.
//!
//! `cargo metadata` finds the charm's package (the one whose manifest is
//! `CHARM_DIR/Cargo.toml`) and its binary target: the only one, or the one
//! named after the charm. `cargo build --profile <profile> --bin <target>`
//! then builds it, and the path of the executable is read from cargo's
//! JSON messages, so that the target directory, a `--target` triple in the
//! cargo configuration and the profile's directory are all cargo's say.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::error::PackError;

/// The cargo to run: `$CARGO` when set (under `cargo run`), else `cargo`.
pub fn cargo_program() -> PathBuf {
    std::env::var_os("CARGO")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("cargo"))
}

/// The binary target of the package whose manifest is
/// `charm_dir/Cargo.toml`: its only one, or the one named `charm`.
///
/// # Errors
///
/// [`PackError::CargoNotRun`], [`PackError::CargoMetadata`] (no
/// `Cargo.toml`, a malformed one, no such package),
/// [`PackError::BinTarget`].
pub fn bin_target(charm_dir: &Path, charm: &str) -> Result<String, PackError> {
    let manifest = charm_dir.join("Cargo.toml");
    let failed = |message: String| PackError::CargoMetadata {
        manifest: manifest.clone(),
        message,
    };
    if !manifest.is_file() {
        return Err(failed(
            "not found; pass the charm binary with --binary".to_string(),
        ));
    }
    let program = cargo_program();
    let output = Command::new(&program)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--manifest-path",
        ])
        .arg(&manifest)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| PackError::CargoNotRun {
            program: program.clone(),
            source,
        })?;
    if !output.status.success() {
        return Err(failed(last_words(&output.stderr)));
    }
    let doc: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| failed(format!("unreadable output: {e}")))?;
    let wanted = std::fs::canonicalize(&manifest).map_err(PackError::io(&manifest))?;
    let package = doc["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| {
            p["manifest_path"]
                .as_str()
                .and_then(|m| std::fs::canonicalize(m).ok())
                .is_some_and(|m| m == wanted)
        })
        .ok_or_else(|| failed("no package of this manifest in cargo's answer".to_string()))?;
    let bins: Vec<String> = package["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| is_bin(t))
        .filter_map(|t| t["name"].as_str().map(str::to_string))
        .collect();
    match bins.as_slice() {
        [only] => Ok(only.clone()),
        _ if bins.iter().any(|b| b == charm) => Ok(charm.to_string()),
        _ => Err(PackError::BinTarget {
            manifest,
            found: bins,
        }),
    }
}

/// Build the binary target `bin` of the package in `charm_dir` with cargo's
/// `profile` (`release`, `dev`, …) and the `extra` arguments (see
/// [`static_libc_args`](crate::linking::static_libc_args)); returns the
/// executable's path. Cargo's diagnostics go to standard error.
///
/// # Errors
///
/// [`PackError::CargoNotRun`], [`PackError::CargoBuild`] when the build
/// fails, [`PackError::BinaryNotFound`] when cargo names no executable.
pub fn build_bin(
    charm_dir: &Path,
    bin: &str,
    profile: &str,
    extra: &[String],
) -> Result<PathBuf, PackError> {
    let manifest = charm_dir.join("Cargo.toml");
    let program = cargo_program();
    let output = Command::new(&program)
        .args(["build", "--profile", profile, "--bin", bin])
        .args(extra)
        .args([
            "--message-format",
            "json-render-diagnostics",
            "--manifest-path",
        ])
        .arg(&manifest)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|source| PackError::CargoNotRun {
            program: program.clone(),
            source,
        })?;
    if !output.status.success() {
        return Err(PackError::CargoBuild {
            manifest,
            status: output.status,
        });
    }
    let executable = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .filter(|m| m["target"]["name"] == bin && is_bin(&m["target"]))
        .filter_map(|m| m["executable"].as_str().map(PathBuf::from))
        .next_back();
    executable.ok_or_else(|| PackError::BinaryNotFound {
        path: manifest.with_file_name(format!("<the `{bin}` binary cargo built>")),
    })
}

fn is_bin(target: &Value) -> bool {
    target["kind"]
        .as_array()
        .is_some_and(|kinds| kinds.iter().any(|k| k == "bin"))
}

/// The last lines of what a command printed, for an error message.
fn last_words(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = &lines[lines.len().saturating_sub(3)..];
    if tail.is_empty() {
        "failed (no error output)".to_string()
    } else {
        tail.join(" / ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_words_of_a_failure() {
        assert_eq!(last_words(b""), "failed (no error output)");
        assert_eq!(last_words(b"a\n\nb\nc\nd\n"), "b / c / d");
    }
}
