//! Storage in the deployment simulator: the instances a charm's
//! `metadata.yaml` asks for are attached when a unit is added (their
//! `<name>-storage-attached` hooks run before `install`, as in Juju), those
//! `storage-add` asks for are attached after the hook that asked, and an
//! instance is detached (`<name>-storage-detaching`) before its unit stops
//! or when a step detaches it.

use super::{Deployment, SimError};
use reactive_core::hook::HookInfo;
use reactive_core::names::app_of;

/// The `<name>-storage-<event>` hook of storage instance `id` (`data/0`).
pub(super) fn storage_hook(id: &str, event: &str) -> HookInfo {
    let name = id.split_once('/').map(|(n, _)| n).unwrap_or(id);
    HookInfo {
        storage_id: Some(id.to_string()),
        ..HookInfo::named(format!("{name}-storage-{event}"))
    }
}

impl Deployment {
    /// Attach the storage a new unit starts with: each declared storage's
    /// minimum count (one for storage that is not `multiple`). Their
    /// `-storage-attached` hooks are queued by the next
    /// [`queue_storage_attached`](Self::queue_storage_attached).
    pub(super) fn attach_initial_storage(&mut self, unit: &str) {
        let mut model = self.model();
        let declared = model
            .apps
            .get(app_of(unit))
            .map(|a| a.storage.clone())
            .unwrap_or_default();
        for meta in declared {
            model.attach_storage(unit, &meta.name, meta.minimum);
        }
    }

    /// Queue `<name>-storage-attached` on each unit for every instance
    /// attached since the last call.
    pub(super) fn queue_storage_attached(&mut self) {
        let mut to_queue = Vec::new();
        {
            let mut model = self.model();
            for (unit, record) in model.units.iter_mut() {
                for (id, instance) in record.storage.iter_mut() {
                    if !instance.attached_hook_queued {
                        instance.attached_hook_queued = true;
                        to_queue.push((unit.clone(), storage_hook(id, "attached")));
                    }
                }
            }
        }
        for (unit, hook) in to_queue {
            self.push(&unit, hook);
        }
    }

    /// Queue `<name>-storage-detaching` on `unit` for each of its storage
    /// instances (when it is being removed).
    pub(super) fn queue_all_detaching(&mut self, unit: &str) {
        let ids: Vec<String> = self
            .model()
            .units
            .get(unit)
            .map(|u| u.storage.keys().cloned().collect())
            .unwrap_or_default();
        for id in ids {
            self.push(unit, storage_hook(&id, "detaching"));
        }
    }

    /// Attach `count` more instances of storage `name` to `unit`, as
    /// `juju add-storage` does: their `-storage-attached` hooks run, then
    /// what follows.
    pub fn add_storage(&mut self, unit: &str, name: &str, count: u32) -> Result<(), SimError> {
        let known = {
            let model = self.model();
            let unit_known = model.units.contains_key(unit);
            let declared = model
                .apps
                .get(app_of(unit))
                .is_some_and(|a| a.storage.iter().any(|s| s.name == name));
            (unit_known, declared)
        };
        match known {
            (false, _) => Err(SimError::Unknown {
                what: "unit",
                name: unit.to_string(),
            }),
            (true, false) => Err(SimError::Unknown {
                what: "storage",
                name: format!("{name} (of {unit})"),
            }),
            (true, true) => {
                self.model().attach_storage(unit, name, count);
                self.queue_storage_attached();
                self.run_until_quiet()
            }
        }
    }

    /// Detach storage instance `id` (`data/0`) from `unit`: its
    /// `-storage-detaching` hook runs, then the instance is gone.
    pub fn detach_storage(&mut self, unit: &str, id: &str) -> Result<(), SimError> {
        let attached = self
            .model()
            .units
            .get(unit)
            .is_some_and(|u| u.storage.contains_key(id));
        if !attached {
            return Err(SimError::Unknown {
                what: "storage",
                name: format!("{id} (on {unit})"),
            });
        }
        self.push(unit, storage_hook(id, "detaching"));
        self.run_until_quiet()?;
        if let Some(record) = self.model().units.get_mut(unit) {
            record.storage.remove(id);
        }
        Ok(())
    }
}
