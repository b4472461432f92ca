//! The model hook tools (secrets, storage, resources, status, goal state,
//! ports, charm state, credentials, remote models, action-log): the process
//! backend's command lines against scripted stand-ins printing what Juju
//! prints, its typed errors, the per-hook cache rules, and secret content
//! kept out of command lines, errors, logs and `Debug` output.
#![cfg(unix)]

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::RwLock;

use reactive_core::log::{LogLevel, MemoryLog};
use reactive_core::tools::cache::CachedTools;
use reactive_core::tools::null::NoTools;
use reactive_core::tools::process::ProcessTools;
use reactive_core::tools::{
    DataBag, GoalStatus, HookTools, OpenedPort, PortEndpoints, PortRange, Protocol, SecretContent,
    SecretOptions, SecretOwner, SecretRef, SecretRevision, SecretRotate, StorageKind, ToolError,
    WorkloadState,
};
use reactive_core::Context;

/// Scripts are written under the write lock and tools run under the read
/// lock, so that no script is exec'd while another thread holds it open
/// for writing ("text file busy").
static SPAWN_LOCK: RwLock<()> = RwLock::new(());
static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// The secret value every secret test uses: it must never show up.
const SECRET: &str = "hunter2-s3cret-value";

/// A directory of scripted tools, removed when dropped.
struct Tools {
    dir: PathBuf,
}

impl Tools {
    fn new(test: &str) -> Tools {
        let dir = std::env::temp_dir().join(format!(
            "reactive-hook-tools-{}-{test}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Tools { dir }
    }

    /// A tool that records its argv (NUL-separated) in `NAME.args`, its
    /// standard input in `NAME.stdin`, appends its name to `calls`, then
    /// runs `body`.
    fn script(&self, name: &str, body: &str) -> &Self {
        let d = self.dir.display();
        let text = format!(
            "#!/bin/sh\nprintf '%s\\0' \"$@\" > '{d}/{name}.args'\n\
             PATH=\"$PATH:/usr/bin:/bin\"\n\
             printf '%s\\n' '{name}' >> '{d}/calls'\n\
             cat > '{d}/{name}.stdin'\n{body}\n"
        );
        let path = self.dir.join(name);
        let _guard = SPAWN_LOCK.write().unwrap_or_else(|p| p.into_inner());
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        self
    }

    /// A tool that prints `output` exactly and exits 0.
    fn prints(&self, name: &str, output: &str) -> &Self {
        let out = self.dir.join(format!("{name}.out"));
        std::fs::write(&out, output).unwrap();
        self.script(name, &format!("cat '{}'", out.display()))
    }

    /// A tool that prints `stderr` on standard error and exits 1.
    fn fails(&self, name: &str, stderr: &str) -> &Self {
        let err = self.dir.join(format!("{name}.err"));
        std::fs::write(&err, stderr).unwrap();
        self.script(name, &format!("cat '{}' >&2\nexit 1", err.display()))
    }

    fn path(&self) -> OsString {
        self.dir.clone().into_os_string()
    }

    fn process(&self) -> ProcessTools {
        ProcessTools::new(Some(self.path()))
    }

    fn cached(&self) -> CachedTools {
        CachedTools::new(Box::new(self.process()))
    }

    fn args(&self, name: &str) -> Vec<String> {
        let raw = std::fs::read(self.dir.join(format!("{name}.args")))
            .unwrap_or_else(|e| panic!("{name} was not run: {e}"));
        let mut args: Vec<String> = String::from_utf8(raw)
            .unwrap()
            .split('\0')
            .map(str::to_string)
            .collect();
        if args.last().is_some_and(String::is_empty) {
            args.pop();
        }
        args
    }

    fn stdin(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(format!("{name}.stdin"))).unwrap()
    }

    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.dir.join(file)).unwrap_or_default()
    }

    /// How many times `name` ran.
    fn count(&self, name: &str) -> usize {
        self.read("calls").lines().filter(|l| *l == name).count()
    }
}

impl Drop for Tools {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

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

/// Assert `SECRET` is in none of the texts an error can be shown as.
fn assert_no_secret(err: &ToolError) {
    let text = format!("{err} | {err:?}");
    assert!(!text.contains(SECRET), "secret leaked: {text}");
}

// ---------------------------------------------------------------------------
// Recorded outputs, shaped as Juju's `--format=json` prints them (Go's
// encoding/json: compact, map keys sorted, one trailing newline).

const STATUS_UNIT: &str = "{\"message\":\"ready\",\"status\":\"active\",\"status-data\":{}}\n";
const STATUS_APP: &str = "{\"application-status\":{\"message\":\"2 units\",\"status\":\"active\",\
\"status-data\":{},\"units\":{\"app/0\":{\"message\":\"ready\",\"status\":\"active\",\
\"status-data\":{}},\"app/1\":{\"message\":\"\",\"status\":\"waiting\",\"status-data\":{\"n\":1}}}}}\n";
const GOAL_STATE: &str =
    "{\"units\":{\"app/0\":{\"status\":\"active\",\"since\":\"2024-05-01 10:00:00Z\"},\
\"app/1\":{\"status\":\"dying\",\"since\":\"2024-05-01 10:05:00Z\"},\
\"app/2\":{\"status\":\"waiting\",\"since\":\"2024-05-01 10:06:00Z\"}},\
\"relations\":{\"db\":{\"postgresql\":{\"status\":\"joined\",\"since\":\"2024-05-01 10:01:00Z\"},\
\"postgresql/0\":{\"status\":\"active\",\"since\":\"2024-05-01 10:02:00Z\"}}}}\n";
const OPENED_PORTS: &str = "[\"80/tcp (*)\",\"8000-8100/udp (metrics, website)\",\"icmp (*)\"]\n";
const STORAGE_GET: &str = "{\"kind\":\"filesystem\",\"location\":\"/srv/data\"}\n";
const SECRET_INFO: &str = "{\"cs4h9f0idhu3lde5q1a0\":{\"revision\":2,\"label\":\"db-password\",\
\"owner\":\"application\",\"rotation\":\"monthly\",\"rotates\":\"2025-02-01T00:00:00Z\",\
\"access\":[{\"target\":\"application-wordpress\",\"scope\":\"relation-wordpress.db#mysql.server\",\
\"role\":\"view\"}]}}\n";
const CREDENTIAL: &str = "{\"type\":\"lxd\",\"name\":\"localhost\",\"region\":\"localhost\",\
\"endpoint\":\"https://10.0.0.1:8443\",\"credential\":{\"auth-type\":\"certificate\",\
\"attrs\":{\"client-cert\":\"CERT\",\"client-key\":\"hunter2-s3cret-value\"}},\
\"is-controller-cloud\":true}\n";

// ---------------------------------------------------------------------------
// Command lines and parsing.

#[test]
fn status_get_unit_and_application() {
    let t = Tools::new("status-get");
    let mut tools = t.process();
    t.prints("status-get", STATUS_UNIT);
    let status = run(|| tools.status_get()).unwrap();
    assert_eq!(t.args("status-get"), ["--include-data", "--format=json"]);
    assert_eq!(status.status, "active");
    assert_eq!(status.message, "ready");
    assert_eq!(status.workload_state(), Some(WorkloadState::Active));

    t.prints("status-get", STATUS_APP);
    let app = run(|| tools.application_status_get()).unwrap();
    assert_eq!(
        t.args("status-get"),
        ["--application", "--include-data", "--format=json"]
    );
    assert_eq!(app.application.message, "2 units");
    assert_eq!(app.units.len(), 2);
    assert_eq!(app.units["app/1"].status, "waiting");
    assert_eq!(app.units["app/1"].data["n"], 1);

    t.prints("status-get", "{\"status\":7}\n");
    let err = run(|| tools.status_get()).unwrap_err();
    assert!(matches!(err, ToolError::BadOutput { .. }), "{err}");
}

#[test]
fn status_set_application_on_a_follower_is_not_leader() {
    let t = Tools::new("status-set");
    let mut tools = t.process();
    t.fails("status-set", "ERROR this unit is not the leader\n");
    let err = run(|| tools.status_set(true, WorkloadState::Active, "ok")).unwrap_err();
    assert!(err.is_not_leader(), "{err:?}");
    assert_eq!(err.tool(), "status-set");
    assert_eq!(t.args("status-set"), ["--application", "active", "ok"]);
    t.fails(
        "status-get",
        "ERROR finding application status: this unit is not the leader\n",
    );
    let err = run(|| tools.application_status_get()).unwrap_err();
    assert!(
        matches!(&err, ToolError::NotLeader { tool, .. } if tool == "status-get"),
        "{err:?}"
    );
    assert!(err.to_string().contains("not the leader"), "{err}");
}

#[test]
fn goal_state() {
    let t = Tools::new("goal-state");
    let mut tools = t.process();
    t.prints("goal-state", GOAL_STATE);
    let goal = run(|| tools.goal_state()).unwrap();
    assert_eq!(t.args("goal-state"), ["--format=json"]);
    assert_eq!(goal.units.len(), 3);
    assert_eq!(goal.planned_units(), 2);
    assert_eq!(
        goal.relations["db"]["postgresql/0"],
        GoalStatus {
            status: "active".into(),
            since: Some("2024-05-01 10:02:00Z".into())
        }
    );
    t.prints("goal-state", "{\"units\":{},\"relations\":{}}\n");
    let empty = run(|| tools.goal_state()).unwrap();
    assert_eq!(empty.planned_units(), 0);
}

#[test]
fn opened_ports_and_port_ranges() {
    let t = Tools::new("ports");
    let mut tools = t.process();
    t.prints("opened-ports", OPENED_PORTS);
    let ports = run(|| tools.opened_ports()).unwrap();
    assert_eq!(t.args("opened-ports"), ["--endpoints", "--format=json"]);
    assert_eq!(
        ports,
        [
            OpenedPort {
                range: PortRange::port(80, Protocol::Tcp).unwrap(),
                endpoints: PortEndpoints::All
            },
            OpenedPort {
                range: PortRange::range(8000, 8100, Protocol::Udp).unwrap(),
                endpoints: PortEndpoints::Only(vec!["metrics".into(), "website".into()])
            },
            OpenedPort {
                range: PortRange::Icmp,
                endpoints: PortEndpoints::All
            },
        ]
    );
    t.prints("opened-ports", "null\n");
    assert!(run(|| tools.opened_ports()).unwrap().is_empty());
    t.prints("opened-ports", "[\"80/sctp (*)\"]\n");
    let err = run(|| tools.opened_ports()).unwrap_err();
    assert!(matches!(err, ToolError::BadOutput { .. }), "{err}");

    t.prints("open-port", "").prints("close-port", "");
    let range = PortRange::range(8000, 8100, Protocol::Tcp).unwrap();
    run(|| tools.open_port_range(range, &[])).unwrap();
    assert_eq!(t.args("open-port"), ["8000-8100/tcp"]);
    let endpoints = vec!["dmz".to_string(), "monitoring".to_string()];
    run(|| tools.open_port_range(range, &endpoints)).unwrap();
    assert_eq!(
        t.args("open-port"),
        ["--endpoints", "dmz,monitoring", "8000-8100/tcp"]
    );
    run(|| tools.close_port_range(PortRange::Icmp, &[])).unwrap();
    assert_eq!(t.args("close-port"), ["icmp"]);

    let bad = vec!["a,b".to_string()];
    let err = run(|| tools.open_port_range(range, &bad)).unwrap_err();
    assert!(matches!(err, ToolError::InvalidInput { .. }), "{err}");
    assert_eq!(t.count("open-port"), 2, "refused input runs nothing");
}

#[test]
fn storage_tools() {
    let t = Tools::new("storage");
    let mut tools = t.process();
    t.prints("storage-get", STORAGE_GET);
    let info = run(|| tools.storage_get(Some("data/0"))).unwrap();
    assert_eq!(t.args("storage-get"), ["--format=json", "-s", "data/0"]);
    assert_eq!(info.kind, StorageKind::Filesystem);
    assert_eq!(info.location, "/srv/data");
    run(|| tools.storage_get(None)).unwrap();
    assert_eq!(t.args("storage-get"), ["--format=json"]);

    t.prints("storage-get", "\"/srv/data\"\n");
    let location = run(|| tools.storage_get_key(Some("data/0"), "location")).unwrap();
    assert_eq!(location, "/srv/data");
    assert_eq!(
        t.args("storage-get"),
        ["--format=json", "-s", "data/0", "location"]
    );
    t.fails("storage-get", "ERROR invalid storage attribute \"size\"\n");
    let err = run(|| tools.storage_get_key(None, "size")).unwrap_err();
    assert!(matches!(err, ToolError::Failed { .. }), "{err:?}");

    t.prints("storage-list", "[\"data/0\",\"data/1\"]\n");
    assert_eq!(
        run(|| tools.storage_list(Some("data"))).unwrap(),
        ["data/0", "data/1"]
    );
    assert_eq!(t.args("storage-list"), ["--format=json", "data"]);
    t.prints("storage-list", "[]\n");
    assert!(run(|| tools.storage_list(None)).unwrap().is_empty());
    assert_eq!(t.args("storage-list"), ["--format=json"]);

    t.prints("storage-add", "");
    run(|| tools.storage_add("data", 2)).unwrap();
    assert_eq!(t.args("storage-add"), ["data=2"]);
    let err = run(|| tools.storage_add("data", 0)).unwrap_err();
    assert!(matches!(err, ToolError::InvalidInput { .. }), "{err}");
    let err = run(|| tools.storage_add("da=ta", 1)).unwrap_err();
    assert!(matches!(err, ToolError::InvalidInput { .. }), "{err}");
    assert_eq!(t.count("storage-add"), 1);
}

#[test]
fn resource_get_and_its_not_found() {
    let t = Tools::new("resource-get");
    let mut tools = t.process();
    let path = "/var/lib/juju/agents/unit-app-0/resources/software/software.zip";
    t.prints("resource-get", path);
    assert_eq!(
        run(|| tools.resource_get("software")).unwrap(),
        PathBuf::from(path)
    );
    assert_eq!(t.args("resource-get"), ["software"]);
    t.fails(
        "resource-get",
        "ERROR could not download resource: resource \"nope\" not found\n",
    );
    let err = run(|| tools.resource_get("nope")).unwrap_err();
    assert!(err.is_entity_not_found(), "{err:?}");
    assert_eq!(err.tool(), "resource-get");
    t.prints("resource-get", "\n");
    let err = run(|| tools.resource_get("software")).unwrap_err();
    assert!(matches!(err, ToolError::BadOutput { .. }), "{err}");
}

#[test]
fn charm_state_tools() {
    let t = Tools::new("state");
    let mut tools = t.process();
    t.prints("state-get", "\"v1\"\n");
    assert_eq!(run(|| tools.state_get("k")).unwrap().as_deref(), Some("v1"));
    assert_eq!(t.args("state-get"), ["--format=json", "--strict", "k"]);
    t.fails("state-get", "ERROR \"missing\" not found\n");
    assert_eq!(run(|| tools.state_get("missing")).unwrap(), None);
    t.prints("state-get", "{\"a\":\"1\",\"b\":\"2\"}\n");
    assert_eq!(
        run(|| tools.state_get_all()).unwrap(),
        bag(&[("a", "1"), ("b", "2")])
    );
    assert_eq!(t.args("state-get"), ["--format=json"]);

    t.prints("state-set", "");
    run(|| tools.state_set(&bag(&[("token", SECRET)]))).unwrap();
    assert_eq!(t.args("state-set"), ["--file", "-"]);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&t.stdin("state-set")).unwrap(),
        serde_json::json!({"token": SECRET})
    );
    t.prints("state-delete", "");
    run(|| tools.state_delete("token")).unwrap();
    assert_eq!(t.args("state-delete"), ["token"]);
    let err = run(|| tools.state_delete("-")).unwrap_err();
    assert!(matches!(err, ToolError::InvalidInput { .. }), "{err}");
}

#[test]
fn credential_relation_model_and_action_log() {
    let t = Tools::new("misc");
    let mut tools = t.process();
    t.prints("credential-get", CREDENTIAL);
    let spec = run(|| tools.credential_get()).unwrap();
    assert_eq!(t.args("credential-get"), ["--format=json"]);
    assert_eq!(spec.cloud_type, "lxd");
    assert_eq!(spec.region.as_deref(), Some("localhost"));
    assert!(spec.is_controller_cloud);
    let credential = spec.credential.as_ref().unwrap();
    assert_eq!(credential.auth_type, "certificate");
    assert_eq!(credential.attributes["client-key"], SECRET);
    assert!(!format!("{spec:?}").contains(SECRET), "{spec:?}");

    t.fails(
        "credential-get",
        "ERROR cannot access cloud credentials: permission denied\n",
    );
    let err = run(|| tools.credential_get()).unwrap_err();
    assert!(err.is_permission_denied(), "{err:?}");

    t.prints(
        "relation-model-get",
        "{\"uuid\":\"8a8b7c2e-0b4e-4b36-8f43-1b2a3c4d5e6f\"}\n",
    );
    let model = run(|| tools.relation_model_get("db:4")).unwrap();
    assert_eq!(model.uuid, "8a8b7c2e-0b4e-4b36-8f43-1b2a3c4d5e6f");
    assert_eq!(
        t.args("relation-model-get"),
        ["--format=json", "-r", "db:4"]
    );

    t.prints("action-log", "");
    run(|| tools.action_log("50% done")).unwrap();
    assert_eq!(t.args("action-log"), ["50% done"]);
    run(|| tools.action_log("-5 left")).unwrap();
    assert_eq!(t.args("action-log"), ["--", "-5 left"]);
}

// ---------------------------------------------------------------------------
// Secrets.

/// A `secret-add` / `secret-set` stand-in that copies the file given with
/// `--file` (and its directory's and its own modes) before `then`.
fn secret_writer(t: &Tools, name: &str, then: &str) {
    let d = t.dir.display();
    t.script(
        name,
        &format!(
            "while [ $# -gt 0 ]; do\n\
             if [ \"$1\" = --file ]; then\n\
             cp \"$2\" '{d}/{name}.content'\n\
             stat -c %a \"$2\" > '{d}/{name}.mode'\n\
             stat -c %a \"$(dirname \"$2\")\" > '{d}/{name}.dirmode'\n\
             FILE=\"$2\"\n\
             fi\n\
             shift\n\
             done\n{then}"
        ),
    );
}

#[test]
fn secret_add_sends_content_through_a_private_file() {
    let t = Tools::new("secret-add");
    let mut tools = t.process();
    secret_writer(&t, "secret-add", "echo secret:cs4h9f0idhu3lde5q1a0");
    let content = SecretContent::from_pairs([("password", SECRET), ("username", "admin")]);
    let options = SecretOptions {
        label: Some("db-password".into()),
        description: Some("the database password".into()),
        expire: Some("24h".into()),
        rotate: Some(SecretRotate::Monthly),
        owner: Some(SecretOwner::Unit),
    };
    let id = run(|| tools.secret_add(&content, &options)).unwrap();
    assert_eq!(id, "secret:cs4h9f0idhu3lde5q1a0");
    let args = t.args("secret-add");
    assert_eq!(
        args[..10],
        [
            "--label",
            "db-password",
            "--description",
            "the database password",
            "--expire",
            "24h",
            "--rotate",
            "monthly",
            "--owner",
            "unit"
        ]
    );
    assert_eq!(args[10], "--file");
    assert!(args.iter().all(|a| !a.contains(SECRET)), "{args:?}");
    let sent: serde_json::Value = serde_json::from_str(&t.read("secret-add.content")).unwrap();
    assert_eq!(
        sent,
        serde_json::json!({"password": SECRET, "username": "admin"})
    );
    assert_eq!(t.read("secret-add.mode").trim(), "600");
    assert_eq!(t.read("secret-add.dirmode").trim(), "700");
    assert!(
        !PathBuf::from(&args[11]).exists(),
        "the content file outlives the call"
    );
}

#[test]
fn secret_content_never_reaches_errors_or_logs() {
    let t = Tools::new("secret-leak");
    // A tool that echoes the content it was given on its standard error.
    secret_writer(
        &t,
        "secret-add",
        "cat \"$FILE\" >&2\necho \"$@\" >&2\nexit 1",
    );
    t.prints("juju-log", "");
    let content = SecretContent::from_pairs([("password", SECRET)]);
    assert!(!format!("{content:?}").contains(SECRET));

    let mut tools = t.process();
    let err = run(|| tools.secret_add(&content, &SecretOptions::default())).unwrap_err();
    assert_no_secret(&err);
    assert!(matches!(err, ToolError::Failed { .. }), "{err:?}");
    let file = t.args("secret-add").last().cloned().unwrap();
    assert!(!PathBuf::from(file).exists(), "content file left behind");

    // Through a context logging the error, as a charm would.
    let log = MemoryLog::default();
    let mut ctx = Context::in_memory("config-changed");
    ctx.set_log(log.clone());
    ctx.set_tools(Box::new(t.process()), true);
    let err = run(|| ctx.secret_add(&content, &SecretOptions::default())).unwrap_err();
    run(|| ctx.log(LogLevel::Error, &format!("cannot add secret: {err}")));
    assert!(log.messages().iter().all(|m| !m.contains(SECRET)));
    assert!(t.args("juju-log").iter().all(|a| !a.contains(SECRET)));

    // secret-set too.
    secret_writer(&t, "secret-set", "cat \"$FILE\" >&2\nexit 1");
    let err = run(|| {
        tools.secret_set(
            "secret:cs4h9f0idhu3lde5q1a0",
            Some(&content),
            &SecretOptions::default(),
        )
    })
    .unwrap_err();
    assert_no_secret(&err);

    // Unparsable secret-get output is never quoted.
    t.prints("secret-get", &format!("{{\"password\": \"{SECRET}\""));
    let err = run(|| {
        tools.secret_get(
            SecretRef::Id("secret:cs4h9f0idhu3lde5q1a0"),
            SecretRevision::Tracked,
        )
    })
    .unwrap_err();
    assert!(matches!(err, ToolError::BadOutput { .. }), "{err}");
    assert_no_secret(&err);
    t.prints("secret-get", &format!("{{\"password\": [\"{SECRET}\"]}}"));
    let err =
        run(|| tools.secret_get(SecretRef::Label("db"), SecretRevision::Tracked)).unwrap_err();
    assert_no_secret(&err);
}

#[test]
fn secret_add_refuses_bad_content_without_running() {
    let t = Tools::new("secret-bad");
    let mut tools = t.process();
    secret_writer(&t, "secret-add", "echo secret:x");
    for content in [
        SecretContent::default(),
        SecretContent::from_pairs([("Password", SECRET)]),
    ] {
        let err = run(|| tools.secret_add(&content, &SecretOptions::default())).unwrap_err();
        assert!(matches!(err, ToolError::InvalidInput { .. }), "{err}");
        assert_no_secret(&err);
    }
    assert_eq!(t.count("secret-add"), 0);
}

#[test]
fn secret_get_forms_and_errors() {
    let t = Tools::new("secret-get");
    let mut tools = t.process();
    t.prints(
        "secret-get",
        &format!("{{\"password\":\"{SECRET}\",\"username\":\"admin\"}}\n"),
    );
    let id = "secret:cs4h9f0idhu3lde5q1a0";
    let content = run(|| tools.secret_get(SecretRef::Id(id), SecretRevision::Tracked)).unwrap();
    assert_eq!(content.get("password"), Some(SECRET));
    assert_eq!(content.keys().collect::<Vec<_>>(), ["password", "username"]);
    assert_eq!(t.args("secret-get"), ["--format=json", id]);
    run(|| tools.secret_get(SecretRef::Label("db"), SecretRevision::Peek)).unwrap();
    assert_eq!(
        t.args("secret-get"),
        ["--format=json", "--peek", "--label", "db"]
    );
    run(|| tools.secret_get(SecretRef::IdAndLabel(id, "db"), SecretRevision::Refresh)).unwrap();
    assert_eq!(
        t.args("secret-get"),
        ["--format=json", "--refresh", "--label", "db", id]
    );

    t.fails("secret-get", &format!("ERROR secret \"{id}\" not found\n"));
    let err = run(|| tools.secret_get(SecretRef::Id(id), SecretRevision::Tracked)).unwrap_err();
    assert!(err.is_secret_not_found(), "{err:?}");
    assert_eq!(err.tool(), "secret-get");
    t.fails("secret-get", "ERROR permission denied\n");
    let err = run(|| tools.secret_get(SecretRef::Id(id), SecretRevision::Tracked)).unwrap_err();
    assert!(err.is_permission_denied(), "{err:?}");
    assert!(err.to_string().contains("secret-get"), "{err}");
}

#[test]
fn secret_management_forms() {
    let t = Tools::new("secret-mgmt");
    let mut tools = t.process();
    let id = "secret:cs4h9f0idhu3lde5q1a0";
    secret_writer(&t, "secret-set", "");
    let options = SecretOptions {
        label: Some("db".into()),
        owner: Some(SecretOwner::Unit),
        ..SecretOptions::default()
    };
    run(|| tools.secret_set(id, None, &options)).unwrap();
    assert_eq!(t.args("secret-set"), ["--label", "db", id]);
    let content = SecretContent::from_pairs([("token", SECRET)]);
    run(|| tools.secret_set(id, Some(&content), &SecretOptions::default())).unwrap();
    let args = t.args("secret-set");
    assert_eq!(args[0], "--file");
    assert_eq!(args[2], id);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&t.read("secret-set.content")).unwrap(),
        serde_json::json!({"token": SECRET})
    );

    t.prints("secret-grant", "").prints("secret-revoke", "");
    run(|| tools.secret_grant(id, "db:4", None)).unwrap();
    assert_eq!(t.args("secret-grant"), ["--relation", "db:4", id]);
    run(|| tools.secret_revoke(id, "db:4", Some("wordpress/1"))).unwrap();
    assert_eq!(
        t.args("secret-revoke"),
        ["--relation", "db:4", "--unit", "wordpress/1", id]
    );
    t.prints("secret-remove", "");
    run(|| tools.secret_remove(id, Some(3))).unwrap();
    assert_eq!(t.args("secret-remove"), ["--revision", "3", id]);
    run(|| tools.secret_remove(id, None)).unwrap();
    assert_eq!(t.args("secret-remove"), [id]);

    t.prints("secret-ids", "[\"cs4h9f0idhu3lde5q1a0\",\"secret:cs9a\"]\n");
    assert_eq!(run(|| tools.secret_ids()).unwrap(), [id, "secret:cs9a"]);
    assert_eq!(t.args("secret-ids"), ["--format=json"]);

    t.prints("secret-info-get", SECRET_INFO);
    let info = run(|| tools.secret_info_get(SecretRef::Label("db-password"))).unwrap();
    assert_eq!(
        t.args("secret-info-get"),
        ["--format=json", "--label", "db-password"]
    );
    assert_eq!(info.id, id);
    assert_eq!(info.revision, 2);
    assert_eq!(info.label, "db-password");
    assert_eq!(info.rotation.as_deref(), Some("monthly"));
    assert_eq!(info.expiry, None);
    assert_eq!(info.access.len(), 1);
    assert_eq!(info.access[0].role, "view");
    run(|| tools.secret_info_get(SecretRef::IdAndLabel(id, "x"))).unwrap();
    assert_eq!(t.args("secret-info-get"), ["--format=json", id]);
    t.fails("secret-info-get", "ERROR secret \"x\" not found\n");
    let err = run(|| tools.secret_info_get(SecretRef::Label("x"))).unwrap_err();
    assert!(err.is_secret_not_found(), "{err:?}");
    t.fails("secret-remove", "ERROR permission denied\n");
    let err = run(|| tools.secret_remove(id, None)).unwrap_err();
    assert!(
        matches!(&err, ToolError::PermissionDenied { tool, .. } if tool == "secret-remove"),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------
// Backends that do not implement a tool.

#[test]
fn unsupported_tools_say_so_by_name() {
    let mut tools = NoTools;
    let err = tools.goal_state().unwrap_err();
    assert!(
        matches!(&err, ToolError::NotSupported { tool } if tool == "goal-state"),
        "{err:?}"
    );
    assert!(err.to_string().contains("goal-state"), "{err}");
    assert!(tools.credential_get().unwrap_err().is_not_supported());
    // The default port-range methods fall back on open-port for one port.
    let err = tools
        .open_port_range(PortRange::port(80, Protocol::Tcp).unwrap(), &[])
        .unwrap_err();
    assert!(matches!(err, ToolError::NotFound { .. }), "{err:?}");
    let err = tools.open_port_range(PortRange::Icmp, &[]).unwrap_err();
    assert!(err.is_not_supported(), "{err:?}");
    let ctx = Context::in_memory("install");
    assert!(ctx.secret_ids().unwrap_err().is_not_supported());
}

// ---------------------------------------------------------------------------
// The per-hook cache.

#[test]
fn cache_keeps_answers_that_cannot_change_within_a_hook() {
    let t = Tools::new("cache-fixed");
    t.prints("goal-state", GOAL_STATE)
        .prints("credential-get", CREDENTIAL)
        .prints("resource-get", "/r/software.zip")
        .prints("relation-model-get", "{\"uuid\":\"u1\"}\n");
    let mut tools = t.cached();
    run(|| {
        for _ in 0..3 {
            tools.goal_state().unwrap();
            tools.credential_get().unwrap();
            tools.resource_get("software").unwrap();
            tools.relation_model_get("db:1").unwrap();
        }
        tools.relation_model_get("db:2").unwrap();
        tools.resource_get("other").unwrap();
    });
    assert_eq!(t.count("goal-state"), 1);
    assert_eq!(t.count("credential-get"), 1);
    assert_eq!(t.count("resource-get"), 2);
    assert_eq!(t.count("relation-model-get"), 2);
    tools.clear();
    run(|| tools.goal_state()).unwrap();
    assert_eq!(t.count("goal-state"), 2, "a new hook asks again");
    assert!(!format!("{tools:?}").contains(SECRET));
}

#[test]
fn cache_keeps_no_errors() {
    let t = Tools::new("cache-errors");
    t.fails("resource-get", "ERROR resource \"x\" not found\n");
    let mut tools = t.cached();
    for _ in 0..2 {
        assert!(run(|| tools.resource_get("x")).is_err());
    }
    assert_eq!(t.count("resource-get"), 2);
}

#[test]
fn cache_forgets_opened_ports_after_a_port_change() {
    let t = Tools::new("cache-ports");
    t.prints("opened-ports", OPENED_PORTS)
        .prints("open-port", "")
        .prints("close-port", "");
    let mut tools = t.cached();
    run(|| {
        tools.opened_ports().unwrap();
        tools.opened_ports().unwrap();
    });
    assert_eq!(t.count("opened-ports"), 1);
    run(|| tools.open_port_range(PortRange::Icmp, &[])).unwrap();
    run(|| tools.opened_ports()).unwrap();
    assert_eq!(t.count("opened-ports"), 2);
    run(|| tools.close_port(80, Protocol::Tcp)).unwrap();
    run(|| tools.opened_ports()).unwrap();
    assert_eq!(t.count("opened-ports"), 3);
}

#[test]
fn cache_forgets_status_after_status_set() {
    let t = Tools::new("cache-status");
    t.prints("status-get", STATUS_UNIT).prints("status-set", "");
    let mut tools = t.cached();
    run(|| {
        tools.status_get().unwrap();
        tools.status_get().unwrap();
    });
    assert_eq!(t.count("status-get"), 1);
    run(|| tools.status_set(false, WorkloadState::Blocked, "no db")).unwrap();
    run(|| tools.status_get()).unwrap();
    assert_eq!(t.count("status-get"), 2);
}

#[test]
fn cache_follows_state_writes() {
    let t = Tools::new("cache-state");
    t.prints("state-get", "\"v1\"\n")
        .prints("state-set", "")
        .prints("state-delete", "");
    let mut tools = t.cached();
    run(|| {
        assert_eq!(tools.state_get("k").unwrap().as_deref(), Some("v1"));
        assert_eq!(tools.state_get("k").unwrap().as_deref(), Some("v1"));
    });
    assert_eq!(t.count("state-get"), 1);
    run(|| tools.state_set(&bag(&[("k", "v2")]))).unwrap();
    assert_eq!(run(|| tools.state_get("k")).unwrap().as_deref(), Some("v2"));
    run(|| tools.state_delete("k")).unwrap();
    assert_eq!(run(|| tools.state_get("k")).unwrap(), None);
    assert_eq!(t.count("state-get"), 1, "writes update the cache");

    t.prints("state-get", "{\"a\":\"1\"}\n");
    assert_eq!(run(|| tools.state_get_all()).unwrap(), bag(&[("a", "1")]));
    assert_eq!(run(|| tools.state_get("zz")).unwrap(), None);
    run(|| tools.state_set(&bag(&[("b", "2")]))).unwrap();
    assert_eq!(
        run(|| tools.state_get_all()).unwrap(),
        bag(&[("a", "1"), ("b", "2")])
    );
    assert_eq!(t.count("state-get"), 2);

    t.fails("state-set", "ERROR connection is shut down\n");
    assert!(run(|| tools.state_set(&bag(&[("c", "3")]))).is_err());
    t.prints("state-get", "{\"a\":\"1\"}\n");
    run(|| tools.state_get_all()).unwrap();
    assert_eq!(t.count("state-get"), 3, "a failed write forgets the state");
}

#[test]
fn cache_never_keeps_secrets() {
    let t = Tools::new("cache-secrets");
    t.prints("secret-get", &format!("{{\"password\":\"{SECRET}\"}}\n"))
        .prints("secret-info-get", SECRET_INFO)
        .prints("secret-ids", "[]\n");
    let mut tools = t.cached();
    run(|| {
        for revision in [
            SecretRevision::Tracked,
            SecretRevision::Tracked,
            SecretRevision::Refresh,
        ] {
            tools.secret_get(SecretRef::Label("db"), revision).unwrap();
        }
        tools.secret_info_get(SecretRef::Label("db")).unwrap();
        tools.secret_info_get(SecretRef::Label("db")).unwrap();
        tools.secret_ids().unwrap();
        tools.secret_ids().unwrap();
    });
    assert_eq!(t.count("secret-get"), 3);
    assert_eq!(t.count("secret-info-get"), 2);
    assert_eq!(t.count("secret-ids"), 2);
    assert!(!format!("{tools:?}").contains(SECRET));
}

#[test]
fn context_methods_reach_the_tools_through_the_cache() {
    let t = Tools::new("context");
    t.prints("goal-state", GOAL_STATE)
        .prints("opened-ports", OPENED_PORTS)
        .prints("open-port", "");
    let mut ctx = Context::in_memory("config-changed");
    ctx.set_tools(Box::new(t.process()), false);
    run(|| {
        assert_eq!(ctx.planned_units().unwrap(), 2);
        assert_eq!(ctx.goal_state().unwrap().units.len(), 3);
        assert_eq!(ctx.opened_ports().unwrap().len(), 3);
        ctx.open_port(
            PortRange::range(9000, 9010, Protocol::Udp).unwrap(),
            &["dmz"],
        )
        .unwrap();
        ctx.opened_ports().unwrap();
    });
    assert_eq!(t.count("goal-state"), 1);
    assert_eq!(t.count("opened-ports"), 2);
    assert_eq!(t.args("open-port"), ["--endpoints", "dmz", "9000-9010/udp"]);
}
