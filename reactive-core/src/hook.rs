//! The hook being run: its name and the relation it concerns.

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
    /// `JUJU_ACTION_NAME`.
    pub action_name: Option<String>,
    /// `JUJU_CHARM_DIR` (or `CHARM_DIR`): relative paths the framework
    /// reads, such as `#[when_file_changed]` files, are resolved against it.
    pub charm_dir: Option<std::path::PathBuf>,
}

impl HookInfo {
    /// A hook with only a name.
    pub fn named(name: impl Into<String>) -> Self {
        HookInfo {
            name: name.into(),
            ..HookInfo::default()
        }
    }

    /// True for the hooks that run in restricted mode
    /// (`collect-metrics`, `meter-status-changed`).
    pub fn is_restricted(&self) -> bool {
        matches!(self.name.as_str(), "collect-metrics" | "meter-status-changed")
    }
}
