//! The telemetry example's charms packed by `reactive-pack` into the
//! `.charm` archives Juju deploys: what each archive holds (entries, Unix
//! modes, manifest, dispatch script, binary), and the archives at work:
//! unpacked as Juju unpacks them on a unit, the seven steps of
//! `examples/telemetry/scenario.yaml` run with every hook starting the
//! unpacked charm's `dispatch`, and observing what the same charms observe
//! run in this process.
//!
//! The charm binaries are built by `reactive-pack` itself (no `--binary`)
//! with cargo's `dev` profile, into this workspace's target directory: the
//! debug binaries the test build uses, so a fresh tree builds nothing.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use reactive_pack::{pack, Layout, PackOptions, Packed, Platform};
use reactive_rs::telemetry;
use reactive_testing::sim::{
    CharmCatalog, CharmRunner, Deployment, ProcessCharm, Scenario, SimError, StepReport,
};

const TOOL: &str = env!("CARGO_BIN_EXE_reactive-sim-tool");

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "reactive-packed-charms-{}-{name}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn platform() -> Platform {
    Platform::host().expect("Juju supports this machine's architecture")
}

/// Both charms packed once, their binaries built by the packer, into
/// `<target>/tmp/packed-charms/`.
fn packed() -> &'static BTreeMap<&'static str, Packed> {
    static PACKED: OnceLock<BTreeMap<&'static str, Packed>> = OnceLock::new();
    PACKED.get_or_init(|| {
        // In the target directory, replaced by each run: the tests share
        // the archives until the process ends.
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("packed-charms");
        let _ = fs::remove_dir_all(&out);
        telemetry::CHARMS
            .iter()
            .map(|&name| {
                let mut options = PackOptions::new(telemetry::charm_dir(name).unwrap(), platform());
                options.profile = "dev".to_string();
                options.out_dir = out.clone();
                let started = std::time::Instant::now();
                let packed = pack(&options).unwrap_or_else(|e| panic!("packing {name}: {e}"));
                eprintln!(
                    "packed {name}: {} bytes of binary into {} bytes in {:.0} ms",
                    fs::metadata(&packed.binary).map(|m| m.len()).unwrap_or(0),
                    fs::metadata(&packed.path).map(|m| m.len()).unwrap_or(0),
                    started.elapsed().as_secs_f64() * 1000.0
                );
                (name, packed)
            })
            .collect()
    })
}

/// Name, Unix permission bits and bytes of every entry.
fn entries(archive: &Path) -> Vec<(String, u32, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(fs::File::open(archive).unwrap()).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut file = zip.by_index(i).unwrap();
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).unwrap();
            let mode = file.unix_mode().expect("a stored Unix mode") & 0o7777;
            (file.name().to_string(), mode, bytes)
        })
        .collect()
}

/// Unpack `archive` into `dir` as Juju does on a unit: every entry, with
/// the mode stored.
fn unpack(archive: &Path, dir: &Path) {
    let mut zip = zip::ZipArchive::new(fs::File::open(archive).unwrap()).unwrap();
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).unwrap();
        let to = dir.join(file.enclosed_name().expect("a relative entry name"));
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        let mut out = fs::File::create(&to).unwrap();
        std::io::copy(&mut file, &mut out).unwrap();
        let mode = file.unix_mode().unwrap();
        fs::set_permissions(&to, fs::Permissions::from_mode(mode & 0o7777)).unwrap();
    }
}

#[test]
fn each_archive_holds_what_juju_reads() {
    for (name, packed) in packed() {
        let source = telemetry::charm_dir(name).unwrap();
        assert_eq!(packed.name, *name);
        assert_eq!(
            packed.path.file_name().unwrap().to_string_lossy(),
            format!("{name}_ubuntu-22.04-{}.charm", platform().architecture)
        );
        let entries = entries(&packed.path);
        let listed: Vec<(&str, u32)> = entries.iter().map(|(n, m, _)| (n.as_str(), *m)).collect();
        let binary = format!("bin/{name}");
        // The prometheus charm has actions (list-jobs); scrape-target none.
        let has_actions = source.join("actions.yaml").exists();
        assert_eq!(has_actions, *name == "prometheus", "{name}");
        let mut expected = vec![
            ("manifest.yaml", 0o644),
            ("metadata.yaml", 0o644),
            ("config.yaml", 0o644),
        ];
        if has_actions {
            expected.push(("actions.yaml", 0o644));
        }
        expected.extend([("dispatch", 0o755), (binary.as_str(), 0o755)]);
        assert_eq!(listed, expected, "{name}");
        let bytes = |entry: &str| &entries.iter().find(|(n, _, _)| n == entry).unwrap().2;
        let mut files = vec!["metadata.yaml", "config.yaml"];
        if has_actions {
            files.push("actions.yaml");
            let text = String::from_utf8(bytes("actions.yaml").clone()).unwrap();
            assert!(text.contains("list-jobs:"), "{name}: {text}");
        }
        for file in files {
            assert_eq!(
                bytes(file),
                &fs::read(source.join(file)).unwrap(),
                "{name} {file}"
            );
        }
        // The binary cargo built, for this profile of this target directory.
        assert!(
            packed.binary.ends_with(format!("debug/{name}")),
            "{}",
            packed.binary.display()
        );
        assert_eq!(bytes(&binary), &fs::read(&packed.binary).unwrap(), "{name}");
        let manifest: serde_norway::Value =
            serde_norway::from_slice(bytes("manifest.yaml")).unwrap();
        let base = &manifest["bases"][0];
        assert_eq!(base["name"].as_str(), Some("ubuntu"));
        assert_eq!(base["channel"].as_str(), Some("22.04"));
        assert_eq!(
            base["architectures"][0].as_str(),
            Some(platform().architecture.as_str())
        );
        let dispatch = String::from_utf8(bytes("dispatch").clone()).unwrap();
        assert!(dispatch.starts_with("#!/bin/sh\n"), "{dispatch}");
        assert!(dispatch.contains(&format!("/{binary}\"")), "{dispatch}");
    }
}

#[test]
fn packing_with_the_binary_given_writes_the_same_archive() {
    let out = scratch("given-binary");
    for (name, packed) in packed() {
        let mut options = PackOptions::new(telemetry::charm_dir(name).unwrap(), platform());
        options.binary = Some(packed.binary.clone());
        options.out_dir = out.clone();
        let again = pack(&options).unwrap();
        assert_eq!(again.path.file_name(), packed.path.file_name());
        assert_eq!(
            fs::read(&again.path).unwrap(),
            fs::read(&packed.path).unwrap(),
            "{name}: packing is reproducible"
        );
        // And unpacked, the same files with the same modes.
        options.layout = Layout::Directory;
        let dir = pack(&options).unwrap().path;
        for (entry, mode, bytes) in entries(&packed.path) {
            let path = dir.join(&entry);
            assert_eq!(fs::read(&path).unwrap(), bytes, "{name} {entry}");
            let on_disk = fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
            assert_eq!(on_disk, mode, "{name} {entry}");
        }
    }
    fs::remove_dir_all(&out).unwrap();
}

#[test]
fn with_static_libc_the_packed_binary_loads_no_c_library() {
    use reactive_pack::linking::loads_libc_dynamically;
    use reactive_pack::PackError;
    let out = scratch("static-libc");
    // The default build loads it (through the dynamic loader)...
    let dynamic = &packed()["scrape-target"];
    assert!(loads_libc_dynamically(&dynamic.binary).unwrap());
    // ...which --static-libc refuses in a binary given...
    let charm_dir = telemetry::charm_dir("scrape-target").unwrap();
    let mut options = PackOptions::new(&charm_dir, platform());
    options.static_libc = true;
    options.out_dir = out.clone();
    options.binary = Some(dynamic.binary.clone());
    match pack(&options) {
        Err(e @ PackError::NotStatic { .. }) => {
            let message = e.to_string();
            assert!(
                message.contains(&dynamic.binary.display().to_string()),
                "{message}"
            );
            assert!(message.contains("crt-static"), "{message}");
        }
        other => panic!("a dynamic binary packed with --static-libc: {other:?}"),
    }
    // ...and builds, for this machine's target triple, without it.
    options.binary = None;
    options.profile = "dev".to_string();
    let started = std::time::Instant::now();
    let packed = pack(&options).unwrap_or_else(|e| panic!("packing with --static-libc: {e}"));
    eprintln!(
        "built and packed scrape-target with --static-libc in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    assert!(!loads_libc_dynamically(&packed.binary).unwrap());
    let triple = reactive_pack::linking::host_triple().unwrap();
    assert!(
        packed
            .binary
            .components()
            .any(|c| c.as_os_str() == triple.as_str()),
        "built in the target triple's directory: {}",
        packed.binary.display()
    );
    // It runs: the operator's tool answers.
    let run = std::process::Command::new(&packed.binary)
        .arg("--help")
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    // And it is the binary in the archive.
    let archived = entries(&packed.path)
        .into_iter()
        .find(|(name, _, _)| name == "bin/scrape-target")
        .map(|(_, _, bytes)| bytes);
    assert_eq!(archived, Some(fs::read(&packed.binary).unwrap()));
    fs::remove_dir_all(&out).unwrap();
}

/// `text` with every UUID (request ids are random) replaced by `<id>`.
fn without_ids(text: &str) -> String {
    let is_uuid = |s: &[u8]| {
        s.len() == 36
            && s.iter().enumerate().all(|(i, b)| match i {
                8 | 13 | 18 | 23 => *b == b'-',
                _ => b.is_ascii_hexdigit(),
            })
    };
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes.len() - i >= 36 && is_uuid(&bytes[i..i + 36]) {
            out.push_str("<id>");
            i += 36;
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// What a step showed, comparable between runs: the hooks run (unit, hook,
/// remote unit, handlers invoked, success) and each unit's status and
/// flags (request ids left out).
fn comparable(report: &StepReport) -> serde_json::Value {
    let hooks: Vec<_> = report
        .hooks
        .iter()
        .map(|h| serde_json::json!([h.unit, h.hook, h.remote_unit, h.invoked, h.result.is_ok()]))
        .collect();
    let units: Vec<_> = report
        .units
        .iter()
        .map(|u| {
            let mut flags: Vec<String> = u.flags.iter().map(|f| without_ids(f)).collect();
            flags.sort();
            serde_json::json!([u.unit, u.status, flags])
        })
        .collect();
    let actions: Vec<_> = report
        .actions
        .iter()
        .map(|a| serde_json::json!([a.unit, a.action, a.results, a.logs, a.failure]))
        .collect();
    let value = serde_json::json!({
        "step": report.step, "error": report.error, "hooks": hooks, "units": units,
        "actions": actions,
    });
    serde_json::from_str(&without_ids(&value.to_string())).unwrap()
}

fn run_scenario(name: &str, catalog: &CharmCatalog<'_>) -> Vec<StepReport> {
    let scenario = Scenario::load(&telemetry::scenario_path()).unwrap();
    let workdir = scratch(name);
    let mut deployment = Deployment::new(&workdir).unwrap();
    let reports = scenario
        .steps
        .iter()
        .map(|step| {
            let report = deployment.run_step(step, catalog, &scenario.files);
            assert_eq!(report.error, None, "{name}:\n{}", report.to_text());
            report
        })
        .collect();
    drop(deployment);
    let _ = fs::remove_dir_all(&workdir);
    reports
}

#[test]
fn the_telemetry_scenario_runs_on_the_unpacked_archives() {
    let unpacked = scratch("unpacked");
    for (name, packed) in packed() {
        unpack(&packed.path, &unpacked.join(name));
    }
    let dispatch = |name: &str| unpacked.join(name).join("dispatch");
    let catalog = |name: &str| -> Result<(CharmRunner, PathBuf), SimError> {
        let dir = unpacked.join(name);
        // The charm's files come from the archive too.
        let charm = ProcessCharm::load(dispatch(name), &dir, TOOL)?;
        Ok((CharmRunner::Process(charm), dir))
    };
    let from_archives = run_scenario("from-archives", &catalog);
    let in_process = run_scenario("in-process", &telemetry::in_process);

    assert_eq!(from_archives.len(), in_process.len());
    let mut hooks = 0;
    for (packed, direct) in from_archives.iter().zip(&in_process) {
        assert_eq!(
            comparable(packed),
            comparable(direct),
            "step `{}` differs between the unpacked archives and the charms in process",
            packed.step
        );
        // Every hook started the unpacked `dispatch`, which ran the packed
        // binary: the binary's own timing line names the hook and unit.
        for h in &packed.hooks {
            let what = format!("{}: {} on {}", packed.step, h.hook, h.unit);
            let timing = h
                .process
                .as_ref()
                .unwrap_or_else(|| panic!("{what}: not a process"));
            let charm = timing
                .charm
                .as_ref()
                .unwrap_or_else(|| panic!("{what}: the charm binary wrote no timing line"));
            assert_eq!(
                (charm.hook.as_str(), charm.unit.as_str()),
                (h.hook.as_str(), h.unit.as_str())
            );
            assert_eq!(charm.tool_calls as usize, h.calls.len(), "{what}");
            hooks += 1;
        }
    }
    assert!(hooks > 20, "{hooks} hooks");
    // The packed prometheus ran its list-jobs action from its archive's
    // actions.yaml.
    let actions: Vec<_> = from_archives.iter().flat_map(|r| &r.actions).collect();
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(actions[0].failure, None, "{actions:?}");
    assert_eq!(actions[0].results["count"], "2", "{actions:?}");
    assert!(in_process
        .iter()
        .all(|r| r.hooks.iter().all(|h| h.process.is_none())));

    // An archive whose binary lost its exec bit fails its first hook: the
    // modes stored in the archive are what makes the charm run.
    for name in telemetry::CHARMS {
        let binary = unpacked.join(name).join("bin").join(name);
        fs::set_permissions(&binary, fs::Permissions::from_mode(0o644)).unwrap();
    }
    let scenario = Scenario::load(&telemetry::scenario_path()).unwrap();
    let workdir = scratch("no-exec");
    let mut deployment = Deployment::new(&workdir).unwrap();
    let report = deployment.run_step(&scenario.steps[0], &catalog, &scenario.files);
    let error = report.error.expect("a hook fails");
    assert!(error.contains("exited with status"), "{error}");
    drop(deployment);
    let _ = fs::remove_dir_all(&workdir);
    fs::remove_dir_all(&unpacked).unwrap();
}
