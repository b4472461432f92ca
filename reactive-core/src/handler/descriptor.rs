//! The static description of a handler that the attribute macros register.

use super::invoke::HandlerFn;

/// One flag condition of a handler, as written in its attributes.
///
/// Several conditions on one handler must all hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// `#[when]` / `#[when_all]`: every flag is set.
    All(&'static [&'static str]),
    /// `#[when_any]`: at least one flag is set.
    Any(&'static [&'static str]),
    /// `#[when_not]` / `#[when_none]`: no flag is set.
    None(&'static [&'static str]),
    /// `#[when_not_all]`: at least one flag is not set.
    NotAll(&'static [&'static str]),
}

impl Condition {
    /// The flags this condition names.
    pub const fn flags(&self) -> &'static [&'static str] {
        match self {
            Condition::All(f) | Condition::Any(f) | Condition::None(f) | Condition::NotAll(f) => f,
        }
    }
}

/// The hooks that run handlers in restricted mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RestrictedHook {
    /// `#[collect_metrics]`: the `collect-metrics` hook.
    CollectMetrics,
    /// `#[meter_status_changed]`: the `meter-status-changed` hook.
    MeterStatusChanged,
}

impl RestrictedHook {
    /// The Juju hook name.
    pub const fn hook_name(self) -> &'static str {
        match self {
            RestrictedHook::CollectMetrics => "collect-metrics",
            RestrictedHook::MeterStatusChanged => "meter-status-changed",
        }
    }
}

/// A handler as the macros describe it: everything is `'static` and const,
/// so that it can be submitted to `inventory`.
///
/// Charm authors never build one by hand; the attribute macros do.
#[derive(Debug, Clone, Copy)]
pub struct HandlerDescriptor {
    /// `module_path!()` of the handler's definition.
    pub module_path: &'static str,
    /// The defining crate's name (`CARGO_PKG_NAME`).
    pub crate_name: &'static str,
    /// The source file, relative to the crate's manifest directory.
    pub file: &'static str,
    /// The line of the function's `fn` keyword.
    pub line: u32,
    /// The function's name.
    pub function: &'static str,
    /// Flag conditions, all of which must hold (`when*` attributes).
    pub conditions: &'static [Condition],
    /// `#[hook]` patterns; non-empty makes this a hooks-phase handler.
    pub hooks: &'static [&'static str],
    /// `#[when_file_changed]` paths.
    pub files_changed: &'static [&'static str],
    /// `#[only_once]`.
    pub only_once: bool,
    /// `#[collect_metrics]` / `#[meter_status_changed]`.
    pub restricted: Option<RestrictedHook>,
    /// `#[action("name")]`: the action of `actions.yaml` it runs; such a
    /// handler runs only when Juju runs that action, and in no hook.
    pub action: Option<&'static str>,
    /// For a handler in an `#[endpoint]` impl block: the endpoint type it
    /// belongs to (it is registered once per endpoint instance).
    pub endpoint: Option<&'static EndpointRef>,
    /// The function to call.
    pub invoke: HandlerFn,
}

/// The role and interface an endpoint type (and its handlers) serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointRef {
    /// The interface name.
    pub interface: &'static str,
    /// `provides`, `requires` or `peers`.
    pub role: &'static str,
    /// The type's name, for messages.
    pub type_name: &'static str,
}
