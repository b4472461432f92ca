//! Log levels and the sinks that receive a hook's log lines.
//!
//! In production every line goes to `juju-log` (and errors to stderr too);
//! in tests and the harness a [`MemoryLog`] keeps them for inspection.

use std::fmt;
use std::sync::{Arc, Mutex};

/// The levels `juju-log -l` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// Detail for debugging (the tracer's level).
    Debug,
    /// Normal progress, e.g. each handler invoked.
    Info,
    /// Something looks wrong but the hook goes on.
    Warning,
    /// The hook fails.
    Error,
}

impl LogLevel {
    /// The name `juju-log -l` expects.
    pub const fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "DEBUG",
            LogLevel::Info => "INFO",
            LogLevel::Warning => "WARNING",
            LogLevel::Error => "ERROR",
        }
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a context's log lines go.
pub trait LogSink: Send {
    /// Record one log line.
    fn log(&mut self, level: LogLevel, message: &str);
}

/// One recorded log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    /// Its level.
    pub level: LogLevel,
    /// Its text.
    pub message: String,
}

/// A sink that keeps every line in memory; clones share the same lines.
///
/// ```
/// use reactive_core::log::{LogLevel, LogSink, MemoryLog};
/// let log = MemoryLog::default();
/// let mut sink = log.clone();
/// sink.log(LogLevel::Info, "hello");
/// assert_eq!(log.messages(), vec!["hello".to_string()]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryLog {
    records: Arc<Mutex<Vec<LogRecord>>>,
}

impl MemoryLog {
    /// Every line recorded so far.
    pub fn records(&self) -> Vec<LogRecord> {
        self.records
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The text of every line recorded so far.
    pub fn messages(&self) -> Vec<String> {
        self.records().into_iter().map(|r| r.message).collect()
    }

    /// The text of every line at `level`.
    pub fn messages_at(&self, level: LogLevel) -> Vec<String> {
        self.records()
            .into_iter()
            .filter(|r| r.level == level)
            .map(|r| r.message)
            .collect()
    }

    /// Forget every line.
    pub fn clear(&self) {
        self.records
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clear();
    }
}

impl LogSink for MemoryLog {
    fn log(&mut self, level: LogLevel, message: &str) {
        self.records
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(LogRecord {
                level,
                message: message.to_string(),
            });
    }
}

/// A sink that drops every line.
#[derive(Debug, Clone, Copy, Default)]
pub struct NullLog;

impl LogSink for NullLog {
    fn log(&mut self, _level: LogLevel, _message: &str) {}
}

/// A sink that writes every line to standard error as `LEVEL: message`.
#[derive(Debug, Clone, Copy, Default)]
pub struct StderrLog;

impl LogSink for StderrLog {
    fn log(&mut self, level: LogLevel, message: &str) {
        eprintln!("{level}: {message}");
    }
}
