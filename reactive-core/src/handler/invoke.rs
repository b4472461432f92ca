//! Calling a handler function, whatever its supported signature.
//!
//! The macros emit, per handler, one non-capturing closure that calls
//! [`call_handler`]; everything type-directed happens here, where trait
//! bounds give rustc the chance to explain a wrong signature.

use std::error::Error;

use super::HandlerEntry;
use crate::Context;

/// The error a failed handler gives: any `std::error::Error`.
pub type HandlerError = Box<dyn Error + Send + Sync + 'static>;

/// What a handler that can fail returns: `?` turns any error into it.
///
/// ```
/// use reactive_core::prelude::*;
///
/// #[when("app.ready")]
/// fn write_config(ctx: &mut Context) -> HandlerResult {
///     let port: u16 = "8080".parse()?;
///     ctx.set_flag_value("app.port", port);
///     Ok(())
/// }
/// # fn main() {}
/// ```
pub type HandlerResult = Result<(), HandlerError>;

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
    /// `fn(&mut Context, &E)` for an endpoint type `E`.
    #[derive(Debug)]
    pub struct MutContextRefEndpoint<E>(std::marker::PhantomData<E>);
    /// `fn(&E)` for an endpoint type `E`.
    #[derive(Debug)]
    pub struct RefEndpointOnly<E>(std::marker::PhantomData<E>);
}

/// A function that can serve as a handler.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a reactive handler",
    label = "a handler takes no parameter, `&mut Context`, `&Context`, or an endpoint",
    note = "a handler is `fn()`, `fn(&mut Context)`, `fn(&Context)`, `fn(&mut Context, &mut MyEndpoint)`, `fn(&mut Context, &MyEndpoint)`, `fn(&mut MyEndpoint)` or `fn(&MyEndpoint)`, returning `()` or `Result<(), E>`"
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

/// Call `handler` with the context (used by generated code).
#[doc(hidden)]
pub fn call_handler<S, H: Handler<S>>(handler: H, ctx: &mut Context) -> Result<(), HandlerError> {
    handler.call(ctx)
}
