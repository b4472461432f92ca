//! The wire protocol between the hook-tool client and the server: which
//! tools exist, the JSON request a tool invocation sends and the JSON
//! response it gets back, the environment variable naming the socket, and
//! where `relation-set --file` reads its settings from (which the client
//! must read before sending).

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use reactive_core::tools::ToolError;

/// The environment variable that holds the server's socket path.
pub const SOCKET_ENV: &str = "REACTIVE_SIM_SOCKET";

/// Every hook tool the server answers, by name.
pub const HOOK_TOOLS: &[&str] = &[
    "action-fail",
    "action-get",
    "action-log",
    "action-set",
    "application-version-set",
    "close-port",
    "config-get",
    "credential-get",
    "goal-state",
    "is-leader",
    "juju-log",
    "leader-get",
    "leader-set",
    "network-get",
    "open-port",
    "opened-ports",
    "relation-get",
    "relation-ids",
    "relation-list",
    "relation-model-get",
    "relation-set",
    "resource-get",
    "secret-add",
    "secret-get",
    "secret-grant",
    "secret-ids",
    "secret-info-get",
    "secret-remove",
    "secret-revoke",
    "secret-set",
    "state-delete",
    "state-get",
    "state-set",
    "status-get",
    "status-set",
    "storage-add",
    "storage-get",
    "storage-list",
    "unit-get",
];

/// The tools that read a mapping of settings with `--file FILE` (`-` for
/// standard input): the client reads it and sends it as the request's
/// `stdin`.
pub const FILE_TOOLS: &[&str] = &["relation-set", "secret-add", "secret-set", "state-set"];

/// Whether `name` is one of the [`HOOK_TOOLS`].
pub fn is_hook_tool(name: &str) -> bool {
    HOOK_TOOLS.contains(&name)
}

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
    /// What it read on its standard input, or from the file `--file`
    /// names (only for the [`FILE_TOOLS`]; for `secret-add` and
    /// `secret-set` it is secret content, never logged or recorded).
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

/// Where a tool invoked with `args` reads settings from besides its
/// arguments: `--file FILE` of one of the [`FILE_TOOLS`] (`-` is standard
/// input); `None` for every other invocation.
pub fn reads_stdin(tool: &str, args: &[String]) -> Option<FileArg> {
    if !FILE_TOOLS.contains(&tool) {
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

/// Where a tool's `--file` reads its settings from.
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
