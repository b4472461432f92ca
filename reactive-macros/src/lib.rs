//! Attribute macros of reactive-rs. Use them through `reactive_core`
//! (`use reactive_core::prelude::*;`), which re-exports every one of them
//! with its documentation.
//!
//! The crate follows one pipeline per handler: `attrs` collects the
//! stacked attributes of a function, `check` validates them (reporting
//! every problem in one build through `ctxt`), and `expand` emits the
//! user's function untouched plus one `inventory` registration. Every path
//! the generated code names is spelled in `paths`. When the charm has a
//! `metadata.yaml`, `metadata` checks the endpoint names in flags and hook
//! patterns against it.

extern crate proc_macro;

mod actions;
mod attrs;
mod check;
mod ctxt;
mod endpoint;
mod expand;
mod location;
mod metadata;
mod paths;
mod request;
mod tracking;

use proc_macro::TokenStream;

use attrs::AttrKind;

fn entry(kind: AttrKind, args: TokenStream, item: TokenStream) -> TokenStream {
    expand::handler(kind, args.into(), item.into()).into()
}

/// Run the function when every listed flag is set (same as `#[when_all]`).
///
/// # Flags
///
/// Each argument is a string literal naming one flag; give one or more,
/// separated by commas. A flag is a non-empty name of dot-separated
/// segments (`db.available`, `endpoint.db.joined`, `config.changed.port`),
/// without whitespace, control characters or empty segments. The only
/// braces allowed are the placeholder `{endpoint_name}`, and only in a
/// handler of an `#[endpoint]` impl block, where it is replaced by the
/// name of each endpoint the block serves. When the charm's
/// `metadata.yaml` is beside its `Cargo.toml`, a flag `endpoint.<name>.…`
/// must name an endpoint it declares. Mistakes are compile errors with a
/// suggestion.
///
/// There are no operators inside a string: stack attributes instead.
/// Every condition of a handler must hold for it to run, so
/// `#[when("a")] #[when_not("b")]` runs while `a` is set and `b` is not.
/// A handler with a flag condition runs in the main dispatch loop; it
/// cannot also have `#[hook]`.
///
/// # Handler signatures
///
/// A free function takes one of
///
/// | parameters | |
/// |---|---|
/// | `fn()` | nothing |
/// | `fn(&mut Context)`, `fn(&Context)` | the hook's context |
/// | `fn(&mut Context, &mut E)`, `fn(&mut Context, &E)` | the context and an endpoint |
/// | `fn(&mut E)`, `fn(&E)` | an endpoint alone |
///
/// where `E` is an endpoint type (a type with an `#[endpoint]` impl
/// block). The endpoint passed is the charm's one endpoint of type `E`;
/// when several endpoints of the charm are of that type, it is the one the
/// handler's flags name (`endpoint.<name>.…` or `<name>.…`), else the one
/// whose relation the hook is about, else the hook fails with
/// `EndpointParamError::Ambiguous`. The function returns `()` or
/// `Result<(), Err>` for any `Err: std::error::Error + Send + Sync +
/// 'static` (`reactive_core::prelude::HandlerResult` is
/// `Result<(), Box<dyn std::error::Error + Send + Sync>>`). It may not be
/// generic or `async`; any other signature is a compile error listing
/// these. In an `#[endpoint]` impl block a handler takes `&self` or
/// `&mut self`, then optionally `&mut Context` or `&Context`.
/// `reactive_core`'s documentation of this attribute has compiling
/// examples.
#[proc_macro_attribute]
pub fn when(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(AttrKind::When, args, item)
}

/// Run the function when every listed flag is set (same as `#[when]`).
///
/// # Flags
///
/// Each argument is a string literal naming one flag; give one or more,
/// separated by commas. A flag is a non-empty name of dot-separated
/// segments (`db.available`, `endpoint.db.joined`, `config.changed.port`),
/// without whitespace, control characters or empty segments. The only
/// braces allowed are the placeholder `{endpoint_name}`, and only in a
/// handler of an `#[endpoint]` impl block, where it is replaced by the
/// name of each endpoint the block serves. When the charm's
/// `metadata.yaml` is beside its `Cargo.toml`, a flag `endpoint.<name>.…`
/// must name an endpoint it declares. Mistakes are compile errors with a
/// suggestion.
///
/// There are no operators inside a string: stack attributes instead.
/// Every condition of a handler must hold for it to run, so
/// `#[when("a")] #[when_not("b")]` runs while `a` is set and `b` is not.
/// A handler with a flag condition runs in the main dispatch loop; it
/// cannot also have `#[hook]`.
///
/// # Handler signatures
///
/// A free function takes one of
///
/// | parameters | |
/// |---|---|
/// | `fn()` | nothing |
/// | `fn(&mut Context)`, `fn(&Context)` | the hook's context |
/// | `fn(&mut Context, &mut E)`, `fn(&mut Context, &E)` | the context and an endpoint |
/// | `fn(&mut E)`, `fn(&E)` | an endpoint alone |
///
/// where `E` is an endpoint type (a type with an `#[endpoint]` impl
/// block). The endpoint passed is the charm's one endpoint of type `E`;
/// when several endpoints of the charm are of that type, it is the one the
/// handler's flags name (`endpoint.<name>.…` or `<name>.…`), else the one
/// whose relation the hook is about, else the hook fails with
/// `EndpointParamError::Ambiguous`. The function returns `()` or
/// `Result<(), Err>` for any `Err: std::error::Error + Send + Sync +
/// 'static` (`reactive_core::prelude::HandlerResult` is
/// `Result<(), Box<dyn std::error::Error + Send + Sync>>`). It may not be
/// generic or `async`; any other signature is a compile error listing
/// these. In an `#[endpoint]` impl block a handler takes `&self` or
/// `&mut self`, then optionally `&mut Context` or `&Context`.
/// `reactive_core`'s documentation of this attribute has compiling
/// examples.
#[proc_macro_attribute]
pub fn when_all(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(AttrKind::WhenAll, args, item)
}

/// Run the function when at least one listed flag is set.
///
/// # Flags
///
/// Each argument is a string literal naming one flag; give one or more,
/// separated by commas. A flag is a non-empty name of dot-separated
/// segments (`db.available`, `endpoint.db.joined`, `config.changed.port`),
/// without whitespace, control characters or empty segments. The only
/// braces allowed are the placeholder `{endpoint_name}`, and only in a
/// handler of an `#[endpoint]` impl block, where it is replaced by the
/// name of each endpoint the block serves. When the charm's
/// `metadata.yaml` is beside its `Cargo.toml`, a flag `endpoint.<name>.…`
/// must name an endpoint it declares. Mistakes are compile errors with a
/// suggestion.
///
/// There are no operators inside a string: stack attributes instead.
/// Every condition of a handler must hold for it to run, so
/// `#[when("a")] #[when_not("b")]` runs while `a` is set and `b` is not.
/// A handler with a flag condition runs in the main dispatch loop; it
/// cannot also have `#[hook]`.
///
/// # Handler signatures
///
/// A free function takes one of
///
/// | parameters | |
/// |---|---|
/// | `fn()` | nothing |
/// | `fn(&mut Context)`, `fn(&Context)` | the hook's context |
/// | `fn(&mut Context, &mut E)`, `fn(&mut Context, &E)` | the context and an endpoint |
/// | `fn(&mut E)`, `fn(&E)` | an endpoint alone |
///
/// where `E` is an endpoint type (a type with an `#[endpoint]` impl
/// block). The endpoint passed is the charm's one endpoint of type `E`;
/// when several endpoints of the charm are of that type, it is the one the
/// handler's flags name (`endpoint.<name>.…` or `<name>.…`), else the one
/// whose relation the hook is about, else the hook fails with
/// `EndpointParamError::Ambiguous`. The function returns `()` or
/// `Result<(), Err>` for any `Err: std::error::Error + Send + Sync +
/// 'static` (`reactive_core::prelude::HandlerResult` is
/// `Result<(), Box<dyn std::error::Error + Send + Sync>>`). It may not be
/// generic or `async`; any other signature is a compile error listing
/// these. In an `#[endpoint]` impl block a handler takes `&self` or
/// `&mut self`, then optionally `&mut Context` or `&Context`.
/// `reactive_core`'s documentation of this attribute has compiling
/// examples.
#[proc_macro_attribute]
pub fn when_any(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(AttrKind::WhenAny, args, item)
}

/// Run the function when none of the listed flags is set (same as
/// `#[when_none]`).
///
/// # Flags
///
/// Each argument is a string literal naming one flag; give one or more,
/// separated by commas. A flag is a non-empty name of dot-separated
/// segments (`db.available`, `endpoint.db.joined`, `config.changed.port`),
/// without whitespace, control characters or empty segments. The only
/// braces allowed are the placeholder `{endpoint_name}`, and only in a
/// handler of an `#[endpoint]` impl block, where it is replaced by the
/// name of each endpoint the block serves. When the charm's
/// `metadata.yaml` is beside its `Cargo.toml`, a flag `endpoint.<name>.…`
/// must name an endpoint it declares. Mistakes are compile errors with a
/// suggestion.
///
/// There are no operators inside a string: stack attributes instead.
/// Every condition of a handler must hold for it to run, so
/// `#[when("a")] #[when_not("b")]` runs while `a` is set and `b` is not.
/// A handler with a flag condition runs in the main dispatch loop; it
/// cannot also have `#[hook]`.
///
/// # Handler signatures
///
/// A free function takes one of
///
/// | parameters | |
/// |---|---|
/// | `fn()` | nothing |
/// | `fn(&mut Context)`, `fn(&Context)` | the hook's context |
/// | `fn(&mut Context, &mut E)`, `fn(&mut Context, &E)` | the context and an endpoint |
/// | `fn(&mut E)`, `fn(&E)` | an endpoint alone |
///
/// where `E` is an endpoint type (a type with an `#[endpoint]` impl
/// block). The endpoint passed is the charm's one endpoint of type `E`;
/// when several endpoints of the charm are of that type, it is the one the
/// handler's flags name (`endpoint.<name>.…` or `<name>.…`), else the one
/// whose relation the hook is about, else the hook fails with
/// `EndpointParamError::Ambiguous`. The function returns `()` or
/// `Result<(), Err>` for any `Err: std::error::Error + Send + Sync +
/// 'static` (`reactive_core::prelude::HandlerResult` is
/// `Result<(), Box<dyn std::error::Error + Send + Sync>>`). It may not be
/// generic or `async`; any other signature is a compile error listing
/// these. In an `#[endpoint]` impl block a handler takes `&self` or
/// `&mut self`, then optionally `&mut Context` or `&Context`.
/// `reactive_core`'s documentation of this attribute has compiling
/// examples.
#[proc_macro_attribute]
pub fn when_not(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(AttrKind::WhenNot, args, item)
}

/// Run the function when none of the listed flags is set (same as
/// `#[when_not]`).
///
/// # Flags
///
/// Each argument is a string literal naming one flag; give one or more,
/// separated by commas. A flag is a non-empty name of dot-separated
/// segments (`db.available`, `endpoint.db.joined`, `config.changed.port`),
/// without whitespace, control characters or empty segments. The only
/// braces allowed are the placeholder `{endpoint_name}`, and only in a
/// handler of an `#[endpoint]` impl block, where it is replaced by the
/// name of each endpoint the block serves. When the charm's
/// `metadata.yaml` is beside its `Cargo.toml`, a flag `endpoint.<name>.…`
/// must name an endpoint it declares. Mistakes are compile errors with a
/// suggestion.
///
/// There are no operators inside a string: stack attributes instead.
/// Every condition of a handler must hold for it to run, so
/// `#[when("a")] #[when_not("b")]` runs while `a` is set and `b` is not.
/// A handler with a flag condition runs in the main dispatch loop; it
/// cannot also have `#[hook]`.
///
/// # Handler signatures
///
/// A free function takes one of
///
/// | parameters | |
/// |---|---|
/// | `fn()` | nothing |
/// | `fn(&mut Context)`, `fn(&Context)` | the hook's context |
/// | `fn(&mut Context, &mut E)`, `fn(&mut Context, &E)` | the context and an endpoint |
/// | `fn(&mut E)`, `fn(&E)` | an endpoint alone |
///
/// where `E` is an endpoint type (a type with an `#[endpoint]` impl
/// block). The endpoint passed is the charm's one endpoint of type `E`;
/// when several endpoints of the charm are of that type, it is the one the
/// handler's flags name (`endpoint.<name>.…` or `<name>.…`), else the one
/// whose relation the hook is about, else the hook fails with
/// `EndpointParamError::Ambiguous`. The function returns `()` or
/// `Result<(), Err>` for any `Err: std::error::Error + Send + Sync +
/// 'static` (`reactive_core::prelude::HandlerResult` is
/// `Result<(), Box<dyn std::error::Error + Send + Sync>>`). It may not be
/// generic or `async`; any other signature is a compile error listing
/// these. In an `#[endpoint]` impl block a handler takes `&self` or
/// `&mut self`, then optionally `&mut Context` or `&Context`.
/// `reactive_core`'s documentation of this attribute has compiling
/// examples.
#[proc_macro_attribute]
pub fn when_none(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(AttrKind::WhenNone, args, item)
}

/// Run the function when at least one of the listed flags is not set.
///
/// # Flags
///
/// Each argument is a string literal naming one flag; give one or more,
/// separated by commas. A flag is a non-empty name of dot-separated
/// segments (`db.available`, `endpoint.db.joined`, `config.changed.port`),
/// without whitespace, control characters or empty segments. The only
/// braces allowed are the placeholder `{endpoint_name}`, and only in a
/// handler of an `#[endpoint]` impl block, where it is replaced by the
/// name of each endpoint the block serves. When the charm's
/// `metadata.yaml` is beside its `Cargo.toml`, a flag `endpoint.<name>.…`
/// must name an endpoint it declares. Mistakes are compile errors with a
/// suggestion.
///
/// There are no operators inside a string: stack attributes instead.
/// Every condition of a handler must hold for it to run, so
/// `#[when("a")] #[when_not("b")]` runs while `a` is set and `b` is not.
/// A handler with a flag condition runs in the main dispatch loop; it
/// cannot also have `#[hook]`.
///
/// # Handler signatures
///
/// A free function takes one of
///
/// | parameters | |
/// |---|---|
/// | `fn()` | nothing |
/// | `fn(&mut Context)`, `fn(&Context)` | the hook's context |
/// | `fn(&mut Context, &mut E)`, `fn(&mut Context, &E)` | the context and an endpoint |
/// | `fn(&mut E)`, `fn(&E)` | an endpoint alone |
///
/// where `E` is an endpoint type (a type with an `#[endpoint]` impl
/// block). The endpoint passed is the charm's one endpoint of type `E`;
/// when several endpoints of the charm are of that type, it is the one the
/// handler's flags name (`endpoint.<name>.…` or `<name>.…`), else the one
/// whose relation the hook is about, else the hook fails with
/// `EndpointParamError::Ambiguous`. The function returns `()` or
/// `Result<(), Err>` for any `Err: std::error::Error + Send + Sync +
/// 'static` (`reactive_core::prelude::HandlerResult` is
/// `Result<(), Box<dyn std::error::Error + Send + Sync>>`). It may not be
/// generic or `async`; any other signature is a compile error listing
/// these. In an `#[endpoint]` impl block a handler takes `&self` or
/// `&mut self`, then optionally `&mut Context` or `&Context`.
/// `reactive_core`'s documentation of this attribute has compiling
/// examples.
#[proc_macro_attribute]
pub fn when_not_all(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(AttrKind::WhenNotAll, args, item)
}

/// Run the function in the hooks phase, before any flag handler, when the
/// current hook matches one of the patterns.
///
/// # Patterns
///
/// Each argument is a string literal: a Juju hook name in which `{…}`
/// groups stand for several choices. `{a,b,…}` is each alternative
/// (`db-relation-{joined,changed}`); `{role:interface}` is each endpoint of
/// `metadata.yaml` with that role (`provides`, `requires`, `peers`) and
/// interface (`{requires:mysql}-relation-joined`). Several groups multiply
/// out; groups do not nest; no whitespace. Every expansion must be a Juju
/// hook name, and `<endpoint>-relation-…` must name an endpoint of the
/// charm's `metadata.yaml` when it is found: mistakes are compile errors.
///
/// `#[hook]` cannot be combined with a flag condition; it may be combined
/// with `#[only_once]` and `#[when_file_changed]`.
///
/// # Handler signatures
///
/// A free function takes one of
///
/// | parameters | |
/// |---|---|
/// | `fn()` | nothing |
/// | `fn(&mut Context)`, `fn(&Context)` | the hook's context |
/// | `fn(&mut Context, &mut E)`, `fn(&mut Context, &E)` | the context and an endpoint |
/// | `fn(&mut E)`, `fn(&E)` | an endpoint alone |
///
/// where `E` is an endpoint type (a type with an `#[endpoint]` impl
/// block). The endpoint passed is the charm's one endpoint of type `E`;
/// when several endpoints of the charm are of that type, it is the one the
/// handler's flags name (`endpoint.<name>.…` or `<name>.…`), else the one
/// whose relation the hook is about, else the hook fails with
/// `EndpointParamError::Ambiguous`. The function returns `()` or
/// `Result<(), Err>` for any `Err: std::error::Error + Send + Sync +
/// 'static` (`reactive_core::prelude::HandlerResult` is
/// `Result<(), Box<dyn std::error::Error + Send + Sync>>`). It may not be
/// generic or `async`; any other signature is a compile error listing
/// these. In an `#[endpoint]` impl block a handler takes `&self` or
/// `&mut self`, then optionally `&mut Context` or `&Context`.
/// `reactive_core`'s documentation of this attribute has compiling
/// examples.
#[proc_macro_attribute]
pub fn hook(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(AttrKind::Hook, args, item)
}

/// Run the function when any listed file's content changed since it was
/// last checked.
///
/// Each argument is a string literal naming a file; a relative path is
/// read from the charm directory. A file changed when the MD5 of its
/// content differs from the one stored in the unit state
/// (`reactive.files_changed.<path>`), or when it appeared or vanished. The
/// stored hashes are updated whenever the handler is tested, so a change
/// is seen once. Combined with flag conditions or `#[hook]`, it is tested
/// after them; alone (or with `#[only_once]`) the handler is tested in the
/// hooks phase and in every iteration of the main loop.
///
/// # Handler signatures
///
/// A free function takes one of
///
/// | parameters | |
/// |---|---|
/// | `fn()` | nothing |
/// | `fn(&mut Context)`, `fn(&Context)` | the hook's context |
/// | `fn(&mut Context, &mut E)`, `fn(&mut Context, &E)` | the context and an endpoint |
/// | `fn(&mut E)`, `fn(&E)` | an endpoint alone |
///
/// where `E` is an endpoint type (a type with an `#[endpoint]` impl
/// block). The endpoint passed is the charm's one endpoint of type `E`;
/// when several endpoints of the charm are of that type, it is the one the
/// handler's flags name (`endpoint.<name>.…` or `<name>.…`), else the one
/// whose relation the hook is about, else the hook fails with
/// `EndpointParamError::Ambiguous`. The function returns `()` or
/// `Result<(), Err>` for any `Err: std::error::Error + Send + Sync +
/// 'static` (`reactive_core::prelude::HandlerResult` is
/// `Result<(), Box<dyn std::error::Error + Send + Sync>>`). It may not be
/// generic or `async`; any other signature is a compile error listing
/// these. In an `#[endpoint]` impl block a handler takes `&self` or
/// `&mut self`, then optionally `&mut Context` or `&Context`.
/// `reactive_core`'s documentation of this attribute has compiling
/// examples.
#[proc_macro_attribute]
pub fn when_file_changed(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(AttrKind::WhenFileChanged, args, item)
}

/// Run the function only if it never ran on this unit.
///
/// Takes no arguments. After the handler runs, `reactive.invoked.<handler
/// id>` is set in the unit state and committed with the hook (a failed
/// hook leaves it unset, so the handler runs again when the hook is
/// retried). Combine it with a flag condition or `#[hook]` to choose when
/// it runs; alone, it runs at the first opportunity (the hooks phase of
/// the first hook).
///
/// # Handler signatures
///
/// A free function takes one of
///
/// | parameters | |
/// |---|---|
/// | `fn()` | nothing |
/// | `fn(&mut Context)`, `fn(&Context)` | the hook's context |
/// | `fn(&mut Context, &mut E)`, `fn(&mut Context, &E)` | the context and an endpoint |
/// | `fn(&mut E)`, `fn(&E)` | an endpoint alone |
///
/// where `E` is an endpoint type (a type with an `#[endpoint]` impl
/// block). The endpoint passed is the charm's one endpoint of type `E`;
/// when several endpoints of the charm are of that type, it is the one the
/// handler's flags name (`endpoint.<name>.…` or `<name>.…`), else the one
/// whose relation the hook is about, else the hook fails with
/// `EndpointParamError::Ambiguous`. The function returns `()` or
/// `Result<(), Err>` for any `Err: std::error::Error + Send + Sync +
/// 'static` (`reactive_core::prelude::HandlerResult` is
/// `Result<(), Box<dyn std::error::Error + Send + Sync>>`). It may not be
/// generic or `async`; any other signature is a compile error listing
/// these. In an `#[endpoint]` impl block a handler takes `&self` or
/// `&mut self`, then optionally `&mut Context` or `&Context`.
/// `reactive_core`'s documentation of this attribute has compiling
/// examples.
#[proc_macro_attribute]
pub fn only_once(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(AttrKind::OnlyOnce, args, item)
}

/// Log a warning when the function is called while a listed flag is unset.
///
/// Not a condition: the function runs anyway. The flags follow the rules
/// of `#[when]`; the function must take the context. Alone, it does not
/// make the function a handler, so it may guard any function that takes
/// the context.
#[proc_macro_attribute]
pub fn not_unless(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(AttrKind::NotUnless, args, item)
}

/// Run the function in the `collect-metrics` hook.
///
/// Takes no arguments. `collect-metrics` runs in restricted mode: no
/// start-up flags and no endpoints (so a handler taking an endpoint fails
/// the hook), and only the `#[collect_metrics]` handlers run, each once. It cannot be combined with any other
/// attribute of this crate except `#[not_unless]`.
///
/// # Handler signatures
///
/// A free function takes one of
///
/// | parameters | |
/// |---|---|
/// | `fn()` | nothing |
/// | `fn(&mut Context)`, `fn(&Context)` | the hook's context |
/// | `fn(&mut Context, &mut E)`, `fn(&mut Context, &E)` | the context and an endpoint |
/// | `fn(&mut E)`, `fn(&E)` | an endpoint alone |
///
/// where `E` is an endpoint type (a type with an `#[endpoint]` impl
/// block). The endpoint passed is the charm's one endpoint of type `E`;
/// when several endpoints of the charm are of that type, it is the one the
/// handler's flags name (`endpoint.<name>.…` or `<name>.…`), else the one
/// whose relation the hook is about, else the hook fails with
/// `EndpointParamError::Ambiguous`. The function returns `()` or
/// `Result<(), Err>` for any `Err: std::error::Error + Send + Sync +
/// 'static` (`reactive_core::prelude::HandlerResult` is
/// `Result<(), Box<dyn std::error::Error + Send + Sync>>`). It may not be
/// generic or `async`; any other signature is a compile error listing
/// these. In an `#[endpoint]` impl block a handler takes `&self` or
/// `&mut self`, then optionally `&mut Context` or `&Context`.
/// `reactive_core`'s documentation of this attribute has compiling
/// examples.
#[proc_macro_attribute]
pub fn collect_metrics(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(AttrKind::CollectMetrics, args, item)
}

/// Run the function in the `meter-status-changed` hook.
///
/// Takes no arguments. `meter-status-changed` runs in restricted mode: no
/// start-up flags and no endpoints (so a handler taking an endpoint fails
/// the hook), and only the `#[meter_status_changed]` handlers run, each
/// once. It cannot be combined with any other attribute
/// of this crate except `#[not_unless]`.
///
/// # Handler signatures
///
/// A free function takes one of
///
/// | parameters | |
/// |---|---|
/// | `fn()` | nothing |
/// | `fn(&mut Context)`, `fn(&Context)` | the hook's context |
/// | `fn(&mut Context, &mut E)`, `fn(&mut Context, &E)` | the context and an endpoint |
/// | `fn(&mut E)`, `fn(&E)` | an endpoint alone |
///
/// where `E` is an endpoint type (a type with an `#[endpoint]` impl
/// block). The endpoint passed is the charm's one endpoint of type `E`;
/// when several endpoints of the charm are of that type, it is the one the
/// handler's flags name (`endpoint.<name>.…` or `<name>.…`), else the one
/// whose relation the hook is about, else the hook fails with
/// `EndpointParamError::Ambiguous`. The function returns `()` or
/// `Result<(), Err>` for any `Err: std::error::Error + Send + Sync +
/// 'static` (`reactive_core::prelude::HandlerResult` is
/// `Result<(), Box<dyn std::error::Error + Send + Sync>>`). It may not be
/// generic or `async`; any other signature is a compile error listing
/// these. In an `#[endpoint]` impl block a handler takes `&self` or
/// `&mut self`, then optionally `&mut Context` or `&Context`.
/// `reactive_core`'s documentation of this attribute has compiling
/// examples.
#[proc_macro_attribute]
pub fn meter_status_changed(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(AttrKind::MeterStatusChanged, args, item)
}

/// Run the function when Juju runs the charm's action named in the
/// argument (`juju run unit/0 backup` runs `#[action("backup")]`).
///
/// The name must be an action the charm's `actions.yaml` (beside its
/// `Cargo.toml`) declares; a misspelled name is a compile error that
/// suggests the closest one. It cannot be combined with any other
/// attribute of this crate except `#[not_unless]`.
///
/// In an action only its `#[action]` handlers run: no flag handler, no
/// `#[hook]` handler, no start-up flag recomputed. A handler that returns
/// `Err` (or calls `ctx.action_fail`) fails the action with the message,
/// and the unit state is not committed; flags set by a successful action
/// are committed and react in the next hook.
///
/// # Handler signatures
///
/// `fn()`, `fn(&mut Context)`, `fn(&Context)`, `fn(&mut Context, P)` or
/// `fn(&Context, P)`, where `P` is any `serde::Deserialize` type that the
/// action's parameters (`action-get`) are read into; a parameter that does
/// not fit fails the action with a message naming it. It returns `()` or
/// `Result<(), E>`. `reactive_core`'s documentation of this attribute has a
/// compiling example.
#[proc_macro_attribute]
pub fn action(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(AttrKind::Action, args, item)
}

/// Register an endpoint type and the handlers of its impl block.
///
/// Arguments: `interface = "http"`, `role = "provides"` (or `"requires"`,
/// `"peers"`), and optionally `requester = RequestType` or
/// `responder = RequestType` for the request/response pattern (the type
/// must then implement `RequesterEndpoint` / `ResponderEndpoint` with that
/// request type, and its pattern flags are computed in every hook).
///
/// The type implements `reactive_core::endpoint::Endpoint`. At the start of
/// every hook one instance is made for each endpoint of the charm's
/// `metadata.yaml` with that interface and role. Every method of the block
/// with a reactive attribute is registered once per such endpoint, with
/// `{endpoint_name}` in its flags replaced by the endpoint's name; other
/// methods are left alone.
///
/// A handler method takes `&self` or `&mut self`, then optionally
/// `&mut Context` or `&Context`, and returns `()` or `Result<(), E>`. An
/// associated function without `self` takes the free-function signatures
/// of `#[when]`. Endpoint handlers cannot be generic.
///
/// A charm's own handlers (free functions) may take the endpoint type as a
/// parameter, `&mut E` or `&E`, with or without `&mut Context` before it;
/// see `#[when]` for which endpoint they are given.
#[proc_macro_attribute]
pub fn endpoint(args: TokenStream, item: TokenStream) -> TokenStream {
    endpoint::endpoint(args.into(), item.into()).into()
}

/// Derive `reactive_core::request::Request` for a struct of named fields,
/// with `#[request(response = ResponseType)]` naming its response type (a
/// struct deriving `Response`).
///
/// Every field must be serde `Serialize` and `DeserializeOwned`; an
/// `Option` field may be left unset. No field may be called `request_id`:
/// the framework generates it (a UUID v4) when the request is created.
///
/// Also generates, for `struct JobRequest`, the traits `JobRequestFields`
/// (a getter per field on every request handle, and a setter
/// `set_<field>` usable on a request this side created) and
/// `JobRequestFinders` (`response_by_<field>(value, relation_id)` on every
/// requester endpoint of `JobRequest`, `request_id` included). Import them
/// where their methods are called.
#[proc_macro_derive(Request, attributes(request))]
pub fn derive_request(item: TokenStream) -> TokenStream {
    request::derive_request(item.into()).into()
}

/// Derive `reactive_core::request::Response` for a struct of named fields.
///
/// Every field must be serde `Serialize` and `DeserializeOwned`; an
/// `Option` field may be left unset. A response is published as one JSON
/// object of all its fields under `response_<request id>`.
#[proc_macro_derive(Response)]
pub fn derive_response(item: TokenStream) -> TokenStream {
    request::derive_response(item.into()).into()
}
