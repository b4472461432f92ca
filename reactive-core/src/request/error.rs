//! The errors of the request/response pattern.

use std::fmt;

use crate::tools::ToolError;

/// A field's value could not be turned into JSON, or JSON into the
/// field's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name.
    pub field: String,
    /// What serde said.
    pub message: String,
}

impl FieldError {
    /// An error about `field`.
    pub fn new(field: impl Into<String>, message: impl fmt::Display) -> Self {
        FieldError {
            field: field.into(),
            message: message.to_string(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "field `{}`: {}", self.field, self.message)
    }
}

impl std::error::Error for FieldError {}

/// Why a request or response operation failed. None of these is ever a
/// panic; each names the request concerned.
#[derive(Debug)]
pub enum RequestError {
    /// A request the other side sent cannot be changed (or withdrawn) by
    /// this side.
    ReceivedRequest {
        /// The request's id.
        request_id: String,
    },
    /// A [`RequestRecord`](super::RequestRecord) is a read-only snapshot;
    /// change a request this side created through
    /// [`RequesterEndpoint::request_mut`](super::RequesterEndpoint::request_mut).
    ReadOnlyRecord {
        /// The request's id.
        request_id: String,
    },
    /// `request_id` is generated when the request is created and never
    /// changes.
    RequestIdImmutable {
        /// The request's id.
        request_id: String,
    },
    /// Only a request received from the other side can be answered, not
    /// one this side created.
    RespondToCreated {
        /// The request's id.
        request_id: String,
    },
    /// No request with this id.
    NotFound {
        /// The id asked for.
        request_id: String,
    },
    /// The endpoint has no relation with this id.
    UnknownRelation {
        /// The relation id asked for.
        relation_id: String,
    },
    /// The request (or response) type has no field of this name.
    UnknownField {
        /// The request or response type.
        type_name: &'static str,
        /// The field asked for.
        field: String,
    },
    /// A field's value does not fit its type.
    Field(FieldError),
    /// This unit's own stored request is not a valid request (written by
    /// something other than this framework).
    Malformed {
        /// The relation data key (`request_<id>`).
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading relation data failed.
    Tool(ToolError),
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::ReceivedRequest { request_id } => write!(
                f,
                "request {request_id} was received from the other side of the relation and cannot be changed here"
            ),
            RequestError::ReadOnlyRecord { request_id } => write!(
                f,
                "a request record is a read-only snapshot: change request {request_id} through `request_mut`"
            ),
            RequestError::RequestIdImmutable { request_id } => write!(
                f,
                "the `request_id` of request {request_id} is generated and cannot be modified"
            ),
            RequestError::RespondToCreated { request_id } => write!(
                f,
                "request {request_id} was created by this side of the relation; only received requests can be responded to"
            ),
            RequestError::NotFound { request_id } => write!(f, "no request with id `{request_id}`"),
            RequestError::UnknownRelation { relation_id } => {
                write!(f, "the endpoint has no relation `{relation_id}`")
            }
            RequestError::UnknownField { type_name, field } => {
                write!(f, "{type_name} has no field `{field}`")
            }
            RequestError::Field(e) => write!(f, "{e}"),
            RequestError::Malformed { key, reason } => {
                write!(f, "this unit's `{key}` is not a valid request: {reason}")
            }
            RequestError::Tool(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for RequestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RequestError::Field(e) => Some(e),
            RequestError::Tool(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ToolError> for RequestError {
    fn from(e: ToolError) -> Self {
        RequestError::Tool(e)
    }
}

impl From<FieldError> for RequestError {
    fn from(e: FieldError) -> Self {
        RequestError::Field(e)
    }
}
