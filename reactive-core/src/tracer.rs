//! The dispatch tracer: an account of what the flag engine did and why.
//!
//! When enabled (see [`Context::set_tracing`](crate::Context::set_tracing),
//! or `REACTIVE_TRACE=1` for a charm binary), the tracer logs at DEBUG level:
//! the start of dispatch with every set flag, the start of each phase and
//! iteration with the handlers queued, and each flag set or cleared with the
//! handlers that change queued or dequeued. Lines are grouped into one log
//! message per event (as charms.reactive's `LogTracer` does), so tracing
//! costs one `juju-log` call per event, and nothing when off.

/// Collects tracer lines until they are flushed to the log.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tracer {
    enabled: bool,
    lines: Vec<String>,
}

impl Tracer {
    pub(crate) fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
    }

    pub(crate) fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Queue one line.
    pub(crate) fn emit(&mut self, line: String) {
        if self.enabled {
            self.lines.push(format!("tracer: {line}"));
        }
    }

    /// Queue several lines.
    pub(crate) fn emit_all(&mut self, lines: impl IntoIterator<Item = String>) {
        for line in lines {
            self.emit(line);
        }
    }

    /// The queued lines as one message, if any.
    pub(crate) fn take_message(&mut self) -> Option<String> {
        if self.lines.is_empty() {
            return None;
        }
        let mut lines = std::mem::take(&mut self.lines);
        if lines.len() > 1 {
            lines.insert(0, "tracer>".to_string());
        }
        Some(lines.join("\n"))
    }
}
