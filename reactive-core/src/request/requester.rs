//! The requester side: an endpoint that publishes requests and reads the
//! responses.

use serde_json::Value;

use super::error::RequestError;
use super::handle::RequestMut;
use super::id::{new_request_id, request_key};
use super::load::{created_requests, parse_request, sort};
use super::record::{RequestRecord, ResponseRecord};
use super::Request;
use crate::endpoint::{AnyEndpoint, Endpoint};
use crate::handler::HandlerError;
use crate::log::LogLevel;
use crate::Context;

/// The response type of a requester endpoint's requests.
pub type ResponseOf<E> = <<E as RequesterEndpoint>::Request as Request>::Response;

/// An endpoint that creates requests in the request/response pattern
/// (charms.reactive's `RequesterEndpoint`), its requests being of type
/// [`Request`](RequesterEndpoint::Request).
///
/// Implement it (one line: the request type) and name the same type in
/// `#[endpoint(..., requester = JobRequest)]`; the framework then manages,
/// at startup, after the endpoint's own flags (computed again only when
/// their inputs may have changed, see [the module documentation](super)):
/// * `endpoint.{endpoint_name}.has_responses`: some request has a
///   response;
/// * `endpoint.{endpoint_name}.all_responses`: every request has a response
///   (so also when there is no request at all).
///
/// A request created by a handler shows in these flags from the next hook
/// on. Requests are read from relation data whenever asked for, never
/// cached, so what a method returns always agrees with what was written.
///
/// ```
/// use reactive_core::prelude::*;
/// use reactive_core::endpoint::EndpointBase;
///
/// #[derive(Request)]
/// #[request(response = JobResponse)]
/// pub struct JobRequest {
///     pub job_name: String,
///     pub job_data: serde_json::Value,
/// }
///
/// #[derive(Response)]
/// pub struct JobResponse {
///     pub success: bool,
///     pub reason: Option<String>,
/// }
///
/// pub struct JobsProvides {
///     base: EndpointBase,
/// }
///
/// impl Endpoint for JobsProvides {
///     fn from_base(base: EndpointBase) -> Self { JobsProvides { base } }
///     fn base(&self) -> &EndpointBase { &self.base }
///     fn base_mut(&mut self) -> &mut EndpointBase { &mut self.base }
/// }
///
/// impl RequesterEndpoint for JobsProvides {
///     type Request = JobRequest;
/// }
///
/// #[endpoint(interface = "jobs", role = "provides", requester = JobRequest)]
/// impl JobsProvides {
///     /// Ask for the job on every relation; calling again with the same
///     /// name updates the job instead of adding one.
///     pub fn register_job(
///         &mut self,
///         job_name: &str,
///         job_data: serde_json::Value,
///     ) -> Result<(), RequestError> {
///         let request = JobRequest { job_name: job_name.to_string(), job_data };
///         let relation_ids: Vec<String> =
///             self.relations().keys().into_iter().map(String::from).collect();
///         for relation_id in relation_ids {
///             self.create_or_update_request(&["job_name"], &relation_id, &request)?;
///         }
///         Ok(())
///     }
/// }
/// # fn main() {}
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a requester endpoint",
    label = "needs `impl RequesterEndpoint for {Self}`",
    note = "an endpoint declared with `#[endpoint(..., requester = RequestType)]` must implement `RequesterEndpoint` with `type Request = RequestType;`"
)]
pub trait RequesterEndpoint: Endpoint {
    /// The type of the requests (a `#[derive(Request)]` struct).
    type Request: Request;

    /// Create a request on relation `relation_id` and publish it under
    /// `request_<id>`, as one JSON object of all its fields (unset optional
    /// ones as `null`) plus `request_id`, a new UUID v4. Returns the id.
    fn create_request(
        &mut self,
        relation_id: &str,
        request: &Self::Request,
    ) -> Result<String, RequestError> {
        let mut object = request.to_fields()?;
        let request_id = new_request_id();
        object.insert("request_id".to_string(), Value::String(request_id.clone()));
        let relation = self
            .relations_mut()
            .by_key_mut(relation_id)
            .ok_or_else(|| RequestError::UnknownRelation {
                relation_id: relation_id.to_string(),
            })?;
        relation
            .to_publish()?
            .set(&request_key(&request_id), Value::Object(object));
        self.base_mut().note_created_request(&request_id);
        Ok(request_id)
    }

    /// Update the first request (in creation order, as
    /// [`find_request`](Self::find_request)) on relation `relation_id` whose
    /// `match_fields` equal those of `request`, setting all its fields to
    /// `request`'s; create one when none matches. Returns the request's
    /// id. Calling it again with the same values for `match_fields` never
    /// duplicates a request; a request on another relation is never
    /// touched (charms.reactive, which ignores the relation here, would
    /// update it).
    fn create_or_update_request(
        &mut self,
        match_fields: &[&str],
        relation_id: &str,
        request: &Self::Request,
    ) -> Result<String, RequestError> {
        if !self.relations().contains_key(relation_id) {
            return Err(RequestError::UnknownRelation {
                relation_id: relation_id.to_string(),
            });
        }
        let object = request.to_fields()?;
        let mut wanted = Vec::with_capacity(match_fields.len());
        for name in match_fields {
            if !<Self::Request as Request>::FIELDS.contains(name) {
                return Err(RequestError::UnknownField {
                    type_name: std::any::type_name::<Self::Request>(),
                    field: name.to_string(),
                });
            }
            wanted.push((*name, object.get(*name).cloned().unwrap_or(Value::Null)));
        }
        match self.find_request(Some(relation_id), &wanted)? {
            Some(found) => {
                self.request_mut(found.request_id())?.update(request)?;
                Ok(found.request_id)
            }
            None => self.create_request(relation_id, request),
        }
    }

    /// A request this side created, open for changes. Fails with
    /// [`RequestError::ReceivedRequest`] when the id is that of a request a
    /// remote unit sent, [`RequestError::NotFound`] when no request has it.
    fn request_mut(
        &mut self,
        request_id: &str,
    ) -> Result<RequestMut<'_, Self::Request>, RequestError> {
        let key = request_key(request_id);
        let mut position = None;
        for (index, relation) in self.relations().iter().enumerate() {
            if relation.published()?.contains_key(&key) {
                position = Some(index);
                break;
            }
        }
        let Some(index) = position else {
            return Err(not_created(self, request_id, &key)?);
        };
        let relation =
            self.relations_mut()
                .get_mut(index)
                .ok_or_else(|| RequestError::NotFound {
                    request_id: request_id.to_string(),
                })?;
        let relation_id = relation.relation_id().to_string();
        let data = relation.to_publish()?;
        let raw = data.get_raw(&key).unwrap_or_default();
        let parsed = match parse_request::<Self::Request>(&key, raw) {
            Some(Ok(parsed)) => parsed,
            Some(Err(reason)) => return Err(RequestError::Malformed { key, reason }),
            None => {
                return Err(RequestError::NotFound {
                    request_id: request_id.to_string(),
                })
            }
        };
        Ok(RequestMut {
            data,
            relation_id,
            request_id: parsed.request_id,
            key,
            object: parsed.object,
            fields: parsed.fields,
        })
    }

    /// Withdraw a request this side created: its key is removed from the
    /// relation (published as an empty value), so a charm can retract a job
    /// it no longer wants (charms.reactive has no way to do this). Fails as
    /// [`request_mut`](Self::request_mut) does.
    fn withdraw_request(&mut self, request_id: &str) -> Result<(), RequestError> {
        let key = request_key(request_id);
        let mut position = None;
        for (index, relation) in self.relations().iter().enumerate() {
            if relation.published()?.contains_key(&key) {
                position = Some(index);
                break;
            }
        }
        let Some(index) = position else {
            return Err(not_created(self, request_id, &key)?);
        };
        if let Some(relation) = self.relations_mut().get_mut(index) {
            relation.to_publish()?.remove(&key);
        }
        Ok(())
    }

    /// Every request this side created, on every relation, ordered by
    /// request id, each with its response if one arrived.
    fn requests(&self) -> Result<Vec<RequestRecord<Self::Request>>, RequestError> {
        let mut requests = self.requests_in_creation_order()?;
        sort(&mut requests);
        Ok(requests)
    }

    /// Every request this side created, in creation order: those read
    /// from the relations (relation by relation, each by request id), then
    /// those created in this hook, in the order they were (charms.reactive's
    /// request cache; `find_request` and `find_all_requests` search it in
    /// this order).
    fn requests_in_creation_order(
        &self,
    ) -> Result<Vec<RequestRecord<Self::Request>>, RequestError> {
        created_requests(self.base(), &mut Vec::new())
    }

    /// Alias of [`requests`](Self::requests) (charms.reactive's
    /// `BaseRequest.get_all`).
    fn get_all_requests(&self) -> Result<Vec<RequestRecord<Self::Request>>, RequestError> {
        self.requests()
    }

    /// The request with this id.
    fn get_request(
        &self,
        request_id: &str,
    ) -> Result<Option<RequestRecord<Self::Request>>, RequestError> {
        Ok(self
            .requests()?
            .into_iter()
            .find(|r| r.request_id == request_id))
    }

    /// The first request, in [creation
    /// order](Self::requests_in_creation_order), whose fields equal the
    /// given JSON values (`request_id` may be matched too; a field a request
    /// lacks reads as `null`), on relation `relation_id` when given, else on
    /// any.
    fn find_request(
        &self,
        relation_id: Option<&str>,
        fields: &[(&str, Value)],
    ) -> Result<Option<RequestRecord<Self::Request>>, RequestError> {
        Ok(self
            .requests_in_creation_order()?
            .into_iter()
            .find(|r| relation_id.is_none_or(|rid| r.relation_id == rid) && r.matches(fields)))
    }

    /// Every request whose fields equal the given JSON values, in
    /// [creation order](Self::requests_in_creation_order).
    fn find_all_requests(
        &self,
        fields: &[(&str, Value)],
    ) -> Result<Vec<RequestRecord<Self::Request>>, RequestError> {
        let mut requests = self.requests_in_creation_order()?;
        requests.retain(|r| r.matches(fields));
        Ok(requests)
    }

    /// Every response received, in the order of the requests' ids: for
    /// each request, the answer of the first remote unit (by name) on its
    /// relation that published a valid `response_<id>`.
    fn responses(&self) -> Result<Vec<ResponseRecord<ResponseOf<Self>>>, RequestError> {
        Ok(self
            .requests()?
            .into_iter()
            .filter_map(|r| r.response)
            .collect())
    }

    /// The response to the request [`find_request`](Self::find_request)
    /// finds, if it has one. `#[derive(Request)]` generates typed
    /// shorthands, `response_by_<field>(value, relation_id)`, in the
    /// `<Struct>Finders` trait.
    fn response_by_field(
        &self,
        relation_id: Option<&str>,
        fields: &[(&str, Value)],
    ) -> Result<Option<ResponseRecord<ResponseOf<Self>>>, RequestError> {
        Ok(self
            .find_request(relation_id, fields)?
            .and_then(|r| r.response))
    }
}

/// Why `request_id` is not among this side's requests: a remote unit sent
/// it, or nobody did.
fn not_created<E: Endpoint + ?Sized>(
    endpoint: &E,
    request_id: &str,
    key: &str,
) -> Result<RequestError, RequestError> {
    for unit in endpoint.all_joined_units().iter() {
        if unit.received_raw()?.contains_key(key) {
            return Ok(RequestError::ReceivedRequest {
                request_id: request_id.to_string(),
            });
        }
    }
    Ok(RequestError::NotFound {
        request_id: request_id.to_string(),
    })
}

/// The requester pattern's flags (named by `#[endpoint(requester = ...)]`'s
/// generated code): load the requests, log what was skipped, toggle
/// `has_responses` and `all_responses`.
pub fn requester_flags<E, R>(
    endpoint: &mut dyn AnyEndpoint,
    ctx: &mut Context,
) -> Result<(), HandlerError>
where
    E: RequesterEndpoint<Request = R>,
    R: Request,
{
    let Some(endpoint) = endpoint.as_any().downcast_ref::<E>() else {
        return Err(format!(
            "the requester flags expected an endpoint of type {}",
            std::any::type_name::<E>()
        )
        .into());
    };
    let names = [
        endpoint.expand_name("endpoint.{endpoint_name}.has_responses"),
        endpoint.expand_name("endpoint.{endpoint_name}.all_responses"),
    ];
    if super::recompute::up_to_date(ctx, endpoint.base(), &names)? {
        return Ok(());
    }
    let mut warnings = Vec::new();
    let requests = created_requests::<R>(endpoint.base(), &mut warnings)?;
    for warning in &warnings {
        ctx.log(
            LogLevel::Warning,
            &format!("endpoint {}: {warning}", endpoint.endpoint_name()),
        );
    }
    let [first, second] = names;
    let values = [
        (first, requests.iter().any(|r| r.has_response())),
        (second, requests.iter().all(|r| r.has_response())),
    ];
    for (flag, set) in &values {
        ctx.toggle_flag(flag, *set);
    }
    super::recompute::remember(ctx, endpoint.base(), &values);
    Ok(())
}
