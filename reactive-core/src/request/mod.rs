//! The request/response pattern: one side of a relation publishes typed
//! requests, the other answers each with a typed response.
//!
//! A request type is a struct of named fields deriving [`Request`] (the
//! derive); `#[request(response = R)]` names its response type, a struct
//! deriving [`Response`]. Every field must be serde `Serialize` and
//! `DeserializeOwned`; an `Option` field may be left unset.
//!
//! ```
//! use reactive_core::prelude::*;
//!
//! #[derive(Request, Debug, Clone, PartialEq)]
//! #[request(response = JobResponse)]
//! pub struct JobRequest {
//!     pub job_name: String,
//!     pub job_data: serde_json::Value,
//!     pub ca_cert: Option<String>,
//! }
//!
//! #[derive(Response, Debug, Clone, PartialEq)]
//! pub struct JobResponse {
//!     pub success: bool,
//!     pub reason: Option<String>,
//! }
//!
//! # fn main() {
//! assert_eq!(<JobRequest as Request>::FIELDS, ["job_name", "job_data", "ca_cert"]);
//! let request = JobRequest {
//!     job_name: "node".into(),
//!     job_data: serde_json::json!({"scheme": "http"}),
//!     ca_cert: None,
//! };
//! let fields = request.to_fields().unwrap();
//! assert_eq!(fields["ca_cert"], serde_json::Value::Null);
//! assert_eq!(JobRequest::from_fields(&fields).unwrap(), request);
//! # }
//! ```
//!
//! # On the relation
//!
//! A request lives in the requester unit's data under `request_<id>`, as
//! one JSON object of all its fields (unset optional ones as `null`) plus
//! `request_id`, a UUID v4 generated on creation and never changed. Its
//! response lives in the responder unit's data under `response_<id>`, as
//! one JSON object of all the response's fields. Both are encoded as
//! Python's `json.dumps(value, sort_keys=True)` would, so a charm moving
//! from charms.reactive republishes the same bytes.
//!
//! # The two sides
//!
//! A requester endpoint implements [`RequesterEndpoint`] and is declared
//! with `#[endpoint(..., requester = JobRequest)]`; a responder endpoint
//! implements [`ResponderEndpoint`] with `responder = JobRequest`. Their
//! flags are kept up to date at startup in every hook, after the endpoint's
//! own flags: computed again when remote data may have changed (the
//! endpoint's relation hooks, see
//! [`EndpointBase::remote_data_changed`](crate::endpoint::EndpointBase::remote_data_changed)),
//! when this unit published on the endpoint in an earlier hook, or when a
//! handler changed one of them; otherwise left as the previous hook
//! computed them.
//!
//! Requests come back as [`RequestRecord`]s: owned, read-only snapshots
//! (ask again to see later changes). A request this side created is
//! changed through a [`RequestMut`] from
//! [`RequesterEndpoint::request_mut`].
//!
//! # What the derive generates
//!
//! For `#[derive(Request)] pub struct JobRequest { pub job_name: String, .. }`:
//! * `impl Request for JobRequest`;
//! * `pub trait JobRequestFields`, implemented for every request handle
//!   ([`RequestRecord<JobRequest>`], [`RequestMut<JobRequest>`]): a getter
//!   per field (`fn job_name(&self) -> &String`) and a setter per field
//!   (`fn set_job_name(&mut self, value: String) -> Result<(), RequestError>`),
//!   the setters available only on a [`RequestMut`];
//! * `pub trait JobRequestFinders`, implemented for every
//!   `RequesterEndpoint<Request = JobRequest>`: a finder per field,
//!   `response_by_<field>(value, relation_id)`, `request_id` included.
//!
//! Import those traits (`use my_interface::{JobRequestFields, JobRequestFinders};`)
//! where their methods are called.

mod error;
mod fields;
mod handle;
mod id;
mod load;
mod malformed;
mod received_ids;
mod recompute;
mod record;
mod requester;
mod responder;

use serde_json::{Map, Value};

pub use error::{FieldError, RequestError};
#[doc(hidden)]
pub use fields::{codec, field_from_map, field_to_value, FieldCodec};
pub use fields::{FieldType, RequestAccess, RequestEdit};
pub use handle::RequestMut;
pub use id::{
    is_canonical_request_id, new_request_id, request_key, response_key, REQUEST_PREFIX,
    RESPONSE_PREFIX,
};
pub use malformed::MalformedRequest;
pub use reactive_macros::{Request, Response};
pub use received_ids::ReceivedIds;
pub use record::{RequestRecord, ResponseRecord};
pub use requester::{requester_flags, RequesterEndpoint, ResponseOf};
pub use responder::{responder_flags, ResponderEndpoint};

/// A request type of the request/response pattern. Derive it with
/// `#[derive(Request)]` and `#[request(response = ResponseType)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a request type",
    label = "not a request type",
    note = "derive it: `#[derive(Request)]` and `#[request(response = ResponseType)]` on a struct with named fields"
)]
pub trait Request: Sized + Send + 'static {
    /// The type of the responses to this request.
    type Response: Response;

    /// The fields' names, in declaration order (`request_id` excluded: it
    /// is generated).
    const FIELDS: &'static [&'static str];

    /// Every field as JSON (an unset optional one as `null`), without
    /// `request_id`.
    fn to_fields(&self) -> Result<Map<String, Value>, FieldError>;

    /// The fields read back from a request's JSON object (a missing
    /// optional field reads as unset; keys that are not fields, such as
    /// `request_id`, are ignored).
    fn from_fields(fields: &Map<String, Value>) -> Result<Self, FieldError>;
}

/// A response type of the request/response pattern. Derive it with
/// `#[derive(Response)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a response type",
    label = "not a response type",
    note = "derive it: `#[derive(Response)]` on a struct with named fields"
)]
pub trait Response: Sized + Send + 'static {
    /// The fields' names, in declaration order.
    const FIELDS: &'static [&'static str];

    /// Every field as JSON (an unset optional one as `null`).
    fn to_fields(&self) -> Result<Map<String, Value>, FieldError>;

    /// The fields read back from a response's JSON object (a missing
    /// optional field reads as unset; other keys are ignored).
    fn from_fields(fields: &Map<String, Value>) -> Result<Self, FieldError>;
}
