//! Secret hooks in the deployment simulator: `secret-changed` on each
//! reader tracking an older revision once the owner's hook adding a
//! revision succeeds; `secret-remove` on the owner (the leader, for an
//! application's secret) for each revision no reader tracks any more;
//! `secret-rotate` and `secret-expired` on the owner when a step says the
//! time has come (the simulator has no clock).

use super::{Deployment, SimError};
use crate::sim::model::SecretRecord;
use reactive_core::hook::HookInfo;

/// A `secret-*` hook about `record`, as `unit` sees it: its id, and the
/// label `unit` gave it.
fn secret_hook(name: &str, record: &SecretRecord, unit: &str, revision: Option<u64>) -> HookInfo {
    let label = if record.owner.includes(unit) {
        record.label.clone()
    } else {
        record.consumers.get(unit).and_then(|c| c.label.clone())
    };
    HookInfo {
        secret_id: Some(record.id.clone()),
        secret_label: label,
        secret_revision: revision,
        ..HookInfo::named(name)
    }
}

impl Deployment {
    /// Queue the `secret-changed` and `secret-remove` hooks the model's
    /// secrets call for now; each is queued once.
    pub(super) fn queue_secret_hooks(&mut self) {
        let mut to_queue = Vec::new();
        {
            let mut model = self.model();
            let leaders: Vec<(String, Option<String>)> = model
                .apps
                .iter()
                .map(|(name, app)| (name.clone(), app.leader.clone()))
                .collect();
            let units: Vec<String> = model.units.keys().cloned().collect();
            for record in model.secrets.secrets.values_mut() {
                let latest = record.latest;
                let readers: Vec<String> = record
                    .consumers
                    .iter()
                    .filter(|(unit, c)| {
                        units.contains(unit)
                            && c.tracked.is_some_and(|t| t < latest)
                            && c.notified < latest
                    })
                    .map(|(unit, _)| unit.clone())
                    .collect();
                for unit in readers {
                    to_queue.push((
                        unit.clone(),
                        secret_hook("secret-changed", record, &unit, None),
                    ));
                    if let Some(consumer) = record.consumers.get_mut(&unit) {
                        consumer.notified = latest;
                    }
                }
                let leader = leaders
                    .iter()
                    .find(|(app, _)| app == record.owner.app())
                    .and_then(|(_, leader)| leader.as_deref());
                let Some(owner_unit) = record.owner.hook_unit(leader) else {
                    continue;
                };
                for revision in record.obsolete_revisions() {
                    to_queue.push((
                        owner_unit.clone(),
                        secret_hook("secret-remove", record, &owner_unit, Some(revision)),
                    ));
                    record.removal_notified.insert(revision);
                }
            }
        }
        for (unit, hook) in to_queue {
            self.push(&unit, hook);
        }
    }

    /// The id of the secret `app` owns (or one of its units owns) with
    /// this owner label.
    pub fn secret_id_by_label(&self, app: &str, label: &str) -> Option<String> {
        self.model()
            .secrets
            .secrets
            .values()
            .find(|s| s.owner.app() == app && s.label.as_deref() == Some(label))
            .map(|s| s.id.clone())
    }

    fn owner_hook(&mut self, id: &str, name: &str, revision: Option<u64>) -> Result<(), SimError> {
        let queued = {
            let model = self.model();
            let record = model.secrets.get(id).ok_or_else(|| SimError::Unknown {
                what: "secret",
                name: id.to_string(),
            })?;
            let leader = model
                .apps
                .get(record.owner.app())
                .and_then(|a| a.leader.as_deref());
            let unit = record.owner.hook_unit(leader).ok_or_else(|| {
                SimError::Invalid(format!("secret {id} has no owner unit to run {name}"))
            })?;
            let revision = revision.map(|r| r.min(record.latest));
            (unit.clone(), secret_hook(name, record, &unit, revision))
        };
        self.push(&queued.0, queued.1);
        self.run_until_quiet()
    }

    /// The secret is due for rotation: `secret-rotate` runs on its owner
    /// (the leader of an owning application), then what follows.
    pub fn rotate_secret(&mut self, id: &str) -> Result<(), SimError> {
        self.owner_hook(id, "secret-rotate", None)
    }

    /// The secret's latest revision has expired: `secret-expired` runs on
    /// its owner with that revision, then what follows.
    pub fn expire_secret(&mut self, id: &str) -> Result<(), SimError> {
        self.owner_hook(id, "secret-expired", Some(u64::MAX))
    }
}
