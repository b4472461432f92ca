//! The production hook-tool backend against scripted stand-ins for Juju's
//! tools, and the per-hook cache against a counting fake.
#![cfg(unix)]

use std::collections::HashMap;
use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use reactive_core::hook::{HookEnvError, HookInfo};
use reactive_core::log::LogLevel;
use reactive_core::tools::cache::CachedTools;
use reactive_core::tools::error::redact_args;
use reactive_core::tools::process::ProcessTools;
use reactive_core::tools::{DataBag, HookTools, Protocol, ToolError, WorkloadState};
use serde_json::{json, Value};

mod common;
use common::TempDir;

/// Writing an executable while another thread forks can leave the file open
/// for writing in the forked child until it execs, and exec'ing the file
/// then fails with "text file busy". Scripts are written under the write
/// lock; tools are run under the read lock.
static SPAWN_LOCK: RwLock<()> = RwLock::new(());

/// A unique directory of scripted tools, removed when dropped.
struct Tools {
    dir: TempDir,
}

impl Tools {
    fn new(test: &str) -> Tools {
        Tools {
            dir: TempDir::new(test),
        }
    }

    /// A tool that records its argv (NUL-separated) in `NAME.args` and its
    /// `PATH` in `NAME.path`, appends its name to `calls`, records its
    /// standard input in `NAME.stdin`, then runs `body` (with the system's
    /// directories added to its `PATH`, for `cat`).
    fn script(&self, name: &str, body: &str) -> &Self {
        self.script_in(&self.dir.0, name, body, true)
    }

    /// A tool that prints `output` and exits 0.
    fn prints(&self, name: &str, output: &str) -> &Self {
        let out = self.dir.0.join(format!("{name}.out"));
        std::fs::write(&out, output).unwrap();
        self.script(name, &format!("cat '{}'", out.display()))
    }

    fn script_in(&self, dir: &Path, name: &str, body: &str, read_stdin: bool) -> &Self {
        let d = self.dir.0.display();
        let stdin = if read_stdin {
            format!("cat > '{d}/{name}.stdin'\n")
        } else {
            String::new()
        };
        let text = format!(
            "#!/bin/sh\nprintf '%s\\0' \"$@\" > '{d}/{name}.args'\n\
             printf '%s\\n' \"$PATH\" > '{d}/{name}.path'\n\
             PATH=\"$PATH:/usr/bin:/bin\"\n\
             printf '%s\\n' '{name}' >> '{d}/calls'\n{stdin}{body}\n"
        );
        let path = dir.join(name);
        let _guard = SPAWN_LOCK.write().unwrap_or_else(|p| p.into_inner());
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        self
    }

    fn path(&self) -> OsString {
        self.dir.0.clone().into_os_string()
    }

    fn process(&self) -> ProcessTools {
        ProcessTools::new(Some(self.path()))
    }

    /// The argv the tool was last run with.
    fn args(&self, name: &str) -> Vec<String> {
        let raw = std::fs::read(self.dir.0.join(format!("{name}.args")))
            .unwrap_or_else(|e| panic!("{name} was not run: {e}"));
        let text = String::from_utf8(raw).unwrap();
        let mut args: Vec<String> = text.split('\0').map(str::to_string).collect();
        // printf '%s\0' with no arguments prints one empty field.
        if args.last().is_some_and(String::is_empty) {
            args.pop();
        }
        args
    }

    fn stdin(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.0.join(format!("{name}.stdin"))).unwrap()
    }

    /// Every tool run so far, in order.
    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.0.join("calls"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

/// Run `f` under the spawn lock (see [`SPAWN_LOCK`]).
fn run<T>(f: impl FnOnce() -> T) -> T {
    let _guard = SPAWN_LOCK.read().unwrap_or_else(|p| p.into_inner());
    f()
}

fn bag(pairs: &[(&str, &str)]) -> DataBag {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

// ---------------------------------------------------------------------------
// Command lines and output parsing, tool by tool.

#[test]
fn relation_ids() {
    let t = Tools::new("relation-ids");
    let mut tools = t.process();
    t.prints("relation-ids", "[\"db:1\", \"db:7\"]\n");
    assert_eq!(
        run(|| tools.relation_ids("db")).unwrap(),
        strings(&["db:1", "db:7"])
    );
    assert_eq!(t.args("relation-ids"), ["--format=json", "db"]);
    for empty in ["null\n", "[]\n", ""] {
        t.prints("relation-ids", empty);
        assert_eq!(
            run(|| tools.relation_ids("db")).unwrap(),
            Vec::<String>::new()
        );
    }
    t.prints("relation-ids", "{\"db\": 1}");
    let err = run(|| tools.relation_ids("db")).unwrap_err();
    assert!(matches!(err, ToolError::BadOutput { .. }), "{err}");
    t.prints("relation-ids", "[\"db:1\", 2]");
    let err = run(|| tools.relation_ids("db")).unwrap_err();
    assert!(matches!(err, ToolError::BadOutput { .. }), "{err}");
    assert_eq!(tools.calls(), 6);
}

#[test]
fn relation_ids_without_the_endpoint_prefix_get_it() {
    let t = Tools::new("relation-ids-prefix");
    let mut tools = t.process();
    t.prints("relation-ids", "[\"3\", \"db:7\"]\n");
    assert_eq!(
        run(|| tools.relation_ids("db")).unwrap(),
        strings(&["db:3", "db:7"])
    );
}

#[test]
fn relation_list() {
    let t = Tools::new("relation-list");
    let mut tools = t.process();
    t.prints("relation-list", "[\"pg/0\",\"pg/1\"]");
    assert_eq!(
        run(|| tools.relation_list("db:3")).unwrap(),
        strings(&["pg/0", "pg/1"])
    );
    assert_eq!(t.args("relation-list"), ["--format=json", "-r", "db:3"]);
    t.prints("relation-list", "null");
    assert!(run(|| tools.relation_list("db:3")).unwrap().is_empty());
    t.prints("relation-list", "[]");
    assert!(run(|| tools.relation_list("db:3")).unwrap().is_empty());
}

#[test]
fn a_list_tool_that_prints_something_else_says_what() {
    let t = Tools::new("relation-list");
    let mut tools = t.process();
    t.prints("relation-list", " \n");
    assert!(run(|| tools.relation_list("db:3")).unwrap().is_empty());
    for (output, says) in [
        (
            "[\"pg/0\", 5]",
            "expected a list of strings, but item 1 is a number",
        ),
        ("{\"pg/0\": 1}", "expected a list of strings, got a mapping"),
        ("\"pg/0\"", "expected a list of strings, got a string"),
        ("[\"pg/0\"", "invalid JSON"),
    ] {
        t.prints("relation-list", output);
        let err = run(|| tools.relation_list("db:3")).unwrap_err();
        assert!(matches!(err, ToolError::BadOutput { .. }), "{err}");
        assert!(err.to_string().contains(says), "{output}: {err}");
    }
}

#[test]
fn relation_get_unit_and_app() {
    let t = Tools::new("relation-get");
    let mut tools = t.process();
    t.prints(
        "relation-get",
        "{\"host\": \"10.0.0.2\", \"port\": \"5432\", \"password\": \"pw\"}\n",
    );
    assert_eq!(
        run(|| tools.relation_get("db:3", "pg/0")).unwrap(),
        bag(&[("host", "10.0.0.2"), ("port", "5432"), ("password", "pw")])
    );
    assert_eq!(
        t.args("relation-get"),
        ["--format=json", "-r", "db:3", "-", "pg/0"]
    );
    assert_eq!(
        run(|| tools.relation_get_app("db:3", "pg")).unwrap(),
        bag(&[("host", "10.0.0.2"), ("port", "5432"), ("password", "pw")])
    );
    assert_eq!(
        t.args("relation-get"),
        ["--format=json", "--app", "-r", "db:3", "-", "pg"]
    );
    for empty in ["null", "{}", "\n"] {
        t.prints("relation-get", empty);
        assert!(run(|| tools.relation_get("db:3", "pg/0"))
            .unwrap()
            .is_empty());
        assert!(run(|| tools.relation_get_app("db:3", "pg"))
            .unwrap()
            .is_empty());
    }
}

#[test]
fn relation_get_of_one_key() {
    let t = Tools::new("relation-get-key");
    let mut tools = t.process();
    t.prints("relation-get", "\"10.0.0.2\"\n");
    assert_eq!(
        run(|| tools.relation_get_key("db:3", "pg/0", "host")).unwrap(),
        Some("10.0.0.2".to_string())
    );
    assert_eq!(
        t.args("relation-get"),
        ["--format=json", "-r", "db:3", "host", "pg/0"]
    );
    // Juju prints `null` for a key that is not set.
    t.prints("relation-get", "null\n");
    assert_eq!(
        run(|| tools.relation_get_key("db:3", "pg/0", "port")).unwrap(),
        None
    );
    // Anything but a string or null is refused, naming the tool.
    t.prints("relation-get", "{\"host\": \"x\"}\n");
    let err = run(|| tools.relation_get_key("db:3", "pg/0", "host")).unwrap_err();
    assert!(err.to_string().contains("relation-get"), "{err}");
    assert!(
        err.to_string().contains("expected a string or null"),
        "{err}"
    );
    // A key that would read as `-` or an option: the whole bag is read.
    t.prints("relation-get", "{\"-x\": \"1\"}\n");
    assert_eq!(
        run(|| tools.relation_get_key("db:3", "pg/0", "-x")).unwrap(),
        Some("1".to_string())
    );
    assert_eq!(
        t.args("relation-get"),
        ["--format=json", "-r", "db:3", "-", "pg/0"]
    );
}

#[test]
fn relation_set_unit_and_app() {
    let t = Tools::new("relation-set");
    let mut tools = t.process();
    t.script("relation-set", "");
    let data = bag(&[
        ("zeta", "z"),
        ("alpha", "a b"),
        ("gone", ""),
        ("q", "\"x\""),
    ]);
    run(|| tools.relation_set("db:3", false, &data)).unwrap();
    assert_eq!(t.args("relation-set"), ["-r", "db:3", "--file", "-"]);
    let stdin = t.stdin("relation-set");
    assert_eq!(
        stdin,
        "{\"alpha\":\"a b\",\"gone\":\"\",\"q\":\"\\\"x\\\"\",\"zeta\":\"z\"}"
    );
    let parsed: Value = serde_json::from_str(&stdin).unwrap();
    assert_eq!(parsed["gone"], json!(""));

    run(|| tools.relation_set("db:3", true, &bag(&[("k", "v")]))).unwrap();
    assert_eq!(
        t.args("relation-set"),
        ["-r", "db:3", "--app", "--file", "-"]
    );
    assert_eq!(t.stdin("relation-set"), "{\"k\":\"v\"}");
}

#[test]
fn relation_set_with_a_tool_that_reads_nothing() {
    // A large input and a tool that exits at once without reading it: no
    // deadlock, no error.
    let t = Tools::new("relation-set-unread");
    let dir = t.dir.0.clone();
    t.script_in(&dir, "relation-set", "exit 0", false);
    let mut tools = t.process();
    let big = "x".repeat(1 << 20);
    run(|| tools.relation_set("db:3", false, &bag(&[("blob", &big)]))).unwrap();
    assert_eq!(t.args("relation-set"), ["-r", "db:3", "--file", "-"]);
}

#[test]
fn config_get() {
    let t = Tools::new("config-get");
    let mut tools = t.process();
    t.prints(
        "config-get",
        "{\"port\": 8080, \"debug\": false, \"name\": \"x\", \"ratio\": 0.5, \"unset\": null}",
    );
    let config = run(|| tools.config_get()).unwrap();
    assert_eq!(t.args("config-get"), ["--all", "--format=json"]);
    assert_eq!(
        Value::Object(config),
        json!({"port": 8080, "debug": false, "name": "x", "ratio": 0.5, "unset": null})
    );
    t.prints("config-get", "{}");
    assert!(run(|| tools.config_get()).unwrap().is_empty());
    t.prints("config-get", "null");
    assert!(run(|| tools.config_get()).unwrap().is_empty());
    t.prints("config-get", "[1]");
    let err = run(|| tools.config_get()).unwrap_err();
    assert!(
        matches!(err, ToolError::BadOutput { ref output, .. } if output.is_empty()),
        "{err}"
    );
}

#[test]
fn is_leader() {
    let t = Tools::new("is-leader");
    let mut tools = t.process();
    t.prints("is-leader", "true\n");
    assert!(run(|| tools.is_leader()).unwrap());
    assert_eq!(t.args("is-leader"), ["--format=json"]);
    t.prints("is-leader", "false\n");
    assert!(!run(|| tools.is_leader()).unwrap());
    // Not a secret: the output is shown.
    for bad in ["yes\n", "\"true\"", "null", ""] {
        t.prints("is-leader", bad);
        let err = run(|| tools.is_leader()).unwrap_err();
        match &err {
            ToolError::BadOutput {
                tool, args, output, ..
            } => {
                assert_eq!(tool, "is-leader");
                assert_eq!(args, &["--format=json"]);
                assert_eq!(output, bad);
            }
            other => panic!("expected BadOutput, got {other:?}"),
        }
    }
}

#[test]
fn leader_get_and_set() {
    let t = Tools::new("leader");
    let mut tools = t.process();
    t.prints("leader-get", "{\"password\": \"s3cret\", \"seed\": \"1\"}");
    assert_eq!(
        run(|| tools.leader_get()).unwrap(),
        bag(&[("password", "s3cret"), ("seed", "1")])
    );
    assert_eq!(t.args("leader-get"), ["--format=json"]);
    t.prints("leader-get", "null");
    assert!(run(|| tools.leader_get()).unwrap().is_empty());

    t.script("leader-set", "");
    run(|| tools.leader_set(&bag(&[("seed", "2"), ("password", ""), ("a", "x=y")]))).unwrap();
    assert_eq!(t.args("leader-set"), ["a=x=y", "password=", "seed=2"]);

    // Nothing to set: nothing run.
    let before = tools.calls();
    run(|| tools.leader_set(&DataBag::new())).unwrap();
    assert_eq!(tools.calls(), before);
}

#[test]
fn juju_log() {
    let t = Tools::new("juju-log");
    let mut tools = t.process();
    t.script("juju-log", "");
    run(|| tools.juju_log(LogLevel::Warning, "disk is 'full' = bad")).unwrap();
    assert_eq!(
        t.args("juju-log"),
        ["-l", "WARNING", "disk is 'full' = bad"]
    );
    for (level, name) in [
        (LogLevel::Debug, "DEBUG"),
        (LogLevel::Info, "INFO"),
        (LogLevel::Error, "ERROR"),
    ] {
        run(|| tools.juju_log(level, "m")).unwrap();
        assert_eq!(t.args("juju-log"), ["-l", name, "m"]);
    }
    // A message that looks like an option is kept from being parsed as one.
    run(|| tools.juju_log(LogLevel::Info, "-v is not an option")).unwrap();
    assert_eq!(
        t.args("juju-log"),
        ["-l", "INFO", "--", "-v is not an option"]
    );
}

#[test]
fn status_set() {
    let t = Tools::new("status-set");
    let mut tools = t.process();
    t.script("status-set", "");
    run(|| tools.status_set(false, WorkloadState::Active, "ready")).unwrap();
    assert_eq!(t.args("status-set"), ["active", "ready"]);
    run(|| tools.status_set(true, WorkloadState::Blocked, "need a db")).unwrap();
    assert_eq!(
        t.args("status-set"),
        ["--application", "blocked", "need a db"]
    );
    run(|| tools.status_set(false, WorkloadState::Maintenance, "")).unwrap();
    assert_eq!(t.args("status-set"), ["maintenance", ""]);
    run(|| tools.status_set(false, WorkloadState::Waiting, "w")).unwrap();
    assert_eq!(t.args("status-set"), ["waiting", "w"]);
}

#[test]
fn unit_get_and_network_get() {
    let t = Tools::new("unit-get");
    let mut tools = t.process();
    t.prints("unit-get", "\"10.0.0.1\"\n");
    assert_eq!(
        run(|| tools.unit_get("private-address")).unwrap(),
        "10.0.0.1"
    );
    assert_eq!(t.args("unit-get"), ["--format=json", "private-address"]);
    t.prints("unit-get", "10.0.0.1\n");
    let err = run(|| tools.unit_get("private-address")).unwrap_err();
    assert!(matches!(err, ToolError::BadOutput { .. }), "{err}");

    let network = json!({
        "bind-addresses": [{"interface-name": "eth0", "addresses": [{"value": "10.0.0.1", "cidr": "10.0.0.0/24"}]}],
        "ingress-addresses": ["10.0.0.1"]
    });
    t.prints("network-get", &network.to_string());
    assert_eq!(run(|| tools.network_get("db")).unwrap(), network);
    assert_eq!(t.args("network-get"), ["--format=json", "db"]);
}

#[test]
fn version_and_ports() {
    let t = Tools::new("ports");
    let mut tools = t.process();
    t.script("application-version-set", "")
        .script("open-port", "")
        .script("close-port", "");
    run(|| tools.application_version_set("1.2.3")).unwrap();
    assert_eq!(t.args("application-version-set"), ["1.2.3"]);
    run(|| tools.open_port(8080, Protocol::Tcp)).unwrap();
    assert_eq!(t.args("open-port"), ["8080/tcp"]);
    run(|| tools.close_port(53, Protocol::Udp)).unwrap();
    assert_eq!(t.args("close-port"), ["53/udp"]);
    assert_eq!(
        t.calls(),
        ["application-version-set", "open-port", "close-port"]
    );
    assert_eq!(tools.calls(), 3);
}

#[test]
fn actions() {
    let t = Tools::new("actions");
    let mut tools = t.process();
    t.prints("action-get", "{\"target\": \"s3\", \"full\": true}")
        .script("action-set", "")
        .script("action-fail", "");
    assert_eq!(
        run(|| tools.action_get()).unwrap(),
        json!({"target": "s3", "full": true})
    );
    assert_eq!(t.args("action-get"), ["--format=json"]);
    run(|| tools.action_set(&bag(&[("result", "ok"), ("count", "3")]))).unwrap();
    assert_eq!(t.args("action-set"), ["count=3", "result=ok"]);
    run(|| tools.action_fail("backup failed")).unwrap();
    assert_eq!(t.args("action-fail"), ["backup failed"]);
}

#[test]
fn the_child_gets_the_search_path() {
    let t = Tools::new("path");
    let extra = t.dir.0.join("bin2");
    std::fs::create_dir_all(&extra).unwrap();
    let search = std::env::join_paths([t.dir.0.clone(), extra.clone()]).unwrap();
    let mut tools = ProcessTools::new(Some(search.clone()));
    // Only in the second directory.
    t.script_in(&extra, "open-port", "", true);
    run(|| tools.open_port(1, Protocol::Tcp)).unwrap();
    let path = std::fs::read_to_string(t.dir.0.join("open-port.path")).unwrap();
    assert_eq!(path.trim_end(), search.to_str().unwrap());
}

#[test]
fn earlier_directories_win_and_non_executables_are_skipped() {
    let t = Tools::new("precedence");
    let first = t.dir.0.join("first");
    let second = t.dir.0.join("second");
    std::fs::create_dir_all(&first).unwrap();
    std::fs::create_dir_all(&second).unwrap();
    // Not executable in the first directory; a directory in the way too.
    std::fs::write(first.join("is-leader"), "#!/bin/sh\necho false\n").unwrap();
    std::fs::create_dir_all(first.join("open-port")).unwrap();
    t.script_in(&second, "is-leader", "echo true", true);
    t.script_in(&second, "open-port", "", true);
    let third = t.dir.0.join("third");
    std::fs::create_dir_all(&third).unwrap();
    t.script_in(&third, "is-leader", "echo false", true);
    let search = std::env::join_paths([first, second, third]).unwrap();
    let mut tools = ProcessTools::new(Some(search));
    assert!(run(|| tools.is_leader()).unwrap());
    run(|| tools.open_port(1, Protocol::Tcp)).unwrap();
}

// ---------------------------------------------------------------------------
// Failures.

#[test]
fn a_failing_tool() {
    let t = Tools::new("failing");
    let mut tools = t.process();
    t.script(
        "relation-get",
        "echo 'ERROR connection is shut down' >&2\nexit 1",
    );
    let err = run(|| tools.relation_get("db:3", "pg/0")).unwrap_err();
    match &err {
        ToolError::Failed {
            tool,
            args,
            status,
            stderr,
        } => {
            assert_eq!(tool, "relation-get");
            assert_eq!(args, &["--format=json", "-r", "db:3", "-", "pg/0"]);
            assert_eq!(*status, Some(1));
            assert_eq!(stderr, "ERROR connection is shut down");
        }
        other => panic!("expected Failed, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("relation-get --format=json -r db:3 - pg/0"),
        "{text}"
    );
    assert!(text.contains("ERROR connection is shut down"), "{text}");
    assert!(text.contains('1'), "{text}");
    assert_eq!(err.tool(), "relation-get");
    assert!(std::error::Error::source(&err).is_none());
}

#[test]
fn a_tool_killed_by_a_signal() {
    let t = Tools::new("signal");
    let mut tools = t.process();
    t.script("is-leader", "kill -9 $$");
    let err = run(|| tools.is_leader()).unwrap_err();
    assert!(
        matches!(err, ToolError::Failed { status: None, .. }),
        "{err:?}"
    );
}

#[test]
fn relation_not_found() {
    let t = Tools::new("not-found-relation");
    let mut tools = t.process();
    let body = "echo 'ERROR invalid value \"db:9\" for option -r: relation not found' >&2\nexit 2";
    t.script("relation-list", body).script("relation-get", body);
    let err = run(|| tools.relation_list("db:9")).unwrap_err();
    match &err {
        ToolError::RelationNotFound { tool, args, stderr } => {
            assert_eq!(tool, "relation-list");
            assert_eq!(args, &["--format=json", "-r", "db:9"]);
            assert!(stderr.contains("relation not found"));
        }
        other => panic!("expected RelationNotFound, got {other:?}"),
    }
    assert!(err.is_relation_not_found());
    assert!(err.to_string().contains("db:9"), "{err}");
    let err = run(|| tools.relation_get_app("db:9", "pg")).unwrap_err();
    assert!(err.is_relation_not_found(), "{err:?}");
}

#[test]
fn garbage_from_secret_tools_is_not_shown() {
    let t = Tools::new("garbage");
    let mut tools = t.process();
    let cases = [
        "password: hunter2\n",
        "{\"password\": \"hunter2\"",
        "{\"password\": [\"hunter2\"]}",
        "[\"hunter2\"]",
        "\"hunter2\"",
    ];
    for garbage in cases {
        t.prints("relation-get", garbage)
            .prints("leader-get", garbage)
            .prints("config-get", garbage)
            .prints("action-get", garbage);
        let mut errors = vec![
            run(|| tools.relation_get("db:3", "pg/0")).unwrap_err(),
            run(|| tools.relation_get_app("db:3", "pg")).unwrap_err(),
            run(|| tools.leader_get()).unwrap_err(),
        ];
        // config-get accepts any mapping, action-get any JSON value.
        if let Err(err) = run(|| tools.config_get()) {
            errors.push(err);
        }
        if let Err(err) = run(|| tools.action_get()) {
            errors.push(err);
        }
        for err in errors {
            let text = err.to_string();
            let debug = format!("{err:?}");
            assert!(
                matches!(err, ToolError::BadOutput { ref output, .. } if output.is_empty()),
                "{debug}"
            );
            assert!(!text.contains("hunter2"), "{text}");
            assert!(!debug.contains("hunter2"), "{debug}");
        }
    }
    // The error says how long the output was and where parsing failed.
    t.prints("leader-get", "{\"password\": \"hunter2\"");
    let text = run(|| tools.leader_get()).unwrap_err().to_string();
    assert!(text.contains("leader-get --format=json"), "{text}");
    assert!(text.contains("22 bytes"), "{text}");
    assert!(text.contains("line 1 column 22"), "{text}");
}

#[test]
fn garbage_from_other_tools_is_shown_truncated() {
    let t = Tools::new("long-garbage");
    let mut tools = t.process();
    let long = "x".repeat(1000);
    t.prints("network-get", &long);
    let err = run(|| tools.network_get("db")).unwrap_err();
    match &err {
        ToolError::BadOutput { output, args, .. } => {
            assert!(output.starts_with("xxxx"));
            assert!(output.chars().count() <= 201, "{}", output.len());
            assert_eq!(args, &["--format=json", "db"]);
        }
        other => panic!("expected BadOutput, got {other:?}"),
    }
    // Invalid UTF-8 is no panic either.
    t.prints("unit-get", "");
    std::fs::write(t.dir.0.join("unit-get.out"), b"\xff\xfe\"").unwrap();
    let err = run(|| tools.unit_get("public-address")).unwrap_err();
    assert!(matches!(err, ToolError::BadOutput { .. }), "{err:?}");
}

#[test]
fn a_missing_tool() {
    let t = Tools::new("missing");
    let mut tools = t.process();
    let err = run(|| tools.is_leader()).unwrap_err();
    assert!(
        matches!(&err, ToolError::NotFound { tool } if tool == "is-leader"),
        "{err:?}"
    );
    assert!(err.to_string().contains("is-leader"), "{err}");
    assert_eq!(tools.calls(), 0);

    let mut nowhere = ProcessTools::new(None);
    let err = nowhere.relation_ids("db").unwrap_err();
    assert!(matches!(err, ToolError::NotFound { .. }), "{err:?}");
    let mut empty = ProcessTools::new(Some(OsString::new()));
    let err = empty.config_get().unwrap_err();
    assert!(matches!(err, ToolError::NotFound { .. }), "{err:?}");
}

#[test]
fn secrets_are_redacted_from_failures() {
    let t = Tools::new("redaction");
    let mut tools = t.process();
    t.script(
        "leader-set",
        "echo \"ERROR cannot write $1 and $2\" >&2\nexit 1",
    );
    let err =
        run(|| tools.leader_set(&bag(&[("password", "hunter2"), ("user", "admin")]))).unwrap_err();
    let text = err.to_string();
    let debug = format!("{err:?}");
    assert!(!text.contains("hunter2"), "{text}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(!text.contains("admin"), "{text}");
    assert!(text.contains("leader-set"), "{text}");
    assert!(text.contains("password=<redacted>"), "{text}");
    assert!(text.contains("user=<redacted>"), "{text}");
    match &err {
        ToolError::Failed { args, stderr, .. } => {
            assert_eq!(args, &["password=<redacted>", "user=<redacted>"]);
            assert!(stderr.starts_with("ERROR cannot write"), "{stderr}");
        }
        other => panic!("expected Failed, got {other:?}"),
    }

    // action-set likewise.
    t.script("action-set", "exit 1");
    let text = run(|| tools.action_set(&bag(&[("key", "hunter2")])))
        .unwrap_err()
        .to_string();
    assert!(
        !text.contains("hunter2") && text.contains("key=<redacted>"),
        "{text}"
    );

    // relation-set's input never appears, even echoed on stderr.
    let echo_input = format!(
        "cat '{}' >&2\nexit 1",
        t.dir.0.join("relation-set.stdin").display()
    );
    t.script("relation-set", &echo_input);
    let err =
        run(|| tools.relation_set("db:3", false, &bag(&[("password", "hunter2")]))).unwrap_err();
    let text = err.to_string();
    let debug = format!("{err:?}");
    assert!(!text.contains("hunter2"), "{text}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(text.contains("relation-set -r db:3 --file -"), "{text}");
}

#[test]
fn redact_args_helper() {
    let args = strings(&[
        "--format=json",
        "-r",
        "db:1",
        "password=hunter2",
        "empty=",
        "plain",
    ]);
    assert_eq!(
        redact_args(&args),
        [
            "--format=json",
            "-r",
            "db:1",
            "password=<redacted>",
            "empty=<redacted>",
            "plain"
        ]
    );
}

#[test]
fn io_errors_name_the_tool() {
    let t = Tools::new("io");
    let mut tools = t.process();
    t.script("juju-log", "");
    // An argument with a NUL byte cannot be passed to a process.
    let err = run(|| tools.juju_log(LogLevel::Info, "a\0b")).unwrap_err();
    assert!(matches!(err, ToolError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("juju-log"), "{err}");
    assert!(std::error::Error::source(&err).is_some());
}

// ---------------------------------------------------------------------------
// The cache.

/// Answers every call and counts them, by method.
#[derive(Clone, Default)]
struct Fake {
    counts: Arc<Mutex<HashMap<&'static str, usize>>>,
    leader: Arc<Mutex<DataBag>>,
    fail_next: Arc<Mutex<bool>>,
}

impl Fake {
    fn count(&self, method: &'static str) -> Result<(), ToolError> {
        *self.counts.lock().unwrap().entry(method).or_default() += 1;
        let mut fail = self.fail_next.lock().unwrap();
        if *fail {
            *fail = false;
            return Err(ToolError::NotFound {
                tool: method.to_string(),
            });
        }
        Ok(())
    }

    fn calls(&self, method: &str) -> usize {
        self.counts
            .lock()
            .unwrap()
            .get(method)
            .copied()
            .unwrap_or(0)
    }

    fn total(&self) -> usize {
        self.counts.lock().unwrap().values().sum()
    }
}

impl HookTools for Fake {
    fn relation_ids(&mut self, endpoint: &str) -> Result<Vec<String>, ToolError> {
        self.count("relation_ids")?;
        Ok(vec![format!("{endpoint}:1")])
    }
    fn relation_list(&mut self, relation_id: &str) -> Result<Vec<String>, ToolError> {
        self.count("relation_list")?;
        Ok(vec![format!("{relation_id}/0")])
    }
    fn relation_get(&mut self, relation_id: &str, unit: &str) -> Result<DataBag, ToolError> {
        self.count("relation_get")?;
        Ok(bag(&[("id", relation_id), ("unit", unit)]))
    }
    fn relation_get_app(&mut self, relation_id: &str, app: &str) -> Result<DataBag, ToolError> {
        self.count("relation_get_app")?;
        Ok(bag(&[("id", relation_id), ("app", app)]))
    }
    fn relation_set(&mut self, _: &str, _: bool, _: &DataBag) -> Result<(), ToolError> {
        self.count("relation_set")
    }
    fn config_get(&mut self) -> Result<serde_json::Map<String, Value>, ToolError> {
        self.count("config_get")?;
        let mut map = serde_json::Map::new();
        map.insert("port".into(), json!(80));
        Ok(map)
    }
    fn is_leader(&mut self) -> Result<bool, ToolError> {
        self.count("is_leader")?;
        Ok(true)
    }
    fn leader_get(&mut self) -> Result<DataBag, ToolError> {
        self.count("leader_get")?;
        Ok(self.leader.lock().unwrap().clone())
    }
    fn leader_set(&mut self, data: &DataBag) -> Result<(), ToolError> {
        self.count("leader_set")?;
        let mut leader = self.leader.lock().unwrap();
        for (k, v) in data {
            if v.is_empty() {
                leader.remove(k);
            } else {
                leader.insert(k.clone(), v.clone());
            }
        }
        Ok(())
    }
    fn juju_log(&mut self, _: LogLevel, _: &str) -> Result<(), ToolError> {
        self.count("juju_log")
    }
    fn status_set(&mut self, _: bool, _: WorkloadState, _: &str) -> Result<(), ToolError> {
        self.count("status_set")
    }
    fn unit_get(&mut self, key: &str) -> Result<String, ToolError> {
        self.count("unit_get")?;
        Ok(key.to_string())
    }
    fn network_get(&mut self, _: &str) -> Result<Value, ToolError> {
        self.count("network_get")?;
        Ok(json!({}))
    }
    fn application_version_set(&mut self, _: &str) -> Result<(), ToolError> {
        self.count("application_version_set")
    }
    fn open_port(&mut self, _: u16, _: Protocol) -> Result<(), ToolError> {
        self.count("open_port")
    }
    fn close_port(&mut self, _: u16, _: Protocol) -> Result<(), ToolError> {
        self.count("close_port")
    }
    fn action_get(&mut self) -> Result<Value, ToolError> {
        self.count("action_get")?;
        Ok(json!({}))
    }
    fn action_set(&mut self, _: &DataBag) -> Result<(), ToolError> {
        self.count("action_set")
    }
    fn action_fail(&mut self, _: &str) -> Result<(), ToolError> {
        self.count("action_fail")
    }
}

#[test]
fn cached_queries_call_once() {
    let fake = Fake::default();
    let mut tools = CachedTools::new(Box::new(fake.clone()));
    for _ in 0..3 {
        assert_eq!(tools.config_get().unwrap()["port"], json!(80));
        assert!(tools.is_leader().unwrap());
        assert!(tools.leader_get().unwrap().is_empty());
        assert_eq!(tools.relation_ids("db").unwrap(), ["db:1"]);
        assert_eq!(tools.relation_ids("web").unwrap(), ["web:1"]);
        assert_eq!(tools.relation_list("db:1").unwrap(), ["db:1/0"]);
        assert_eq!(
            tools.relation_get("db:1", "pg/0").unwrap(),
            bag(&[("id", "db:1"), ("unit", "pg/0")])
        );
        assert_eq!(
            tools.relation_get("db:1", "pg/1").unwrap(),
            bag(&[("id", "db:1"), ("unit", "pg/1")])
        );
        assert_eq!(
            tools.relation_get_app("db:1", "pg").unwrap(),
            bag(&[("id", "db:1"), ("app", "pg")])
        );
    }
    assert_eq!(fake.calls("config_get"), 1);
    assert_eq!(fake.calls("is_leader"), 1);
    assert_eq!(fake.calls("leader_get"), 1);
    assert_eq!(fake.calls("relation_ids"), 2);
    // The shared list is the cached one, not a copy.
    let shared = tools.relation_list_shared("db:1").unwrap();
    assert!(std::sync::Arc::ptr_eq(
        &shared,
        &tools.relation_list_shared("db:1").unwrap()
    ));
    assert_eq!(*shared, tools.relation_list("db:1").unwrap());
    let other = tools.relation_list_shared("db:2").unwrap();
    assert_eq!(*other, ["db:2/0"]);
    assert_eq!(fake.calls("relation_list"), 2);
    assert_eq!(fake.calls("relation_get"), 2);
    assert_eq!(fake.calls("relation_get_app"), 1);

    tools.clear();
    tools.config_get().unwrap();
    assert_eq!(fake.calls("config_get"), 2);
}

#[test]
fn one_key_is_answered_from_a_bag_read_whole_and_else_asked() {
    let fake = Fake::default();
    let mut tools = CachedTools::new(Box::new(fake.clone()));
    // Not read yet: asked (the fake's default reads the whole bag), and
    // not kept.
    for _ in 0..2 {
        assert_eq!(
            tools.relation_get_key("db:1", "pg/0", "unit").unwrap(),
            Some("pg/0".to_string())
        );
    }
    assert_eq!(fake.calls("relation_get"), 2);
    // Read whole: answered from it.
    tools.relation_get("db:1", "pg/0").unwrap();
    assert_eq!(
        tools.relation_get_key("db:1", "pg/0", "id").unwrap(),
        Some("db:1".to_string())
    );
    assert_eq!(
        tools.relation_get_key("db:1", "pg/0", "nope").unwrap(),
        None
    );
    assert_eq!(fake.calls("relation_get"), 3);
}

#[test]
fn other_calls_pass_through() {
    let fake = Fake::default();
    let mut tools = CachedTools::new(Box::new(fake.clone()));
    for _ in 0..2 {
        tools.juju_log(LogLevel::Info, "m").unwrap();
        tools.status_set(false, WorkloadState::Active, "").unwrap();
        tools.unit_get("private-address").unwrap();
        tools.network_get("db").unwrap();
        tools.application_version_set("1").unwrap();
        tools.open_port(80, Protocol::Tcp).unwrap();
        tools.close_port(80, Protocol::Tcp).unwrap();
        tools.action_get().unwrap();
        tools.action_set(&bag(&[("a", "b")])).unwrap();
        tools.action_fail("no").unwrap();
        tools
            .relation_set("db:1", false, &bag(&[("a", "b")]))
            .unwrap();
    }
    assert_eq!(fake.total(), 22);
    assert_eq!(fake.calls("relation_set"), 2);
}

#[test]
fn leader_set_updates_the_cache() {
    let fake = Fake::default();
    fake.leader
        .lock()
        .unwrap()
        .extend(bag(&[("keep", "1"), ("drop", "2")]));
    let mut tools = CachedTools::new(Box::new(fake.clone()));
    assert_eq!(
        tools.leader_get().unwrap(),
        bag(&[("keep", "1"), ("drop", "2")])
    );
    tools
        .leader_set(&bag(&[("drop", ""), ("new", "3"), ("keep", "4")]))
        .unwrap();
    assert_eq!(
        tools.leader_get().unwrap(),
        bag(&[("keep", "4"), ("new", "3")])
    );
    assert_eq!(fake.calls("leader_get"), 1);
    assert_eq!(fake.calls("leader_set"), 1);

    // Set before ever reading: the first read asks.
    let fake = Fake::default();
    let mut tools = CachedTools::new(Box::new(fake.clone()));
    tools.leader_set(&bag(&[("a", "1")])).unwrap();
    assert_eq!(tools.leader_get().unwrap(), bag(&[("a", "1")]));
    assert_eq!(fake.calls("leader_get"), 1);

    // A failed leader_set leaves the cache alone.
    *fake.fail_next.lock().unwrap() = true;
    assert!(tools.leader_set(&bag(&[("a", "9")])).is_err());
    assert_eq!(tools.leader_get().unwrap(), bag(&[("a", "1")]));
}

#[test]
fn relation_set_leaves_cached_data_alone() {
    let fake = Fake::default();
    let mut tools = CachedTools::new(Box::new(fake.clone()));
    let mine = tools.relation_get("db:1", "app/0").unwrap();
    let app = tools.relation_get_app("db:1", "app").unwrap();
    tools
        .relation_set("db:1", false, &bag(&[("unit", "changed")]))
        .unwrap();
    tools
        .relation_set("db:1", true, &bag(&[("app", "changed")]))
        .unwrap();
    assert_eq!(tools.relation_get("db:1", "app/0").unwrap(), mine);
    assert_eq!(tools.relation_get_app("db:1", "app").unwrap(), app);
    assert_eq!(fake.calls("relation_get"), 1);
    assert_eq!(fake.calls("relation_get_app"), 1);
}

#[test]
fn errors_are_not_cached() {
    let fake = Fake::default();
    let mut tools = CachedTools::new(Box::new(fake.clone()));
    *fake.fail_next.lock().unwrap() = true;
    assert!(tools.is_leader().is_err());
    assert!(tools.is_leader().unwrap());
    assert!(tools.is_leader().unwrap());
    assert_eq!(fake.calls("is_leader"), 2);
}

#[test]
fn cached_tools_over_processes() {
    let t = Tools::new("cached-process");
    t.prints("config-get", "{\"a\": 1}")
        .prints("is-leader", "true");
    let mut tools = CachedTools::new(Box::new(t.process()));
    for _ in 0..5 {
        run(|| tools.config_get()).unwrap();
        assert!(run(|| tools.is_leader()).unwrap());
    }
    assert_eq!(t.calls(), ["config-get", "is-leader"]);
    let _inner: &dyn HookTools = tools.inner();
    let _boxed: Box<dyn HookTools> = tools.into_inner();
}

// ---------------------------------------------------------------------------
// The hook environment.

#[test]
fn hook_info_from_env() {
    let env = |name: &str| {
        match name {
            "JUJU_DISPATCH_PATH" => Some("hooks/website-relation-changed"),
            "JUJU_HOOK_NAME" => Some("ignored"),
            "JUJU_UNIT_NAME" => Some("web/1"),
            "JUJU_RELATION" => Some("website"),
            "JUJU_RELATION_ID" => Some("website:4"),
            "JUJU_REMOTE_UNIT" => Some("haproxy/0"),
            "JUJU_REMOTE_APP" => Some("haproxy"),
            "CHARM_DIR" => Some("/charm"),
            _ => None,
        }
        .map(str::to_string)
    };
    let hook = HookInfo::from_env(&env, "/charm/dispatch").unwrap();
    assert_eq!(hook.name, "website-relation-changed");
    assert_eq!(hook.unit_name.as_deref(), Some("web/1"));
    assert_eq!(hook.relation.as_deref(), Some("website"));
    assert_eq!(hook.relation_id.as_deref(), Some("website:4"));
    assert_eq!(hook.remote_unit.as_deref(), Some("haproxy/0"));
    assert_eq!(hook.remote_app.as_deref(), Some("haproxy"));
    assert_eq!(hook.departing_unit, None);
    assert_eq!(hook.action_name, None);
    assert_eq!(hook.charm_dir, Some(PathBuf::from("/charm")));
    assert!(HookInfo::in_hook(&env));

    let none = |_: &str| None;
    assert!(!HookInfo::in_hook(&none));
    assert_eq!(
        HookInfo::from_env(&none, "hooks/install").unwrap().name,
        "install"
    );

    let bad = |name: &str| (name == "JUJU_RELATION_ID").then(|| "db:x".to_string());
    let err = HookInfo::from_env(&bad, "install").unwrap_err();
    assert_eq!(
        err,
        HookEnvError::BadRelationId {
            value: "db:x".into()
        }
    );
    let text = err.to_string();
    assert!(
        text.contains("JUJU_RELATION_ID") && text.contains("db:x"),
        "{text}"
    );

    let bad = |name: &str| (name == "JUJU_REMOTE_UNIT").then(|| "haproxy".to_string());
    let err = HookInfo::from_env(&bad, "install").unwrap_err();
    assert!(
        matches!(
            err,
            HookEnvError::BadUnitName {
                variable: "JUJU_REMOTE_UNIT",
                ..
            }
        ),
        "{err}"
    );
}
