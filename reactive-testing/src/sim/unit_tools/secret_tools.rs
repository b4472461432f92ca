//! The simulator's answers to the `secret-*` tools: owners create, change,
//! grant, revoke and remove secrets (an application's secrets by its
//! leader only); readers with a grant read them, tracking a revision until
//! they refresh. Every change is undone if the hook fails.

use super::model_tools::juju_error;
use super::{s, UnitTools};
use crate::sim::model::{ConsumerState, ModelState, SecretRecord};
use reactive_core::names::app_of;
use reactive_core::tools::secrets::SecretAccess;
use reactive_core::tools::{
    SecretContent, SecretInfo, SecretOptions, SecretRef, SecretRevision, ToolError,
};

/// The `--label`, `--description`, `--expire`, `--rotate` (and, with
/// `owner`, `--owner`) arguments of `options`, as the process backend
/// passes them.
fn option_args(options: &SecretOptions, owner: bool) -> Vec<String> {
    let mut args = Vec::new();
    if let Some(label) = &options.label {
        args.extend([s("--label"), label.clone()]);
    }
    if let Some(description) = &options.description {
        args.extend([s("--description"), description.clone()]);
    }
    if let Some(expire) = &options.expire {
        args.extend([s("--expire"), expire.clone()]);
    }
    if let Some(rotate) = options.rotate {
        args.extend([s("--rotate"), s(rotate.as_str())]);
    }
    if owner {
        if let Some(who) = options.owner {
            args.extend([s("--owner"), s(who.as_str())]);
        }
    }
    args
}

fn ref_args(secret: SecretRef<'_>) -> Vec<String> {
    match secret {
        SecretRef::Id(id) => vec![s(id)],
        SecretRef::Label(label) => vec![s("--label"), s(label)],
        SecretRef::IdAndLabel(id, label) => vec![s("--label"), s(label), s(id)],
    }
}

fn canonical_id(id: &str) -> String {
    if id.starts_with("secret:") {
        id.to_string()
    } else {
        format!("secret:{id}")
    }
}

fn not_found(tool: &str, args: &[String], id: &str) -> ToolError {
    juju_error(tool, args, &format!("ERROR secret {id:?} not found"))
}

fn permission_denied(tool: &str, args: &[String]) -> ToolError {
    juju_error(tool, args, "ERROR permission denied")
}

/// The Juju tag of a grant's target: `application-wordpress`,
/// `unit-wordpress-0`.
fn target_tag(target: &str) -> String {
    match target.split_once('/') {
        Some((app, n)) => format!("unit-{app}-{n}"),
        None => format!("application-{target}"),
    }
}

/// The Juju tag of a relation: `relation-wordpress.db#mysql.server`.
fn relation_tag(model: &ModelState, number: u32) -> String {
    let key: Vec<String> = model
        .relations
        .get(&number)
        .map(|r| {
            r.endpoints
                .iter()
                .map(|(app, endpoint)| format!("{app}.{endpoint}"))
                .collect()
        })
        .unwrap_or_default();
    format!("relation-{}", key.join("#"))
}

impl UnitTools {
    /// Keep the secrets as they are before the hook's first change, to undo
    /// its changes should it fail.
    fn snapshot_secrets(&mut self) {
        if self.secrets_before.is_none() {
            let before = self.model().secrets.clone();
            self.secrets_before = Some(before);
        }
    }

    /// The id of the secret `secret` names, for `tool`.
    fn resolve_secret(
        &self,
        tool: &str,
        args: &[String],
        secret: SecretRef<'_>,
    ) -> Result<String, ToolError> {
        let model = self.model();
        match secret {
            SecretRef::Id(id) | SecretRef::IdAndLabel(id, _) => model
                .secrets
                .get(id)
                .map(|r| r.id.clone())
                .ok_or_else(|| not_found(tool, args, id)),
            SecretRef::Label(label) => model.secrets.by_label(&self.unit, label).ok_or_else(|| {
                juju_error(
                    tool,
                    args,
                    &format!("ERROR secret with label {label:?} not found"),
                )
            }),
        }
    }

    /// Check this unit may change secret `id` (it owns it, or leads the
    /// owning application); the secret must exist.
    fn check_manage(&self, tool: &str, args: &[String], id: &str) -> Result<(), ToolError> {
        let leader = self.is_leader_now();
        let model = self.model();
        let record = model
            .secrets
            .get(id)
            .ok_or_else(|| not_found(tool, args, id))?;
        let may = match &record.owner {
            crate::sim::model::SecretOwnerRef::App(app) => *app == self.app && leader,
            crate::sim::model::SecretOwnerRef::Unit(unit) => *unit == self.unit,
        };
        if may {
            Ok(())
        } else {
            Err(permission_denied(tool, args))
        }
    }

    pub(super) fn tool_secret_add(
        &mut self,
        content: &SecretContent,
        options: &SecretOptions,
    ) -> Result<String, ToolError> {
        const TOOL: &str = "secret-add";
        let mut args = option_args(options, true);
        args.extend([s("--file"), s("-")]);
        self.record(TOOL, &args);
        content.validate(TOOL)?;
        let app_owned = !matches!(options.owner, Some(reactive_core::tools::SecretOwner::Unit));
        if app_owned && !self.is_leader_now() {
            return Err(juju_error(
                TOOL,
                &args,
                "ERROR permission denied: only the leader may create a secret owned by the application",
            ));
        }
        if let Some(label) = &options.label {
            let taken = self.model().secrets.secrets.values().any(|r| {
                r.label.as_deref() == Some(label.as_str())
                    && r.owner.app() == self.app
                    && (app_owned || r.owner.includes(&self.unit))
            });
            if taken {
                return Err(juju_error(
                    TOOL,
                    &args,
                    &format!("ERROR secret with label {label:?} already exists"),
                ));
            }
        }
        self.snapshot_secrets();
        let unit = self.unit.clone();
        Ok(self.model().secrets.add(&unit, content.clone(), options))
    }

    pub(super) fn tool_secret_get(
        &mut self,
        secret: SecretRef<'_>,
        revision: SecretRevision,
    ) -> Result<SecretContent, ToolError> {
        const TOOL: &str = "secret-get";
        let mut args = vec![s("--format=json")];
        match revision {
            SecretRevision::Tracked => {}
            SecretRevision::Peek => args.push(s("--peek")),
            SecretRevision::Refresh => args.push(s("--refresh")),
        }
        args.extend(ref_args(secret));
        self.record(TOOL, &args);
        let id = self.resolve_secret(TOOL, &args, secret)?;
        let readable = {
            let model = self.model();
            let record = &model.secrets.secrets[&id];
            record.owner.includes(&self.unit)
                || [self.unit.as_str(), self.app.as_str()]
                    .iter()
                    .filter_map(|who| record.grants.get(*who))
                    .any(|relation| model.relations.contains_key(relation))
        };
        if !readable {
            return Err(permission_denied(TOOL, &args));
        }
        self.snapshot_secrets();
        let unit = self.unit.clone();
        let mut model = self.model();
        let record: &mut SecretRecord = model
            .secrets
            .get_mut(&id)
            .ok_or_else(|| not_found(TOOL, &args, &id))?;
        let owner = record.owner.includes(&unit);
        if let SecretRef::IdAndLabel(_, label) = secret {
            if owner {
                record.label = Some(label.to_string());
            } else {
                record.consumers.entry(unit.clone()).or_default().label = Some(label.to_string());
            }
        }
        // The owner reads the latest revision; a reader, the one it tracks.
        let chosen = if owner {
            record.latest
        } else {
            let latest = record.latest;
            let consumer: &mut ConsumerState = record.consumers.entry(unit).or_default();
            match (revision, consumer.tracked) {
                (SecretRevision::Peek, _) => latest,
                (SecretRevision::Tracked, Some(tracked)) => tracked,
                (SecretRevision::Tracked, None) | (SecretRevision::Refresh, _) => {
                    consumer.tracked = Some(latest);
                    consumer.notified = consumer.notified.max(latest);
                    latest
                }
            }
        };
        let content = record
            .revisions
            .get(&chosen)
            .or_else(|| record.latest_content())
            .cloned();
        drop(model);
        content.ok_or_else(|| not_found(TOOL, &args, &id))
    }

    pub(super) fn tool_secret_set(
        &mut self,
        id: &str,
        content: Option<&SecretContent>,
        options: &SecretOptions,
    ) -> Result<(), ToolError> {
        const TOOL: &str = "secret-set";
        let mut args = option_args(options, false);
        if content.is_some() {
            args.extend([s("--file"), s("-")]);
        }
        args.push(s(id));
        self.record(TOOL, &args);
        if let Some(content) = content {
            content.validate(TOOL)?;
        }
        self.check_manage(TOOL, &args, id)?;
        self.snapshot_secrets();
        let mut model = self.model();
        let record = model
            .secrets
            .get_mut(id)
            .ok_or_else(|| not_found(TOOL, &args, id))?;
        record.apply_options(options);
        if let Some(content) = content {
            // Juju makes no new revision for unchanged content.
            if record.latest_content() != Some(content) {
                record.latest += 1;
                let latest = record.latest;
                record.revisions.insert(latest, content.clone());
            }
        }
        Ok(())
    }

    pub(super) fn tool_secret_access(
        &mut self,
        tool: &'static str,
        id: &str,
        relation_id: &str,
        unit: Option<&str>,
    ) -> Result<(), ToolError> {
        let mut args = vec![s("--relation"), s(relation_id)];
        if let Some(unit) = unit {
            args.extend([s("--unit"), s(unit)]);
        }
        args.push(s(id));
        self.record(tool, &args);
        self.check_manage(tool, &args, id)?;
        let (number, remote_app) = {
            let model = self.model();
            let relation = model
                .relation_by_id(relation_id)
                .filter(|r| r.endpoints.contains_key(&self.app))
                .ok_or_else(|| super::relation_not_found(tool, &args, relation_id))?;
            let remote = relation
                .endpoints
                .keys()
                .find(|app| **app != self.app)
                .unwrap_or(&self.app)
                .clone();
            (relation.id, remote)
        };
        let target = match unit {
            Some(unit) if app_of(unit) != remote_app => {
                return Err(juju_error(
                    tool,
                    &args,
                    &format!(
                        "ERROR unit {unit:?} is not a unit of {remote_app:?}, the remote application of relation {relation_id}"
                    ),
                ))
            }
            Some(unit) => unit.to_string(),
            None => remote_app,
        };
        self.snapshot_secrets();
        let mut model = self.model();
        let record = model
            .secrets
            .get_mut(id)
            .ok_or_else(|| not_found(tool, &args, id))?;
        if tool == "secret-grant" {
            record.grants.insert(target, number);
        } else {
            record.grants.remove(&target);
        }
        Ok(())
    }

    pub(super) fn tool_secret_remove(
        &mut self,
        id: &str,
        revision: Option<u64>,
    ) -> Result<(), ToolError> {
        const TOOL: &str = "secret-remove";
        let mut args = Vec::new();
        if let Some(revision) = revision {
            args.extend([s("--revision"), revision.to_string()]);
        }
        args.push(s(id));
        self.record(TOOL, &args);
        self.check_manage(TOOL, &args, id)?;
        self.snapshot_secrets();
        let mut model = self.model();
        let store = &mut model.secrets;
        let record = store
            .secrets
            .get_mut(&canonical_id(id))
            .ok_or_else(|| not_found(TOOL, &args, id))?;
        let canonical = record.id.clone();
        let removed: Vec<SecretContent> = match revision {
            Some(revision) => {
                let Some(content) = record.revisions.remove(&revision) else {
                    return Err(juju_error(
                        TOOL,
                        &args,
                        &format!("ERROR secret revision {revision} not found"),
                    ));
                };
                record.removal_notified.remove(&revision);
                let mut removed = vec![content];
                if record.revisions.is_empty() {
                    removed.extend(
                        store
                            .secrets
                            .remove(&canonical)
                            .into_iter()
                            .flat_map(|r| r.revisions.into_values()),
                    );
                }
                removed
            }
            None => store
                .secrets
                .remove(&canonical)
                .into_iter()
                .flat_map(|r| r.revisions.into_values())
                .collect(),
        };
        for content in &removed {
            store.retired.retire(content);
        }
        Ok(())
    }

    pub(super) fn tool_secret_ids(&mut self) -> Result<Vec<String>, ToolError> {
        self.record("secret-ids", &[s("--format=json")]);
        let model = self.model();
        Ok(model
            .secrets
            .secrets
            .values()
            .filter(|r| r.owner.includes(&self.unit))
            .map(|r| r.id.clone())
            .collect())
    }

    pub(super) fn tool_secret_info_get(
        &mut self,
        secret: SecretRef<'_>,
    ) -> Result<SecretInfo, ToolError> {
        const TOOL: &str = "secret-info-get";
        let secret = match secret {
            SecretRef::IdAndLabel(id, _) => SecretRef::Id(id),
            other => other,
        };
        let mut args = vec![s("--format=json")];
        args.extend(ref_args(secret));
        self.record(TOOL, &args);
        let id = self.resolve_secret(TOOL, &args, secret)?;
        let model = self.model();
        let record = &model.secrets.secrets[&id];
        if !record.owner.includes(&self.unit) {
            drop(model);
            return Err(not_found(TOOL, &args, &id));
        }
        Ok(SecretInfo {
            id: record.id.clone(),
            revision: record.latest,
            label: record.label.clone().unwrap_or_default(),
            owner: record.owner.kind().to_string(),
            description: record.description.clone(),
            rotation: record.rotate.map(|r| r.as_str().to_string()),
            expiry: record.expire.clone(),
            rotates: None,
            access: record
                .grants
                .iter()
                .map(|(target, relation)| SecretAccess {
                    target: target_tag(target),
                    scope: relation_tag(&model, *relation),
                    role: "view".to_string(),
                })
                .collect(),
        })
    }
}
