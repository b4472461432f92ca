//! The client side of the simulator's hook tools: a program that, run under
//! a hook tool's name (`relation-get`, `config-get`, …), forwards its
//! command line to the [`ToolServer`](super::tool_server::ToolServer) and
//! prints the answer.
//!
//! The simulator makes a directory of links named after every hook tool,
//! each pointing at one client binary ([`install_tool_links`]), and puts it
//! first on the charm's `PATH`. The binary's `main` is:
//!
//! ```no_run
//! use reactive_testing::sim::tool_client::{main_as_tool, usage};
//! let code = main_as_tool().unwrap_or_else(|| {
//!     eprint!("{}", usage("reactive-sim-tool"));
//!     2
//! });
//! std::process::exit(code)
//! ```

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::tool_server::{
    is_hook_tool, reads_stdin, FileArg, ToolRequest, ToolResponse, HOOK_TOOLS, SOCKET_ENV,
};

/// How long the client waits for the server's answer.
const TIMEOUT: Duration = Duration::from_secs(120);

/// When this program was invoked under a hook tool's name (the basename of
/// `argv[0]`), act as that tool: read its standard input if it takes it,
/// send the request to `$REACTIVE_SIM_SOCKET` on behalf of
/// `$JUJU_UNIT_NAME`, print the answer's standard output and error, and
/// return its exit code. `None` when the program's name is no hook tool's.
pub fn main_as_tool() -> Option<i32> {
    let mut argv = std::env::args_os();
    let program = argv.next()?;
    let name = Path::new(&program).file_name()?.to_str()?.to_string();
    if !is_hook_tool(&name) {
        return None;
    }
    let args: Vec<String> = argv.map(|a| a.to_string_lossy().into_owned()).collect();
    let socket = std::env::var_os(SOCKET_ENV).filter(|s| !s.is_empty());
    let unit = std::env::var("JUJU_UNIT_NAME").unwrap_or_default();
    let response = match socket {
        None => ToolResponse::error(format!(
            "{SOCKET_ENV} is not set: `{name}` only works in a hook run by the reactive-rs simulator"
        )),
        Some(socket) => {
            let stdin = io::stdin();
            run_tool(
                Path::new(&socket),
                &unit,
                &name,
                &args,
                &mut stdin.lock(),
            )
        }
    };
    let stdout = io::stdout();
    let stderr = io::stderr();
    let _ = stdout.lock().write_all(response.stdout.as_bytes());
    let _ = stdout.lock().flush();
    let _ = stderr.lock().write_all(response.stderr.as_bytes());
    let _ = stderr.lock().flush();
    Some(response.code)
}

/// Run `tool` with `args` for `unit` against the server at `socket`:
/// build the request (reading `stdin`, or the file named by `--file`, when
/// the tool takes it) and return the server's answer, or an error response
/// when the server cannot be reached.
pub fn run_tool(
    socket: &Path,
    unit: &str,
    tool: &str,
    args: &[String],
    stdin: &mut dyn Read,
) -> ToolResponse {
    let input = match reads_stdin(tool, args) {
        None => String::new(),
        Some(FileArg::Stdin) => {
            let mut bytes = Vec::new();
            if let Err(e) = stdin.read_to_end(&mut bytes) {
                return ToolResponse::error(format!("cannot read standard input: {e}"));
            }
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Some(FileArg::Path(path)) => match std::fs::read(&path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => return ToolResponse::error(format!("cannot read {}: {e}", path.display())),
        },
    };
    let request = ToolRequest {
        unit: unit.to_string(),
        tool: tool.to_string(),
        args: args.to_vec(),
        stdin: input,
    };
    match send(socket, &request) {
        Ok(response) => response,
        Err(e) => ToolResponse::error(format!(
            "cannot reach the simulator's hook-tool server at {}: {e}",
            socket.display()
        )),
    }
}

/// Send one request to the server at `socket` and read its response.
///
/// # Errors
///
/// When the socket cannot be reached, or the answer is not a response.
pub fn send(socket: &Path, request: &ToolRequest) -> io::Result<ToolResponse> {
    let mut stream = UnixStream::connect(socket)?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    let body = serde_json::to_vec(request).map_err(io::Error::other)?;
    stream.write_all(&body)?;
    stream.shutdown(std::net::Shutdown::Write)?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    serde_json::from_slice(&answer).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("bad response from the server: {e}"),
        )
    })
}

/// Make `dir` a directory of hook tools: a link named after each of
/// [`HOOK_TOOLS`] pointing at `client` (made absolute), replacing what is
/// there under those names. Returns the directory.
///
/// # Errors
///
/// When the directory or a link cannot be made, or `client` is not found.
pub fn install_tool_links(dir: &Path, client: &Path) -> io::Result<PathBuf> {
    let client = std::fs::canonicalize(client).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("hook-tool client {}: {e}", client.display()),
        )
    })?;
    std::fs::create_dir_all(dir)?;
    for tool in HOOK_TOOLS {
        let link = dir.join(tool);
        if std::fs::symlink_metadata(&link).is_ok() {
            std::fs::remove_file(&link)?;
        }
        std::os::unix::fs::symlink(&client, &link)?;
    }
    Ok(dir.to_path_buf())
}

/// The usage message of the client binary run under its own `name`.
pub fn usage(name: &str) -> String {
    format!(
        "{name}: the reactive-rs simulator's hook-tool client.\n\
         Run it through a link named after a hook tool ({}),\n\
         with {SOCKET_ENV} and JUJU_UNIT_NAME set, as the simulator does for\n\
         charms it runs as processes.\n",
        HOOK_TOOLS.join(", ")
    )
}
