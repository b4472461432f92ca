//! The grammar of reactive-rs: flag names and `#[hook]` patterns.
//!
//! This crate is shared by the proc-macro crate, which validates flags and
//! hook patterns at compile time, and by the runtime, which matches the
//! running hook against the patterns. Keeping one grammar in one place means
//! the two can never disagree about what a pattern means.
//!
//! - [`flag`]: what a flag name may look like, and the
//!   [`{endpoint_name}`](ENDPOINT_NAME_PLACEHOLDER) placeholder.
//! - [`hook_pattern`]: charms.reactive's `@hook` patterns, such as
//!   `db-relation-{joined,changed}` or `{requires:mysql}-relation-joined`.
//! - [`hook_kind`]: the hook names Juju runs.
//! - [`suggest`]: the edit-distance helper behind every "did you mean".
//! - [`yaml_nesting`]: a bound on YAML nesting, checked before parsing.
//!
//! Nothing in this crate panics on any input: every problem is a typed error
//! whose `Display` message quotes the offending part and says where it is,
//! because a compile error cannot point inside a string literal on stable
//! Rust. Positions in messages and error fields are byte offsets from 0.
//!
//! ```
//! use reactive_grammar::flag::check_flag;
//! use reactive_grammar::hook_pattern::parse_hook_pattern;
//!
//! assert!(check_flag("endpoint.{endpoint_name}.joined").is_ok());
//! let pattern = parse_hook_pattern("db-relation-{joined,changed}").unwrap();
//! assert!(pattern.matches("db-relation-changed", &|_, _| Vec::new()));
//! ```
#![deny(missing_docs)]

pub mod flag;
pub mod hook_kind;
pub mod hook_pattern;
pub mod suggest;
mod text;
pub mod yaml_nesting;

/// The only placeholder a flag may contain. Inside an endpoint's handlers it
/// stands for the endpoint's name, e.g. `endpoint.{endpoint_name}.joined`
/// becomes `endpoint.db.joined` for the `db` endpoint.
pub const ENDPOINT_NAME_PLACEHOLDER: &str = "{endpoint_name}";
