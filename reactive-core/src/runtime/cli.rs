//! The charm binary as a command-line tool, when run outside a hook: for
//! operators (`juju exec`, `juju debug-hooks`) and charm authors.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;

use crate::flags::FLAG_KEY_PREFIX;
use crate::metadata::CharmMetadata;
use crate::registry::{ConditionKind, HandlerKind, Registry, RegistryBuilder};
use crate::unit_state::UnitState;

/// Where the dispatch loop records which flags each handler was seen to
/// set, for `graph`.
pub const OBSERVED_SETS_KEY: &str = "reactive.graph.observed_sets";

const HELP: &str = "\
A Juju charm built with reactive-rs.

Run by Juju (as `dispatch` or `hooks/<name>`) it runs the hook. Run by hand
it takes one of these commands:

  flags                    list the unit's flags and their values
  handlers                 list the charm's handlers, their conditions and ids
  graph                    print flags and handlers as a Graphviz DOT graph
  set-flag NAME [VALUE]    set a flag (VALUE is JSON, or else a string)
  clear-flag NAME          clear a flag
  --help                   show this text

The unit state is `$UNIT_STATE_DB`, else `$CHARM_DIR/.unit-state.db`, else
`.unit-state.db` in the working directory. Set REACTIVE_TRACE=1 in a hook
to log the dispatch tracer's account.
";

/// Run a command; returns the exit code (0 ok, 1 failure, 2 usage).
pub fn run_cli(
    program: &str,
    args: &[String],
    env: &dyn Fn(&str) -> Option<String>,
    registry: RegistryBuilder,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let result = match args.first().map(String::as_str) {
        None => {
            let _ = write!(err, "{HELP}");
            return 2;
        }
        Some("--help" | "-h" | "help") => write!(out, "{HELP}").map_err(|e| e.to_string()),
        Some("flags") => flags(env, out),
        Some("handlers") => handlers(env, registry, out),
        Some("graph") => graph(env, registry, out),
        Some("set-flag") => match &args[1..] {
            [name] => set_flag(env, name, Value::Null),
            [name, value] => set_flag(
                env,
                name,
                serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.clone())),
            ),
            _ => Err(format!("usage: {program} set-flag NAME [VALUE]")),
        },
        Some("clear-flag") => match &args[1..] {
            [name] => clear_flag(env, name),
            _ => Err(format!("usage: {program} clear-flag NAME")),
        },
        Some(other) => {
            let _ = writeln!(
                err,
                "unknown command `{other}`; run `{program} --help` for the commands"
            );
            return 2;
        }
    };
    match result {
        Ok(()) => 0,
        Err(message) => {
            let _ = writeln!(err, "error: {message}");
            1
        }
    }
}

fn charm_dir(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    env("JUJU_CHARM_DIR")
        .or_else(|| env("CHARM_DIR"))
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("."))
}

fn open_state(env: &dyn Fn(&str) -> Option<String>) -> Result<UnitState, String> {
    let path = UnitState::locate(env).unwrap_or_else(|| charm_dir(env).join(".unit-state.db"));
    UnitState::open(&path).map_err(|e| e.to_string())
}

fn load_registry(
    env: &dyn Fn(&str) -> Option<String>,
    registry: RegistryBuilder,
) -> Result<Registry, String> {
    let registry = match CharmMetadata::load(&charm_dir(env)) {
        Ok(meta) => registry.metadata(Arc::new(meta)),
        Err(_) => registry,
    };
    registry.build().map_err(|e| e.to_string())
}

fn flags(env: &dyn Fn(&str) -> Option<String>, out: &mut dyn Write) -> Result<(), String> {
    let mut state = open_state(env)?;
    for (key, value) in state
        .get_range(FLAG_KEY_PREFIX)
        .map_err(|e| e.to_string())?
    {
        let flag = &key[FLAG_KEY_PREFIX.len()..];
        writeln!(out, "{flag}\t{}", crate::pyjson::to_python_json(&value))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn set_flag(env: &dyn Fn(&str) -> Option<String>, name: &str, value: Value) -> Result<(), String> {
    reactive_grammar::flag::check_flag(name).map_err(|e| e.to_string())?;
    let mut state = open_state(env)?;
    state.set(&format!("{FLAG_KEY_PREFIX}{name}"), value);
    state.commit().map_err(|e| e.to_string())
}

fn clear_flag(env: &dyn Fn(&str) -> Option<String>, name: &str) -> Result<(), String> {
    let mut state = open_state(env)?;
    state.unset(&format!("{FLAG_KEY_PREFIX}{name}"));
    state.commit().map_err(|e| e.to_string())
}

fn describe_kind(kind: ConditionKind) -> &'static str {
    match kind {
        ConditionKind::All => "when_all",
        ConditionKind::Any => "when_any",
        ConditionKind::None => "when_none",
        ConditionKind::NotAll => "when_not_all",
    }
}

fn handlers(
    env: &dyn Fn(&str) -> Option<String>,
    registry: RegistryBuilder,
    out: &mut dyn Write,
) -> Result<(), String> {
    let registry = load_registry(env, registry)?;
    for entry in registry.handlers() {
        let mut conditions: Vec<String> = entry
            .conditions()
            .iter()
            .map(|c| format!("{}({})", describe_kind(c.kind), c.flags.join(", ")))
            .collect();
        match entry.kind() {
            HandlerKind::Hook => conditions.push(format!(
                "hook({})",
                entry
                    .hook_patterns()
                    .iter()
                    .map(|p| p.as_str().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            HandlerKind::Restricted(hook) => conditions.push(hook.hook_name().replace('-', "_")),
            HandlerKind::Action(name) => conditions.push(format!("action({name})")),
            HandlerKind::Flags | HandlerKind::Unconditioned => {}
        }
        let descriptor = entry.descriptor();
        if !descriptor.files_changed.is_empty() {
            conditions.push(format!(
                "when_file_changed({})",
                descriptor.files_changed.join(", ")
            ));
        }
        if descriptor.only_once {
            conditions.push("only_once".to_string());
        }
        writeln!(out, "{}\t{}", entry.id(), conditions.join(" ")).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn dot_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn graph(
    env: &dyn Fn(&str) -> Option<String>,
    registry: RegistryBuilder,
    out: &mut dyn Write,
) -> Result<(), String> {
    let registry = load_registry(env, registry)?;
    let observed = open_state(env)
        .ok()
        .and_then(|mut s| s.get(OBSERVED_SETS_KEY).ok().flatten())
        .unwrap_or(Value::Null);
    let mut text = String::from("digraph reactive {\n  rankdir=LR;\n");
    let mut flags = std::collections::BTreeSet::new();
    for entry in registry.handlers() {
        text.push_str(&format!("  {} [shape=box];\n", dot_quote(entry.id())));
        for condition in entry.conditions() {
            let negated = matches!(condition.kind, ConditionKind::None | ConditionKind::NotAll);
            for flag in &condition.flags {
                flags.insert(flag.clone());
                let style = if negated {
                    " [style=dashed, label=\"not\"]"
                } else {
                    ""
                };
                text.push_str(&format!(
                    "  {} -> {}{style};\n",
                    dot_quote(flag),
                    dot_quote(entry.id())
                ));
            }
        }
        if let Some(Value::Array(sets)) = observed.get(entry.id()) {
            for flag in sets.iter().filter_map(Value::as_str) {
                flags.insert(flag.to_string());
                text.push_str(&format!(
                    "  {} -> {} [color=blue];\n",
                    dot_quote(entry.id()),
                    dot_quote(flag)
                ));
            }
        }
    }
    for flag in flags {
        text.push_str(&format!("  {} [shape=ellipse];\n", dot_quote(&flag)));
    }
    text.push_str("}\n");
    out.write_all(text.as_bytes()).map_err(|e| e.to_string())
}
