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
    // Written back into a buffer on the stack: no allocation per id.
    let mut canonical = [0u8; uuid::fmt::Hyphenated::LENGTH];
    id.len() == canonical.len()
        && Uuid::try_parse(id)
            .is_ok_and(|uuid| uuid.hyphenated().encode_lower(&mut canonical) == id)
}

/// The relation data key of request `id`.
pub fn request_key(id: &str) -> String {
    format!("{REQUEST_PREFIX}{id}")
}

/// The relation data key of the response to request `id`.
pub fn response_key(id: &str) -> String {
    format!("{RESPONSE_PREFIX}{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The check says what a parse and a lowercase hyphenated
    /// rewrite would.
    #[test]
    fn canonical_is_what_uuid_writes_back() {
        let id = "0b7e2c9a-5f4d-4c3b-9a1e-2d3c4b5a6f70";
        let mut cases = vec![
            id.to_string(),
            id.to_uppercase(),
            id.replace('-', ""),
            format!("{{{id}}}"),
            format!("urn:uuid:{id}"),
            id.replacen('-', "", 1) + "0",
            id.replace('a', "g"),
            id.replacen('0', "é", 1),
            format!("{id} "),
            String::new(),
        ];
        // Each hyphen moved one place, and each digit made a hyphen.
        for at in [8, 13, 18, 23] {
            let mut bytes = id.as_bytes().to_vec();
            bytes.swap(at, at + 1);
            cases.push(String::from_utf8(bytes).unwrap());
        }
        for at in 0..id.len() {
            let mut bytes = id.as_bytes().to_vec();
            bytes[at] = b'-';
            cases.push(String::from_utf8(bytes).unwrap());
        }
        for case in cases {
            let written_back = Uuid::try_parse(&case)
                .map(|u| u.hyphenated().to_string() == case)
                .unwrap_or(false);
            assert_eq!(is_canonical_request_id(&case), written_back, "{case:?}");
        }
    }
}
