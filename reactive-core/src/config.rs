//! The charm's configuration: the options `config.yaml` declares and the
//! values Juju gives (`config-get --all`).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};
use serde_norway::Value as Yaml;

/// One option of `config.yaml`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ConfigOption {
    /// `type`: `string`, `int`, `float`, `boolean` or `secret`.
    pub kind: String,
    /// `default`, as JSON (`null` when none).
    pub default: Value,
    /// `description`.
    pub description: String,
}

/// The options a charm declares in `config.yaml`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ConfigOptions {
    /// Options by name.
    pub options: BTreeMap<String, ConfigOption>,
}

/// A `config.yaml` that cannot be used (naming the file and key).
pub type ConfigError = crate::charm_file::CharmFileError;

impl ConfigOptions {
    /// Read `config.yaml` from `charm_dir`; no file means no options.
    pub fn load(charm_dir: &Path) -> Result<ConfigOptions, ConfigError> {
        let path = charm_dir.join("config.yaml");
        match ConfigOptions::read_text(&path)? {
            Some(text) => ConfigOptions::parse(&text, &path),
            None => Ok(Self::default()),
        }
    }

    /// The text of the `config.yaml` at `path`; `None` when there is no
    /// such file.
    pub(crate) fn read_text(path: &Path) -> Result<Option<String>, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(ConfigError {
                file: path.to_path_buf(),
                key: None,
                message: format!("cannot be read: {e}"),
            }),
        }
    }

    /// Parse `config.yaml` text; `file` names it in errors.
    ///
    /// ```
    /// use reactive_core::config::ConfigOptions;
    /// let opts = ConfigOptions::parse(
    ///     "options:\n  port: {type: int, default: 9100}\n",
    ///     "config.yaml",
    /// ).unwrap();
    /// assert_eq!(opts.defaults()["port"], 9100);
    /// ```
    pub fn parse(text: &str, file: impl AsRef<Path>) -> Result<ConfigOptions, ConfigError> {
        let file = file.as_ref();
        let err = |key: Option<String>, message: String| ConfigError {
            file: file.to_path_buf(),
            key,
            message,
        };
        let doc = crate::charm_file::parse_yaml(text, file)?;
        let options = match &doc {
            Yaml::Null => return Ok(Self::default()),
            Yaml::Mapping(top) => match top.get("options") {
                None | Some(Yaml::Null) => return Ok(Self::default()),
                Some(Yaml::Mapping(options)) => options,
                Some(_) => return Err(err(Some("options".into()), "must be a mapping".into())),
            },
            _ => return Err(err(None, "must be a mapping at the top level".into())),
        };
        let mut parsed = ConfigOptions::default();
        for (name, spec) in options {
            let Yaml::String(name) = name else {
                return Err(err(
                    Some("options".into()),
                    "option names must be strings".into(),
                ));
            };
            let key = format!("options.{name}");
            let Yaml::Mapping(spec) = spec else {
                return Err(err(Some(key), "must be a mapping with `type`".into()));
            };
            let kind = match spec.get("type") {
                None => "string".to_string(),
                Some(Yaml::String(t))
                    if ["string", "int", "float", "boolean", "secret"].contains(&t.as_str()) =>
                {
                    t.clone()
                }
                Some(other) => {
                    return Err(err(
                        Some(format!("{key}.type")),
                        format!(
                            "must be string, int, float, boolean or secret, not {}",
                            yaml_brief(other)
                        ),
                    ))
                }
            };
            let default = match spec.get("default") {
                None => Value::Null,
                Some(v) => serde_json::to_value(v).map_err(|e| {
                    err(
                        Some(format!("{key}.default")),
                        format!("cannot be used: {e}"),
                    )
                })?,
            };
            let description = match spec.get("description") {
                Some(Yaml::String(d)) => d.clone(),
                _ => String::new(),
            };
            parsed.options.insert(
                name.clone(),
                ConfigOption {
                    kind,
                    default,
                    description,
                },
            );
        }
        Ok(parsed)
    }

    /// Every option's default (options without one are left out, as Juju
    /// leaves them out of `config-get --all`).
    pub fn defaults(&self) -> Map<String, Value> {
        self.options
            .iter()
            .filter(|(_, o)| !o.default.is_null())
            .map(|(k, o)| (k.clone(), o.default.clone()))
            .collect()
    }

    /// Whether the option is declared as a secret (its value is never logged).
    pub fn is_secret(&self, name: &str) -> bool {
        self.options.get(name).is_some_and(|o| o.kind == "secret")
    }
}

fn yaml_brief(v: &Yaml) -> String {
    match v {
        Yaml::String(s) => format!("`{s}`"),
        Yaml::Null => "null".into(),
        Yaml::Bool(b) => format!("`{b}`"),
        Yaml::Number(n) => format!("`{n}`"),
        _ => "a collection".into(),
    }
}

/// The configuration values of this hook, as `config-get --all` gives them.
///
/// ```
/// use reactive_core::config::Config;
/// use serde_json::json;
/// let config = Config::from_value(json!({"port": 9100, "scheme": "http"}));
/// assert_eq!(config.get_i64("port"), Some(9100));
/// assert_eq!(config.get_str("scheme"), Some("http"));
/// assert_eq!(config.get_str("missing"), None);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    values: Map<String, Value>,
}

impl Config {
    /// Config from a JSON object (anything else is empty config).
    pub fn from_value(value: Value) -> Self {
        match value {
            Value::Object(values) => Config { values },
            _ => Config::default(),
        }
    }

    /// Config from a map of values.
    pub fn from_map(values: Map<String, Value>) -> Self {
        Config { values }
    }

    /// The raw value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.values.get(key)
    }

    /// `key` as a string.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.values.get(key).and_then(Value::as_str)
    }

    /// `key` as an integer.
    pub fn get_i64(&self, key: &str) -> Option<i64> {
        self.values.get(key).and_then(Value::as_i64)
    }

    /// `key` as a float.
    pub fn get_f64(&self, key: &str) -> Option<f64> {
        self.values.get(key).and_then(Value::as_f64)
    }

    /// `key` as a boolean.
    pub fn get_bool(&self, key: &str) -> Option<bool> {
        self.values.get(key).and_then(Value::as_bool)
    }

    /// Every value.
    pub fn values(&self) -> &Map<String, Value> {
        &self.values
    }
}
