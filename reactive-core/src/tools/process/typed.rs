//! Typed JSON output for the process backend: parse a tool's output into a
//! serde type without ever quoting the output of a tool that may print
//! secrets.

use serde::de::DeserializeOwned;

use super::ProcessTools;
use crate::tools::error::is_secret_output_tool;
use crate::tools::ToolError;

impl ProcessTools {
    /// Run `tool` and parse its JSON output as a `T`.
    pub(super) fn run_typed<T: DeserializeOwned>(
        &mut self,
        tool: &'static str,
        args: &[&str],
    ) -> Result<T, ToolError> {
        let parsed = self.run_json(tool, args)?;
        serde_json::from_value(parsed.value).map_err(|err| {
            // serde's messages may quote a value: for a tool whose output
            // may hold secrets, say only that the shape is wrong.
            let reason = if is_secret_output_tool(tool) {
                "output is not of the expected shape (details not shown)".to_string()
            } else {
                format!("output is not of the expected shape: {err}")
            };
            ToolError::bad_output(tool, args, &parsed.stdout, reason)
        })
    }

    /// Run `tool` and take its output as one line of text (trailing white
    /// space dropped); empty output is an error. `secrets` are scrubbed from
    /// its standard error should it fail.
    pub(super) fn run_text(
        &mut self,
        tool: &'static str,
        args: &[&str],
        secrets: &[&str],
    ) -> Result<String, ToolError> {
        let stdout = self.run(tool, args, None, secrets)?;
        let text = String::from_utf8(stdout.clone()).map_err(|_| {
            ToolError::bad_output(tool, args, &stdout, "output is not UTF-8".to_string())
        })?;
        let text = text.trim();
        if text.is_empty() {
            return Err(ToolError::bad_output(
                tool,
                args,
                &stdout,
                "empty output".to_string(),
            ));
        }
        Ok(text.to_string())
    }
}
