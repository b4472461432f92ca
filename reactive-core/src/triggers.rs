//! Triggers: flag changes that cause other flag changes at once.
//!
//! A trigger fires synchronously when its flag is set (or cleared) by a
//! change, before the call that changed it returns, and may cascade. Triggers
//! live for one hook invocation: endpoints register theirs at startup and
//! they are dropped when the context ends.

use std::any::TypeId;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::Context;

/// A callback a trigger runs, given the hook's context.
pub type TriggerCallback = Arc<dyn Fn(&mut Context) + Send + Sync>;

/// What a trigger waits for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TriggerOn {
    /// The flag becomes set.
    Set(String),
    /// The flag becomes cleared.
    Cleared(String),
}

/// A trigger being described; register it with
/// [`Context::register_trigger`].
///
/// ```
/// use reactive_core::{Context, Trigger};
/// let mut ctx = Context::in_memory("install");
/// ctx.register_trigger(Trigger::when("db.ready").set_flag("app.configure")).unwrap();
/// ctx.set_flag("db.ready");
/// assert!(ctx.is_flag_set("app.configure"));
/// ```
#[derive(Clone)]
pub struct Trigger {
    on: TriggerOn,
    set_flag: Option<String>,
    clear_flag: Option<String>,
    callback: Option<TriggerCallback>,
    /// What makes two callbacks the same one (see [`Trigger::callback`]).
    callback_identity: Option<TypeId>,
}

/// The identity of a callback of type `F` when it has one: a function item
/// or a closure that captures nothing is zero-sized, and two values of such
/// a type run the same code on the same (no) state, so they are the same
/// callback. A capturing closure has none.
fn callback_identity<F: 'static>(_: &F) -> Option<TypeId> {
    (std::mem::size_of::<F>() == 0).then(TypeId::of::<F>)
}

impl Trigger {
    /// A trigger that fires when `flag` becomes set.
    pub fn when(flag: impl Into<String>) -> Self {
        Self::on(TriggerOn::Set(flag.into()))
    }

    /// A trigger that fires when `flag` becomes cleared.
    pub fn when_not(flag: impl Into<String>) -> Self {
        Self::on(TriggerOn::Cleared(flag.into()))
    }

    fn on(on: TriggerOn) -> Self {
        Trigger {
            on,
            set_flag: None,
            clear_flag: None,
            callback: None,
            callback_identity: None,
        }
    }

    /// When it fires, set `flag`.
    pub fn set_flag(mut self, flag: impl Into<String>) -> Self {
        self.set_flag = Some(flag.into());
        self
    }

    /// When it fires, clear `flag`.
    pub fn clear_flag(mut self, flag: impl Into<String>) -> Self {
        self.clear_flag = Some(flag.into());
        self
    }

    /// When it fires, call `callback` with the context.
    ///
    /// As in charms.reactive, a flag's trigger runs each callback once
    /// however many times it is registered in a hook (say, by a handler that
    /// runs twice): a callback is the same as one already registered when it
    /// comes from a clone of the same `Trigger`, or is the same function
    /// (a function item, or a closure that captures nothing). Two capturing
    /// closures are always different callbacks.
    pub fn callback(mut self, callback: impl Fn(&mut Context) + Send + Sync + 'static) -> Self {
        self.callback_identity = callback_identity(&callback);
        self.callback = Some(Arc::new(callback));
        self
    }

    /// What the trigger waits for.
    pub fn trigger_on(&self) -> &TriggerOn {
        &self.on
    }
}

impl fmt::Debug for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trigger")
            .field("on", &self.on)
            .field("set_flag", &self.set_flag)
            .field("clear_flag", &self.clear_flag)
            .field("callback", &self.callback.as_ref().map(|_| "<fn>"))
            .finish()
    }
}

/// A trigger that cannot be registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TriggerError {
    /// The trigger neither sets nor clears a flag nor calls back.
    NoAction(TriggerOn),
    /// A flag the trigger names is the empty string (charms.reactive
    /// refuses it too: an empty name counts as not given).
    EmptyFlag {
        /// Which flag is empty: `when`, `when_not`, `set_flag` or
        /// `clear_flag`.
        role: &'static str,
    },
}

impl fmt::Display for TriggerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TriggerError::NoAction(TriggerOn::Set(flag)) => write!(
                f,
                "trigger on flag `{flag}` being set has no action: give it set_flag, clear_flag or callback"
            ),
            TriggerError::NoAction(TriggerOn::Cleared(flag)) => write!(
                f,
                "trigger on flag `{flag}` being cleared has no action: give it set_flag, clear_flag or callback"
            ),
            TriggerError::EmptyFlag { role } => write!(
                f,
                "trigger's `{role}` flag is empty: a trigger needs a flag name there"
            ),
        }
    }
}

impl std::error::Error for TriggerError {}

/// The actions accumulated for one flag event, as charms.reactive keeps
/// them: each flag and callback at most once, in registration order.
#[derive(Clone, Default)]
pub(crate) struct TriggerActions {
    pub(crate) set_flags: Vec<String>,
    pub(crate) clear_flags: Vec<String>,
    pub(crate) callbacks: Vec<TriggerCallback>,
    /// The identity of each of `callbacks`, when it has one.
    callback_identities: Vec<Option<TypeId>>,
}

/// The triggers of one hook invocation.
#[derive(Clone, Default)]
pub(crate) struct Triggers {
    on_set: HashMap<String, TriggerActions>,
    on_clear: HashMap<String, TriggerActions>,
}

impl Triggers {
    pub(crate) fn register(&mut self, trigger: Trigger) -> Result<(), TriggerError> {
        let empty = match &trigger.on {
            TriggerOn::Set(flag) if flag.is_empty() => Some("when"),
            TriggerOn::Cleared(flag) if flag.is_empty() => Some("when_not"),
            _ if trigger.set_flag.as_deref() == Some("") => Some("set_flag"),
            _ if trigger.clear_flag.as_deref() == Some("") => Some("clear_flag"),
            _ => None,
        };
        if let Some(role) = empty {
            return Err(TriggerError::EmptyFlag { role });
        }
        if trigger.set_flag.is_none() && trigger.clear_flag.is_none() && trigger.callback.is_none()
        {
            return Err(TriggerError::NoAction(trigger.on));
        }
        let actions = match trigger.on {
            TriggerOn::Set(flag) => self.on_set.entry(flag).or_default(),
            TriggerOn::Cleared(flag) => self.on_clear.entry(flag).or_default(),
        };
        if let Some(flag) = trigger.set_flag {
            if !actions.set_flags.contains(&flag) {
                actions.set_flags.push(flag);
            }
        }
        if let Some(flag) = trigger.clear_flag {
            if !actions.clear_flags.contains(&flag) {
                actions.clear_flags.push(flag);
            }
        }
        if let Some(callback) = trigger.callback {
            let identity = trigger.callback_identity;
            let known = actions
                .callbacks
                .iter()
                .zip(&actions.callback_identities)
                .any(|(c, id)| {
                    Arc::ptr_eq(c, &callback) || (identity.is_some() && *id == identity)
                });
            if !known {
                actions.callbacks.push(callback);
                actions.callback_identities.push(identity);
            }
        }
        Ok(())
    }

    /// The actions for `flag` becoming set (`set == true`) or cleared,
    /// cloned so that running them may register more triggers.
    pub(crate) fn actions(&self, flag: &str, set: bool) -> Option<TriggerActions> {
        let map = if set { &self.on_set } else { &self.on_clear };
        if map.is_empty() {
            return None;
        }
        map.get(flag).cloned()
    }

    pub(crate) fn clear(&mut self) {
        self.on_set.clear();
        self.on_clear.clear();
    }

    pub(crate) fn len(&self) -> usize {
        self.on_set.len() + self.on_clear.len()
    }
}
