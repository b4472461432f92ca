//! Validate `#[action("name")]` against the charm's actions: the name must
//! be one `actions.yaml` declares (or the `actions:` section of
//! `charmcraft.yaml`).
//!
//! The file is `actions.yaml`, else `charmcraft.yaml` when it has an
//! `actions` key, beside the charm crate's `Cargo.toml`; for a crate that
//! has neither, the one named by [`PATH_VAR`] (for tests, as
//! `REACTIVE_METADATA_PATH` is for metadata; only for the crate cargo was
//! asked to build). A crate with a `metadata.yaml` but no actions file
//! declares no actions; a crate with no charm file at all has no action
//! rules. The generated code names the file with `include_bytes!` and the
//! variable with `option_env!`, so editing either recompiles the charm.

use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;
use reactive_grammar::suggest::closest;
use serde_norway::Value as Yaml;

/// The environment variable naming the actions file to check against.
pub(crate) const PATH_VAR: &str = "REACTIVE_ACTIONS_PATH";

/// Whether `name` is a valid action name: lowercase letters, digits and
/// `-`, starting and ending with a letter or digit.
pub(crate) fn is_action_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            alnum(first) && alnum(last) && bytes.iter().all(|b| alnum(b) || *b == b'-')
        }
        _ => false,
    }
}

/// The action names `text` declares: the top-level keys of an
/// `actions.yaml` (`section` `None`), or of the mapping under `section`
/// (`Some("actions")` in `charmcraft.yaml`; `Ok(None)` when it has none).
pub(crate) fn parse_action_names(
    text: &str,
    section: Option<&str>,
) -> Result<Option<Vec<String>>, String> {
    let doc: Yaml = serde_norway::from_str(text).map_err(|e| format!("is not valid YAML: {e}"))?;
    let mapping = match (section, doc) {
        (None, Yaml::Null) => return Ok(Some(Vec::new())),
        (None, Yaml::Mapping(top)) => top,
        (None, _) => return Err("must be a mapping of action names".into()),
        (Some(key), Yaml::Mapping(top)) => match top.get(key) {
            None => return Ok(None),
            Some(Yaml::Null) => return Ok(Some(Vec::new())),
            Some(Yaml::Mapping(m)) => m.clone(),
            Some(_) => return Err(format!("`{key}` must be a mapping of action names")),
        },
        (Some(_), _) => return Ok(None),
    };
    let mut names = Vec::new();
    for key in mapping.keys() {
        match key {
            Yaml::String(name) => names.push(name.clone()),
            _ => return Err("has an action name that is not a string".into()),
        }
    }
    Ok(Some(names))
}

/// The actions of the charm being compiled, as one macro invocation sees
/// them.
pub(crate) struct Actions {
    tracked: Option<PathBuf>,
    state: State,
}

enum State {
    /// No charm file at all: no action rules.
    Absent,
    /// The declared names, and the file that declares them (for messages).
    Names { file: String, names: Vec<String> },
    /// The file found cannot be used.
    Problem(String),
}

impl Actions {
    /// Find and read the charm's actions.
    pub(crate) fn load() -> Actions {
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
        let override_path = std::env::var_os("CARGO_PRIMARY_PACKAGE")
            .and_then(|_| std::env::var_os(PATH_VAR))
            .filter(|p| !p.is_empty())
            .map(PathBuf::from);
        Actions::load_from(manifest_dir.as_deref(), override_path)
    }

    fn load_from(manifest_dir: Option<&Path>, override_path: Option<PathBuf>) -> Actions {
        let read = |path: &Path, section: Option<&str>| -> Option<Actions> {
            let shown = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = match std::fs::read_to_string(path) {
                Ok(text) => text,
                Err(e) => {
                    return Some(Actions {
                        tracked: None,
                        state: State::Problem(format!(
                            "cannot check action names: cannot read `{}`: {e}",
                            path.display()
                        )),
                    })
                }
            };
            let tracked = Some(path.to_path_buf());
            match parse_action_names(&text, section) {
                Ok(Some(names)) => Some(Actions {
                    tracked,
                    state: State::Names { file: shown, names },
                }),
                Ok(None) => None,
                Err(problem) => Some(Actions {
                    tracked,
                    state: State::Problem(format!(
                        "cannot check action names: `{shown}` {problem}"
                    )),
                }),
            }
        };
        if let Some(dir) = manifest_dir {
            let actions = dir.join("actions.yaml");
            if actions.is_file() {
                if let Some(found) = read(&actions, None) {
                    return found;
                }
            }
            let charmcraft = dir.join("charmcraft.yaml");
            if charmcraft.is_file() {
                if let Some(found) = read(&charmcraft, Some("actions")) {
                    return found;
                }
            }
        }
        if let Some(path) = override_path {
            let path = match manifest_dir {
                Some(dir) if path.is_relative() => dir.join(path),
                _ => path,
            };
            if let Some(found) = read(&path, None) {
                return found;
            }
        }
        let is_charm = manifest_dir.is_some_and(|dir| {
            ["metadata.yaml", "charmcraft.yaml"]
                .iter()
                .any(|name| dir.join(name).is_file())
        });
        Actions {
            tracked: None,
            state: if is_charm {
                State::Names {
                    file: "actions.yaml".into(),
                    names: Vec::new(),
                }
            } else {
                State::Absent
            },
        }
    }

    /// The problem with the action name `name`, if any.
    pub(crate) fn check(&self, name: &str) -> Option<String> {
        if !is_action_name(name) {
            return Some(format!(
                "`{name}` is not a valid action name: lowercase letters, digits and `-`, \
                 starting and ending with a letter or digit"
            ));
        }
        match &self.state {
            State::Absent => None,
            State::Problem(problem) => Some(problem.clone()),
            State::Names { file, names } => {
                if names.iter().any(|n| n == name) {
                    return None;
                }
                let declared = if names.is_empty() {
                    format!("the charm declares no actions (no `{file}` beside its metadata)")
                } else {
                    let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
                    format!("{file} declares {}", list.join(", "))
                };
                let hint = closest(name, names.iter().map(String::as_str))
                    .map(|near| format!("; did you mean `{near}`?"))
                    .unwrap_or_default();
                Some(format!("unknown action `{name}`: {declared}{hint}"))
            }
        }
    }

    /// Items that recompile the crate when the actions file or [`PATH_VAR`]
    /// changes.
    pub(crate) fn tracking(&self) -> TokenStream {
        crate::tracking::recompile_on_change(self.tracked.as_deref(), PATH_VAR)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(test: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "reactive-macros-actions-{test}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn names_from_actions_yaml_or_charmcraft() {
        assert_eq!(
            parse_action_names("backup: {}\nlist-jobs:\n  params: {}\n", None).unwrap(),
            Some(vec!["backup".to_string(), "list-jobs".to_string()])
        );
        assert_eq!(
            parse_action_names("name: x\nactions:\n  backup: {}\n", Some("actions")).unwrap(),
            Some(vec!["backup".to_string()])
        );
        assert_eq!(
            parse_action_names("name: x\n", Some("actions")).unwrap(),
            None
        );
        assert!(parse_action_names("- a\n", None).is_err());
        assert!(parse_action_names("a: [\n", None).is_err());
    }

    #[test]
    fn unknown_names_suggest_the_closest() {
        let dir = temp_dir("suggest");
        std::fs::write(dir.join("metadata.yaml"), "name: x\n").unwrap();
        let none = Actions::load_from(Some(&dir), None);
        assert_eq!(
            none.check("backup").unwrap(),
            "unknown action `backup`: the charm declares no actions (no `actions.yaml` beside \
             its metadata)"
        );
        std::fs::write(dir.join("actions.yaml"), "backup: {}\nlist-jobs: {}\n").unwrap();
        let actions = Actions::load_from(Some(&dir), None);
        assert_eq!(actions.check("backup"), None);
        assert_eq!(
            actions.check("bakup").unwrap(),
            "unknown action `bakup`: actions.yaml declares `backup`, `list-jobs`; did you mean \
             `backup`?"
        );
        assert!(actions
            .check("Backup")
            .unwrap()
            .contains("not a valid action name"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn no_charm_file_means_no_rules() {
        let dir = temp_dir("absent");
        assert_eq!(Actions::load_from(Some(&dir), None).check("anything"), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
