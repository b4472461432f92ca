//! What the runtime knows of the charm's `metadata.yaml` (or
//! `charmcraft.yaml`): its name, its relation endpoints with their roles
//! and interfaces, and the storage it asks for.

mod storage;

pub use storage::{StorageMeta, MAX_STORAGE_COUNT};

use std::path::Path;

use reactive_grammar::hook_pattern::Role;
use serde_norway::Value as Yaml;

/// One relation endpoint the charm declares.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EndpointMeta {
    /// The endpoint's name (the key under `provides`, `requires` or `peers`).
    pub name: String,
    /// Which section declares it.
    #[serde(with = "role_name")]
    pub role: Role,
    /// Its `interface`.
    pub interface: String,
}

/// The parts of a charm's metadata the framework uses.
///
/// ```
/// use reactive_core::metadata::CharmMetadata;
/// use reactive_core::Role;
/// let meta = CharmMetadata::new("app").with_endpoint("db", Role::Requires, "mysql");
/// assert_eq!(meta.endpoints_for(Role::Requires, "mysql"), vec!["db".to_string()]);
///
/// let parsed = CharmMetadata::parse(
///     "name: app\nrequires:\n  db:\n    interface: mysql\n",
///     "metadata.yaml",
/// ).unwrap();
/// assert_eq!(parsed, meta);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CharmMetadata {
    /// The charm's name.
    pub name: String,
    /// Every relation endpoint, in the order declared (provides, requires,
    /// then peers).
    pub endpoints: Vec<EndpointMeta>,
    /// The `storage` section's entries, in the order declared.
    pub storage: Vec<StorageMeta>,
}

/// A metadata file that cannot be used (naming the file and key).
pub type MetadataError = crate::charm_file::CharmFileError;

impl CharmMetadata {
    /// Metadata with a name and no endpoints.
    pub fn new(name: impl Into<String>) -> Self {
        CharmMetadata {
            name: name.into(),
            endpoints: Vec::new(),
            storage: Vec::new(),
        }
    }

    /// Add a relation endpoint.
    pub fn with_endpoint(
        mut self,
        name: impl Into<String>,
        role: Role,
        interface: impl Into<String>,
    ) -> Self {
        self.endpoints.push(EndpointMeta {
            name: name.into(),
            role,
            interface: interface.into(),
        });
        self
    }

    /// Read `metadata.yaml` from `charm_dir`, else `charmcraft.yaml`.
    pub fn load(charm_dir: &Path) -> Result<CharmMetadata, MetadataError> {
        let path = CharmMetadata::locate(charm_dir)?;
        let text = crate::charm_file::read_text(&path)?;
        CharmMetadata::parse(&text, &path)
    }

    /// The file [`load`](Self::load) reads: `metadata.yaml` in
    /// `charm_dir`, else `charmcraft.yaml`; an error when neither exists.
    pub(crate) fn locate(charm_dir: &Path) -> Result<std::path::PathBuf, MetadataError> {
        let metadata = charm_dir.join("metadata.yaml");
        if metadata.exists() {
            return Ok(metadata);
        }
        let charmcraft = charm_dir.join("charmcraft.yaml");
        if !charmcraft.exists() {
            return Err(MetadataError {
                file: metadata,
                key: None,
                message: "not found (nor charmcraft.yaml beside it)".to_string(),
            });
        }
        Ok(charmcraft)
    }

    /// Parse metadata text; `file` names it in errors.
    pub fn parse(text: &str, file: impl AsRef<Path>) -> Result<CharmMetadata, MetadataError> {
        let file = file.as_ref();
        let err = |key: Option<String>, message: String| MetadataError {
            file: file.to_path_buf(),
            key,
            message,
        };
        let doc = crate::charm_file::parse_yaml(text, file)?;
        let Yaml::Mapping(top) = doc else {
            return Err(err(None, "must be a mapping at the top level".to_string()));
        };
        let name = match top.get("name") {
            Some(Yaml::String(name)) if !name.is_empty() => name.clone(),
            Some(_) => {
                return Err(err(
                    Some("name".into()),
                    "must be a non-empty string".into(),
                ))
            }
            None => return Err(err(Some("name".into()), "is missing".into())),
        };
        let mut meta = CharmMetadata::new(name);
        for role in Role::ALL {
            let section = role.as_str();
            let Some(value) = top.get(section) else {
                continue;
            };
            let entries = match value {
                Yaml::Null => continue,
                Yaml::Mapping(entries) => entries,
                _ => {
                    return Err(err(
                        Some(section.into()),
                        "must be a mapping of endpoints".into(),
                    ))
                }
            };
            for (key, spec) in entries {
                let Yaml::String(endpoint) = key else {
                    return Err(err(
                        Some(section.into()),
                        "endpoint names must be strings".into(),
                    ));
                };
                let key = format!("{section}.{endpoint}");
                if !reactive_grammar::hook_kind::is_endpoint_name(endpoint) {
                    return Err(err(
                        Some(key),
                        "is not a valid endpoint name (lowercase letters, digits, `-`, `_`, starting with a letter)"
                            .into(),
                    ));
                }
                let interface = match spec {
                    Yaml::Mapping(spec) => match spec.get("interface") {
                        Some(Yaml::String(i)) if !i.is_empty() => i.clone(),
                        Some(_) => {
                            return Err(err(
                                Some(format!("{key}.interface")),
                                "must be a non-empty string".into(),
                            ))
                        }
                        None => {
                            return Err(err(Some(format!("{key}.interface")), "is missing".into()))
                        }
                    },
                    _ => {
                        return Err(err(
                            Some(key),
                            "must be a mapping with an `interface` key".into(),
                        ))
                    }
                };
                if meta.endpoint(endpoint).is_some() {
                    return Err(err(Some(key), "is declared twice".into()));
                }
                meta = meta.with_endpoint(endpoint.clone(), role, interface);
            }
        }
        if let Some(value) = top.get("storage") {
            meta.storage = storage::parse_storage(value, file)?;
        }
        Ok(meta)
    }

    /// The names of the endpoints with this role and interface, as
    /// charmhelpers' `role_and_interface_to_relations` gives them.
    pub fn endpoints_for(&self, role: Role, interface: &str) -> Vec<String> {
        self.endpoints
            .iter()
            .filter(|e| e.role == role && e.interface == interface)
            .map(|e| e.name.clone())
            .collect()
    }

    /// The storage called `name`, if declared.
    pub fn storage(&self, name: &str) -> Option<&StorageMeta> {
        self.storage.iter().find(|s| s.name == name)
    }

    /// The endpoint called `name`, if declared.
    pub fn endpoint(&self, name: &str) -> Option<&EndpointMeta> {
        self.endpoints.iter().find(|e| e.name == name)
    }
}

/// A [`Role`] as serde sees it: its name (`provides`, `requires`,
/// `peers`).
mod role_name {
    use super::Role;

    pub fn serialize<S: serde::Serializer>(role: &Role, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(role.as_str())
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Role, D::Error> {
        let name = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
        name.parse().map_err(|_| {
            serde::de::Error::unknown_variant(&name, &["provides", "requires", "peers"])
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_yaml_nesting_is_refused_at_once_naming_the_file() {
        let deep = format!("name: app\nx: {}", "[".repeat(100_000));
        let started = std::time::Instant::now();
        let e = CharmMetadata::parse(&deep, "charm/metadata.yaml").unwrap_err();
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        let text = e.to_string();
        assert!(
            text.starts_with("charm/metadata.yaml: ") && text.contains("nest deeper than 128"),
            "{text}"
        );
        let deep = format!("options: {}", "{a: ".repeat(100_000));
        let e = crate::config::ConfigOptions::parse(&deep, "charm/config.yaml").unwrap_err();
        assert!(e.to_string().starts_with("charm/config.yaml: "), "{e}");
        assert!(e.to_string().contains("nest deeper than 128"), "{e}");
    }

    #[test]
    fn reads_every_section_in_order() {
        let meta = CharmMetadata::parse(
            "name: app\nprovides:\n  web: {interface: http}\nrequires:\n  db: {interface: mysql}\npeers:\n  cluster: {interface: app-peers}\n",
            "metadata.yaml",
        )
        .unwrap();
        let names: Vec<&str> = meta.endpoints.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["web", "db", "cluster"]);
        assert_eq!(meta.endpoint("cluster").unwrap().role, Role::Peers);
    }

    #[test]
    fn errors_name_the_file_and_key() {
        let cases = [
            ("name: [", "metadata.yaml: is not valid YAML at line 2"),
            ("- a", "metadata.yaml: must be a mapping at the top level"),
            ("provides: {}", "metadata.yaml: `name`: is missing"),
            (
                "name: a\nrequires:\n  db: {}",
                "metadata.yaml: `requires.db.interface`: is missing",
            ),
            (
                "name: a\nrequires:\n  db: mysql",
                "metadata.yaml: `requires.db`: must be a mapping",
            ),
            (
                "name: a\nrequires:\n  Db!: {interface: x}",
                "metadata.yaml: `requires.Db!`: is not a valid endpoint name",
            ),
            (
                "name: a\nrequires:\n  db: {interface: x}\nprovides:\n  db: {interface: y}",
                "metadata.yaml: `requires.db`: is declared twice",
            ),
        ];
        for (text, expected) in cases {
            let e = CharmMetadata::parse(text, "metadata.yaml").unwrap_err();
            assert!(e.to_string().starts_with(expected), "{text:?}: {e}");
        }
    }

    #[test]
    fn load_falls_back_to_charmcraft_yaml_and_reports_absence() {
        let dir = std::env::temp_dir().join(format!("reactive-meta-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let e = CharmMetadata::load(&dir).unwrap_err();
        assert!(e.to_string().contains("metadata.yaml: not found"), "{e}");
        std::fs::write(dir.join("charmcraft.yaml"), "name: cc\n").unwrap();
        assert_eq!(CharmMetadata::load(&dir).unwrap().name, "cc");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
