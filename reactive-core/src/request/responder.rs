//! The responder side: an endpoint that reads the requests remote units
//! sent and answers them.

use std::collections::BTreeSet;

use serde_json::Value;

use super::error::RequestError;
use super::id::response_key;
use super::id::{is_canonical_request_id, REQUEST_PREFIX};
use super::load::{
    classify, parse_response, received_malformed, received_malformed_from, received_requests,
    received_requests_from,
};
use super::malformed::MalformedRequest;
use super::received_ids::ReceivedIds;
use super::record::RequestRecord;
use super::Request;
use crate::endpoint::request_index::{request_index_key, IdState};
use crate::endpoint::{AnyEndpoint, Endpoint, EndpointBase, RelatedUnit, RelationDataMode};
use crate::handler::HandlerError;
use crate::log::LogLevel;
use crate::tools::ToolError;
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
    ///
    /// Only the units holding such a request are read and decoded (see
    /// [the request index](crate::endpoint::request_index)).
    fn new_requests(&self) -> Result<Vec<RequestRecord<Self::Request>>, RequestError> {
        let base = self.base();
        let Some(indexed) = base.indexed_requests(None)? else {
            let mut requests = self.all_requests()?;
            requests.retain(|r| !r.has_response());
            return Ok(requests);
        };
        let mut units = Vec::new();
        for (unit, requests) in &indexed {
            for (id, state) in requests.iter() {
                if state.valid && !is_answered::<Self::Request>(base, unit, id, state, None)? {
                    units.push(*unit);
                    break;
                }
            }
        }
        let mut requests: Vec<RequestRecord<Self::Request>> =
            received_requests_from(base, units, &mut Vec::new())?;
        requests.retain(|r| !r.has_response());
        Ok(requests)
    }

    /// The valid requests whose data changed in this hook: those whose
    /// `request_<id>` key the endpoint found changed when the hook started
    /// (the keys that set `endpoint.{endpoint_name}.changed.request_<id>`),
    /// ordered by request id, each with this unit's response if it
    /// answered.
    ///
    /// Only the units that sent them are read, so a handler of
    /// `endpoint.{endpoint_name}.changed` that clears that flag can judge
    /// each updated request once, in the hook that brings the update,
    /// without reading every request. Changes brought by earlier hooks are
    /// not included: a handler that may run hooks after the change should
    /// use [`all_requests`](Self::all_requests).
    fn changed_requests(&self) -> Result<Vec<RequestRecord<Self::Request>>, RequestError> {
        let base = self.base();
        let changed: BTreeSet<(&str, &str, &str)> = base
            .changed_keys()
            .iter()
            .filter_map(|(rid, unit, key)| {
                Some((
                    rid.as_str(),
                    unit.as_str(),
                    key.strip_prefix(REQUEST_PREFIX)?,
                ))
            })
            .collect();
        if changed.is_empty() {
            return Ok(Vec::new());
        }
        let units = base.all_joined_units();
        let units = units.iter().filter(|u| {
            changed
                .range((u.relation_id(), u.unit_name(), "")..)
                .next()
                .is_some_and(|(rid, unit, _)| *rid == u.relation_id() && *unit == u.unit_name())
        });
        let mut requests: Vec<RequestRecord<Self::Request>> =
            received_requests_from(base, units, &mut Vec::new())?;
        requests.retain(|r| {
            changed.contains(&(
                r.relation_id.as_str(),
                r.unit_name().unwrap_or_default(),
                r.request_id.as_str(),
            ))
        });
        Ok(requests)
    }

    /// The received request with this id (the first, should two units use
    /// the same id). Only the units holding it are read.
    fn get_request(
        &self,
        request_id: &str,
    ) -> Result<Option<RequestRecord<Self::Request>>, RequestError> {
        let wanted = BTreeSet::from([request_id.to_string()]);
        Ok(self.requests_with_ids(&wanted)?.into_iter().next())
    }

    /// The valid received requests whose ids are in `request_ids`, ordered
    /// by request id (then relation and unit), each with this unit's
    /// response if it answered. Only the units holding them are read (see
    /// [the request index](crate::endpoint::request_index)).
    fn requests_with_ids(
        &self,
        request_ids: &BTreeSet<String>,
    ) -> Result<Vec<RequestRecord<Self::Request>>, RequestError> {
        if request_ids.is_empty() {
            return Ok(Vec::new());
        }
        let base = self.base();
        // A few ids (one, for `get_request`) are compared directly:
        // cheaper than a search of the set for each of a thousand units'
        // ids.
        let few: Vec<&str> = if request_ids.len() <= 4 {
            request_ids.iter().map(String::as_str).collect()
        } else {
            Vec::new()
        };
        let asked = |id: &str| {
            if few.is_empty() {
                request_ids.contains(id)
            } else {
                few.contains(&id)
            }
        };
        let mut requests: Vec<RequestRecord<Self::Request>> = match base.units_holding(asked)? {
            Some(units) => received_requests_from(base, units, &mut Vec::new())?,
            None => self.all_requests()?,
        };
        requests.retain(|r| request_ids.contains(&r.request_id));
        Ok(requests)
    }

    /// The id of every request the joined remote units sent under a
    /// canonical id, malformed ones included, sorted, each once. Read from
    /// [the request index](crate::endpoint::request_index): no request is
    /// decoded, and only the data of units read in this hook is looked at.
    fn received_request_ids(&self) -> Result<BTreeSet<String>, RequestError> {
        let base = self.base();
        let mut ids = BTreeSet::new();
        match base.indexed_requests(None)? {
            Some(indexed) => {
                // Gathered, then built in one go from the sorted list (a
                // thousand inserts into the tree cost twice as much).
                let mut all: Vec<&str> = indexed
                    .iter()
                    .flat_map(|(_, requests)| requests.ids())
                    .collect();
                all.sort_unstable();
                all.dedup();
                ids = all.into_iter().map(str::to_string).collect();
            }
            None => {
                for unit in base.all_joined_units().iter() {
                    for key in unit.received_raw()?.keys() {
                        if let Some(id) = key.strip_prefix(REQUEST_PREFIX) {
                            if is_canonical_request_id(id) {
                                ids.insert(id.to_string());
                            }
                        }
                    }
                }
            }
        }
        Ok(ids)
    }

    /// The same ids as [`received_request_ids`](Self::received_request_ids),
    /// unordered, for looking ids up: borrowed from [the request
    /// index](crate::endpoint::request_index) where it holds them (copied
    /// only for the units read in this hook), and hashed rather than
    /// sorted. A handler that checks which of a thousand jobs' requests
    /// are still received does it several times faster with this set.
    ///
    /// ```
    /// use reactive_core::request::ReceivedIds;
    ///
    /// // What a handler does with the set: keep the jobs still received.
    /// fn still_received<'a>(jobs: &[&'a str], received: &ReceivedIds<'_>) -> Vec<&'a str> {
    ///     jobs.iter().copied().filter(|id| received.contains(id)).collect()
    /// }
    /// let received: ReceivedIds<'_> = ["a", "b"].into_iter().collect();
    /// assert_eq!(still_received(&["a", "c"], &received), ["a"]);
    /// ```
    fn received_request_id_set(&self) -> Result<ReceivedIds<'_>, RequestError> {
        let base = self.base();
        match base.indexed_requests(None)? {
            Some(indexed) => {
                let mut ids = ReceivedIds::with_capacity(indexed.len());
                for (_, requests) in indexed {
                    requests.move_ids_into(&mut ids);
                }
                Ok(ids)
            }
            None => Ok(self.received_request_ids()?.into_iter().collect()),
        }
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
    ///
    /// Only the units holding such a request are read.
    fn malformed_requests(&self) -> Result<Vec<MalformedRequest>, RequestError> {
        let base = self.base();
        match base.indexed_requests(None)? {
            Some(indexed) => {
                let units = indexed
                    .iter()
                    .filter(|(_, requests)| requests.iter().any(|(_, state)| !state.valid))
                    .map(|(unit, _)| *unit);
                received_malformed_from::<Self::Request>(base, units)
            }
            None => received_malformed::<Self::Request>(base),
        }
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

/// Whether this unit answered request `id` of `unit`: as the request
/// index knows it (`state.answered`) unless this hook changed the answer;
/// else, for a request that reads as `R`, a response that reads as `R`'s
/// response type (a warning goes to `warnings` for one that does not), and
/// for a malformed request, any `response_<id>`.
fn is_answered<R: Request>(
    base: &EndpointBase,
    unit: &RelatedUnit,
    id: &str,
    state: IdState,
    warnings: Option<&mut Vec<String>>,
) -> Result<bool, ToolError> {
    let Some(relation) = base.relations().by_key(unit.relation_id()) else {
        return Ok(false);
    };
    if let Some(answered) = state.answered {
        // No key to build when this hook wrote nothing on the relation.
        if !relation.is_publishing() || !relation.published_key_changed(&response_key(id)) {
            return Ok(answered);
        }
    }
    let key = response_key(id);
    let Some(raw) = relation.published_value(&key)? else {
        return Ok(false);
    };
    if !state.valid {
        return Ok(true);
    }
    match parse_response::<R::Response>(raw) {
        Ok(_) => Ok(true),
        Err(reason) => {
            if let Some(warnings) = warnings {
                warnings.push(format!(
                    "ignoring `{key}` in this unit's data on relation {}: {reason}; \
                     the request counts as unanswered",
                    unit.relation_id()
                ));
            }
            Ok(false)
        }
    }
}

/// Start the endpoint's request index: the request type's classifier and
/// the row as the unit state holds it (none when relation data is read
/// fresh: the index is then neither used nor kept).
///
/// In `upgrade-charm` (and `install`) the row is not used: the new version's
/// request and response types may read the requests and answers otherwise,
/// so every unit is classified again, once, and the row written again.
fn start_index<R: Request>(base: &mut EndpointBase, ctx: &mut Context) -> Result<(), HandlerError> {
    let new_code = matches!(ctx.hook_name(), "upgrade-charm" | "install");
    let stored = match base.relation_data_mode() {
        RelationDataMode::Snapshot if !new_code => ctx
            .unit_state()
            .get_raw(&request_index_key(base.endpoint_name()))?,
        _ => None,
    };
    base.request_index_mut()
        .start(classify::<R>, is_answered::<R>, stored);
    Ok(())
}

/// The responder pattern's flags (named by `#[endpoint(responder = ...)]`'s
/// generated code): start the request index, log what was skipped in the
/// data read in this hook, toggle `has_requests` and `new_requests`
/// (malformed requests with a canonical id count as requests, unanswered
/// ones as new).
pub fn responder_flags<E, R>(
    endpoint: &mut dyn AnyEndpoint,
    ctx: &mut Context,
) -> Result<(), HandlerError>
where
    E: ResponderEndpoint<Request = R>,
    R: Request,
{
    if endpoint.as_any().downcast_ref::<E>().is_none() {
        return Err(format!(
            "the responder flags expected an endpoint of type {}",
            std::any::type_name::<E>()
        )
        .into());
    }
    start_index::<R>(endpoint.base_mut(), ctx)?;
    let base = endpoint.base();
    let names = [
        base.expand_name("endpoint.{endpoint_name}.has_requests"),
        base.expand_name("endpoint.{endpoint_name}.new_requests"),
    ];
    if super::recompute::up_to_date(ctx, base, &names)? {
        return Ok(());
    }
    let mut problems = Vec::new();
    // When no request was left unanswered before this hook, only the units
    // read in it can hold a new one: the others need no look.
    let read_only = if super::recompute::none_new_before(ctx, base, &names)? {
        base.requests_read_in_hook(Some(&mut problems))?
    } else {
        None
    };
    let (indexed, stored_any) = match read_only {
        Some((read, stored_any)) => (read, stored_any),
        None => {
            problems.clear();
            let all = base
                .indexed_requests(Some(&mut problems))?
                .unwrap_or_default();
            (all, false)
        }
    };
    let mut warnings: Vec<String> = problems
        .into_iter()
        .map(|s| {
            format!(
                "ignoring `{}` from unit {} on relation {}: {}",
                s.key, s.unit, s.relation_id, s.reason
            )
        })
        .collect();
    // More than one answer to look up in this unit's data: each
    // relation's whole bag is read once, not a key at a time.
    let mut unknown = 0;
    let mut relations = BTreeSet::new();
    for (unit, requests) in &indexed {
        for _ in requests.iter().filter(|(_, s)| s.answered.is_none()) {
            unknown += 1;
            relations.insert(unit.relation_id());
        }
    }
    if unknown > 1 {
        for relation in relations {
            if let Some(relation) = base.relations().by_key(relation) {
                relation.published()?;
            }
        }
    }
    let has_requests = stored_any || !indexed.is_empty();
    let mut new_requests = false;
    for (unit, requests) in &indexed {
        for (id, state) in requests.iter() {
            if !is_answered::<R>(base, unit, id, state, Some(&mut warnings))? {
                new_requests = true;
            }
        }
    }
    for warning in &warnings {
        ctx.log(
            LogLevel::Warning,
            &format!("endpoint {}: {warning}", base.endpoint_name()),
        );
    }
    let [first, second] = names;
    let values = [(first, has_requests), (second, new_requests)];
    for (flag, set) in &values {
        ctx.toggle_flag(flag, *set);
    }
    super::recompute::remember(ctx, base, &values);
    Ok(())
}
