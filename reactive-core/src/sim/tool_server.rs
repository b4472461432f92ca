//! A hook-tool server: Juju's hook tools for charms run as real processes
//! under the simulator.
//!
//! The simulator puts a directory on the charm's `PATH` whose entries
//! (`relation-get`, `config-get`, …) are links to a small client program
//! (see [`tool_client`](super::tool_client)). Each tool invocation connects
//! to this server's Unix domain socket (`$REACTIVE_SIM_SOCKET`), sends one
//! JSON request and reads one JSON response:
//!
//! ```text
//! → {"unit": "app/0", "tool": "relation-get", "args": ["--format=json", "-r", "db:0", "-", "db/0"], "stdin": ""}
//! ← {"stdout": "{\"ingress-address\":\"10.0.0.2\"}\n", "stderr": "", "code": 0}
//! ```
//!
//! The server parses each tool's command line as Juju does (the forms
//! [`ProcessTools`](crate::tools::process::ProcessTools) emits and the usual
//! variants: `--relation=ID`, `-rID`, `--format json`, options after
//! positional arguments, `--` before free text, `relation-set k=v` or
//! `--file -` with a JSON or YAML mapping), answers from the hook tools of
//! the unit whose hook is running ([`ToolServer::begin_hook`]) and prints
//! in Juju's formats: JSON for `--format=json`, YAML for `--format=yaml`,
//! Juju's "smart" format otherwise. Errors are printed as `ERROR …` on
//! standard error with exit code 1 (`relation not found` worded as Juju
//! words it); an unknown tool or bad arguments give a usage error with exit
//! code 2. The time spent serving each call is measured and kept
//! ([`ToolServer::take_served`], [`ToolServer::stats`]).

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::model::app_of;
use super::unit_tools::SharedUnitTools;
use crate::hook::HookInfo;
use crate::log::LogLevel;
use crate::tools::{DataBag, HookTools, Protocol, ToolError, WorkloadState};

/// The environment variable that holds the server's socket path.
pub const SOCKET_ENV: &str = "REACTIVE_SIM_SOCKET";

/// Every hook tool the server answers, by name.
pub const HOOK_TOOLS: &[&str] = &[
    "action-fail",
    "action-get",
    "action-set",
    "application-version-set",
    "close-port",
    "config-get",
    "is-leader",
    "juju-log",
    "leader-get",
    "leader-set",
    "network-get",
    "open-port",
    "relation-get",
    "relation-ids",
    "relation-list",
    "relation-set",
    "status-set",
    "unit-get",
];

/// Whether `name` is one of the [`HOOK_TOOLS`].
pub fn is_hook_tool(name: &str) -> bool {
    HOOK_TOOLS.contains(&name)
}

/// The largest request the server reads (bytes).
pub const MAX_REQUEST_BYTES: u64 = 64 << 20;

/// How long the server waits on a silent client before giving up on it.
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// The hook whose tools the server answers: the unit and its tools. Filled
/// for the duration of a hook by whoever runs it ([`ToolServer::begin_hook`]).
pub type ToolSlot = Arc<Mutex<Option<(String, SharedUnitTools)>>>;

/// One hook-tool invocation, as the client sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolRequest {
    /// The unit whose hook calls the tool (`$JUJU_UNIT_NAME`).
    pub unit: String,
    /// The tool, e.g. `relation-get`.
    pub tool: String,
    /// Its command-line arguments.
    #[serde(default)]
    pub args: Vec<String>,
    /// What it read on its standard input (only for the tools that read
    /// it: `relation-set --file -`).
    #[serde(default)]
    pub stdin: String,
}

/// What the tool prints and how it exits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolResponse {
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
    /// Its exit code: 0 on success, 1 on an error, 2 on a usage error.
    pub code: i32,
}

impl ToolResponse {
    /// Success, printing `stdout`.
    pub fn ok(stdout: impl Into<String>) -> Self {
        ToolResponse {
            stdout: stdout.into(),
            stderr: String::new(),
            code: 0,
        }
    }

    /// Failure (exit code 1), printing `ERROR <message>` on standard error.
    pub fn error(message: impl fmt::Display) -> Self {
        ToolResponse {
            stdout: String::new(),
            stderr: format!("ERROR {message}\n"),
            code: 1,
        }
    }

    /// A usage error (exit code 2), printing `ERROR <message>` on standard
    /// error.
    pub fn usage(message: impl fmt::Display) -> Self {
        ToolResponse {
            code: 2,
            ..ToolResponse::error(message)
        }
    }

    /// The response for a failed tool call: its standard error as the
    /// simulated tool words it (`ERROR …`), exit code 1.
    pub fn from_tool_error(error: &ToolError) -> Self {
        let stderr = match error.stderr() {
            Some(stderr) if !stderr.is_empty() => stderr.to_string(),
            _ => format!("ERROR {error}"),
        };
        ToolResponse {
            stdout: String::new(),
            stderr: format!("{}\n", stderr.trim_end()),
            code: 1,
        }
    }
}

/// One call the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedCall {
    /// The unit that asked.
    pub unit: String,
    /// The tool.
    pub tool: String,
    /// Its arguments, values of `key=value` arguments redacted.
    pub args: Vec<String>,
    /// The exit code answered.
    pub code: i32,
    /// The time from the request read to the response ready to be sent.
    pub serve_time: Duration,
}

/// Totals over every call a server has answered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServeStats {
    /// Calls answered.
    pub calls: u64,
    /// Their total serve time.
    pub total: Duration,
    /// Per tool: calls and total serve time.
    pub per_tool: BTreeMap<String, (u64, Duration)>,
}

#[derive(Debug, Default)]
struct ServedLog {
    recent: Vec<ServedCall>,
    stats: ServeStats,
}

/// The state shared by the server object and its accepting thread.
#[derive(Debug, Default)]
struct Shared {
    slot: ToolSlot,
    /// The running hook's context, for Juju's defaults (`-r` defaults to
    /// `$JUJU_RELATION_ID`, the unit to `$JUJU_REMOTE_UNIT`, …).
    hook: Mutex<Option<HookInfo>>,
    served: Mutex<ServedLog>,
    stop: AtomicBool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// A hook-tool server on a Unix domain socket, with one thread accepting
/// and answering connections. Dropping it stops the thread and removes the
/// socket.
pub struct ToolServer {
    socket: PathBuf,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for ToolServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToolServer")
            .field("socket", &self.socket)
            .field("serving", &self.serving())
            .finish()
    }
}

impl ToolServer {
    /// Listen on `socket` (a stale socket file there is replaced) and start
    /// answering.
    ///
    /// # Errors
    ///
    /// When the socket cannot be bound (e.g. its path is longer than a Unix
    /// socket address allows, about 100 bytes) or the thread cannot start.
    pub fn start(socket: &Path) -> io::Result<ToolServer> {
        if let Ok(meta) = std::fs::symlink_metadata(socket) {
            use std::os::unix::fs::FileTypeExt;
            if meta.file_type().is_socket() {
                std::fs::remove_file(socket)?;
            }
        }
        let listener = UnixListener::bind(socket)?;
        let shared = Arc::new(Shared::default());
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("reactive-sim-tool-server".into())
            .spawn(move || accept_loop(&listener, &thread_shared))?;
        Ok(ToolServer {
            socket: socket.to_path_buf(),
            shared,
            thread: Some(thread),
        })
    }

    /// The socket's path (what `$REACTIVE_SIM_SOCKET` must hold).
    pub fn socket_path(&self) -> &Path {
        &self.socket
    }

    /// The slot naming the unit whose tools are served.
    pub fn slot(&self) -> ToolSlot {
        self.shared.slot.clone()
    }

    /// Serve `unit`'s `tools` until [`end_hook`](Self::end_hook); `hook`
    /// gives the defaults Juju takes from the hook's context (relation id,
    /// remote unit and application, endpoint).
    pub fn begin_hook(&self, unit: &str, tools: SharedUnitTools, hook: Option<HookInfo>) {
        *lock(&self.shared.hook) = hook;
        *lock(&self.shared.slot) = Some((unit.to_string(), tools));
    }

    /// Stop serving the current hook: calls are answered with an error until
    /// the next [`begin_hook`](Self::begin_hook).
    pub fn end_hook(&self) {
        *lock(&self.shared.slot) = None;
        *lock(&self.shared.hook) = None;
    }

    /// The unit whose hook is being served, if any.
    pub fn serving(&self) -> Option<String> {
        lock(&self.shared.slot)
            .as_ref()
            .map(|(unit, _)| unit.clone())
    }

    /// The calls answered since the last call of this method.
    pub fn take_served(&self) -> Vec<ServedCall> {
        std::mem::take(&mut lock(&self.shared.served).recent)
    }

    /// Totals over every call answered since the server started.
    pub fn stats(&self) -> ServeStats {
        lock(&self.shared.served).stats.clone()
    }

    /// Answer one request directly, without the socket (what a connection
    /// gets), recording it like a served call.
    pub fn handle(&self, request: &ToolRequest) -> ToolResponse {
        let started = Instant::now();
        let response = answer(&self.shared, request);
        record(&self.shared, request, &response, started.elapsed());
        response
    }
}

impl Drop for ToolServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accepting thread; it sees the stop flag and returns.
        let woke = UnixStream::connect(&self.socket).is_ok();
        if let Some(thread) = self.thread.take() {
            if woke {
                let _ = thread.join();
            }
        }
        let _ = std::fs::remove_file(&self.socket);
    }
}

fn accept_loop(listener: &UnixListener, shared: &Shared) {
    loop {
        let accepted = listener.accept();
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        match accepted {
            Ok((stream, _)) => serve_connection(stream, shared),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // E.g. out of file descriptors: wait a little rather than spin.
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

fn serve_connection(mut stream: UnixStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    let mut bytes = Vec::new();
    let read = (&mut stream)
        .take(MAX_REQUEST_BYTES + 1)
        .read_to_end(&mut bytes);
    let started = Instant::now();
    let (request, response) = match read {
        Err(e) => (
            None,
            ToolResponse::error(format!("cannot read the request: {e}")),
        ),
        Ok(_) if bytes.len() as u64 > MAX_REQUEST_BYTES => (
            None,
            ToolResponse::error(format!(
                "request too large (more than {MAX_REQUEST_BYTES} bytes)"
            )),
        ),
        Ok(_) => match serde_json::from_slice::<ToolRequest>(&bytes) {
            Ok(request) => {
                let response = answer(shared, &request);
                (Some(request), response)
            }
            Err(e) => (None, ToolResponse::usage(format!("bad request: {e}"))),
        },
    };
    // A response always serializes (strings and an integer).
    let encoded = serde_json::to_vec(&response).unwrap_or_default();
    // Recorded before the client gets its answer, so that once a hook's
    // process has exited every call it made is on record.
    if let Some(request) = request {
        record(shared, &request, &response, started.elapsed());
    }
    let _ = stream.write_all(&encoded);
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

fn record(shared: &Shared, request: &ToolRequest, response: &ToolResponse, serve_time: Duration) {
    let mut served = lock(&shared.served);
    served.stats.calls += 1;
    served.stats.total += serve_time;
    let entry = served
        .stats
        .per_tool
        .entry(request.tool.clone())
        .or_default();
    entry.0 += 1;
    entry.1 += serve_time;
    served.recent.push(ServedCall {
        unit: request.unit.clone(),
        tool: request.tool.clone(),
        args: crate::tools::error::redact_args(&request.args),
        code: response.code,
        serve_time,
    });
}

/// Answer a request from the slot's tools.
fn answer(shared: &Shared, request: &ToolRequest) -> ToolResponse {
    if !is_hook_tool(&request.tool) {
        return ToolResponse::usage(format!(
            "unknown hook tool {:?}; the simulator serves {}",
            request.tool,
            HOOK_TOOLS.join(", ")
        ));
    }
    let call = match parse(&request.tool, &request.args) {
        Ok(call) => call,
        Err(Parse::Help(text)) => return ToolResponse::ok(text),
        Err(Parse::Usage(message)) => return ToolResponse::usage(message),
    };
    let tools = {
        let slot = lock(&shared.slot);
        match &*slot {
            Some((unit, tools)) if *unit == request.unit => tools.clone(),
            Some(_) | None if request.unit.is_empty() => {
                return ToolResponse::error("JUJU_UNIT_NAME is not set: no hook context")
            }
            Some((unit, _)) => {
                return ToolResponse::error(format!(
                    "no hook of unit {:?} is running (the simulator runs a hook of {unit:?})",
                    request.unit
                ))
            }
            None => {
                return ToolResponse::error(format!(
                    "no hook of unit {:?} is running in the simulator",
                    request.unit
                ))
            }
        }
    };
    let hook = lock(&shared.hook).clone().unwrap_or_default();
    let mut tools = tools;
    execute(&mut tools, &hook, call, &request.stdin)
}

// ---- parsing -----------------------------------------------------------------

/// Why a command line was not run.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Parse {
    /// `--help`: print this and exit 0.
    Help(String),
    /// Bad arguments.
    Usage(String),
}

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Smart,
    Json,
    Yaml,
}

/// A `--network-get` selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NetSelect {
    Primary,
    Bind,
    Ingress,
    Egress,
}

/// A parsed tool invocation.
#[derive(Debug, Clone, PartialEq)]
enum Call {
    RelationGet {
        relation_id: Option<String>,
        app: bool,
        key: Option<String>,
        target: Option<String>,
        format: Format,
    },
    RelationSet {
        relation_id: Option<String>,
        app: bool,
        file: bool,
        settings: Vec<(String, String)>,
    },
    RelationIds {
        endpoint: Option<String>,
        format: Format,
    },
    RelationList {
        relation_id: Option<String>,
        format: Format,
    },
    ConfigGet {
        key: Option<String>,
        all: bool,
        format: Format,
    },
    IsLeader {
        format: Format,
    },
    LeaderGet {
        key: Option<String>,
        format: Format,
    },
    LeaderSet {
        settings: Vec<(String, String)>,
    },
    JujuLog {
        level: LogLevel,
        message: String,
    },
    StatusSet {
        application: bool,
        state: WorkloadState,
        message: String,
    },
    UnitGet {
        key: String,
        format: Format,
    },
    NetworkGet {
        binding: Option<String>,
        relation_id: Option<String>,
        select: Option<NetSelect>,
        format: Format,
    },
    ApplicationVersionSet {
        version: String,
    },
    Port {
        open: bool,
        port: u16,
        protocol: Protocol,
    },
    ActionGet {
        key: Option<String>,
        format: Format,
    },
    ActionSet {
        settings: Vec<(String, String)>,
    },
    ActionFail {
        message: String,
    },
}

/// One option a tool takes.
struct Opt {
    /// Its names without dashes: one letter for `-x`, longer for `--xyz`.
    names: &'static [&'static str],
    /// Whether it takes a value.
    value: bool,
}

const FORMAT: Opt = Opt {
    names: &["format"],
    value: true,
};
const OUTPUT: Opt = Opt {
    names: &["o", "output"],
    value: true,
};
const RELATION: Opt = Opt {
    names: &["r", "relation"],
    value: true,
};
const APP: Opt = Opt {
    names: &["app"],
    value: false,
};

/// A command line split into options and positional arguments.
#[derive(Debug, Default)]
struct Args {
    /// Option (first name) to its value (`"true"` for flags).
    options: BTreeMap<&'static str, String>,
    positional: Vec<String>,
}

impl Args {
    fn value(&self, name: &str) -> Option<String> {
        self.options.get(name).cloned()
    }

    fn flag(&self, name: &str) -> bool {
        self.options.get(name).is_some_and(|v| v == "true")
    }

    fn format(&self) -> Result<Format, Parse> {
        match self.options.get("format").map(String::as_str) {
            None | Some("smart") => Ok(Format::Smart),
            Some("json") => Ok(Format::Json),
            Some("yaml") => Ok(Format::Yaml),
            Some(other) => Err(Parse::Usage(format!(
                "invalid value {other:?} for option --format: unknown format {other:?}"
            ))),
        }
    }

    /// At most `max` positional arguments.
    fn at_most(&self, max: usize) -> Result<(), Parse> {
        if self.positional.len() > max {
            Err(unrecognized(&self.positional[max..]))
        } else {
            Ok(())
        }
    }

    fn output_unsupported(&self) -> Result<(), Parse> {
        if self.options.contains_key("o") {
            Err(Parse::Usage(
                "--output is not supported by the simulator's hook tools".into(),
            ))
        } else {
            Ok(())
        }
    }
}

fn unrecognized(args: &[String]) -> Parse {
    Parse::Usage(format!("unrecognized args: {args:?}"))
}

/// Split `args` as Juju's option parser does: options may come before,
/// between or after positional arguments; `--` ends the options; `-` alone
/// is positional; `-x VALUE`, `-xVALUE`, `-x=VALUE`, `--name VALUE` and
/// `--name=VALUE` all give a value; `--help` and `-h` ask for help.
fn split_args(tool: &str, opts: &[Opt], args: &[String]) -> Result<Args, Parse> {
    let mut parsed = Args::default();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg == "--" {
            parsed.positional.extend(iter.by_ref().cloned());
            break;
        }
        if arg == "-" || !arg.starts_with('-') {
            parsed.positional.push(arg.clone());
            continue;
        }
        let (long, body) = match arg.strip_prefix("--") {
            Some(body) => (true, body),
            None => (false, &arg[1..]),
        };
        let (name, inline): (&str, Option<String>) = match body.split_once('=') {
            Some((name, value)) => (name, Some(value.to_string())),
            None => (body, None),
        };
        // A short option's value may be glued on: `-rdb:1`.
        let (name, inline) = if !long && inline.is_none() && name.chars().count() > 1 {
            let mut chars = name.chars();
            let first = chars.next().map(|c| c.len_utf8()).unwrap_or(0);
            (&name[..first], Some(name[first..].to_string()))
        } else {
            (name, inline)
        };
        if name == "help" || name == "h" {
            return Err(Parse::Help(help(tool)));
        }
        let is_short = name.chars().count() == 1;
        let opt = opts
            .iter()
            .find(|o| o.names.contains(&name) && (is_short != long || !is_short));
        let Some(opt) = opt else {
            let dashes = if long { "--" } else { "-" };
            return Err(Parse::Usage(format!(
                "option provided but not defined: {dashes}{name}"
            )));
        };
        let key = opt.names[0];
        if opt.value {
            let value = match inline {
                Some(value) => value,
                None => iter
                    .next()
                    .cloned()
                    .ok_or_else(|| Parse::Usage(format!("option needs an argument: {arg}")))?,
            };
            parsed.options.insert(key, value);
        } else {
            let value = match inline.as_deref() {
                None | Some("true") | Some("1") => "true",
                Some("false") | Some("0") => "false",
                Some(other) => {
                    return Err(Parse::Usage(format!(
                        "invalid boolean value {other:?} for option {arg}"
                    )))
                }
            };
            parsed.options.insert(key, value.to_string());
        }
    }
    Ok(parsed)
}

fn help(tool: &str) -> String {
    let usage = match tool {
        "relation-get" => "relation-get [options] <key> <unit id>",
        "relation-set" => "relation-set [options] key=value [key=value ...]",
        "relation-ids" => "relation-ids [options] <name>",
        "relation-list" => "relation-list [options]",
        "config-get" => "config-get [options] [<key>]",
        "is-leader" => "is-leader [options]",
        "leader-get" => "leader-get [options] [<key>]",
        "leader-set" => "leader-set <key>=<value> [...]",
        "juju-log" => "juju-log [options] <message>",
        "status-set" => "status-set [options] <maintenance | blocked | waiting | active> [message]",
        "unit-get" => "unit-get [options] <setting>",
        "network-get" => "network-get [options] <binding-name>",
        "application-version-set" => "application-version-set <new-version>",
        "open-port" => "open-port <port>[/<protocol>]",
        "close-port" => "close-port <port>[/<protocol>]",
        "action-get" => "action-get [options] [<key>[.<key>.<key>...]]",
        "action-set" => "action-set <key>=<value> [<key>=<value> ...]",
        "action-fail" => "action-fail [\"<failure message>\"]",
        _ => "",
    };
    format!("Usage: {usage}\n\n(served by the reactive-rs simulator)\n")
}

/// `key=value` arguments.
fn settings(args: &[String]) -> Result<Vec<(String, String)>, Parse> {
    args.iter()
        .map(|arg| match arg.split_once('=') {
            Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
            _ => Err(Parse::Usage(format!("expected \"key=value\", got {arg:?}"))),
        })
        .collect()
}

/// An optional key argument; `-` means "every key".
fn key_arg(arg: Option<&String>) -> Option<String> {
    arg.filter(|k| k.as_str() != "-" && !k.is_empty()).cloned()
}

fn parse_level(text: &str) -> Result<LogLevel, Parse> {
    match text.to_ascii_uppercase().as_str() {
        "TRACE" | "DEBUG" => Ok(LogLevel::Debug),
        "INFO" => Ok(LogLevel::Info),
        "WARNING" | "WARN" => Ok(LogLevel::Warning),
        "ERROR" | "CRITICAL" => Ok(LogLevel::Error),
        _ => Err(Parse::Usage(format!(
            "invalid log level {text:?}; expected TRACE, DEBUG, INFO, WARNING, ERROR or CRITICAL"
        ))),
    }
}

fn parse_port(spec: &str) -> Result<(u16, Protocol), Parse> {
    let (port, protocol) = match spec.split_once('/') {
        Some((port, protocol)) => (port, protocol.to_ascii_lowercase()),
        None => (spec, "tcp".to_string()),
    };
    let protocol = match protocol.as_str() {
        "tcp" => Protocol::Tcp,
        "udp" => Protocol::Udp,
        other => {
            return Err(Parse::Usage(format!(
                "invalid protocol {other:?} in {spec:?}: the simulator supports tcp and udp"
            )))
        }
    };
    match port.parse::<u16>() {
        Ok(n) if n > 0 => Ok((n, protocol)),
        _ => Err(Parse::Usage(format!(
            "invalid port {port:?} in {spec:?}: expected a number from 1 to 65535 (ranges are not supported by the simulator)"
        ))),
    }
}

/// Parse one tool's command line.
fn parse(tool: &str, args: &[String]) -> Result<Call, Parse> {
    match tool {
        "relation-get" => {
            let a = split_args(tool, &[FORMAT, OUTPUT, RELATION, APP], args)?;
            a.output_unsupported()?;
            a.at_most(2)?;
            Ok(Call::RelationGet {
                relation_id: a.value("r"),
                app: a.flag("app"),
                key: key_arg(a.positional.first()),
                target: a.positional.get(1).cloned(),
                format: a.format()?,
            })
        }
        "relation-set" => {
            let file = Opt {
                names: &["file"],
                value: true,
            };
            let a = split_args(tool, &[FORMAT, RELATION, APP, file], args)?;
            Ok(Call::RelationSet {
                relation_id: a.value("r"),
                app: a.flag("app"),
                file: a.options.contains_key("file"),
                settings: settings(&a.positional)?,
            })
        }
        "relation-ids" => {
            let a = split_args(tool, &[FORMAT, OUTPUT], args)?;
            a.output_unsupported()?;
            a.at_most(1)?;
            Ok(Call::RelationIds {
                endpoint: a.positional.first().cloned(),
                format: a.format()?,
            })
        }
        "relation-list" => {
            let a = split_args(tool, &[FORMAT, OUTPUT, RELATION], args)?;
            a.output_unsupported()?;
            a.at_most(0)?;
            Ok(Call::RelationList {
                relation_id: a.value("r"),
                format: a.format()?,
            })
        }
        "config-get" => {
            let all = Opt {
                names: &["all", "a"],
                value: false,
            };
            let a = split_args(tool, &[FORMAT, OUTPUT, all], args)?;
            a.output_unsupported()?;
            a.at_most(1)?;
            let key = a.positional.first().cloned();
            if key.is_some() && a.flag("all") {
                return Err(Parse::Usage(
                    "cannot use argument --all together with key".into(),
                ));
            }
            Ok(Call::ConfigGet {
                key,
                all: a.flag("all"),
                format: a.format()?,
            })
        }
        "is-leader" => {
            let a = split_args(tool, &[FORMAT, OUTPUT], args)?;
            a.output_unsupported()?;
            a.at_most(0)?;
            Ok(Call::IsLeader {
                format: a.format()?,
            })
        }
        "leader-get" => {
            let a = split_args(tool, &[FORMAT, OUTPUT], args)?;
            a.output_unsupported()?;
            a.at_most(1)?;
            Ok(Call::LeaderGet {
                key: key_arg(a.positional.first()),
                format: a.format()?,
            })
        }
        "leader-set" => {
            let a = split_args(tool, &[], args)?;
            Ok(Call::LeaderSet {
                settings: settings(&a.positional)?,
            })
        }
        "juju-log" => {
            let level = Opt {
                names: &["l", "log-level"],
                value: true,
            };
            let debug = Opt {
                names: &["debug"],
                value: false,
            };
            let a = split_args(tool, &[level, debug, FORMAT], args)?;
            if a.positional.is_empty() {
                return Err(Parse::Usage("no message specified".into()));
            }
            let level = match a.value("l") {
                Some(text) => parse_level(&text)?,
                None if a.flag("debug") => LogLevel::Debug,
                None => LogLevel::Info,
            };
            Ok(Call::JujuLog {
                level,
                message: a.positional.join(" "),
            })
        }
        "status-set" => {
            let application = Opt {
                names: &["application"],
                value: false,
            };
            let a = split_args(tool, &[application], args)?;
            let Some(state) = a.positional.first() else {
                return Err(Parse::Usage(
                    "invalid args, require <status> [message]".into(),
                ));
            };
            a.at_most(2)?;
            let state = state.parse::<WorkloadState>().map_err(|_| {
                Parse::Usage(format!(
                    "invalid status {state:?}, expected one of [maintenance blocked waiting active]"
                ))
            })?;
            Ok(Call::StatusSet {
                application: a.flag("application"),
                state,
                message: a.positional.get(1).cloned().unwrap_or_default(),
            })
        }
        "unit-get" => {
            let a = split_args(tool, &[FORMAT, OUTPUT], args)?;
            a.output_unsupported()?;
            let Some(key) = a.positional.first() else {
                return Err(Parse::Usage("no setting specified".into()));
            };
            a.at_most(1)?;
            if key != "private-address" && key != "public-address" {
                return Err(Parse::Usage(format!("unknown setting {key:?}")));
            }
            Ok(Call::UnitGet {
                key: key.clone(),
                format: a.format()?,
            })
        }
        "network-get" => {
            const SELECTORS: [(&str, NetSelect); 4] = [
                ("primary-address", NetSelect::Primary),
                ("bind-address", NetSelect::Bind),
                ("ingress-address", NetSelect::Ingress),
                ("egress-subnets", NetSelect::Egress),
            ];
            let opts = [
                FORMAT,
                OUTPUT,
                RELATION,
                Opt {
                    names: &["primary-address"],
                    value: false,
                },
                Opt {
                    names: &["bind-address"],
                    value: false,
                },
                Opt {
                    names: &["ingress-address"],
                    value: false,
                },
                Opt {
                    names: &["egress-subnets"],
                    value: false,
                },
            ];
            let a = split_args(tool, &opts, args)?;
            a.output_unsupported()?;
            a.at_most(1)?;
            let chosen: Vec<NetSelect> = SELECTORS
                .iter()
                .filter(|(name, _)| a.flag(name))
                .map(|(_, s)| *s)
                .collect();
            if chosen.len() > 1 {
                return Err(Parse::Usage(
                    "only one of --primary-address, --bind-address, --ingress-address and --egress-subnets may be given"
                        .into(),
                ));
            }
            let binding = a.positional.first().cloned();
            let relation_id = a.value("r");
            if binding.is_none() && relation_id.is_none() {
                return Err(Parse::Usage("no arguments specified".into()));
            }
            Ok(Call::NetworkGet {
                binding,
                relation_id,
                select: chosen.first().copied(),
                format: a.format()?,
            })
        }
        "application-version-set" => {
            let a = split_args(tool, &[], args)?;
            let Some(version) = a.positional.first() else {
                return Err(Parse::Usage("no version specified".into()));
            };
            a.at_most(1)?;
            Ok(Call::ApplicationVersionSet {
                version: version.clone(),
            })
        }
        "open-port" | "close-port" => {
            let endpoints = Opt {
                names: &["endpoints"],
                value: true,
            };
            let a = split_args(tool, &[FORMAT, endpoints], args)?;
            let Some(spec) = a.positional.first() else {
                return Err(Parse::Usage("no port or range specified".into()));
            };
            a.at_most(1)?;
            let (port, protocol) = parse_port(spec)?;
            Ok(Call::Port {
                open: tool == "open-port",
                port,
                protocol,
            })
        }
        "action-get" => {
            let a = split_args(tool, &[FORMAT, OUTPUT], args)?;
            a.output_unsupported()?;
            a.at_most(1)?;
            Ok(Call::ActionGet {
                key: key_arg(a.positional.first()),
                format: a.format()?,
            })
        }
        "action-set" => {
            let a = split_args(tool, &[], args)?;
            Ok(Call::ActionSet {
                settings: settings(&a.positional)?,
            })
        }
        "action-fail" => {
            let a = split_args(tool, &[], args)?;
            a.at_most(1)?;
            Ok(Call::ActionFail {
                message: a.positional.first().cloned().unwrap_or_else(|| {
                    "action failed without reason given, check action for errors".into()
                }),
            })
        }
        other => Err(Parse::Usage(format!("unknown hook tool {other:?}"))),
    }
}

// ---- answering -----------------------------------------------------------------

/// Print `value` in `format`, with the trailing newline Juju prints.
fn render(format: Format, value: &Value) -> String {
    match format {
        Format::Json => format!("{value}\n"),
        Format::Yaml => yaml(value),
        Format::Smart => match value {
            Value::Null => String::new(),
            Value::String(s) => format!("{s}\n"),
            Value::Bool(true) => "True\n".into(),
            Value::Bool(false) => "False\n".into(),
            Value::Number(n) => format!("{n}\n"),
            Value::Array(items) if items.iter().all(Value::is_string) => items
                .iter()
                .filter_map(Value::as_str)
                .map(|s| format!("{s}\n"))
                .collect(),
            other => yaml(other),
        },
    }
}

fn yaml(value: &Value) -> String {
    match serde_norway::to_string(value) {
        Ok(text) if text.ends_with('\n') => text,
        Ok(text) => format!("{text}\n"),
        // A JSON value always has a YAML form; fall back to JSON (valid
        // YAML) should the emitter refuse.
        Err(_) => format!("{value}\n"),
    }
}

fn bag_value(bag: &DataBag) -> Value {
    Value::Object(
        bag.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// The value of `key` in `bag` (`null` when absent), or the whole bag.
fn select_key(bag: &DataBag, key: Option<&str>) -> Value {
    match key {
        Some(key) => bag
            .get(key)
            .map(|v| Value::String(v.clone()))
            .unwrap_or(Value::Null),
        None => bag_value(bag),
    }
}

fn to_bag(settings: Vec<(String, String)>) -> DataBag {
    settings.into_iter().collect()
}

/// The mapping `relation-set --file` reads: JSON or YAML, string (or
/// scalar) values; an empty or null value deletes a key.
fn parse_settings_file(text: &str) -> Result<DataBag, String> {
    if text.trim().is_empty() {
        return Ok(DataBag::new());
    }
    let doc: serde_norway::Value =
        serde_norway::from_str(text).map_err(|e| format!("cannot parse settings: {e}"))?;
    let mapping = match doc {
        serde_norway::Value::Null => return Ok(DataBag::new()),
        serde_norway::Value::Mapping(mapping) => mapping,
        _ => return Err("cannot parse settings: expected a mapping of keys to values".into()),
    };
    let scalar = |v: &serde_norway::Value| -> Option<String> {
        match v {
            serde_norway::Value::Null => Some(String::new()),
            serde_norway::Value::String(s) => Some(s.clone()),
            serde_norway::Value::Bool(b) => Some(b.to_string()),
            serde_norway::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let mut bag = DataBag::new();
    for (key, value) in &mapping {
        let Some(key) = scalar(key).filter(|k| !k.is_empty()) else {
            return Err("cannot parse settings: keys must be non-empty strings".into());
        };
        let Some(value) = scalar(value) else {
            return Err(format!(
                "cannot parse settings: the value of {key:?} is not a string"
            ));
        };
        bag.insert(key, value);
    }
    Ok(bag)
}

/// Navigate `value` by a dotted key (`action-get a.b.c`).
fn dotted(value: &Value, key: &str) -> Value {
    let mut current = value;
    for part in key.split('.') {
        match current.get(part) {
            Some(next) => current = next,
            None => return Value::Null,
        }
    }
    current.clone()
}

fn no_relation_id() -> ToolResponse {
    ToolResponse::usage("no relation id specified")
}

/// Run a parsed call against `tools`.
fn execute(tools: &mut SharedUnitTools, hook: &HookInfo, call: Call, stdin: &str) -> ToolResponse {
    let done = |result: Result<String, ToolError>| match result {
        Ok(stdout) => ToolResponse::ok(stdout),
        Err(e) => ToolResponse::from_tool_error(&e),
    };
    match call {
        Call::RelationGet {
            relation_id,
            app,
            key,
            target,
            format,
        } => {
            let Some(rid) = relation_id.or_else(|| hook.relation_id.clone()) else {
                return no_relation_id();
            };
            let target = if app {
                target
                    .map(|t| app_of(&t).to_string())
                    .or_else(|| hook.remote_app.clone())
            } else {
                target.or_else(|| hook.remote_unit.clone())
            };
            let Some(target) = target else {
                let what = if app { "application" } else { "unit" };
                return ToolResponse::usage(format!("no {what} id specified"));
            };
            let bag = if app {
                tools.relation_get_app(&rid, &target)
            } else {
                tools.relation_get(&rid, &target)
            };
            done(bag.map(|bag| render(format, &select_key(&bag, key.as_deref()))))
        }
        Call::RelationSet {
            relation_id,
            app,
            file,
            settings,
        } => {
            let Some(rid) = relation_id.or_else(|| hook.relation_id.clone()) else {
                return no_relation_id();
            };
            let mut data = if file {
                match parse_settings_file(stdin) {
                    Ok(bag) => bag,
                    Err(message) => return ToolResponse::error(message),
                }
            } else {
                DataBag::new()
            };
            data.extend(settings);
            done(tools.relation_set(&rid, app, &data).map(|()| String::new()))
        }
        Call::RelationIds { endpoint, format } => {
            let Some(endpoint) = endpoint.or_else(|| hook.relation.clone()) else {
                return ToolResponse::usage("no endpoint name specified");
            };
            done(tools.relation_ids(&endpoint).map(|ids| {
                render(
                    format,
                    &Value::Array(ids.into_iter().map(Value::String).collect()),
                )
            }))
        }
        Call::RelationList {
            relation_id,
            format,
        } => {
            let Some(rid) = relation_id.or_else(|| hook.relation_id.clone()) else {
                return no_relation_id();
            };
            done(tools.relation_list(&rid).map(|units| {
                render(
                    format,
                    &Value::Array(units.into_iter().map(Value::String).collect()),
                )
            }))
        }
        Call::ConfigGet { key, all, format } => done(tools.config_get().map(|config| {
            let value = match key {
                Some(key) => config.get(&key).cloned().unwrap_or(Value::Null),
                None if all => Value::Object(config),
                None => Value::Object(
                    config
                        .into_iter()
                        .filter(|(_, v)| !v.is_null())
                        .collect::<Map<_, _>>(),
                ),
            };
            render(format, &value)
        })),
        Call::IsLeader { format } => {
            done(tools.is_leader().map(|l| render(format, &Value::Bool(l))))
        }
        Call::LeaderGet { key, format } => done(
            tools
                .leader_get()
                .map(|bag| render(format, &select_key(&bag, key.as_deref()))),
        ),
        Call::LeaderSet { settings } => {
            done(tools.leader_set(&to_bag(settings)).map(|()| String::new()))
        }
        Call::JujuLog { level, message } => {
            done(tools.juju_log(level, &message).map(|()| String::new()))
        }
        Call::StatusSet {
            application,
            state,
            message,
        } => done(
            tools
                .status_set(application, state, &message)
                .map(|()| String::new()),
        ),
        Call::UnitGet { key, format } => done(
            tools
                .unit_get(&key)
                .map(|v| render(format, &Value::String(v))),
        ),
        Call::NetworkGet {
            binding,
            relation_id,
            select,
            format,
        } => {
            // With only `-r`, the binding is the relation's endpoint.
            let binding = binding.or_else(|| {
                relation_id
                    .as_deref()
                    .and_then(|rid| rid.rsplit_once(':'))
                    .map(|(endpoint, _)| endpoint.to_string())
            });
            let Some(binding) = binding else {
                return ToolResponse::usage("no binding name specified");
            };
            done(tools.network_get(&binding).map(|info| {
                let value = match select {
                    None => info,
                    Some(NetSelect::Ingress) => info
                        .pointer("/ingress-addresses/0")
                        .cloned()
                        .unwrap_or(Value::Null),
                    Some(NetSelect::Egress) => info
                        .get("egress-subnets")
                        .and_then(Value::as_array)
                        .map(|subnets| {
                            let joined: Vec<&str> =
                                subnets.iter().filter_map(Value::as_str).collect();
                            Value::String(joined.join(","))
                        })
                        .unwrap_or(Value::Null),
                    Some(NetSelect::Primary | NetSelect::Bind) => info
                        .pointer("/bind-addresses/0/addresses/0/value")
                        .cloned()
                        .unwrap_or(Value::Null),
                };
                render(format, &value)
            }))
        }
        Call::ApplicationVersionSet { version } => done(
            tools
                .application_version_set(&version)
                .map(|()| String::new()),
        ),
        Call::Port {
            open,
            port,
            protocol,
        } => {
            let result = if open {
                tools.open_port(port, protocol)
            } else {
                tools.close_port(port, protocol)
            };
            done(result.map(|()| String::new()))
        }
        Call::ActionGet { key, format } => done(tools.action_get().map(|params| {
            let value = match key {
                Some(key) => dotted(&params, &key),
                None => params,
            };
            render(format, &value)
        })),
        Call::ActionSet { settings } => {
            done(tools.action_set(&to_bag(settings)).map(|()| String::new()))
        }
        Call::ActionFail { message } => done(tools.action_fail(&message).map(|()| String::new())),
    }
}

/// Where a tool invoked with `args` reads settings from besides its
/// arguments: `relation-set --file FILE` (`-` is standard input); `None`
/// for every other invocation.
pub fn reads_stdin(tool: &str, args: &[String]) -> Option<FileArg> {
    if tool != "relation-set" {
        return None;
    }
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg == "--" {
            return None;
        }
        if let Some(value) = arg.strip_prefix("--file=") {
            return Some(FileArg::from(value));
        }
        if arg == "--file" {
            return iter.next().map(|v| FileArg::from(v.as_str()));
        }
    }
    None
}

/// Where `relation-set --file` reads its settings from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileArg {
    /// `--file -`: standard input.
    Stdin,
    /// `--file PATH`: a file, read by the client and sent as `stdin`.
    Path(PathBuf),
}

impl From<&str> for FileArg {
    fn from(value: &str) -> Self {
        if value == "-" {
            FileArg::Stdin
        } else {
            FileArg::Path(PathBuf::from(value))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::model::ModelState;
    use crate::sim::unit_tools::UnitTools;
    use serde_json::json;

    /// A model with `app/0` (leader) and `app/1`, `pg/0`, and relation 0
    /// between `app:db` and `pg:db` where `app/0` sees `pg/0`.
    fn model() -> Arc<Mutex<ModelState>> {
        let mut m = ModelState::default();
        m.add_app(
            "app",
            BTreeMap::from([("db".to_string(), "pgsql".to_string())]),
            json!({"port": 80, "name": "x", "unset": null})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        m.add_app("pg", BTreeMap::new(), Map::new());
        for unit in ["app/0", "app/1", "pg/0"] {
            m.add_unit(unit, None);
        }
        m.apps.get_mut("app").unwrap().leader = Some("app/0".into());
        let id = m.add_relation(&[("app", "db"), ("pg", "db")]);
        for unit in ["app/0", "app/1", "pg/0"] {
            m.enter_relation(id, unit);
        }
        let r = m.relations.get_mut(&id).unwrap();
        r.members.get_mut("app/0").unwrap().insert("pg/0".into());
        r.unit_data
            .get_mut("pg/0")
            .unwrap()
            .insert("host".into(), "db.example".into());
        r.app_data
            .get_mut("pg")
            .unwrap()
            .insert("version".into(), "16".into());
        Arc::new(Mutex::new(m))
    }

    struct Fixture {
        shared: Shared,
        tools: SharedUnitTools,
    }

    fn fixture_with(unit: &str, hook: Option<HookInfo>) -> Fixture {
        let shared = Shared::default();
        let tools: SharedUnitTools = Arc::new(Mutex::new(UnitTools::new(model(), unit)));
        *lock(&shared.slot) = Some((unit.to_string(), tools.clone()));
        *lock(&shared.hook) = hook;
        Fixture { shared, tools }
    }

    fn fixture() -> Fixture {
        fixture_with("app/0", None)
    }

    impl Fixture {
        fn call_as(&self, unit: &str, tool: &str, args: &[&str], stdin: &str) -> ToolResponse {
            answer(
                &self.shared,
                &ToolRequest {
                    unit: unit.into(),
                    tool: tool.into(),
                    args: args.iter().map(|a| a.to_string()).collect(),
                    stdin: stdin.into(),
                },
            )
        }

        fn call(&self, tool: &str, args: &[&str]) -> ToolResponse {
            self.call_as("app/0", tool, args, "")
        }

        fn ok(&self, tool: &str, args: &[&str]) -> String {
            let r = self.call(tool, args);
            assert_eq!(r.code, 0, "{tool} {args:?}: {r:?}");
            assert_eq!(r.stderr, "", "{tool} {args:?}");
            r.stdout
        }

        fn json(&self, tool: &str, args: &[&str]) -> Value {
            let out = self.ok(tool, args);
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{tool} {args:?}: {out:?}: {e}"))
        }

        fn usage(&self, tool: &str, args: &[&str]) -> String {
            let r = self.call(tool, args);
            assert_eq!(r.code, 2, "{tool} {args:?}: {r:?}");
            assert!(r.stderr.starts_with("ERROR "), "{r:?}");
            r.stderr
        }

        fn error(&self, tool: &str, args: &[&str]) -> String {
            let r = self.call(tool, args);
            assert_eq!(r.code, 1, "{tool} {args:?}: {r:?}");
            assert!(r.stderr.starts_with("ERROR "), "{r:?}");
            r.stderr
        }

        /// End the hook successfully; the model as the tools leave it.
        fn finish(&self) -> Vec<crate::sim::ChangedBag> {
            lock(&self.tools).finish(true)
        }

        fn calls(&self) -> Vec<(String, Vec<String>)> {
            lock(&self.tools)
                .calls()
                .iter()
                .map(|c| (c.tool.clone(), c.args.clone()))
                .collect()
        }
    }

    #[test]
    fn answers_every_tool_as_process_tools_calls_it() {
        let f = fixture();
        assert_eq!(
            f.json("relation-ids", &["--format=json", "db"]),
            json!(["db:0"])
        );
        assert_eq!(
            f.json("relation-list", &["--format=json", "-r", "db:0"]),
            json!(["pg/0"])
        );
        assert_eq!(
            f.json(
                "relation-get",
                &["--format=json", "-r", "db:0", "-", "pg/0"]
            )["host"],
            "db.example"
        );
        assert_eq!(
            f.json(
                "relation-get",
                &["--format=json", "--app", "-r", "db:0", "-", "pg"]
            ),
            json!({"version": "16"})
        );
        let set = |args: &[&str], stdin: &str| {
            let r = f.call_as("app/0", "relation-set", args, stdin);
            assert_eq!(r, ToolResponse::ok(""), "{args:?}");
        };
        set(&["-r", "db:0", "--file", "-"], "{\"a\":\"1\",\"b\":\"2\"}");
        set(
            &["-r", "db:0", "--app", "--file", "-"],
            "{\"leader\":\"app/0\"}",
        );
        assert_eq!(
            f.json("config-get", &["--all", "--format=json"]),
            json!({"port": 80, "name": "x", "unset": null})
        );
        assert_eq!(f.json("is-leader", &["--format=json"]), json!(true));
        assert_eq!(f.ok("leader-set", &["k=v", "gone="]), "");
        assert_eq!(f.json("leader-get", &["--format=json"]), json!({"k": "v"}));
        assert_eq!(f.ok("juju-log", &["-l", "INFO", "hello"]), "");
        assert_eq!(f.ok("juju-log", &["-l", "WARNING", "--", "-dash"]), "");
        assert_eq!(f.ok("status-set", &["active", "ready"]), "");
        assert_eq!(
            f.ok("status-set", &["--application", "blocked", "--", "-x"]),
            ""
        );
        assert_eq!(
            f.json("unit-get", &["--format=json", "private-address"]),
            json!("10.0.0.2")
        );
        assert_eq!(
            f.json("network-get", &["--format=json", "db"])["ingress-addresses"],
            json!(["10.0.0.2"])
        );
        assert_eq!(f.ok("application-version-set", &["--", "-rc1"]), "");
        assert_eq!(f.ok("open-port", &["8080/tcp"]), "");
        assert_eq!(f.ok("close-port", &["53/udp"]), "");
        let no_action = f.error("action-get", &["--format=json"]);
        assert!(no_action.contains("not running an action"), "{no_action}");

        // Every call reached the unit's tools, recorded as in process.
        let calls = f.calls();
        assert_eq!(
            calls[5],
            (
                "relation-set".to_string(),
                vec![
                    "-r".into(),
                    "db:0".into(),
                    "--app".into(),
                    "--file".into(),
                    "-".into()
                ]
            )
        );
        assert!(calls.contains(&(
            "juju-log".to_string(),
            vec!["-l".into(), "WARNING".into(), "-dash".into()]
        )));
        assert!(calls.contains(&(
            "status-set".to_string(),
            vec!["--application".into(), "blocked".into(), "-x".into()]
        )));
        assert!(calls.contains(&("application-version-set".to_string(), vec!["-rc1".into()])));
        let changed = f.finish();
        assert_eq!(changed.len(), 2, "{changed:?}");
    }

    #[test]
    fn actions_answer_when_running_one() {
        let shared = Shared::default();
        let tools = UnitTools::new(model(), "app/0").with_action(json!({"a": {"b": 3}}));
        let tools: SharedUnitTools = Arc::new(Mutex::new(tools));
        *lock(&shared.slot) = Some(("app/0".into(), tools.clone()));
        let f = Fixture { shared, tools };
        assert_eq!(
            f.json("action-get", &["--format=json"]),
            json!({"a": {"b": 3}})
        );
        assert_eq!(f.json("action-get", &["--format=json", "a.b"]), json!(3));
        assert_eq!(f.json("action-get", &["--format=json", "a.x"]), json!(null));
        assert_eq!(f.ok("action-set", &["out=1"]), "");
        assert_eq!(f.ok("action-fail", &["broken"]), "");
        let tools = lock(&f.tools);
        let action = tools.action().unwrap();
        assert_eq!(action.results.get("out").map(String::as_str), Some("1"));
        assert_eq!(action.failed.as_deref(), Some("broken"));
    }

    #[test]
    fn accepts_the_variants_juju_accepts() {
        let f = fixture();
        for args in [
            &["--format", "json", "--relation=db:0", "-", "pg/0"][..],
            &["-rdb:0", "--format=json", "-", "pg/0"],
            &["-r=db:0", "--format=json", "-", "pg/0"],
            &["-", "pg/0", "-r", "db:0", "--format=json"],
            &["--format=json", "-r", "db:0", "", "pg/0"],
        ] {
            assert_eq!(
                f.json("relation-get", args)["host"],
                "db.example",
                "{args:?}"
            );
        }
        // One key, in every format.
        assert_eq!(
            f.json(
                "relation-get",
                &["--format=json", "-r", "db:0", "host", "pg/0"]
            ),
            json!("db.example")
        );
        assert_eq!(
            f.json(
                "relation-get",
                &["--format=json", "-r", "db:0", "nope", "pg/0"]
            ),
            json!(null)
        );
        assert_eq!(
            f.ok("relation-get", &["-r", "db:0", "host", "pg/0"]),
            "db.example\n"
        );
        let yaml = f.ok(
            "relation-get",
            &["--format=yaml", "-r", "db:0", "-", "pg/0"],
        );
        assert!(yaml.contains("host: db.example\n"), "{yaml}");
        // `--app` with a unit name means its application.
        assert_eq!(
            f.json(
                "relation-get",
                &["--format=json", "--app", "-r", "db:0", "-", "pg/0"]
            ),
            json!({"version": "16"})
        );
        // Smart output.
        assert_eq!(f.ok("is-leader", &[]), "True\n");
        assert_eq!(f.ok("relation-ids", &["db"]), "db:0\n");
        assert_eq!(f.ok("config-get", &["port"]), "80\n");
        assert_eq!(f.json("config-get", &["--format=json", "name"]), json!("x"));
        // Without --all, options without a value are left out.
        assert_eq!(
            f.json("config-get", &["--format=json"]),
            json!({"port": 80, "name": "x"})
        );
        assert_eq!(
            f.json("config-get", &["-a", "--format=json"])["unset"],
            json!(null)
        );
        // relation-set: arguments, YAML on stdin, arguments over the file.
        let r = f.call_as(
            "app/0",
            "relation-set",
            &["--relation", "db:0", "--file=-", "b=from-args", "c="],
            "a: 1\nb: from-file\nflag: true\nempty: ~\n",
        );
        assert_eq!(r.code, 0, "{r:?}");
        assert_eq!(f.ok("relation-set", &["-r", "db:0", "plain=yes"]), "");
        let mine = f.json(
            "relation-get",
            &["--format=json", "-r", "db:0", "-", "app/0"],
        );
        assert_eq!(mine["a"], "1");
        assert_eq!(mine["b"], "from-args");
        assert_eq!(mine["flag"], "true");
        assert_eq!(mine["plain"], "yes");
        assert_eq!(mine.get("empty"), None);
        // juju-log: words joined, --debug, levels in any case.
        assert_eq!(f.ok("juju-log", &["two", "words"]), "");
        assert_eq!(f.ok("juju-log", &["--debug", "dbg"]), "");
        assert_eq!(f.ok("juju-log", &["--log-level=critical", "bad"]), "");
        assert_eq!(f.ok("juju-log", &["-l", "trace", "--", "-x"]), "");
        let logs: Vec<Vec<String>> = f
            .calls()
            .into_iter()
            .filter(|(t, _)| t == "juju-log")
            .map(|(_, a)| a)
            .collect();
        assert_eq!(logs[0], ["-l", "INFO", "two words"]);
        assert_eq!(logs[1], ["-l", "DEBUG", "dbg"]);
        assert_eq!(logs[2], ["-l", "ERROR", "bad"]);
        assert_eq!(logs[3], ["-l", "DEBUG", "-x"]);
        // status-set without a message; open-port without a protocol.
        assert_eq!(f.ok("status-set", &["maintenance"]), "");
        assert_eq!(f.ok("open-port", &["9100"]), "");
        assert!(f
            .calls()
            .contains(&("open-port".to_string(), vec!["9100/tcp".to_string()])));
        // network-get selectors.
        assert_eq!(
            f.ok("network-get", &["db", "--ingress-address"]),
            "10.0.0.2\n"
        );
        assert_eq!(
            f.json(
                "network-get",
                &["--format=json", "-r", "db:0", "--bind-address"]
            ),
            json!("10.0.0.2")
        );
        assert_eq!(
            f.ok("network-get", &["db", "--egress-subnets"]),
            "10.0.0.2/32\n"
        );
        // --help.
        let help = f.call("relation-get", &["--help"]);
        assert_eq!(help.code, 0);
        assert!(help.stdout.starts_with("Usage: relation-get"), "{help:?}");
    }

    #[test]
    fn takes_defaults_from_the_hook_context() {
        let mut hook = HookInfo::named("db-relation-changed");
        hook.relation = Some("db".into());
        hook.relation_id = Some("db:0".into());
        hook.remote_unit = Some("pg/0".into());
        hook.remote_app = Some("pg".into());
        let f = fixture_with("app/0", Some(hook));
        assert_eq!(f.ok("relation-get", &["host"]), "db.example\n");
        assert_eq!(
            f.json("relation-get", &["--format=json"])["host"],
            "db.example"
        );
        assert_eq!(
            f.json("relation-get", &["--format=json", "--app"]),
            json!({"version": "16"})
        );
        assert_eq!(f.json("relation-list", &["--format=json"]), json!(["pg/0"]));
        assert_eq!(f.json("relation-ids", &["--format=json"]), json!(["db:0"]));
        assert_eq!(f.ok("relation-set", &["x=1"]), "");

        // Outside a relation hook there are no such defaults.
        let f = fixture();
        assert!(f
            .usage("relation-get", &["host"])
            .contains("no relation id specified"));
        assert!(f
            .usage("relation-get", &["-r", "db:0", "host"])
            .contains("no unit id specified"));
        assert!(f
            .usage("relation-list", &[])
            .contains("no relation id specified"));
        assert!(f
            .usage("relation-set", &["a=b"])
            .contains("no relation id specified"));
        assert!(f
            .usage("relation-ids", &[])
            .contains("no endpoint name specified"));
    }

    #[test]
    fn relation_not_found_is_worded_as_juju_words_it() {
        let f = fixture();
        for (tool, args) in [
            (
                "relation-get",
                &["--format=json", "-r", "db:9", "-", "pg/0"][..],
            ),
            ("relation-list", &["--format=json", "-r", "db:9"]),
            ("relation-set", &["-r", "db:9", "a=b"]),
        ] {
            let stderr = f.error(tool, args);
            assert_eq!(
                stderr,
                "ERROR invalid value \"db:9\" for option -r: relation not found\n"
            );
            let args: Vec<&str> = args.to_vec();
            let e = ToolError::failed(tool, &args, Some(1), stderr.as_bytes(), &[]);
            assert!(e.is_relation_not_found(), "{e}");
        }
    }

    #[test]
    fn tool_failures_are_errors_with_code_1() {
        let f = fixture_with("app/1", None);
        let call = |tool: &str, args: &[&str]| f.call_as("app/1", tool, args, "");
        for (tool, args) in [
            ("leader-set", &["k=v"][..]),
            ("status-set", &["--application", "active"]),
            ("relation-set", &["-r", "db:0", "--app", "a=b"]),
            (
                "relation-get",
                &["--format=json", "--app", "-r", "db:0", "-", "app"],
            ),
        ] {
            let r = call(tool, args);
            assert_eq!(r.code, 1, "{tool} {args:?}: {r:?}");
            assert!(r.stderr.starts_with("ERROR "), "{r:?}");
            assert!(r.stdout.is_empty());
        }
        // A settings file that is not a mapping of strings.
        let f = fixture();
        for stdin in ["[1, 2]", "a: [1]", "a: {b: c}", "{: x", "just text"] {
            let r = f.call_as(
                "app/0",
                "relation-set",
                &["-r", "db:0", "--file", "-"],
                stdin,
            );
            assert_eq!(r.code, 1, "{stdin:?}: {r:?}");
            assert!(r.stderr.starts_with("ERROR cannot parse settings"), "{r:?}");
        }
        // Empty input sets nothing.
        let r = f.call_as("app/0", "relation-set", &["-r", "db:0", "--file", "-"], "");
        assert_eq!(r.code, 0);
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        let f = fixture();
        let cases: &[(&str, &[&str], &str)] = &[
            ("relation-get", &["--bogus"], "not defined: --bogus"),
            ("relation-get", &["-x"], "not defined: -x"),
            ("relation-get", &["-r"], "needs an argument"),
            (
                "relation-get",
                &["--format=xml", "-r", "db:0", "-", "pg/0"],
                "unknown format",
            ),
            (
                "relation-get",
                &["-r", "db:0", "a", "pg/0", "extra"],
                "unrecognized args",
            ),
            ("relation-get", &["-o", "out.txt", "-r", "db:0"], "--output"),
            ("relation-get", &["--app=maybe"], "invalid boolean"),
            (
                "relation-set",
                &["-r", "db:0", "novalue"],
                "expected \"key=value\"",
            ),
            (
                "relation-set",
                &["-r", "db:0", "=v"],
                "expected \"key=value\"",
            ),
            (
                "relation-list",
                &["-r", "db:0", "extra"],
                "unrecognized args",
            ),
            ("config-get", &["--all", "port"], "--all"),
            ("config-get", &["a", "b"], "unrecognized args"),
            ("is-leader", &["now"], "unrecognized args"),
            ("leader-get", &["a", "b"], "unrecognized args"),
            ("leader-set", &["novalue"], "expected \"key=value\""),
            ("leader-set", &["-x"], "not defined"),
            ("juju-log", &[], "no message"),
            ("juju-log", &["-l", "LOUD", "msg"], "invalid log level"),
            ("juju-log", &["-l"], "needs an argument"),
            ("status-set", &[], "require <status>"),
            (
                "status-set",
                &["sleepy", "zzz"],
                "invalid status \"sleepy\"",
            ),
            ("status-set", &["active", "a", "b"], "unrecognized args"),
            ("status-set", &["active", "-x"], "not defined: -x"),
            ("unit-get", &[], "no setting"),
            ("unit-get", &["colour"], "unknown setting"),
            ("network-get", &[], "no arguments"),
            (
                "network-get",
                &["db", "--ingress-address", "--bind-address"],
                "only one",
            ),
            ("application-version-set", &[], "no version"),
            ("application-version-set", &["1", "2"], "unrecognized args"),
            ("open-port", &[], "no port"),
            ("open-port", &["http"], "invalid port"),
            ("open-port", &["0"], "invalid port"),
            ("open-port", &["70000/tcp"], "invalid port"),
            ("open-port", &["8000-8010/tcp"], "invalid port"),
            ("close-port", &["80/sctp"], "invalid protocol"),
            ("action-get", &["a", "b"], "unrecognized args"),
            ("action-set", &["x"], "expected \"key=value\""),
            ("action-fail", &["a", "b"], "unrecognized args"),
            ("--", &[], "unknown hook tool"),
            ("rm", &["-rf", "/"], "unknown hook tool"),
            ("", &[], "unknown hook tool"),
        ];
        for (tool, args, expected) in cases {
            let stderr = f.usage(tool, args);
            assert!(stderr.contains(expected), "{tool} {args:?}: {stderr}");
        }
        // None of them reached the unit's tools.
        assert!(f.calls().is_empty(), "{:?}", f.calls());
    }

    #[test]
    fn other_units_and_idle_servers_are_refused() {
        let f = fixture();
        let r = f.call_as("pg/0", "is-leader", &[], "");
        assert_eq!(r.code, 1);
        assert!(
            r.stderr.contains("no hook of unit \"pg/0\" is running"),
            "{r:?}"
        );
        let r = f.call_as("", "is-leader", &[], "");
        assert_eq!(r.code, 1);
        assert!(r.stderr.contains("JUJU_UNIT_NAME"), "{r:?}");
        *lock(&f.shared.slot) = None;
        let r = f.call("is-leader", &[]);
        assert_eq!(r.code, 1);
        assert!(r.stderr.contains("no hook of unit \"app/0\""), "{r:?}");
        assert!(f.calls().is_empty());
    }

    #[test]
    fn serves_over_the_socket_and_measures_each_call() {
        let dir = std::env::temp_dir().join(format!(
            "rsim-ts-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let socket = dir.join("s.sock");
        let server = ToolServer::start(&socket).unwrap();
        assert_eq!(server.socket_path(), socket);
        let request = |unit: &str, tool: &str, args: &[&str]| ToolRequest {
            unit: unit.into(),
            tool: tool.into(),
            args: args.iter().map(|a| a.to_string()).collect(),
            stdin: String::new(),
        };
        let send = |r: &ToolRequest| crate::sim::tool_client::send(&socket, r).unwrap();

        // No hook yet.
        assert_eq!(send(&request("app/0", "is-leader", &[])).code, 1);
        let tools: SharedUnitTools = Arc::new(Mutex::new(UnitTools::new(model(), "app/0")));
        server.begin_hook("app/0", tools.clone(), None);
        assert_eq!(server.serving().as_deref(), Some("app/0"));
        assert_eq!(
            send(&request("app/0", "is-leader", &["--format=json"])),
            ToolResponse::ok("true\n")
        );
        assert_eq!(
            send(&request("app/0", "leader-set", &["secret=hunter2"])).code,
            0
        );
        assert_eq!(send(&request("app/0", "bogus", &[])).code, 2);
        // A request that is not JSON.
        {
            let mut stream = UnixStream::connect(&socket).unwrap();
            stream.write_all(b"not json").unwrap();
            stream.shutdown(std::net::Shutdown::Write).unwrap();
            let mut answer = String::new();
            stream.read_to_string(&mut answer).unwrap();
            let response: ToolResponse = serde_json::from_str(&answer).unwrap();
            assert_eq!(response.code, 2);
            assert!(response.stderr.contains("bad request"), "{response:?}");
        }
        // The client side reads `--file -` from its standard input.
        let r = crate::sim::tool_client::run_tool(
            &socket,
            "app/0",
            "relation-set",
            &["-r".into(), "db:0".into(), "--file".into(), "-".into()],
            &mut "{\"k\": \"v\"}".as_bytes(),
        );
        assert_eq!(r, ToolResponse::ok(""));
        server.end_hook();
        assert_eq!(server.serving(), None);
        assert_eq!(send(&request("app/0", "is-leader", &[])).code, 1);

        let served = server.take_served();
        let tools_served: Vec<(&str, i32)> =
            served.iter().map(|c| (c.tool.as_str(), c.code)).collect();
        assert_eq!(
            tools_served,
            [
                ("is-leader", 1),
                ("is-leader", 0),
                ("leader-set", 0),
                ("bogus", 2),
                ("relation-set", 0),
                ("is-leader", 1)
            ]
        );
        // Secrets are redacted in the record.
        assert_eq!(served[2].args, ["secret=<redacted>"]);
        assert!(served.iter().all(|c| c.serve_time < IO_TIMEOUT));
        assert!(server.take_served().is_empty());
        let stats = server.stats();
        assert_eq!(stats.calls, 6);
        assert_eq!(stats.per_tool["is-leader"].0, 3);
        assert_eq!(
            lock(&tools)
                .calls()
                .iter()
                .map(|c| c.tool.as_str())
                .collect::<Vec<_>>(),
            ["is-leader", "leader-set", "relation-set"]
        );
        drop(server);
        assert!(!socket.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn tool_client_finds_the_settings_file() {
        let s = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
        assert_eq!(
            reads_stdin("relation-set", &s(&["--file", "-"])),
            Some(FileArg::Stdin)
        );
        assert_eq!(
            reads_stdin("relation-set", &s(&["--file=-"])),
            Some(FileArg::Stdin)
        );
        assert_eq!(
            reads_stdin("relation-set", &s(&["-r", "x:1", "--file", "f.yaml"])),
            Some(FileArg::Path("f.yaml".into()))
        );
        assert_eq!(reads_stdin("relation-set", &s(&["a=b"])), None);
        assert_eq!(
            reads_stdin("relation-set", &s(&["--", "--file", "-"])),
            None
        );
        assert_eq!(reads_stdin("relation-get", &s(&["--file", "-"])), None);
    }
}
