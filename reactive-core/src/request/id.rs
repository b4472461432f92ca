//! Request ids: generated as UUID v4, and checked before anything received
//! is trusted.

use uuid::Uuid;

/// The prefix of a request's relation data key (`request_<id>`).
pub const REQUEST_PREFIX: &str = "request_";

/// The prefix of a response's relation data key (`response_<id>`).
pub const RESPONSE_PREFIX: &str = "response_";

/// A new request id: a random UUID v4 in its canonical form (lowercase,
/// hyphenated).
///
/// ```
/// use reactive_core::request::{is_canonical_request_id, new_request_id};
/// assert!(is_canonical_request_id(&new_request_id()));
/// ```
pub fn new_request_id() -> String {
    Uuid::new_v4().hyphenated().to_string()
}

/// Whether `id` is a UUID written canonically: `8-4-4-4-12` lowercase
/// hexadecimal digits, nothing else. The id of a received request is the
/// only part of it that may become a file name, and only once it passed
/// this check.
///
/// ```
/// use reactive_core::request::is_canonical_request_id;
/// assert!(is_canonical_request_id("0b7e2c9a-5f4d-4c3b-9a1e-2d3c4b5a6f70"));
/// assert!(!is_canonical_request_id("0B7E2C9A-5F4D-4C3B-9A1E-2D3C4B5A6F70"));
/// assert!(!is_canonical_request_id("0b7e2c9a5f4d4c3b9a1e2d3c4b5a6f70"));
/// assert!(!is_canonical_request_id("{0b7e2c9a-5f4d-4c3b-9a1e-2d3c4b5a6f70}"));
/// assert!(!is_canonical_request_id("../../etc"));
/// ```
pub fn is_canonical_request_id(id: &str) -> bool {
    match Uuid::try_parse(id) {
        Ok(uuid) => uuid.hyphenated().to_string() == id,
        Err(_) => false,
    }
}

/// The relation data key of request `id`.
pub fn request_key(id: &str) -> String {
    format!("{REQUEST_PREFIX}{id}")
}

/// The relation data key of the response to request `id`.
pub fn response_key(id: &str) -> String {
    format!("{RESPONSE_PREFIX}{id}")
}
