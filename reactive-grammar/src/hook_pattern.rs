//! charms.reactive's `@hook` patterns.
//!
//! A pattern is a hook name in which `{…}` groups stand for several
//! choices:
//!
//! - `{a,b,…}`, alternatives: `db-relation-{joined,changed}` is
//!   `db-relation-joined` and `db-relation-changed`;
//! - `{role:interface}`, the endpoints with that role and interface in
//!   `metadata.yaml`: `{requires:mysql}-relation-joined` is
//!   `db-relation-joined` when `db` is the charm's one `requires` endpoint of
//!   interface `mysql`. The role is `provides`, `requires` or `peers`.
//!
//! Several groups multiply out: `{a,b}-{c,d}` is `a-c`, `a-d`, `b-c`, `b-d`.
//! Groups cannot nest, and a pattern contains no whitespace.
//!
//! [`parse_hook_pattern`] checks the syntax; [`HookPattern::check_hook_kinds`]
//! checks that every expansion is a Juju hook name (the macros call both at
//! compile time); [`HookPattern::matches`] tells the runtime whether the
//! running hook is one of them.

mod check;
mod expand;
mod parse;
mod problem;
mod role;

use std::fmt;
use std::str::FromStr;

pub use parse::parse_hook_pattern;
pub use problem::PatternProblem;
pub use role::{ParseRoleError, Role};

/// The most hook names one pattern may multiply out to: its alternatives
/// (checked when it is parsed), and with its `{role:interface}` groups
/// resolved (checked by [`HookPattern::expand`]). More than this is
/// certainly a mistake, and refusing it keeps expansion cheap.
pub const MAX_EXPANSIONS: usize = 1024;

/// A parsed, syntactically valid hook pattern.
///
/// Build one with [`parse_hook_pattern`] (or `str::parse`).
///
/// ```
/// use reactive_grammar::hook_pattern::{parse_hook_pattern, Role};
///
/// let pattern = parse_hook_pattern("{requires:mysql}-relation-{joined,changed}").unwrap();
/// let resolve = |role: Role, interface: &str| match (role, interface) {
///     (Role::Requires, "mysql") => vec!["db".to_string(), "replica".to_string()],
///     _ => Vec::new(),
/// };
/// assert_eq!(
///     pattern.expand(&resolve).unwrap(),
///     [
///         "db-relation-joined",
///         "db-relation-changed",
///         "replica-relation-joined",
///         "replica-relation-changed",
///     ]
/// );
/// assert!(pattern.matches("replica-relation-changed", &resolve));
/// assert!(!pattern.matches("db-relation-departed", &resolve));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookPattern {
    source: String,
    parts: Vec<Part>,
}

/// One piece of a pattern, between or at `{…}` groups.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Text outside any group.
    Literal(String),
    /// `{a,b,…}`: one of these.
    Alternatives(Vec<String>),
    /// `{role:interface}`: one of the endpoint names the resolver returns.
    Endpoints {
        role: Role,
        interface: String,
        /// The group as written, braces included.
        group: String,
    },
}

impl HookPattern {
    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Every `{role:interface}` group in the pattern, in order, without
    /// duplicates.
    ///
    /// ```
    /// use reactive_grammar::hook_pattern::{parse_hook_pattern, Role};
    ///
    /// let pattern = parse_hook_pattern("{provides:http}-relation-joined").unwrap();
    /// assert_eq!(pattern.role_interfaces(), [(Role::Provides, "http".to_string())]);
    /// ```
    pub fn role_interfaces(&self) -> Vec<(Role, String)> {
        let mut found: Vec<(Role, String)> = Vec::new();
        for part in &self.parts {
            if let Part::Endpoints {
                role, interface, ..
            } = part
            {
                if !found.iter().any(|(r, i)| r == role && i == interface) {
                    found.push((*role, interface.clone()));
                }
            }
        }
        found
    }
}

impl fmt::Display for HookPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl FromStr for HookPattern {
    type Err = PatternProblem;

    /// The same as [`parse_hook_pattern`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_hook_pattern(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_its_source() {
        let pattern = parse_hook_pattern("db-relation-{joined,changed}").unwrap();
        assert_eq!(pattern.as_str(), "db-relation-{joined,changed}");
        assert_eq!(pattern.to_string(), "db-relation-{joined,changed}");
        assert_eq!(
            "db-relation-{joined,changed}".parse::<HookPattern>(),
            Ok(pattern)
        );
    }

    #[test]
    fn role_interfaces_in_order_without_duplicates() {
        let pattern = parse_hook_pattern("{requires:mysql}-relation-{joined,changed}").unwrap();
        assert_eq!(
            pattern.role_interfaces(),
            [(Role::Requires, "mysql".to_string())]
        );

        let pattern =
            parse_hook_pattern("{peers:cluster}{requires:mysql}{peers:cluster}{provides:mysql}")
                .unwrap();
        assert_eq!(
            pattern.role_interfaces(),
            [
                (Role::Peers, "cluster".to_string()),
                (Role::Requires, "mysql".to_string()),
                (Role::Provides, "mysql".to_string()),
            ]
        );

        assert!(parse_hook_pattern("install")
            .unwrap()
            .role_interfaces()
            .is_empty());
    }
}
