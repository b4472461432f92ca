//! The errors of hook-tool calls.
//!
//! Every variant names the tool that failed. Secrets never appear in an
//! error, neither in its [`Display`](fmt::Display) nor in its
//! [`Debug`](fmt::Debug) form:
//!
//! - arguments of the form `key=value` (as `leader-set` and `action-set`
//!   take them) are stored as `key=<redacted>` (see [`redact_args`]);
//! - data sent to a tool on its standard input (`relation-set`) is never
//!   stored;
//! - the output of the tools that print secrets (`relation-get`,
//!   `leader-get`, `config-get`, `action-get`) is never stored when it
//!   cannot be parsed: only its length and where parsing failed are.

use std::fmt;

/// The placeholder that stands for a redacted value.
pub const REDACTED: &str = "<redacted>";

/// The most characters of a tool's output kept in [`ToolError::BadOutput`].
pub const MAX_OUTPUT_CHARS: usize = 200;

/// The most characters of a tool's standard error kept in an error.
pub const MAX_STDERR_CHARS: usize = 4000;

/// The hook tools whose output may hold secrets (passwords, keys): their
/// output is never copied into an error.
pub const SECRET_OUTPUT_TOOLS: &[&str] = &[
    "relation-get",
    "leader-get",
    "config-get",
    "action-get",
    "secret-get",
    "credential-get",
    "state-get",
];

/// A hook tool could not be run, failed, or printed something unexpected.
#[derive(Debug)]
pub enum ToolError {
    /// The tool's executable is not on the `PATH` searched.
    NotFound {
        /// The tool, e.g. `relation-get`.
        tool: String,
    },
    /// The tool exited unsuccessfully.
    Failed {
        /// The tool, e.g. `relation-get`.
        tool: String,
        /// Its arguments, with `key=value` values redacted.
        args: Vec<String>,
        /// Its exit status (`None` when a signal ended it).
        status: Option<i32>,
        /// What it printed on standard error (trimmed, secrets scrubbed).
        stderr: String,
    },
    /// The tool was asked about a relation Juju does not know (its standard
    /// error says `relation not found`), e.g. a relation that has already
    /// gone.
    RelationNotFound {
        /// The tool, e.g. `relation-get`.
        tool: String,
        /// Its arguments, with `key=value` values redacted.
        args: Vec<String>,
        /// What it printed on standard error (trimmed, secrets scrubbed).
        stderr: String,
    },
    /// Juju refused because this unit is not its application's leader
    /// (its standard error says `not the leader`), e.g. `status-set
    /// --application` or `status-get --application` on a follower.
    NotLeader {
        /// The tool, e.g. `status-set`.
        tool: String,
        /// Its arguments, with `key=value` values redacted.
        args: Vec<String>,
        /// What it printed on standard error (trimmed, secrets scrubbed).
        stderr: String,
    },
    /// Juju refused the call for want of permission (its standard error
    /// says `permission denied` or `unauthorized`), e.g. reading a secret
    /// that was not granted, or changing a secret this unit does not own.
    PermissionDenied {
        /// The tool, e.g. `secret-get`.
        tool: String,
        /// Its arguments, with `key=value` values redacted.
        args: Vec<String>,
        /// What it printed on standard error (trimmed, secrets scrubbed).
        stderr: String,
    },
    /// A `secret-*` tool was asked about a secret Juju does not know (its
    /// standard error says `not found`).
    SecretNotFound {
        /// The tool, e.g. `secret-get`.
        tool: String,
        /// Its arguments, with `key=value` values redacted.
        args: Vec<String>,
        /// What it printed on standard error (trimmed, secrets scrubbed).
        stderr: String,
    },
    /// The tool was asked about something else Juju does not know (its
    /// standard error says `not found`): a resource, a storage instance, a
    /// charm state key asked for with `--strict`, …
    EntityNotFound {
        /// The tool, e.g. `resource-get`.
        tool: String,
        /// Its arguments, with `key=value` values redacted.
        args: Vec<String>,
        /// What it printed on standard error (trimmed, secrets scrubbed).
        stderr: String,
    },
    /// This hook-tool backend does not implement the tool (the simulator
    /// answers only part of Juju's tools).
    NotSupported {
        /// The tool, e.g. `credential-get`.
        tool: String,
    },
    /// The call was refused before running the tool: its input cannot be
    /// what Juju takes (an empty secret, a bad secret key, port 0, …).
    InvalidInput {
        /// The tool, e.g. `secret-add`.
        tool: String,
        /// What is wrong (never quoting secret content).
        reason: String,
    },
    /// The tool succeeded but its output is not what it should be: not JSON,
    /// or JSON of an unexpected shape.
    BadOutput {
        /// The tool, e.g. `is-leader`.
        tool: String,
        /// Its arguments, with `key=value` values redacted.
        args: Vec<String>,
        /// The start of its output (at most [`MAX_OUTPUT_CHARS`]
        /// characters); empty for the tools in [`SECRET_OUTPUT_TOOLS`],
        /// whose output is never kept.
        output: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The tool could not be started or talked to.
    Io {
        /// The tool, e.g. `relation-set`.
        tool: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl ToolError {
    /// The tool this error is about.
    pub fn tool(&self) -> &str {
        match self {
            ToolError::NotFound { tool }
            | ToolError::Failed { tool, .. }
            | ToolError::RelationNotFound { tool, .. }
            | ToolError::NotLeader { tool, .. }
            | ToolError::PermissionDenied { tool, .. }
            | ToolError::SecretNotFound { tool, .. }
            | ToolError::EntityNotFound { tool, .. }
            | ToolError::NotSupported { tool }
            | ToolError::InvalidInput { tool, .. }
            | ToolError::BadOutput { tool, .. }
            | ToolError::Io { tool, .. } => tool,
        }
    }

    /// What the tool printed on standard error, for the errors of a tool
    /// that ran and failed.
    pub fn stderr(&self) -> Option<&str> {
        match self {
            ToolError::Failed { stderr, .. }
            | ToolError::RelationNotFound { stderr, .. }
            | ToolError::NotLeader { stderr, .. }
            | ToolError::PermissionDenied { stderr, .. }
            | ToolError::SecretNotFound { stderr, .. }
            | ToolError::EntityNotFound { stderr, .. } => Some(stderr),
            _ => None,
        }
    }

    /// True for [`ToolError::NotLeader`].
    pub fn is_not_leader(&self) -> bool {
        matches!(self, ToolError::NotLeader { .. })
    }

    /// True for [`ToolError::PermissionDenied`].
    pub fn is_permission_denied(&self) -> bool {
        matches!(self, ToolError::PermissionDenied { .. })
    }

    /// True for [`ToolError::SecretNotFound`].
    pub fn is_secret_not_found(&self) -> bool {
        matches!(self, ToolError::SecretNotFound { .. })
    }

    /// True for [`ToolError::EntityNotFound`].
    pub fn is_entity_not_found(&self) -> bool {
        matches!(self, ToolError::EntityNotFound { .. })
    }

    /// True for [`ToolError::NotSupported`].
    pub fn is_not_supported(&self) -> bool {
        matches!(self, ToolError::NotSupported { .. })
    }

    /// The error of a backend that does not implement `tool`.
    pub fn not_supported(tool: &str) -> ToolError {
        ToolError::NotSupported {
            tool: tool.to_string(),
        }
    }

    /// The error for input refused before `tool` is run.
    pub fn invalid_input(tool: &str, reason: impl Into<String>) -> ToolError {
        ToolError::InvalidInput {
            tool: tool.to_string(),
            reason: reason.into(),
        }
    }

    /// True for [`ToolError::RelationNotFound`].
    pub fn is_relation_not_found(&self) -> bool {
        matches!(self, ToolError::RelationNotFound { .. })
    }

    /// The error for a tool that exited unsuccessfully: `args` are redacted,
    /// `stderr` is trimmed, truncated and scrubbed of every value of
    /// `secrets` (and of every `key=value` argument's value) that is at
    /// least 4 bytes long. The standard error picks the variant:
    /// `relation not found` gives [`ToolError::RelationNotFound`]; `not
    /// found` from a `secret-*` tool, [`ToolError::SecretNotFound`]; `not
    /// the leader`, [`ToolError::NotLeader`]; `permission denied` or
    /// `unauthorized`, [`ToolError::PermissionDenied`]; any other `not
    /// found`, [`ToolError::EntityNotFound`]; anything else,
    /// [`ToolError::Failed`].
    pub fn failed(
        tool: &str,
        args: &[&str],
        status: Option<i32>,
        stderr: &[u8],
        secrets: &[&str],
    ) -> ToolError {
        let stderr = String::from_utf8_lossy(stderr);
        let mut stderr = scrub(stderr.trim(), args, secrets);
        truncate_chars(&mut stderr, MAX_STDERR_CHARS);
        let tool = tool.to_string();
        let args = redact_strs(args);
        let lower = stderr.to_lowercase();
        if lower.contains("relation not found") {
            ToolError::RelationNotFound { tool, args, stderr }
        } else if tool.starts_with("secret-") && lower.contains("not found") {
            ToolError::SecretNotFound { tool, args, stderr }
        } else if lower.contains("not the leader") || lower.contains("not leader") {
            ToolError::NotLeader { tool, args, stderr }
        } else if lower.contains("permission denied") || lower.contains("unauthorized") {
            ToolError::PermissionDenied { tool, args, stderr }
        } else if lower.contains("not found") {
            ToolError::EntityNotFound { tool, args, stderr }
        } else {
            ToolError::Failed {
                tool,
                args,
                status,
                stderr,
            }
        }
    }

    /// The error for a tool whose output could not be used. For the tools
    /// in [`SECRET_OUTPUT_TOOLS`] the output is not kept; otherwise its
    /// first [`MAX_OUTPUT_CHARS`] characters are. `reason` must not quote
    /// the output.
    pub fn bad_output(tool: &str, args: &[&str], output: &[u8], reason: String) -> ToolError {
        let output = if is_secret_output_tool(tool) {
            String::new()
        } else {
            let mut text = String::from_utf8_lossy(output).into_owned();
            truncate_chars(&mut text, MAX_OUTPUT_CHARS);
            text
        };
        ToolError::BadOutput {
            tool: tool.to_string(),
            args: redact_strs(args),
            output,
            reason,
        }
    }
}

/// True when `tool`'s output may hold secrets (see [`SECRET_OUTPUT_TOOLS`]).
pub fn is_secret_output_tool(tool: &str) -> bool {
    SECRET_OUTPUT_TOOLS.contains(&tool)
}

/// Redact every argument of the form `key=value` to `key=<redacted>`.
///
/// Options (arguments starting with `-`, such as `--format=json`) are kept
/// as they are. Any other argument holding a `=` is taken to be a
/// `key=value` setting whose value may be a secret, so a free-text argument
/// with a `=` in it is redacted too: redacting too much is safer than too
/// little.
///
/// ```
/// use reactive_core::tools::error::redact_args;
/// let args = vec!["--format=json".to_string(), "password=hunter2".to_string()];
/// assert_eq!(redact_args(&args), ["--format=json", "password=<redacted>"]);
/// ```
pub fn redact_args(args: &[String]) -> Vec<String> {
    args.iter().map(|arg| redact_arg(arg)).collect()
}

fn redact_strs(args: &[&str]) -> Vec<String> {
    args.iter().map(|arg| redact_arg(arg)).collect()
}

fn redact_arg(arg: &str) -> String {
    match secret_value(arg) {
        Some(_) => match arg.split_once('=') {
            Some((key, _)) => format!("{key}={REDACTED}"),
            None => arg.to_string(),
        },
        None => arg.to_string(),
    }
}

/// The value part of a `key=value` argument, if `arg` is one.
fn secret_value(arg: &str) -> Option<&str> {
    if arg.starts_with('-') {
        return None;
    }
    arg.split_once('=').map(|(_, value)| value)
}

/// Values shorter than this are not scrubbed from standard error: scrubbing
/// every `1` or `ok` would garble it, and such values are no secrets.
const MIN_SCRUBBED_LEN: usize = 4;

fn scrub(text: &str, args: &[&str], secrets: &[&str]) -> String {
    let mut values: Vec<&str> = args
        .iter()
        .filter_map(|arg| secret_value(arg))
        .chain(secrets.iter().copied())
        .filter(|value| value.len() >= MIN_SCRUBBED_LEN)
        .collect();
    if values.is_empty() {
        return text.to_string();
    }
    // Longest first, so a secret containing another is replaced whole.
    values.sort_by_key(|value| std::cmp::Reverse(value.len()));
    let mut text = text.to_string();
    for value in values {
        if text.contains(value) {
            text = text.replace(value, REDACTED);
        }
    }
    text
}

fn truncate_chars(text: &mut String, max: usize) {
    if let Some((index, _)) = text.char_indices().nth(max) {
        text.truncate(index);
        text.push('…');
    }
}

/// Write `args` the way a shell user would type them, quoting the ones that
/// need it.
struct CommandLine<'a> {
    tool: &'a str,
    args: &'a [String],
}

impl fmt::Display for CommandLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tool)?;
        for arg in self.args {
            f.write_str(" ")?;
            let plain = !arg.is_empty()
                && arg
                    .chars()
                    .all(|c| c.is_alphanumeric() || "-_=:/.,@%+<>".contains(c));
            if plain {
                f.write_str(arg)?;
            } else {
                write!(f, "'{}'", arg.replace('\'', "'\\''"))?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ToolError::NotFound { tool } => {
                write!(f, "hook tool `{tool}` not found on the PATH")
            }
            ToolError::Failed {
                tool,
                args,
                status,
                stderr,
            } => {
                let command = CommandLine { tool, args };
                match status {
                    Some(code) => {
                        write!(f, "hook tool `{command}` failed with exit status {code}")?
                    }
                    None => write!(f, "hook tool `{command}` was killed by a signal")?,
                }
                if stderr.is_empty() {
                    f.write_str(" (no error output)")
                } else {
                    write!(f, ": {stderr}")
                }
            }
            ToolError::RelationNotFound { tool, args, stderr } => {
                let command = CommandLine { tool, args };
                write!(f, "hook tool `{command}`: relation not found: {stderr}")
            }
            ToolError::NotLeader { tool, args, stderr } => {
                let command = CommandLine { tool, args };
                write!(
                    f,
                    "hook tool `{command}`: this unit is not the leader: {stderr}"
                )
            }
            ToolError::PermissionDenied { tool, args, stderr } => {
                let command = CommandLine { tool, args };
                write!(f, "hook tool `{command}`: permission denied: {stderr}")
            }
            ToolError::SecretNotFound { tool, args, stderr } => {
                let command = CommandLine { tool, args };
                write!(f, "hook tool `{command}`: secret not found: {stderr}")
            }
            ToolError::EntityNotFound { tool, args, stderr } => {
                let command = CommandLine { tool, args };
                write!(f, "hook tool `{command}`: not found: {stderr}")
            }
            ToolError::NotSupported { tool } => {
                write!(f, "hook tool `{tool}` is not supported by this backend")
            }
            ToolError::InvalidInput { tool, reason } => {
                write!(f, "hook tool `{tool}` not run: {reason}")
            }
            ToolError::BadOutput {
                tool,
                args,
                output,
                reason,
            } => {
                let command = CommandLine { tool, args };
                write!(
                    f,
                    "hook tool `{command}` printed unexpected output: {reason}"
                )?;
                if !output.is_empty() {
                    write!(f, "; output: {output:?}")?;
                }
                Ok(())
            }
            ToolError::Io { tool, source } => {
                write!(f, "could not run hook tool `{tool}`: {source}")
            }
        }
    }
}

impl std::error::Error for ToolError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ToolError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_settings_but_not_options() {
        let args: Vec<String> = ["--format=json", "-r", "db:1", "a=b=c", "k="]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            redact_args(&args),
            [
                "--format=json",
                "-r",
                "db:1",
                "a=<redacted>",
                "k=<redacted>"
            ]
        );
    }

    #[test]
    fn scrubs_secrets_from_stderr() {
        let err = ToolError::failed(
            "leader-set",
            &["password=hunter2"],
            Some(1),
            b"ERROR bad value hunter2\n",
            &[],
        );
        let text = err.to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!format!("{err:?}").contains("hunter2"));
    }

    #[test]
    fn truncates_on_char_boundary() {
        let mut text = "é".repeat(300);
        truncate_chars(&mut text, 200);
        assert_eq!(text.chars().count(), 201);
    }
}
