//! The base (`ubuntu@22.04`) and architecture a packed charm runs on, as
//! Juju validates them when it reads the archive's `manifest.yaml`: the
//! operating system must be `ubuntu`, the channel must be set, and each
//! architecture must be one Juju supports.

use std::fmt;
use std::path::Path;

use crate::error::PackError;

/// The architectures Juju supports (its `core/arch` list), by their Juju
/// names.
pub const ARCHITECTURES: [&str; 5] = ["amd64", "arm64", "ppc64el", "s390x", "riscv64"];

/// Where a packed charm runs: an Ubuntu release and one architecture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// The Ubuntu release, e.g. `22.04`.
    pub channel: String,
    /// The Juju architecture, e.g. `amd64`.
    pub architecture: String,
}

impl Platform {
    /// The platform of `base` (`ubuntu@22.04`) and `arch` (`amd64`), both
    /// validated.
    ///
    /// ```
    /// use reactive_pack::platform::Platform;
    /// let p = Platform::new("ubuntu@24.04", "arm64")?;
    /// assert_eq!(p.file_stem(), "ubuntu-24.04-arm64");
    /// assert!(Platform::new("jammy", "amd64").is_err());
    /// # Ok::<(), reactive_pack::PackError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`PackError::BadBase`] or [`PackError::BadArch`].
    pub fn new(base: &str, arch: &str) -> Result<Platform, PackError> {
        Ok(Platform {
            channel: parse_base(base)?,
            architecture: parse_arch(arch)?,
        })
    }

    /// Ubuntu 22.04 on the architecture of this machine.
    ///
    /// # Errors
    ///
    /// [`PackError::BadArch`] when Juju does not support this machine's
    /// architecture.
    pub fn host() -> Result<Platform, PackError> {
        Ok(Platform {
            channel: "22.04".to_string(),
            architecture: host_arch()?,
        })
    }

    /// The base as `charmcraft` names it in a charm's file name:
    /// `ubuntu-22.04-amd64`.
    pub fn file_stem(&self) -> String {
        format!("ubuntu-{}-{}", self.channel, self.architecture)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ubuntu@{} on {}", self.channel, self.architecture)
    }
}

/// The channel of `ubuntu@<YY.MM>`.
fn parse_base(value: &str) -> Result<String, PackError> {
    let bad = |reason: &str| PackError::BadBase {
        value: value.to_string(),
        reason: reason.to_string(),
    };
    let Some((os, channel)) = value.split_once('@') else {
        return Err(bad("no `@` between the operating system and its release"));
    };
    if channel.contains('@') {
        return Err(bad("more than one `@`"));
    }
    if os != "ubuntu" {
        return Err(bad("Juju runs charms on `ubuntu` only"));
    }
    let release = channel.split_once('.').filter(|(year, month)| {
        year.len() == 2
            && month.len() == 2
            && year.bytes().all(|b| b.is_ascii_digit())
            && month.bytes().all(|b| b.is_ascii_digit())
    });
    if release.is_none() {
        return Err(bad("the release must be of the form YY.MM"));
    }
    Ok(channel.to_string())
}

/// `arch` if Juju supports it.
fn parse_arch(arch: &str) -> Result<String, PackError> {
    if ARCHITECTURES.contains(&arch) {
        Ok(arch.to_string())
    } else {
        Err(PackError::BadArch {
            value: arch.to_string(),
        })
    }
}

/// This machine's architecture, by its Juju name.
pub fn host_arch() -> Result<String, PackError> {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "powerpc64" => "ppc64el",
        "riscv64" => "riscv64",
        other => other,
    };
    parse_arch(arch)
}

/// The Juju architecture an ELF executable is built for, read from its
/// header; `None` when the file is not an ELF executable (a script, say)
/// or its machine is not one Juju supports.
///
/// # Errors
///
/// [`PackError::Io`] when the file cannot be read.
pub fn elf_arch(path: &Path) -> Result<Option<&'static str>, PackError> {
    use std::io::Read;
    let mut header = [0u8; 20];
    let mut file = std::fs::File::open(path).map_err(PackError::io(path))?;
    let mut read = 0;
    while read < header.len() {
        match file.read(&mut header[read..]) {
            Ok(0) => return Ok(None),
            Ok(n) => read += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(PackError::io(path)(e)),
        }
    }
    if header[..4] != *b"\x7fELF" {
        return Ok(None);
    }
    // e_machine, in the file's byte order (EI_DATA: 1 little, 2 big).
    let machine = match header[5] {
        1 => u16::from_le_bytes([header[18], header[19]]),
        2 => u16::from_be_bytes([header[18], header[19]]),
        _ => return Ok(None),
    };
    Ok(match machine {
        0x3e => Some("amd64"),
        0xb7 => Some("arm64"),
        0x15 => Some("ppc64el"),
        0x16 => Some("s390x"),
        0xf3 => Some("riscv64"),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base_error(value: &str) -> String {
        match Platform::new(value, "amd64") {
            Err(e @ PackError::BadBase { .. }) => e.to_string(),
            other => panic!("{value}: {other:?}"),
        }
    }

    #[test]
    fn bases_are_ubuntu_at_a_release() {
        let p = Platform::new("ubuntu@22.04", "amd64").unwrap();
        assert_eq!(p.channel, "22.04");
        assert_eq!(p.architecture, "amd64");
        assert_eq!(p.file_stem(), "ubuntu-22.04-amd64");
        assert_eq!(p.to_string(), "ubuntu@22.04 on amd64");
        assert_eq!(
            Platform::new("ubuntu@24.04", "s390x").unwrap().file_stem(),
            "ubuntu-24.04-s390x"
        );
        assert!(base_error("ubuntu-22.04").contains("no `@`"));
        assert!(base_error("ubuntu@22.04@x").contains("more than one `@`"));
        assert!(base_error("centos@7").contains("`ubuntu` only"));
        for bad in [
            "ubuntu@",
            "ubuntu@22",
            "ubuntu@jammy",
            "ubuntu@22.4",
            "ubuntu@22.04/stable",
        ] {
            let e = base_error(bad);
            assert!(e.contains("YY.MM"), "{bad}: {e}");
            assert!(e.contains(&format!("{bad:?}")), "{bad}: {e}");
        }
    }

    #[test]
    fn architectures_are_jujus() {
        for arch in ARCHITECTURES {
            assert_eq!(
                Platform::new("ubuntu@22.04", arch).unwrap().architecture,
                arch
            );
        }
        for bad in ["x86_64", "i386", "armhf", "AMD64", ""] {
            match Platform::new("ubuntu@22.04", bad) {
                Err(e @ PackError::BadArch { .. }) => {
                    let text = e.to_string();
                    assert!(text.starts_with(&format!("--arch {bad:?}")), "{text}");
                    assert!(text.contains("amd64, arm64"), "{text}");
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn reads_the_architecture_of_an_elf_file() {
        let dir = std::env::temp_dir().join(format!("reactive-pack-elf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let path = dir.join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        };
        let mut amd64 = b"\x7fELF\x02\x01\x01\x00".to_vec();
        amd64.resize(18, 0);
        amd64.extend_from_slice(&[0x3e, 0x00, 0, 0]);
        assert_eq!(elf_arch(&write("amd64", &amd64)).unwrap(), Some("amd64"));
        let mut s390x = b"\x7fELF\x02\x02\x01\x00".to_vec();
        s390x.resize(18, 0);
        s390x.extend_from_slice(&[0x00, 0x16]);
        assert_eq!(elf_arch(&write("s390x", &s390x)).unwrap(), Some("s390x"));
        assert_eq!(
            elf_arch(&write("script", b"#!/bin/sh\nexit 0\n")).unwrap(),
            None
        );
        assert_eq!(elf_arch(&write("short", b"\x7fELF")).unwrap(), None);
        // This very test binary is for this machine.
        let me = std::env::current_exe().unwrap();
        assert_eq!(elf_arch(&me).unwrap().map(str::to_string), host_arch().ok());
        match elf_arch(&dir.join("missing")) {
            Err(PackError::Io { path, .. }) => assert!(path.ends_with("missing")),
            other => panic!("{other:?}"),
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
