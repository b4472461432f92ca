//! The charm's actions: what `actions.yaml` declares, and the checks Juju
//! makes on an action's name and parameters before it runs one.
//!
//! Each top-level key of `actions.yaml` is an action (lowercase letters,
//! digits and `-`), whose value is a mapping with an optional
//! `description`, an optional `params` mapping (each parameter a JSON
//! schema, written in YAML), an optional `required` list and an optional
//! `additionalProperties` (extra parameters are accepted unless it is
//! `false`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde_json::{Map, Value};
use serde_norway::Value as Yaml;

use crate::charm_file::{parse_yaml, CharmFileError};

/// One action of `actions.yaml`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActionSpec {
    /// `description`.
    pub description: String,
    /// `params`: each parameter's JSON schema, by name.
    pub params: BTreeMap<String, Value>,
    /// `required`: the parameters that must be given.
    pub required: Vec<String>,
    /// `additionalProperties`: whether parameters not in `params` are
    /// accepted (`true` unless the file says `false`).
    pub additional_properties: bool,
}

/// The actions a charm declares in `actions.yaml`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActionsSpec {
    /// Actions by name.
    pub actions: BTreeMap<String, ActionSpec>,
}

/// An `actions.yaml` that cannot be used (naming the file and key).
pub type ActionsError = CharmFileError;

/// Whether `name` is a valid action name, or a valid segment of an
/// `action-set` key: lowercase letters and digits, with `-` inside
/// (Juju's rule for both).
///
/// ```
/// use reactive_core::actions::is_action_name;
/// assert!(is_action_name("list-jobs"));
/// assert!(is_action_name("backup2"));
/// assert!(!is_action_name("-backup") && !is_action_name("Backup") && !is_action_name(""));
/// ```
pub fn is_action_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            alnum(first) && alnum(last) && bytes.iter().all(|b| alnum(b) || *b == b'-')
        }
        _ => false,
    }
}

impl ActionsSpec {
    /// Read `actions.yaml` from `charm_dir`; no file means no actions.
    pub fn load(charm_dir: &Path) -> Result<ActionsSpec, ActionsError> {
        let path = charm_dir.join("actions.yaml");
        match std::fs::read_to_string(&path) {
            Ok(text) => ActionsSpec::parse(&text, &path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ActionsSpec::default()),
            Err(e) => Err(CharmFileError::new(
                &path,
                None,
                format!("cannot be read: {e}"),
            )),
        }
    }

    /// Parse `actions.yaml` text; `file` names it in errors.
    ///
    /// ```
    /// use reactive_core::actions::ActionsSpec;
    /// let spec = ActionsSpec::parse(
    ///     "backup:\n  description: Back up.\n  params:\n    to: {type: string, default: /tmp}\n",
    ///     "actions.yaml",
    /// ).unwrap();
    /// assert_eq!(spec.actions["backup"].description, "Back up.");
    /// let err = ActionsSpec::parse("Backup: {}\n", "actions.yaml").unwrap_err();
    /// assert_eq!(err.key.as_deref(), Some("Backup"));
    /// ```
    pub fn parse(text: &str, file: impl AsRef<Path>) -> Result<ActionsSpec, ActionsError> {
        let file = file.as_ref();
        let err = |key: Option<String>, message: String| CharmFileError::new(file, key, message);
        let top = match parse_yaml(text, file)? {
            Yaml::Null => return Ok(ActionsSpec::default()),
            Yaml::Mapping(top) => top,
            _ => return Err(err(None, "must be a mapping of action names".into())),
        };
        let mut spec = ActionsSpec::default();
        for (name, body) in &top {
            let Yaml::String(name) = name else {
                return Err(err(None, "action names must be strings".into()));
            };
            if !is_action_name(name) {
                return Err(err(
                    Some(name.clone()),
                    "is not a valid action name: lowercase letters, digits and `-`, starting \
                     and ending with a letter or digit"
                        .into(),
                ));
            }
            let body = match body {
                Yaml::Null => serde_norway::Mapping::new(),
                Yaml::Mapping(m) => m.clone(),
                _ => return Err(err(Some(name.clone()), "must be a mapping".into())),
            };
            let mut action = ActionSpec {
                additional_properties: true,
                ..ActionSpec::default()
            };
            match body.get("description") {
                None | Some(Yaml::Null) => {}
                Some(Yaml::String(d)) => action.description = d.clone(),
                Some(_) => {
                    return Err(err(
                        Some(format!("{name}.description")),
                        "must be a string".into(),
                    ))
                }
            }
            match body.get("params") {
                None | Some(Yaml::Null) => {}
                Some(Yaml::Mapping(params)) => {
                    for (param, schema) in params {
                        let Yaml::String(param) = param else {
                            return Err(err(
                                Some(format!("{name}.params")),
                                "parameter names must be strings".into(),
                            ));
                        };
                        let key = format!("{name}.params.{param}");
                        let schema = serde_json::to_value(schema)
                            .map_err(|e| err(Some(key.clone()), format!("cannot be used: {e}")))?;
                        if !schema.is_object() {
                            return Err(err(Some(key), "must be a mapping (a JSON schema)".into()));
                        }
                        action.params.insert(param.clone(), schema);
                    }
                }
                Some(_) => {
                    return Err(err(
                        Some(format!("{name}.params")),
                        "must be a mapping of parameter names to schemas".into(),
                    ))
                }
            }
            match body.get("required") {
                None | Some(Yaml::Null) => {}
                Some(Yaml::Sequence(items)) => {
                    for item in items {
                        match item {
                            Yaml::String(s) => action.required.push(s.clone()),
                            _ => {
                                return Err(err(
                                    Some(format!("{name}.required")),
                                    "must be a list of parameter names".into(),
                                ))
                            }
                        }
                    }
                }
                Some(_) => {
                    return Err(err(
                        Some(format!("{name}.required")),
                        "must be a list of parameter names".into(),
                    ))
                }
            }
            match body.get("additionalProperties") {
                None | Some(Yaml::Null) => {}
                Some(Yaml::Bool(b)) => action.additional_properties = *b,
                Some(_) => {
                    return Err(err(
                        Some(format!("{name}.additionalProperties")),
                        "must be true or false".into(),
                    ))
                }
            }
            spec.actions.insert(name.clone(), action);
        }
        Ok(spec)
    }

    /// The action `name`.
    pub fn get(&self, name: &str) -> Option<&ActionSpec> {
        self.actions.get(name)
    }

    /// The declared action names, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.actions.keys().map(String::as_str).collect()
    }
}

/// Why parameters do not fit an action's schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamsProblem {
    /// The parameter at fault (dotted for nested objects), or empty for the
    /// parameters as a whole.
    pub param: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ParamsProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.param.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "parameter `{}` {}", self.param, self.message)
        }
    }
}

impl std::error::Error for ParamsProblem {}

impl ActionSpec {
    /// `params` with the schema's defaults filled in for the parameters not
    /// given (as Juju does before running the action), after checking them:
    /// an object, every required parameter given, no undeclared one when
    /// `additionalProperties` is `false`, and each of the JSON-schema
    /// `type` its schema names (nested `properties` and `required` of
    /// object parameters too).
    pub fn check_params(&self, params: &Value) -> Result<Value, ParamsProblem> {
        let given = match params {
            Value::Null => Map::new(),
            Value::Object(map) => map.clone(),
            other => {
                return Err(ParamsProblem {
                    param: String::new(),
                    message: format!("the parameters must be a mapping, not {}", json_type(other)),
                })
            }
        };
        let properties: Map<String, Value> = self
            .params
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        check_object(
            "",
            &given,
            &properties,
            &self.required,
            self.additional_properties,
        )?;
        let mut filled = given;
        for (name, schema) in &self.params {
            if let Some(default) = schema.get("default") {
                filled
                    .entry(name.clone())
                    .or_insert_with(|| default.clone());
            }
        }
        Ok(Value::Object(filled))
    }
}

fn check_object(
    prefix: &str,
    given: &Map<String, Value>,
    properties: &Map<String, Value>,
    required: &[String],
    additional: bool,
) -> Result<(), ParamsProblem> {
    let path = |name: &str| {
        if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        }
    };
    for name in required {
        if !given.contains_key(name) {
            return Err(ParamsProblem {
                param: path(name),
                message: "is required".into(),
            });
        }
    }
    for (name, value) in given {
        let Some(schema) = properties.get(name) else {
            if additional {
                continue;
            }
            let hint =
                reactive_grammar::suggest::closest(name, properties.keys().map(String::as_str))
                    .map(|near| format!("; did you mean `{near}`?"))
                    .unwrap_or_default();
            return Err(ParamsProblem {
                param: path(name),
                message: format!("is not declared{hint}"),
            });
        };
        check_value(&path(name), value, schema)?;
    }
    Ok(())
}

fn check_value(param: &str, value: &Value, schema: &Value) -> Result<(), ParamsProblem> {
    if let Some(kind) = schema.get("type") {
        let kinds: Vec<&str> = match kind {
            Value::String(k) => vec![k.as_str()],
            Value::Array(ks) => ks.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !kinds.is_empty() && !kinds.iter().any(|k| fits(k, value)) {
            return Err(ParamsProblem {
                param: param.to_string(),
                message: format!(
                    "must be of type {}, not {}",
                    kinds.join(" or "),
                    json_type(value)
                ),
            });
        }
    }
    if let Some(Value::Array(allowed)) = schema.get("enum") {
        if !allowed.contains(value) {
            let list: Vec<String> = allowed.iter().map(Value::to_string).collect();
            return Err(ParamsProblem {
                param: param.to_string(),
                message: format!("must be one of {}, not {value}", list.join(", ")),
            });
        }
    }
    if let Value::Object(map) = value {
        let properties = match schema.get("properties") {
            Some(Value::Object(p)) => p.clone(),
            _ => Map::new(),
        };
        let required: Vec<String> = match schema.get("required") {
            Some(Value::Array(r)) => r
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        let additional = schema.get("additionalProperties") != Some(&Value::Bool(false));
        check_object(param, map, &properties, &required, additional)?;
    }
    Ok(())
}

fn fits(kind: &str, value: &Value) -> bool {
    match kind {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "null" => value.is_null(),
        // A type this check does not know is left to the charm.
        _ => true,
    }
}

/// The JSON type of `value`, in words.
pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The result keys Juju keeps for itself (`action-set` refuses them).
pub const RESERVED_RESULT_KEYS: [&str; 4] =
    ["stdout", "stdout-encoding", "stderr", "stderr-encoding"];

/// Check an `action-set` key as Juju does: dot-separated segments, each of
/// lowercase letters, digits and `-` (starting and ending with a letter or
/// digit), none of them reserved ([`RESERVED_RESULT_KEYS`]).
///
/// ```
/// use reactive_core::actions::check_result_key;
/// assert!(check_result_key("outfile.size").is_ok());
/// assert!(check_result_key("Size").is_err());
/// assert!(check_result_key("a..b").is_err());
/// assert!(check_result_key("stdout").is_err());
/// ```
pub fn check_result_key(key: &str) -> Result<(), String> {
    for segment in key.split('.') {
        if !is_action_name(segment) {
            return Err(format!(
                "key {segment:?} must start and end with lowercase alphanumeric, and contain \
                 only lowercase alphanumeric, hyphens and periods"
            ));
        }
        if RESERVED_RESULT_KEYS.contains(&segment) {
            return Err(format!("cannot set reserved action key {segment:?}"));
        }
    }
    Ok(())
}

/// Why an action tool call of the context failed.
#[derive(Debug)]
pub enum ActionError {
    /// The hook is not an action: the action tools have nothing to act on.
    NotInAction {
        /// The tool asked for.
        tool: &'static str,
    },
    /// An `action-set` key Juju would refuse.
    BadResultKey {
        /// The key.
        key: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The action's parameters do not fit the handler's parameter type.
    Params {
        /// The action.
        action: String,
        /// The parameter at fault (dotted for nested ones), empty when the
        /// parameters as a whole do not fit.
        param: String,
        /// What is wrong.
        message: String,
    },
    /// The hook tool failed.
    Tool(crate::tools::ToolError),
}

impl fmt::Display for ActionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ActionError::NotInAction { tool } => {
                write!(f, "{tool}: this hook is not running an action")
            }
            ActionError::BadResultKey { key, problem } => {
                write!(f, "action-set: bad result key `{key}`: {problem}")
            }
            ActionError::Params {
                action,
                param,
                message,
            } if param.is_empty() => {
                write!(
                    f,
                    "the parameters of action `{action}` do not fit: {message}"
                )
            }
            ActionError::Params {
                action,
                param,
                message,
            } => write!(
                f,
                "parameter `{param}` of action `{action}` does not fit: {message}"
            ),
            ActionError::Tool(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ActionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ActionError::Tool(e) => Some(e),
            _ => None,
        }
    }
}

impl From<crate::tools::ToolError> for ActionError {
    fn from(e: crate::tools::ToolError) -> Self {
        ActionError::Tool(e)
    }
}

/// `value` as `action-set` pairs: nested objects become dotted keys
/// (`{"a": {"b": 1}}` → `a.b=1`), strings are taken as they are, `null`
/// is skipped and any other value is written as JSON.
pub fn flatten_results(value: &Value) -> BTreeMap<String, String> {
    fn walk(prefix: &str, value: &Value, out: &mut BTreeMap<String, String>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, v, out);
                }
            }
            Value::Null => {}
            Value::String(s) => {
                out.insert(prefix.to_string(), s.clone());
            }
            other => {
                out.insert(prefix.to_string(), other.to_string());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk("", value, &mut out);
    out
}

/// Dotted `action-set` pairs as the nested results Juju reports
/// (`a.b=1` → `{"a": {"b": "1"}}`); a later key overwrites an earlier one
/// on the same path, as in Juju.
pub fn nest_results<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Value {
    let mut root = Map::new();
    for (key, value) in pairs {
        let segments: Vec<&str> = key.split('.').collect();
        let (last, parents) = segments.split_last().expect("split yields one segment");
        let mut node = &mut root;
        for segment in parents {
            let entry = node
                .entry(segment.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            node = entry.as_object_mut().expect("made an object above");
        }
        node.insert(last.to_string(), Value::String(value.to_string()));
    }
    Value::Object(root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const YAML: &str = "\
list-jobs:
  description: List the jobs.
  params:
    format:
      type: string
      enum: [json, text]
      default: json
backup:
  params:
    target: {type: object, properties: {path: {type: string}}, required: [path]}
    keep: {type: integer}
  required: [target]
  additionalProperties: false
";

    #[test]
    fn parses_names_params_and_rules() {
        let spec = ActionsSpec::parse(YAML, "actions.yaml").unwrap();
        assert_eq!(spec.names(), ["backup", "list-jobs"]);
        let backup = spec.get("backup").unwrap();
        assert_eq!(backup.required, ["target"]);
        assert!(!backup.additional_properties);
        assert!(spec.get("list-jobs").unwrap().additional_properties);
    }

    #[test]
    fn bad_files_name_the_key() {
        let cases = [
            ("- a\n", None, "must be a mapping of action names"),
            (
                "Back_up: {}\n",
                Some("Back_up"),
                "is not a valid action name",
            ),
            ("a: 3\n", Some("a"), "must be a mapping"),
            (
                "a: {params: [x]}\n",
                Some("a.params"),
                "must be a mapping of parameter",
            ),
            (
                "a: {params: {x: 3}}\n",
                Some("a.params.x"),
                "must be a mapping (a JSON schema)",
            ),
            ("a: {required: x}\n", Some("a.required"), "must be a list"),
            (
                "a: {additionalProperties: 1}\n",
                Some("a.additionalProperties"),
                "true or false",
            ),
        ];
        for (text, key, message) in cases {
            let e = ActionsSpec::parse(text, "actions.yaml").unwrap_err();
            assert_eq!(e.key.as_deref(), key, "{text}: {e}");
            assert!(e.message.contains(message), "{text}: {e}");
            assert!(e.to_string().starts_with("actions.yaml"), "{e}");
        }
    }

    #[test]
    fn results_flatten_and_nest_back() {
        let value =
            json!({"jobs": {"node": {"targets": "a:1", "ok": true}}, "count": 2, "none": null});
        let flat = flatten_results(&value);
        assert_eq!(
            flat.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>(),
            ["count=2", "jobs.node.ok=true", "jobs.node.targets=a:1"]
        );
        let nested = nest_results(flat.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        assert_eq!(
            nested,
            json!({"count": "2", "jobs": {"node": {"ok": "true", "targets": "a:1"}}})
        );
        assert_eq!(
            nest_results([("a", "1"), ("a.b", "2")]),
            json!({"a": {"b": "2"}})
        );
    }

    #[test]
    fn result_keys_follow_juju() {
        for good in ["a", "outfile.size", "a-b.c2", "0"] {
            assert!(check_result_key(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "A",
            "a.",
            ".a",
            "a..b",
            "a_b",
            "-a",
            "a-",
            "a.stderr",
            "stdout-encoding",
        ] {
            assert!(check_result_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn params_are_checked_and_defaults_filled() {
        let spec = ActionsSpec::parse(YAML, "actions.yaml").unwrap();
        let list = spec.get("list-jobs").unwrap();
        assert_eq!(
            list.check_params(&Value::Null).unwrap(),
            json!({"format": "json"})
        );
        assert_eq!(
            list.check_params(&json!({"format": "text"})).unwrap(),
            json!({"format": "text"})
        );
        let e = list.check_params(&json!({"format": 3})).unwrap_err();
        assert_eq!(
            e.to_string(),
            "parameter `format` must be of type string, not an integer"
        );
        let e = list.check_params(&json!({"format": "xml"})).unwrap_err();
        assert_eq!(e.param, "format");
        assert!(e.message.contains("\"json\", \"text\""), "{e}");
        let backup = spec.get("backup").unwrap();
        assert_eq!(backup.check_params(&json!({})).unwrap_err().param, "target");
        assert_eq!(
            backup
                .check_params(&json!({"target": {}}))
                .unwrap_err()
                .to_string(),
            "parameter `target.path` is required"
        );
        let e = backup
            .check_params(&json!({"target": {"path": "/x"}, "kep": 1}))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "parameter `kep` is not declared; did you mean `keep`?"
        );
        assert!(backup
            .check_params(&json!({"target": {"path": "/x"}, "keep": 2}))
            .is_ok());
        assert!(backup.check_params(&json!([1])).is_err());
    }
}
