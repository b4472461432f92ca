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

mod attrs;
mod check;
mod ctxt;
mod endpoint;
mod expand;
mod location;
mod metadata;
mod paths;
mod request;

use proc_macro::TokenStream;

use attrs::AttrKind;

fn entry(kind: AttrKind, args: TokenStream, item: TokenStream) -> TokenStream {
    expand::handler(kind, args.into(), item.into()).into()
}

/// Run the function when every flag is set (alias of `when_all`).
#[proc_macro_attribute]
pub fn when(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(AttrKind::When, args, item)
}

/// Run the function when every flag is set.
#[proc_macro_attribute]
pub fn when_all(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(AttrKind::WhenAll, args, item)
}

/// Run the function when at least one flag is set.
#[proc_macro_attribute]
pub fn when_any(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(AttrKind::WhenAny, args, item)
}

/// Run the function when no flag is set (alias of `when_none`).
#[proc_macro_attribute]
pub fn when_not(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(AttrKind::WhenNot, args, item)
}

/// Run the function when no flag is set.
#[proc_macro_attribute]
pub fn when_none(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(AttrKind::WhenNone, args, item)
}

/// Run the function when at least one flag is not set.
#[proc_macro_attribute]
pub fn when_not_all(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(AttrKind::WhenNotAll, args, item)
}

/// Run the function in the hooks phase when the current hook matches a
/// pattern (`db-relation-{joined,changed}`, `{requires:mysql}-relation-joined`).
#[proc_macro_attribute]
pub fn hook(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(AttrKind::Hook, args, item)
}

/// Run the function when a file's content changed since last seen.
#[proc_macro_attribute]
pub fn when_file_changed(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(AttrKind::WhenFileChanged, args, item)
}

/// Run the function only if it never ran on this unit.
#[proc_macro_attribute]
pub fn only_once(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(AttrKind::OnlyOnce, args, item)
}

/// Log a warning when the function is called while a listed flag is unset.
#[proc_macro_attribute]
pub fn not_unless(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(AttrKind::NotUnless, args, item)
}

/// Run the function in the `collect-metrics` hook (restricted mode).
#[proc_macro_attribute]
pub fn collect_metrics(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(AttrKind::CollectMetrics, args, item)
}

/// Run the function in the `meter-status-changed` hook (restricted mode).
#[proc_macro_attribute]
pub fn meter_status_changed(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(AttrKind::MeterStatusChanged, args, item)
}

/// Register an endpoint type and the handlers of its impl block:
/// `#[endpoint(interface = "http", role = "provides")]`. Handlers in the
/// block may use `{endpoint_name}` in their flags; they are registered once
/// per endpoint of the charm that this type serves.
#[proc_macro_attribute]
pub fn endpoint(args: TokenStream, item: TokenStream) -> TokenStream {
    endpoint::endpoint(args.into(), item.into()).into()
}

/// Derive `reactive_core::request::Request` for a struct of named fields,
/// with `#[request(response = ResponseType)]` naming its response type.
/// Also generates the `<Struct>Fields` (getters and setters on request
/// handles) and `<Struct>Finders` (`response_by_<field>` on requester
/// endpoints) traits.
#[proc_macro_derive(Request, attributes(request))]
pub fn derive_request(item: TokenStream) -> TokenStream {
    request::derive_request(item.into()).into()
}

/// Derive `reactive_core::request::Response` for a struct of named fields.
#[proc_macro_derive(Response)]
pub fn derive_response(item: TokenStream) -> TokenStream {
    request::derive_response(item.into()).into()
}
