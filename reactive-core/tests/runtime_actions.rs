//! An action through the charm binary's entry point (`main_with`), as
//! Juju runs it: `JUJU_DISPATCH_PATH=actions/<name>`, `JUJU_ACTION_NAME`,
//! and hook tools that are programs on `PATH` (scripts here that record
//! their arguments). Checks the tools called with their arguments, the exit
//! code, and what reaches the unit state.

use std::collections::HashMap;
use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use reactive_core::prelude::*;
use reactive_core::runtime::entry::main_with;
use reactive_core::UnitState;

mod charm {
    use reactive_core::prelude::*;

    type HandlerResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

    #[derive(serde::Deserialize)]
    pub struct BackupParams {
        target: String,
    }

    #[action("backup")]
    fn backup(ctx: &mut Context, params: BackupParams) -> HandlerResult {
        ctx.action_log("starting")?;
        ctx.action_set("backup.path", &format!("{}/backup.tar", params.target))?;
        ctx.set_flag("app.backed-up");
        Ok(())
    }

    #[action("restore")]
    fn restore(ctx: &mut Context) -> HandlerResult {
        ctx.set_flag("app.restoring");
        Err("no backup to restore from".into())
    }

    #[hook("install")]
    fn install(ctx: &mut Context) {
        ctx.set_flag("app.installed");
    }
}

/// A charm directory with fake hook tools.
struct Unit {
    dir: PathBuf,
}

impl Unit {
    fn new(test: &str) -> Unit {
        let dir = std::env::temp_dir().join(format!(
            "reactive-runtime-actions-{test}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        std::fs::write(dir.join("metadata.yaml"), "name: app\n").unwrap();
        std::fs::write(
            dir.join("actions.yaml"),
            "backup:\n  params:\n    target: {type: string}\nrestore: {}\n",
        )
        .unwrap();
        let unit = Unit { dir };
        for tool in ["action-set", "action-fail", "action-log", "juju-log"] {
            unit.tool(tool, "");
        }
        unit.tool("config-get", "echo '{}'");
        unit.tool("action-get", "echo '{\"target\": \"/srv\"}'");
        unit.tool("is-leader", "echo false");
        unit
    }

    /// A tool that appends its arguments (one per line, then a blank line)
    /// to `<tool>.calls`, then runs `body`.
    fn tool(&self, name: &str, body: &str) {
        let log = self.dir.join(format!("{name}.calls"));
        let script = format!(
            "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\" >> '{}'; done\necho >> '{}'\n{body}\n",
            log.display(),
            log.display()
        );
        let path = self.dir.join("bin").join(name);
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// The argument lists `tool` was called with.
    fn calls(&self, tool: &str) -> Vec<Vec<String>> {
        let text =
            std::fs::read_to_string(self.dir.join(format!("{tool}.calls"))).unwrap_or_default();
        text.split_terminator("\n\n")
            .map(|call| call.lines().map(str::to_string).collect())
            .collect()
    }

    /// Run the charm binary's entry point with Juju's variables for
    /// `dispatch` (`actions/<name>` or `hooks/<name>`).
    fn run(&self, dispatch: &str) -> i32 {
        let mut vars: HashMap<&str, String> = HashMap::new();
        vars.insert("JUJU_DISPATCH_PATH", dispatch.to_string());
        vars.insert("JUJU_UNIT_NAME", "app/0".into());
        vars.insert("JUJU_CHARM_DIR", self.dir.display().to_string());
        vars.insert(
            "PATH",
            format!("{}:/usr/bin:/bin", self.dir.join("bin").display()),
        );
        if let Some(action) = dispatch.strip_prefix("actions/") {
            vars.insert("JUJU_ACTION_NAME", action.to_string());
            vars.insert("JUJU_ACTION_UUID", "7".into());
        }
        let env = move |name: &str| vars.get(name).cloned();
        let args = [OsString::from(self.dir.join("dispatch"))];
        main_with(
            &args,
            &env,
            Registry::builder().module_prefix("runtime_actions::charm"),
        )
    }

    fn flags(&self) -> Vec<String> {
        let mut state = UnitState::open(&self.dir.join(".unit-state.db")).unwrap();
        state
            .get_range("reactive.states.")
            .unwrap()
            .into_iter()
            .map(|(k, _)| k["reactive.states.".len()..].to_string())
            .collect()
    }

    fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Unit {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn an_action_runs_its_handler_with_its_params_and_sets_results() {
    let unit = Unit::new("ok");
    assert_eq!(unit.run("actions/backup"), 0);
    assert_eq!(unit.calls("action-get"), [["--format=json"]]);
    assert_eq!(unit.calls("action-set"), [["backup.path=/srv/backup.tar"]]);
    assert_eq!(unit.calls("action-log"), [["starting"]]);
    assert!(unit.calls("action-fail").is_empty());
    assert_eq!(
        unit.flags(),
        ["app.backed-up"],
        "committed, no start-up flags"
    );
    let logs: Vec<String> = unit.calls("juju-log").concat();
    assert!(
        logs.iter()
            .any(|l| l.starts_with("Invoking reactive handler: ") && l.ends_with(":backup")),
        "{logs:?}"
    );
    assert!(
        !logs.iter().any(|l| l.ends_with(":install")),
        "a hook handler ran in the action: {logs:?}"
    );
    assert!(unit.path().join(".unit-state.db").exists());
}

#[test]
fn a_failing_action_calls_action_fail_exits_zero_and_commits_nothing() {
    let unit = Unit::new("fail");
    assert_eq!(unit.run("actions/restore"), 0, "action-fail recorded it");
    assert_eq!(unit.calls("action-fail"), [["no backup to restore from"]]);
    assert!(unit.flags().is_empty(), "{:?}", unit.flags());
}

#[test]
fn when_action_fail_itself_fails_the_process_exits_one() {
    let unit = Unit::new("fail-tool");
    unit.tool(
        "action-fail",
        "echo 'ERROR cannot reach the agent' >&2; exit 1",
    );
    assert_eq!(unit.run("actions/restore"), 1);
    assert_eq!(unit.calls("action-fail").len(), 1);
}

#[test]
fn a_hook_does_not_run_action_handlers() {
    let unit = Unit::new("hook");
    unit.tool("relation-ids", "echo '[]'");
    unit.tool("leader-get", "echo '{}'");
    assert_eq!(unit.run("hooks/install"), 0);
    assert!(unit.calls("action-get").is_empty());
    assert!(unit.calls("action-set").is_empty());
    assert!(unit.flags().contains(&"app.installed".to_string()));
}

#[test]
fn actions_yaml_is_read_by_actions_only() {
    let unit = Unit::new("bad-actions-yaml");
    unit.tool("relation-ids", "echo '[]'");
    unit.tool("leader-get", "echo '{}'");
    std::fs::write(unit.path().join("actions.yaml"), "Backup: [\n").unwrap();
    // A hook does not read it: Juju checked it when the charm was deployed.
    assert_eq!(unit.run("hooks/install"), 0);
    assert!(unit.flags().contains(&"app.installed".to_string()));
    // An action does, and fails on it before any tool is called.
    assert_eq!(unit.run("actions/backup"), 1);
    assert!(unit.calls("action-get").is_empty());
    assert!(unit.calls("action-fail").is_empty());
}
