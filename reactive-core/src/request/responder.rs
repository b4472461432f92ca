//! The responder side: an endpoint that reads the requests remote units
//! sent and answers them.

use serde_json::Value;

use super::error::RequestError;
use super::id::response_key;
use super::load::{received_malformed, received_requests};
use super::malformed::MalformedRequest;
use super::record::RequestRecord;
use super::Request;
use crate::endpoint::{AnyEndpoint, Endpoint};
use crate::handler::HandlerError;
use crate::log::LogLevel;
use crate::Context;

/// An endpoint that answers requests in the request/response pattern
/// (charms.reactive's `ResponderEndpoint`), its requests being of type
/// [`Request`](ResponderEndpoint::Request).
///
/// Implement it (one line: the request type) and name the same type in
/// `#[endpoint(..., responder = JobRequest)]`; the framework then manages,
/// at startup, after the endpoint's own flags (computed again only when
/// their inputs may have changed, see [the module documentation](super)):
/// * `endpoint.{endpoint_name}.has_requests`: some joined remote unit sent
///   a request;
/// * `endpoint.{endpoint_name}.new_requests`: some request has no response
///   from this unit yet.
///
/// Remote data is untrusted: a `request_<id>` whose id is not a canonical
/// lowercase UUID, whose value is not a JSON object carrying that same
/// `request_id`, or whose fields do not fit the request type, is left out
/// of [`all_requests`](Self::all_requests), and a warning naming the unit
/// and key is logged when the endpoint starts (the hook does not fail).
/// The requester waits for an answer to every request, so those with a
/// canonical id are listed by
/// [`malformed_requests`](Self::malformed_requests), counted by the flags
/// (`new_requests` while one is unanswered), and answered with
/// [`respond_to_malformed`](Self::respond_to_malformed).
///
/// ```
/// use reactive_core::prelude::*;
/// use reactive_core::endpoint::EndpointBase;
///
/// #[derive(Request)]
/// #[request(response = JobResponse)]
/// pub struct JobRequest {
///     pub job_name: String,
/// }
///
/// #[derive(Response)]
/// pub struct JobResponse {
///     pub success: bool,
///     pub reason: Option<String>,
/// }
///
/// pub struct JobsRequires {
///     base: EndpointBase,
/// }
///
/// impl Endpoint for JobsRequires {
///     fn from_base(base: EndpointBase) -> Self { JobsRequires { base } }
///     fn base(&self) -> &EndpointBase { &self.base }
///     fn base_mut(&mut self) -> &mut EndpointBase { &mut self.base }
/// }
///
/// impl ResponderEndpoint for JobsRequires {
///     type Request = JobRequest;
/// }
///
/// #[endpoint(interface = "jobs", role = "requires", responder = JobRequest)]
/// impl JobsRequires {
///     #[when("endpoint.{endpoint_name}.new_requests")]
///     fn answer(&mut self) -> Result<(), RequestError> {
///         for request in self.new_requests()? {
///             let success = !request.job_name.is_empty();
///             let reason = (!success).then(|| "job_name must be a non-empty string".to_string());
///             self.respond(&request, &JobResponse { success, reason })?;
///         }
///         Ok(())
///     }
/// }
/// # fn main() {}
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a responder endpoint",
    label = "needs `impl ResponderEndpoint for {Self}`",
    note = "an endpoint declared with `#[endpoint(..., responder = RequestType)]` must implement `ResponderEndpoint` with `type Request = RequestType;`"
)]
pub trait ResponderEndpoint: Endpoint {
    /// The type of the requests (a `#[derive(Request)]` struct).
    type Request: Request;

    /// Every valid request of every joined remote unit, ordered by request
    /// id (then relation and unit), each with this unit's response if it
    /// answered.
    fn all_requests(&self) -> Result<Vec<RequestRecord<Self::Request>>, RequestError> {
        received_requests(self.base(), &mut Vec::new())
    }

    /// The requests this unit has not answered yet (no `response_<id>` in
    /// its data on the request's relation).
    fn new_requests(&self) -> Result<Vec<RequestRecord<Self::Request>>, RequestError> {
        let mut requests = self.all_requests()?;
        requests.retain(|r| !r.has_response());
        Ok(requests)
    }

    /// The received request with this id (the first, should two units use
    /// the same id).
    fn get_request(
        &self,
        request_id: &str,
    ) -> Result<Option<RequestRecord<Self::Request>>, RequestError> {
        Ok(self
            .all_requests()?
            .into_iter()
            .find(|r| r.request_id == request_id))
    }

    /// Answer `request`: publish `response_<id>` in this unit's data on the
    /// request's relation, as one JSON object of all the response's fields
    /// (unset optional ones as `null`). Answering again replaces the
    /// response. Fails with [`RequestError::RespondToCreated`] for a
    /// request this side created.
    fn respond(
        &mut self,
        request: &RequestRecord<Self::Request>,
        response: &<Self::Request as Request>::Response,
    ) -> Result<(), RequestError> {
        if request.is_created() {
            return Err(RequestError::RespondToCreated {
                request_id: request.request_id.clone(),
            });
        }
        let object = super::Response::to_fields(response)?;
        let relation = self
            .relations_mut()
            .by_key_mut(&request.relation_id)
            .ok_or_else(|| RequestError::UnknownRelation {
                relation_id: request.relation_id.clone(),
            })?;
        relation
            .to_publish()?
            .set(&response_key(&request.request_id), Value::Object(object));
        Ok(())
    }

    /// The requests joined remote units sent under a canonical
    /// `request_<id>` key that cannot be read as
    /// [`Request`](ResponderEndpoint::Request), each with the reason (naming
    /// the field at fault) and whether this unit answered it.
    fn malformed_requests(&self) -> Result<Vec<MalformedRequest>, RequestError> {
        received_malformed::<Self::Request>(self.base())
    }

    /// Answer a malformed request (typically refusing it with its
    /// [`reason`](MalformedRequest::reason)): publish `response_<id>` on its
    /// relation, as [`respond`](Self::respond) does.
    fn respond_to_malformed(
        &mut self,
        request: &MalformedRequest,
        response: &<Self::Request as Request>::Response,
    ) -> Result<(), RequestError> {
        let object = super::Response::to_fields(response)?;
        let relation = self
            .relations_mut()
            .by_key_mut(&request.relation_id)
            .ok_or_else(|| RequestError::UnknownRelation {
                relation_id: request.relation_id.clone(),
            })?;
        relation
            .to_publish()?
            .set(&response_key(&request.request_id), Value::Object(object));
        Ok(())
    }

    /// Alias of [`respond`](Self::respond) (charms.reactive's
    /// `create_response`).
    fn create_response(
        &mut self,
        request: &RequestRecord<Self::Request>,
        response: &<Self::Request as Request>::Response,
    ) -> Result<(), RequestError> {
        self.respond(request, response)
    }
}

/// The responder pattern's flags (named by `#[endpoint(responder = ...)]`'s
/// generated code): load the requests, log what was skipped, toggle
/// `has_requests` and `new_requests` (malformed requests with a canonical
/// id count as requests, unanswered ones as new).
pub fn responder_flags<E, R>(
    endpoint: &mut dyn AnyEndpoint,
    ctx: &mut Context,
) -> Result<(), HandlerError>
where
    E: ResponderEndpoint<Request = R>,
    R: Request,
{
    let Some(endpoint) = endpoint.as_any().downcast_ref::<E>() else {
        return Err(format!(
            "the responder flags expected an endpoint of type {}",
            std::any::type_name::<E>()
        )
        .into());
    };
    let names = [
        endpoint.expand_name("endpoint.{endpoint_name}.has_requests"),
        endpoint.expand_name("endpoint.{endpoint_name}.new_requests"),
    ];
    if super::recompute::up_to_date(ctx, endpoint.base(), &names)? {
        return Ok(());
    }
    let mut warnings = Vec::new();
    let requests = received_requests::<R>(endpoint.base(), &mut warnings)?;
    for warning in &warnings {
        ctx.log(
            LogLevel::Warning,
            &format!("endpoint {}: {warning}", endpoint.endpoint_name()),
        );
    }
    let malformed = received_malformed::<R>(endpoint.base())?;
    let [first, second] = names;
    let values = [
        (first, !requests.is_empty() || !malformed.is_empty()),
        (
            second,
            requests.iter().any(|r| !r.has_response()) || malformed.iter().any(|m| !m.has_response),
        ),
    ];
    for (flag, set) in &values {
        ctx.toggle_flag(flag, *set);
    }
    super::recompute::remember(ctx, endpoint.base(), &values);
    Ok(())
}
