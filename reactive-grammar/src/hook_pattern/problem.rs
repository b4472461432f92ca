//! What can be wrong with a hook pattern.

use std::fmt;

use super::role::suggest_role;
use super::MAX_EXPANSIONS;
use crate::text::{char_literal, escaped, kind_of_invisible};

/// A problem with a `#[hook]` pattern, found by
/// [`parse_hook_pattern`](super::parse_hook_pattern) or
/// [`HookPattern::check_hook_kinds`](super::HookPattern::check_hook_kinds).
///
/// The `Display` messages quote the offending part (the pattern, the
/// `{…}` group or the expanded hook name) and say where it is. Positions are
/// byte offsets from 0.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PatternProblem {
    /// The pattern is the empty string.
    Empty,
    /// The pattern contains whitespace or a control character; an
    /// alternative such as `{joined, changed}` would never match.
    InvalidCharacter {
        /// The whole pattern.
        pattern: String,
        /// The first offending character.
        character: char,
        /// Its byte offset in `pattern`.
        position: usize,
    },
    /// A `{` with no `}` after it, as in `{joined,changed`.
    UnclosedBrace {
        /// The whole pattern.
        pattern: String,
        /// Byte offset of the `{`.
        position: usize,
    },
    /// A `}` with no `{` before it, as in `joined}`.
    UnopenedBrace {
        /// The whole pattern.
        pattern: String,
        /// Byte offset of the `}`.
        position: usize,
    },
    /// A `{` inside a group, as in `{{joined}}`: groups cannot nest.
    NestedBrace {
        /// The whole pattern.
        pattern: String,
        /// Byte offset of the inner `{`.
        position: usize,
    },
    /// A group with nothing in it: `{}`.
    EmptyGroup {
        /// The whole pattern.
        pattern: String,
        /// Byte offset of the group's `{`.
        position: usize,
    },
    /// A flag placeholder, `{endpoint_name}` (or charms.reactive's older
    /// `{relation_name}`), used as a group: hook patterns are not expanded
    /// per endpoint instance, so it would stand for the literal name
    /// `endpoint_name` and never match.
    Placeholder {
        /// The group, braces included.
        group: String,
    },
    /// An empty alternative, as in `{a,,b}`, `{,a}` or `{a,}`.
    EmptyAlternative {
        /// The group, braces included.
        group: String,
    },
    /// An alternative containing `:`, as in `{joined,requires:mysql}`: a
    /// group is either alternatives or one `{role:interface}`.
    ColonInAlternative {
        /// The group, braces included.
        group: String,
        /// The alternative that contains the `:`.
        alternative: String,
    },
    /// A `{role:interface}` group with nothing before the `:`.
    MissingRole {
        /// The group, braces included.
        group: String,
    },
    /// A `{role:interface}` group whose role is not `provides`, `requires`
    /// or `peers`.
    UnknownRole {
        /// The group, braces included.
        group: String,
        /// The role as written.
        role: String,
    },
    /// A `{role:interface}` group with nothing after the `:`.
    EmptyInterface {
        /// The group, braces included.
        group: String,
    },
    /// A `{role:interface}` group whose interface contains `,` or `:`.
    InvalidInterface {
        /// The group, braces included.
        group: String,
        /// The interface as written.
        interface: String,
    },
    /// The alternatives (or, when expanding, the alternatives and the
    /// endpoints of the `{role:interface}` groups) multiply out to more hook
    /// names than [`MAX_EXPANSIONS`](super::MAX_EXPANSIONS).
    TooManyExpansions {
        /// The whole pattern.
        pattern: String,
    },
    /// An expansion of the pattern is not a Juju hook name.
    NotAHook {
        /// The whole pattern.
        pattern: String,
        /// The expansion, with any `{role:interface}` group left as written.
        expansion: String,
        /// The nearest valid hook name, written the same way.
        suggestion: Option<String>,
    },
    /// A `{role:interface}` group that is not the endpoint name of a
    /// relation hook: it stands for whole endpoint names, so it must begin
    /// the hook name and be followed by `-relation-<event>`.
    MisplacedEndpointGroup {
        /// The whole pattern.
        pattern: String,
        /// The group, braces included.
        group: String,
        /// The expansion in which it is misplaced.
        expansion: String,
    },
}

/// ``"`x` (from `pattern`)"`` or just ``"`x`"`` when they are the same.
struct Expansion<'a> {
    expansion: &'a str,
    pattern: &'a str,
}

impl fmt::Display for Expansion<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`", escaped(self.expansion))?;
        if self.expansion != self.pattern {
            write!(f, " (from `{}`)", escaped(self.pattern))?;
        }
        Ok(())
    }
}

impl fmt::Display for PatternProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatternProblem::Empty => write!(f, "hook pattern is empty"),
            PatternProblem::InvalidCharacter {
                pattern,
                character,
                position,
            } => write!(
                f,
                "hook pattern `{}` contains {} {} at position {position}",
                escaped(pattern),
                kind_of_invisible(*character),
                char_literal(*character),
            ),
            PatternProblem::UnclosedBrace { pattern, position } => write!(
                f,
                "unclosed `{{` at position {position} in hook pattern `{}`",
                escaped(pattern),
            ),
            PatternProblem::UnopenedBrace { pattern, position } => write!(
                f,
                "`}}` at position {position} in hook pattern `{}` has no matching `{{`",
                escaped(pattern),
            ),
            PatternProblem::NestedBrace { pattern, position } => write!(
                f,
                "nested `{{` at position {position} in hook pattern `{}`; groups cannot be nested",
                escaped(pattern),
            ),
            PatternProblem::EmptyGroup { pattern, position } => write!(
                f,
                "empty group `{{}}` at position {position} in hook pattern `{}`",
                escaped(pattern),
            ),
            PatternProblem::EmptyAlternative { group } => write!(
                f,
                "empty alternative in `{}`; remove the extra `,`",
                escaped(group),
            ),
            PatternProblem::ColonInAlternative { group, alternative } => write!(
                f,
                "alternative `{}` in `{}` contains `:`; a group is either alternatives \
                 like `{{joined,changed}}` or one `{{role:interface}}` like `{{requires:mysql}}`",
                escaped(alternative),
                escaped(group),
            ),
            PatternProblem::MissingRole { group } => write!(
                f,
                "missing role in `{}`; expected `provides`, `requires` or `peers` before the `:`",
                escaped(group),
            ),
            PatternProblem::UnknownRole { group, role } => {
                write!(
                    f,
                    "unknown role `{}` in `{}`; expected `provides`, `requires` or `peers`",
                    escaped(role),
                    escaped(group),
                )?;
                if let Some(role) = suggest_role(role) {
                    write!(f, "; did you mean `{role}`?")?;
                }
                Ok(())
            }
            PatternProblem::EmptyInterface { group } => write!(
                f,
                "missing interface in `{}`; write `{{role:interface}}`, e.g. `{{requires:mysql}}`",
                escaped(group),
            ),
            PatternProblem::InvalidInterface { group, interface } => write!(
                f,
                "interface `{}` in `{}` is not one interface name; \
                 write one `{{role:interface}}` group per interface",
                escaped(interface),
                escaped(group),
            ),
            PatternProblem::TooManyExpansions { pattern } => write!(
                f,
                "hook pattern `{}` expands to more than {MAX_EXPANSIONS} hook names",
                escaped(pattern),
            ),
            PatternProblem::NotAHook {
                pattern,
                expansion,
                suggestion,
            } => {
                write!(
                    f,
                    "{} is not a Juju hook name",
                    Expansion { expansion, pattern },
                )?;
                match suggestion {
                    Some(suggestion) => write!(f, "; did you mean `{}`?", escaped(suggestion)),
                    None => write!(
                        f,
                        "; hook names are e.g. `install`, `config-changed`, \
                         `<endpoint>-relation-joined` or `<storage>-storage-attached`"
                    ),
                }
            }
            PatternProblem::Placeholder { group } => write!(
                f,
                "`{group}` is not replaced in a hook pattern (only in flag names): name the \
                 endpoint's hooks with a `{{role:interface}}` group, as in \
                 `{{requires:mysql}}-relation-joined`, or react to a flag such as \
                 `endpoint.{{endpoint_name}}.changed`",
                group = escaped(group),
            ),
            PatternProblem::MisplacedEndpointGroup {
                pattern,
                group,
                expansion,
            } => write!(
                f,
                "`{group}` in {} stands for endpoint names, so it must begin a relation hook \
                 name and be followed by `-relation-<event>`, as in `{group}-relation-joined`",
                Expansion { expansion, pattern },
                group = escaped(group),
            ),
        }
    }
}

impl std::error::Error for PatternProblem {}
