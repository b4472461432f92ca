//! The `storage:` section of `metadata.yaml`: the storage a charm asks
//! Juju for, each with its kind, where it is mounted and how many
//! instances a unit may have.

use std::path::Path;

use serde_norway::Value as Yaml;

use super::MetadataError;
use crate::tools::StorageKind;

/// The most instances a `multiple.range` may name (bounds hostile input).
pub const MAX_STORAGE_COUNT: u32 = 10_000;

/// One storage entry a charm declares.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StorageMeta {
    /// Its name (the key under `storage`); instances are `name/N`.
    pub name: String,
    /// `type`: `filesystem` or `block`.
    pub kind: StorageKind,
    /// `location`: where a filesystem is mounted, if the charm says.
    pub location: Option<String>,
    /// How many instances a unit starts with (`multiple.range`'s lower
    /// bound; 1 without `multiple`).
    pub minimum: u32,
    /// How many instances a unit may have at most (`None`: no limit).
    pub maximum: Option<u32>,
}

impl StorageMeta {
    /// Whether a unit may have more than one instance.
    pub fn is_multiple(&self) -> bool {
        self.maximum != Some(1)
    }
}

/// Parse the `storage` mapping (`value`) of `file`.
pub(super) fn parse_storage(value: &Yaml, file: &Path) -> Result<Vec<StorageMeta>, MetadataError> {
    let err = |key: String, message: &str| MetadataError::new(file, Some(key), message);
    let entries = match value {
        Yaml::Null => return Ok(Vec::new()),
        Yaml::Mapping(entries) => entries,
        _ => return Err(err("storage".into(), "must be a mapping of storage names")),
    };
    let mut storage = Vec::with_capacity(entries.len());
    for (key, spec) in entries {
        let Yaml::String(name) = key else {
            return Err(err("storage".into(), "storage names must be strings"));
        };
        let key = format!("storage.{name}");
        if !reactive_grammar::hook_kind::is_endpoint_name(name) {
            return Err(err(
                key,
                "is not a valid storage name (lowercase letters, digits, `-`, `_`, starting with a letter)",
            ));
        }
        let Yaml::Mapping(spec) = spec else {
            return Err(err(key, "must be a mapping with a `type` key"));
        };
        let kind = match spec.get("type") {
            Some(Yaml::String(t)) if t == "filesystem" => StorageKind::Filesystem,
            Some(Yaml::String(t)) if t == "block" => StorageKind::Block,
            Some(_) => {
                return Err(err(
                    format!("{key}.type"),
                    "must be `filesystem` or `block`",
                ))
            }
            None => return Err(err(format!("{key}.type"), "is missing")),
        };
        let location = match spec.get("location") {
            None | Some(Yaml::Null) => None,
            Some(Yaml::String(l)) if l.starts_with('/') => Some(l.clone()),
            Some(_) => return Err(err(format!("{key}.location"), "must be an absolute path")),
        };
        if location.is_some() && kind == StorageKind::Block {
            return Err(err(
                format!("{key}.location"),
                "is only for filesystem storage",
            ));
        }
        let (minimum, maximum) = match spec.get("multiple") {
            None | Some(Yaml::Null) => (1, Some(1)),
            Some(Yaml::Mapping(multiple)) => match multiple.get("range") {
                Some(range) => parse_range(range)
                    .map_err(|message| err(format!("{key}.multiple.range"), &message))?,
                None => return Err(err(format!("{key}.multiple.range"), "is missing")),
            },
            Some(_) => {
                return Err(err(
                    format!("{key}.multiple"),
                    "must be a mapping with a `range` key",
                ))
            }
        };
        if storage.iter().any(|s: &StorageMeta| s.name == *name) {
            return Err(err(key, "is declared twice"));
        }
        storage.push(StorageMeta {
            name: name.clone(),
            kind,
            location,
            minimum,
            maximum,
        });
    }
    Ok(storage)
}

/// Juju's range forms: `N`, `N-M`, `N-`, `N+`.
fn parse_range(value: &Yaml) -> Result<(u32, Option<u32>), String> {
    let text = match value {
        Yaml::String(s) => s.trim().to_string(),
        Yaml::Number(n) => n.to_string(),
        _ => return Err("must be a count or a range such as `1-3` or `2-`".into()),
    };
    let number = |s: &str| -> Result<u32, String> {
        match s.parse::<u32>() {
            Ok(n) if n <= MAX_STORAGE_COUNT => Ok(n),
            _ => Err(format!(
                "{text:?} is not a count or a range such as `1-3` or `2-` (counts up to {MAX_STORAGE_COUNT})"
            )),
        }
    };
    let (minimum, maximum) = if let Some(min) = text.strip_suffix('+') {
        (number(min)?, None)
    } else if let Some((min, max)) = text.split_once('-') {
        let max = if max.is_empty() {
            None
        } else {
            Some(number(max)?)
        };
        (number(min)?, max)
    } else {
        let n = number(&text)?;
        (n, Some(n))
    };
    if maximum == Some(0) || maximum.is_some_and(|max| max < minimum) {
        return Err(format!("{text:?} is an empty range"));
    }
    Ok((minimum, maximum))
}

#[cfg(test)]
mod tests {
    use super::super::CharmMetadata;
    use super::*;

    #[test]
    fn reads_kinds_locations_and_ranges() {
        let meta = CharmMetadata::parse(
            "name: app\nstorage:\n  data:\n    type: filesystem\n    location: /srv/data\n  \
             logs:\n    type: filesystem\n    multiple:\n      range: 0-\n  \
             disks:\n    type: block\n    multiple:\n      range: 2-4\n  one:\n    type: block\n    multiple: {range: 3}\n",
            "metadata.yaml",
        )
        .unwrap();
        let s = &meta.storage;
        assert_eq!(s.len(), 4);
        assert_eq!(s[0].name, "data");
        assert_eq!(s[0].kind, StorageKind::Filesystem);
        assert_eq!(s[0].location.as_deref(), Some("/srv/data"));
        assert_eq!((s[0].minimum, s[0].maximum), (1, Some(1)));
        assert!(!s[0].is_multiple());
        assert_eq!((s[1].minimum, s[1].maximum), (0, None));
        assert_eq!((s[2].minimum, s[2].maximum), (2, Some(4)));
        assert_eq!(s[2].kind, StorageKind::Block);
        assert_eq!((s[3].minimum, s[3].maximum), (3, Some(3)));
        assert!(meta.storage("logs").unwrap().is_multiple());
    }

    #[test]
    fn bad_storage_is_a_typed_error_naming_the_key() {
        let cases = [
            ("storage: [a]", "`storage`: must be a mapping"),
            ("storage:\n  data: {}", "`storage.data.type`: is missing"),
            (
                "storage:\n  data: {type: tape}",
                "`storage.data.type`: must be",
            ),
            ("storage:\n  data: fs", "`storage.data`: must be a mapping"),
            (
                "storage:\n  Data!: {type: block}",
                "`storage.Data!`: is not a valid",
            ),
            (
                "storage:\n  data: {type: filesystem, location: rel/path}",
                "`storage.data.location`: must be an absolute path",
            ),
            (
                "storage:\n  data: {type: block, location: /dev/x}",
                "`storage.data.location`: is only for filesystem",
            ),
            (
                "storage:\n  data: {type: block, multiple: {range: 5-2}}",
                "`storage.data.multiple.range`: \"5-2\" is an empty range",
            ),
            (
                "storage:\n  data: {type: block, multiple: {range: lots}}",
                "`storage.data.multiple.range`: \"lots\" is not a count",
            ),
            (
                "storage:\n  data: {type: block, multiple: {range: 99999999}}",
                "`storage.data.multiple.range`",
            ),
            (
                "storage:\n  data: {type: block, multiple: {}}",
                "`storage.data.multiple.range`: is missing",
            ),
        ];
        for (text, expected) in cases {
            let text = format!("name: a\n{text}\n");
            let e = CharmMetadata::parse(&text, "metadata.yaml").unwrap_err();
            assert!(e.to_string().contains(expected), "{text:?}: {e}");
            assert!(e.to_string().starts_with("metadata.yaml"), "{e}");
        }
    }
}
