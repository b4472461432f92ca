//! Hook cost against the number of related units (bench only; run by
//! `scripts/bench-scale.sh`).
//!
//! One `prometheus` unit, run as a real process (`target/release/prometheus`,
//! its hook tools links to this program acting as the simulator's hook-tool
//! client), related to N `scrape-target` units run in this process, each
//! with an accepted scrape job. For each N, `--runs` times, one hook of
//! each kind on the prometheus unit:
//!
//! - `cold`: `update-status` on a unit state that holds no relation-data
//!   snapshot, request index or relation membership (as charms.reactive,
//!   or a unit state from before them, leaves it): every unit is read
//!   once;
//! - `-relation-changed`: one target changed its job (its port);
//! - `update-status`;
//! - `-relation-departed`: one target removed.
//!
//! and prints per N and hook kind the medians of: hook-tool calls, the
//! charm process's own CPU time (`/proc/self/schedstat` of the charm: its
//! hook tools are other processes, not counted), its wall time, its peak
//! RSS, and its minor page faults (each a page touched for the first time:
//! kernel time the instruction count does not show, and a count the
//! host's load does not move).
//!
//! ```text
//! cargo build --release -p prometheus --example bench_scale
//! target/release/examples/bench_scale --runs 5 --units 10,100,1000
//! ```
//!
//! With `--compare DIR`, the runs alternate between the `prometheus`
//! binary of `--bin-dir` (build A: even runs) and that of `DIR` (build B:
//! odd runs) on the same deployment, and each hook kind gets a row per
//! build: the host's load then weighs on both alike. Both builds must read
//! and write the unit state the same way.
//!
//! With `--instructions`, the measured hooks run under valgrind's
//! callgrind, and the table gives the instructions the charm process ran
//! (its hook tools excluded): a count that the host's load does not move,
//! for comparing builds on a busy machine.
//!
//! With `BENCH_KEEP` set, each N's work directory (the units' charm
//! directories and unit states) is kept.
//!
//! Exits 1 when a step or hook fails, 2 on a bad command line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use reactive_core::hook::HookInfo;
use reactive_core::unit_state::UnitState;
use reactive_rs::telemetry;
use reactive_testing::sim::tool_client::main_as_tool;
use reactive_testing::sim::{AppSpec, CharmRunner, Deployment, HookRun};
use serde_json::{Map, Value};

const USAGE: &str =
    "usage: bench_scale [--runs N] [--units N,N,...] [--bin-dir DIR] [--compare DIR]
                   [--instructions]

  --runs N       hooks of each kind measured per unit count (default 5)
  --units LIST   the numbers of scrape targets (default 10,100,1000)
  --bin-dir DIR  where the release binaries are (default: the directory above
                 this example's, i.e. target/release)
  --compare DIR  alternate runs between the prometheus binary of --bin-dir
                 (A) and that of DIR (B); a row per build
  --instructions run the measured hooks under valgrind's callgrind and add
                 the instructions the charm process ran (its CPU, wall time
                 and RSS are then callgrind's, not its own)
";

const PROMETHEUS: &str = "prometheus/0";
const KINDS: [&str; 4] = [
    "cold",
    "-relation-changed",
    "update-status",
    "-relation-departed",
];

struct Options {
    runs: usize,
    units: Vec<usize>,
    bin_dir: Option<PathBuf>,
    compare: Option<PathBuf>,
    instructions: bool,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        runs: 5,
        units: vec![10, 100, 1000],
        bin_dir: None,
        compare: None,
        instructions: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--runs" => {
                let v = value("--runs")?;
                options.runs = v
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or(format!("--runs must be a whole number from 1, not `{v}`"))?;
            }
            "--units" => {
                let v = value("--units")?;
                options.units = v
                    .split(',')
                    .map(|n| n.trim().parse::<usize>().ok().filter(|n| *n > 1))
                    .collect::<Option<Vec<_>>>()
                    .ok_or(format!("--units must list whole numbers from 2, not `{v}`"))?;
            }
            "--bin-dir" => options.bin_dir = Some(PathBuf::from(value("--bin-dir")?)),
            "--compare" => options.compare = Some(PathBuf::from(value("--compare")?)),
            "--instructions" => options.instructions = true,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(options)
}

/// One measured hook.
#[derive(Debug, Clone, Copy)]
struct Sample {
    calls: f64,
    cpu_ms: f64,
    wall_ms: f64,
    rss_kib: f64,
    faults: f64,
    /// Instructions the charm process ran (`--instructions`).
    instructions: Option<f64>,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn sample(h: &HookRun) -> Result<Sample, String> {
    let what = || format!("{} {}", h.unit, h.hook);
    if let Err(e) = &h.result {
        return Err(format!("{}: the hook failed: {e}", what()));
    }
    let charm = h
        .process
        .as_ref()
        .and_then(|p| p.charm.as_ref())
        .ok_or_else(|| format!("{}: no timing line from the charm", what()))?;
    Ok(Sample {
        calls: charm.tool_calls as f64,
        cpu_ms: ms(charm
            .cpu
            .ok_or_else(|| format!("{}: the timing line has no cpu_us", what()))?),
        wall_ms: ms(charm.wall),
        rss_kib: charm
            .max_rss_kb
            .ok_or_else(|| format!("{}: the timing line has no max_rss_kb", what()))?
            as f64,
        faults: charm
            .minor_faults
            .ok_or_else(|| format!("{}: the timing line has no minor_faults", what()))?
            as f64,
        instructions: None,
    })
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    let n = values.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn hook(name: &str) -> HookInfo {
    HookInfo::named(name)
}

fn relation_hook(event: &str, relation_id: &str, remote: &str) -> HookInfo {
    let mut h = HookInfo::named(format!("scrape-relation-{event}"));
    h.relation = Some("scrape".to_string());
    h.relation_id = Some(relation_id.to_string());
    h.remote_unit = Some(remote.to_string());
    h.remote_app = Some("scrape-target".to_string());
    h
}

/// The prometheus hooks among the runs.
fn prometheus_hook<'a>(runs: &'a [HookRun], name_end: &str) -> Result<&'a HookRun, String> {
    runs.iter()
        .find(|r| r.unit == PROMETHEUS && r.hook.ends_with(name_end))
        .ok_or_else(|| format!("no {name_end} hook ran on {PROMETHEUS}"))
}

/// Drop the relation-data snapshot (and the request flags and relation
/// membership kept with it) from the prometheus unit's state.
fn drop_snapshot(unit_dir: &Path) -> Result<(), String> {
    let path = unit_dir.join(".unit-state.db");
    let mut state = UnitState::open(&path).map_err(|e| e.to_string())?;
    for prefix in [
        "reactive.relation_data.",
        "reactive.endpoints.pattern.",
        "reactive.endpoints.requests.",
        "reactive.endpoints.members.",
    ] {
        for (key, _) in state.get_range_raw(prefix).map_err(|e| e.to_string())? {
            state.unset(&key);
        }
    }
    state.commit().map_err(|e| e.to_string())
}

/// Where the prometheus binary of each build is: one (`--bin-dir`), or
/// two to alternate (`--compare`); and whether the measured hooks run
/// under callgrind (`--instructions`).
struct Builds {
    dirs: Vec<PathBuf>,
    instructions: bool,
}

/// The instructions a callgrind output file counts (its `summary:` or
/// `totals:` line).
fn instructions_in(file: &Path) -> Result<f64, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("no callgrind output at {}: {e}", file.display()))?;
    text.lines()
        .find_map(|line| {
            let count = line
                .strip_prefix("summary:")
                .or_else(|| line.strip_prefix("totals:"))?;
            count.trim().parse::<f64>().ok()
        })
        .ok_or_else(|| format!("{} holds no instruction count", file.display()))
}

impl Builds {
    /// The label of run `run`'s build (`""` with one build).
    fn label(&self, run: usize) -> &'static str {
        match (self.dirs.len(), run % 2) {
            (1, _) => "",
            (_, 0) => " (A)",
            _ => " (B)",
        }
    }

    /// The directory the deployment runs `prometheus` from: with one
    /// build, its own; with two, `workdir/bins`, whose `prometheus` is a
    /// symbolic link [`Builds::select`] points at a build.
    fn run_dir(&self, workdir: &Path) -> Result<PathBuf, String> {
        if self.dirs.len() == 1 && !self.instructions {
            return Ok(self.dirs[0].clone());
        }
        let dir = workdir.join("bins");
        std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
        self.select(&dir, 0)?;
        Ok(dir)
    }

    /// Point `run_dir`'s `prometheus` at run `run`'s build (replaced by a
    /// rename: never missing).
    fn select(&self, run_dir: &Path, run: usize) -> Result<(), String> {
        if self.dirs.len() == 1 && !self.instructions {
            return Ok(());
        }
        let target = self.binary(run)?;
        link(&target, &run_dir.join("prometheus"))
    }

    /// Run run `run`'s build's binary.
    fn binary(&self, run: usize) -> Result<PathBuf, String> {
        let target = self.dirs[run % self.dirs.len()].join("prometheus");
        std::fs::canonicalize(&target)
            .map_err(|e| format!("no prometheus binary at {}: {e}", target.display()))
    }

    /// With `--instructions`, have the next prometheus hooks run under
    /// callgrind, counting into `counts` (until [`Builds::select`]).
    fn arm(&self, run_dir: &Path, run: usize, counts: &Path) -> Result<(), String> {
        if !self.instructions {
            return Ok(());
        }
        let script = run_dir.join("prometheus-callgrind");
        let text = format!(
            "#!/bin/sh\nexec valgrind -q --tool=callgrind --callgrind-out-file='{}' '{}' \"$@\"\n",
            counts.display(),
            self.binary(run)?.display()
        );
        std::fs::write(&script, text)
            .and_then(|()| {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
            })
            .map_err(|e| format!("write {}: {e}", script.display()))?;
        link(&script, &run_dir.join("prometheus"))
    }
}

/// Point the symbolic link `at` to `target` (replaced by a rename: never
/// missing).
fn link(target: &Path, at: &Path) -> Result<(), String> {
    let tmp = at.with_extension("next");
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp)
        .and_then(|()| std::fs::rename(&tmp, at))
        .map_err(|e| format!("link {}: {e}", target.display()))
}

/// Change target `unit`'s job (its port) in the relation data.
fn change_job(deployment: &Deployment, unit: &str, port: u64) -> Result<(), String> {
    let mut model = deployment.model();
    let relation = model.relations.values_mut().next().ok_or("no relation")?;
    let data = relation
        .unit_data
        .get_mut(unit)
        .ok_or_else(|| format!("no data of {unit}"))?;
    let key = data
        .keys()
        .find(|k| k.starts_with("request_"))
        .cloned()
        .ok_or_else(|| format!("{unit} has no request"))?;
    let mut request: Map<String, Value> =
        serde_json::from_str(&data[&key]).map_err(|e| format!("{unit}'s {key}: {e}"))?;
    if let Some(Value::Object(job)) = request.get_mut("job_data") {
        if let Some(Value::Array(configs)) = job.get_mut("static_configs") {
            if let Some(Value::Object(first)) = configs.first_mut() {
                if let Some(Value::Array(targets)) = first.get_mut("targets") {
                    let host = targets
                        .first()
                        .and_then(Value::as_str)
                        .and_then(|t| t.rsplit_once(':'))
                        .map(|(h, _)| h.to_string())
                        .unwrap_or_else(|| "localhost".to_string());
                    *targets = vec![Value::String(format!("{host}:{port}"))];
                }
            }
        }
    }
    data.insert(key, Value::Object(request).to_string());
    Ok(())
}

/// Each hook kind's samples, by kind and build label.
type Samples = BTreeMap<(&'static str, &'static str), Vec<Sample>>;

fn measure(n: usize, runs: usize, builds: &Builds, tool: &Path) -> Result<Samples, String> {
    let workdir =
        std::env::temp_dir().join(format!("reactive-bench-scale-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&workdir);
    let result = (|| {
        let mut deployment = Deployment::new(&workdir).map_err(|e| e.to_string())?;
        deployment.set_max_hooks(20 * n + 1000);
        let bin_dir = builds.run_dir(&workdir)?;
        let (runner, dir) =
            telemetry::as_process("prometheus", &bin_dir, tool).map_err(|e| e.to_string())?;
        deployment
            .deploy(AppSpec {
                name: "prometheus".into(),
                runner,
                charm_dir: dir,
                units: 1,
                config: Map::new(),
            })
            .map_err(|e| format!("deploy prometheus: {e}"))?;
        let (runner, dir) = telemetry::in_process("scrape-target").map_err(|e| e.to_string())?;
        let CharmRunner::InProcess(_) = &runner else {
            return Err("scrape-target must run in process".to_string());
        };
        deployment
            .deploy(AppSpec {
                name: "scrape-target".into(),
                runner,
                charm_dir: dir,
                units: n,
                config: Map::new(),
            })
            .map_err(|e| format!("deploy {n} scrape targets: {e}"))?;
        let id = deployment
            .relate("scrape-target:metrics", "prometheus:scrape")
            .map_err(|e| format!("relate: {e}"))?;
        let rid = format!("scrape:{}", id.number());
        deployment.take_runs();
        let unit_dir = deployment
            .unit_dir(PROMETHEUS)
            .ok_or("no prometheus unit")?
            .to_path_buf();
        let mut out = Samples::new();
        for run in 0..runs {
            builds.select(&bin_dir, run)?;
            let mut hook_of = |kind: &'static str,
                               name_end: &str,
                               step: &dyn Fn(&mut Deployment) -> Result<(), String>|
             -> Result<(), String> {
                let counts = workdir.join(format!(
                    "callgrind-{}-{run}.out",
                    kind.trim_start_matches('-')
                ));
                builds.arm(&bin_dir, run, &counts)?;
                step(&mut deployment).map_err(|e| format!("{kind}: {e}"))?;
                builds.select(&bin_dir, run)?;
                let runs_now = deployment.take_runs();
                let mut one = sample(prometheus_hook(&runs_now, name_end)?)?;
                if builds.instructions {
                    one.instructions = Some(instructions_in(&counts)?);
                }
                out.entry((kind, builds.label(run))).or_default().push(one);
                Ok(())
            };
            let queue = |deployment: &mut Deployment, info: HookInfo| -> Result<(), String> {
                deployment
                    .queue_hook(PROMETHEUS, info)
                    .map_err(|e| e.to_string())?;
                deployment.run_until_quiet().map_err(|e| e.to_string())
            };

            drop_snapshot(&unit_dir)?;
            hook_of("cold", "update-status", &|d| {
                queue(d, hook("update-status"))
            })?;

            // Units n - run .. n left in the earlier runs: pick among the
            // others.
            let target = format!("scrape-target/{}", (run * 7 + 3) % (n - run));
            let changed = |d: &mut Deployment| {
                change_job(d, &target, 9300 + run as u64)?;
                queue(d, relation_hook("changed", &rid, &target))
            };
            hook_of("-relation-changed", "-relation-changed", &changed)?;

            hook_of("update-status", "update-status", &|d| {
                queue(d, hook("update-status"))
            })?;

            let leaving = format!("scrape-target/{}", n - 1 - run);
            let departed = |d: &mut Deployment| {
                d.remove_unit(&leaving)
                    .map_err(|e| format!("remove {leaving}: {e}"))
            };
            hook_of("-relation-departed", "-relation-departed", &departed)?;
        }
        Ok(out)
    })();
    if std::env::var_os("BENCH_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&workdir);
    }
    result
}

fn main() -> ExitCode {
    if let Some(code) = main_as_tool() {
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    let options = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("bench_scale: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let tool = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("bench_scale: cannot tell where this program is: {e}");
            return ExitCode::from(1);
        }
    };
    let bin_dir = options.bin_dir.clone().unwrap_or_else(|| {
        tool.parent()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default()
    });
    let builds = Builds {
        dirs: std::iter::once(bin_dir)
            .chain(options.compare.clone())
            .collect(),
        instructions: options.instructions,
    };
    let valgrind = || {
        std::process::Command::new("valgrind")
            .arg("--version")
            .output()
            .is_ok_and(|out| out.status.success())
    };
    if builds.instructions && !valgrind() {
        eprintln!(
            "bench_scale: --instructions runs the hooks under valgrind, which is not on PATH"
        );
        return ExitCode::from(1);
    }
    let yardstick_before = yardstick(&builds);
    if builds.instructions {
        println!("| N | hook | calls | instructions (M) |");
        println!("|--:|------|------:|-----------------:|");
    } else {
        println!(
            "| N | hook | calls | charm CPU (ms) | wall (ms) | peak RSS (MiB) | page faults |"
        );
        println!(
            "|--:|------|------:|---------------:|----------:|---------------:|------------:|"
        );
    }
    for &n in &options.units {
        let samples = match measure(n, options.runs.min(n - 1), &builds, &tool) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("bench_scale: N = {n}: {e}");
                return ExitCode::from(1);
            }
        };
        for kind in KINDS {
            for ((_, build), s) in samples
                .range((kind, "")..)
                .take_while(|((k, _), _)| *k == kind)
            {
                let m = |f: fn(&Sample) -> f64| median(s.iter().map(f).collect());
                if builds.instructions {
                    let instructions = m(|s| s.instructions.unwrap_or(f64::NAN)) / 1e6;
                    println!(
                        "| {n} | `{kind}`{build} | {:.0} | {instructions:.2} |",
                        m(|s| s.calls)
                    );
                    continue;
                }
                println!(
                    "| {n} | `{kind}`{build} | {:.0} | {:.2} | {:.1} | {:.1} | {:.0} |",
                    m(|s| s.calls),
                    m(|s| s.cpu_ms),
                    m(|s| s.wall_ms),
                    m(|s| s.rss_kib) / 1024.0,
                    m(|s| s.faults)
                );
            }
        }
    }
    if let (Some(before), Some(after)) = (yardstick_before, yardstick(&builds)) {
        println!(
            "\nThe host's yardstick: `true` took {before:.2} ms of CPU per start before \
             the runs and {after:.2} ms after ({YARDSTICK_RUNS} starts each; BENCHMARKS.md \
             relates its readings to the hooks')."
        );
    }
    ExitCode::SUCCESS
}

/// How many starts of `true` measure the host's speed.
const YARDSTICK_RUNS: usize = 400;

/// The CPU of a start of `true`, in ms (see
/// [`process_start_cpu`](reactive_testing::sim::yardstick::process_start_cpu)):
/// what the host's load does to every process's fixed work, measured when
/// nothing else runs. Not under `--instructions` (callgrind's own load
/// would be measured), nor where `true` cannot run (a warning says so).
fn yardstick(builds: &Builds) -> Option<f64> {
    if builds.instructions {
        return None;
    }
    let program = Path::new("true");
    match reactive_testing::sim::yardstick::process_start_cpu(program, YARDSTICK_RUNS) {
        Ok(cpu) => Some(cpu.as_secs_f64() * 1e3),
        Err(e) => {
            eprintln!("bench_scale: no yardstick: {e}");
            None
        }
    }
}
