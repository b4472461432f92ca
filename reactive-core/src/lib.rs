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

pub mod actions;
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
/// Run a handler when every listed flag is set (same as [`when_all`]).
///
/// ```
/// use reactive_core::prelude::*;
///
/// // Both flags set.
/// #[when("db.ready", "config.changed")]
/// fn configure(ctx: &mut Context) {
///     ctx.set_flag("app.configured");
/// }
///
/// // Stacked attributes must all hold. A handler may return a `Result`
/// // whose error is any `std::error::Error + Send + Sync + 'static`.
/// #[when("app.configured")]
/// #[when_not("app.started")]
/// fn start(ctx: &mut Context) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
///     ctx.set_flag("app.started");
///     Ok(())
/// }
///
/// // The other signatures without an endpoint: no parameter, or the
/// // context read-only.
/// #[when("app.started")]
/// fn started() {}
///
/// #[when("app.started")]
/// fn report(ctx: &Context) -> Result<(), std::io::Error> {
///     ctx.log(LogLevel::Info, "started");
///     Ok(())
/// }
/// # fn main() {
/// # let registry = std::sync::Arc::new(
/// #     Registry::builder().module_prefix(module_path!()).build().unwrap());
/// # let mut ctx = Context::in_memory("config-changed");
/// # ctx.set_flag("db.ready");
/// # ctx.set_flag("config.changed");
/// # let report = reactive_core::dispatch(&mut ctx, &registry).unwrap();
/// # assert!(ctx.is_flag_set("app.started"));
/// # assert_eq!(report.invoked.len(), 4, "{:?}", report.invoked);
/// # }
/// ```
///
/// A handler can also take an endpoint of the charm as a parameter:
/// `fn(&mut Context, &mut E)`, `fn(&mut Context, &E)`, `fn(&mut E)` or
/// `fn(&E)`, where `E` is an endpoint type. It is given the charm's one
/// endpoint of type `E`; when several endpoints are of that type, the one
/// the handler's flags name (`endpoint.<name>.…` or `<name>.…`), else the
/// one whose relation the hook is about; else the hook fails with
/// [`EndpointParamError::Ambiguous`](endpoint::EndpointParamError::Ambiguous).
/// See [`endpoint`](macro@endpoint) for examples. Every other signature
/// is a compile error that lists these.
pub use reactive_macros::when;

/// Run a handler when every listed flag is set (same as [`when`]).
///
/// ```
/// use reactive_core::prelude::*;
///
/// #[when_all("db.ready", "cache.ready")]
/// fn both_ready(ctx: &mut Context) {
///     ctx.set_flag("app.backends-ready");
/// }
/// # fn main() {
/// # let registry = std::sync::Arc::new(
/// #     Registry::builder().module_prefix(module_path!()).build().unwrap());
/// # let mut ctx = Context::in_memory("update-status");
/// # ctx.set_flag("db.ready");
/// # reactive_core::dispatch(&mut ctx, &registry).unwrap();
/// # assert!(!ctx.is_flag_set("app.backends-ready"));
/// # ctx.set_flag("cache.ready");
/// # reactive_core::dispatch(&mut ctx, &registry).unwrap();
/// # assert!(ctx.is_flag_set("app.backends-ready"));
/// # }
/// ```
pub use reactive_macros::when_all;

/// Run a handler when at least one listed flag is set.
///
/// ```
/// use reactive_core::prelude::*;
///
/// #[when_any("config.changed", "endpoint.db.changed")]
/// fn reconfigure(ctx: &mut Context) {
///     ctx.clear_flag("endpoint.db.changed");
///     ctx.set_flag("app.stale");
/// }
/// # fn main() {
/// # let registry = std::sync::Arc::new(
/// #     Registry::builder().module_prefix(module_path!()).build().unwrap());
/// # let mut ctx = Context::in_memory("db-relation-changed");
/// # ctx.set_flag("endpoint.db.changed");
/// # reactive_core::dispatch(&mut ctx, &registry).unwrap();
/// # assert!(ctx.is_flag_set("app.stale"));
/// # }
/// ```
pub use reactive_macros::when_any;

/// Run a handler when none of the listed flags is set (same as
/// [`when_none`]).
///
/// ```
/// use reactive_core::prelude::*;
///
/// #[when_not("app.installed")]
/// fn install(ctx: &mut Context) {
///     ctx.set_flag("app.installed");
/// }
/// # fn main() {
/// # let registry = std::sync::Arc::new(
/// #     Registry::builder().module_prefix(module_path!()).build().unwrap());
/// # let mut ctx = Context::in_memory("install");
/// # let report = reactive_core::dispatch(&mut ctx, &registry).unwrap();
/// # assert_eq!(report.invoked.len(), 1);
/// # let report = reactive_core::dispatch(&mut ctx, &registry).unwrap();
/// # assert!(report.invoked.is_empty());
/// # }
/// ```
pub use reactive_macros::when_not;

/// Run a handler when none of the listed flags is set (same as
/// [`when_not`]).
///
/// ```
/// use reactive_core::prelude::*;
///
/// #[when_none("endpoint.db.joined", "endpoint.cache.joined")]
/// fn alone(ctx: &mut Context) {
///     ctx.set_flag("app.standalone");
/// }
/// # fn main() {
/// # let registry = std::sync::Arc::new(
/// #     Registry::builder().module_prefix(module_path!()).build().unwrap());
/// # let mut ctx = Context::in_memory("update-status");
/// # reactive_core::dispatch(&mut ctx, &registry).unwrap();
/// # assert!(ctx.is_flag_set("app.standalone"));
/// # }
/// ```
pub use reactive_macros::when_none;

/// Run a handler when at least one of the listed flags is not set.
///
/// ```
/// use reactive_core::prelude::*;
///
/// #[when_not_all("db.ready", "cache.ready")]
/// fn degraded(ctx: &mut Context) {
///     ctx.set_flag("app.degraded");
/// }
/// # fn main() {
/// # let registry = std::sync::Arc::new(
/// #     Registry::builder().module_prefix(module_path!()).build().unwrap());
/// # let mut ctx = Context::in_memory("update-status");
/// # ctx.set_flag("db.ready");
/// # reactive_core::dispatch(&mut ctx, &registry).unwrap();
/// # assert!(ctx.is_flag_set("app.degraded"));
/// # }
/// ```
pub use reactive_macros::when_not_all;

/// Run a handler in the hooks phase of the hooks its patterns match.
///
/// ```
/// use reactive_core::prelude::*;
///
/// #[hook("install")]
/// fn on_install(ctx: &mut Context) {
///     ctx.set_flag("app.fresh");
/// }
///
/// // Alternatives, and every `requires` endpoint of interface `mysql`.
/// #[hook("db-relation-{joined,changed}", "{requires:mysql}-relation-departed")]
/// fn on_db(ctx: &mut Context) {
///     ctx.set_flag("app.db-event");
/// }
/// # fn main() {
/// # let registry = std::sync::Arc::new(
/// #     Registry::builder().module_prefix(module_path!()).build().unwrap());
/// # let mut ctx = Context::in_memory("install");
/// # reactive_core::dispatch(&mut ctx, &registry).unwrap();
/// # assert!(ctx.is_flag_set("app.fresh"));
/// # assert!(!ctx.is_flag_set("app.db-event"));
/// # let mut ctx = Context::in_memory("db-relation-changed");
/// # reactive_core::dispatch(&mut ctx, &registry).unwrap();
/// # assert!(ctx.is_flag_set("app.db-event"));
/// # }
/// ```
pub use reactive_macros::hook;

/// Run a handler when a listed file's content changed since it was last
/// checked.
///
/// ```
/// use reactive_core::prelude::*;
///
/// // With a flag condition: tested after the flags.
/// #[when("app.installed")]
/// #[when_file_changed("templates/app.conf", "templates/extra.conf")]
/// fn restart(ctx: &mut Context) {
///     ctx.set_flag("app.restart-needed");
/// }
/// # fn main() {
/// # let registry = Registry::builder().module_prefix(module_path!()).build().unwrap();
/// # assert_eq!(registry.handlers()[0].descriptor().files_changed.len(), 2);
/// # }
/// ```
pub use reactive_macros::when_file_changed;

/// Run a handler only if it never ran on this unit.
///
/// ```
/// use reactive_core::prelude::*;
///
/// #[when("config.changed")]
/// #[only_once]
/// fn first_configuration(ctx: &mut Context) {
///     ctx.set_flag("app.first-config-seen");
/// }
/// # fn main() {
/// # let registry = std::sync::Arc::new(
/// #     Registry::builder().module_prefix(module_path!()).build().unwrap());
/// # let mut ctx = Context::in_memory("config-changed");
/// # ctx.set_flag("config.changed");
/// # let first = reactive_core::dispatch(&mut ctx, &registry).unwrap();
/// # let second = reactive_core::dispatch(&mut ctx, &registry).unwrap();
/// # assert_eq!((first.invoked.len(), second.invoked.len()), (1, 0));
/// # }
/// ```
pub use reactive_macros::only_once;

/// Log a warning when the function is called while a listed flag is unset.
///
/// ```
/// use reactive_core::prelude::*;
///
/// #[not_unless("db.ready")]
/// fn write_config(ctx: &mut Context) {
///     ctx.set_flag("app.config-written");
/// }
/// # fn main() {
/// # let mut ctx = Context::in_memory("update-status");
/// # write_config(&mut ctx); // logs "... called before flag: db.ready"
/// # assert!(ctx.is_flag_set("app.config-written"));
/// # }
/// ```
pub use reactive_macros::not_unless;

/// Run a handler in the `collect-metrics` hook (restricted mode).
///
/// ```
/// use reactive_core::prelude::*;
///
/// #[collect_metrics]
/// fn metrics(ctx: &Context) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
///     ctx.log(LogLevel::Info, "collecting metrics");
///     Ok(())
/// }
/// # fn main() {
/// # let registry = std::sync::Arc::new(
/// #     Registry::builder().module_prefix(module_path!()).build().unwrap());
/// # let mut ctx = Context::in_memory("collect-metrics");
/// # assert_eq!(reactive_core::dispatch(&mut ctx, &registry).unwrap().invoked.len(), 1);
/// # let mut ctx = Context::in_memory("update-status");
/// # assert!(reactive_core::dispatch(&mut ctx, &registry).unwrap().invoked.is_empty());
/// # }
/// ```
pub use reactive_macros::collect_metrics;

/// Run a handler in the `meter-status-changed` hook (restricted mode).
///
/// ```
/// use reactive_core::prelude::*;
///
/// #[meter_status_changed]
/// fn meter_status() {}
/// # fn main() {
/// # let registry = std::sync::Arc::new(
/// #     Registry::builder().module_prefix(module_path!()).build().unwrap());
/// # let mut ctx = Context::in_memory("meter-status-changed");
/// # assert_eq!(reactive_core::dispatch(&mut ctx, &registry).unwrap().invoked.len(), 1);
/// # }
/// ```
pub use reactive_macros::meter_status_changed;

/// Run a handler when Juju runs the charm's action of that name.
///
/// ```
/// use reactive_core::prelude::*;
///
/// // The action's parameters, read with `action-get` (defaults of
/// // actions.yaml filled in by Juju).
/// #[derive(serde::Deserialize)]
/// struct BackupParams {
///     target: String,
///     #[serde(default)]
///     keep: u32,
/// }
///
/// #[action("backup")]
/// fn backup(
///     ctx: &mut Context,
///     params: BackupParams,
/// ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
///     ctx.action_log(&format!("backing up to {}", params.target))?;
///     // Dotted keys nest: {"backup": {"path": ..., "kept": ...}}.
///     ctx.action_set("backup.path", &format!("{}/backup.tar", params.target))?;
///     ctx.action_set("backup.kept", &params.keep.to_string())?;
///     // Committed with the action, seen by the flag handlers of the next hook.
///     ctx.set_flag("app.backed-up");
///     Ok(())
/// }
///
/// // No parameters; an `Err` fails the action with its message, and
/// // nothing the action changed is committed.
/// #[action("restore")]
/// fn restore(ctx: &mut Context) -> Result<(), std::io::Error> {
///     ctx.set_flag("app.restoring");
///     Err(std::io::Error::other("no backup to restore"))
/// }
/// # fn main() {
/// # let registry = Registry::builder().module_prefix(module_path!()).build().unwrap();
/// # assert_eq!(registry.action_names(), ["backup", "restore"]);
/// # assert_eq!(registry.action_handlers("backup").len(), 1);
/// # }
/// ```
///
/// The name is checked at compile time against the charm's `actions.yaml`.
/// Only the action's handlers run in an action: see
/// [`runtime::action`] for the rules and the exit code.
pub use reactive_macros::action;

/// Register an endpoint type and the handlers of its impl block, once per
/// endpoint of the charm that it serves.
///
/// ```
/// use reactive_core::prelude::*;
/// use reactive_core::endpoint::EndpointBase;
///
/// pub struct HttpProvides {
///     base: EndpointBase,
/// }
///
/// impl Endpoint for HttpProvides {
///     fn from_base(base: EndpointBase) -> Self { HttpProvides { base } }
///     fn base(&self) -> &EndpointBase { &self.base }
///     fn base_mut(&mut self) -> &mut EndpointBase { &mut self.base }
/// }
///
/// #[endpoint(interface = "http", role = "provides")]
/// impl HttpProvides {
///     // `&mut self` and the context.
///     #[when("endpoint.{endpoint_name}.joined")]
///     #[when_not("{endpoint_name}.published")]
///     fn publish(&mut self, ctx: &mut Context) -> Result<(), reactive_core::tools::ToolError> {
///         for relation in self.relations_mut().iter_mut() {
///             relation.to_publish()?.set("port", 80.into());
///         }
///         ctx.set_flag(&self.expand_name("{endpoint_name}.published"));
///         Ok(())
///     }
///
///     // `&self` alone (also: `&self, &Context`, `&mut self`, `&mut self, &Context`).
///     #[when("endpoint.{endpoint_name}.departed")]
///     fn departed(&self) {}
/// }
///
/// // A charm's handlers can take the endpoint as a parameter, `&mut` to
/// // publish, `&` to read. This charm has two `http` endpoints, `website`
/// // and `admin`: each handler gets the one its flags name.
/// #[when("endpoint.website.joined")]
/// fn with_context(ctx: &mut Context, website: &mut HttpProvides) {
///     ctx.toggle_flag("app.website-up", website.is_joined());
/// }
///
/// #[when("endpoint.website.changed")]
/// fn endpoint_only(website: &mut HttpProvides) -> HandlerResult {
///     let _units = website.all_joined_units().len();
///     Ok(())
/// }
///
/// #[when("endpoint.admin.joined")]
/// fn read_only(ctx: &mut Context, admin: &HttpProvides) -> HandlerResult {
///     for unit in admin.all_joined_units().iter() {
///         if let Some(address) = unit.ingress_address()? {
///             ctx.log(LogLevel::Info, &format!("admin client at {address}"));
///         }
///     }
///     Ok(())
/// }
///
/// // No flag names an endpoint: in `website-relation-*` hooks it is
/// // `website`, in `admin-relation-*` hooks `admin`, and in any other
/// // hook the parameter is ambiguous and the hook fails.
/// #[hook("{provides:http}-relation-changed")]
/// fn endpoint_of_the_hook(web: &HttpProvides) {
///     let _name = web.endpoint_name();
/// }
/// # fn main() {
/// # use std::sync::Arc;
/// # use reactive_core::metadata::CharmMetadata;
/// # let meta = CharmMetadata::new("app")
/// #     .with_endpoint("website", reactive_core::Role::Provides, "http")
/// #     .with_endpoint("admin", reactive_core::Role::Provides, "http");
/// # let registry = Registry::builder()
/// #     .module_prefix(module_path!())
/// #     .metadata(Arc::new(meta))
/// #     .build()
/// #     .unwrap();
/// # let ids: Vec<&str> = registry.handlers().iter().map(|h| h.id()).collect();
/// # assert_eq!(ids.iter().filter(|id| id.ends_with(":publish:website")).count(), 1, "{ids:?}");
/// # assert_eq!(ids.iter().filter(|id| id.ends_with(":publish:admin")).count(), 1, "{ids:?}");
/// # }
/// ```
pub use reactive_macros::endpoint;

/// Derive [`request::Request`] for a request type
/// of the request/response pattern.
///
/// ```
/// use reactive_core::prelude::*;
///
/// #[derive(Request, Debug, Clone, PartialEq)]
/// #[request(response = JobResponse)]
/// pub struct JobRequest {
///     pub job_name: String,
///     pub job_data: serde_json::Value,
///     pub ca_cert: Option<String>,
/// }
///
/// #[derive(Response, Debug, Clone, PartialEq)]
/// pub struct JobResponse {
///     pub success: bool,
///     pub reason: Option<String>,
/// }
/// # fn main() {
/// assert_eq!(<JobRequest as Request>::FIELDS, ["job_name", "job_data", "ca_cert"]);
/// let request = JobRequest {
///     job_name: "node".into(),
///     job_data: serde_json::json!({"scheme": "http"}),
///     ca_cert: None,
/// };
/// let fields = request.to_fields().unwrap();
/// assert_eq!(fields["ca_cert"], serde_json::Value::Null);
/// assert_eq!(JobRequest::from_fields(&fields).unwrap(), request);
/// # }
/// ```
///
/// See [`request::RequesterEndpoint`]
/// and [`request::ResponderEndpoint`]
/// for the endpoints that send and answer requests.
pub use reactive_macros::Request;

/// Derive [`request::Response`] for the
/// response type of a request.
///
/// ```
/// use reactive_core::prelude::*;
///
/// #[derive(Response, Debug, PartialEq)]
/// pub struct JobResponse {
///     pub success: bool,
///     pub reason: Option<String>,
/// }
/// # fn main() {
/// let fields = JobResponse { success: true, reason: None }.to_fields().unwrap();
/// assert_eq!(serde_json::Value::Object(fields), serde_json::json!({"success": true, "reason": null}));
/// # }
/// ```
pub use reactive_macros::Response;
pub use registry::Registry;
pub use runtime::run;
pub use triggers::{Trigger, TriggerError};
pub use unit_state::{StateError, UnitState};

/// Everything a charm's handler module usually needs.
pub mod prelude {
    pub use crate::endpoint::Endpoint;
    pub use crate::handler::{HandlerError, HandlerResult};
    pub use crate::request::{
        Request, RequestError, RequestMut, RequestRecord, RequesterEndpoint, ResponderEndpoint,
        Response, ResponseRecord,
    };
    pub use crate::tools::WorkloadState;
    pub use crate::{
        action, collect_metrics, hook, meter_status_changed, not_unless, only_once, when, when_all,
        when_any, when_file_changed, when_none, when_not, when_not_all,
    };
    pub use crate::{endpoint, CharmDeclaration, Context, LogLevel, Registry, Trigger};
}

/// What the macros' generated code names. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::endpoint::{
        call_endpoint_handler, create_instance, EndpointDescriptor, EndpointRef,
    };
    pub use crate::handler::action::call_action_handler;
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
