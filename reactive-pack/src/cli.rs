//! The `reactive-pack` command line.
//!
//! ```text
//! reactive-pack CHARM_DIR [--binary PATH] [--out DIR] [--base ubuntu@22.04]
//!               [--arch amd64] [--profile release] [--static-libc] [--dir]
//! ```
//!
//! Exit status: 0 when packed, 1 when packing failed, 2 for a bad command
//! line.

use std::fmt;
use std::io::Write;
use std::path::PathBuf;

use crate::error::PackError;
use crate::pack::{pack, Layout, PackOptions};
use crate::platform::{host_arch, Platform};

/// The usage text (`--help`).
pub const USAGE: &str = "\
usage: reactive-pack CHARM_DIR [--binary PATH] [--out DIR] [--base ubuntu@22.04]
                     [--arch ARCH] [--profile PROFILE] [--static-libc] [--dir]

Pack the charm in CHARM_DIR (its metadata.yaml, config.yaml, actions.yaml)
into the archive Juju deploys: OUT/<name>_ubuntu-<release>-<arch>.charm.

  --binary PATH      the charm binary; without it, the charm's crate in
                     CHARM_DIR is built with `cargo build --profile PROFILE`
  --profile PROFILE  the cargo profile of that build (default: release)
  --static-libc      link the C library into the binary (built for this
                     machine's target triple): each hook starts faster and the
                     binary runs on any Ubuntu release; not for a charm that
                     resolves host names or users through glibc. A binary
                     that still loads the C library dynamically is refused
  --out DIR          where to write the charm (default: the current directory)
  --base BASE        the Ubuntu release the charm runs on (default: ubuntu@22.04)
  --arch ARCH        its architecture: amd64, arm64, ppc64el, s390x or riscv64
                     (default: this machine's)
  --dir              write the charm unpacked into OUT/<name>_ubuntu-<release>-<arch>/
                     instead of an archive
";

/// A command line that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// The command line, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    /// `CHARM_DIR`.
    pub charm_dir: PathBuf,
    /// `--binary`.
    pub binary: Option<PathBuf>,
    /// `--out` (default `.`).
    pub out_dir: PathBuf,
    /// `--base` (default `ubuntu@22.04`).
    pub base: String,
    /// `--arch` (default: this machine's).
    pub arch: Option<String>,
    /// `--profile` (default `release`).
    pub profile: String,
    /// `--static-libc`.
    pub static_libc: bool,
    /// `--dir`.
    pub dir: bool,
}

/// Parse the arguments (without the program name); `Ok(None)` for
/// `--help`. Flags take their value as the next argument or after `=`.
///
/// # Errors
///
/// [`UsageError`] naming the flag or argument at fault.
pub fn parse_args(args: &[String]) -> Result<Option<Args>, UsageError> {
    let mut charm_dir = None;
    let mut parsed = Args {
        charm_dir: PathBuf::new(),
        binary: None,
        out_dir: PathBuf::from("."),
        base: "ubuntu@22.04".to_string(),
        arch: None,
        profile: "release".to_string(),
        static_libc: false,
        dir: false,
    };
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if arg.starts_with("--") => (flag, Some(value.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = |flag: &str| -> Result<String, UsageError> {
            let value = match &inline {
                Some(value) => Some(value.clone()),
                None => rest.next().cloned(),
            };
            match value {
                Some(v) if !v.is_empty() => Ok(v),
                _ => Err(UsageError(format!("{flag} needs a value"))),
            }
        };
        match flag {
            "-h" | "--help" => return Ok(None),
            "--binary" => parsed.binary = Some(PathBuf::from(value(flag)?)),
            "--out" => parsed.out_dir = PathBuf::from(value(flag)?),
            "--base" => parsed.base = value(flag)?,
            "--arch" => parsed.arch = Some(value(flag)?),
            "--profile" => parsed.profile = value(flag)?,
            "--dir" if inline.is_none() => parsed.dir = true,
            "--static-libc" if inline.is_none() => parsed.static_libc = true,
            "--dir" | "--static-libc" => return Err(UsageError(format!("{flag} takes no value"))),
            other if other.starts_with('-') && other.len() > 1 => {
                return Err(UsageError(format!("unknown option {other}")))
            }
            _ if charm_dir.is_some() => {
                return Err(UsageError(format!(
                    "unexpected argument {arg:?}: one CHARM_DIR only"
                )))
            }
            _ => charm_dir = Some(PathBuf::from(arg)),
        }
    }
    parsed.charm_dir = charm_dir.ok_or_else(|| UsageError("CHARM_DIR is missing".to_string()))?;
    Ok(Some(parsed))
}

impl Args {
    /// The packing these arguments ask for.
    ///
    /// # Errors
    ///
    /// [`PackError::BadBase`], [`PackError::BadArch`].
    pub fn options(&self) -> Result<PackOptions, PackError> {
        let arch = match &self.arch {
            Some(arch) => arch.clone(),
            None => host_arch()?,
        };
        let mut options = PackOptions::new(&self.charm_dir, Platform::new(&self.base, &arch)?);
        options.binary = self.binary.clone();
        options.profile = self.profile.clone();
        options.static_libc = self.static_libc;
        options.out_dir = self.out_dir.clone();
        options.layout = if self.dir {
            Layout::Directory
        } else {
            Layout::Archive
        };
        Ok(options)
    }
}

/// Run the command with `args` (without the program name), writing to
/// `out` and `err`; returns the exit status.
pub fn main_with(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let args = match parse_args(args) {
        Ok(Some(args)) => args,
        Ok(None) => {
            let _ = out.write_all(USAGE.as_bytes());
            return 0;
        }
        Err(e) => {
            let _ = writeln!(err, "error: {e}\n\n{USAGE}");
            return 2;
        }
    };
    let packed = args.options().and_then(|options| {
        let packed = pack(&options)?;
        Ok((options, packed))
    });
    match packed {
        Ok((options, packed)) => {
            let _ = writeln!(
                out,
                "Packed {} for {} into {}",
                packed.name,
                options.platform,
                packed.path.display()
            );
            0
        }
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Args>, UsageError> {
        parse_args(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn parses_every_flag_both_ways() {
        let args = parse(&[
            "charm",
            "--binary",
            "target/x",
            "--out=build",
            "--base",
            "ubuntu@24.04",
            "--arch=arm64",
            "--profile",
            "dev",
            "--static-libc",
            "--dir",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(
            args,
            Args {
                charm_dir: "charm".into(),
                binary: Some("target/x".into()),
                out_dir: "build".into(),
                base: "ubuntu@24.04".into(),
                arch: Some("arm64".into()),
                profile: "dev".into(),
                static_libc: true,
                dir: true,
            }
        );
        let options = args.options().unwrap();
        assert_eq!(options.layout, Layout::Directory);
        assert!(options.static_libc);
        assert_eq!(options.platform.file_stem(), "ubuntu-24.04-arm64");

        let defaults = parse(&["charm"]).unwrap().unwrap();
        assert_eq!(defaults.base, "ubuntu@22.04");
        assert_eq!(defaults.profile, "release");
        assert_eq!(defaults.out_dir, PathBuf::from("."));
        assert!(!defaults.dir && defaults.binary.is_none() && defaults.arch.is_none());
        assert!(!defaults.static_libc && !defaults.options().unwrap().static_libc);
        assert_eq!(parse(&["--help"]).unwrap(), None);
    }

    #[test]
    fn bad_command_lines_say_what_is_wrong() {
        for (args, message) in [
            (&[][..], "CHARM_DIR is missing"),
            (
                &["a", "b"][..],
                "unexpected argument \"b\": one CHARM_DIR only",
            ),
            (&["a", "--binary"][..], "--binary needs a value"),
            (&["a", "--out="][..], "--out needs a value"),
            (&["a", "--dir=yes"][..], "--dir takes no value"),
            (
                &["a", "--static-libc=1"][..],
                "--static-libc takes no value",
            ),
            (&["a", "--bases", "x"][..], "unknown option --bases"),
        ] {
            assert_eq!(
                parse(args),
                Err(UsageError(message.to_string())),
                "{args:?}"
            );
        }
    }

    #[test]
    fn bad_values_are_typed_errors() {
        let args = parse(&["a", "--base", "jammy"]).unwrap().unwrap();
        assert!(matches!(args.options(), Err(PackError::BadBase { .. })));
        let args = parse(&["a", "--arch", "i386"]).unwrap().unwrap();
        assert!(matches!(args.options(), Err(PackError::BadArch { .. })));
    }

    #[test]
    fn exit_statuses() {
        let run = |args: &[&str]| {
            let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            let (mut out, mut err) = (Vec::new(), Vec::new());
            let code = main_with(&args, &mut out, &mut err);
            (
                code,
                String::from_utf8(out).unwrap(),
                String::from_utf8(err).unwrap(),
            )
        };
        let (code, out, err) = run(&["--help"]);
        assert_eq!((code, out.as_str(), err.as_str()), (0, USAGE, ""));
        let (code, _, err) = run(&["--nope"]);
        assert_eq!(code, 2);
        assert!(
            err.starts_with("error: unknown option --nope\n\nusage:"),
            "{err}"
        );
        let (code, _, err) = run(&["/nonexistent/charm", "--binary", "/nonexistent/bin"]);
        assert_eq!(code, 1);
        assert_eq!(
            err,
            "error: /nonexistent/charm/metadata.yaml: not found; \
             a charm archive needs the charm's metadata.yaml\n"
        );
    }
}
