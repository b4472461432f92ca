//! Why the harness refused a call, or why the hook it ran failed.

use std::fmt;

use reactive_core::runtime::CharmError;

use super::HookRecord;

/// What the harness refuses because Juju would never do it, or a hook that
/// failed.
///
/// Every refusal names the thing that is wrong (the hook, endpoint,
/// relation, unit, option or action) and happens before anything runs, so
/// a refused call changes nothing.
#[derive(Debug)]
pub enum HarnessError {
    /// The charm could not be loaded (its metadata, config or registry).
    Charm(CharmError),
    /// Not a Juju hook name.
    UnknownHook {
        /// The name given.
        hook: String,
        /// The nearest valid hook name, if one is close.
        suggestion: Option<String>,
    },
    /// A relation hook fired with [`fire`](super::Harness::fire): relation
    /// hooks concern one relation, so they go through
    /// [`fire_relation`](super::Harness::fire_relation).
    RelationHookWithoutRelation {
        /// The hook.
        hook: String,
    },
    /// Not a relation event (`created`, `joined`, `changed`, `departed`,
    /// `broken`).
    UnknownRelationEvent {
        /// The event given.
        event: String,
    },
    /// The charm's `metadata.yaml` declares no such endpoint.
    UnknownEndpoint {
        /// The endpoint given.
        endpoint: String,
        /// The endpoints it declares.
        declared: Vec<String>,
    },
    /// Not a relation id of the form `<endpoint>:<number>`.
    BadRelationId {
        /// The id given.
        relation_id: String,
    },
    /// No relation with this id exists for this unit (never made, or
    /// removed).
    UnknownRelation {
        /// The id given.
        relation_id: String,
    },
    /// A relation hook about a remote unit that never joined the relation
    /// (add it with [`add_remote_unit`](super::Harness::add_remote_unit)).
    UnitNotInRelation {
        /// The relation.
        relation_id: String,
        /// The unit.
        unit: String,
    },
    /// A `-relation-joined` or `-relation-departed` hook needs the remote
    /// unit it is about.
    RemoteUnitRequired {
        /// The hook.
        hook: String,
    },
    /// Not a unit name (`<application>/<number>`), or a unit of an
    /// application that is not on the other side of the relation.
    BadUnit {
        /// The unit given.
        unit: String,
        /// What is wrong.
        problem: String,
    },
    /// `config.yaml` declares no such option.
    UnknownConfigKey {
        /// The option given.
        key: String,
        /// The nearest declared option, if one is close.
        suggestion: Option<String>,
    },
    /// A config value of the wrong type for its option.
    ConfigType {
        /// The option.
        key: String,
        /// The type `config.yaml` declares.
        expected: String,
        /// The JSON type of the value given.
        given: &'static str,
    },
    /// `leader-elected` on a unit that is not the leader: Juju runs it only
    /// on the new leader.
    NotLeader {
        /// The hook.
        hook: String,
    },
    /// The charm's `actions.yaml` declares no such action.
    UnknownAction {
        /// The action given.
        action: String,
        /// The actions it declares.
        declared: Vec<String>,
        /// The nearest declared action, if one is close.
        suggestion: Option<String>,
    },
    /// Action parameters that do not fit the action's schema in
    /// `actions.yaml` (Juju refuses to queue such an action).
    ActionParams {
        /// The action.
        action: String,
        /// The parameter at fault (dotted for nested ones), empty when the
        /// parameters as a whole do not fit.
        param: String,
        /// What is wrong.
        problem: String,
    },
    /// The hook ran and failed; its record says how.
    HookFailed(Box<HookRecord>),
    /// A storage, storage instance, secret or application the model does
    /// not hold.
    Unknown {
        /// What kind of thing (`storage`, `secret`, …).
        what: &'static str,
        /// Its name.
        name: String,
    },
}

impl HarnessError {
    /// The record of the failed hook, for a [`HarnessError::HookFailed`].
    pub fn record(&self) -> Option<&HookRecord> {
        match self {
            HarnessError::HookFailed(record) => Some(record),
            _ => None,
        }
    }
}

fn did_you_mean(suggestion: &Option<String>) -> String {
    suggestion
        .as_ref()
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default()
}

impl fmt::Display for HarnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HarnessError::Charm(e) => write!(f, "cannot load the charm: {e}"),
            HarnessError::Unknown { what, name } => write!(f, "unknown {what} `{name}`"),
            HarnessError::UnknownHook { hook, suggestion } => {
                write!(f, "`{hook}` is not a Juju hook{}", did_you_mean(suggestion))
            }
            HarnessError::RelationHookWithoutRelation { hook } => write!(
                f,
                "`{hook}` is a relation hook: fire it with `fire_relation(event, relation_id, \
                 remote_unit)`, which gives it the relation it is about"
            ),
            HarnessError::UnknownRelationEvent { event } => write!(
                f,
                "`{event}` is not a relation event (created, joined, changed, departed, broken)"
            ),
            HarnessError::UnknownEndpoint { endpoint, declared } => write!(
                f,
                "metadata.yaml declares no endpoint `{endpoint}` (it declares: {})",
                if declared.is_empty() {
                    "none".to_string()
                } else {
                    declared.join(", ")
                }
            ),
            HarnessError::BadRelationId { relation_id } => write!(
                f,
                "`{relation_id}` is not a relation id (`<endpoint>:<number>`)"
            ),
            HarnessError::UnknownRelation { relation_id } => write!(
                f,
                "this unit is in no relation `{relation_id}` (never added, or removed)"
            ),
            HarnessError::UnitNotInRelation { relation_id, unit } => write!(
                f,
                "unit `{unit}` never joined relation `{relation_id}`; add it with \
                 `add_remote_unit` first"
            ),
            HarnessError::RemoteUnitRequired { hook } => {
                write!(f, "`{hook}` needs the remote unit it is about")
            }
            HarnessError::BadUnit { unit, problem } => write!(f, "unit `{unit}`: {problem}"),
            HarnessError::UnknownConfigKey { key, suggestion } => write!(
                f,
                "config.yaml declares no option `{key}`{}",
                did_you_mean(suggestion)
            ),
            HarnessError::ConfigType {
                key,
                expected,
                given,
            } => write!(
                f,
                "config option `{key}` is of type {expected} in config.yaml, not {given}"
            ),
            HarnessError::NotLeader { hook } => write!(
                f,
                "`{hook}` runs only on the leader; make the unit leader with `set_leader(true)` \
                 first"
            ),
            HarnessError::UnknownAction {
                action,
                declared,
                suggestion,
            } => write!(
                f,
                "actions.yaml declares no action `{action}` (it declares: {}){}",
                if declared.is_empty() {
                    "none".to_string()
                } else {
                    declared.join(", ")
                },
                did_you_mean(suggestion)
            ),
            HarnessError::ActionParams {
                action,
                param,
                problem,
            } if param.is_empty() => write!(f, "action `{action}`: {problem}"),
            HarnessError::ActionParams {
                action,
                param,
                problem,
            } => write!(f, "action `{action}`: parameter `{param}` {problem}"),
            HarnessError::HookFailed(record) => {
                let message = record.result.as_ref().err().cloned().unwrap_or_default();
                write!(f, "hook `{}` failed: {message}", record.hook)
            }
        }
    }
}

impl std::error::Error for HarnessError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HarnessError::Charm(e) => Some(e),
            _ => None,
        }
    }
}

impl From<CharmError> for HarnessError {
    fn from(e: CharmError) -> Self {
        HarnessError::Charm(e)
    }
}
