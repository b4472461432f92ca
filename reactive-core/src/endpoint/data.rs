//! Views of relation data: decoded read-only views of what remote units
//! sent, and the writable bag of what this unit publishes.
//!
//! Values are JSON-encoded per key, byte-identical to Python's
//! `json.dumps(value, sort_keys=True)`, so a Rust charm that replaces a
//! Python one republishes identical strings. A value that is not JSON reads
//! as the raw string.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::pyjson::{decode_or_raw, to_python_json};
use crate::tools::DataBag;

/// A read-only view of a data bag, decoding each value as JSON (falling
/// back to the raw string).
///
/// ```
/// use reactive_core::endpoint::DataView;
/// use reactive_core::tools::DataBag;
/// let mut bag = DataBag::new();
/// bag.insert("port".into(), "9100".into());
/// bag.insert("host".into(), "not json".into());
/// let view = DataView::new(&bag);
/// assert_eq!(view.get("port"), Some(serde_json::json!(9100)));
/// assert_eq!(view.get("host"), Some(serde_json::json!("not json")));
/// assert_eq!(view.get_raw("port"), Some("9100"));
/// assert_eq!(view.get("missing"), None);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct DataView<'a> {
    raw: &'a DataBag,
}

impl<'a> DataView<'a> {
    /// A view of `raw`.
    pub fn new(raw: &'a DataBag) -> Self {
        DataView { raw }
    }

    /// The decoded value of `key`.
    pub fn get(&self, key: &str) -> Option<Value> {
        self.raw.get(key).map(|v| decode_or_raw(v))
    }

    /// The raw string of `key`.
    pub fn get_raw(&self, key: &str) -> Option<&'a str> {
        self.raw.get(key).map(String::as_str)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.raw.contains_key(key)
    }

    /// Every key, sorted.
    pub fn keys(&self) -> Vec<&'a str> {
        self.raw.keys().map(String::as_str).collect()
    }

    /// Every (key, decoded value) pair, sorted by key.
    pub fn items(&self) -> Vec<(&'a str, Value)> {
        self.raw
            .iter()
            .map(|(k, v)| (k.as_str(), decode_or_raw(v)))
            .collect()
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    /// Whether the bag is empty.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// The raw bag.
    pub fn raw(&self) -> &'a DataBag {
        self.raw
    }

    /// Every decoded value as a JSON object.
    pub fn to_map(&self) -> Map<String, Value> {
        self.raw
            .iter()
            .map(|(k, v)| (k.clone(), decode_or_raw(v)))
            .collect()
    }
}

/// The data this unit (or, for the leader, its application) publishes on a
/// relation: read it, change it; what changed is sent with one
/// `relation-set` at the end of a successful hook.
///
/// ```
/// use reactive_core::endpoint::PublishData;
/// use reactive_core::tools::DataBag;
/// let mut data = PublishData::new(DataBag::new());
/// data.set("job", serde_json::json!({"b": 1, "a": "é"}));
/// assert_eq!(data.get_raw("job"), Some(r#"{"a": "\u00e9", "b": 1}"#));
/// assert!(data.is_modified());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishData {
    original: DataBag,
    current: DataBag,
}

impl PublishData {
    /// Publish data starting from what the relation holds now.
    pub fn new(original: DataBag) -> Self {
        PublishData {
            current: original.clone(),
            original,
        }
    }

    /// The decoded value of `key`.
    pub fn get(&self, key: &str) -> Option<Value> {
        self.current.get(key).map(|v| decode_or_raw(v))
    }

    /// The raw string of `key`.
    pub fn get_raw(&self, key: &str) -> Option<&str> {
        self.current.get(key).map(String::as_str)
    }

    /// Set `key` to `value`, JSON-encoded as Python's
    /// `json.dumps(value, sort_keys=True)` would.
    pub fn set(&mut self, key: &str, value: Value) {
        self.current.insert(key.to_string(), to_python_json(&value));
    }

    /// Set `key` to any serializable value (JSON-encoded as [`set`](Self::set)).
    pub fn set_serialized<T: Serialize>(
        &mut self,
        key: &str,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        let value = serde_json::to_value(value)?;
        self.set(key, value);
        Ok(())
    }

    /// Set `key` to a raw string, as is.
    pub fn set_raw(&mut self, key: &str, value: &str) {
        self.current.insert(key.to_string(), value.to_string());
    }

    /// Remove `key` (published as an empty value, which deletes it).
    pub fn remove(&mut self, key: &str) -> Option<String> {
        self.current.remove(key)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.current.contains_key(key)
    }

    /// Every key, sorted.
    pub fn keys(&self) -> Vec<&str> {
        self.current.keys().map(String::as_str).collect()
    }

    /// A read-only view of the current data.
    pub fn view(&self) -> DataView<'_> {
        DataView::new(&self.current)
    }

    /// The current raw data.
    pub fn raw(&self) -> &DataBag {
        &self.current
    }

    /// Whether anything differs from what the relation held.
    pub fn is_modified(&self) -> bool {
        self.original != self.current
    }

    /// What `relation-set` must send: changed and new keys with their
    /// values, removed keys with an empty value.
    pub fn changes(&self) -> DataBag {
        let mut changes = DataBag::new();
        for (k, v) in &self.current {
            if self.original.get(k) != Some(v) {
                changes.insert(k.clone(), v.clone());
            }
        }
        for k in self.original.keys() {
            if !self.current.contains_key(k) {
                changes.insert(k.clone(), String::new());
            }
        }
        changes
    }

    /// Whether `key` differs from what the relation held.
    pub(crate) fn key_changed(&self, key: &str) -> bool {
        self.original.get(key) != self.current.get(key)
    }

    /// Consider the current data published.
    pub(crate) fn mark_published(&mut self) {
        self.original = self.current.clone();
    }
}
