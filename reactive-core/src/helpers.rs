//! Change detection and run-once helpers, persisted in the unit state
//! under charms.reactive's keys so that a unit keeps them across a change
//! of charm language.

use std::fmt;
use std::path::PathBuf;

use md5::{Digest, Md5};
use serde_json::Value;

use crate::log::LogLevel;
use crate::pyjson;
use crate::unit_state::StateError;
use crate::Context;

pub(crate) const DATA_CHANGED_PREFIX: &str = "reactive.data_changed.";
const FILES_CHANGED_PREFIX: &str = "reactive.files_changed.";
const INVOKED_PREFIX: &str = "reactive.invoked.";

/// A file whose hash was wanted could not be read.
#[derive(Debug)]
pub struct FileHashError {
    /// The file.
    pub path: PathBuf,
    /// Why it could not be read.
    pub source: std::io::Error,
}

impl fmt::Display for FileHashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot read `{}` to hash it: {}",
            self.path.display(),
            self.source
        )
    }
}

impl std::error::Error for FileHashError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Why a change check failed.
#[derive(Debug)]
pub enum ChangeCheckError {
    /// The unit state could not be read.
    State(StateError),
    /// A file could not be read.
    File(FileHashError),
}

impl fmt::Display for ChangeCheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChangeCheckError::State(e) => write!(f, "{e}"),
            ChangeCheckError::File(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ChangeCheckError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ChangeCheckError::State(e) => Some(e),
            ChangeCheckError::File(e) => Some(e),
        }
    }
}

impl From<StateError> for ChangeCheckError {
    fn from(e: StateError) -> Self {
        ChangeCheckError::State(e)
    }
}

/// The md5 hex digest of `bytes`.
pub(crate) fn md5_hex_bytes(bytes: &[u8]) -> String {
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Context {
    /// Whether `data` differs from what was last given for `data_id`;
    /// remembers `data` either way (charms.reactive's `data_changed`).
    ///
    /// The data is compared by the md5 hash of its Python-style sorted JSON,
    /// stored under `reactive.data_changed.<data_id>`.
    ///
    /// ```
    /// use reactive_core::Context;
    /// use serde_json::json;
    /// let mut ctx = Context::in_memory("config-changed");
    /// assert!(ctx.data_changed("db", &json!({"host": "a"})).unwrap());
    /// assert!(!ctx.data_changed("db", &json!({"host": "a"})).unwrap());
    /// assert!(ctx.data_changed("db", &json!({"host": "b"})).unwrap());
    /// ```
    pub fn data_changed(&mut self, data_id: &str, data: &Value) -> Result<bool, StateError> {
        let key = format!("{DATA_CHANGED_PREFIX}{data_id}");
        let new_hash = pyjson::md5_hex(data);
        let changed = self.unit_state().get(&key)? != Some(Value::String(new_hash.clone()));
        if changed {
            self.unit_state().set(&key, Value::String(new_hash));
        }
        Ok(changed)
    }

    /// Whether `data` differs from what was last given to
    /// [`Context::data_changed`] for `data_id`, without remembering it.
    pub fn is_data_changed(&mut self, data_id: &str, data: &Value) -> Result<bool, StateError> {
        let key = format!("{DATA_CHANGED_PREFIX}{data_id}");
        let new_hash = pyjson::md5_hex(data);
        Ok(self.unit_state().get(&key)? != Some(Value::String(new_hash)))
    }

    /// Whether any of `paths` changed (content md5, or appearing or
    /// vanishing) since last checked; every hash is updated.
    ///
    /// Relative paths are read relative to the charm directory when the hook
    /// gives one; the stored key uses the path as given
    /// (`reactive.files_changed.<path>`), as charms.reactive does.
    pub fn any_file_changed(&mut self, paths: &[&str]) -> Result<bool, ChangeCheckError> {
        let mut changed = false;
        for path in paths {
            let full = match &self.hook().charm_dir {
                Some(dir) => dir.join(path),
                None => PathBuf::from(path),
            };
            let new_hash = match std::fs::read(&full) {
                Ok(bytes) => Value::String(md5_hex_bytes(&bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Value::Null,
                Err(source) => {
                    return Err(ChangeCheckError::File(FileHashError { path: full, source }))
                }
            };
            let key = format!("{FILES_CHANGED_PREFIX}{path}");
            let old_hash = self.unit_state().get(&key)?.unwrap_or(Value::Null);
            if old_hash != new_hash {
                self.unit_state().set(&key, new_hash);
                changed = true;
            }
        }
        Ok(changed)
    }

    /// Whether [`Context::mark_invoked`] was called for `invocation_id` in
    /// this or an earlier successful hook.
    pub fn was_invoked(&mut self, invocation_id: &str) -> Result<bool, StateError> {
        let key = format!("{INVOKED_PREFIX}{invocation_id}");
        Ok(matches!(self.unit_state().get(&key)?, Some(v) if is_truthy(&v)))
    }

    /// Remember that `invocation_id` ran (`reactive.invoked.<id>` = true).
    pub fn mark_invoked(&mut self, invocation_id: &str) {
        let key = format!("{INVOKED_PREFIX}{invocation_id}");
        self.unit_state().set(&key, Value::Bool(true));
    }

    /// Log a warning when any of `flags` is unset: the guard that
    /// `#[not_unless]` puts at the top of a function.
    pub fn check_not_unless(&self, handler_id: &str, flags: &[&str]) {
        let missing: Vec<&str> = flags
            .iter()
            .copied()
            .filter(|f| !self.is_flag_set(f))
            .collect();
        if missing.is_empty() {
            return;
        }
        let plural = if missing.len() > 1 { "s" } else { "" };
        let message = format!(
            "{handler_id} called before flag{plural}: {}",
            missing.join(", ")
        );
        self.log(LogLevel::Warning, &message);
    }
}

/// Python truthiness of a stored JSON value.
fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}
