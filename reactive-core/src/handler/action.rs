//! Calling an `#[action]` handler, whatever its supported signature: no
//! parameter, the context, or the context and the action's parameters as
//! a typed value (read with `action-get` and deserialized).

use serde::de::DeserializeOwned;

use super::invoke::{signature, HandlerError, HandlerReturn};
use crate::Context;

/// Marker types of the action handler signatures that take parameters
/// (the others share [`signature`]'s markers).
pub mod action_signature {
    /// `fn(&mut Context, P)`.
    #[derive(Debug)]
    pub struct MutContextParams<P>(std::marker::PhantomData<P>);
    /// `fn(&Context, P)`.
    #[derive(Debug)]
    pub struct RefContextParams<P>(std::marker::PhantomData<P>);
}

/// A function that can serve as an action handler.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an action handler",
    label = "an action handler takes `&mut Context` or `&Context`, then optionally its parameters",
    note = "an action handler is `fn()`, `fn(&mut Context)`, `fn(&Context)`, `fn(&mut Context, P)` or `fn(&Context, P)` where `P: serde::Deserialize` holds the action's parameters, returning `()` or `Result<(), E>`"
)]
pub trait ActionHandler<Signature> {
    /// Call the handler.
    fn call(&self, ctx: &mut Context) -> Result<(), HandlerError>;
}

impl<F, R> ActionHandler<signature::NoArgs> for F
where
    F: Fn() -> R,
    R: HandlerReturn,
{
    fn call(&self, _ctx: &mut Context) -> Result<(), HandlerError> {
        self().into_result()
    }
}

impl<F, R> ActionHandler<signature::MutContext> for F
where
    F: Fn(&mut Context) -> R,
    R: HandlerReturn,
{
    fn call(&self, ctx: &mut Context) -> Result<(), HandlerError> {
        self(ctx).into_result()
    }
}

impl<F, R> ActionHandler<signature::RefContext> for F
where
    F: Fn(&Context) -> R,
    R: HandlerReturn,
{
    fn call(&self, ctx: &mut Context) -> Result<(), HandlerError> {
        self(ctx).into_result()
    }
}

impl<F, R, P> ActionHandler<action_signature::MutContextParams<P>> for F
where
    F: Fn(&mut Context, P) -> R,
    R: HandlerReturn,
    P: DeserializeOwned,
{
    fn call(&self, ctx: &mut Context) -> Result<(), HandlerError> {
        let params = ctx.action_params::<P>()?;
        self(ctx, params).into_result()
    }
}

impl<F, R, P> ActionHandler<action_signature::RefContextParams<P>> for F
where
    F: Fn(&Context, P) -> R,
    R: HandlerReturn,
    P: DeserializeOwned,
{
    fn call(&self, ctx: &mut Context) -> Result<(), HandlerError> {
        let params = ctx.action_params::<P>()?;
        self(ctx, params).into_result()
    }
}

/// Call the action handler `handler` with the context (used by generated
/// code).
#[doc(hidden)]
pub fn call_action_handler<S, H: ActionHandler<S>>(
    handler: H,
    ctx: &mut Context,
) -> Result<(), HandlerError> {
    handler.call(ctx)
}
