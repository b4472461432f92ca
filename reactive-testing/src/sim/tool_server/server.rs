//! The socket server: a thread accepting connections on a Unix domain
//! socket, one JSON request and response per connection, answered from the
//! tools of the unit whose hook is running, with a record of every call
//! served and the time it took.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::commands::parse;
use super::execute::execute;
use super::options::Parse;
use super::protocol::{is_hook_tool, ToolRequest, ToolResponse, HOOK_TOOLS};
use crate::sim::unit_tools::SharedUnitTools;
use reactive_core::hook::HookInfo;

/// The largest request the server reads (bytes).
pub const MAX_REQUEST_BYTES: u64 = 64 << 20;

/// How long the server waits on a silent client before giving up on it.
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// The hook whose tools the server answers: the unit and its tools. Filled
/// for the duration of a hook by whoever runs it ([`ToolServer::begin_hook`]).
pub type ToolSlot = Arc<Mutex<Option<(String, SharedUnitTools)>>>;

/// One call the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedCall {
    /// The unit that asked.
    pub unit: String,
    /// The tool.
    pub tool: String,
    /// Its arguments, values of `key=value` arguments and secret content
    /// redacted.
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
pub(super) struct Shared {
    pub(super) slot: ToolSlot,
    /// The running hook's context, for Juju's defaults (`-r` defaults to
    /// `$JUJU_RELATION_ID`, the unit to `$JUJU_REMOTE_UNIT`, …).
    pub(super) hook: Mutex<Option<HookInfo>>,
    served: Mutex<ServedLog>,
    stop: AtomicBool,
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
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
    // Secret content (say, a password a charm logs) is scrubbed too.
    let tools = lock(&shared.slot).as_ref().map(|(_, tools)| tools.clone());
    let values = tools
        .map(|tools| lock(&tools).secret_values())
        .unwrap_or_default();
    let args = reactive_core::tools::error::redact_args(&request.args)
        .iter()
        .map(|arg| crate::sim::secret_model::scrub_values(arg, &values))
        .collect();
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
        args,
        code: response.code,
        serve_time,
    });
}

/// Answer a request from the slot's tools.
pub(super) fn answer(shared: &Shared, request: &ToolRequest) -> ToolResponse {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::tool_server::test_fixture::*;
    use crate::sim::unit_tools::UnitTools;

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
}
