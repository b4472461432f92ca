//! Requests and responses as read from relation data: owned, read-only
//! snapshots, valid by construction.

use std::fmt;
use std::ops::Deref;

use serde_json::{Map, Value};

use super::error::RequestError;
use super::fields::RequestAccess;
use super::{Request, Response};

/// The unit a received request came from, and the addresses its data
/// carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sender {
    pub(crate) unit_name: String,
    pub(crate) ingress_address: Option<String>,
    pub(crate) egress_subnets: Option<String>,
}

/// A request as relation data holds it at the moment it was asked for: its
/// id, its relation, who created it, its typed fields and its response,
/// if any.
///
/// A record is read-only and owned (it does not borrow the endpoint), so a
/// handler can loop over records and answer or change each through the
/// endpoint. Records are never cached between calls: ask the endpoint again
/// to see what changed since.
///
/// The typed fields are reached through [`Deref`] (`record.job_name`) or
/// the getters of the `<Struct>Fields` trait `#[derive(Request)]` generates
/// (`record.job_name()`).
pub struct RequestRecord<R: Request> {
    pub(crate) request_id: String,
    pub(crate) relation_id: String,
    pub(crate) sender: Option<Sender>,
    pub(crate) object: Map<String, Value>,
    pub(crate) fields: R,
    pub(crate) response: Option<ResponseRecord<R::Response>>,
}

impl<R: Request> RequestRecord<R> {
    /// The request's id (a canonical UUID).
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// The relation it lives on (`metrics:3`).
    pub fn relation_id(&self) -> &str {
        &self.relation_id
    }

    /// Whether this side of the relation created it.
    pub fn is_created(&self) -> bool {
        self.sender.is_none()
    }

    /// Whether it was received from the other side of the relation.
    pub fn is_received(&self) -> bool {
        self.sender.is_some()
    }

    /// The unit that sent it (`None` for a request this side created).
    pub fn unit_name(&self) -> Option<&str> {
        self.sender.as_ref().map(|s| s.unit_name.as_str())
    }

    /// The address to use to connect to the unit that sent the request:
    /// its `ingress-address`, as the raw string of its relation data
    /// (`None` for a request this side created, or when the unit's data has
    /// none).
    pub fn ingress_address(&self) -> Option<&str> {
        self.sender.as_ref()?.ingress_address.as_deref()
    }

    /// The subnets traffic from the unit that sent the request comes from:
    /// its `egress-subnets`, as the raw string of its relation data.
    pub fn egress_subnets(&self) -> Option<&str> {
        self.sender.as_ref()?.egress_subnets.as_deref()
    }

    /// The typed fields.
    pub fn fields(&self) -> &R {
        &self.fields
    }

    /// The typed fields, by value.
    pub fn into_fields(self) -> R {
        self.fields
    }

    /// The request's JSON object as published (`request_id` included).
    pub fn to_json_object(&self) -> &Map<String, Value> {
        &self.object
    }

    /// One field's JSON value (`request_id` included); `None` when the
    /// object has no such key.
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.object.get(name)
    }

    /// The response to this request, if one was published: for a request
    /// this side created, the first remote unit (by name) on its relation
    /// that answered it; for a received request, this unit's answer.
    pub fn response(&self) -> Option<&ResponseRecord<R::Response>> {
        self.response.as_ref()
    }

    /// Whether the request has a response.
    pub fn has_response(&self) -> bool {
        self.response.is_some()
    }

    /// A record cannot be changed. This fails with
    /// [`RequestError::ReceivedRequest`] for a received request,
    /// [`RequestError::RequestIdImmutable`] for `request_id`, and
    /// [`RequestError::ReadOnlyRecord`] otherwise (change a request this
    /// side created through
    /// [`RequesterEndpoint::request_mut`](super::RequesterEndpoint::request_mut)).
    pub fn set_field(&self, name: &str, _value: Value) -> Result<(), RequestError> {
        let request_id = self.request_id.clone();
        Err(if self.is_received() {
            RequestError::ReceivedRequest { request_id }
        } else if name == "request_id" {
            RequestError::RequestIdImmutable { request_id }
        } else {
            RequestError::ReadOnlyRecord { request_id }
        })
    }

    /// Whether every `(field, value)` pair matches (a field the object
    /// lacks reads as `null`).
    pub(crate) fn matches(&self, fields: &[(&str, Value)]) -> bool {
        fields
            .iter()
            .all(|(name, value)| self.object.get(*name).unwrap_or(&Value::Null) == value)
    }
}

impl<R: Request> Deref for RequestRecord<R> {
    type Target = R;

    fn deref(&self) -> &R {
        &self.fields
    }
}

impl<R: Request> RequestAccess<R> for RequestRecord<R> {
    fn request_fields(&self) -> &R {
        &self.fields
    }
}

impl<R: Request + Clone> Clone for RequestRecord<R>
where
    R::Response: Clone,
{
    fn clone(&self) -> Self {
        RequestRecord {
            request_id: self.request_id.clone(),
            relation_id: self.relation_id.clone(),
            sender: self.sender.clone(),
            object: self.object.clone(),
            fields: self.fields.clone(),
            response: self.response.clone(),
        }
    }
}

impl<R: Request + fmt::Debug> fmt::Debug for RequestRecord<R>
where
    R::Response: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestRecord")
            .field("request_id", &self.request_id)
            .field("relation_id", &self.relation_id)
            .field("unit_name", &self.unit_name())
            .field("fields", &self.fields)
            .field("response", &self.response)
            .finish()
    }
}

/// A response as relation data holds it: the request it answers, who
/// published it, and its typed fields (reached through [`Deref`]:
/// `response.success`).
#[derive(Clone, Debug)]
pub struct ResponseRecord<S> {
    pub(crate) request_id: String,
    pub(crate) relation_id: String,
    pub(crate) unit_name: Option<String>,
    pub(crate) object: Map<String, Value>,
    pub(crate) fields: S,
}

impl<S: Response> ResponseRecord<S> {
    /// The id of the request it answers.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// The relation it was published on.
    pub fn relation_id(&self) -> &str {
        &self.relation_id
    }

    /// The remote unit that published it (`None` for this unit's own
    /// response).
    pub fn unit_name(&self) -> Option<&str> {
        self.unit_name.as_deref()
    }

    /// Whether it was received from the other side of the relation.
    pub fn is_received(&self) -> bool {
        self.unit_name.is_some()
    }

    /// The typed fields.
    pub fn fields(&self) -> &S {
        &self.fields
    }

    /// The typed fields, by value.
    pub fn into_fields(self) -> S {
        self.fields
    }

    /// The response's JSON object as published.
    pub fn to_json_object(&self) -> &Map<String, Value> {
        &self.object
    }
}

impl<S: Response> Deref for ResponseRecord<S> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.fields
    }
}
