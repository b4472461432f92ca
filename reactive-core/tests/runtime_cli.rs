//! The charm binary's command-line interface (`run_cli`): listing the
//! handlers and flags, setting and clearing flags, the handler graph;
//! a harness made from a charm directory, and one given a selection of no
//! handler.

use std::path::{Path, PathBuf};

use reactive_core::prelude::*;
use reactive_core::runtime::cli::{run_cli, OBSERVED_SETS_KEY};
use reactive_core::UnitState;
use reactive_testing::harness::Harness;
use serde_json::{json, Value};

mod common;
use common::TempDir;

fn prefix(module: &str) -> reactive_core::registry::RegistryBuilder {
    Registry::builder().module_prefix(&format!("runtime_cli::{module}"))
}

// ---- the command-line interface ----------------------------------------------------------

mod cli_charm {
    use super::*;

    #[when("db.ready", "cache.ready")]
    #[when_not("app.configured")]
    fn configure() {}

    #[hook("install")]
    fn install() {}

    #[when_any("a", "b")]
    #[only_once]
    fn any_once() {}

    #[collect_metrics]
    fn metrics() {}

    #[when_file_changed("app.conf")]
    fn conf_changed() {}

    #[when_not_all("a", "b")]
    fn not_all() {}
}

/// A charm directory with a unit state DB, removed when dropped.
struct CharmDir(TempDir);

impl CharmDir {
    fn new(test: &str) -> CharmDir {
        let dir = TempDir::new(test);
        std::fs::write(dir.0.join("metadata.yaml"), "name: cli-charm\n").unwrap();
        CharmDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0 .0
    }

    fn db(&self) -> PathBuf {
        self.path().join("state.db")
    }

    fn cli(&self, args: &[&str]) -> (i32, String, String) {
        let db = self.db().to_string_lossy().into_owned();
        let charm_dir = self.path().to_string_lossy().into_owned();
        let env = move |name: &str| match name {
            "UNIT_STATE_DB" => Some(db.clone()),
            "JUJU_CHARM_DIR" => Some(charm_dir.clone()),
            _ => None,
        };
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run_cli(
            "my-charm",
            &args,
            &env,
            prefix("cli_charm"),
            &mut out,
            &mut err,
        );
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    fn state(&self) -> UnitState {
        UnitState::open(&self.db()).unwrap()
    }
}

#[test]
fn cli_help_lists_the_commands() {
    let dir = CharmDir::new("help");
    let (code, out, err) = dir.cli(&["--help"]);
    assert_eq!(code, 0);
    assert!(err.is_empty(), "{err}");
    for command in [
        "flags",
        "handlers",
        "graph",
        "set-flag NAME [VALUE]",
        "clear-flag NAME",
    ] {
        assert!(out.contains(command), "{command} missing from:\n{out}");
    }
}

#[test]
fn cli_without_arguments_is_a_usage_error() {
    let dir = CharmDir::new("no-args");
    let (code, out, err) = dir.cli(&[]);
    assert_eq!(code, 2);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("set-flag"), "{err}");
}

#[test]
fn cli_unknown_command_is_a_usage_error() {
    let dir = CharmDir::new("unknown");
    let (code, out, err) = dir.cli(&["frobnicate"]);
    assert_eq!(code, 2);
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("unknown command `frobnicate`") && err.contains("my-charm --help"),
        "{err}"
    );
}

#[test]
fn cli_flags_lists_flags_with_json_values() {
    let dir = CharmDir::new("flags");
    let mut state = dir.state();
    state.set(
        "reactive.states.db.ready",
        json!({"port": 5432, "host": "é"}),
    );
    state.set("reactive.states.app.installed", Value::Null);
    state.set("reactive.states.app.version", json!("1.0"));
    state.set("reactive.data_changed.x", json!("not a flag"));
    state.commit().unwrap();
    drop(state);
    let (code, out, err) = dir.cli(&["flags"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "app.installed\tnull\n\
         app.version\t\"1.0\"\n\
         db.ready\t{\"host\": \"\\u00e9\", \"port\": 5432}\n"
    );
}

#[test]
fn cli_set_flag_sets_a_flag_with_null_json_or_string_value() {
    let dir = CharmDir::new("set-flag");
    assert_eq!(dir.cli(&["set-flag", "app.blocked"]).0, 0);
    assert_eq!(dir.cli(&["set-flag", "app.port", "8080"]).0, 0);
    assert_eq!(
        dir.cli(&["set-flag", "app.conf", r#"{"a": [1, true]}"#]).0,
        0
    );
    assert_eq!(dir.cli(&["set-flag", "app.note", "hello world"]).0, 0);
    let mut state = dir.state();
    assert_eq!(
        state.get_range("reactive.states.").unwrap(),
        [
            ("reactive.states.app.blocked".to_string(), Value::Null),
            (
                "reactive.states.app.conf".to_string(),
                json!({"a": [1, true]})
            ),
            ("reactive.states.app.note".to_string(), json!("hello world")),
            ("reactive.states.app.port".to_string(), json!(8080)),
        ]
    );
    let (code, out, _) = dir.cli(&["flags"]);
    assert_eq!(code, 0);
    assert!(out.contains("app.note\t\"hello world\"\n"), "{out}");
}

#[test]
fn cli_set_flag_rejects_an_invalid_flag_name() {
    let dir = CharmDir::new("set-flag-invalid");
    for bad in ["bad..name", "has space", ".leading"] {
        let (code, out, err) = dir.cli(&["set-flag", bad]);
        assert_eq!(code, 1, "{bad}");
        assert!(out.is_empty());
        assert!(err.starts_with("error: "), "{err}");
        assert!(err.len() > "error: \n".len(), "{err}");
    }
    assert!(dir
        .state()
        .get_range("reactive.states.")
        .unwrap()
        .is_empty());
    let (code, _, err) = dir.cli(&["set-flag"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("usage: my-charm set-flag NAME [VALUE]"),
        "{err}"
    );
}

#[test]
fn cli_clear_flag_clears_a_flag() {
    let dir = CharmDir::new("clear-flag");
    dir.cli(&["set-flag", "a"]);
    dir.cli(&["set-flag", "b"]);
    let (code, _, err) = dir.cli(&["clear-flag", "a"]);
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = dir.cli(&["flags"]);
    assert_eq!(out, "b\tnull\n");
    assert_eq!(dir.cli(&["clear-flag", "never-set"]).0, 0);
    assert_eq!(dir.cli(&["clear-flag"]).0, 1);
}

fn cli_ids() -> Vec<String> {
    prefix("cli_charm")
        .build()
        .unwrap()
        .handlers()
        .iter()
        .map(|h| h.id().to_string())
        .collect()
}

fn id_of(name: &str) -> String {
    cli_ids()
        .into_iter()
        .find(|id| id.ends_with(&format!(":{name}")))
        .unwrap()
}

#[test]
fn cli_handlers_lists_ids_and_conditions() {
    let dir = CharmDir::new("handlers");
    let (code, out, err) = dir.cli(&["handlers"]);
    assert_eq!(code, 0, "{err}");
    let expected: String = [
        (
            "configure",
            "when_all(db.ready, cache.ready) when_none(app.configured)",
        ),
        ("install", "hook(install)"),
        ("any_once", "when_any(a, b) only_once"),
        ("metrics", "collect_metrics"),
        ("conf_changed", "when_file_changed(app.conf)"),
        ("not_all", "when_not_all(a, b)"),
    ]
    .iter()
    .map(|(name, conditions)| format!("{}\t{conditions}\n", id_of(name)))
    .collect();
    assert_eq!(out, expected);
    assert!(id_of("configure").starts_with("reactive-core/tests/runtime_cli.rs:"));
}

#[test]
fn cli_graph_prints_dot_with_flag_to_handler_edges() {
    let dir = CharmDir::new("graph");
    let (code, out, err) = dir.cli(&["graph"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("digraph reactive {\n"), "{out}");
    assert!(out.ends_with("}\n"), "{out}");
    let configure = id_of("configure");
    for edge in [
        format!("  \"db.ready\" -> \"{configure}\";"),
        format!("  \"cache.ready\" -> \"{configure}\";"),
        format!("  \"app.configured\" -> \"{configure}\" [style=dashed, label=\"not\"];"),
        format!("  \"a\" -> \"{}\";", id_of("any_once")),
        format!("  \"{configure}\" [shape=box];"),
        "  \"db.ready\" [shape=ellipse];".to_string(),
    ] {
        assert!(
            out.lines().any(|l| l == edge),
            "{edge} missing from:\n{out}"
        );
    }
    // Well-formed: every line between the braces is one statement.
    let body: Vec<&str> = out.lines().skip(1).take_while(|l| *l != "}").collect();
    assert_eq!(body.len() + 2, out.lines().count(), "{out}");
    for line in body {
        assert!(line.starts_with("  ") && line.ends_with(';'), "{line}");
        assert_eq!(line.matches('"').count() % 2, 0, "{line}");
    }
    // Edges name only handlers and flags declared as nodes.
    let edges = out.lines().filter(|l| l.contains(" -> ")).count();
    assert_eq!(edges, 7, "{out}");
}

#[test]
fn cli_graph_shows_observed_flag_sets() {
    let dir = CharmDir::new("graph-observed");
    let configure = id_of("configure");
    let mut state = dir.state();
    state.set(
        OBSERVED_SETS_KEY,
        json!({ configure.clone(): ["app.configured"] }),
    );
    state.commit().unwrap();
    drop(state);
    let (code, out, _) = dir.cli(&["graph"]);
    assert_eq!(code, 0);
    let edge = format!("  \"{configure}\" -> \"app.configured\" [color=blue];");
    assert!(
        out.lines().any(|l| l == edge),
        "{edge} missing from:\n{out}"
    );
}

#[test]
fn a_selection_of_no_handler_is_an_error_that_says_why() {
    let error = match Harness::from_yaml("name: app\n", "", prefix("no_such_module")) {
        Err(error) => error.to_string(),
        Ok(_) => panic!("a selection of no handler must not build"),
    };
    assert!(error.contains("runtime_cli::no_such_module"), "{error}");
    assert!(error.contains("selects no handler"), "{error}");
    let error = Registry::builder()
        .package("no-such-charm")
        .build()
        .unwrap_err()
        .to_string();
    assert!(error.contains("`no-such-charm`"), "{error}");
}

// ---- a charm directory ----------------------------------------------------------------

mod dir_charm {
    use super::*;

    #[when_file_changed("templates/app.conf")]
    fn conf_changed(ctx: &mut Context) {
        let n = ctx
            .flag_value("conf.seen")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        ctx.clear_flag("conf.seen");
        ctx.set_flag_value("conf.seen", n + 1);
    }

    #[when("config.changed.port")]
    fn port(ctx: &mut Context) {
        let port = ctx.config().get_i64("port");
        ctx.set_flag_value("app.port", port);
    }
}

#[test]
fn a_harness_reads_the_charm_directory() {
    let dir = CharmDir::new("harness-dir");
    std::fs::write(dir.path().join("metadata.yaml"), "name: from-dir\n").unwrap();
    std::fs::write(
        dir.path().join("config.yaml"),
        "options:\n  port: {type: int, default: 9100}\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("templates")).unwrap();
    std::fs::write(dir.path().join("templates/app.conf"), "v1").unwrap();
    let mut harness = Harness::from_charm_dir(dir.path(), prefix("dir_charm")).unwrap();
    assert_eq!(harness.unit_name(), "from-dir/0");
    harness.fire("install").unwrap();
    let conf_seen = |h: &mut Harness| {
        h.flag_values()
            .into_iter()
            .find(|(f, _)| f == "conf.seen")
            .map(|(_, v)| v)
    };
    assert_eq!(
        conf_seen(&mut harness),
        Some(json!(1)),
        "relative to the charm dir"
    );
    assert!(harness
        .flag_values()
        .contains(&("app.port".to_string(), json!(9100))));
    harness.fire("update-status").unwrap();
    assert_eq!(conf_seen(&mut harness), Some(json!(1)), "unchanged file");
    std::fs::write(dir.path().join("templates/app.conf"), "v2").unwrap();
    harness.fire("update-status").unwrap();
    assert_eq!(conf_seen(&mut harness), Some(json!(2)));
}
