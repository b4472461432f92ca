//! Errors about the charm's own files (`metadata.yaml`, `config.yaml`), and
//! reading them as YAML.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_norway::Value as Yaml;

/// A charm file that cannot be used: which file, which key, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CharmFileError {
    /// The file.
    pub file: PathBuf,
    /// The key at fault, dotted (`requires.db.interface`), when known.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl CharmFileError {
    /// An error about `file` (and `key`).
    pub fn new(file: &Path, key: Option<String>, message: impl Into<String>) -> Self {
        CharmFileError {
            file: file.to_path_buf(),
            key,
            message: message.into(),
        }
    }
}

impl fmt::Display for CharmFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(key) = &self.key {
            write!(f, ": `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for CharmFileError {}

/// Parse `text` as YAML; a syntax error names `file` and the position.
/// Collections nested deeper than
/// [`MAX_YAML_FLOW_DEPTH`](reactive_grammar::yaml_nesting::MAX_YAML_FLOW_DEPTH)
/// are refused before parsing, in time linear in the text (the parser
/// would take time quadratic in the depth to refuse them).
pub fn parse_yaml(text: &str, file: &Path) -> Result<Yaml, CharmFileError> {
    reactive_grammar::yaml_nesting::check_yaml_nesting(text)
        .map_err(|e| CharmFileError::new(file, None, format!("is refused: {e}")))?;
    serde_norway::from_str(text).map_err(|e| {
        let at = e
            .location()
            .map(|l| format!(" at line {}, column {}", l.line(), l.column()))
            .unwrap_or_default();
        CharmFileError::new(file, None, format!("is not valid YAML{at}: {e}"))
    })
}

/// Read `path` as text; an error names it.
pub(crate) fn read_text(path: &Path) -> Result<String, CharmFileError> {
    std::fs::read_to_string(path)
        .map_err(|e| CharmFileError::new(path, None, format!("cannot be read: {e}")))
}
