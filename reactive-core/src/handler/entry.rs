//! A registered handler: its descriptor with its conditions resolved for
//! one endpoint, and the dispatch phases it may run in.

use std::fmt;

use reactive_grammar::hook_pattern::HookPattern;

use super::{HandlerDescriptor, RestrictedHook};
use crate::flags::FlagView;
use crate::metadata::CharmMetadata;

/// A phase of dispatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// `#[hook]` handlers, run once before the main loop.
    Hooks,
    /// The main loop of flag handlers.
    Other,
    /// Restricted mode: `collect-metrics` and `meter-status-changed`.
    Restricted,
}

impl Phase {
    /// The phase's name as charms.reactive spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Phase::Hooks => "hooks",
            Phase::Other => "other",
            Phase::Restricted => "restricted",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a handler's flag condition combines its flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConditionKind {
    /// Every flag set.
    All,
    /// At least one flag set.
    Any,
    /// No flag set.
    None,
    /// At least one flag not set.
    NotAll,
}

/// A flag condition with its flags resolved (endpoint names expanded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedCondition {
    /// How the flags combine.
    pub kind: ConditionKind,
    /// The flags.
    pub flags: Vec<String>,
}

impl ResolvedCondition {
    pub(crate) fn holds(&self, flags: &FlagView<'_>) -> bool {
        match self.kind {
            ConditionKind::All => self.flags.iter().all(|f| flags.is_set(f)),
            ConditionKind::Any => self.flags.iter().any(|f| flags.is_set(f)),
            ConditionKind::None => !self.flags.iter().any(|f| flags.is_set(f)),
            ConditionKind::NotAll => !self.flags.iter().all(|f| flags.is_set(f)),
        }
    }
}

/// Which dispatch phase a handler belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandlerKind {
    /// `#[hook]`: the hooks phase.
    Hook,
    /// `#[collect_metrics]` / `#[meter_status_changed]`: restricted mode.
    Restricted(RestrictedHook),
    /// Flag conditions: the main loop.
    Flags,
    /// `#[action]`: runs only when Juju runs its action, never in a hook.
    Action(&'static str),
    /// No phase condition at all (a bare `#[only_once]` or
    /// `#[when_file_changed]`): tested in the hooks phase and in every
    /// iteration of the main loop, as charms.reactive does; never in
    /// restricted mode.
    Unconditioned,
}

/// One registered handler.
#[derive(Debug, Clone)]
pub struct HandlerEntry {
    pub(crate) id: String,
    pub(crate) descriptor: &'static HandlerDescriptor,
    pub(crate) endpoint: Option<String>,
    pub(crate) kind: HandlerKind,
    pub(crate) conditions: Vec<ResolvedCondition>,
    pub(crate) watched: Vec<String>,
    pub(crate) hooks: Vec<HookPattern>,
}

impl HandlerEntry {
    /// The handler's id: `<package>/<file>:<line>:<fn>`, with `:<endpoint>`
    /// for endpoint handlers (`my-charm/src/lib.rs:12:install`). The file
    /// is relative to the package's manifest directory, so ids are stable
    /// across builds and machines and distinct across packages.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The descriptor the macros registered.
    pub fn descriptor(&self) -> &'static HandlerDescriptor {
        self.descriptor
    }

    /// The endpoint instance an endpoint handler is bound to.
    pub fn endpoint(&self) -> Option<&str> {
        self.endpoint.as_deref()
    }

    /// Which phase it belongs to.
    pub fn kind(&self) -> HandlerKind {
        self.kind
    }

    /// Its flag conditions, endpoint names expanded.
    pub fn conditions(&self) -> &[ResolvedCondition] {
        &self.conditions
    }

    /// Every flag its conditions name, each once, in order.
    pub fn watched_flags(&self) -> &[String] {
        &self.watched
    }

    /// Its hook patterns.
    pub fn hook_patterns(&self) -> &[HookPattern] {
        &self.hooks
    }

    /// Whether it may run in `phase`.
    pub fn runs_in(&self, phase: Phase) -> bool {
        matches!(
            (self.kind, phase),
            (HandlerKind::Hook, Phase::Hooks)
                | (HandlerKind::Restricted(_), Phase::Restricted)
                | (HandlerKind::Flags, Phase::Other)
                | (HandlerKind::Unconditioned, Phase::Hooks | Phase::Other)
        )
    }

    /// Whether its flag conditions hold for `flags` (true when it has none).
    pub(crate) fn flag_conditions_hold(&self, flags: &FlagView<'_>) -> bool {
        self.conditions.iter().all(|c| c.holds(flags))
    }

    /// Whether its hook condition holds for the hook `hook_name`.
    pub(crate) fn hook_condition_holds(&self, hook_name: &str, metadata: &CharmMetadata) -> bool {
        match self.kind {
            HandlerKind::Hook => {
                let resolve = |role, interface: &str| metadata.endpoints_for(role, interface);
                self.hooks.iter().any(|p| p.matches(hook_name, &resolve))
            }
            HandlerKind::Restricted(hook) => hook.hook_name() == hook_name,
            HandlerKind::Action(_) => false,
            HandlerKind::Flags | HandlerKind::Unconditioned => true,
        }
    }
}
