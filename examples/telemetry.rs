//! The telemetry example: the `scrape-target` and `prometheus` charms
//! through the scenario of `examples/telemetry/scenario.yaml`,
//! on the built-in simulator, with a report after each step.
//!
//! ```text
//! cargo run --release --example telemetry                        # charms in this process
//! cargo run --release --example telemetry -- --processes         # charms as real processes
//! cargo run --release --example telemetry -- --json              # the reports as JSON
//! cargo run --release --example telemetry -- --scenario FILE     # another scenario
//! ```
//!
//! The options combine. `--scenario FILE` runs another scenario file (see
//! `reactive_testing::sim::scenario`) whose `deploy` steps name the charms
//! `scrape-target` and `prometheus`.
//!
//! With `--processes`, every hook runs a charm binary as Juju would run it,
//! with exactly Juju's environment: `target/<profile>/scrape-target` and
//! `target/<profile>/prometheus`, from the same target directory and
//! profile as this program (`target/<profile>/examples/telemetry`); they
//! are what `cargo build --workspace` builds. Run through cargo (which sets
//! `$CARGO`), the runner first brings them up to date with
//! `cargo build -p scrape-target -p prometheus` in that profile (a no-op
//! when they are fresh); otherwise it builds them only when they are
//! missing, with the cargo that built it, or says which command would. The
//! charms' hook tools (`relation-get`, `config-get`, …) are links to this
//! very program: run under a hook tool's name, it is the simulator's
//! hook-tool client and forwards the call to the simulator's server.
//!
//! A summary line (hooks run, wall time) goes to standard error; the exit
//! status is non-zero when a step fails.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use reactive_rs::telemetry;
use reactive_testing::sim::tool_client::main_as_tool;
use reactive_testing::sim::{CharmRunner, Deployment, Scenario, SimError};

const USAGE: &str = "\
usage: telemetry [--processes] [--json] [--scenario FILE]

  --processes      run the charms as processes (target/<profile>/scrape-target
                   and target/<profile>/prometheus), their hook tools served
                   by the simulator
  --json           print the step reports as one JSON document
  --scenario FILE  run this scenario file instead of
                   examples/telemetry/scenario.yaml (its charms:
                   scrape-target, prometheus)
";

/// Where the charm binaries live and how to build them.
struct Binaries {
    /// `target/<profile>`, holding the binaries.
    dir: PathBuf,
    /// The cargo arguments that build them there.
    build_args: Vec<OsString>,
}

/// The profile directory this program was built in, and the cargo
/// arguments that build the charm binaries into it (same target directory,
/// profile and, for a cross build, target triple).
fn binaries() -> Result<Binaries, String> {
    let exe =
        std::env::current_exe().map_err(|e| format!("cannot tell where this program is: {e}"))?;
    // target/<profile>/examples/telemetry (or …/deps/telemetry-<hash>)
    let dir = exe
        .parent()
        .filter(|d| {
            d.file_name()
                .is_some_and(|n| n == "examples" || n == "deps")
        })
        .and_then(Path::parent)
        .ok_or_else(|| {
            format!(
                "{} is not in a cargo target directory (target/<profile>/examples/)",
                exe.display()
            )
        })?
        .to_path_buf();
    let profile = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let parent = dir.parent().unwrap_or(Path::new("/"));
    // Cargo tags the root of a target directory; without the tag here, the
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
        _ => (parent.to_path_buf(), None),
    };
    let mut build_args: Vec<OsString> = vec!["build".into()];
    for charm in telemetry::CHARMS {
        build_args.push("-p".into());
        build_args.push(charm.into());
    }
    match profile.as_str() {
        "debug" => {}
        "release" => build_args.push("--release".into()),
        other => {
            build_args.push("--profile".into());
            build_args.push(other.into());
        }
    }
    if let Some(triple) = triple {
        build_args.push("--target".into());
        build_args.push(triple);
    }
    build_args.push("--target-dir".into());
    build_args.push(target_dir.into());
    build_args.push("--manifest-path".into());
    build_args.push(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("Cargo.toml")
            .into(),
    );
    Ok(Binaries { dir, build_args })
}

/// The command line, for messages.
fn shown(cargo: &Path, args: &[OsString]) -> String {
    std::iter::once(cargo.as_os_str())
        .chain(args.iter().map(OsString::as_os_str))
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The charm binaries, built or brought up to date when cargo is at hand.
fn charm_binaries() -> Result<PathBuf, String> {
    let Binaries { dir, build_args } = binaries()?;
    let missing: Vec<PathBuf> = telemetry::CHARMS
        .iter()
        .map(|c| dir.join(c))
        .filter(|p| !p.is_file())
        .collect();
    // Under `cargo run`, $CARGO is set: always ask it (a no-op when the
    // binaries are fresh), so edited charms never run stale.
    let (cargo, under_cargo) = match std::env::var_os("CARGO") {
        Some(cargo) => (PathBuf::from(cargo), true),
        None => (PathBuf::from(env!("CARGO")), false),
    };
    if !under_cargo && missing.is_empty() {
        return Ok(dir);
    }
    let command = shown(&cargo, &build_args);
    eprintln!("building the charm binaries: {command}");
    let built = Command::new(&cargo).args(&build_args).status();
    match built {
        Ok(status) if status.success() => {}
        outcome => {
            let why = match outcome {
                Ok(status) => format!("it ended with {status}"),
                Err(e) => format!("it could not be run: {e}"),
            };
            if missing.is_empty() {
                eprintln!(
                    "warning: {why}; using the charm binaries in {}",
                    dir.display()
                );
            } else {
                return Err(format!(
                    "the charm binaries {} are missing and `{command}` failed ({why}); \
                     build them with:\n    {}",
                    missing
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    shown(Path::new("cargo"), &build_args),
                ));
            }
        }
    }
    if let Some(absent) = telemetry::CHARMS
        .iter()
        .map(|c| dir.join(c))
        .find(|p| !p.is_file())
    {
        return Err(format!(
            "{} is still missing after `{command}`",
            absent.display()
        ));
    }
    Ok(dir)
}

struct Options {
    processes: bool,
    json: bool,
    scenario: PathBuf,
}

/// The options; `None` for `--help`.
fn parse_args() -> Result<Option<Options>, String> {
    let mut options = Options {
        processes: false,
        json: false,
        scenario: Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/telemetry/scenario.yaml"),
    };
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some("--processes") => options.processes = true,
            Some("--json") => options.json = true,
            Some("--help" | "-h") => return Ok(None),
            Some("--scenario") => {
                options.scenario = args
                    .next()
                    .map(PathBuf::from)
                    .ok_or("--scenario needs a file")?;
            }
            Some(s) if s.starts_with("--scenario=") => {
                options.scenario = PathBuf::from(&s["--scenario=".len()..]);
            }
            _ => return Err(format!("unknown argument `{}`", arg.to_string_lossy())),
        }
    }
    Ok(Some(options))
}

fn main() -> ExitCode {
    // Run under a hook tool's name (a link the simulator made for a charm
    // run as a process), this program is the hook-tool client.
    if let Some(code) = main_as_tool() {
        std::process::exit(code);
    }
    let options = match parse_args() {
        Ok(Some(options)) => options,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprint!("error: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let scenario = match Scenario::load(&options.scenario) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let as_process = if options.processes {
        let binaries = match charm_binaries() {
            Ok(dir) => dir,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        let tool_client = match std::env::current_exe() {
            Ok(exe) => exe,
            Err(e) => {
                eprintln!("error: cannot tell where this program is: {e}");
                return ExitCode::FAILURE;
            }
        };
        Some((binaries, tool_client))
    } else {
        None
    };
    let catalog = |name: &str| -> Result<(CharmRunner, PathBuf), SimError> {
        match &as_process {
            None => telemetry::in_process(name),
            Some((binaries, tool_client)) => telemetry::as_process(name, binaries, tool_client),
        }
    };

    let workdir = std::env::temp_dir().join(format!("reactive-telemetry-{}", std::process::id()));
    let mut deployment = match Deployment::new(&workdir) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let started = Instant::now();
    let mut all = Vec::new();
    let reports = deployment.run_scenario(&scenario, &catalog, &mut |report| {
        if options.json {
            all.push(report.to_json());
        } else {
            print!("{}", report.to_text());
        }
    });
    let elapsed = started.elapsed();
    if options.json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"scenario": scenario.name, "steps": all})
            )
            .unwrap_or_default()
        );
    }
    drop(deployment);
    let _ = std::fs::remove_dir_all(&workdir);
    let hooks: usize = reports.iter().map(|r| r.hooks.len()).sum();
    eprintln!(
        "{} step(s), {hooks} hook(s), {:.0} ms ({})",
        reports.len(),
        elapsed.as_secs_f64() * 1000.0,
        if options.processes {
            "charms as processes"
        } else {
            "charms in process"
        }
    );
    if reports.iter().any(|r| r.error.is_some()) || reports.len() != scenario.steps.len() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
