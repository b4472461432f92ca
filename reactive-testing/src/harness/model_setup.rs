//! The harness's setters and inspectors for what the model holds beyond
//! relations and config: resources, storage, trust, secrets (this
//! application's, and another application's granted to it), statuses,
//! opened ports and the charm's controller-side state; and the storage and
//! secret hooks, fired as Juju fires them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::{Harness, HarnessError, HookRecord};
use crate::sim::model::{SecretOwnerRef, SecretRecord, Status};
use reactive_core::hook::HookInfo;
use reactive_core::names::app_of;
use reactive_core::tools::{DataBag, PortRange, SecretContent, SecretOptions};

impl Harness {
    /// Make `resource-get NAME` answer `path`.
    pub fn add_resource(&mut self, name: &str, path: impl AsRef<Path>) {
        let app = app_of(&self.unit).to_string();
        if let Some(a) = self.model().apps.get_mut(&app) {
            a.resources
                .insert(name.to_string(), PathBuf::from(path.as_ref()));
        }
    }

    /// Trust the application with the cloud credential (`juju trust`), for
    /// `credential-get` (which answers a fake cloud in the harness).
    pub fn set_trusted(&mut self, trusted: bool) {
        let app = app_of(&self.unit).to_string();
        if let Some(a) = self.model().apps.get_mut(&app) {
            a.trusted = trusted;
        }
    }

    /// Attach `count` instances of the storage `name` (declared in
    /// `metadata.yaml`) to the unit, without running hooks; returns their
    /// ids (`data/0`). Fire [`Harness::fire_storage_attached`] for each.
    pub fn add_storage(&mut self, name: &str, count: u32) -> Result<Vec<String>, HarnessError> {
        if self.charm.metadata.storage(name).is_none() {
            return Err(HarnessError::Unknown {
                what: "storage",
                name: name.to_string(),
            });
        }
        let unit = self.unit.clone();
        Ok(self.model().attach_storage(&unit, name, count))
    }

    /// The unit's storage instances: id to location.
    pub fn storage(&self) -> BTreeMap<String, String> {
        let unit = self.unit.clone();
        self.model()
            .units
            .get(&unit)
            .map(|u| {
                u.storage
                    .iter()
                    .map(|(id, s)| (id.clone(), s.location.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn storage_hook(&mut self, id: &str, event: &str) -> Result<&HookRecord, HarnessError> {
        let unit = self.unit.clone();
        let attached = self
            .model()
            .units
            .get(&unit)
            .is_some_and(|u| u.storage.contains_key(id));
        if !attached {
            return Err(HarnessError::Unknown {
                what: "storage instance",
                name: id.to_string(),
            });
        }
        let name = id.split_once('/').map(|(n, _)| n).unwrap_or(id);
        self.fire_with(HookInfo {
            storage_id: Some(id.to_string()),
            ..HookInfo::named(format!("{name}-storage-{event}"))
        })
    }

    /// Run `<name>-storage-attached` for the instance `id`.
    pub fn fire_storage_attached(&mut self, id: &str) -> Result<&HookRecord, HarnessError> {
        self.storage_hook(id, "attached")
    }

    /// Run `<name>-storage-detaching` for the instance `id`; the instance
    /// is gone once the hook succeeds.
    pub fn fire_storage_detaching(&mut self, id: &str) -> Result<&HookRecord, HarnessError> {
        self.storage_hook(id, "detaching")?;
        let unit = self.unit.clone();
        if let Some(u) = self.model().units.get_mut(&unit) {
            u.storage.remove(id);
        }
        self.history.last().ok_or_else(|| unreachable_record(id))
    }

    /// Add a secret owned by the application `owner` (not this one), with
    /// `content` as its first revision and `label` as the owner's label;
    /// returns its id. Grant it with [`Harness::grant_secret`].
    pub fn add_secret_from(
        &mut self,
        owner: &str,
        content: &[(&str, &str)],
        label: Option<&str>,
    ) -> String {
        let options = SecretOptions {
            label: label.map(str::to_string),
            ..SecretOptions::default()
        };
        let content = SecretContent::from_pairs(content.iter().copied());
        self.model()
            .secrets
            .add_owned(SecretOwnerRef::App(owner.to_string()), content, &options)
    }

    /// Grant secret `id` to this application over `relation_id` (a
    /// relation with the owner's application), as its owner would.
    pub fn grant_secret(&mut self, id: &str, relation_id: &str) -> Result<(), HarnessError> {
        let number = self.relation_number(relation_id)?;
        let app = app_of(&self.unit).to_string();
        let mut model = self.model();
        let record = model
            .secrets
            .get_mut(id)
            .ok_or_else(|| unknown_secret(id))?;
        record.grants.insert(app, number);
        Ok(())
    }

    /// Revoke this application's grant of secret `id`.
    pub fn revoke_secret(&mut self, id: &str) -> Result<(), HarnessError> {
        let app = app_of(&self.unit).to_string();
        let unit = self.unit.clone();
        let mut model = self.model();
        let record = model
            .secrets
            .get_mut(id)
            .ok_or_else(|| unknown_secret(id))?;
        record.grants.remove(&app);
        record.grants.remove(&unit);
        Ok(())
    }

    /// The owner of secret `id` (another application) sets a new revision
    /// with `content`; if this unit tracks an older one, `secret-changed`
    /// runs, as in Juju. Returns the new revision.
    pub fn set_secret_content(
        &mut self,
        id: &str,
        content: &[(&str, &str)],
    ) -> Result<u64, HarnessError> {
        let unit = self.unit.clone();
        let (revision, notify) = {
            let mut model = self.model();
            let record = model
                .secrets
                .get_mut(id)
                .ok_or_else(|| unknown_secret(id))?;
            record.latest += 1;
            let latest = record.latest;
            record
                .revisions
                .insert(latest, SecretContent::from_pairs(content.iter().copied()));
            let notify = record
                .consumers
                .get_mut(&unit)
                .filter(|c| c.tracked.is_some_and(|t| t < latest))
                .map(|c| c.notified = latest)
                .is_some();
            (latest, notify)
        };
        if notify {
            self.fire_secret("secret-changed", id, None)?;
        }
        Ok(revision)
    }

    fn fire_secret(
        &mut self,
        hook: &str,
        id: &str,
        revision: Option<u64>,
    ) -> Result<&HookRecord, HarnessError> {
        let unit = self.unit.clone();
        let (id, label) = {
            let model = self.model();
            let record = model.secrets.get(id).ok_or_else(|| unknown_secret(id))?;
            let label = if record.owner.includes(&unit) {
                record.label.clone()
            } else {
                record.consumers.get(&unit).and_then(|c| c.label.clone())
            };
            (record.id.clone(), label)
        };
        self.fire_with(HookInfo {
            secret_id: Some(id),
            secret_label: label,
            secret_revision: revision,
            ..HookInfo::named(hook)
        })
    }

    /// Run `secret-changed` for secret `id` (a secret this unit reads).
    pub fn fire_secret_changed(&mut self, id: &str) -> Result<&HookRecord, HarnessError> {
        self.fire_secret("secret-changed", id, None)
    }

    /// Run `secret-rotate` for secret `id` (a secret this unit owns).
    pub fn fire_secret_rotate(&mut self, id: &str) -> Result<&HookRecord, HarnessError> {
        self.fire_secret("secret-rotate", id, None)
    }

    /// Run `secret-expired` for revision `revision` of secret `id`.
    pub fn fire_secret_expired(
        &mut self,
        id: &str,
        revision: u64,
    ) -> Result<&HookRecord, HarnessError> {
        self.fire_secret("secret-expired", id, Some(revision))
    }

    /// Run `secret-remove` for revision `revision` of secret `id`.
    pub fn fire_secret_remove(
        &mut self,
        id: &str,
        revision: u64,
    ) -> Result<&HookRecord, HarnessError> {
        self.fire_secret("secret-remove", id, Some(revision))
    }

    /// The secrets this unit or its application owns (their content shows
    /// only its keys in `Debug` output).
    pub fn secrets_owned(&self) -> Vec<SecretRecord> {
        let unit = self.unit.clone();
        self.model()
            .secrets
            .secrets
            .values()
            .filter(|s| s.owner.includes(&unit))
            .cloned()
            .collect()
    }

    /// The content of revision `revision` (the latest when `None`) of
    /// secret `id`.
    pub fn secret_content(
        &self,
        id: &str,
        revision: Option<u64>,
    ) -> Result<SecretContent, HarnessError> {
        let model = self.model();
        let record = model.secrets.get(id).ok_or_else(|| unknown_secret(id))?;
        record
            .revisions
            .get(&revision.unwrap_or(record.latest))
            .cloned()
            .ok_or_else(|| HarnessError::Unknown {
                what: "secret revision",
                name: format!("{id} revision {}", revision.unwrap_or(record.latest)),
            })
    }

    /// The application's status (set by its leader).
    pub fn app_status(&self) -> Option<Status> {
        let app = app_of(&self.unit).to_string();
        self.model().apps.get(&app).and_then(|a| a.status.clone())
    }

    /// The unit's opened port ranges, each with its endpoints (`*` for
    /// every endpoint).
    pub fn opened_ports(&self) -> BTreeMap<PortRange, BTreeSet<String>> {
        let unit = self.unit.clone();
        self.model()
            .units
            .get(&unit)
            .map(|u| u.ports.clone())
            .unwrap_or_default()
    }

    /// The charm's controller-side state (`state-set`), as committed.
    pub fn charm_state(&self) -> DataBag {
        let unit = self.unit.clone();
        self.model()
            .units
            .get(&unit)
            .map(|u| u.charm_state.clone())
            .unwrap_or_default()
    }
}

fn unknown_secret(id: &str) -> HarnessError {
    HarnessError::Unknown {
        what: "secret",
        name: id.to_string(),
    }
}

fn unreachable_record(id: &str) -> HarnessError {
    HarnessError::Unknown {
        what: "hook record for storage instance",
        name: id.to_string(),
    }
}
