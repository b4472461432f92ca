//! The `reactive-pack` command end to end: what it writes, the charm
//! crate it builds when no binary is given, and every failure it reports.
#![cfg(unix)]

use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

const PACK: &str = env!("CARGO_BIN_EXE_reactive-pack");

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "reactive-pack-cli-{}-{name}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn run(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    Command::new(PACK)
        .args(args.iter().map(|a| a.as_ref()))
        .output()
        .unwrap()
}

/// Run a program just written: while another test's child process, forked
/// at that moment, still holds the file open for writing, exec fails with
/// "text file busy"; try again then.
fn run_fresh(command: &mut Command) -> Output {
    for _ in 0..50 {
        match command.output() {
            Err(e) if e.raw_os_error() == Some(26) => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            result => return result.unwrap(),
        }
    }
    command.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "powerpc64" => "ppc64el",
        other => other,
    }
}

/// A charm directory named `demo` with config and actions.
fn demo_charm(s: &Scratch) -> PathBuf {
    s.write("charm/metadata.yaml", "name: demo\nsummary: A demo.\n");
    s.write(
        "charm/config.yaml",
        "options:\n  port:\n    type: int\n    default: 80\n",
    );
    s.write("charm/actions.yaml", "flush:\n  description: Flush it.\n");
    s.0.join("charm")
}

/// A charm binary that is a script: it prints what it was run with.
fn script_binary(s: &Scratch) -> PathBuf {
    let path = s.write(
        "demo-bin",
        "#!/bin/sh\necho \"ran $0 for $JUJU_DISPATCH_PATH with $*\"\n",
    );
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Name, mode and bytes of every entry of an archive.
fn entries(archive: &Path) -> Vec<(String, u32, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(fs::File::open(archive).unwrap()).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut file = zip.by_index(i).unwrap();
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).unwrap();
            let mode = file.unix_mode().expect("a Unix mode") & 0o777;
            (file.name().to_string(), mode, bytes)
        })
        .collect()
}

#[test]
fn packs_an_archive_with_a_given_binary() {
    let s = Scratch::new("archive");
    let charm = demo_charm(&s);
    let binary = script_binary(&s);
    let out = s.0.join("out");
    let o = run(&[&charm, &"--binary", &binary, &"--out", &out]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let archive = out.join(format!("demo_ubuntu-22.04-{}.charm", host_arch()));
    assert_eq!(
        text(&o.stdout),
        format!(
            "Packed demo for ubuntu@22.04 on {} into {}\n",
            host_arch(),
            archive.display()
        )
    );
    let entries = entries(&archive);
    let listed: Vec<(&str, u32)> = entries.iter().map(|(n, m, _)| (n.as_str(), *m)).collect();
    assert_eq!(
        listed,
        [
            ("manifest.yaml", 0o644),
            ("metadata.yaml", 0o644),
            ("config.yaml", 0o644),
            ("actions.yaml", 0o644),
            ("dispatch", 0o755),
            ("bin/demo", 0o755),
        ]
    );
    let bytes = |name: &str| &entries.iter().find(|(n, _, _)| n == name).unwrap().2;
    assert_eq!(bytes("bin/demo"), &fs::read(&binary).unwrap());
    assert_eq!(
        bytes("actions.yaml"),
        &fs::read(charm.join("actions.yaml")).unwrap()
    );
    let manifest = text(bytes("manifest.yaml"));
    assert!(
        manifest.contains(&format!(
            "bases:\n- architectures:\n  - {}\n  channel: '22.04'\n  name: ubuntu\n",
            host_arch()
        )),
        "{manifest}"
    );
}

#[test]
fn base_and_arch_name_the_archive_and_the_manifest() {
    let s = Scratch::new("base");
    let charm = demo_charm(&s);
    let binary = script_binary(&s);
    let o = run(&[
        &charm,
        &"--binary",
        &binary,
        &"--out",
        &s.0,
        &"--base=ubuntu@24.04",
        &"--arch=s390x",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let entries = entries(&s.0.join("demo_ubuntu-24.04-s390x.charm"));
    let manifest = text(&entries[0].2);
    assert!(
        manifest.contains("  - s390x\n  channel: '24.04'\n"),
        "{manifest}"
    );
}

#[test]
fn writes_a_directory_whose_dispatch_runs_the_binary() {
    let s = Scratch::new("dir");
    let charm = demo_charm(&s);
    let binary = script_binary(&s);
    let o = run(&[
        &charm,
        &"--binary",
        &binary,
        &"--out",
        &s.0,
        &"--dir",
        &"--arch",
        &"amd64",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let dir = s.0.join("demo_ubuntu-22.04-amd64");
    let mode = |p: &str| fs::metadata(dir.join(p)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("dispatch"), 0o755);
    assert_eq!(mode("bin/demo"), 0o755);
    assert_eq!(mode("config.yaml"), 0o644);
    // Run from elsewhere, and through a link (as `hooks/<name>` would be).
    std::os::unix::fs::symlink(dir.join("dispatch"), s.0.join("link")).unwrap();
    for program in [dir.join("dispatch"), s.0.join("link")] {
        let o = run_fresh(
            Command::new(&program)
                .current_dir("/")
                .env("JUJU_DISPATCH_PATH", "hooks/install"),
        );
        assert_eq!(
            text(&o.stdout),
            format!(
                "ran {} for hooks/install with \n",
                dir.join("bin/demo").display()
            ),
            "{}",
            program.display()
        );
    }
    // Packing again replaces it.
    let o = run(&[&charm, &"--binary", &binary, &"--out", &s.0, &"--dir"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
}

/// A cargo package in `dir` named `demo` whose `main.rs` is `main`.
fn demo_crate(s: &Scratch, main: &str) -> PathBuf {
    let charm = demo_charm(s);
    s.write(
        "charm/Cargo.toml",
        "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    );
    s.write("charm/src/main.rs", main);
    charm
}

#[test]
fn builds_the_charm_crate_when_no_binary_is_given() {
    let s = Scratch::new("build");
    let charm = demo_crate(&s, "fn main() { println!(\"demo charm\"); }\n");
    let o = run(&[&charm, &"--out", &s.0, &"--profile", &"dev"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let entries = entries(&s.0.join(format!("demo_ubuntu-22.04-{}.charm", host_arch())));
    let (_, mode, bytes) = entries.iter().find(|(n, _, _)| n == "bin/demo").unwrap();
    assert_eq!(*mode, 0o755);
    // The packed binary is the crate's, built: it runs.
    let unpacked = s.0.join("unpacked-demo");
    fs::write(&unpacked, bytes).unwrap();
    fs::set_permissions(&unpacked, fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(
        text(&run_fresh(&mut Command::new(&unpacked)).stdout),
        "demo charm\n"
    );
}

#[test]
fn a_failed_build_names_the_manifest() {
    let s = Scratch::new("build-fails");
    let charm = demo_crate(&s, "fn main() { this is not rust }\n");
    let o = run(&[&charm, &"--out", &s.0, &"--profile", &"dev"]);
    assert_eq!(o.status.code(), Some(1));
    let stderr = text(&o.stderr);
    assert!(
        stderr.contains(&format!(
            "error: {}: cargo build failed",
            charm.join("Cargo.toml").display()
        )),
        "{stderr}"
    );
    assert!(fs::read_dir(&s.0).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .ends_with(".charm")));
}

#[test]
fn several_binaries_and_none_named_after_the_charm() {
    let s = Scratch::new("bins");
    let charm = demo_crate(&s, "fn main() {}\n");
    s.write("charm/src/bin/one.rs", "fn main() {}\n");
    s.write("charm/src/bin/two.rs", "fn main() {}\n");
    fs::remove_file(charm.join("src/main.rs")).unwrap();
    let o = run(&[&charm, &"--out", &s.0]);
    assert_eq!(o.status.code(), Some(1));
    let stderr = text(&o.stderr);
    assert!(
        stderr.contains("Cargo.toml: several binary targets (one, two)"),
        "{stderr}"
    );
}

#[test]
fn every_failure_is_reported_with_what_is_at_fault() {
    let s = Scratch::new("errors");
    let charm = demo_charm(&s);
    let binary = script_binary(&s);
    let empty = s.0.join("empty");
    fs::create_dir_all(&empty).unwrap();
    let missing_bin = s.0.join("target/release/demo");
    let cases: Vec<(Vec<&dyn AsRef<std::ffi::OsStr>>, i32, String)> = vec![
        (
            vec![&empty, &"--binary", &binary],
            1,
            format!(
                "error: {}: not found; a charm archive needs the charm's metadata.yaml\n",
                empty.join("metadata.yaml").display()
            ),
        ),
        (
            vec![&charm, &"--binary", &missing_bin],
            1,
            format!("error: charm binary {}: not found\n", missing_bin.display()),
        ),
        (
            vec![&charm, &"--binary", &binary, &"--base", &"ubuntu:22.04"],
            1,
            "error: --base \"ubuntu:22.04\": no `@` between the operating system and its \
             release (expected e.g. ubuntu@22.04)\n"
                .to_string(),
        ),
        (
            vec![&charm, &"--binary", &binary, &"--arch", &"x86_64"],
            1,
            "error: --arch \"x86_64\": not an architecture Juju knows \
             (one of amd64, arm64, ppc64el, s390x, riscv64)\n"
                .to_string(),
        ),
        (
            vec![&charm],
            1,
            format!(
                "error: {}: cargo metadata: not found; pass the charm binary with --binary\n",
                charm.join("Cargo.toml").display()
            ),
        ),
    ];
    for (args, code, stderr) in cases {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(code), "{stderr}");
        assert_eq!(text(&o.stderr), stderr);
        assert!(o.stdout.is_empty());
    }
    // Nothing was written anywhere.
    assert!(!s.0.join("demo_ubuntu-22.04-amd64.charm").exists());

    let o = run(&[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).starts_with("error: CHARM_DIR is missing\n\nusage: reactive-pack"));
    let o = run(&[&"--help"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o.stdout).starts_with("usage: reactive-pack CHARM_DIR"));
}
