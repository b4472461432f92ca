//! Endpoints: interface layers in Rust.
//!
//! An endpoint type implements one relation interface for one role. It is
//! declared with [`Endpoint`] and registered with `#[endpoint(...)]` on an
//! impl block holding its handlers:
//!
//! ```
//! use reactive_core::prelude::*;
//! use reactive_core::endpoint::EndpointBase;
//!
//! #[derive(Default)]
//! pub struct HttpProvides {
//!     base: EndpointBase,
//! }
//!
//! impl Endpoint for HttpProvides {
//!     fn from_base(base: EndpointBase) -> Self {
//!         HttpProvides { base }
//!     }
//!     fn base(&self) -> &EndpointBase {
//!         &self.base
//!     }
//!     fn base_mut(&mut self) -> &mut EndpointBase {
//!         &mut self.base
//!     }
//! }
//!
//! #[endpoint(interface = "http", role = "provides")]
//! impl HttpProvides {
//!     #[when("endpoint.{endpoint_name}.joined")]
//!     fn joined(&mut self, ctx: &mut Context) {
//!         ctx.set_flag(&self.expand_name("{endpoint_name}.available"));
//!     }
//! }
//! # fn main() {}
//! ```
//!
//! At startup the runtime reads the charm's `metadata.yaml` and makes one
//! instance per relation endpoint whose role and interface match, named by
//! that endpoint (one type can serve several endpoints). Handlers whose
//! flags use `{endpoint_name}` are registered once per instance, with the
//! name expanded, and receive their instance as `&self` / `&mut self`.
//!
//! The framework manages these flags for each instance, at startup, in
//! this order:
//! 1. in `<endpoint>-relation-departed`: the departing unit is added to
//!    [`all_departed_units`](Endpoint::all_departed_units), and its relation
//!    dropped from [`relations`](Endpoint::relations) when no unit is left;
//! 2. `endpoint.<name>.joined` follows [`is_joined`](Endpoint::is_joined);
//! 3. `endpoint.<name>.departed` is set in the departed hook, and cleared in
//!    a later hook that finds the endpoint joined;
//! 4. unless the endpoint was already joined and the hook is not one of its
//!    relation hooks (which saves hook-tool calls; step 5 is skipped too):
//!    `endpoint.<name>.changed` and `endpoint.<name>.changed.<key>` for every
//!    received key whose value changed since last seen, over the units
//!    read in this hook (every unit when the endpoint was not joined);
//! 5. the type's own [`manage_flags`](Endpoint::manage_flags).
//!
//! `changed` and `changed.<key>` are never cleared by the framework: the
//! handler that deals with a change clears them.
//!
//! Remote data comes from the relation-data snapshot kept in the unit
//! state: a relation hook re-reads only the unit or application it is
//! about, and every other bag is the one last read (see [`snapshot`] for
//! the rule, and [`RelationDataMode`] for reading everything fresh). The
//! relations and their remote units are kept likewise, and listed with
//! `relation-ids` and `relation-list` only in the hooks that change them
//! (see [`membership`]).

mod base;
mod data;
mod departed;
mod key_list;
pub mod membership;
mod param;
mod relation;
pub mod request_index;
pub mod snapshot;
mod unit;

use std::any::Any;

pub use base::{expand_name, EndpointBase};
pub use data::{DataView, PublishData};
pub use departed::{departed_key, DepartedUnits};
pub use key_list::{KeyList, Keyed};
pub use param::EndpointParamError;
pub(crate) use relation::relation_order;
pub use relation::{Relation, RelationDataError};
pub use snapshot::RelationDataMode;
pub use unit::{CombinedUnits, RelatedUnit};

use crate::handler::HandlerEntry;
use crate::handler::HandlerError;
use crate::Context;

/// An endpoint type: the Rust counterpart of a charms.reactive `Endpoint`
/// subclass. Implement the three required methods (usually over a field
/// holding the [`EndpointBase`]); override [`register_triggers`] and
/// [`manage_flags`] as needed; register with `#[endpoint(...)]`.
///
/// [`register_triggers`]: Endpoint::register_triggers
/// [`manage_flags`]: Endpoint::manage_flags
pub trait Endpoint: Any + Send {
    /// Make an instance around its base (called once per hook per
    /// endpoint, at startup).
    fn from_base(base: EndpointBase) -> Self
    where
        Self: Sized;

    /// The framework-managed part.
    fn base(&self) -> &EndpointBase;

    /// The framework-managed part, mutably.
    fn base_mut(&mut self) -> &mut EndpointBase;

    /// Register triggers for this hook; called at startup before the
    /// automatic flags are updated, so the triggers see those changes.
    fn register_triggers(&mut self, _ctx: &mut Context) {}

    /// Manage the type's own flags; called at startup after the automatic
    /// flags (see the [module documentation](self) for when it is skipped).
    fn manage_flags(&mut self, _ctx: &mut Context) -> Result<(), HandlerError> {
        Ok(())
    }

    /// The endpoint's name.
    fn endpoint_name(&self) -> &str {
        self.base().endpoint_name()
    }

    /// The endpoint's relations (see [`EndpointBase::relations`]).
    fn relations(&self) -> &KeyList<Relation> {
        self.base().relations()
    }

    /// The relations, mutably.
    fn relations_mut(&mut self) -> &mut KeyList<Relation> {
        self.base_mut().relations_mut()
    }

    /// Whether any remote unit joined.
    fn is_joined(&self) -> bool {
        self.base().is_joined()
    }

    /// Deprecated alias of [`Endpoint::is_joined`].
    #[deprecated(note = "use is_joined")]
    fn joined(&self) -> bool {
        self.is_joined()
    }

    /// Every joined unit (see [`EndpointBase::all_joined_units`]).
    fn all_joined_units(&self) -> CombinedUnits<'_> {
        self.base().all_joined_units()
    }

    /// Deprecated alias of [`Endpoint::all_joined_units`].
    #[deprecated(note = "use all_joined_units")]
    fn all_units(&self) -> CombinedUnits<'_> {
        self.all_joined_units()
    }

    /// The departed units.
    fn all_departed_units(&self) -> &DepartedUnits {
        self.base().all_departed_units()
    }

    /// The departed units, mutably.
    fn all_departed_units_mut(&mut self) -> &mut DepartedUnits {
        self.base_mut().all_departed_units_mut()
    }

    /// Complete a flag name for this endpoint (see
    /// [`EndpointBase::expand_name`]).
    fn expand_name(&self, flag: &str) -> String {
        self.base().expand_name(flag)
    }
}

/// An endpoint instance of any type (what the context holds).
pub trait AnyEndpoint: Send {
    /// The framework-managed part.
    fn base(&self) -> &EndpointBase;
    /// The framework-managed part, mutably.
    fn base_mut(&mut self) -> &mut EndpointBase;
    /// See [`Endpoint::register_triggers`].
    fn register_triggers(&mut self, ctx: &mut Context);
    /// See [`Endpoint::manage_flags`].
    fn manage_flags(&mut self, ctx: &mut Context) -> Result<(), HandlerError>;
    /// For downcasting to the concrete type.
    fn as_any(&self) -> &dyn Any;
    /// For downcasting to the concrete type.
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: Endpoint> AnyEndpoint for T {
    fn base(&self) -> &EndpointBase {
        Endpoint::base(self)
    }
    fn base_mut(&mut self) -> &mut EndpointBase {
        Endpoint::base_mut(self)
    }
    fn register_triggers(&mut self, ctx: &mut Context) {
        Endpoint::register_triggers(self, ctx)
    }
    fn manage_flags(&mut self, ctx: &mut Context) -> Result<(), HandlerError> {
        Endpoint::manage_flags(self, ctx)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

pub use crate::handler::EndpointRef;

/// The function computing a pattern's flags for an endpoint instance.
pub type PatternFlagsFn = fn(&mut dyn AnyEndpoint, &mut Context) -> Result<(), HandlerError>;

/// A registered endpoint type (submitted by `#[endpoint(...)]`).
#[derive(Debug, Clone, Copy)]
pub struct EndpointDescriptor {
    /// What it serves.
    pub serves: &'static EndpointRef,
    /// `module_path!()` of the impl block.
    pub module_path: &'static str,
    /// Make an instance.
    pub create: fn(EndpointBase) -> Box<dyn AnyEndpoint>,
    /// The request/response pattern's flags, when the type uses it.
    pub pattern_flags: Option<PatternFlagsFn>,
}

inventory::collect!(EndpointDescriptor);

/// Make a boxed instance of `T` (used by generated code).
#[doc(hidden)]
pub fn create_instance<T: Endpoint>(base: EndpointBase) -> Box<dyn AnyEndpoint> {
    Box::new(T::from_base(base))
}

/// Marker types telling apart endpoint handler signatures.
pub mod signature {
    /// `fn(&mut self, &mut Context)`.
    #[derive(Debug)]
    pub struct MutSelfMutCtx;
    /// `fn(&self, &mut Context)`.
    #[derive(Debug)]
    pub struct RefSelfMutCtx;
    /// `fn(&mut self, &Context)`.
    #[derive(Debug)]
    pub struct MutSelfRefCtx;
    /// `fn(&self, &Context)`.
    #[derive(Debug)]
    pub struct RefSelfRefCtx;
    /// `fn(&mut self)`.
    #[derive(Debug)]
    pub struct MutSelf;
    /// `fn(&self)`.
    #[derive(Debug)]
    pub struct RefSelf;
}

/// A method that can serve as an endpoint handler.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an endpoint handler",
    label = "unsupported endpoint handler signature",
    note = "an endpoint handler takes `&self` or `&mut self`, then optionally `&mut Context` or `&Context`, and returns `()` or `Result<(), E>`"
)]
pub trait EndpointHandler<T, Signature> {
    /// Call the handler on `endpoint`.
    fn call(&self, endpoint: &mut T, ctx: &mut Context) -> Result<(), HandlerError>;
}

macro_rules! endpoint_handler_impl {
    ($marker:ident, |$f:ident, $ep:ident, $ctx:ident| $call:expr, $($bound:tt)*) => {
        impl<T, F, R> EndpointHandler<T, signature::$marker> for F
        where
            F: $($bound)*,
            R: crate::handler::HandlerReturn,
        {
            fn call(&self, $ep: &mut T, $ctx: &mut Context) -> Result<(), HandlerError> {
                let $f = self;
                crate::handler::HandlerReturn::into_result($call)
            }
        }
    };
}

endpoint_handler_impl!(MutSelfMutCtx, |f, ep, ctx| f(ep, ctx), Fn(&mut T, &mut Context) -> R);
endpoint_handler_impl!(RefSelfMutCtx, |f, ep, ctx| f(ep, ctx), Fn(&T, &mut Context) -> R);
endpoint_handler_impl!(MutSelfRefCtx, |f, ep, ctx| f(ep, ctx), Fn(&mut T, &Context) -> R);
endpoint_handler_impl!(RefSelfRefCtx, |f, ep, ctx| f(ep, ctx), Fn(&T, &Context) -> R);
endpoint_handler_impl!(MutSelf, |f, ep, _ctx| f(ep), Fn(&mut T) -> R);
endpoint_handler_impl!(RefSelf, |f, ep, _ctx| f(ep), Fn(&T) -> R);

/// Why an endpoint handler could not be given its instance.
#[derive(Debug)]
pub struct MissingEndpoint {
    /// The endpoint name.
    pub endpoint: String,
    /// The type wanted.
    pub type_name: &'static str,
}

impl std::fmt::Display for MissingEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "no endpoint instance `{}` of type {} in this hook",
            self.endpoint, self.type_name
        )
    }
}

impl std::error::Error for MissingEndpoint {}

/// Call an endpoint handler with its instance (used by generated code).
#[doc(hidden)]
pub fn call_endpoint_handler<T: Endpoint, S, H: EndpointHandler<T, S>>(
    handler: H,
    ctx: &mut Context,
    entry: &HandlerEntry,
) -> Result<(), HandlerError> {
    let name = entry.endpoint().unwrap_or_default();
    let missing = || MissingEndpoint {
        endpoint: name.to_string(),
        type_name: std::any::type_name::<T>(),
    };
    let Some(mut instance) = ctx.take_endpoint(name) else {
        return Err(Box::new(missing()));
    };
    let result = match instance.as_any_mut().downcast_mut::<T>() {
        Some(endpoint) => handler.call(endpoint, ctx),
        None => Err(Box::new(missing()) as HandlerError),
    };
    ctx.put_endpoint(name, instance);
    result
}
