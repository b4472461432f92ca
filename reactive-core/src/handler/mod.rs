//! Handlers: what the attribute macros register and how they are called.

pub mod action;
pub mod descriptor;
pub mod invoke;

pub use descriptor::{Condition, HandlerDescriptor, RestrictedHook};
pub use invoke::{Handler, HandlerError, HandlerFn, HandlerReturn};

inventory::collect!(HandlerDescriptor);
