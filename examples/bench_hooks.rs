//! Whole-process hook timing of the telemetry example (bench only; run by
//! `scripts/bench-hooks.sh`).
//!
//! Runs the seven-step scenario of `examples/telemetry/scenario.yaml` with
//! both charms as real processes (`target/release/scrape-target`,
//! `target/release/prometheus`; their hook tools are links to this program,
//! which then acts as the simulator's hook-tool client), one discarded
//! warm-up run and then `--runs` measured runs, and prints per hook kind the
//! medians of:
//!
//! - `process`: the charm process from spawn to exit, as the simulator saw it;
//! - `wall`: the charm's own account (`wall_us` of its `REACTIVE_TIMING_FILE`
//!   line: from entering the hook code to writing the line);
//! - `tools`: the time the charm spent in hook-tool subprocesses (`tools_us`);
//! - `process − tools` and `wall − tools`;
//! - `calls`: hook-tool subprocesses run (`tool_calls`);
//! - `RSS`: peak resident set size (`max_rss_kb`, `VmHWM`).
//!
//! ```text
//! cargo build --release --workspace --bins --examples
//! target/release/examples/bench_hooks --runs 5
//! ```
//!
//! Every run must match a reference run of the same scenario with the
//! charms in this process: the same hooks on the same units in the same
//! order, invoking the same handlers (so a binary that lost its handlers,
//! or a hook that failed, does not pass for a fast one).
//!
//! Exits 1 when the scenario cannot run, a hook fails, leaves no timing
//! line or differs from the reference, 2 on a bad command line; with
//! `--enforce`, 3 when a target is missed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use reactive_rs::telemetry;
use reactive_testing::sim::tool_client::main_as_tool;
use reactive_testing::sim::{
    CharmCatalog, CharmRunner, Deployment, HookRun, Scenario, SimError, StepReport,
};

/// Target: median hook wall time excluding hook tools (whole process).
const TARGET_WALL_MS: f64 = 5.0;
/// Target: peak RSS of every hook, in MB (10^6 bytes).
const TARGET_RSS_MB: f64 = 8.0;

const USAGE: &str = "usage: bench_hooks [--runs N] [--bin-dir DIR] [--raw FILE] [--enforce]

  --runs N       measured runs of the scenario after one warm-up run (default 5)
  --bin-dir DIR  where the release binaries are (default: the directory above
                 this example's, i.e. target/release)
  --raw FILE     also write every measured hook as a tab-separated line
  --enforce      exit 3 when a target is missed
";

struct Options {
    runs: usize,
    bin_dir: Option<PathBuf>,
    raw: Option<PathBuf>,
    enforce: bool,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        runs: 5,
        bin_dir: None,
        raw: None,
        enforce: false,
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
                    .filter(|n| *n >= 1)
                    .ok_or(format!("--runs: `{v}` is not a whole number from 1"))?;
            }
            "--bin-dir" => options.bin_dir = Some(PathBuf::from(value("--bin-dir")?)),
            "--raw" => options.raw = Some(PathBuf::from(value("--raw")?)),
            "--enforce" => options.enforce = true,
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(options)
}

/// One measured hook.
struct Sample {
    run: usize,
    unit: String,
    hook: String,
    kind: String,
    process_us: f64,
    wall_us: f64,
    tools_us: f64,
    calls: f64,
    rss_kb: f64,
}

/// `*-relation-joined` for `db-relation-joined`; other hooks by name.
fn hook_kind(hook: &str) -> String {
    match hook.find("-relation-") {
        Some(i) => format!("*{}", &hook[i..]),
        None => hook.to_string(),
    }
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn sample(run: usize, h: &HookRun) -> Result<Sample, String> {
    let what = || format!("run {run}: {} {}", h.unit, h.hook);
    if let Err(e) = &h.result {
        return Err(format!("{}: the hook failed: {e}", what()));
    }
    let timing = h
        .process
        .as_ref()
        .ok_or_else(|| format!("{}: not run as a process", what()))?;
    let charm = timing.charm.as_ref().ok_or_else(|| {
        format!(
            "{}: the charm wrote no line to its REACTIVE_TIMING_FILE",
            what()
        )
    })?;
    let rss = charm
        .max_rss_kb
        .ok_or_else(|| format!("{}: the timing line has no max_rss_kb", what()))?;
    if charm.tool_calls != h.calls.len() as u64 {
        return Err(format!(
            "{}: the charm counted {} hook-tool calls, the simulator served {}",
            what(),
            charm.tool_calls,
            h.calls.len()
        ));
    }
    Ok(Sample {
        run,
        unit: h.unit.clone(),
        hook: h.hook.clone(),
        kind: hook_kind(&h.hook),
        process_us: micros(timing.process),
        wall_us: micros(charm.wall),
        tools_us: micros(charm.tools),
        calls: charm.tool_calls as f64,
        rss_kb: rss as f64,
    })
}

/// Run the scenario once in a fresh deployment, with the charms from
/// `catalog`; every hook run, or why a step failed.
fn run_scenario(
    label: &str,
    scenario: &Scenario,
    catalog: &CharmCatalog<'_>,
) -> Result<Vec<HookRun>, String> {
    let workdir = std::env::temp_dir().join(format!(
        "reactive-bench-hooks-{}-{}",
        std::process::id(),
        label.replace(' ', "-")
    ));
    let _ = std::fs::remove_dir_all(&workdir);
    let result = (|| {
        let mut deployment = Deployment::new(&workdir).map_err(|e| format!("{label}: {e}"))?;
        let reports: Vec<StepReport> = deployment.run_scenario(scenario, catalog, &mut |_| {});
        let mut hooks = Vec::new();
        for (i, report) in reports.iter().enumerate() {
            if let Some(e) = &report.error {
                return Err(format!("{label}: step {} ({}): {e}", i + 1, report.step));
            }
            hooks.extend(report.hooks.iter().cloned());
        }
        if reports.len() != scenario.steps.len() {
            return Err(format!(
                "{label}: {} of {} steps ran",
                reports.len(),
                scenario.steps.len()
            ));
        }
        Ok(hooks)
    })();
    let _ = std::fs::remove_dir_all(&workdir);
    result
}

/// What must be the same in every run: each hook, its unit and remote
/// unit, and the handlers it invoked.
fn shape(h: &HookRun) -> String {
    format!(
        "{} {}{} -> [{}]",
        h.unit,
        h.hook,
        h.remote_unit
            .as_ref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default(),
        h.invoked.join(", ")
    )
}

/// Check a process run against the reference, hook by hook.
fn same_as_reference(label: &str, hooks: &[HookRun], reference: &[String]) -> Result<(), String> {
    for (i, h) in hooks.iter().enumerate() {
        let got = shape(h);
        match reference.get(i) {
            Some(want) if *want == got => {}
            Some(want) => {
                return Err(format!(
                    "{label}: hook {} differs from the in-process reference run:\n  process:    {got}\n  in process: {want}",
                    i + 1
                ))
            }
            None => {
                return Err(format!(
                    "{label}: ran {} hooks, the in-process reference run {}",
                    hooks.len(),
                    reference.len()
                ))
            }
        }
    }
    if hooks.len() != reference.len() {
        return Err(format!(
            "{label}: ran {} hooks, the in-process reference run {}",
            hooks.len(),
            reference.len()
        ));
    }
    Ok(())
}

/// The handlers a charm binary lists (`<binary> handlers`); an error when
/// it lists none or cannot run.
fn check_handlers(binary: &Path) -> Result<(), String> {
    let output = std::process::Command::new(binary)
        .arg("handlers")
        .env_remove("JUJU_DISPATCH_PATH")
        .env_remove("JUJU_HOOK_NAME")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    if !output.status.success() {
        return Err(format!(
            "`{} handlers` failed: {}",
            binary.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    if output.stdout.iter().all(u8::is_ascii_whitespace) {
        return Err(format!(
            "`{} handlers` lists no handler: the binary does not link its charm's library (its main.rs must name it, e.g. `use scrape_target as _;`)",
            binary.display()
        ));
    }
    Ok(())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Nearest-rank percentile.
fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

fn column(samples: &[&Sample], f: impl Fn(&Sample) -> f64) -> Vec<f64> {
    samples.iter().map(|s| f(s)).collect()
}

fn ms(us: f64) -> String {
    format!("{:.2}", us / 1000.0)
}

fn mib(kb: f64) -> String {
    format!("{:.1}", kb / 1024.0)
}

fn report(samples: &[Sample], runs: usize) -> (String, bool) {
    let mut out = String::new();
    let mut kinds: Vec<String> = Vec::new();
    let mut by_kind: BTreeMap<&str, Vec<&Sample>> = BTreeMap::new();
    for s in samples {
        if !kinds.contains(&s.kind) {
            kinds.push(s.kind.clone());
        }
        by_kind.entry(s.kind.as_str()).or_default().push(s);
    }
    let all: Vec<&Sample> = samples.iter().collect();
    let _ = writeln!(
        out,
        "{} hooks per run, {runs} measured runs ({} hooks); medians, times in ms, RSS in MiB",
        samples.len() / runs,
        samples.len()
    );
    let _ = writeln!(
        out,
        "process = spawn to exit as the simulator saw it; wall = the charm's own account; tools = time in hook-tool subprocesses\n"
    );
    let _ = writeln!(
        out,
        "{:<26} {:>5} {:>8} {:>8} {:>8} {:>10} {:>8} {:>6} {:>6}",
        "hook kind", "n", "process", "wall", "tools", "proc-tools", "wall-tools", "calls", "RSS"
    );
    let row = |out: &mut String, name: &str, group: &[&Sample]| {
        let _ = writeln!(
            out,
            "{:<26} {:>5} {:>8} {:>8} {:>8} {:>10} {:>8} {:>6} {:>6}",
            name,
            group.len(),
            ms(median(&mut column(group, |s| s.process_us))),
            ms(median(&mut column(group, |s| s.wall_us))),
            ms(median(&mut column(group, |s| s.tools_us))),
            ms(median(&mut column(group, |s| s.process_us - s.tools_us))),
            ms(median(&mut column(group, |s| s.wall_us - s.tools_us))),
            median(&mut column(group, |s| s.calls)),
            mib(median(&mut column(group, |s| s.rss_kb))),
        );
    };
    for kind in &kinds {
        row(&mut out, kind, &by_kind[kind.as_str()]);
    }
    row(&mut out, "all hooks", &all);

    let mut proc_net = column(&all, |s| s.process_us - s.tools_us);
    let mut wall_net = column(&all, |s| s.wall_us - s.tools_us);
    let mut rss = column(&all, |s| s.rss_kb);
    let line = |v: &mut Vec<f64>| {
        format!(
            "median {} ms, p90 {} ms, max {} ms",
            ms(median(v)),
            ms(percentile(v, 90.0)),
            ms(percentile(v, 100.0))
        )
    };
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "process - tools (whole process): {}",
        line(&mut proc_net)
    );
    let _ = writeln!(
        out,
        "wall - tools (charm's account):  {}",
        line(&mut wall_net)
    );
    let _ = writeln!(
        out,
        "peak RSS: median {} MiB, p90 {} MiB, max {} MiB ({} kB)",
        mib(median(&mut rss)),
        mib(percentile(&mut rss, 90.0)),
        mib(percentile(&mut rss, 100.0)),
        percentile(&mut rss, 100.0)
    );

    let wall_median_ms = median(&mut proc_net) / 1000.0;
    let rss_max_mb = percentile(&mut rss, 100.0) * 1024.0 / 1e6;
    let wall_ok = wall_median_ms < TARGET_WALL_MS;
    let rss_ok = rss_max_mb < TARGET_RSS_MB;
    let verdict = |ok: bool| if ok { "MET" } else { "NOT MET" };
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "target: median hook wall time excluding hook tools (process - tools) < {TARGET_WALL_MS} ms: {wall_median_ms:.2} ms  {}",
        verdict(wall_ok)
    );
    let _ = writeln!(
        out,
        "target: peak RSS (max over all hooks) < {TARGET_RSS_MB} MB: {rss_max_mb:.2} MB  {}",
        verdict(rss_ok)
    );
    (out, wall_ok && rss_ok)
}

fn main() -> ExitCode {
    // Run under a hook tool's name (the charms' tool links point here):
    // be the simulator's hook-tool client.
    if let Some(code) = main_as_tool() {
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    match bench() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("bench_hooks: {e}");
            ExitCode::FAILURE
        }
    }
}

fn bench() -> Result<ExitCode, String> {
    let options = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("bench_hooks: {e}\n\n{USAGE}");
            return Ok(ExitCode::from(2));
        }
    };
    let me =
        std::env::current_exe().map_err(|e| format!("cannot tell where this program is: {e}"))?;
    let bin_dir = match &options.bin_dir {
        Some(dir) => dir.clone(),
        // target/release/examples/bench_hooks -> target/release
        None => me
            .parent()
            .and_then(Path::parent)
            .ok_or("cannot tell where the binaries are; give --bin-dir")?
            .to_path_buf(),
    };
    for name in ["scrape-target", "prometheus"] {
        let binary = bin_dir.join(name);
        if !binary.is_file() {
            return Err(format!(
                "{} not found; build with `cargo build --release --workspace --bins --examples`",
                binary.display()
            ));
        }
        check_handlers(&binary)?;
    }
    let scenario_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/telemetry/scenario.yaml");
    let scenario = Scenario::load(&scenario_path).map_err(|e| e.to_string())?;

    let reference: Vec<String> = run_scenario(
        "in-process reference run",
        &scenario,
        &telemetry::in_process,
    )?
    .iter()
    .map(shape)
    .collect();
    let as_process = |name: &str| -> Result<(CharmRunner, PathBuf), SimError> {
        telemetry::as_process(name, &bin_dir, &me)
    };

    let mut samples = Vec::new();
    for run in 0..=options.runs {
        let label = if run == 0 {
            "warm-up run".to_string()
        } else {
            format!("run {run}")
        };
        let hooks = run_scenario(&label, &scenario, &as_process)?;
        same_as_reference(&label, &hooks, &reference)?;
        let measured = hooks
            .iter()
            .map(|h| sample(run, h))
            .collect::<Result<Vec<_>, _>>()?;
        eprintln!(
            "{label}: {} hooks, as in the in-process reference run",
            hooks.len()
        );
        if run > 0 {
            samples.extend(measured);
        }
    }
    if samples.is_empty() {
        return Err("the scenario ran no hooks".into());
    }

    if let Some(path) = &options.raw {
        let mut text = String::from(
            "run\tunit\thook\tprocess_us\twall_us\ttools_us\ttool_calls\tmax_rss_kb\n",
        );
        for s in &samples {
            let _ = writeln!(
                text,
                "{}\t{}\t{}\t{:.0}\t{:.0}\t{:.0}\t{}\t{}",
                s.run, s.unit, s.hook, s.process_us, s.wall_us, s.tools_us, s.calls, s.rss_kb
            );
        }
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }

    let (text, met) = report(&samples, options.runs);
    print!("{text}");
    Ok(if options.enforce && !met {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}
