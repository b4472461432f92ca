//! Every model and secret tool answered by the simulator, in process
//! (`UnitTools`) and through the tool server as a charm run as a process
//! calls it (`ProcessTools` → the hook-tool client → the socket →
//! `UnitTools`): the typed answers, the typed errors, the records and the
//! model left afterwards must be the same.
//!
//! This test binary is also the hook-tool client: run through a link named
//! after a hook tool, it acts as that tool.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use reactive_core::hook::HookInfo;
use reactive_core::metadata::CharmMetadata;
use reactive_core::tools::process::ProcessTools;
use reactive_core::tools::{
    DataBag, HookTools, PortRange, Protocol, SecretContent, SecretOptions, SecretOwner, SecretRef,
    SecretRevision, SecretRotate, ToolError, WorkloadState,
};
use reactive_core::LogLevel;
use reactive_testing::sim::model::{ModelState, SecretOwnerRef};
use reactive_testing::sim::tool_client::{install_tool_links, main_as_tool};
use reactive_testing::sim::tool_server::ToolServer;
use reactive_testing::sim::{SharedUnitTools, UnitTools};
use serde_json::Map;

const PASSWORD: &str = "correct-horse-battery";
const NEW_PASSWORD: &str = "staple-renewed-2025";
const PG_TOKEN: &str = "pg-granted-token-value";
const PG_TOKEN_2: &str = "pg-granted-token-second";

/// `app` (app/0 leader, app/1) with storage `data` (one, at /srv/data) and
/// `logs` (0 to 3), a resource and trust; `pg` (pg/0); relation `db:0`; a
/// secret of `pg` granted to `app` (two revisions) and one not granted.
fn model() -> ModelState {
    let mut m = ModelState::default();
    let meta = CharmMetadata::parse(
        "name: app\nrequires:\n  db: {interface: pgsql}\nstorage:\n  data: {type: filesystem, location: /srv/data}\n  logs:\n    type: filesystem\n    multiple: {range: 0-3}\n",
        "metadata.yaml",
    )
    .unwrap();
    m.add_app(
        "app",
        BTreeMap::from([("db".to_string(), "pgsql".to_string())]),
        Map::new(),
    );
    m.add_app(
        "pg",
        BTreeMap::from([("db".to_string(), "pgsql".to_string())]),
        Map::new(),
    );
    {
        let app = m.apps.get_mut("app").unwrap();
        app.storage = meta.storage.clone();
        app.trusted = true;
        app.leader = Some("app/0".into());
        app.resources
            .insert("config-file".into(), PathBuf::from("/tmp/res/config.tgz"));
    }
    for unit in ["app/0", "app/1", "pg/0"] {
        m.add_unit(unit, None);
    }
    let id = m.add_relation(&[("app", "db"), ("pg", "db")]);
    for unit in ["app/0", "app/1", "pg/0"] {
        m.enter_relation(id, unit);
    }
    assert_eq!(m.attach_storage("app/0", "data", 1), ["data/0"]);
    m.units
        .get_mut("app/0")
        .unwrap()
        .ports
        .insert(PortRange::Icmp, ["*".to_string()].into_iter().collect());
    let granted = m.secrets.add_owned(
        SecretOwnerRef::App("pg".into()),
        SecretContent::from_pairs([("token", PG_TOKEN)]),
        &SecretOptions::default(),
    );
    let record = m.secrets.get_mut(&granted).unwrap();
    record.grants.insert("app".into(), id);
    record
        .revisions
        .insert(2, SecretContent::from_pairs([("token", PG_TOKEN_2)]));
    record.latest = 2;
    record.consumers.insert(
        "app/0".into(),
        reactive_testing::sim::model::ConsumerState {
            tracked: Some(1),
            ..Default::default()
        },
    );
    m.secrets.add_owned(
        SecretOwnerRef::Unit("pg/0".into()),
        SecretContent::from_pairs([("other", "not-for-app-value")]),
        &SecretOptions::default(),
    );
    m
}

/// What a call gave, comparable across the two paths: the value's Debug
/// form (secret content spelled out), or the error's kind and tool.
fn outcome<T: std::fmt::Debug>(result: Result<T, ToolError>) -> String {
    match result {
        Ok(value) => format!("ok {value:?}"),
        Err(e) => {
            let kind = if e.is_secret_not_found() {
                "secret-not-found"
            } else if e.is_entity_not_found() {
                "not-found"
            } else if e.is_not_leader() {
                "not-leader"
            } else if e.is_permission_denied() {
                "permission-denied"
            } else if e.is_relation_not_found() {
                "relation-not-found"
            } else if matches!(e, ToolError::InvalidInput { .. }) {
                "invalid-input"
            } else {
                "failed"
            };
            format!("err {kind} {}", e.tool())
        }
    }
}

fn content_of(result: Result<SecretContent, ToolError>) -> String {
    outcome(result.map(|c| c.expose().clone()))
}

/// The leader's calls: every tool, with each of its typed errors.
fn leader_script(t: &mut dyn HookTools) -> Vec<String> {
    let mut out = vec![outcome(t.resource_get("config-file"))];
    out.push(outcome(t.resource_get("missing")));
    out.push(outcome(t.storage_list(None)));
    out.push(outcome(t.storage_list(Some("logs"))));
    out.push(outcome(t.storage_get(Some("data/0"))));
    out.push(outcome(t.storage_get(None)));
    out.push(outcome(t.storage_get_key(Some("data/0"), "location")));
    out.push(outcome(t.storage_get_key(None, "kind")));
    out.push(outcome(t.storage_get(Some("data/9"))));
    out.push(outcome(t.storage_add("logs", 2)));
    out.push(outcome(t.storage_add("logs", 2)));
    out.push(outcome(t.storage_add("nope", 1)));
    out.push(outcome(t.status_set(false, WorkloadState::Active, "ready")));
    out.push(outcome(t.status_set(
        true,
        WorkloadState::Blocked,
        "needs db",
    )));
    out.push(outcome(t.status_get()));
    out.push(outcome(t.application_status_get()));
    out.push(outcome(t.goal_state()));
    let range = PortRange::range(8000, 8100, Protocol::Udp).unwrap();
    out.push(outcome(t.open_port_range(range, &["db".to_string()])));
    out.push(outcome(t.open_port(443, Protocol::Tcp)));
    out.push(outcome(t.open_port_range(range, &["web".to_string()])));
    out.push(outcome(t.close_port_range(PortRange::Icmp, &[])));
    out.push(outcome(t.opened_ports()));
    out.push(outcome(t.state_set(&DataBag::from([
        ("a".to_string(), "1".to_string()),
        ("b".to_string(), "two words".to_string()),
    ]))));
    out.push(outcome(t.state_get("a")));
    out.push(outcome(t.state_get("zz")));
    out.push(outcome(t.state_delete("b")));
    out.push(outcome(t.state_get_all()));
    out.push(outcome(t.credential_get()));
    out.push(outcome(t.relation_model_get("db:0")));
    out.push(outcome(t.relation_model_get("db:9")));
    // Secrets this unit's application owns.
    let content = SecretContent::from_pairs([("password", PASSWORD), ("user", "admin")]);
    let options = SecretOptions {
        label: Some("db-pass".into()),
        description: Some("the admin password".into()),
        rotate: Some(SecretRotate::Daily),
        ..SecretOptions::default()
    };
    let id = t.secret_add(&content, &options).unwrap_or_default();
    out.push(outcome(Ok::<_, ToolError>(if id.is_empty() {
        "none"
    } else {
        "id"
    })));
    out.push(outcome(t.secret_add(&content, &options)));
    out.push(outcome(t.secret_ids()));
    out.push(outcome(t.secret_info_get(SecretRef::Label("db-pass"))));
    let renewed = SecretContent::from_pairs([("password", NEW_PASSWORD), ("user", "admin")]);
    out.push(outcome(t.secret_set(
        &id,
        Some(&renewed),
        &SecretOptions::default(),
    )));
    out.push(content_of(
        t.secret_get(SecretRef::Id(&id), SecretRevision::Tracked),
    ));
    out.push(outcome(t.secret_grant(&id, "db:0", None)));
    out.push(outcome(t.secret_grant(&id, "db:0", Some("app/1"))));
    out.push(outcome(t.secret_grant(&id, "db:7", None)));
    out.push(outcome(t.secret_info_get(SecretRef::Id(&id))));
    out.push(outcome(t.secret_revoke(&id, "db:0", None)));
    out.push(outcome(t.secret_remove(&id, Some(1))));
    out.push(outcome(t.secret_remove(&id, Some(9))));
    out.push(content_of(t.secret_get(
        SecretRef::Id("secret:nope"),
        SecretRevision::Tracked,
    )));
    out.push(content_of(
        t.secret_get(SecretRef::Label("nope"), SecretRevision::Peek),
    ));
    // A secret of `pg` granted to this application: the tracked revision
    // until a refresh; a peek reads the latest without tracking it.
    let pg = "secret:d0sim000000000000001";
    out.push(content_of(t.secret_get(
        SecretRef::IdAndLabel(pg, "pg-token"),
        SecretRevision::Tracked,
    )));
    out.push(content_of(
        t.secret_get(SecretRef::Label("pg-token"), SecretRevision::Peek),
    ));
    out.push(content_of(
        t.secret_get(SecretRef::Id(pg), SecretRevision::Tracked),
    ));
    out.push(content_of(
        t.secret_get(SecretRef::Id(pg), SecretRevision::Refresh),
    ));
    out.push(content_of(
        t.secret_get(SecretRef::Id(pg), SecretRevision::Tracked),
    ));
    out.push(outcome(t.secret_set(
        pg,
        Some(&renewed),
        &SecretOptions::default(),
    )));
    out.push(outcome(t.secret_info_get(SecretRef::Id(pg))));
    out.push(outcome(t.secret_remove(pg, None)));
    // A secret not granted.
    out.push(content_of(t.secret_get(
        SecretRef::Id("secret:d0sim000000000000002"),
        SecretRevision::Tracked,
    )));
    out.push(outcome(t.juju_log(
        LogLevel::Info,
        &format!("connecting with {NEW_PASSWORD}"),
    )));
    out
}

/// A follower's calls: the leader-only tools refuse.
fn follower_script(t: &mut dyn HookTools) -> Vec<String> {
    let content = SecretContent::from_pairs([("password", PASSWORD)]);
    let unit_owned = SecretOptions {
        owner: Some(SecretOwner::Unit),
        ..SecretOptions::default()
    };
    vec![
        outcome(t.application_status_get()),
        outcome(t.status_set(true, WorkloadState::Active, "")),
        outcome(t.secret_add(&content, &SecretOptions::default())),
        outcome(t.secret_add(&content, &unit_owned).map(|_| "id")),
        outcome(t.secret_ids()),
        outcome(t.storage_get(None)),
    ]
}

struct Socket {
    server: ToolServer,
    tools: ProcessTools,
    dir: PathBuf,
}

fn socket_side() -> Socket {
    let dir = std::env::temp_dir().join(format!("rsim-rt-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let exe = std::env::current_exe().unwrap();
    let tool_dir = install_tool_links(&dir.join("tools"), &exe).unwrap();
    let server = ToolServer::start(&dir.join("s.sock")).unwrap();
    // Read by the hook-tool client, a child of this process.
    std::env::set_var("REACTIVE_SIM_SOCKET", server.socket_path());
    let tools = ProcessTools::new(Some(tool_dir.into_os_string()));
    Socket { server, tools, dir }
}

fn run_both(
    unit: &str,
    storage: Option<&str>,
    script: fn(&mut dyn HookTools) -> Vec<String>,
    socket: &mut Socket,
) -> (Vec<String>, ModelState, ModelState, UnitTools, UnitTools) {
    let direct_model = Arc::new(Mutex::new(model()));
    let mut direct =
        UnitTools::new(direct_model.clone(), unit).with_storage(storage.map(str::to_string));
    let direct_out = script(&mut direct);

    let served_model = Arc::new(Mutex::new(model()));
    let served: SharedUnitTools = Arc::new(Mutex::new(
        UnitTools::new(served_model.clone(), unit).with_storage(storage.map(str::to_string)),
    ));
    let hook = HookInfo {
        storage_id: storage.map(str::to_string),
        ..HookInfo::named("data-storage-attached")
    };
    socket.server.begin_hook(unit, served.clone(), Some(hook));
    std::env::set_var("JUJU_UNIT_NAME", unit);
    let served_out = script(&mut socket.tools);
    socket.server.end_hook();
    for (i, (a, b)) in direct_out.iter().zip(&served_out).enumerate() {
        assert_eq!(a, b, "call {i} differs in process and over the socket");
    }
    assert_eq!(direct_out.len(), served_out.len());
    direct.finish(true);
    let mut served = Arc::try_unwrap(served)
        .map_err(|_| "served tools still shared")
        .unwrap()
        .into_inner()
        .unwrap();
    served.finish(true);
    let a = direct_model.lock().unwrap().clone();
    let b = served_model.lock().unwrap().clone();
    (direct_out, a, b, direct, served)
}

fn leader_round_trip(socket: &mut Socket) {
    let (out, direct, served, direct_tools, served_tools) =
        run_both("app/0", Some("data/0"), leader_script, socket);
    assert_eq!(direct, served, "the model differs after the same calls");
    assert_eq!(direct_tools.calls(), served_tools.calls());
    let expect = |i: usize, want: &str| {
        assert!(
            out[i].starts_with(want),
            "call {i}: {} (want {want})",
            out[i]
        );
    };
    expect(0, "ok \"/tmp/res/config.tgz\"");
    expect(1, "err not-found resource-get");
    expect(2, "ok [\"data/0\"]");
    expect(
        4,
        "ok StorageInfo { kind: Filesystem, location: \"/srv/data\" }",
    );
    expect(5, "ok StorageInfo { kind: Filesystem");
    expect(6, "ok \"/srv/data\"");
    expect(7, "ok \"filesystem\"");
    expect(8, "err not-found storage-get");
    expect(9, "ok ()");
    expect(10, "err failed storage-add");
    expect(11, "err not-found storage-add");
    expect(14, "ok StatusInfo { status: \"active\", message: \"ready\"");
    assert!(
        out[15].contains("\"app/1\": StatusInfo { status: \"unknown\""),
        "{}",
        out[15]
    );
    assert!(
        out[16].contains("\"pg/0\": GoalStatus { status: \"active\""),
        "{}",
        out[16]
    );
    expect(19, "err not-found open-port");
    // opened-ports answers the ports as of the hook's start.
    expect(21, "ok [OpenedPort { range: Icmp, endpoints: All }]");
    expect(23, "ok Some(\"1\")");
    expect(24, "ok None");
    expect(26, "ok {\"a\": \"1\"}");
    expect(27, "ok CloudSpec { cloud_type: \"simulated\"");
    assert!(!out[27].contains("simulated-password"), "{}", out[27]);
    expect(28, "ok RelationModel { uuid: \"5e1a7ed0");
    expect(29, "err relation-not-found relation-model-get");
    expect(30, "ok \"id\"");
    expect(31, "err failed secret-add");
    expect(32, "ok [\"secret:d0sim000000000000003\"]");
    assert!(
        out[33].contains("revision: 1, label: \"db-pass\", owner: \"application\""),
        "{}",
        out[33]
    );
    assert!(out[33].contains("rotation: Some(\"daily\")"), "{}", out[33]);
    expect(35, &format!("ok {{\"password\": \"{NEW_PASSWORD}\""));
    expect(37, "err failed secret-grant");
    expect(38, "err relation-not-found secret-grant");
    assert!(out[39].contains("revision: 2"), "{}", out[39]);
    assert!(
        out[39].contains("target: \"application-pg\", scope: \"relation-app.db#pg.db\""),
        "{}",
        out[39]
    );
    expect(42, "err secret-not-found secret-remove");
    expect(43, "err secret-not-found secret-get");
    expect(44, "err secret-not-found secret-get");
    expect(45, &format!("ok {{\"token\": \"{PG_TOKEN}\"}}"));
    expect(46, &format!("ok {{\"token\": \"{PG_TOKEN_2}\"}}"));
    expect(47, &format!("ok {{\"token\": \"{PG_TOKEN}\"}}"));
    expect(48, &format!("ok {{\"token\": \"{PG_TOKEN_2}\"}}"));
    expect(49, &format!("ok {{\"token\": \"{PG_TOKEN_2}\"}}"));
    expect(50, "err permission-denied secret-set");
    expect(51, "err secret-not-found secret-info-get");
    expect(52, "err permission-denied secret-remove");
    expect(53, "err permission-denied secret-get");

    // Committed: storage, ports, charm state; the secret's first revision
    // removed, the grant revoked, the consumer's label and refresh kept.
    let unit = &direct.units["app/0"];
    assert_eq!(
        unit.storage.keys().collect::<Vec<_>>(),
        ["data/0", "logs/0", "logs/1"]
    );
    assert_eq!(
        unit.storage["logs/1"].location,
        "/var/lib/juju/storage/logs/1"
    );
    let ports: Vec<String> = unit.ports.keys().map(|r| r.to_string()).collect();
    assert_eq!(ports, ["443/tcp", "8000-8100/udp"]);
    assert_eq!(
        unit.charm_state,
        DataBag::from([("a".to_string(), "1".to_string())])
    );
    let own = direct.secrets.get("secret:d0sim000000000000003").unwrap();
    assert_eq!(own.revisions.keys().collect::<Vec<_>>(), [&2]);
    assert!(own.grants.is_empty());
    let pg = direct.secrets.get("secret:d0sim000000000000001").unwrap();
    assert_eq!(pg.consumers["app/0"].tracked, Some(2));
    assert_eq!(pg.consumers["app/0"].label.as_deref(), Some("pg-token"));

    // Secret content appears in no record, log or Debug output.
    for secret in [PASSWORD, NEW_PASSWORD, PG_TOKEN, PG_TOKEN_2] {
        for tools in [&direct_tools, &served_tools] {
            let calls = format!("{:?}", tools.calls());
            assert!(!calls.contains(secret), "{calls}");
            assert!(!format!("{tools:?}").contains(secret));
        }
        for model in [&direct, &served] {
            assert!(!format!("{model:?}").contains(secret));
        }
    }
    let log = &direct.units["app/0"].logs.last().unwrap().1;
    assert_eq!(log, "connecting with <redacted>");
    let served_calls = socket.server.take_served();
    assert_eq!(served_calls.len(), out.len());
    for secret in [PASSWORD, NEW_PASSWORD] {
        assert!(!format!("{served_calls:?}").contains(secret));
    }
}

fn follower_round_trip(socket: &mut Socket) {
    let (out, direct, served, ..) = run_both("app/1", None, follower_script, socket);
    assert_eq!(direct, served);
    assert_eq!(
        out[..3],
        [
            "err not-leader status-get",
            "err not-leader status-set",
            "err permission-denied secret-add"
        ]
    );
    assert_eq!(out[3], "ok \"id\"");
    assert!(out[4].contains("secret:d0sim000000000000003"), "{}", out[4]);
    assert_eq!(out[5], "err failed storage-get");
}

fn failed_hooks_commit_nothing() {
    let shared = Arc::new(Mutex::new(model()));
    let before = shared.lock().unwrap().clone();
    let mut tools = UnitTools::new(shared.clone(), "app/0");
    let _ = leader_script(&mut tools);
    tools.finish(false);
    let after = shared.lock().unwrap().clone();
    assert_eq!(after.secrets, before.secrets, "secret changes undone");
    assert_eq!(after.units["app/0"].storage, before.units["app/0"].storage);
    assert_eq!(after.units["app/0"].ports, before.units["app/0"].ports);
    assert_eq!(
        after.units["app/0"].charm_state,
        before.units["app/0"].charm_state
    );
    // Statuses and logs, as in Juju, are not held back.
    assert!(after.units["app/0"].status.is_some());
}

fn main() {
    if let Some(code) = main_as_tool() {
        std::process::exit(code);
    }
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let mut socket = socket_side();
    type Test<'a> = (&'a str, &'a dyn Fn(&mut Socket));
    let tests: [Test<'_>; 3] = [
        ("leader_round_trip", &leader_round_trip),
        ("follower_round_trip", &follower_round_trip),
        ("failed_hooks_commit_nothing", &|_| {
            failed_hooks_commit_nothing()
        }),
    ];
    for (name, test) in tests {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        test(&mut socket);
        println!("test {name} ... ok");
    }
    let dir: &Path = &socket.dir.clone();
    drop(socket);
    let _ = std::fs::remove_dir_all(dir);
}
