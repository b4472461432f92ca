//! `RequestMut`: a request this side created, open for changes.

use std::fmt;
use std::ops::Deref;

use serde_json::{Map, Value};

use super::error::{FieldError, RequestError};
use super::fields::{RequestAccess, RequestEdit};
use super::Request;
use crate::endpoint::PublishData;

/// A request this side created, borrowed from its relation's published
/// data: every change is written at once into the `request_<id>` object of
/// that data (and published at the end of a successful hook).
///
/// Get one with
/// [`RequesterEndpoint::request_mut`](super::RequesterEndpoint::request_mut).
/// Read the typed fields through [`Deref`] or the `<Struct>Fields` getters;
/// change them with the `<Struct>Fields` setters (`set_job_name(...)`),
/// [`set_field`](Self::set_field) or [`update`](Self::update).
pub struct RequestMut<'a, R: Request> {
    pub(crate) data: &'a mut PublishData,
    pub(crate) relation_id: String,
    pub(crate) request_id: String,
    pub(crate) key: String,
    pub(crate) object: Map<String, Value>,
    pub(crate) fields: R,
}

impl<R: Request> RequestMut<'_, R> {
    /// The request's id.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// The relation it lives on.
    pub fn relation_id(&self) -> &str {
        &self.relation_id
    }

    /// Always `true`: only requests this side created can be changed.
    pub fn is_created(&self) -> bool {
        true
    }

    /// Always `false` (see [`is_created`](Self::is_created)).
    pub fn is_received(&self) -> bool {
        false
    }

    /// The typed fields.
    pub fn fields(&self) -> &R {
        &self.fields
    }

    /// The request's JSON object, as it is now in the relation data.
    pub fn to_json_object(&self) -> &Map<String, Value> {
        &self.object
    }

    /// One field's JSON value (`request_id` included).
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.object.get(name)
    }

    /// Set one field from its JSON value. Fails, changing nothing, with
    /// [`RequestError::RequestIdImmutable`] for `request_id`,
    /// [`RequestError::UnknownField`] for a name the request type lacks and
    /// [`RequestError::Field`] for a value that does not fit the field's
    /// type.
    pub fn set_field(&mut self, name: &str, value: Value) -> Result<(), RequestError> {
        if name == "request_id" {
            return Err(RequestError::RequestIdImmutable {
                request_id: self.request_id.clone(),
            });
        }
        if !R::FIELDS.contains(&name) {
            return Err(RequestError::UnknownField {
                type_name: std::any::type_name::<R>(),
                field: name.to_string(),
            });
        }
        let mut object = self.object.clone();
        object.insert(name.to_string(), value);
        let fields = R::from_fields(&object)?;
        self.commit(object, fields);
        Ok(())
    }

    /// Set every field to those of `request` (what `create_or_update`
    /// does to the request it finds). Keys the object holds besides the
    /// request type's fields are kept.
    pub fn update(&mut self, request: &R) -> Result<(), RequestError> {
        let mut object = self.object.clone();
        for (name, value) in request.to_fields()? {
            if name != "request_id" {
                object.insert(name, value);
            }
        }
        let fields = R::from_fields(&object)?;
        self.commit(object, fields);
        Ok(())
    }

    /// Remove the request from the relation: its key is deleted (published
    /// as an empty value), so the other side no longer sees it.
    pub fn withdraw(self) {
        self.data.remove(&self.key);
    }

    fn commit(&mut self, object: Map<String, Value>, fields: R) {
        self.object = object;
        self.fields = fields;
        self.data.set(&self.key, Value::Object(self.object.clone()));
    }
}

impl<R: Request> Deref for RequestMut<'_, R> {
    type Target = R;

    fn deref(&self) -> &R {
        &self.fields
    }
}

impl<R: Request> RequestAccess<R> for RequestMut<'_, R> {
    fn request_fields(&self) -> &R {
        &self.fields
    }
}

impl<R: Request> RequestEdit<R> for RequestMut<'_, R> {
    fn edit_field<T>(
        &mut self,
        field: &'static str,
        value: T,
        encode: fn(&str, &T) -> Result<Value, FieldError>,
        place: fn(&mut R) -> &mut T,
    ) -> Result<(), RequestError> {
        let json = encode(field, &value)?;
        self.object.insert(field.to_string(), json);
        self.data.set(&self.key, Value::Object(self.object.clone()));
        *place(&mut self.fields) = value;
        Ok(())
    }
}

impl<R: Request + fmt::Debug> fmt::Debug for RequestMut<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestMut")
            .field("request_id", &self.request_id)
            .field("relation_id", &self.relation_id)
            .field("fields", &self.fields)
            .finish()
    }
}
