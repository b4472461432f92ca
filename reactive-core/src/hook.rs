//! The hook being run: its name and the relation it concerns.
//!
//! [`HookInfo::from_env`] reads it from the variables Juju sets for a hook.

use std::fmt;
use std::path::{Path, PathBuf};

/// Environment variables that name a unit (`app/N`).
const UNIT_VARIABLES: [&str; 3] = ["JUJU_UNIT_NAME", "JUJU_REMOTE_UNIT", "JUJU_DEPARTING_UNIT"];

/// What Juju tells a charm about the hook it runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HookInfo {
    /// The hook's name, e.g. `install` or `db-relation-joined`.
    pub name: String,
    /// `JUJU_UNIT_NAME`, e.g. `app/0`.
    pub unit_name: Option<String>,
    /// `JUJU_RELATION`: the endpoint of a relation hook.
    pub relation: Option<String>,
    /// `JUJU_RELATION_ID`, e.g. `db:3`.
    pub relation_id: Option<String>,
    /// `JUJU_REMOTE_UNIT`.
    pub remote_unit: Option<String>,
    /// `JUJU_REMOTE_APP`.
    pub remote_app: Option<String>,
    /// `JUJU_DEPARTING_UNIT`.
    pub departing_unit: Option<String>,
    /// `JUJU_ACTION_NAME`: set when the process runs an action (Juju runs
    /// it through `dispatch` with `JUJU_DISPATCH_PATH=actions/<name>`).
    pub action_name: Option<String>,
    /// `JUJU_ACTION_UUID`: the id of the running action.
    pub action_uuid: Option<String>,
    /// `JUJU_CHARM_DIR` (or `CHARM_DIR`): relative paths the framework
    /// reads, such as `#[when_file_changed]` files, are resolved against it.
    pub charm_dir: Option<PathBuf>,
    /// `JUJU_STORAGE_ID`: the storage instance (`data/0`) of a
    /// `-storage-attached` or `-storage-detaching` hook.
    pub storage_id: Option<String>,
    /// `JUJU_SECRET_ID`: the secret (`secret:…`) of a `secret-*` hook.
    pub secret_id: Option<String>,
    /// `JUJU_SECRET_LABEL`: the label this unit gave that secret, if any.
    pub secret_label: Option<String>,
    /// `JUJU_SECRET_REVISION`: the revision of a `secret-remove` or
    /// `secret-expired` hook.
    pub secret_revision: Option<u64>,
}

impl HookInfo {
    /// A hook with only a name.
    pub fn named(name: impl Into<String>) -> Self {
        HookInfo {
            name: name.into(),
            ..HookInfo::default()
        }
    }

    /// What Juju tells this process about its hook, read through `env` (a
    /// variable's value, or `None` when unset; pass
    /// `&|name| std::env::var(name).ok()` for the process's environment).
    ///
    /// The hook's name is the basename of `JUJU_DISPATCH_PATH` (e.g.
    /// `hooks/install` → `install`), else `JUJU_HOOK_NAME`, else the
    /// basename of `program_name` (the hook's symlink, as Juju runs it
    /// without dispatch). The rest comes from `JUJU_UNIT_NAME`,
    /// `JUJU_RELATION`, `JUJU_RELATION_ID`, `JUJU_REMOTE_UNIT`,
    /// `JUJU_REMOTE_APP`, `JUJU_DEPARTING_UNIT`, `JUJU_ACTION_NAME` (else,
    /// for `JUJU_DISPATCH_PATH=actions/<name>`, the name),
    /// `JUJU_ACTION_UUID` and `JUJU_CHARM_DIR` (else `CHARM_DIR`). A variable set to the empty
    /// string counts as unset (Juju sets some of them empty when they do
    /// not apply).
    ///
    /// ```
    /// use reactive_core::HookInfo;
    /// let env = |name: &str| match name {
    ///     "JUJU_DISPATCH_PATH" => Some("hooks/db-relation-joined".to_string()),
    ///     "JUJU_RELATION_ID" => Some("db:3".to_string()),
    ///     "JUJU_REMOTE_UNIT" => Some("postgresql/0".to_string()),
    ///     _ => None,
    /// };
    /// let hook = HookInfo::from_env(&env, "dispatch").unwrap();
    /// assert_eq!(hook.name, "db-relation-joined");
    /// assert_eq!(hook.relation_id.as_deref(), Some("db:3"));
    /// ```
    ///
    /// # Errors
    ///
    /// A [`HookEnvError`] for a malformed value: a relation id that is not
    /// `ENDPOINT:NUMBER`, a unit name that is not `APP/NUMBER`, or no hook
    /// name to be had.
    pub fn from_env(
        env: &dyn Fn(&str) -> Option<String>,
        program_name: &str,
    ) -> Result<HookInfo, HookEnvError> {
        let var = |name: &str| env(name).filter(|value| !value.is_empty());

        let name = hook_name(&var, program_name)?;

        for variable in UNIT_VARIABLES {
            if let Some(value) = var(variable) {
                if !is_unit_name(&value) {
                    return Err(HookEnvError::BadUnitName { variable, value });
                }
            }
        }
        let relation_id = var("JUJU_RELATION_ID");
        if let Some(value) = &relation_id {
            if !is_relation_id(value) {
                return Err(HookEnvError::BadRelationId {
                    value: value.clone(),
                });
            }
        }

        Ok(HookInfo {
            name: name.clone(),
            unit_name: var("JUJU_UNIT_NAME"),
            relation: var("JUJU_RELATION"),
            relation_id,
            remote_unit: var("JUJU_REMOTE_UNIT"),
            remote_app: var("JUJU_REMOTE_APP"),
            departing_unit: var("JUJU_DEPARTING_UNIT"),
            action_name: var("JUJU_ACTION_NAME").or_else(|| {
                var("JUJU_DISPATCH_PATH")
                    .filter(|path| path.starts_with("actions/"))
                    .map(|_| name.clone())
            }),
            action_uuid: var("JUJU_ACTION_UUID"),
            charm_dir: var("JUJU_CHARM_DIR")
                .or_else(|| var("CHARM_DIR"))
                .map(PathBuf::from),
            storage_id: var("JUJU_STORAGE_ID"),
            secret_id: var("JUJU_SECRET_ID"),
            secret_label: var("JUJU_SECRET_LABEL"),
            secret_revision: match var("JUJU_SECRET_REVISION") {
                None => None,
                Some(value) => Some(
                    value
                        .parse()
                        .map_err(|_| HookEnvError::BadSecretRevision { value })?,
                ),
            },
        })
    }

    /// [`HookInfo::from_env`] on this process's environment and program
    /// name (a value that is not valid UTF-8 is read lossily).
    ///
    /// # Errors
    ///
    /// As [`HookInfo::from_env`].
    pub fn from_process_env() -> Result<HookInfo, HookEnvError> {
        let program = std::env::args_os()
            .next()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        HookInfo::from_env(&process_var, &program)
    }

    /// Whether this process runs under Juju: `JUJU_UNIT_NAME` or
    /// `JUJU_DISPATCH_PATH` is set (and not empty).
    pub fn in_hook(env: &dyn Fn(&str) -> Option<String>) -> bool {
        ["JUJU_UNIT_NAME", "JUJU_DISPATCH_PATH"]
            .into_iter()
            .any(|name| env(name).is_some_and(|value| !value.is_empty()))
    }

    /// [`HookInfo::in_hook`] on this process's environment.
    pub fn in_hook_process() -> bool {
        HookInfo::in_hook(&process_var)
    }

    /// A hook that runs an action: [`HookInfo::action_name`] is set.
    pub fn is_action(&self) -> bool {
        self.action_name.is_some()
    }

    /// True for the hooks that run in restricted mode
    /// (`collect-metrics`, `meter-status-changed`).
    pub fn is_restricted(&self) -> bool {
        matches!(
            self.name.as_str(),
            "collect-metrics" | "meter-status-changed"
        )
    }
}

fn process_var(name: &str) -> Option<String> {
    std::env::var_os(name).map(|value| value.to_string_lossy().into_owned())
}

/// The hook's name, from the first of `JUJU_DISPATCH_PATH`,
/// `JUJU_HOOK_NAME` and the program name that is set.
fn hook_name(
    var: &dyn Fn(&str) -> Option<String>,
    program_name: &str,
) -> Result<String, HookEnvError> {
    let (variable, value) = if let Some(path) = var("JUJU_DISPATCH_PATH") {
        ("JUJU_DISPATCH_PATH", path)
    } else if let Some(name) = var("JUJU_HOOK_NAME") {
        ("JUJU_HOOK_NAME", name)
    } else {
        ("the program name", program_name.to_string())
    };
    match Path::new(&value).file_name().and_then(|name| name.to_str()) {
        Some(name) if !name.trim().is_empty() => Ok(name.to_string()),
        _ => Err(HookEnvError::EmptyHookName { variable, value }),
    }
}

/// `APP/NUMBER`, e.g. `postgresql/0`.
fn is_unit_name(value: &str) -> bool {
    match value.split_once('/') {
        Some((app, number)) => {
            !app.is_empty()
                && !app.contains(char::is_whitespace)
                && !number.is_empty()
                && number.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// `ENDPOINT:NUMBER`, e.g. `db:3`.
fn is_relation_id(value: &str) -> bool {
    match value.rsplit_once(':') {
        Some((endpoint, number)) => {
            !endpoint.is_empty() && !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// A variable of the hook environment holds a malformed value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookEnvError {
    /// `JUJU_RELATION_ID` is not of the form `ENDPOINT:NUMBER`.
    BadRelationId {
        /// Its value.
        value: String,
    },
    /// A unit name (`JUJU_UNIT_NAME`, `JUJU_REMOTE_UNIT` or
    /// `JUJU_DEPARTING_UNIT`) is not of the form `APP/NUMBER`.
    BadUnitName {
        /// The variable.
        variable: &'static str,
        /// Its value.
        value: String,
    },
    /// No hook name can be had from the source it is taken from
    /// (`JUJU_DISPATCH_PATH`, `JUJU_HOOK_NAME`, or the program name).
    EmptyHookName {
        /// Where the name was taken from.
        variable: &'static str,
        /// Its value.
        value: String,
    },
    /// `JUJU_SECRET_REVISION` is not a revision number.
    BadSecretRevision {
        /// Its value.
        value: String,
    },
}

impl fmt::Display for HookEnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HookEnvError::BadRelationId { value } => write!(
                f,
                "JUJU_RELATION_ID has the bad value {value:?}: expected ENDPOINT:NUMBER, e.g. `db:3`"
            ),
            HookEnvError::BadUnitName { variable, value } => write!(
                f,
                "{variable} has the bad value {value:?}: expected APP/NUMBER, e.g. `postgresql/0`"
            ),
            HookEnvError::EmptyHookName { variable, value } => write!(
                f,
                "no hook name in {variable} (value {value:?}): expected e.g. `hooks/install`"
            ),
            HookEnvError::BadSecretRevision { value } => write!(
                f,
                "JUJU_SECRET_REVISION has the bad value {value:?}: expected a revision number, e.g. `2`"
            ),
        }
    }
}

impl std::error::Error for HookEnvError {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name: &str| map.get(name).cloned()
    }

    fn from(vars: &[(&str, &str)], program: &str) -> Result<HookInfo, HookEnvError> {
        HookInfo::from_env(&env_of(vars), program)
    }

    #[test]
    fn dispatch_path_wins() {
        let hook = from(
            &[
                ("JUJU_DISPATCH_PATH", "hooks/install"),
                ("JUJU_HOOK_NAME", "start"),
            ],
            "/var/lib/juju/charm/dispatch",
        )
        .unwrap();
        assert_eq!(hook.name, "install");
        let hook = from(&[("JUJU_DISPATCH_PATH", "actions/do-backup")], "x").unwrap();
        assert_eq!(hook.name, "do-backup");
        assert_eq!(hook.action_name.as_deref(), Some("do-backup"));
        assert!(hook.is_action());
        let hook = from(&[("JUJU_DISPATCH_PATH", "hooks/install")], "x").unwrap();
        assert!(!hook.is_action());
    }

    #[test]
    fn hook_name_then_program_name() {
        let hook = from(&[("JUJU_HOOK_NAME", "start")], "hooks/stop").unwrap();
        assert_eq!(hook.name, "start");
        let hook = from(&[], "/charm/hooks/config-changed").unwrap();
        assert_eq!(hook.name, "config-changed");
        let hook = from(&[], "./update-status").unwrap();
        assert_eq!(hook.name, "update-status");
        // Empty values count as unset.
        let hook = from(
            &[("JUJU_DISPATCH_PATH", ""), ("JUJU_HOOK_NAME", "")],
            "leader-elected",
        )
        .unwrap();
        assert_eq!(hook.name, "leader-elected");
    }

    #[test]
    fn reads_every_variable() {
        let hook = from(
            &[
                ("JUJU_DISPATCH_PATH", "hooks/db-relation-departed"),
                ("JUJU_UNIT_NAME", "app/0"),
                ("JUJU_RELATION", "db"),
                ("JUJU_RELATION_ID", "db:12"),
                ("JUJU_REMOTE_UNIT", "postgresql/3"),
                ("JUJU_REMOTE_APP", "postgresql"),
                ("JUJU_DEPARTING_UNIT", "postgresql/3"),
                ("JUJU_ACTION_NAME", "backup"),
                ("JUJU_ACTION_UUID", "42"),
                ("JUJU_CHARM_DIR", "/var/lib/juju/agents/unit-app-0/charm"),
                ("CHARM_DIR", "/elsewhere"),
            ],
            "dispatch",
        )
        .unwrap();
        assert_eq!(
            hook,
            HookInfo {
                name: "db-relation-departed".into(),
                unit_name: Some("app/0".into()),
                relation: Some("db".into()),
                relation_id: Some("db:12".into()),
                remote_unit: Some("postgresql/3".into()),
                remote_app: Some("postgresql".into()),
                departing_unit: Some("postgresql/3".into()),
                action_name: Some("backup".into()),
                action_uuid: Some("42".into()),
                charm_dir: Some(PathBuf::from("/var/lib/juju/agents/unit-app-0/charm")),
                ..HookInfo::default()
            }
        );
        let hook = from(
            &[("CHARM_DIR", "/charm"), ("JUJU_REMOTE_UNIT", "")],
            "install",
        )
        .unwrap();
        assert_eq!(hook.charm_dir, Some(PathBuf::from("/charm")));
        assert_eq!(hook.remote_unit, None);
    }

    #[test]
    fn reads_the_secret_and_storage_variables() {
        let hook = from(
            &[
                ("JUJU_DISPATCH_PATH", "hooks/secret-remove"),
                ("JUJU_SECRET_ID", "secret:cs4h9fk7ib4t4qlfssag"),
                ("JUJU_SECRET_LABEL", "db-password"),
                ("JUJU_SECRET_REVISION", "3"),
                ("JUJU_STORAGE_ID", "data/1"),
            ],
            "dispatch",
        )
        .unwrap();
        assert_eq!(
            hook.secret_id.as_deref(),
            Some("secret:cs4h9fk7ib4t4qlfssag")
        );
        assert_eq!(hook.secret_label.as_deref(), Some("db-password"));
        assert_eq!(hook.secret_revision, Some(3));
        assert_eq!(hook.storage_id.as_deref(), Some("data/1"));
        let err = from(&[("JUJU_SECRET_REVISION", "three")], "secret-remove").unwrap_err();
        assert_eq!(
            err,
            HookEnvError::BadSecretRevision {
                value: "three".into()
            }
        );
        assert!(err.to_string().contains("JUJU_SECRET_REVISION"), "{err}");
    }

    #[test]
    fn bad_relation_ids() {
        for value in ["db", "db:x", "db:", ":3", "db:3a"] {
            let err = from(&[("JUJU_RELATION_ID", value)], "install").unwrap_err();
            assert_eq!(
                err,
                HookEnvError::BadRelationId {
                    value: value.into()
                }
            );
            let text = err.to_string();
            assert!(text.contains("JUJU_RELATION_ID"), "{text}");
            assert!(text.contains(value), "{text}");
        }
    }

    #[test]
    fn bad_unit_names() {
        for variable in UNIT_VARIABLES {
            for value in ["app", "app/", "/0", "app/x", "app/0/1", "a b/0"] {
                let err = from(&[(variable, value)], "install").unwrap_err();
                assert_eq!(
                    err,
                    HookEnvError::BadUnitName {
                        variable,
                        value: value.into()
                    }
                );
                let text = err.to_string();
                assert!(text.contains(variable) && text.contains(value), "{text}");
            }
        }
    }

    #[test]
    fn empty_hook_names() {
        let err = from(&[], "").unwrap_err();
        assert!(matches!(err, HookEnvError::EmptyHookName { .. }), "{err}");
        let err = from(&[("JUJU_DISPATCH_PATH", "/")], "install").unwrap_err();
        assert_eq!(
            err,
            HookEnvError::EmptyHookName {
                variable: "JUJU_DISPATCH_PATH",
                value: "/".into()
            }
        );
        assert!(err.to_string().contains("JUJU_DISPATCH_PATH"));
        let err = from(&[("JUJU_HOOK_NAME", "  ")], "install").unwrap_err();
        assert!(matches!(
            err,
            HookEnvError::EmptyHookName {
                variable: "JUJU_HOOK_NAME",
                ..
            }
        ));
    }

    #[test]
    fn in_hook() {
        assert!(!HookInfo::in_hook(&env_of(&[])));
        assert!(!HookInfo::in_hook(&env_of(&[("JUJU_UNIT_NAME", "")])));
        assert!(HookInfo::in_hook(&env_of(&[("JUJU_UNIT_NAME", "app/0")])));
        assert!(HookInfo::in_hook(&env_of(&[(
            "JUJU_DISPATCH_PATH",
            "hooks/install"
        )])));
    }
}
