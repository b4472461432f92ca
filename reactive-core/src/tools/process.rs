//! The production backend: Juju's hook tools run as subprocesses.

mod model_tools;
mod secret_tools;
mod typed;

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{
    ApplicationStatus, CloudSpec, DataBag, GoalState, HookTools, OpenedPort, PortRange, Protocol,
    RelationModel, SecretContent, SecretInfo, SecretOptions, SecretRef, SecretRevision, StatusInfo,
    StorageInfo, ToolError, WorkloadState,
};
use crate::log::LogLevel;

/// Runs Juju's hook tools (`relation-get`, `config-get`, …) as
/// subprocesses, one per call, without a shell.
///
/// Tools are looked up in the directories of the `PATH` given to
/// [`ProcessTools::new`] (not the process's own `PATH`, unless built with
/// [`ProcessTools::from_env`]), run by absolute path, and given that same
/// `PATH`. Nothing is cached here except where each tool lives; see
/// [`CachedTools`](super::cache::CachedTools) for caching answers.
///
/// ```no_run
/// use reactive_core::tools::{process::ProcessTools, HookTools};
/// let mut tools = ProcessTools::from_env();
/// let leader = tools.is_leader()?;
/// # Ok::<(), reactive_core::tools::ToolError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ProcessTools {
    search_path: Option<OsString>,
    /// Whether `search_path` is this process's own `PATH`: then the tools
    /// inherit the environment as it is, which spares building a copy of
    /// the whole environment for every spawn.
    inherits_path: bool,
    dirs: Vec<PathBuf>,
    resolved: HashMap<&'static str, PathBuf>,
    calls: usize,
    times: Arc<ToolTimes>,
}

/// The wall time a [`ProcessTools`] (and its clones, which share it) has
/// spent running tool subprocesses, from start to exit, and how many it ran.
#[derive(Debug, Default)]
pub struct ToolTimes {
    calls: AtomicU64,
    nanos: AtomicU64,
}

impl ToolTimes {
    /// Tool subprocesses run (or tried).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Their total wall time.
    pub fn total(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Relaxed))
    }
}

/// Adds the time until it is dropped to a [`ToolTimes`].
struct ToolTimer(Arc<ToolTimes>, Instant);

impl Drop for ToolTimer {
    fn drop(&mut self) {
        let nanos = u64::try_from(self.1.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.0.calls.fetch_add(1, Ordering::Relaxed);
        self.0.nanos.fetch_add(nanos, Ordering::Relaxed);
    }
}

impl ProcessTools {
    /// Tools looked up in the directories of `search_path` (a `PATH`-style
    /// list). With `None`, no tool is found: every call fails with
    /// [`ToolError::NotFound`]. Empty entries of the list are skipped.
    pub fn new(search_path: Option<OsString>) -> Self {
        let dirs = match &search_path {
            Some(path) => std::env::split_paths(path)
                .filter(|dir| !dir.as_os_str().is_empty())
                .collect(),
            None => Vec::new(),
        };
        ProcessTools {
            inherits_path: search_path == std::env::var_os("PATH"),
            search_path,
            dirs,
            resolved: HashMap::new(),
            calls: 0,
            times: Arc::default(),
        }
    }

    /// Tools looked up in this process's `PATH`, as Juju sets it for a hook.
    pub fn from_env() -> Self {
        ProcessTools::new(std::env::var_os("PATH"))
    }

    /// How many tool processes have been started (or tried to start: an
    /// executable found but failing to start counts too; a tool not found
    /// does not).
    pub fn calls(&self) -> usize {
        self.calls
    }

    /// The wall time spent in tool subprocesses so far (a shared handle:
    /// it keeps counting as this value, or a clone, runs more tools).
    pub fn times(&self) -> Arc<ToolTimes> {
        self.times.clone()
    }

    /// The `PATH` tools are looked up in and given.
    pub fn search_path(&self) -> Option<&OsString> {
        self.search_path.as_ref()
    }

    /// Where `tool` lives: the first executable file of that name in the
    /// search path's directories.
    fn resolve(&mut self, tool: &'static str) -> Result<PathBuf, ToolError> {
        if let Some(path) = self.resolved.get(tool) {
            return Ok(path.clone());
        }
        let found = self
            .dirs
            .iter()
            .map(|dir| dir.join(tool))
            .find(|candidate| is_executable(candidate));
        match found {
            Some(path) => {
                self.resolved.insert(tool, path.clone());
                Ok(path)
            }
            None => Err(ToolError::NotFound {
                tool: tool.to_string(),
            }),
        }
    }

    /// Run `tool` with `args` (and `stdin` on its standard input) and return
    /// its standard output. `secrets` are values to scrub from its standard
    /// error should it fail.
    fn run(
        &mut self,
        tool: &'static str,
        args: &[&str],
        stdin: Option<&[u8]>,
        secrets: &[&str],
    ) -> Result<Vec<u8>, ToolError> {
        let program = self.resolve(tool)?;
        self.calls += 1;
        let _timer = ToolTimer(self.times.clone(), Instant::now());
        let mut command = Command::new(&program);
        command
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if !self.inherits_path {
            match &self.search_path {
                Some(path) => command.env("PATH", path),
                None => command.env_remove("PATH"),
            };
        }
        let io_error = |source| ToolError::Io {
            tool: tool.to_string(),
            source,
        };
        let mut child = command.spawn().map_err(io_error)?;
        let output = match (child.stdin.take(), stdin) {
            (Some(mut pipe), Some(data)) => {
                // Write on another thread while this one drains the child's
                // output, so that neither side can block the other.
                std::thread::scope(|scope| {
                    let writer = scope.spawn(move || {
                        let result = pipe.write_all(data);
                        drop(pipe);
                        result
                    });
                    let output = child.wait_with_output();
                    let written = writer
                        .join()
                        .unwrap_or_else(|_| Err(std::io::Error::other("stdin writer panicked")));
                    (output, written)
                })
            }
            (pipe, _) => {
                drop(pipe);
                (child.wait_with_output(), Ok(()))
            }
        };
        let (output, written) = output;
        let output = output.map_err(io_error)?;
        if !output.status.success() {
            return Err(ToolError::failed(
                tool,
                args,
                output.status.code(),
                &output.stderr,
                secrets,
            ));
        }
        match written {
            // A tool that exits successfully without reading all its input
            // has done what it wanted with it.
            Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(io_error(err)),
            _ => Ok(output.stdout),
        }
    }

    /// Run `tool` and parse its output as JSON.
    fn run_json(&mut self, tool: &'static str, args: &[&str]) -> Result<Parsed, ToolError> {
        let stdout = self.run(tool, args, None, &[])?;
        match parse_json(tool, &stdout) {
            Ok(value) => Ok(Parsed { stdout, value }),
            Err(reason) => Err(ToolError::bad_output(tool, args, &stdout, reason)),
        }
    }

    fn run_list(&mut self, tool: &'static str, args: &[&str]) -> Result<Vec<String>, ToolError> {
        let parsed = self.run_json(tool, args)?;
        match parsed.value {
            Value::Null => Ok(Vec::new()),
            Value::Array(items) => {
                let mut list = Vec::with_capacity(items.len());
                for (index, item) in items.into_iter().enumerate() {
                    match item {
                        Value::String(s) => list.push(s),
                        other => {
                            let reason = format!(
                                "expected a list of strings, but item {index} is {}",
                                kind(&other)
                            );
                            return Err(ToolError::bad_output(tool, args, &parsed.stdout, reason));
                        }
                    }
                }
                Ok(list)
            }
            other => {
                let reason = format!("expected a list of strings, got {}", kind(&other));
                Err(ToolError::bad_output(tool, args, &parsed.stdout, reason))
            }
        }
    }

    fn run_bag(&mut self, tool: &'static str, args: &[&str]) -> Result<DataBag, ToolError> {
        let parsed = self.run_json(tool, args)?;
        match parsed.value {
            Value::Null => Ok(DataBag::new()),
            Value::Object(map) => {
                let mut bag = DataBag::new();
                for (key, value) in map {
                    match value {
                        Value::String(s) => {
                            bag.insert(key, s);
                        }
                        other => {
                            // The key is named, never the value.
                            let reason = format!(
                                "expected a mapping of strings to strings, but key {key:?} \
                                 holds {}",
                                kind(&other)
                            );
                            return Err(ToolError::bad_output(tool, args, &parsed.stdout, reason));
                        }
                    }
                }
                Ok(bag)
            }
            other => {
                let reason = format!(
                    "expected a mapping of strings to strings, got {}",
                    kind(&other)
                );
                Err(ToolError::bad_output(tool, args, &parsed.stdout, reason))
            }
        }
    }

    /// Run a tool whose output does not matter.
    fn run_quiet(
        &mut self,
        tool: &'static str,
        args: &[&str],
        secrets: &[&str],
    ) -> Result<(), ToolError> {
        self.run(tool, args, None, secrets).map(drop)
    }

    /// Run `tool` with `key=value` arguments (`leader-set`, `action-set`).
    /// Nothing is run when `data` is empty.
    fn run_settings(&mut self, tool: &'static str, data: &DataBag) -> Result<(), ToolError> {
        if data.is_empty() {
            return Ok(());
        }
        let settings: Vec<String> = data.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let args: Vec<&str> = settings.iter().map(String::as_str).collect();
        let secrets: Vec<&str> = data.values().map(String::as_str).collect();
        self.run_quiet(tool, &args, &secrets)
    }
}

/// A tool's standard output and the JSON parsed from it.
struct Parsed {
    stdout: Vec<u8>,
    value: Value,
}

fn is_executable(path: &Path) -> bool {
    let Ok(metadata) = std::fs::metadata(path) else {
        return false;
    };
    if !metadata.is_file() {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        metadata.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        true
    }
}

/// Parse a tool's output as JSON; output that is only white space counts as
/// `null`. The reason given on failure never quotes the output when `tool`
/// may print secrets: it holds only the output's length and the place of
/// the syntax error.
fn parse_json(tool: &str, stdout: &[u8]) -> Result<Value, String> {
    if stdout.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(stdout).map_err(|err| {
        // Parsing into a `Value` only fails on syntax, and serde_json's
        // syntax errors do not quote the input; still, for a tool that may
        // print secrets, say only where parsing failed.
        if super::error::is_secret_output_tool(tool) {
            let what = match err.classify() {
                serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                    err.to_string()
                }
                _ => format!("error at line {} column {}", err.line(), err.column()),
            };
            format!(
                "invalid JSON ({} bytes of output, not shown): {what}",
                stdout.len()
            )
        } else {
            format!("invalid JSON ({} bytes of output): {err}", stdout.len())
        }
    })
}

/// How to name a JSON value's kind in an error, without its content.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// A free-text argument (a log line, a status message) that starts with
/// `-` would be taken for an option: end the options first with `--`.
fn push_text<'a>(args: &mut Vec<&'a str>, text: &'a str) {
    if text.starts_with('-') {
        args.push("--");
    }
    args.push(text);
}

impl HookTools for ProcessTools {
    /// An id printed without the `<endpoint>:` prefix gets it, as
    /// charms.reactive does in case Juju ever drops it.
    fn relation_ids(&mut self, endpoint: &str) -> Result<Vec<String>, ToolError> {
        let ids = self.run_list("relation-ids", &["--format=json", endpoint])?;
        Ok(ids
            .into_iter()
            .map(|id| {
                if id.contains(':') {
                    id
                } else {
                    format!("{endpoint}:{id}")
                }
            })
            .collect())
    }

    fn relation_list(&mut self, relation_id: &str) -> Result<Vec<String>, ToolError> {
        self.run_list("relation-list", &["--format=json", "-r", relation_id])
    }

    fn relation_get(&mut self, relation_id: &str, unit: &str) -> Result<DataBag, ToolError> {
        self.run_bag(
            "relation-get",
            &["--format=json", "-r", relation_id, "-", unit],
        )
    }

    fn relation_get_key(
        &mut self,
        relation_id: &str,
        unit: &str,
        key: &str,
    ) -> Result<Option<String>, ToolError> {
        // `-` asks for every key, and a leading `-` would read as an
        // option: such keys are taken from the whole bag.
        if key.is_empty() || key.starts_with('-') {
            return Ok(self.relation_get(relation_id, unit)?.remove(key));
        }
        let args = ["--format=json", "-r", relation_id, key, unit];
        let parsed = self.run_json("relation-get", &args)?;
        match parsed.value {
            Value::Null => Ok(None),
            Value::String(value) => Ok(Some(value)),
            other => {
                let reason = format!("expected a string or null, got {}", kind(&other));
                Err(ToolError::bad_output(
                    "relation-get",
                    &args,
                    &parsed.stdout,
                    reason,
                ))
            }
        }
    }

    fn relation_get_app(&mut self, relation_id: &str, app: &str) -> Result<DataBag, ToolError> {
        self.run_bag(
            "relation-get",
            &["--format=json", "--app", "-r", relation_id, "-", app],
        )
    }

    fn relation_set(
        &mut self,
        relation_id: &str,
        app: bool,
        data: &DataBag,
    ) -> Result<(), ToolError> {
        let args: &[&str] = if app {
            &["-r", relation_id, "--app", "--file", "-"]
        } else {
            &["-r", relation_id, "--file", "-"]
        };
        // A map of strings always serializes; keys come out sorted.
        let input = serde_json::to_vec(data).map_err(|err| ToolError::Io {
            tool: "relation-set".to_string(),
            source: std::io::Error::other(err.to_string()),
        })?;
        let secrets: Vec<&str> = data.values().map(String::as_str).collect();
        self.run("relation-set", args, Some(&input), &secrets)
            .map(drop)
    }

    fn config_get(&mut self) -> Result<serde_json::Map<String, Value>, ToolError> {
        let args = ["--all", "--format=json"];
        let parsed = self.run_json("config-get", &args)?;
        match parsed.value {
            Value::Null => Ok(serde_json::Map::new()),
            Value::Object(map) => Ok(map),
            other => {
                let reason = format!("expected a mapping, got {}", kind(&other));
                Err(ToolError::bad_output(
                    "config-get",
                    &args,
                    &parsed.stdout,
                    reason,
                ))
            }
        }
    }

    fn is_leader(&mut self) -> Result<bool, ToolError> {
        let args = ["--format=json"];
        let parsed = self.run_json("is-leader", &args)?;
        match parsed.value {
            Value::Bool(leader) => Ok(leader),
            other => {
                let reason = format!("expected true or false, got {}", kind(&other));
                Err(ToolError::bad_output(
                    "is-leader",
                    &args,
                    &parsed.stdout,
                    reason,
                ))
            }
        }
    }

    fn leader_get(&mut self) -> Result<DataBag, ToolError> {
        self.run_bag("leader-get", &["--format=json"])
    }

    fn leader_set(&mut self, data: &DataBag) -> Result<(), ToolError> {
        self.run_settings("leader-set", data)
    }

    fn juju_log(&mut self, level: LogLevel, message: &str) -> Result<(), ToolError> {
        let mut args = Vec::with_capacity(4);
        args.extend(["-l", level.as_str()]);
        push_text(&mut args, message);
        self.run_quiet("juju-log", &args, &[])
    }

    fn status_set(
        &mut self,
        application: bool,
        state: WorkloadState,
        message: &str,
    ) -> Result<(), ToolError> {
        let mut args = Vec::with_capacity(4);
        if application {
            args.push("--application");
        }
        args.push(state.as_str());
        push_text(&mut args, message);
        self.run_quiet("status-set", &args, &[])
    }

    fn unit_get(&mut self, key: &str) -> Result<String, ToolError> {
        let args = ["--format=json", key];
        let parsed = self.run_json("unit-get", &args)?;
        match parsed.value {
            Value::String(value) => Ok(value),
            other => {
                let reason = format!("expected a string, got {}", kind(&other));
                Err(ToolError::bad_output(
                    "unit-get",
                    &args,
                    &parsed.stdout,
                    reason,
                ))
            }
        }
    }

    fn network_get(&mut self, binding: &str) -> Result<Value, ToolError> {
        Ok(self
            .run_json("network-get", &["--format=json", binding])?
            .value)
    }

    fn application_version_set(&mut self, version: &str) -> Result<(), ToolError> {
        let mut args = Vec::with_capacity(2);
        push_text(&mut args, version);
        self.run_quiet("application-version-set", &args, &[])
    }

    fn open_port(&mut self, port: u16, protocol: Protocol) -> Result<(), ToolError> {
        let spec = format!("{port}/{protocol}");
        self.run_quiet("open-port", &[&spec], &[])
    }

    fn close_port(&mut self, port: u16, protocol: Protocol) -> Result<(), ToolError> {
        let spec = format!("{port}/{protocol}");
        self.run_quiet("close-port", &[&spec], &[])
    }

    fn action_get(&mut self) -> Result<Value, ToolError> {
        Ok(self.run_json("action-get", &["--format=json"])?.value)
    }

    fn action_set(&mut self, data: &DataBag) -> Result<(), ToolError> {
        self.run_settings("action-set", data)
    }

    fn action_fail(&mut self, message: &str) -> Result<(), ToolError> {
        let mut args = Vec::with_capacity(2);
        push_text(&mut args, message);
        self.run_quiet("action-fail", &args, &[])
    }

    fn action_log(&mut self, message: &str) -> Result<(), ToolError> {
        self.tool_action_log(message)
    }

    fn resource_get(&mut self, name: &str) -> Result<PathBuf, ToolError> {
        self.tool_resource_get(name)
    }

    fn storage_get(&mut self, storage_id: Option<&str>) -> Result<StorageInfo, ToolError> {
        self.tool_storage_get(storage_id)
    }

    fn storage_get_key(
        &mut self,
        storage_id: Option<&str>,
        key: &str,
    ) -> Result<String, ToolError> {
        self.tool_storage_get_key(storage_id, key)
    }

    fn storage_list(&mut self, name: Option<&str>) -> Result<Vec<String>, ToolError> {
        self.tool_storage_list(name)
    }

    fn storage_add(&mut self, name: &str, count: u32) -> Result<(), ToolError> {
        self.tool_storage_add(name, count)
    }

    fn secret_add(
        &mut self,
        content: &SecretContent,
        options: &SecretOptions,
    ) -> Result<String, ToolError> {
        self.tool_secret_add(content, options)
    }

    fn secret_get(
        &mut self,
        secret: SecretRef<'_>,
        revision: SecretRevision,
    ) -> Result<SecretContent, ToolError> {
        self.tool_secret_get(secret, revision)
    }

    fn secret_set(
        &mut self,
        id: &str,
        content: Option<&SecretContent>,
        options: &SecretOptions,
    ) -> Result<(), ToolError> {
        self.tool_secret_set(id, content, options)
    }

    fn secret_grant(
        &mut self,
        id: &str,
        relation_id: &str,
        unit: Option<&str>,
    ) -> Result<(), ToolError> {
        self.tool_secret_access("secret-grant", id, relation_id, unit)
    }

    fn secret_revoke(
        &mut self,
        id: &str,
        relation_id: &str,
        unit: Option<&str>,
    ) -> Result<(), ToolError> {
        self.tool_secret_access("secret-revoke", id, relation_id, unit)
    }

    fn secret_remove(&mut self, id: &str, revision: Option<u64>) -> Result<(), ToolError> {
        self.tool_secret_remove(id, revision)
    }

    fn secret_ids(&mut self) -> Result<Vec<String>, ToolError> {
        self.tool_secret_ids()
    }

    fn secret_info_get(&mut self, secret: SecretRef<'_>) -> Result<SecretInfo, ToolError> {
        self.tool_secret_info_get(secret)
    }

    fn status_get(&mut self) -> Result<StatusInfo, ToolError> {
        self.tool_status_get()
    }

    fn application_status_get(&mut self) -> Result<ApplicationStatus, ToolError> {
        self.tool_application_status_get()
    }

    fn goal_state(&mut self) -> Result<GoalState, ToolError> {
        self.tool_goal_state()
    }

    fn opened_ports(&mut self) -> Result<Vec<OpenedPort>, ToolError> {
        self.tool_opened_ports()
    }

    fn open_port_range(&mut self, range: PortRange, endpoints: &[String]) -> Result<(), ToolError> {
        self.tool_port_range("open-port", range, endpoints)
    }

    fn close_port_range(
        &mut self,
        range: PortRange,
        endpoints: &[String],
    ) -> Result<(), ToolError> {
        self.tool_port_range("close-port", range, endpoints)
    }

    fn state_get(&mut self, key: &str) -> Result<Option<String>, ToolError> {
        self.tool_state_get(key)
    }

    fn state_get_all(&mut self) -> Result<DataBag, ToolError> {
        self.tool_state_get_all()
    }

    fn state_set(&mut self, data: &DataBag) -> Result<(), ToolError> {
        self.tool_state_set(data)
    }

    fn state_delete(&mut self, key: &str) -> Result<(), ToolError> {
        self.tool_state_delete(key)
    }

    fn credential_get(&mut self) -> Result<CloudSpec, ToolError> {
        self.tool_credential_get()
    }

    fn relation_model_get(&mut self, relation_id: &str) -> Result<RelationModel, ToolError> {
        self.tool_relation_model_get(relation_id)
    }
}
