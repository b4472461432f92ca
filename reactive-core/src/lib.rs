//! # reactive-core
//!
//! Write Juju charms in the reactive style. Handlers are plain functions
//! annotated with attribute macros; the flag engine runs every handler whose
//! conditions hold, again and again, until the flags stop changing.
//!
//! ```
//! use reactive_core::prelude::*;
//!
//! #[when("config.changed")]
//! #[when_not("app.installed")]
//! fn install(ctx: &mut Context) {
//!     ctx.log(LogLevel::Info, "installing");
//!     ctx.set_flag("app.installed");
//! }
//!
//! #[when("app.installed")]
//! fn ready(ctx: &mut Context) -> Result<(), std::io::Error> {
//!     ctx.set_flag("app.ready");
//!     Ok(())
//! }
//! # fn main() {
//! # let registry = std::sync::Arc::new(Registry::builder().module_prefix(module_path!()).build().unwrap());
//! # let mut ctx = Context::in_memory("config-changed");
//! # ctx.set_flag("config.changed");
//! # reactive_core::dispatch(&mut ctx, &registry).unwrap();
//! # assert!(ctx.is_flag_set("app.ready"));
//! # }
//! ```
//!
//! The semantics are those of the Python library charms.reactive 1.5.3
//! (see [`dispatch`](mod@dispatch) for the exact rules), with flag
//! expressions checked at compile time and no global mutable state: every
//! hook's state lives in a [`Context`].
#![deny(missing_docs)]

extern crate self as reactive_core;

pub mod charm_file;
pub mod config;
pub mod context;
pub mod declaration;
pub mod dispatch;
pub mod endpoint;
pub mod flags;
pub mod handler;
pub mod helpers;
pub mod hook;
pub mod log;
pub mod metadata;
pub mod names;
pub mod pyjson;
pub mod registry;
pub mod request;
pub mod runtime;
pub mod tools;
mod tracer;
pub mod triggers;
pub mod unit_state;

pub use context::Context;
pub use declaration::CharmDeclaration;
pub use dispatch::{dispatch, dispatch_into, DispatchError, DispatchReport, Phase};
pub use hook::HookInfo;
pub use log::LogLevel;
pub use reactive_grammar::hook_pattern::Role;
pub use reactive_macros::{
    collect_metrics, endpoint, hook, meter_status_changed, not_unless, only_once, when, when_all,
    when_any, when_file_changed, when_none, when_not, when_not_all, Request, Response,
};
pub use registry::Registry;
pub use runtime::run;
pub use triggers::{Trigger, TriggerError};
pub use unit_state::{StateError, UnitState};

/// Everything a charm's handler module usually needs.
pub mod prelude {
    pub use crate::endpoint::Endpoint;
    pub use crate::request::{
        Request, RequestError, RequestMut, RequestRecord, RequesterEndpoint, ResponderEndpoint,
        Response, ResponseRecord,
    };
    pub use crate::{
        collect_metrics, hook, meter_status_changed, not_unless, only_once, when, when_all,
        when_any, when_file_changed, when_none, when_not, when_not_all,
    };
    pub use crate::{endpoint, Context, LogLevel, Registry, Trigger};
}

/// What the macros' generated code names. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::endpoint::{
        call_endpoint_handler, create_instance, EndpointDescriptor, EndpointRef,
    };
    pub use crate::handler::invoke::call_handler;
    pub use crate::handler::{Condition, HandlerDescriptor, HandlerError, RestrictedHook};
    pub use crate::registry::HandlerEntry;
    pub use crate::request::{
        codec, field_to_value, requester_flags, responder_flags, FieldError, RequestAccess,
        RequestEdit, RequestError, RequesterEndpoint, ResponseRecord,
    };
    pub use crate::Context;
    pub use inventory;
    pub use serde;
    pub use serde_json;
    pub use std::option::Option::{self, None, Some};
    pub use std::result::Result::Ok;
}
