//! A change to the unit state waiting for the commit.

use std::borrow::Cow;

use serde_json::Value;

use crate::pyjson::{from_python_json, to_python_json, JsonError};

/// What a pending `set` holds.
#[derive(Debug, Clone)]
pub(super) enum Pending {
    /// A value, written as Python-style JSON text.
    Value(Value),
    /// A value serialized already (by serde_json), written as it is: a
    /// large value skips the `Value` tree both ways.
    Text(String),
}

impl Pending {
    /// The value.
    pub(super) fn value(&self) -> Result<Value, JsonError> {
        match self {
            Pending::Value(value) => Ok(value.clone()),
            Pending::Text(text) => from_python_json(text),
        }
    }

    /// The JSON text to write.
    pub(super) fn text(&self) -> Cow<'_, str> {
        match self {
            Pending::Value(value) => Cow::Owned(to_python_json(value)),
            Pending::Text(text) => Cow::Borrowed(text),
        }
    }
}
