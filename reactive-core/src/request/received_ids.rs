//! The ids of the requests an endpoint received, as a set for lookups.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::hash::BuildHasher;

/// The ids of the requests the joined remote units sent, each once, for
/// looking ids up (see
/// [`ResponderEndpoint::received_request_id_set`](super::ResponderEndpoint::received_request_id_set)).
///
/// Ids held by the request index are borrowed from it; the others are
/// owned. Hashed with aHash, keyed at random per set: cheaper per id than
/// SipHash (the standard library's hasher), and remote units, which choose
/// the ids, still cannot make them collide on purpose.
///
/// ```
/// use reactive_core::request::ReceivedIds;
///
/// let received: ReceivedIds<'_> = ["a", "b"].into_iter().collect();
/// assert!(received.contains("a"));
/// assert!(!received.contains("c"));
/// assert_eq!(received.len(), 2);
/// let mut ids: Vec<&str> = received.iter().collect();
/// ids.sort();
/// assert_eq!(ids, ["a", "b"]);
/// ```
#[derive(Clone)]
pub struct ReceivedIds<'a> {
    ids: HashSet<Cow<'a, str>, ahash::RandomState>,
}

/// aHash keyed from the standard library's random keys (drawn from the
/// operating system once per thread).
fn random_hasher() -> ahash::RandomState {
    let keys = std::collections::hash_map::RandomState::new();
    let key = |i: u64| keys.hash_one(i);
    ahash::RandomState::with_seeds(key(0), key(1), key(2), key(3))
}

impl<'a> ReceivedIds<'a> {
    /// An empty set with room for `capacity` ids.
    pub(crate) fn with_capacity(capacity: usize) -> ReceivedIds<'a> {
        ReceivedIds {
            ids: HashSet::with_capacity_and_hasher(capacity, random_hasher()),
        }
    }

    /// Add ids.
    pub(crate) fn extend(&mut self, ids: impl IntoIterator<Item = Cow<'a, str>>) {
        self.ids.extend(ids);
    }

    /// Whether a joined remote unit sent a request with this id.
    pub fn contains(&self, id: &str) -> bool {
        self.ids.contains(id)
    }

    /// The number of ids.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no request was received.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The ids, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.ids.iter().map(|id| id.as_ref())
    }
}

impl Default for ReceivedIds<'_> {
    fn default() -> Self {
        ReceivedIds::with_capacity(0)
    }
}

impl<'a> FromIterator<&'a str> for ReceivedIds<'a> {
    fn from_iter<I: IntoIterator<Item = &'a str>>(ids: I) -> Self {
        let mut set = ReceivedIds::default();
        set.extend(ids.into_iter().map(Cow::Borrowed));
        set
    }
}

impl FromIterator<String> for ReceivedIds<'_> {
    fn from_iter<I: IntoIterator<Item = String>>(ids: I) -> Self {
        let mut set = ReceivedIds::default();
        set.extend(ids.into_iter().map(Cow::Owned));
        set
    }
}

impl fmt::Debug for ReceivedIds<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ids: Vec<&str> = self.iter().collect();
        ids.sort_unstable();
        f.debug_set().entries(ids).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrowed_and_owned_ids_are_found_alike() {
        let mut set = ReceivedIds::with_capacity(2);
        set.extend([Cow::Borrowed("a"), Cow::Owned("b".to_string())]);
        assert!(set.contains("a") && set.contains("b"));
        assert!(!set.contains("ab") && !set.contains(""));
        assert_eq!(format!("{set:?}"), r#"{"a", "b"}"#);
        let owned: ReceivedIds<'_> = ["b".to_string(), "b".to_string()].into_iter().collect();
        assert_eq!(owned.len(), 1);
        assert!(ReceivedIds::default().is_empty());
    }
}
