//! Reading requests and responses out of relation data. Remote data is
//! untrusted: whatever does not pass the checks is skipped, with a warning
//! collected for the caller to log.

use serde_json::{Map, Value};

use super::error::RequestError;
use super::id::{is_canonical_request_id, response_key, REQUEST_PREFIX};
use super::malformed::MalformedRequest;
use super::record::{RequestRecord, ResponseRecord, Sender};
use super::{Request, Response};
use crate::endpoint::request_index::Classified;
use crate::endpoint::{EndpointBase, RelatedUnit, Relation};
use crate::pyjson::decode_or_raw;

/// A valid request entry: its id, its JSON object and its typed fields.
pub(crate) struct Parsed<R> {
    pub(crate) request_id: String,
    pub(crate) object: Map<String, Value>,
    pub(crate) fields: R,
}

/// Check one relation data entry. `None`: the key is not a request's.
/// `Some(Err(reason))`: a request key whose entry cannot be trusted.
pub(crate) fn parse_request<R: Request>(key: &str, raw: &str) -> Option<Result<Parsed<R>, String>> {
    let id = key.strip_prefix(REQUEST_PREFIX)?;
    Some(parse_request_entry(id, raw))
}

/// What entry `key` is to the request pattern (the request index's
/// classifier for request type `R`).
pub(crate) fn classify<'a, R: Request>(key: &'a str, raw: &str) -> Option<Classified<'a>> {
    let id = key.strip_prefix(REQUEST_PREFIX)?;
    if !is_canonical_request_id(id) {
        return Some(Classified::Ignored(
            "the id is not a canonical lowercase UUID".to_string(),
        ));
    }
    Some(match parse_request_entry::<R>(id, raw) {
        Ok(_) => Classified::Valid(id),
        Err(reason) => Classified::Malformed(id, reason),
    })
}

fn parse_request_entry<R: Request>(id: &str, raw: &str) -> Result<Parsed<R>, String> {
    if !is_canonical_request_id(id) {
        return Err("the id is not a canonical lowercase UUID".to_string());
    }
    let Value::Object(object) = decode_or_raw(raw) else {
        return Err("the value is not a JSON object".to_string());
    };
    match object.get("request_id") {
        Some(Value::String(inner)) if inner == id => {}
        Some(_) => return Err("its `request_id` does not match the key".to_string()),
        None => return Err("it has no `request_id`".to_string()),
    }
    let fields = R::from_fields(&object).map_err(|e| e.to_string())?;
    Ok(Parsed {
        request_id: id.to_string(),
        object,
        fields,
    })
}

/// Check a response entry.
pub(crate) fn parse_response<S: Response>(raw: &str) -> Result<(Map<String, Value>, S), String> {
    let Value::Object(object) = decode_or_raw(raw) else {
        return Err("the value is not a JSON object".to_string());
    };
    let fields = S::from_fields(&object).map_err(|e| e.to_string())?;
    Ok((object, fields))
}

/// Order by request id (charms.reactive's `get_all`).
pub(crate) fn sort<R: Request>(records: &mut [RequestRecord<R>]) {
    records.sort_by(|a, b| a.request_id.cmp(&b.request_id));
}

/// The first remote unit's valid answer to request `request_id` on
/// `relation`.
fn remote_response<S: Response>(
    relation: &Relation,
    request_id: &str,
    warnings: &mut Vec<String>,
) -> Result<Option<ResponseRecord<S>>, RequestError> {
    let key = response_key(request_id);
    for unit in relation.unit_list() {
        let Some(raw) = unit.received_raw()?.get(&key) else {
            continue;
        };
        match parse_response::<S>(raw) {
            Ok((object, fields)) => {
                return Ok(Some(ResponseRecord {
                    request_id: request_id.to_string(),
                    relation_id: relation.relation_id().to_string(),
                    unit_name: Some(unit.unit_name().to_string()),
                    object,
                    fields,
                }))
            }
            Err(reason) => warnings.push(format!(
                "ignoring `{key}` from unit {} on relation {}: {reason}",
                unit.unit_name(),
                relation.relation_id()
            )),
        }
    }
    Ok(None)
}

/// Every request this unit published on the endpoint's relations, with
/// the responses the remote units sent, in creation order as
/// charms.reactive's request cache keeps it: those read from the relations
/// (relation by relation, each by request id, the order of the keys Juju
/// lists), then those created in this hook, in the order they were.
pub(crate) fn created_requests<R: Request>(
    base: &EndpointBase,
    warnings: &mut Vec<String>,
) -> Result<Vec<RequestRecord<R>>, RequestError> {
    let mut records = Vec::new();
    for relation in base.relations() {
        for (key, raw) in relation.published()?.raw() {
            let parsed = match parse_request::<R>(key, raw) {
                None => continue,
                Some(Ok(parsed)) => parsed,
                Some(Err(reason)) => {
                    warnings.push(format!(
                        "ignoring `{key}` in this unit's data on relation {}: {reason}",
                        relation.relation_id()
                    ));
                    continue;
                }
            };
            let response = remote_response(relation, &parsed.request_id, warnings)?;
            records.push(RequestRecord {
                request_id: parsed.request_id,
                relation_id: relation.relation_id().to_string(),
                sender: None,
                object: parsed.object,
                fields: parsed.fields,
                response,
            });
        }
    }
    let created = base.created_requests();
    let position = |id: &str| created.iter().position(|c| c == id);
    // Stable: the requests read keep their order, before every one created.
    records.sort_by_key(|r| position(&r.request_id).map_or(0, |p| p + 1));
    Ok(records)
}

/// Every request the joined remote units sent, with this unit's responses,
/// ordered by request id (then relation and unit).
pub(crate) fn received_requests<R: Request>(
    base: &EndpointBase,
    warnings: &mut Vec<String>,
) -> Result<Vec<RequestRecord<R>>, RequestError> {
    received_requests_from(base, base.all_joined_units().iter(), warnings)
}

/// [`received_requests`] of the units `units` only (given in the order of
/// `all_joined_units`).
pub(crate) fn received_requests_from<'a, R: Request>(
    base: &EndpointBase,
    units: impl IntoIterator<Item = &'a RelatedUnit>,
    warnings: &mut Vec<String>,
) -> Result<Vec<RequestRecord<R>>, RequestError> {
    let units: Vec<&RelatedUnit> = units.into_iter().collect();
    // Answers to many requests: this unit's whole bag is read once; to
    // one, its key alone.
    let whole_bag = units.len() > 1;
    let mut records = Vec::new();
    for unit in units {
        let data = unit.received_raw()?;
        let relation = base.relations().by_key(unit.relation_id());
        for (key, raw) in data {
            let parsed = match parse_request::<R>(key, raw) {
                None => continue,
                Some(Ok(parsed)) => parsed,
                Some(Err(reason)) => {
                    warnings.push(format!(
                        "ignoring `{key}` from unit {} on relation {}: {reason}",
                        unit.unit_name(),
                        unit.relation_id()
                    ));
                    continue;
                }
            };
            let mut response = None;
            if let Some(relation) = relation {
                let key = response_key(&parsed.request_id);
                let answer = if whole_bag {
                    relation.published()?.get_raw(&key)
                } else {
                    relation.published_value(&key)?
                };
                if let Some(raw) = answer {
                    match parse_response(raw) {
                        Ok((object, fields)) => {
                            response = Some(ResponseRecord {
                                request_id: parsed.request_id.clone(),
                                relation_id: unit.relation_id().to_string(),
                                unit_name: None,
                                object,
                                fields,
                            })
                        }
                        Err(reason) => warnings.push(format!(
                            "ignoring `{key}` in this unit's data on relation {}: {reason}; \
                             the request counts as unanswered",
                            unit.relation_id()
                        )),
                    }
                }
            }
            records.push(RequestRecord {
                request_id: parsed.request_id,
                relation_id: unit.relation_id().to_string(),
                sender: Some(Sender {
                    unit_name: unit.unit_name().to_string(),
                    ingress_address: data.get("ingress-address").cloned(),
                    egress_subnets: data.get("egress-subnets").cloned(),
                }),
                object: parsed.object,
                fields: parsed.fields,
                response,
            });
        }
    }
    sort(&mut records);
    Ok(records)
}

/// Every request the joined remote units sent under a canonical id that
/// cannot be read as `R`, in the order of the units and then of the ids,
/// each noting whether this unit answered it.
pub(crate) fn received_malformed<R: Request>(
    base: &EndpointBase,
) -> Result<Vec<MalformedRequest>, RequestError> {
    received_malformed_from::<R>(base, base.all_joined_units().iter())
}

/// [`received_malformed`] of the units `units` only (given in the order of
/// `all_joined_units`).
pub(crate) fn received_malformed_from<'a, R: Request>(
    base: &EndpointBase,
    units: impl IntoIterator<Item = &'a RelatedUnit>,
) -> Result<Vec<MalformedRequest>, RequestError> {
    let mut malformed = Vec::new();
    for unit in units {
        let relation = base.relations().by_key(unit.relation_id());
        for (key, raw) in unit.received_raw()? {
            let Some(Err(reason)) = parse_request::<R>(key, raw) else {
                continue;
            };
            let Some(id) = key.strip_prefix(REQUEST_PREFIX) else {
                continue;
            };
            if !is_canonical_request_id(id) {
                continue;
            }
            let has_response = match relation {
                Some(relation) => relation.published_value(&response_key(id))?.is_some(),
                None => false,
            };
            malformed.push(MalformedRequest {
                request_id: id.to_string(),
                relation_id: unit.relation_id().to_string(),
                unit_name: unit.unit_name().to_string(),
                reason,
                has_response,
            });
        }
    }
    Ok(malformed)
}
