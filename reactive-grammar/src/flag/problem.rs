//! What can be wrong with a flag name.

use std::fmt;

use crate::text::{char_literal, escaped, kind_of_invisible};
use crate::ENDPOINT_NAME_PLACEHOLDER;

/// A problem with a flag name, found by [`check_flag`](super::check_flag).
///
/// The `Display` messages quote the offending part and say where it is,
/// because a compile error cannot point inside a string literal on stable
/// Rust. Positions are byte offsets from 0. Control characters and
/// whitespace other than the plain space are shown escaped (`\t`, `\u{a0}`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FlagProblem {
    /// The flag is the empty string.
    Empty,
    /// The flag contains whitespace or a control character.
    InvalidCharacter {
        /// The whole flag.
        flag: String,
        /// The first offending character.
        character: char,
        /// Its byte offset in `flag`.
        position: usize,
    },
    /// The flag starts with `.`, so its first segment is empty.
    LeadingDot {
        /// The whole flag.
        flag: String,
    },
    /// The flag ends with `.`, so its last segment is empty.
    TrailingDot {
        /// The whole flag.
        flag: String,
    },
    /// Two or more dots in a row leave an empty segment.
    EmptySegment {
        /// The whole flag.
        flag: String,
        /// The segment before the dots.
        before: String,
        /// The segment after the dots.
        after: String,
        /// Byte offset of the first of the dots.
        position: usize,
    },
    /// A `{…}` other than `{endpoint_name}`.
    UnknownPlaceholder {
        /// The whole flag.
        flag: String,
        /// The placeholder as written, braces included, e.g. `{endpoint}`.
        placeholder: String,
        /// Whether it looks like a misspelling of `{endpoint_name}`, in which
        /// case the message suggests it.
        near_miss: bool,
    },
    /// A `{` with no `}` after it.
    UnclosedBrace {
        /// The whole flag.
        flag: String,
        /// Byte offset of the `{`.
        position: usize,
    },
    /// A `}` with no `{` before it.
    UnopenedBrace {
        /// The whole flag.
        flag: String,
        /// Byte offset of the `}`.
        position: usize,
    },
    /// A `{` inside another `{…}`.
    NestedBrace {
        /// The whole flag.
        flag: String,
        /// Byte offset of the inner `{`.
        position: usize,
    },
}

impl fmt::Display for FlagProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlagProblem::Empty => write!(f, "flag is empty"),
            FlagProblem::InvalidCharacter {
                flag,
                character,
                position,
            } => write!(
                f,
                "flag `{}` contains {} {} at position {position}",
                escaped(flag),
                kind_of_invisible(*character),
                char_literal(*character),
            ),
            FlagProblem::LeadingDot { flag } => {
                write!(f, "flag `{}` starts with `.`", escaped(flag))
            }
            FlagProblem::TrailingDot { flag } => {
                write!(f, "flag `{}` ends with `.`", escaped(flag))
            }
            FlagProblem::EmptySegment {
                flag,
                before,
                after,
                position: _,
            } => write!(
                f,
                "empty segment between `{}` and `{}` in `{}`",
                escaped(before),
                escaped(after),
                escaped(flag),
            ),
            FlagProblem::UnknownPlaceholder {
                flag,
                placeholder,
                near_miss,
            } => {
                write!(
                    f,
                    "unknown placeholder `{}` in `{}`; ",
                    escaped(placeholder),
                    escaped(flag),
                )?;
                if *near_miss {
                    write!(f, "did you mean `{ENDPOINT_NAME_PLACEHOLDER}`?")
                } else {
                    write!(f, "the only placeholder is `{ENDPOINT_NAME_PLACEHOLDER}`")
                }
            }
            FlagProblem::UnclosedBrace { flag, position } => write!(
                f,
                "unclosed `{{` at position {position} in `{}`; \
                 the only placeholder is `{ENDPOINT_NAME_PLACEHOLDER}`",
                escaped(flag),
            ),
            FlagProblem::UnopenedBrace { flag, position } => write!(
                f,
                "`}}` at position {position} in `{}` has no matching `{{`",
                escaped(flag),
            ),
            FlagProblem::NestedBrace { flag, position } => write!(
                f,
                "nested `{{` at position {position} in `{}`; \
                 the only placeholder is `{ENDPOINT_NAME_PLACEHOLDER}`",
                escaped(flag),
            ),
        }
    }
}

impl std::error::Error for FlagProblem {}
