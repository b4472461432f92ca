//! Running a charm as a real process under the simulator: the charm binary
//! is started as Juju starts it, and its hook tools are served by the
//! simulator.
//!
//! A [`ProcessHost`] holds what the processes of one deployment share: a
//! [`ToolServer`] on a Unix domain socket and a directory of hook-tool
//! links to the client binary ([`tool_client`](super::tool_client)). For
//! each hook, [`ProcessCharm::run`] points the server at the unit's
//! [`UnitTools`](super::UnitTools), starts the charm binary with an empty
//! environment plus exactly what Juju sets (see [`hook_environment`]) and
//! waits for it. The production backend
//! ([`ProcessTools`](reactive_core::tools::process::ProcessTools)) then runs each
//! hook tool as a subprocess, which the server answers from the model.
//!
//! ```no_run
//! use std::path::Path;
//! use reactive_testing::sim::process::ProcessCharm;
//! use reactive_testing::sim::{AppSpec, CharmRunner, Deployment};
//!
//! let charm = ProcessCharm::load(
//!     "target/debug/my-charm",       // the charm binary
//!     Path::new("charms/my-charm"),  // metadata.yaml, config.yaml
//!     "target/debug/reactive-sim-tool",
//! )?;
//! let mut model = Deployment::new(Path::new("/tmp/sim"))?;
//! model.deploy(AppSpec {
//!     name: "app".into(),
//!     runner: CharmRunner::Process(charm),
//!     charm_dir: "charms/my-charm".into(),
//!     units: 2,
//!     config: Default::default(),
//! })?;
//! # Ok::<(), reactive_testing::sim::SimError>(())
//! ```

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::deployment::SimError;
use super::tool_client::install_tool_links;
use super::tool_server::{ServedCall, ToolServer, SOCKET_ENV};
use super::unit_tools::SharedUnitTools;
use reactive_core::config::ConfigOptions;
use reactive_core::hook::HookInfo;
use reactive_core::metadata::CharmMetadata;
use reactive_core::unit_state::UnitState;

/// The model name hooks run as processes are told (`JUJU_MODEL_NAME`).
pub const MODEL_NAME: &str = "reactive-sim";

/// The `PATH` entries after the hook-tool directory.
pub const SYSTEM_PATH: &str = "/usr/bin:/bin";

pub use reactive_core::runtime::entry::TIMING_FILE_ENV;

/// The log line prefix that names each handler invoked.
const INVOKING: &str = "Invoking reactive handler: ";

/// How many lines of the charm's standard error a failure keeps.
const STDERR_TAIL_LINES: usize = 20;

/// The longest socket path used; Unix socket addresses hold about 100
/// bytes.
const MAX_SOCKET_PATH: usize = 100;

/// A charm run as a process.
#[derive(Debug, Clone)]
pub struct ProcessCharm {
    /// The charm binary.
    pub binary: PathBuf,
    /// Its endpoints (name to interface), from its metadata.
    pub endpoints: BTreeMap<String, String>,
    /// Its config defaults, from its `config.yaml`.
    pub config_defaults: Map<String, Value>,
    /// Its actions, from its `actions.yaml`.
    pub actions: reactive_core::actions::ActionsSpec,
    /// The hook-tool client binary the tool links point at.
    pub tool_client: PathBuf,
    /// Extra environment variables for every hook (e.g. `REACTIVE_TRACE`),
    /// set after (and so over) the hook environment.
    pub env: BTreeMap<String, String>,
}

/// What a hook run as a process did.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessOutcome {
    /// Handler ids invoked (read from the charm's log lines).
    pub invoked: Vec<String>,
    /// `Err` with what the charm printed when it exited non-zero.
    pub result: Result<(), String>,
    /// The unit's flags after the hook, read from its state DB.
    pub flags: Option<Vec<String>>,
    /// Everything the charm printed on standard error.
    pub stderr: String,
    /// Where the time went.
    pub timing: ProcessTiming,
}

/// Where the time of a hook run as a process went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessTiming {
    /// From starting the charm binary to its exit, as the simulator saw it.
    pub process: Duration,
    /// The charm's own account, from the line it appended to
    /// `$REACTIVE_TIMING_FILE` (`None` if it wrote none).
    pub charm: Option<CharmTiming>,
    /// The hook-tool calls the server answered during the hook, with their
    /// serve times.
    pub served: Vec<ServedCall>,
}

impl ProcessTiming {
    /// The total time the server spent answering this hook's calls.
    pub fn serve_time(&self) -> Duration {
        self.served.iter().map(|c| c.serve_time).sum()
    }
}

/// One line a charm binary appends to `$REACTIVE_TIMING_FILE` at the end of
/// a hook: `{"hook": ..., "unit": ..., "wall_us": ..., "tools_us": ...,
/// "tool_calls": ..., "max_rss_kb": ..., "cpu_us": ...,
/// "minor_faults": ...}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CharmTiming {
    /// The hook.
    pub hook: String,
    /// The unit.
    pub unit: String,
    /// Wall time of the hook inside the binary.
    pub wall: Duration,
    /// Wall time spent in hook-tool subprocesses.
    pub tools: Duration,
    /// Hook-tool subprocesses run.
    pub tool_calls: u64,
    /// Peak resident set size (`VmHWM`), in KiB, when known.
    pub max_rss_kb: Option<u64>,
    /// CPU time of the charm process itself (its hook tools not
    /// included), when known.
    pub cpu: Option<Duration>,
    /// Minor page faults of the charm process (pages touched for the
    /// first time), when known.
    pub minor_faults: Option<u64>,
}

impl CharmTiming {
    /// Parse one timing line; `None` when it is not one.
    pub fn parse_line(line: &str) -> Option<CharmTiming> {
        let value: Value = serde_json::from_str(line).ok()?;
        let micros = |key: &str| {
            value
                .get(key)
                .and_then(Value::as_u64)
                .map(Duration::from_micros)
        };
        Some(CharmTiming {
            hook: value.get("hook")?.as_str()?.to_string(),
            unit: value
                .get("unit")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            wall: micros("wall_us")?,
            tools: micros("tools_us").unwrap_or_default(),
            tool_calls: value.get("tool_calls").and_then(Value::as_u64).unwrap_or(0),
            max_rss_kb: value.get("max_rss_kb").and_then(Value::as_u64),
            cpu: micros("cpu_us"),
            minor_faults: value.get("minor_faults").and_then(Value::as_u64),
        })
    }
}

/// What the charm processes of one deployment share: the hook-tool server
/// and the directories of hook-tool links (one per client binary).
/// Dropping it stops the server.
#[derive(Debug)]
pub struct ProcessHost {
    dir: PathBuf,
    server: ToolServer,
    tool_dirs: Mutex<BTreeMap<PathBuf, PathBuf>>,
}

impl ProcessHost {
    /// Start a host keeping its files under `dir` (created if needed): the
    /// socket (or, when that path would be too long for a socket address,
    /// one in the temporary directory), the tool directories and the timing
    /// files.
    ///
    /// # Errors
    ///
    /// [`SimError::Io`] when the directory or the server cannot be made.
    pub fn start(dir: &Path) -> Result<ProcessHost, SimError> {
        let io = |what: &str, e: std::io::Error| SimError::Io(format!("{what}: {e}"));
        std::fs::create_dir_all(dir)
            .map_err(|e| io(&format!("cannot create {}", dir.display()), e))?;
        let dir = std::path::absolute(dir)
            .map_err(|e| io(&format!("cannot resolve {}", dir.display()), e))?;
        let socket = socket_path(&dir);
        let server = ToolServer::start(&socket).map_err(|e| {
            io(
                &format!("cannot start the hook-tool server on {}", socket.display()),
                e,
            )
        })?;
        Ok(ProcessHost {
            dir,
            server,
            tool_dirs: Mutex::new(BTreeMap::new()),
        })
    }

    /// The directory holding the host's files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The hook-tool server.
    pub fn server(&self) -> &ToolServer {
        &self.server
    }

    fn tool_dirs(&self) -> MutexGuard<'_, BTreeMap<PathBuf, PathBuf>> {
        self.tool_dirs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The directory of hook-tool links to `client`, made on first use.
    ///
    /// # Errors
    ///
    /// [`SimError::Io`] when `client` is not found or the links cannot be
    /// made.
    pub fn tool_dir(&self, client: &Path) -> Result<PathBuf, SimError> {
        let key = std::fs::canonicalize(client).map_err(|e| {
            SimError::Io(format!(
                "hook-tool client {} not found: {e}",
                client.display()
            ))
        })?;
        let mut dirs = self.tool_dirs();
        if let Some(dir) = dirs.get(&key) {
            return Ok(dir.clone());
        }
        let dir = self.dir.join(format!("tools-{}", dirs.len()));
        install_tool_links(&dir, &key).map_err(|e| {
            SimError::Io(format!(
                "cannot make the hook-tool directory {}: {e}",
                dir.display()
            ))
        })?;
        dirs.insert(key, dir.clone());
        Ok(dir)
    }
}

/// A socket path under `dir` if short enough, else one in the temporary
/// directory (or `/tmp`).
fn socket_path(dir: &Path) -> PathBuf {
    let fits = |p: &Path| p.as_os_str().len() <= MAX_SOCKET_PATH;
    let local = dir.join("hook-tools.sock");
    if fits(&local) {
        return local;
    }
    let name = format!("reactive-sim-{}.sock", uuid::Uuid::new_v4().simple());
    let temp = std::env::temp_dir().join(&name);
    if fits(&temp) {
        temp
    } else {
        Path::new("/tmp").join(name)
    }
}

/// The environment of a hook run as a process, exactly as Juju sets it
/// (plus the simulator's socket, the unit state DB's path and the timing
/// file): `JUJU_DISPATCH_PATH=hooks/<hook>` and `JUJU_HOOK_NAME` (for an
/// action `JUJU_DISPATCH_PATH=actions/<name>` instead),
/// `JUJU_UNIT_NAME`, `JUJU_MODEL_NAME`, `JUJU_CHARM_DIR` and `CHARM_DIR`
/// (the unit's directory), `JUJU_RELATION`, `JUJU_RELATION_ID`,
/// `JUJU_REMOTE_UNIT`, `JUJU_REMOTE_APP`, `JUJU_DEPARTING_UNIT` and
/// `JUJU_ACTION_NAME`, `JUJU_ACTION_UUID`, `JUJU_STORAGE_ID`,
/// `JUJU_SECRET_ID`, `JUJU_SECRET_LABEL` and `JUJU_SECRET_REVISION` when
/// the hook has them, `PATH=<tool dir>:/usr/bin:/bin`,
/// `REACTIVE_SIM_SOCKET`, `UNIT_STATE_DB=<unit dir>/.unit-state.db` and
/// `REACTIVE_TIMING_FILE`.
pub fn hook_environment(
    hook: &HookInfo,
    unit: &str,
    unit_dir: &Path,
    tool_dir: &Path,
    socket: &Path,
    timing_file: &Path,
) -> Vec<(&'static str, OsString)> {
    let mut env: Vec<(&'static str, OsString)> = match &hook.action_name {
        Some(action) => vec![("JUJU_DISPATCH_PATH", format!("actions/{action}").into())],
        None => vec![
            ("JUJU_DISPATCH_PATH", format!("hooks/{}", hook.name).into()),
            ("JUJU_HOOK_NAME", hook.name.clone().into()),
        ],
    };
    env.extend([
        ("JUJU_UNIT_NAME", unit.into()),
        ("JUJU_MODEL_NAME", MODEL_NAME.into()),
        ("JUJU_CHARM_DIR", unit_dir.into()),
        ("CHARM_DIR", unit_dir.into()),
    ]);
    let optional = [
        ("JUJU_RELATION", &hook.relation),
        ("JUJU_RELATION_ID", &hook.relation_id),
        ("JUJU_REMOTE_UNIT", &hook.remote_unit),
        ("JUJU_REMOTE_APP", &hook.remote_app),
        ("JUJU_DEPARTING_UNIT", &hook.departing_unit),
        ("JUJU_ACTION_NAME", &hook.action_name),
        ("JUJU_ACTION_UUID", &hook.action_uuid),
        ("JUJU_STORAGE_ID", &hook.storage_id),
        ("JUJU_SECRET_ID", &hook.secret_id),
        ("JUJU_SECRET_LABEL", &hook.secret_label),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            env.push((name, value.into()));
        }
    }
    if let Some(revision) = hook.secret_revision {
        env.push(("JUJU_SECRET_REVISION", revision.to_string().into()));
    }
    let mut path = OsString::from(tool_dir);
    path.push(":");
    path.push(SYSTEM_PATH);
    env.push(("PATH", path));
    env.push((SOCKET_ENV, socket.into()));
    env.push(("UNIT_STATE_DB", unit_dir.join(".unit-state.db").into()));
    env.push((TIMING_FILE_ENV, timing_file.into()));
    env
}

/// Ends the served hook when dropped, whatever happens.
struct ServingHook<'a>(&'a ToolServer);

impl Drop for ServingHook<'_> {
    fn drop(&mut self) {
        self.0.end_hook();
    }
}

impl ProcessCharm {
    /// The charm whose binary is `binary`, reading its endpoints from
    /// `charm_dir`'s `metadata.yaml` (or `charmcraft.yaml`) and its config
    /// defaults from its `config.yaml`; its hook tools are links to
    /// `tool_client`.
    ///
    /// # Errors
    ///
    /// [`SimError::Invalid`] when the metadata or config cannot be read,
    /// [`SimError::Io`] when a binary is not found.
    pub fn load(
        binary: impl Into<PathBuf>,
        charm_dir: &Path,
        tool_client: impl Into<PathBuf>,
    ) -> Result<ProcessCharm, SimError> {
        let binary = binary.into();
        let tool_client = tool_client.into();
        for (what, path) in [
            ("charm binary", &binary),
            ("hook-tool client", &tool_client),
        ] {
            if !path.is_file() {
                return Err(SimError::Io(format!("{what} {} not found", path.display())));
            }
        }
        let metadata = CharmMetadata::load(charm_dir)
            .map_err(|e| SimError::Invalid(format!("cannot load the charm: {e}")))?;
        let options = ConfigOptions::load(charm_dir)
            .map_err(|e| SimError::Invalid(format!("cannot load the charm: {e}")))?;
        let actions = reactive_core::actions::ActionsSpec::load(charm_dir)
            .map_err(|e| SimError::Invalid(format!("cannot load the charm: {e}")))?;
        Ok(ProcessCharm {
            binary,
            endpoints: metadata
                .endpoints
                .iter()
                .map(|e| (e.name.clone(), e.interface.clone()))
                .collect(),
            config_defaults: options.defaults(),
            actions,
            tool_client,
            env: BTreeMap::new(),
        })
    }

    /// Run one hook of this charm for the unit `hook.unit_name` whose charm
    /// directory is `dir`, its hook tools answered by `tools` through
    /// `host`'s server.
    ///
    /// The binary runs in `dir` with the environment of
    /// [`hook_environment`] (and [`ProcessCharm::env`]) only. Afterwards
    /// the handlers invoked are read from the `juju-log` calls `tools`
    /// recorded, the flags from the unit's state DB, and the charm's own
    /// timing from its timing file.
    ///
    /// # Errors
    ///
    /// [`SimError::Invalid`] when the hook names no unit; [`SimError::Io`]
    /// when the binary cannot be started. A hook that fails is an `Ok`
    /// outcome whose `result` is `Err`.
    pub fn run(
        &self,
        host: &ProcessHost,
        hook: &HookInfo,
        dir: &Path,
        tools: SharedUnitTools,
    ) -> Result<ProcessOutcome, SimError> {
        let unit = hook
            .unit_name
            .clone()
            .ok_or_else(|| SimError::Invalid(format!("hook {} names no unit", hook.name)))?;
        let dir = std::path::absolute(dir)
            .map_err(|e| SimError::Io(format!("cannot resolve {}: {e}", dir.display())))?;
        let tool_dir = host.tool_dir(&self.tool_client)?;
        let timing_file = host
            .dir
            .join(format!("timing-{}.jsonl", unit.replace('/', "-")));
        match std::fs::remove_file(&timing_file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(SimError::Io(format!(
                    "cannot remove {}: {e}",
                    timing_file.display()
                )))
            }
        }
        let mut command = Command::new(&self.binary);
        command
            .env_clear()
            .envs(hook_environment(
                hook,
                &unit,
                &dir,
                &tool_dir,
                host.server.socket_path(),
                &timing_file,
            ))
            .envs(&self.env)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());

        host.server.take_served(); // calls outside any hook are not this hook's
        let output = {
            host.server
                .begin_hook(&unit, tools.clone(), Some(hook.clone()));
            let _serving = ServingHook(&host.server);
            let started = Instant::now();
            command.output().map(|output| (output, started.elapsed()))
        };
        let served = host.server.take_served();
        let (output, elapsed) = output.map_err(|e| {
            SimError::Io(format!(
                "cannot run the charm binary {}: {e}",
                self.binary.display()
            ))
        })?;

        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let result = if output.status.success() {
            Ok(())
        } else {
            let how = match output.status.code() {
                Some(code) => format!("the charm exited with status {code}"),
                None => "the charm was killed by a signal".to_string(),
            };
            let tail = stderr_tail(&stderr);
            Err(if tail.is_empty() {
                format!("{how} (no error output)")
            } else {
                format!("{how}: {tail}")
            })
        };
        let invoked = {
            let tools = tools.lock().unwrap_or_else(|p| p.into_inner());
            tools
                .calls()
                .iter()
                .filter(|c| c.tool == "juju-log")
                .filter_map(|c| c.args.last())
                .filter_map(|m| m.strip_prefix(INVOKING))
                .map(str::to_string)
                .collect()
        };
        let charm_timing = std::fs::read_to_string(&timing_file)
            .ok()
            .and_then(|text| text.lines().rev().find_map(CharmTiming::parse_line));
        Ok(ProcessOutcome {
            invoked,
            result,
            flags: read_flags(&dir.join(".unit-state.db")),
            stderr,
            timing: ProcessTiming {
                process: elapsed,
                charm: charm_timing,
                served,
            },
        })
    }
}

/// The last lines of the charm's standard error, on one line each.
fn stderr_tail(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(STDERR_TAIL_LINES);
    lines[start..].join("\n")
}

/// The flags persisted in a unit's state DB; `None` if it cannot be read.
fn read_flags(db: &Path) -> Option<Vec<String>> {
    if !db.exists() {
        return Some(Vec::new());
    }
    let mut state = UnitState::open(db).ok()?;
    let prefix = "reactive.states.";
    let flags = state.get_range(prefix).ok()?;
    Some(
        flags
            .into_iter()
            .filter_map(|(key, _)| key.strip_prefix(prefix).map(str::to_string))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_timing_lines() {
        let line = r#"{"hook":"install","unit":"a/0","wall_us":1500,"tools_us":700,"tool_calls":4,"max_rss_kb":9000,"cpu_us":800,"minor_faults":210}"#;
        let t = CharmTiming::parse_line(line).unwrap();
        assert_eq!(t.hook, "install");
        assert_eq!(t.wall, Duration::from_micros(1500));
        assert_eq!(t.tools, Duration::from_micros(700));
        assert_eq!(t.tool_calls, 4);
        assert_eq!(t.max_rss_kb, Some(9000));
        assert_eq!(t.cpu, Some(Duration::from_micros(800)));
        assert_eq!(t.minor_faults, Some(210));
        // Lines of earlier versions lack the newer fields.
        let older = CharmTiming::parse_line(r#"{"hook":"install","wall_us":1}"#).unwrap();
        assert_eq!((older.cpu, older.minor_faults), (None, None));
        assert_eq!(CharmTiming::parse_line("not json"), None);
        assert_eq!(CharmTiming::parse_line("{}"), None);
    }

    #[test]
    fn environment_is_what_juju_sets() {
        let mut hook = HookInfo::named("db-relation-joined");
        hook.relation = Some("db".into());
        hook.relation_id = Some("db:3".into());
        hook.remote_unit = Some("pg/0".into());
        hook.remote_app = Some("pg".into());
        let env = hook_environment(
            &hook,
            "app/0",
            Path::new("/u"),
            Path::new("/t"),
            Path::new("/s.sock"),
            Path::new("/timing"),
        );
        let get = |k: &str| {
            env.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string_lossy().into_owned())
        };
        assert_eq!(
            get("JUJU_DISPATCH_PATH").as_deref(),
            Some("hooks/db-relation-joined")
        );
        assert_eq!(get("PATH").as_deref(), Some("/t:/usr/bin:/bin"));
        assert_eq!(get("UNIT_STATE_DB").as_deref(), Some("/u/.unit-state.db"));
        assert_eq!(get("CHARM_DIR").as_deref(), Some("/u"));
        assert_eq!(get("JUJU_REMOTE_APP").as_deref(), Some("pg"));
        assert_eq!(get("JUJU_DEPARTING_UNIT"), None);
        assert_eq!(get("JUJU_ACTION_NAME"), None);

        let mut action = HookInfo::named("list-jobs");
        action.action_name = Some("list-jobs".into());
        action.action_uuid = Some("5".into());
        let env = hook_environment(
            &action,
            "app/0",
            Path::new("/u"),
            Path::new("/t"),
            Path::new("/s.sock"),
            Path::new("/timing"),
        );
        let get = |k: &str| {
            env.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string_lossy().into_owned())
        };
        assert_eq!(
            get("JUJU_DISPATCH_PATH").as_deref(),
            Some("actions/list-jobs")
        );
        assert_eq!(get("JUJU_ACTION_NAME").as_deref(), Some("list-jobs"));
        assert_eq!(get("JUJU_ACTION_UUID").as_deref(), Some("5"));
        assert_eq!(get("JUJU_HOOK_NAME"), None);
        assert_eq!(get("JUJU_UNIT_NAME").as_deref(), Some("app/0"));
    }

    #[test]
    fn long_directories_get_a_short_socket() {
        let long = PathBuf::from(format!("/tmp/{}", "x".repeat(200)));
        assert!(socket_path(&long).as_os_str().len() <= MAX_SOCKET_PATH);
        assert_eq!(
            socket_path(Path::new("/w")),
            Path::new("/w/hook-tools.sock")
        );
    }
}
