//! A charm handler that takes an endpoint as a parameter
//! (`fn(&mut Context, &mut E)`, `fn(&E)`, …): which endpoint it is given.

use crate::endpoint::Endpoint;
use crate::handler::invoke::{signature, Handler, HandlerReturn};
use crate::handler::HandlerError;
use crate::Context;

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

impl<F, R, E> Handler<signature::MutContextRefEndpoint<E>> for F
where
    F: Fn(&mut Context, &E) -> R,
    R: HandlerReturn,
    E: Endpoint,
{
    fn call(&self, ctx: &mut Context) -> Result<(), HandlerError> {
        with_only_endpoint::<E>(ctx, |ctx, endpoint| self(ctx, endpoint).into_result())
    }
}

impl<F, R, E> Handler<signature::RefEndpointOnly<E>> for F
where
    F: Fn(&E) -> R,
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
    /// Several endpoints are of the type, and neither the handler's flags
    /// nor the hook name one of them: the parameter is ambiguous.
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
                "the handler takes a {type_name}, but several endpoints are of that type ({}) \
                 and neither its flags nor the hook name one of them; name the endpoint in a \
                 flag (`endpoint.<name>.joined`), or take the context and use \
                 `ctx.with_endpoint::<T, _>(name, ...)`",
                endpoints.join(", ")
            ),
        }
    }
}

impl std::error::Error for EndpointParamError {}

/// Lend the endpoint instance of type `E` the handler is about to `f`,
/// with the context: the only one of that type; else the one the handler's
/// flags name (`endpoint.<name>.…` or `<name>.…`); else the one whose
/// relation the hook is about.
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
        _ => match endpoint_the_handler_is_about(ctx, &names) {
            Some(name) => name,
            None => {
                return Err(Box::new(EndpointParamError::Ambiguous {
                    type_name,
                    endpoints: names,
                }))
            }
        },
    };
    ctx.with_endpoint::<E, _>(&name, |endpoint, ctx| f(ctx, endpoint))
        .unwrap_or_else(|| Err(Box::new(EndpointParamError::Missing { type_name })))
}

/// Among `candidates`, the one endpoint the running handler's flags name,
/// or else the endpoint of the hook's relation.
fn endpoint_the_handler_is_about(ctx: &Context, candidates: &[String]) -> Option<String> {
    if let Some(descriptor) = ctx.current_handler {
        let named = |name: &str| {
            descriptor
                .conditions
                .iter()
                .flat_map(|c| c.flags().iter())
                .any(|flag| {
                    let rest = flag.strip_prefix("endpoint.").unwrap_or(flag);
                    rest.strip_prefix(name)
                        .is_some_and(|after| after.is_empty() || after.starts_with('.'))
                })
        };
        let mut in_flags = candidates.iter().filter(|c| named(c));
        if let (Some(one), None) = (in_flags.next(), in_flags.next()) {
            return Some(one.clone());
        }
    }
    let relation = ctx.hook().relation.as_deref()?;
    candidates.iter().find(|c| *c == relation).cloned()
}
