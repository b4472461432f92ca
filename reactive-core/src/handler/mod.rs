//! Handlers: what the attribute macros register, how the registry holds
//! them, and how they are called.

pub mod action;
pub mod descriptor;
pub mod entry;
pub mod invoke;

pub use descriptor::{Condition, EndpointRef, HandlerDescriptor, RestrictedHook};
pub use entry::{ConditionKind, HandlerEntry, HandlerKind, Phase, ResolvedCondition};
pub use invoke::{Handler, HandlerError, HandlerFn, HandlerResult, HandlerReturn};

inventory::collect!(HandlerDescriptor);
