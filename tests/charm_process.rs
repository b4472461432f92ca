//! A charm binary run as whole processes, as Juju runs it:
//! a clean environment, hook tools on `PATH` (shell scripts standing in
//! for Juju's), one process per hook, the unit state DB in the charm
//! directory between them.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::RwLock;

use reactive_core::UnitState;
use serde_json::{json, Value};

const CHARM: &str = env!("CARGO_BIN_EXE_reactive-test-charm");

/// Writing an executable while another thread forks can leave it open for
/// writing in the child until it execs, and running the file then fails
/// with "text file busy": scripts are written under the write lock,
/// processes started under the read lock.
static SPAWN_LOCK: RwLock<()> = RwLock::new(());

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A unit: a charm directory (the fixtures copied), a directory of fake
/// hook tools, and the files those tools read and write.
struct Unit {
    root: PathBuf,
}

impl Unit {
    fn new(test: &str) -> Unit {
        let root = std::env::temp_dir().join(format!(
            "reactive-charm-process-{}-{}-{}",
            std::process::id(),
            test,
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&root);
        let unit = Unit { root };
        std::fs::create_dir_all(unit.charm_dir()).unwrap();
        std::fs::create_dir_all(unit.bin_dir()).unwrap();
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/test-charm");
        for file in ["metadata.yaml", "config.yaml"] {
            std::fs::copy(fixtures.join(file), unit.charm_dir().join(file)).unwrap();
        }
        unit.set_config(json!({"port": 8080, "fail": false}));
        unit.write_tools();
        unit
    }

    fn charm_dir(&self) -> PathBuf {
        self.root.join("charm")
    }

    fn bin_dir(&self) -> PathBuf {
        self.root.join("bin")
    }

    fn db(&self) -> PathBuf {
        self.charm_dir().join(".unit-state.db")
    }

    fn file(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// What `config-get` prints from now on.
    fn set_config(&self, config: Value) {
        std::fs::write(self.file("config.json"), config.to_string()).unwrap();
    }

    fn write_tools(&self) {
        let r = self.root.display();
        // Every tool appends its name to `calls`; juju-log and status-set
        // append their arguments, one `[arg]` each, to their own file.
        let record_args = |file: &str| {
            format!("for a in \"$@\"; do printf '[%s]' \"$a\"; done >> '{r}/{file}'; echo >> '{r}/{file}'")
        };
        let tools = [
            ("config-get", format!("cat '{r}/config.json'")),
            ("is-leader", "echo true".to_string()),
            ("leader-get", "echo '{}'".to_string()),
            ("juju-log", record_args("juju-log.txt")),
            ("status-set", record_args("status-set.txt")),
            ("relation-ids", "echo '[]'".to_string()),
            ("relation-list", "echo '[]'".to_string()),
            ("relation-get", "echo '{}'".to_string()),
            ("relation-set", "cat > /dev/null".to_string()),
        ];
        let _guard = SPAWN_LOCK.write().unwrap_or_else(|p| p.into_inner());
        for (name, body) in tools {
            let path = self.bin_dir().join(name);
            let text = format!("#!/bin/sh\necho {name} >> '{r}/calls'\n{body}\n");
            std::fs::write(&path, text).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }

    fn command(&self) -> Command {
        let mut command = Command::new(CHARM);
        command
            .env_clear()
            .env(
                "PATH",
                format!("{}:/usr/bin:/bin", self.bin_dir().display()),
            )
            .env("JUJU_CHARM_DIR", self.charm_dir())
            .current_dir(self.charm_dir());
        command
    }

    fn run(&self, mut command: Command) -> Output {
        let _guard = SPAWN_LOCK.read().unwrap_or_else(|p| p.into_inner());
        command.output().unwrap()
    }

    /// Run a hook as Juju does: `hooks/<name>` through dispatch.
    fn hook(&self, name: &str) -> Output {
        let _ = std::fs::remove_file(self.file("calls"));
        let mut command = self.command();
        command
            .env("JUJU_DISPATCH_PATH", format!("hooks/{name}"))
            .env("JUJU_UNIT_NAME", "test-charm/0")
            .env("JUJU_MODEL_NAME", "test-model");
        self.run(command)
    }

    /// Run the binary by hand with arguments (no hook context).
    fn cli(&self, args: &[&str]) -> Output {
        let mut command = self.command();
        command.args(args);
        self.run(command)
    }

    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.file("calls"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn juju_log(&self) -> String {
        std::fs::read_to_string(self.file("juju-log.txt")).unwrap_or_default()
    }

    /// The flags persisted in the unit state, with their values.
    fn flags(&self) -> Vec<(String, Value)> {
        UnitState::open(&self.db())
            .unwrap()
            .get_range("reactive.states.")
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k["reactive.states.".len()..].to_string(), v))
            .collect()
    }
}

impl Drop for Unit {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_success(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed with {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    );
}

#[test]
fn hooks_run_as_separate_processes_share_the_unit_state() {
    let unit = Unit::new("hooks");

    let output = unit.hook("install");
    assert_success(&output, "install");
    assert_eq!(
        unit.flags(),
        [
            ("charm.configured".to_string(), json!(8080)),
            ("charm.installed".to_string(), Value::Null),
            ("leadership.is_leader".to_string(), Value::Null),
        ],
        "no config flag persists; the handlers' and leadership flags do"
    );
    let mode = std::fs::metadata(unit.db()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "unit state mode {mode:o}");
    assert_eq!(
        std::fs::read_to_string(unit.file("status-set.txt")).unwrap(),
        "[maintenance][installed]\n"
    );
    let log = unit.juju_log();
    assert!(
        log.contains(
            "[-l][INFO][Invoking reactive handler: reactive-rs/src/bin/reactive-test-charm.rs:"
        ),
        "{log}"
    );
    assert!(
        log.contains(":install]") && log.contains(":configure]"),
        "{log}"
    );

    // The binary's own `flags` command reads the same state.
    let output = unit.cli(&["flags"]);
    assert_success(&output, "flags");
    assert_eq!(
        text(&output.stdout),
        "charm.configured\t8080\ncharm.installed\tnull\nleadership.is_leader\tnull\n"
    );

    // A config change, in a new process, is seen against the previous
    // hook's config.
    unit.set_config(json!({"port": 9090, "fail": false}));
    let output = unit.hook("config-changed");
    assert_success(&output, "config-changed");
    assert_eq!(
        unit.flags(),
        [
            ("charm.configured".to_string(), json!(9090)),
            ("charm.installed".to_string(), Value::Null),
            ("leadership.is_leader".to_string(), Value::Null),
        ]
    );

    // Nothing changed: startup calls only, no handler, one log line (the
    // hook's announcement); the leader settings were read in install, and
    // no leadership hook ran since.
    let output = unit.hook("update-status");
    assert_success(&output, "update-status");
    assert_eq!(unit.calls(), ["juju-log", "config-get", "is-leader"]);
    assert!(
        unit.juju_log()
            .contains("[-l][INFO][Reactive main running for hook update-status]"),
        "{}",
        unit.juju_log()
    );
    assert_eq!(unit.flags().len(), 3);
}

#[test]
fn processes_the_handlers_start_see_the_hook_name() {
    let unit = Unit::new("hook-name");
    assert_success(&unit.hook("install"), "install");
    let child_saw = |unit: &Unit| {
        unit.flags()
            .into_iter()
            .find(|(f, _)| f == "charm.child-hook-name")
            .map(|(_, v)| v)
    };
    // Juju runs the hook through dispatch without JUJU_HOOK_NAME: the
    // runtime exports it.
    assert_success(&unit.hook("start"), "start");
    assert_eq!(child_saw(&unit), Some(json!("start")));
    // Set already: left as it is.
    let mut command = unit.command();
    command
        .env("JUJU_DISPATCH_PATH", "hooks/start")
        .env("JUJU_UNIT_NAME", "test-charm/0")
        .env("JUJU_HOOK_NAME", "given-by-juju");
    assert_success(&unit.run(command), "start with JUJU_HOOK_NAME");
    assert_eq!(child_saw(&unit), Some(json!("given-by-juju")));
}

#[test]
fn a_failing_hook_exits_1_logs_the_handler_and_leaves_the_state_alone() {
    let unit = Unit::new("failing");
    assert_success(&unit.hook("install"), "install");
    let before = std::fs::read(unit.db()).unwrap();
    let flags_before = unit.flags();

    unit.set_config(json!({"port": 9999, "fail": true}));
    let output = unit.hook("config-changed");
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("ERROR")
            && stderr.contains(":fail_now")
            && stderr.contains("asked to fail"),
        "{stderr}"
    );
    let error_lines: Vec<String> = unit
        .juju_log()
        .lines()
        .filter(|l| l.starts_with("[-l][ERROR]"))
        .map(str::to_string)
        .collect();
    assert_eq!(error_lines.len(), 1, "{}", unit.juju_log());
    assert!(
        error_lines[0].contains("src/bin/reactive-test-charm.rs:")
            && error_lines[0].contains(":fail_now")
            && error_lines[0].contains("asked to fail by the `fail` option"),
        "{}",
        error_lines[0]
    );
    assert_eq!(
        std::fs::read(unit.db()).unwrap(),
        before,
        "the failed hook changed the unit state file"
    );
    assert_eq!(unit.flags(), flags_before);

    // Juju retries after the operator fixes the config: the change is
    // seen again, since the failed hook remembered nothing.
    unit.set_config(json!({"port": 9999, "fail": false}));
    assert_success(&unit.hook("config-changed"), "config-changed retried");
    assert!(unit
        .flags()
        .contains(&("charm.configured".to_string(), json!(9999))));
}

#[test]
fn outside_a_hook_the_binary_is_a_command_line_tool() {
    let unit = Unit::new("cli");
    let output = unit.cli(&["--help"]);
    assert_success(&output, "--help");
    assert!(text(&output.stdout).contains("set-flag NAME [VALUE]"));

    // No hook context and no command: usage, exit 2.
    let output = unit.cli(&[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("flags"));

    let output = unit.cli(&["set-flag", "charm.blocked", r#"{"why": "test"}"#]);
    assert_success(&output, "set-flag");
    let output = unit.cli(&["set-flag", "bad..flag"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).starts_with("error: "));
    assert_eq!(
        unit.flags(),
        [("charm.blocked".to_string(), json!({"why": "test"}))]
    );

    // The next hook starts from the flag set by hand.
    assert_success(&unit.hook("install"), "install");
    assert!(unit
        .flags()
        .contains(&("charm.blocked".to_string(), json!({"why": "test"}))));
    let output = unit.cli(&["clear-flag", "charm.blocked"]);
    assert_success(&output, "clear-flag");
    assert!(!unit.flags().iter().any(|(f, _)| f == "charm.blocked"));

    let output = unit.cli(&["handlers"]);
    assert_success(&output, "handlers");
    let handlers = text(&output.stdout);
    assert!(
        handlers
            .lines()
            .any(|l| l.ends_with(":fail_now\twhen_all(fail.now)")),
        "{handlers}"
    );
}

#[test]
fn hooks_keep_the_charm_files_parsed_and_one_that_changes_nothing_writes_nothing() {
    let unit = Unit::new("kept-files");
    assert_success(&unit.hook("install"), "install");
    let kept = || {
        UnitState::open(&unit.db())
            .unwrap()
            .get("reactive.runtime.charm-files")
            .unwrap()
            .expect("the charm files kept")
    };
    let first = kept();
    assert_eq!(first["metadata"]["parsed"]["name"], "test-charm");
    assert_eq!(
        first["config"]["parsed"]["options"]["port"]["default"],
        8080
    );
    // SQLite's file change counter (bytes 24–27 of the header) moves with
    // every transaction that writes.
    let change_counter = || std::fs::read(unit.db()).unwrap()[24..28].to_vec();
    let counter = change_counter();
    assert_success(&unit.hook("update-status"), "update-status");
    assert_eq!(
        change_counter(),
        counter,
        "update-status wrote to the unit state"
    );
    assert_eq!(kept(), first);

    // A new config.yaml, as an upgrade brings, is parsed and kept anew.
    let config = unit.charm_dir().join("config.yaml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("  extra:\n    type: string\n    default: x\n    description: New.\n");
    std::fs::write(&config, text).unwrap();
    assert_success(&unit.hook("upgrade-charm"), "upgrade-charm");
    let second = kept();
    assert_ne!(second["config"]["md5"], first["config"]["md5"]);
    assert_eq!(
        second["config"]["parsed"]["options"]["extra"]["default"],
        "x"
    );
    assert_eq!(second["metadata"], first["metadata"]);
}
