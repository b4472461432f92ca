//! The config the previous successful hook saw, kept where charmhelpers
//! keeps it: the charm directory's `.juju-persistent-config` file.
//!
//! A Python reactive charm (charmhelpers' `hookenv.Config`) reads that file
//! at startup to tell which options changed, and rewrites it at the end of
//! every successful hook: the current config as JSON, plus the keys of the
//! previous file that the current config lacks, mode 0600. A unit can
//! therefore be refreshed from a Python build of a charm to its Rust build
//! and back without every option counting as changed.
//!
//! # Crash safety
//!
//! The file and the unit state must agree: the file describes the config as
//! of the last committed hook. The write goes:
//!
//! 1. the new content into `.juju-persistent-config.<uuid>.tmp`, fsynced;
//! 2. the temporary file's name into the unit state ([`PENDING_KEY`]), in
//!    the hook's one transaction;
//! 3. the rename over `.juju-persistent-config`, then an fsync of the
//!    directory.
//!
//! A crash before 2 leaves an orphan temporary file (removed by the next
//! write) and the unit state as before the hook: the retry compares with the
//! old file, as it should. A crash between 2 and 3 leaves the committed
//! state naming a temporary file that still exists: the next hook renames it
//! into place before reading it ("rolls forward"), so the retry compares with
//! the config the committed state has seen. The file is rewritten only when
//! its content would change.
//!
//! # Units run by an earlier reactive-rs
//!
//! Earlier versions kept the previous config in the unit state under
//! [`LEGACY_KEY`]. When there is no file, that key is read once (and
//! removed in the same hook as the file is written).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::log::LogLevel;
use crate::pyjson::{from_python_json, to_python_json};
use crate::unit_state::StateError;
use crate::Context;

/// charmhelpers' name of the file (`hookenv.Config.CONFIG_FILE_NAME`).
pub const CONFIG_FILE_NAME: &str = ".juju-persistent-config";
/// The unit-state key where earlier versions kept the previous config; read
/// once for migration, never written to a file-backed unit.
pub const LEGACY_KEY: &str = "reactive.config.previous";
/// The unit-state key naming the temporary file of the last committed
/// write (see the module documentation).
pub const PENDING_KEY: &str = "reactive.config.pending-file";

/// Files bigger than this are not read (reported, then treated as absent).
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
const TEMP_SUFFIX: &str = ".tmp";

/// Where the config seen by the previous successful hook is kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PreviousConfigStore {
    /// In the unit state under [`LEGACY_KEY`]: for units with no charm
    /// directory on disk (in-process tests and simulations).
    #[default]
    UnitState,
    /// In charmhelpers' file, at this path (normally
    /// `$CHARM_DIR/.juju-persistent-config`).
    File(PathBuf),
}

impl PreviousConfigStore {
    /// charmhelpers' file in `charm_dir`.
    ///
    /// ```
    /// use reactive_core::runtime::persistent_config::PreviousConfigStore;
    /// let store = PreviousConfigStore::in_charm_dir("/var/lib/juju/agents/unit-a-0/charm".as_ref());
    /// assert_eq!(
    ///     store,
    ///     PreviousConfigStore::File("/var/lib/juju/agents/unit-a-0/charm/.juju-persistent-config".into())
    /// );
    /// ```
    pub fn in_charm_dir(charm_dir: &Path) -> Self {
        PreviousConfigStore::File(charm_dir.join(CONFIG_FILE_NAME))
    }
}

/// The persistent config file could not be read, written or renamed.
#[derive(Debug)]
pub struct PersistentConfigError {
    /// The file involved.
    pub file: PathBuf,
    /// What was being done (`"read"`, `"write"`, `"rename into place"`...).
    pub action: &'static str,
    /// The underlying error.
    pub source: std::io::Error,
}

impl std::fmt::Display for PersistentConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot {} the persistent config {}: {}",
            self.action,
            self.file.display(),
            self.source
        )
    }
}

impl std::error::Error for PersistentConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Why the previous config could not be had.
#[derive(Debug)]
pub enum LoadError {
    /// The file could not be read or rolled forward.
    File(PersistentConfigError),
    /// The unit state could not be read.
    State(StateError),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::File(e) => write!(f, "{e}"),
            LoadError::State(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoadError::File(e) => Some(e),
            LoadError::State(e) => Some(e),
        }
    }
}

impl From<StateError> for LoadError {
    fn from(e: StateError) -> Self {
        LoadError::State(e)
    }
}

/// The previous config as loaded at startup.
#[derive(Debug, Clone, Default)]
pub struct PreviousConfig {
    /// The config the previous successful hook saw (`None`: no record, every
    /// option counts as changed).
    pub values: Option<Map<String, Value>>,
    /// What the file held (`None`: missing, empty or unreadable).
    file_values: Option<Map<String, Value>>,
    /// Whether the unit state holds [`LEGACY_KEY`].
    legacy_present: bool,
}

/// Read the previous config from `store`, first completing a write the
/// previous hook committed but did not rename into place.
///
/// As charmhelpers: a missing or empty file means no previous config; a
/// file that is not a JSON object is reported at ERROR (naming the file) and
/// also means no previous config.
pub fn load(ctx: &mut Context, store: &PreviousConfigStore) -> Result<PreviousConfig, LoadError> {
    let legacy_value = ctx.unit_state().get(LEGACY_KEY)?;
    let legacy_present = legacy_value.is_some();
    let legacy = match legacy_value {
        Some(Value::Object(map)) => Some(map),
        _ => None,
    };
    let path = match store {
        PreviousConfigStore::UnitState => {
            return Ok(PreviousConfig {
                values: legacy,
                file_values: None,
                legacy_present,
            })
        }
        PreviousConfigStore::File(path) => path,
    };
    roll_forward(ctx, path)?;
    let file_values = read_file(ctx, path).map_err(LoadError::File)?;
    let values = file_values.clone().or(legacy);
    Ok(PreviousConfig {
        values,
        file_values,
        legacy_present,
    })
}

/// Rename the temporary file named by [`PENDING_KEY`] into place, if it is
/// still there.
fn roll_forward(ctx: &mut Context, path: &Path) -> Result<(), LoadError> {
    let Some(Value::String(name)) = ctx.unit_state().get(PENDING_KEY)? else {
        return Ok(());
    };
    if !is_temp_name(&name) {
        ctx.log(
            LogLevel::Warning,
            &format!(
                "ignoring `{PENDING_KEY}`: `{name}` is not a persistent config temporary file"
            ),
        );
        return Ok(());
    }
    let dir = parent(path);
    let temp = dir.join(&name);
    if !temp.exists() {
        return Ok(());
    }
    std::fs::rename(&temp, path).map_err(|source| {
        LoadError::File(PersistentConfigError {
            file: temp.clone(),
            action: "rename into place",
            source,
        })
    })?;
    sync_dir(dir, path).map_err(LoadError::File)?;
    ctx.log(
        LogLevel::Info,
        &format!(
            "completed the interrupted write of {} from {name}",
            path.display()
        ),
    );
    Ok(())
}

fn read_file(
    ctx: &Context,
    path: &Path,
) -> Result<Option<Map<String, Value>>, PersistentConfigError> {
    let err = |action, source| PersistentConfigError {
        file: path.to_path_buf(),
        action,
        source,
    };
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(err("read", e)),
    };
    let len = file.metadata().map_err(|e| err("read", e))?.len();
    if len == 0 {
        return Ok(None);
    }
    let bad = |why: String| {
        ctx.log(
            LogLevel::Error,
            &format!(
                "the previous config in {} cannot be used ({why}); every option counts as changed",
                path.display()
            ),
        );
        Ok(None)
    };
    if len > MAX_FILE_BYTES {
        return bad(format!("{len} bytes, more than {MAX_FILE_BYTES}"));
    }
    let mut text = String::new();
    if let Err(e) = file.take(MAX_FILE_BYTES).read_to_string(&mut text) {
        if e.kind() == std::io::ErrorKind::InvalidData {
            return bad("not UTF-8 text".into());
        }
        return Err(err("read", e));
    }
    match from_python_json(&text) {
        Ok(Value::Object(map)) => Ok(Some(map)),
        Ok(_) => bad("not a JSON object".into()),
        Err(e) => bad(format!("not JSON: {e}")),
    }
}

/// What charmhelpers would save at the end of this hook: the current config
/// plus the previous keys it lacks.
pub fn to_save(
    current: &Map<String, Value>,
    previous: Option<&Map<String, Value>>,
) -> Map<String, Value> {
    let mut saved = current.clone();
    if let Some(previous) = previous {
        for (key, value) in previous {
            saved.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }
    saved
}

/// A write prepared before the commit, completed after it.
#[derive(Debug)]
pub struct PendingWrite {
    temp: PathBuf,
    path: PathBuf,
}

/// Before the commit: record `saved` as the config of this hook. For
/// [`PreviousConfigStore::UnitState`] it is set under [`LEGACY_KEY`]; for a
/// file, when its content would change, the temporary file is written and
/// fsynced, its name set under [`PENDING_KEY`], and the legacy key unset.
pub fn prepare(
    ctx: &mut Context,
    store: &PreviousConfigStore,
    previous: &PreviousConfig,
    saved: Map<String, Value>,
) -> Result<Option<PendingWrite>, PersistentConfigError> {
    prepare_with(ctx, store, previous, saved, |file, bytes| {
        file.write_all(bytes).and_then(|()| file.sync_all())
    })
}

/// [`prepare`] with the writing (and syncing) of the temporary file given
/// (tests inject a full disk).
fn prepare_with(
    ctx: &mut Context,
    store: &PreviousConfigStore,
    previous: &PreviousConfig,
    saved: Map<String, Value>,
    write: impl FnOnce(&mut std::fs::File, &[u8]) -> std::io::Result<()>,
) -> Result<Option<PendingWrite>, PersistentConfigError> {
    let path = match store {
        PreviousConfigStore::UnitState => {
            ctx.unit_state().set(LEGACY_KEY, Value::Object(saved));
            return Ok(None);
        }
        PreviousConfigStore::File(path) => path,
    };
    if previous.legacy_present {
        ctx.unit_state().unset(LEGACY_KEY);
    }
    let unchanged = previous
        .file_values
        .as_ref()
        .is_some_and(|old| same_config(old, &saved));
    if unchanged {
        return Ok(None);
    }
    let dir = parent(path);
    remove_orphans(dir);
    let name = format!(
        "{}.{}{TEMP_SUFFIX}",
        file_name(path),
        uuid::Uuid::new_v4().simple()
    );
    let temp = dir.join(&name);
    let err = |action, source| PersistentConfigError {
        file: temp.clone(),
        action,
        source,
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temp)
        .map_err(|e| err("create", e))?;
    let text = to_python_json(&Value::Object(saved));
    let written = write(&mut file, text.as_bytes());
    if let Err(e) = written {
        drop(file);
        let _ = std::fs::remove_file(&temp);
        return Err(err("write", e));
    }
    ctx.unit_state().set(PENDING_KEY, Value::String(name));
    Ok(Some(PendingWrite {
        temp,
        path: path.clone(),
    }))
}

impl PendingWrite {
    /// After a successful commit: rename the file into place and fsync the
    /// directory. On failure the next hook completes it (the committed
    /// state names the temporary file).
    pub fn complete(self) -> Result<(), PersistentConfigError> {
        std::fs::rename(&self.temp, &self.path).map_err(|source| PersistentConfigError {
            file: self.temp.clone(),
            action: "rename into place",
            source,
        })?;
        sync_dir(parent(&self.path), &self.path)
    }

    /// After a failed commit: remove the temporary file.
    pub fn abandon(self) {
        let _ = std::fs::remove_file(&self.temp);
    }
}

/// Python's `==` on two configs: numbers compare by value (`1 == 1.0`,
/// `True == 1`).
pub fn same_config(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    a.len() == b.len()
        && a.iter()
            .all(|(k, v)| b.get(k).is_some_and(|w| python_eq(v, w)))
}

/// Python's `==` on two JSON values as `json.load` gives them.
pub fn python_eq(a: &Value, b: &Value) -> bool {
    fn number(v: &Value) -> Option<f64> {
        match v {
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            Value::Number(n) => n.as_f64(),
            _ => None,
        }
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => match (x.as_u64(), y.as_u64()) {
                (Some(x), Some(y)) => x == y,
                _ => number(a) == number(b),
            },
        },
        (Value::Bool(_), Value::Number(_)) | (Value::Number(_), Value::Bool(_)) => {
            number(a) == number(b)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| python_eq(v, w))
        }
        (Value::Object(x), Value::Object(y)) => same_config(x, y),
        _ => a == b,
    }
}

/// Python's truth value of a JSON value (`bool(value)`).
pub fn python_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| CONFIG_FILE_NAME.to_string())
}

fn is_temp_name(name: &str) -> bool {
    name.starts_with(CONFIG_FILE_NAME)
        && name.ends_with(TEMP_SUFFIX)
        && name.len() > CONFIG_FILE_NAME.len() + TEMP_SUFFIX.len()
        && !name.contains('/')
}

/// Remove the temporary files of writes whose hook never committed (only
/// ever run before a new write, so a crash leaves at most a few behind).
fn remove_orphans(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if is_temp_name(&name.to_string_lossy()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn sync_dir(dir: &Path, path: &Path) -> Result<(), PersistentConfigError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| PersistentConfigError {
            file: path.to_path_buf(),
            action: "sync the directory of",
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_full_disk_leaves_the_file_no_temporary_file_and_no_pending_name() {
        let dir =
            std::env::temp_dir().join(format!("persistent-config-full-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(".juju-persistent-config");
        std::fs::write(&path, r#"{"port": 1}"#).unwrap();
        let store = PreviousConfigStore::File(path.clone());
        let mut ctx = Context::in_memory("config-changed");
        let previous = load(&mut ctx, &store).unwrap();
        let saved = json!({"port": 2}).as_object().cloned().unwrap();
        let full = |file: &mut std::fs::File, bytes: &[u8]| {
            file.write_all(&bytes[..bytes.len() / 2])?;
            Err(std::io::Error::from_raw_os_error(28))
        };
        let e = prepare_with(&mut ctx, &store, &previous, saved, full).unwrap_err();
        assert_eq!(e.source.kind(), std::io::ErrorKind::StorageFull);
        let message = e.to_string();
        assert!(
            message.contains(".juju-persistent-config."),
            "names the file: {message}"
        );
        let left: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            left,
            [".juju-persistent-config"],
            "temporary files left behind"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), r#"{"port": 1}"#);
        assert_eq!(ctx.unit_state().get(PENDING_KEY).unwrap(), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
