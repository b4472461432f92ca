//! The C library linked into the charm binary (`--static-libc`).
//!
//! Juju starts the charm binary for every hook. Linked dynamically, each
//! start loads and relocates the C library: on the machine of
//! BENCHMARKS.md, `prometheus --help` takes 0.77–0.93 ms of CPU so, and
//! 0.42–0.45 ms linked statically, and every hook's peak RSS is 1.1 MiB
//! smaller. A static binary also runs on any Ubuntu release of its
//! architecture, where a dynamic one needs a C library no older than the
//! one it was built against.
//!
//! The catch is glibc's name service: a binary that resolves host names or
//! users through glibc (`getaddrinfo`, as `std::net::ToSocketAddrs` does;
//! `getpwnam`) still loads glibc's NSS modules at run time, which must come
//! from the same glibc version; the linker warns about each such call. A
//! charm that makes them should stay linked dynamically, or be built for
//! a musl target.
//!
//! Cargo is asked for `-C target-feature=+crt-static` for the host's target
//! triple only (`--target <triple>` with the flag in `--config
//! target.<triple>.rustflags`), so build scripts and procedural macros
//! stay as they are. `RUSTFLAGS` or `CARGO_ENCODED_RUSTFLAGS` in the
//! environment replace those flags; so the binary built (or given with
//! `--binary`) is checked, and one that still loads the C library
//! dynamically is refused.

use std::path::Path;
use std::process::{Command, Stdio};

use object::read::elf::{FileHeader, ProgramHeader};

use crate::error::PackError;

/// The rustc to ask: `$RUSTC` when set (under cargo), else `rustc`.
fn rustc_program() -> std::path::PathBuf {
    std::env::var_os("RUSTC")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "rustc".into())
}

/// The host's target triple, as `rustc -vV` names it (`host: ...`).
///
/// # Errors
///
/// [`PackError::HostTriple`] when rustc cannot be run or does not say.
pub fn host_triple() -> Result<String, PackError> {
    let program = rustc_program();
    let output = Command::new(&program)
        .arg("-vV")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| PackError::HostTriple {
            message: format!("{}: {e}", program.display()),
        })?;
    let text = String::from_utf8_lossy(&output.stdout);
    triple_in(&text).ok_or_else(|| PackError::HostTriple {
        message: format!("{} -vV named no host", program.display()),
    })
}

/// The `host:` line of `rustc -vV`'s answer.
fn triple_in(verbose_version: &str) -> Option<String> {
    verbose_version
        .lines()
        .find_map(|line| line.strip_prefix("host:"))
        .map(str::trim)
        .filter(|triple| !triple.is_empty())
        .map(str::to_string)
}

/// The arguments that make `cargo build` link the C library statically for
/// `triple`.
///
/// ```
/// let args = reactive_pack::linking::static_libc_args("x86_64-unknown-linux-gnu");
/// assert_eq!(
///     args,
///     [
///         "--target",
///         "x86_64-unknown-linux-gnu",
///         "--config",
///         r#"target.x86_64-unknown-linux-gnu.rustflags=["-C", "target-feature=+crt-static"]"#,
///     ]
/// );
/// ```
pub fn static_libc_args(triple: &str) -> Vec<String> {
    vec![
        "--target".to_string(),
        triple.to_string(),
        "--config".to_string(),
        format!(r#"target.{triple}.rustflags=["-C", "target-feature=+crt-static"]"#),
    ]
}

/// Whether the ELF executable at `path` has the dynamic loader start it
/// (a `PT_INTERP` program header): `false` for a static executable, and
/// for a file that is not ELF (a script has no C library to link).
///
/// # Errors
///
/// [`PackError::Io`] when the file cannot be read; [`PackError::NotElf`]
/// for an ELF file whose headers do not read.
pub fn loads_libc_dynamically(path: &Path) -> Result<bool, PackError> {
    let data = std::fs::read(path).map_err(PackError::io(path))?;
    let unreadable = |e: object::Error| PackError::NotElf {
        binary: path.to_path_buf(),
        message: e.to_string(),
    };
    match object::FileKind::parse(&*data) {
        Ok(object::FileKind::Elf64) => {
            has_interpreter::<object::elf::FileHeader64<object::Endianness>>(&data)
                .map_err(unreadable)
        }
        Ok(object::FileKind::Elf32) => {
            has_interpreter::<object::elf::FileHeader32<object::Endianness>>(&data)
                .map_err(unreadable)
        }
        _ => Ok(false),
    }
}

fn has_interpreter<H: FileHeader<Endian = object::Endianness>>(
    data: &[u8],
) -> Result<bool, object::Error> {
    let header = H::parse(data)?;
    let endian = header.endian()?;
    Ok(header
        .program_headers(endian, data)?
        .iter()
        .any(|ph| ph.p_type(endian) == object::elf::PT_INTERP))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_triple_comes_from_rustc() {
        let text = "rustc 1.95.0 (abc 2026-01-01)\nbinary: rustc\nhost: aarch64-unknown-linux-gnu\nrelease: 1.95.0\n";
        assert_eq!(
            triple_in(text).as_deref(),
            Some("aarch64-unknown-linux-gnu")
        );
        assert_eq!(triple_in("rustc 1.95.0\nhost:\n"), None);
        assert_eq!(triple_in(""), None);
        // The real one names something.
        assert!(!host_triple().unwrap().is_empty());
    }

    #[test]
    fn a_test_binary_loads_its_c_library_dynamically_and_a_script_does_not() {
        let me = std::env::current_exe().unwrap();
        // Test binaries are built as the workspace builds, linked
        // dynamically (unless RUSTFLAGS say otherwise).
        let static_build = std::env::var("RUSTFLAGS").is_ok_and(|f| f.contains("crt-static"));
        assert_eq!(loads_libc_dynamically(&me).unwrap(), !static_build);
        let dir =
            std::env::temp_dir().join(format!("reactive-pack-linking-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = dir.join("script");
        std::fs::write(&script, "#!/bin/sh\n").unwrap();
        assert!(!loads_libc_dynamically(&script).unwrap());
        // ELF magic with nothing behind it.
        let broken = dir.join("broken");
        std::fs::write(&broken, b"\x7fELF\x02\x01\x01\x00").unwrap();
        match loads_libc_dynamically(&broken) {
            Ok(false) | Err(PackError::NotElf { .. }) => {}
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            loads_libc_dynamically(&dir.join("missing")),
            Err(PackError::Io { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
