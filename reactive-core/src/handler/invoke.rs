//! Calling a handler function, whatever its supported signature.
//!
//! The macros emit, per handler, one non-capturing closure that calls
//! [`call_handler`]; everything type-directed happens here, where trait
//! bounds give rustc the chance to explain a wrong signature.

use std::error::Error;

use crate::endpoint::Endpoint;
use crate::registry::HandlerEntry;
use crate::Context;

/// The error a failed handler gives: any `std::error::Error`.
pub type HandlerError = Box<dyn Error + Send + Sync + 'static>;

/// The function a descriptor calls, given the context and the registry
/// entry being invoked (its id, and its endpoint instance for endpoint
/// handlers).
pub type HandlerFn = fn(&mut Context, &HandlerEntry) -> Result<(), HandlerError>;

/// What a handler may return: `()` or `Result<(), E>` for any error type.
#[diagnostic::on_unimplemented(
    message = "a handler must return `()` or `Result<(), E>`, not `{Self}`",
    label = "not a handler's return type",
    note = "`E` may be any type that implements `std::error::Error + Send + Sync + 'static`, \
            such as `Box<dyn std::error::Error + Send + Sync>`"
)]
pub trait HandlerReturn {
    /// Turn the return value into the dispatch loop's result.
    fn into_result(self) -> Result<(), HandlerError>;
}

impl HandlerReturn for () {
    fn into_result(self) -> Result<(), HandlerError> {
        Ok(())
    }
}

impl<E> HandlerReturn for Result<(), E>
where
    E: Into<HandlerError>,
{
    fn into_result(self) -> Result<(), HandlerError> {
        self.map_err(Into::into)
    }
}

/// Marker types telling apart the handler signatures.
pub mod signature {
    /// `fn()`.
    #[derive(Debug)]
    pub struct NoArgs;
    /// `fn(&mut Context)`.
    #[derive(Debug)]
    pub struct MutContext;
    /// `fn(&Context)`.
    #[derive(Debug)]
    pub struct RefContext;
    /// `fn(&mut Context, &mut E)` for an endpoint type `E`.
    #[derive(Debug)]
    pub struct MutContextEndpoint<E>(std::marker::PhantomData<E>);
    /// `fn(&mut E)` for an endpoint type `E`.
    #[derive(Debug)]
    pub struct EndpointOnly<E>(std::marker::PhantomData<E>);
}

/// A function that can serve as a handler.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a reactive handler",
    label = "a handler takes no parameter, `&mut Context`, `&Context`, or an endpoint",
    note = "a handler is `fn()`, `fn(&mut Context)`, `fn(&Context)`, `fn(&mut Context, &mut MyEndpoint)` or `fn(&mut MyEndpoint)`, returning `()` or `Result<(), E>`"
)]
pub trait Handler<Signature> {
    /// Call the handler.
    fn call(&self, ctx: &mut Context) -> Result<(), HandlerError>;
}

impl<F, R> Handler<signature::NoArgs> for F
where
    F: Fn() -> R,
    R: HandlerReturn,
{
    fn call(&self, _ctx: &mut Context) -> Result<(), HandlerError> {
        self().into_result()
    }
}

impl<F, R> Handler<signature::MutContext> for F
where
    F: Fn(&mut Context) -> R,
    R: HandlerReturn,
{
    fn call(&self, ctx: &mut Context) -> Result<(), HandlerError> {
        self(ctx).into_result()
    }
}

impl<F, R> Handler<signature::RefContext> for F
where
    F: Fn(&Context) -> R,
    R: HandlerReturn,
{
    fn call(&self, ctx: &mut Context) -> Result<(), HandlerError> {
        self(ctx).into_result()
    }
}

impl<F, R, E> Handler<signature::MutContextEndpoint<E>> for F
where
    F: Fn(&mut Context, &mut E) -> R,
    R: HandlerReturn,
    E: Endpoint,
{
    fn call(&self, ctx: &mut Context) -> Result<(), HandlerError> {
        with_only_endpoint::<E>(ctx, |ctx, endpoint| self(ctx, endpoint).into_result())
    }
}

impl<F, R, E> Handler<signature::EndpointOnly<E>> for F
where
    F: Fn(&mut E) -> R,
    R: HandlerReturn,
    E: Endpoint,
{
    fn call(&self, ctx: &mut Context) -> Result<(), HandlerError> {
        with_only_endpoint::<E>(ctx, |_, endpoint| self(endpoint).into_result())
    }
}

/// A handler's endpoint parameter cannot be given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointParamError {
    /// The charm has no instance of the type in this hook (its metadata
    /// declares no endpoint the type serves).
    Missing {
        /// The endpoint type.
        type_name: &'static str,
    },
    /// Several endpoints are of the type: the parameter is ambiguous.
    Ambiguous {
        /// The endpoint type.
        type_name: &'static str,
        /// The endpoints of that type.
        endpoints: Vec<String>,
    },
}

impl std::fmt::Display for EndpointParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EndpointParamError::Missing { type_name } => write!(
                f,
                "the handler takes a {type_name}, but no endpoint of the charm is of that type"
            ),
            EndpointParamError::Ambiguous {
                type_name,
                endpoints,
            } => write!(
                f,
                "the handler takes a {type_name}, but several endpoints are of that type ({}); \
                 take the context and use `ctx.with_endpoint::<T, _>(name, ...)` instead",
                endpoints.join(", ")
            ),
        }
    }
}

impl std::error::Error for EndpointParamError {}

/// Lend the one endpoint instance of type `E` to `f`, with the context.
fn with_only_endpoint<E: Endpoint>(
    ctx: &mut Context,
    f: impl FnOnce(&mut Context, &mut E) -> Result<(), HandlerError>,
) -> Result<(), HandlerError> {
    let type_name = std::any::type_name::<E>();
    let names: Vec<String> = ctx
        .endpoint_names()
        .into_iter()
        .filter(|name| ctx.endpoint::<E>(name).is_some())
        .collect();
    let name = match names.as_slice() {
        [one] => one.clone(),
        [] => return Err(Box::new(EndpointParamError::Missing { type_name })),
        _ => {
            return Err(Box::new(EndpointParamError::Ambiguous {
                type_name,
                endpoints: names,
            }))
        }
    };
    ctx.with_endpoint::<E, _>(&name, |endpoint, ctx| f(ctx, endpoint))
        .unwrap_or_else(|| Err(Box::new(EndpointParamError::Missing { type_name })))
}

/// Call `handler` with the context (used by generated code).
#[doc(hidden)]
pub fn call_handler<S, H: Handler<S>>(handler: H, ctx: &mut Context) -> Result<(), HandlerError> {
    handler.call(ctx)
}
