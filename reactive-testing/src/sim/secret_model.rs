//! The secrets of a simulated model: who owns each, its revisions and
//! their content, its labels, who was granted it and which revision each
//! reader tracks.
//!
//! Content is held as [`SecretContent`], whose `Debug` form shows keys
//! only, so printing the model never prints a secret.

use std::collections::{BTreeMap, BTreeSet};

use reactive_core::names::app_of;
use reactive_core::tools::error::REDACTED;
use reactive_core::tools::{SecretContent, SecretOptions, SecretOwner, SecretRotate};

/// Secret values shorter than this are not scrubbed from logs and records:
/// scrubbing every `1` or `ok` would garble them (the same rule the hook
/// tools' errors follow).
pub const MIN_SCRUBBED_LEN: usize = 4;

/// Who owns a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretOwnerRef {
    /// An application: its leader manages it, its units read it.
    App(String),
    /// One unit.
    Unit(String),
}

impl SecretOwnerRef {
    /// `application` or `unit`, as `secret-info-get` prints it.
    pub fn kind(&self) -> &'static str {
        match self {
            SecretOwnerRef::App(_) => "application",
            SecretOwnerRef::Unit(_) => "unit",
        }
    }

    /// The owning application.
    pub fn app(&self) -> &str {
        match self {
            SecretOwnerRef::App(app) => app,
            SecretOwnerRef::Unit(unit) => app_of(unit),
        }
    }

    /// Whether `unit` is (or belongs to) the owner.
    pub fn includes(&self, unit: &str) -> bool {
        match self {
            SecretOwnerRef::App(app) => app_of(unit) == app,
            SecretOwnerRef::Unit(owner) => owner == unit,
        }
    }

    /// The unit that runs the owner's secret hooks: the unit itself, or
    /// the application's `leader`.
    pub fn hook_unit(&self, leader: Option<&str>) -> Option<String> {
        match self {
            SecretOwnerRef::App(_) => leader.map(str::to_string),
            SecretOwnerRef::Unit(unit) => Some(unit.clone()),
        }
    }
}

/// What one reading unit knows of a secret.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsumerState {
    /// The revision it tracks (`secret-get` answers with it), once it has
    /// read the secret.
    pub tracked: Option<u64>,
    /// The label it gave the secret (`secret-get ID --label L`).
    pub label: Option<String>,
    /// The latest revision it has been told of with `secret-changed`.
    pub notified: u64,
}

/// One secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRecord {
    /// Its id, `secret:…`.
    pub id: String,
    /// Its owner.
    pub owner: SecretOwnerRef,
    /// The owner's label for it.
    pub label: Option<String>,
    /// Its description.
    pub description: Option<String>,
    /// When it expires, as the owner gave it (`--expire`).
    pub expire: Option<String>,
    /// Its rotation policy.
    pub rotate: Option<SecretRotate>,
    /// Its revisions still stored, by number.
    pub revisions: BTreeMap<u64, SecretContent>,
    /// Its latest revision's number.
    pub latest: u64,
    /// Who may read it (an application or a unit name) and the relation
    /// number the grant is scoped to.
    pub grants: BTreeMap<String, u32>,
    /// Each reading unit's view (owners read the latest revision and are
    /// not tracked).
    pub consumers: BTreeMap<String, ConsumerState>,
    /// The revisions the owner has been told to remove (`secret-remove`).
    pub removal_notified: BTreeSet<u64>,
}

impl SecretRecord {
    /// The latest revision's content.
    pub fn latest_content(&self) -> Option<&SecretContent> {
        self.revisions.get(&self.latest)
    }

    /// Whether `unit` may read the secret: it owns it, or it (or its
    /// application) was granted it.
    pub fn may_read(&self, unit: &str) -> bool {
        self.owner.includes(unit)
            || self.grants.contains_key(unit)
            || self.grants.contains_key(app_of(unit))
    }

    /// The revisions no reader tracks any more, other than the latest,
    /// whose removal the owner has not been told of yet.
    pub fn obsolete_revisions(&self) -> Vec<u64> {
        let tracked: BTreeSet<u64> = self.consumers.values().filter_map(|c| c.tracked).collect();
        self.revisions
            .keys()
            .copied()
            .filter(|r| {
                *r != self.latest && !tracked.contains(r) && !self.removal_notified.contains(r)
            })
            .collect()
    }

    /// Apply the metadata options of `secret-add` / `secret-set`.
    pub fn apply_options(&mut self, options: &SecretOptions) {
        if let Some(label) = &options.label {
            self.label = Some(label.clone());
        }
        if let Some(description) = &options.description {
            self.description = Some(description.clone());
        }
        if let Some(expire) = &options.expire {
            self.expire = Some(expire.clone());
        }
        if let Some(rotate) = options.rotate {
            self.rotate = Some(rotate);
        }
    }
}

/// The content values of removed revisions and secrets, kept only to
/// scrub them from logs and reports (a value published or logged before
/// its secret was removed stays secret). Its `Debug` form shows a count.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RetiredValues(BTreeSet<String>);

impl RetiredValues {
    /// Keep the values of `content`.
    pub fn retire(&mut self, content: &SecretContent) {
        self.0.extend(content.expose().values().cloned());
    }
}

impl std::fmt::Debug for RetiredValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RetiredValues({} values)", self.0.len())
    }
}

/// Every secret of a model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretStore {
    /// The secrets by id (`secret:…`).
    pub secrets: BTreeMap<String, SecretRecord>,
    /// How many secrets have been created (ids are never reused).
    pub created: u64,
    /// The content of removed revisions, for scrubbing.
    pub retired: RetiredValues,
}

impl SecretStore {
    /// Create a secret owned by `creator`'s application (or by `creator`
    /// itself, for [`SecretOwner::Unit`]) with `content` as revision 1;
    /// returns its id. The id has Juju's shape: `secret:` and 20 lowercase
    /// letters and digits.
    pub fn add(
        &mut self,
        creator: &str,
        content: SecretContent,
        options: &SecretOptions,
    ) -> String {
        let owner = match options.owner.unwrap_or_default() {
            SecretOwner::Application => SecretOwnerRef::App(app_of(creator).to_string()),
            SecretOwner::Unit => SecretOwnerRef::Unit(creator.to_string()),
        };
        self.add_owned(owner, content, options)
    }

    /// Create a secret owned by `owner`; returns its id.
    pub fn add_owned(
        &mut self,
        owner: SecretOwnerRef,
        content: SecretContent,
        options: &SecretOptions,
    ) -> String {
        self.created += 1;
        let id = format!("secret:d0sim{:015}", self.created);
        let mut record = SecretRecord {
            id: id.clone(),
            owner,
            label: None,
            description: None,
            expire: None,
            rotate: None,
            revisions: BTreeMap::from([(1, content)]),
            latest: 1,
            grants: BTreeMap::new(),
            consumers: BTreeMap::new(),
            removal_notified: BTreeSet::new(),
        };
        record.apply_options(options);
        self.secrets.insert(id.clone(), record);
        id
    }

    /// The secret with this id (with or without the `secret:` prefix).
    pub fn get(&self, id: &str) -> Option<&SecretRecord> {
        self.secrets.get(&canonical(id))
    }

    /// Mutable [`SecretStore::get`].
    pub fn get_mut(&mut self, id: &str) -> Option<&mut SecretRecord> {
        self.secrets.get_mut(&canonical(id))
    }

    /// The id of the secret `unit` knows by `label`: the owner's label of
    /// a secret it owns, else the label it gave a secret it reads.
    pub fn by_label(&self, unit: &str, label: &str) -> Option<String> {
        self.secrets
            .values()
            .find(|s| s.owner.includes(unit) && s.label.as_deref() == Some(label))
            .or_else(|| {
                self.secrets.values().find(|s| {
                    s.consumers
                        .get(unit)
                        .is_some_and(|c| c.label.as_deref() == Some(label))
                })
            })
            .map(|s| s.id.clone())
    }

    /// Every value of every revision stored or removed, at least
    /// [`MIN_SCRUBBED_LEN`] bytes long, longest first.
    pub fn values(&self) -> Vec<String> {
        let mut values: Vec<String> = self
            .secrets
            .values()
            .flat_map(|s| s.revisions.values())
            .flat_map(|c| c.expose().values())
            .chain(self.retired.0.iter())
            .filter(|v| v.len() >= MIN_SCRUBBED_LEN)
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        values
    }

    /// `text` with every secret value (see [`SecretStore::values`])
    /// replaced by `<redacted>`.
    pub fn scrub(&self, text: &str) -> String {
        scrub_values(text, &self.values())
    }
}

/// `text` with each of `values` (longest first) replaced by `<redacted>`.
pub fn scrub_values(text: &str, values: &[String]) -> String {
    let mut text = text.to_string();
    for value in values {
        if !value.is_empty() && text.contains(value.as_str()) {
            text = text.replace(value.as_str(), REDACTED);
        }
    }
    text
}

fn canonical(id: &str) -> String {
    if id.starts_with("secret:") {
        id.to_string()
    } else {
        format!("secret:{id}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_labels_and_obsolete_revisions() {
        let mut store = SecretStore::default();
        let content = SecretContent::from_pairs([("password", "hunter22")]);
        let options = SecretOptions {
            label: Some("db".into()),
            ..SecretOptions::default()
        };
        let id = store.add("app/0", content.clone(), &options);
        assert_eq!(id.len(), "secret:".len() + 20);
        assert_eq!(store.by_label("app/1", "db"), Some(id.clone()));
        assert_eq!(store.by_label("other/0", "db"), None);
        let bare = id.trim_start_matches("secret:");
        assert!(store.get(bare).is_some());
        let s = store.get_mut(&id).unwrap();
        s.revisions.insert(2, content.clone());
        s.latest = 2;
        s.consumers.insert(
            "other/0".into(),
            ConsumerState {
                tracked: Some(1),
                ..ConsumerState::default()
            },
        );
        assert!(s.obsolete_revisions().is_empty());
        s.consumers.get_mut("other/0").unwrap().tracked = Some(2);
        assert_eq!(s.obsolete_revisions(), [1]);
        assert_eq!(store.scrub("pw=hunter22!"), "pw=<redacted>!");
        assert!(!format!("{store:?}").contains("hunter22"));
    }
}
