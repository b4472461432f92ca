//! Received requests that cannot be read as the request type, kept so that
//! the responder can answer them.

/// A request a remote unit sent under a canonical `request_<id>` key whose
/// value cannot be used: not a JSON object, carrying another
/// `request_id`, or with a field that does not fit the request type.
///
/// The requester waits for an answer to every request it sent; a responder
/// answers a malformed one (say, refusing it with [`reason`](Self::reason),
/// which names the field at fault) through
/// [`ResponderEndpoint::respond_to_malformed`](super::ResponderEndpoint::respond_to_malformed).
/// A key whose id is not a canonical UUID cannot be answered, and is only
/// logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedRequest {
    pub(crate) request_id: String,
    pub(crate) relation_id: String,
    pub(crate) unit_name: String,
    pub(crate) reason: String,
    pub(crate) has_response: bool,
}

impl MalformedRequest {
    /// The id of its key (`request_<id>`), a canonical UUID.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// The relation it was sent on.
    pub fn relation_id(&self) -> &str {
        &self.relation_id
    }

    /// The unit that sent it.
    pub fn unit_name(&self) -> &str {
        &self.unit_name
    }

    /// What is wrong with it, naming the field at fault when one is
    /// (`field `job_name`: invalid type: integer `5`, expected a string`).
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// Whether this unit has published a `response_<id>` for it.
    pub fn has_response(&self) -> bool {
        self.has_response
    }
}
