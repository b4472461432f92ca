//! The simulator runs the storage and secret hooks in Juju's order, with
//! Juju's hook variables, and keeps secret content out of its reports,
//! records and logs; the harness sets up and fires the same.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use reactive_core::prelude::*;
use reactive_core::registry::Registry;
use reactive_core::runtime::Charm;
use reactive_core::tools::{
    DataBag, HookTools, SecretContent, SecretOptions, SecretRef, SecretRevision, WorkloadState,
};
use reactive_testing::harness::Harness;
use reactive_testing::sim::{AppSpec, CharmRunner, Deployment, HookRun, Step};
use serde_json::{json, Map};

type HandlerResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

const FIRST: &str = "first-pass-word";
const SECOND: &str = "second-pass-word";

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn log(ctx: &Context, message: String) -> HandlerResult {
    ctx.tools().with(|t| t.juju_log(LogLevel::Info, &message))?;
    Ok(())
}

/// Logs what a secret hook was told.
fn log_secret_hook(ctx: &Context) -> HandlerResult {
    let hook = ctx.hook().clone();
    log(
        ctx,
        format!(
            "{} id={} label={} revision={}",
            hook.name,
            hook.secret_id.unwrap_or_default(),
            hook.secret_label.unwrap_or_default(),
            hook.secret_revision
                .map(|r| r.to_string())
                .unwrap_or_default()
        ),
    )
}

/// `owner` keeps a password secret (from its config), grants it over `db`
/// and removes revisions nobody tracks; it has storage `data` and asks for
/// one `logs` instance at install.
mod owner {
    use super::*;

    pub const METADATA: &str = "name: owner\nrequires:\n  db: {interface: creds}\nstorage:\n  data: {type: filesystem, location: /srv/data}\n  logs:\n    type: filesystem\n    multiple: {range: 0-}\n";
    pub const CONFIG: &str = "options:\n  password: {type: string, default: first-pass-word}\n";

    pub fn registry() -> reactive_core::registry::RegistryBuilder {
        Registry::builder().module_prefix(module_path!())
    }

    fn password(ctx: &Context) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
        let config = ctx.tools().with(|t| t.config_get())?;
        Ok(config["password"].as_str().unwrap_or_default().to_string())
    }

    fn secret_id(
        ctx: &Context,
    ) -> Result<Option<String>, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ctx.tools().with(|t| t.secret_ids())?.into_iter().next())
    }

    #[hook(
        "data-storage-attached",
        "data-storage-detaching",
        "logs-storage-attached",
        "logs-storage-detaching"
    )]
    fn storage(ctx: &mut Context) -> HandlerResult {
        let info = ctx.tools().with(|t| t.storage_get(None))?;
        let name = ctx.hook().name.clone();
        log(ctx, format!("{name} {}", info.location))
    }

    #[hook("install")]
    fn install(ctx: &mut Context) -> HandlerResult {
        ctx.tools().with(|t| t.storage_add("logs", 1))?;
        Ok(())
    }

    #[hook("leader-elected")]
    fn elected(ctx: &mut Context) -> HandlerResult {
        let content = SecretContent::from_pairs([("password", password(ctx)?)]);
        let options = SecretOptions {
            label: Some("pw".into()),
            ..SecretOptions::default()
        };
        ctx.tools().with(|t| t.secret_add(&content, &options))?;
        Ok(())
    }

    #[hook("config-changed")]
    fn config(ctx: &mut Context) -> HandlerResult {
        let Some(id) = secret_id(ctx)? else {
            return Ok(());
        };
        let content = SecretContent::from_pairs([("password", password(ctx)?)]);
        ctx.tools()
            .with(|t| t.secret_set(&id, Some(&content), &SecretOptions::default()))?;
        Ok(())
    }

    #[hook("db-relation-joined")]
    fn joined(ctx: &mut Context) -> HandlerResult {
        let Some(id) = secret_id(ctx)? else {
            return Ok(());
        };
        let rid = ctx.hook().relation_id.clone().unwrap_or_default();
        ctx.tools().with(|t| t.secret_grant(&id, &rid, None))?;
        let data = DataBag::from([("secret-id".to_string(), id)]);
        ctx.tools().with(|t| t.relation_set(&rid, false, &data))?;
        Ok(())
    }

    #[hook("secret-remove")]
    fn remove(ctx: &mut Context) -> HandlerResult {
        log_secret_hook(ctx)?;
        let hook = ctx.hook().clone();
        let (Some(id), Some(revision)) = (hook.secret_id, hook.secret_revision) else {
            return Err("secret-remove without its id and revision".into());
        };
        ctx.tools().with(|t| t.secret_remove(&id, Some(revision)))?;
        Ok(())
    }

    #[hook("secret-rotate", "secret-expired")]
    fn due(ctx: &mut Context) -> HandlerResult {
        log_secret_hook(ctx)
    }
}

/// `reader` reads the secret `owner` grants it (labelling it), refreshes
/// on `secret-changed`, and carelessly logs, publishes and shows it.
mod reader {
    use super::*;

    pub const METADATA: &str = "name: reader\nprovides:\n  db: {interface: creds}\n";
    pub const CONFIG: &str = "options: {}\n";

    pub fn registry() -> reactive_core::registry::RegistryBuilder {
        Registry::builder().module_prefix(module_path!())
    }

    fn careless(ctx: &Context, password: &str) -> HandlerResult {
        log(ctx, format!("the password is {password}"))?;
        ctx.tools()
            .with(|t| t.status_set(false, WorkloadState::Active, &format!("using {password}")))?;
        Ok(())
    }

    #[hook("db-relation-changed")]
    fn changed(ctx: &mut Context) -> HandlerResult {
        let hook = ctx.hook().clone();
        let (Some(rid), Some(remote)) = (hook.relation_id, hook.remote_unit) else {
            return Ok(());
        };
        let bag = ctx.tools().with(|t| t.relation_get(&rid, &remote))?;
        let Some(id) = bag.get("secret-id").cloned() else {
            return Ok(());
        };
        let content = ctx.tools().with(|t| {
            t.secret_get(
                SecretRef::IdAndLabel(&id, "owner-pw"),
                SecretRevision::Tracked,
            )
        })?;
        let password = content.get("password").unwrap_or_default().to_string();
        let data = DataBag::from([("echo".to_string(), password.clone())]);
        ctx.tools().with(|t| t.relation_set(&rid, false, &data))?;
        careless(ctx, &password)
    }

    #[hook("secret-changed")]
    fn secret_changed(ctx: &mut Context) -> HandlerResult {
        log_secret_hook(ctx)?;
        let id = ctx.hook().secret_id.clone().unwrap_or_default();
        let content = ctx
            .tools()
            .with(|t| t.secret_get(SecretRef::Id(&id), SecretRevision::Refresh))?;
        let password = content.get("password").unwrap_or_default().to_string();
        careless(ctx, &password)
    }
}

struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "reactive-sim-secrets-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn charm(&self, name: &str, metadata: &str, config: &str) -> PathBuf {
        let dir = self.0.join("charms").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("metadata.yaml"), metadata).unwrap();
        std::fs::write(dir.join("config.yaml"), config).unwrap();
        dir
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn spec(dir: &Path, name: &str, registry: reactive_core::registry::RegistryBuilder) -> AppSpec {
    AppSpec {
        name: name.to_string(),
        runner: CharmRunner::InProcess(Charm::load_with(dir, registry).unwrap()),
        charm_dir: dir.to_path_buf(),
        units: 1,
        config: Map::new(),
    }
}

fn names(runs: &[HookRun]) -> Vec<String> {
    runs.iter()
        .map(|r| format!("{} {}", r.unit, r.hook))
        .collect()
}

fn position(runs: &[String], wanted: &str) -> usize {
    runs.iter()
        .position(|r| r == wanted)
        .unwrap_or_else(|| panic!("{wanted} did not run: {runs:#?}"))
}

fn logs(d: &Deployment, unit: &str) -> Vec<String> {
    d.model().units[unit]
        .logs
        .iter()
        .map(|(_, line)| line.clone())
        .collect()
}

#[test]
fn storage_and_secret_hooks_run_in_jujus_order() {
    let scratch = Scratch::new();
    let owner_dir = scratch.charm("owner", owner::METADATA, owner::CONFIG);
    let reader_dir = scratch.charm("reader", reader::METADATA, reader::CONFIG);
    let mut d = Deployment::new(&scratch.0.join("work")).unwrap();

    // Storage is attached before install; storage-add's instance after the
    // hook that asked for it.
    d.deploy(spec(&owner_dir, "owner", owner::registry()))
        .unwrap();
    let runs = names(&d.take_runs());
    assert_eq!(runs[0], "owner/0 data-storage-attached", "{runs:#?}");
    assert_eq!(runs[1], "owner/0 install", "{runs:#?}");
    assert!(position(&runs, "owner/0 logs-storage-attached") > 1);
    let owner_logs = logs(&d, "owner/0");
    assert!(
        owner_logs.contains(&"data-storage-attached /srv/data".to_string()),
        "{owner_logs:?}"
    );
    assert!(
        owner_logs.contains(&"logs-storage-attached /var/lib/juju/storage/logs/0".to_string()),
        "{owner_logs:?}"
    );

    d.deploy(spec(&reader_dir, "reader", reader::registry()))
        .unwrap();
    d.relate("owner:db", "reader:db").unwrap();
    d.take_runs();
    let id = d.secret_id_by_label("owner", "pw").unwrap();
    {
        let model = d.model();
        let record = model.secrets.get(&id).unwrap();
        assert_eq!(record.consumers["reader/0"].tracked, Some(1));
        assert_eq!(
            record.consumers["reader/0"].label.as_deref(),
            Some("owner-pw")
        );
    }

    // A new revision: secret-changed on the reader (with its label), which
    // refreshes; then secret-remove of revision 1 on the owner.
    let values = json!({"password": SECOND}).as_object().cloned().unwrap();
    let catalog = |_: &str| -> Result<(CharmRunner, PathBuf), reactive_testing::sim::SimError> {
        unreachable!("no deploy step")
    };
    let report = d.run_step(
        &Step::Config {
            app: "owner".into(),
            values,
        },
        &catalog,
        &[],
    );
    assert_eq!(report.error, None);
    let runs: Vec<String> = report
        .hooks
        .iter()
        .map(|r| format!("{} {}", r.unit, r.hook))
        .collect();
    let changed = position(&runs, "reader/0 secret-changed");
    let removed = position(&runs, "owner/0 secret-remove");
    assert!(position(&runs, "owner/0 config-changed") < changed);
    assert!(changed < removed, "{runs:#?}");
    assert!(
        logs(&d, "reader/0").contains(&format!("secret-changed id={id} label=owner-pw revision="))
    );
    assert!(logs(&d, "owner/0").contains(&format!("secret-remove id={id} label=pw revision=1")));
    assert_eq!(
        d.model()
            .secrets
            .get(&id)
            .unwrap()
            .revisions
            .keys()
            .collect::<Vec<_>>(),
        [&2]
    );

    // The report, the records and the logs never show the content, though
    // the reader logged, published and displayed it.
    let text = report.to_text();
    let json = report.to_json().to_string();
    let records = format!("{:?}", report.hooks);
    for secret in [FIRST, SECOND] {
        assert!(!text.contains(secret), "{text}");
        assert!(!json.contains(secret), "{json}");
        assert!(!records.contains(secret), "{records}");
        assert!(!format!("{:?}", d.model().secrets).contains(secret));
        assert!(!logs(&d, "reader/0").iter().any(|l| l.contains(secret)));
    }
    assert!(logs(&d, "reader/0").contains(&"the password is <redacted>".to_string()));
    assert!(text.contains("using <redacted>"), "{text}");

    // Rotation and expiry, when a step says so.
    d.rotate_secret(&id).unwrap();
    d.expire_secret(&id).unwrap();
    assert_eq!(
        names(&d.take_runs())[..],
        ["owner/0 secret-rotate", "owner/0 secret-expired"]
    );
    let owner_logs = logs(&d, "owner/0");
    assert!(owner_logs.contains(&format!("secret-rotate id={id} label=pw revision=")));
    assert!(owner_logs.contains(&format!("secret-expired id={id} label=pw revision=2")));
    assert!(d.rotate_secret("secret:nope").is_err());

    // Storage: more attached by a step, one detached, all detached before
    // the unit stops.
    d.add_storage("owner/0", "logs", 1).unwrap();
    d.detach_storage("owner/0", "logs/0").unwrap();
    let runs = names(&d.take_runs());
    assert_eq!(
        runs,
        [
            "owner/0 logs-storage-attached",
            "owner/0 logs-storage-detaching"
        ]
    );
    assert!(d.add_storage("owner/0", "nope", 1).is_err());
    assert!(d.detach_storage("owner/0", "logs/0").is_err());
    d.remove_unit("owner/0").unwrap();
    let runs = names(&d.take_runs());
    let stop = position(&runs, "owner/0 stop");
    assert!(
        position(&runs, "owner/0 data-storage-detaching") < stop,
        "{runs:#?}"
    );
    assert!(
        position(&runs, "owner/0 logs-storage-detaching") < stop,
        "{runs:#?}"
    );
}

#[test]
fn scenario_steps_for_storage_and_secrets_parse() {
    let scenario = reactive_testing::sim::Scenario::parse(
        "steps:\n  - add-storage: {unit: a/0, storage: logs, count: 2}\n  - detach-storage: {unit: a/0, id: logs/1}\n  - rotate-secret: {app: a, label: pw}\n  - expire-secret: {app: a, label: pw}\n",
        "s.yaml",
    )
    .unwrap();
    let described: Vec<String> = scenario.steps.iter().map(Step::describe).collect();
    assert_eq!(
        described,
        [
            "add-storage a/0 logs=2",
            "detach-storage a/0 logs/1",
            "rotate-secret a pw",
            "expire-secret a pw"
        ]
    );
    let err =
        reactive_testing::sim::Scenario::parse("steps:\n  - rotate-secret: {app: a}\n", "s.yaml")
            .unwrap_err();
    assert!(
        err.to_string()
            .contains("steps[0].rotate-secret: missing `label`"),
        "{err}"
    );
}

#[test]
fn the_harness_sets_up_and_fires_secrets_and_storage() {
    let scratch = Scratch::new();
    let dir = scratch.charm("reader", reader::METADATA, reader::CONFIG);
    let charm = Charm::load_with(&dir, reader::registry()).unwrap();
    let mut h = Harness::from_charm(charm);
    let rid = h.add_relation("db", "owner").unwrap();
    h.add_remote_unit(&rid, "owner/0").unwrap();
    let id = h.add_secret_from("owner", &[("password", FIRST)], Some("pw"));
    h.set_remote_unit_data(&rid, "owner/0", &[("secret-id", &id)])
        .unwrap();
    // Not granted yet: the read is refused and the hook fails.
    let err = h
        .fire_relation("changed", &rid, Some("owner/0"))
        .unwrap_err();
    assert!(err.to_string().contains("permission denied"), "{err}");
    h.grant_secret(&id, &rid).unwrap();
    h.fire_relation("changed", &rid, Some("owner/0")).unwrap();
    assert_eq!(h.published(&rid).unwrap()["echo"], FIRST);
    // A new revision from the owner fires secret-changed; the charm refreshes.
    assert_eq!(
        h.set_secret_content(&id, &[("password", SECOND)]).unwrap(),
        2
    );
    assert_eq!(h.last().unwrap().hook, "secret-changed");
    assert_eq!(
        h.model().secrets.get(&id).unwrap().consumers["reader/0"].tracked,
        Some(2)
    );
    assert_eq!(
        h.secret_content(&id, Some(1)).unwrap().get("password"),
        Some(FIRST)
    );
    assert!(h.secrets_owned().is_empty());
    assert!(h.status().unwrap().message.contains("<redacted>"));
    assert!(h.logs().iter().all(|(_, l)| !l.contains(SECOND)));
    h.revoke_secret(&id).unwrap();
    assert!(h.grant_secret("secret:nope", &rid).is_err());

    // Storage the charm does not declare is refused.
    assert!(h.add_storage("data", 1).is_err());
    assert!(h.fire_storage_attached("data/0").is_err());
}
