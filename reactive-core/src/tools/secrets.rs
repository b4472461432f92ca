//! Juju secrets as the `secret-*` hook tools see them: their content (kept
//! out of every log, error and `Debug` output), their metadata and the
//! options of `secret-add` / `secret-set` / `secret-get`.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use super::ToolError;

/// The most bytes Juju accepts for a secret's whole content.
pub const MAX_SECRET_CONTENT_BYTES: usize = 64 * 1024;

/// The content of a secret: keys to values.
///
/// Its [`Debug`](fmt::Debug) form shows the keys only, never a value, and it
/// has no [`Display`](fmt::Display) form, so a secret cannot reach a log
/// line or an error by accident:
///
/// ```
/// use reactive_core::tools::secrets::SecretContent;
/// let content = SecretContent::from_pairs([("password", "hunter2")]);
/// assert_eq!(content.get("password"), Some("hunter2"));
/// assert!(!format!("{content:?}").contains("hunter2"));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretContent(BTreeMap<String, String>);

impl SecretContent {
    /// Content holding `map`.
    pub fn new(map: BTreeMap<String, String>) -> Self {
        SecretContent(map)
    }

    /// Content holding the `(key, value)` pairs.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        SecretContent(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// The keys, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there is no key.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The key-value map (to hand the content on; keep it out of logs).
    pub fn expose(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    /// The key-value map, consuming the content.
    pub fn into_inner(self) -> BTreeMap<String, String> {
        self.0
    }

    /// Check the content is what `secret-add` / `secret-set` take: at least
    /// one key; each key three or more characters of lowercase letters,
    /// digits and single dashes, starting with a letter and not ending
    /// with a dash; at most [`MAX_SECRET_CONTENT_BYTES`] in all. The error
    /// names the key, never a value.
    pub fn validate(&self, tool: &str) -> Result<(), ToolError> {
        if self.0.is_empty() {
            return Err(ToolError::invalid_input(tool, "empty secret content"));
        }
        let mut total = 0usize;
        for (key, value) in &self.0 {
            if !is_valid_key(key) {
                return Err(ToolError::invalid_input(
                    tool,
                    format!(
                        "invalid secret key {key:?}: keys are 3 or more lowercase letters, \
                         digits and single dashes, starting with a letter"
                    ),
                ));
            }
            total = total.saturating_add(key.len()).saturating_add(value.len());
        }
        if total > MAX_SECRET_CONTENT_BYTES {
            return Err(ToolError::invalid_input(
                tool,
                format!(
                    "secret content of {total} bytes is over Juju's limit of \
                     {MAX_SECRET_CONTENT_BYTES}"
                ),
            ));
        }
        Ok(())
    }
}

impl fmt::Debug for SecretContent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for key in self.0.keys() {
            map.entry(key, &super::error::REDACTED);
        }
        map.finish()
    }
}

/// Juju's rule for secret keys: `^[a-z](-?[a-z0-9]){2,}$`.
fn is_valid_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    let Some((&first, rest)) = bytes.split_first() else {
        return false;
    };
    if !first.is_ascii_lowercase() {
        return false;
    }
    let mut groups = 0;
    let mut i = 0;
    while i < rest.len() {
        if rest[i] == b'-' {
            i += 1;
        }
        match rest.get(i) {
            Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit() => {
                groups += 1;
                i += 1;
            }
            _ => return false,
        }
    }
    groups >= 2
}

/// Put `id` in the `secret:<id>` form the tools print and take (Juju's
/// `secret-ids` and `secret-info-get` print bare ids).
pub fn canonical_secret_id(id: &str) -> String {
    if id.starts_with("secret:") {
        id.to_string()
    } else {
        format!("secret:{id}")
    }
}

/// How often Juju asks the owner to rotate a secret (`--rotate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretRotate {
    /// Never.
    Never,
    /// Every hour.
    Hourly,
    /// Every day.
    Daily,
    /// Every week.
    Weekly,
    /// Every month.
    Monthly,
    /// Every three months.
    Quarterly,
    /// Every year.
    Yearly,
}

impl SecretRotate {
    /// The word `--rotate` takes.
    pub const fn as_str(self) -> &'static str {
        match self {
            SecretRotate::Never => "never",
            SecretRotate::Hourly => "hourly",
            SecretRotate::Daily => "daily",
            SecretRotate::Weekly => "weekly",
            SecretRotate::Monthly => "monthly",
            SecretRotate::Quarterly => "quarterly",
            SecretRotate::Yearly => "yearly",
        }
    }
}

/// Who owns a new secret (`secret-add --owner`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SecretOwner {
    /// The application: only its leader may change it (Juju's default).
    #[default]
    Application,
    /// The unit that creates it.
    Unit,
}

impl SecretOwner {
    /// The word `--owner` takes.
    pub const fn as_str(self) -> &'static str {
        match self {
            SecretOwner::Application => "application",
            SecretOwner::Unit => "unit",
        }
    }
}

/// The metadata options of `secret-add` and `secret-set`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretOptions {
    /// `--label`: the charm's own name for the secret.
    pub label: Option<String>,
    /// `--description`.
    pub description: Option<String>,
    /// `--expire`: a time (RFC 3339, e.g. `2025-01-01T06:06:06Z`) or a
    /// duration (`24h`).
    pub expire: Option<String>,
    /// `--rotate`.
    pub rotate: Option<SecretRotate>,
    /// `--owner` (`secret-add` only; ignored by `secret-set`).
    pub owner: Option<SecretOwner>,
}

/// Which revision `secret-get` answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SecretRevision {
    /// The revision this unit last saw (the latest the first time).
    #[default]
    Tracked,
    /// `--peek`: the latest revision, this time only.
    Peek,
    /// `--refresh`: the latest revision, tracked from now on.
    Refresh,
}

/// How `secret-get` (or `secret-info-get`) names the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretRef<'a> {
    /// By id (`secret:…`).
    Id(&'a str),
    /// By the label this unit gave it.
    Label(&'a str),
    /// By id, also setting its label (`secret-get` only).
    IdAndLabel(&'a str, &'a str),
}

impl SecretRef<'_> {
    /// The arguments naming the secret.
    pub(crate) fn args(&self) -> Vec<&str> {
        match *self {
            SecretRef::Id(id) => vec![id],
            SecretRef::Label(label) => vec!["--label", label],
            SecretRef::IdAndLabel(id, label) => vec!["--label", label, id],
        }
    }
}

/// One access grant of a secret, as `secret-info-get` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SecretAccess {
    /// Who may read it, e.g. `application-wordpress`.
    pub target: String,
    /// The scope of the grant, e.g. `relation-wordpress.db#mysql.server`.
    pub scope: String,
    /// The role granted, e.g. `view`.
    pub role: String,
}

/// A secret's metadata, from `secret-info-get --format=json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretInfo {
    /// The secret's id, `secret:…`.
    pub id: String,
    /// Its latest revision.
    pub revision: u64,
    /// The label this unit gave it (empty when none).
    pub label: String,
    /// `application` or `unit`.
    pub owner: String,
    /// Its description, if any.
    pub description: Option<String>,
    /// Its rotation policy (`never`, `daily`, …), if any.
    pub rotation: Option<String>,
    /// When its latest revision expires (RFC 3339), if it does.
    pub expiry: Option<String>,
    /// When it is next due for rotation (RFC 3339), if it is.
    pub rotates: Option<String>,
    /// Who was granted access.
    pub access: Vec<SecretAccess>,
}

/// The value of one secret in `secret-info-get`'s output.
#[derive(Deserialize)]
pub(crate) struct SecretInfoFields {
    pub(crate) revision: u64,
    #[serde(default)]
    pub(crate) label: String,
    #[serde(default)]
    pub(crate) owner: String,
    pub(crate) description: Option<String>,
    pub(crate) rotation: Option<String>,
    pub(crate) expiry: Option<String>,
    pub(crate) rotates: Option<String>,
    #[serde(default)]
    pub(crate) access: Vec<SecretAccess>,
}

impl SecretInfoFields {
    pub(crate) fn into_info(self, id: &str) -> SecretInfo {
        SecretInfo {
            id: canonical_secret_id(id),
            revision: self.revision,
            label: self.label,
            owner: self.owner,
            description: self.description,
            rotation: self.rotation,
            expiry: self.expiry,
            rotates: self.rotates,
            access: self.access,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_jujus_rule() {
        for good in ["abc", "pass-word", "a1b", "token2", "a-b-c"] {
            assert!(is_valid_key(good), "{good}");
        }
        for bad in [
            "", "ab", "Abc", "1ab", "a--b", "abc-", "a_bc", "-abc", "a-b",
        ] {
            assert!(!is_valid_key(bad), "{bad}");
        }
    }

    #[test]
    fn validation_names_the_key_not_the_value() {
        let content = SecretContent::from_pairs([("Bad_Key", "hunter2")]);
        let err = content.validate("secret-add").unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(text.contains("Bad_Key"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(SecretContent::default().validate("secret-add").is_err());
        let big = SecretContent::from_pairs([("big", "x".repeat(MAX_SECRET_CONTENT_BYTES))]);
        assert!(big.validate("secret-set").is_err());
    }

    #[test]
    fn ids_are_canonical() {
        assert_eq!(canonical_secret_id("cs4h9f"), "secret:cs4h9f");
        assert_eq!(canonical_secret_id("secret:cs4h9f"), "secret:cs4h9f");
    }
}
