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
//! [`ProcessTools`](reactive_core::tools::process::ProcessTools) emits and the usual
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
//!
//! The module is split by concern: `protocol` holds what travels over the
//! socket, `options` splits a command line as Juju's option parser does,
//! `commands` gives each tool's grammar, `execute` runs a parsed call and
//! prints its result, and `server` listens on the socket and keeps the
//! record of served calls.

mod commands;
mod execute;
mod model_commands;
mod model_execute;
mod options;
mod protocol;
mod server;
#[cfg(test)]
mod test_fixture;

pub use protocol::{
    is_hook_tool, reads_stdin, FileArg, ToolRequest, ToolResponse, FILE_TOOLS, HOOK_TOOLS,
    SOCKET_ENV,
};
pub use server::{ServeStats, ServedCall, ToolServer, ToolSlot, MAX_REQUEST_BYTES};
