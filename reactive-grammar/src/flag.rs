//! Flag names: what they may look like, and the `{endpoint_name}` placeholder.
//!
//! A flag is a non-empty name made of dot-separated segments
//! (`db.available`, `endpoint.db.joined`). [`check_flag`] rejects names that
//! are almost certainly mistakes; [`has_placeholder`] and
//! [`expand_placeholder`] handle the one placeholder,
//! [`ENDPOINT_NAME_PLACEHOLDER`] (`{endpoint_name}`).

mod problem;

pub use problem::FlagProblem;

use crate::suggest::closest;
use crate::text::is_invisible;
use crate::ENDPOINT_NAME_PLACEHOLDER;

/// The name inside the placeholder's braces.
const PLACEHOLDER_NAME: &str = "endpoint_name";

/// Placeholder names that clearly mean `{endpoint_name}` although they are
/// far from it in edit distance (compared case-insensitively).
const PLACEHOLDER_NEAR_MISSES: &[&str] = &["endpoint", "relation_name", "name", "relation"];

/// Check that `flag` is a well-formed flag name.
///
/// The first problem found is returned, checking in this order:
/// 1. the flag is empty ([`FlagProblem::Empty`]);
/// 2. braces: every `{…}` must be exactly `{endpoint_name}`
///    ([`FlagProblem::UnknownPlaceholder`], [`FlagProblem::UnclosedBrace`],
///    [`FlagProblem::UnopenedBrace`], [`FlagProblem::NestedBrace`]);
/// 3. whitespace or control characters ([`FlagProblem::InvalidCharacter`]);
/// 4. empty dot segments ([`FlagProblem::LeadingDot`],
///    [`FlagProblem::TrailingDot`], [`FlagProblem::EmptySegment`]).
///
/// Braces come before whitespace so that `{endpoint_name }` is reported as a
/// misspelt placeholder. Whether the placeholder is *allowed* where the flag
/// is written (only inside an endpoint impl) is for the caller to decide.
///
/// ```
/// use reactive_grammar::flag::{check_flag, FlagProblem};
///
/// assert!(check_flag("db.available").is_ok());
/// assert!(check_flag("endpoint.{endpoint_name}.joined").is_ok());
///
/// let problem = check_flag("db..ready").unwrap_err();
/// assert_eq!(problem.to_string(), "empty segment between `db` and `ready` in `db..ready`");
///
/// let problem = check_flag("endpoint.{endpoint}.joined").unwrap_err();
/// assert_eq!(
///     problem.to_string(),
///     "unknown placeholder `{endpoint}` in `endpoint.{endpoint}.joined`; \
///      did you mean `{endpoint_name}`?"
/// );
/// ```
pub fn check_flag(flag: &str) -> Result<(), FlagProblem> {
    if flag.is_empty() {
        return Err(FlagProblem::Empty);
    }
    check_braces(flag)?;
    check_characters(flag)?;
    check_segments(flag)
}

/// Whether `flag` contains the `{endpoint_name}` placeholder.
///
/// ```
/// use reactive_grammar::flag::has_placeholder;
///
/// assert!(has_placeholder("endpoint.{endpoint_name}.joined"));
/// assert!(!has_placeholder("endpoint.db.joined"));
/// ```
pub fn has_placeholder(flag: &str) -> bool {
    flag.contains(ENDPOINT_NAME_PLACEHOLDER)
}

/// `flag` with every `{endpoint_name}` replaced by `endpoint_name`.
///
/// ```
/// use reactive_grammar::flag::expand_placeholder;
///
/// assert_eq!(expand_placeholder("endpoint.{endpoint_name}.joined", "db"), "endpoint.db.joined");
/// assert_eq!(expand_placeholder("db.ready", "db"), "db.ready");
/// ```
pub fn expand_placeholder(flag: &str, endpoint_name: &str) -> String {
    flag.replace(ENDPOINT_NAME_PLACEHOLDER, endpoint_name)
}

/// Every `{` must be closed by a `}` before the next `{`, every `}` must
/// close a `{`, and what is between them must be `endpoint_name`.
fn check_braces(flag: &str) -> Result<(), FlagProblem> {
    let mut open: Option<usize> = None;
    for (position, c) in flag.char_indices() {
        match (c, open) {
            ('{', None) => open = Some(position),
            ('{', Some(_)) => {
                return Err(FlagProblem::NestedBrace {
                    flag: flag.to_owned(),
                    position,
                })
            }
            ('}', None) => {
                return Err(FlagProblem::UnopenedBrace {
                    flag: flag.to_owned(),
                    position,
                })
            }
            ('}', Some(start)) => {
                // `{` and `}` are one byte each, so these are char boundaries.
                let name = &flag[start + 1..position];
                if name != PLACEHOLDER_NAME {
                    return Err(FlagProblem::UnknownPlaceholder {
                        flag: flag.to_owned(),
                        placeholder: flag[start..=position].to_owned(),
                        near_miss: is_placeholder_near_miss(name),
                    });
                }
                open = None;
            }
            _ => {}
        }
    }
    match open {
        Some(position) => Err(FlagProblem::UnclosedBrace {
            flag: flag.to_owned(),
            position,
        }),
        None => Ok(()),
    }
}

/// Whether a placeholder name is plausibly a misspelling of `endpoint_name`.
fn is_placeholder_near_miss(name: &str) -> bool {
    let name = name.trim().to_lowercase();
    name.contains("endpoint")
        || name.contains("relation")
        || PLACEHOLDER_NEAR_MISSES.contains(&name.as_str())
        || name == PLACEHOLDER_NAME
        || closest(&name, [PLACEHOLDER_NAME]).is_some()
}

fn check_characters(flag: &str) -> Result<(), FlagProblem> {
    match flag
        .char_indices()
        .find(|&(_, c)| c == ' ' || is_invisible(c))
    {
        Some((position, character)) => Err(FlagProblem::InvalidCharacter {
            flag: flag.to_owned(),
            character,
            position,
        }),
        None => Ok(()),
    }
}

fn check_segments(flag: &str) -> Result<(), FlagProblem> {
    if flag.starts_with('.') {
        return Err(FlagProblem::LeadingDot {
            flag: flag.to_owned(),
        });
    }
    if flag.ends_with('.') {
        return Err(FlagProblem::TrailingDot {
            flag: flag.to_owned(),
        });
    }
    if let Some(position) = flag.find("..") {
        let before = flag[..position].rsplit('.').next().unwrap_or_default();
        let after = flag[position..]
            .trim_start_matches('.')
            .split('.')
            .next()
            .unwrap_or_default();
        return Err(FlagProblem::EmptySegment {
            flag: flag.to_owned(),
            before: before.to_owned(),
            after: after.to_owned(),
            position,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(flag: &str) -> String {
        match check_flag(flag) {
            Ok(()) => panic!("`{flag}` should be rejected"),
            Err(problem) => problem.to_string(),
        }
    }

    #[test]
    fn accepts_ordinary_flags() {
        for flag in [
            "a",
            "db.available",
            "endpoint.db.joined",
            "endpoint.{endpoint_name}.joined",
            "{endpoint_name}",
            "{endpoint_name}.{endpoint_name}",
            "apt.installed.mysql-server",
            "leadership.set.some_key",
            "café.prêt",
            "a-b_c:d/e",
        ] {
            assert_eq!(check_flag(flag), Ok(()), "{flag}");
        }
    }

    #[test]
    fn rejects_empty_flag() {
        assert_eq!(check_flag(""), Err(FlagProblem::Empty));
        assert_eq!(message(""), "flag is empty");
    }

    #[test]
    fn rejects_space_with_its_position() {
        assert_eq!(
            check_flag("db ready"),
            Err(FlagProblem::InvalidCharacter {
                flag: "db ready".into(),
                character: ' ',
                position: 2,
            })
        );
        assert_eq!(
            message("db ready"),
            "flag `db ready` contains whitespace ' ' at position 2"
        );
    }

    #[test]
    fn rejects_tab_and_newline_escaped() {
        assert_eq!(
            message("db\tready"),
            "flag `db\\tready` contains whitespace '\\t' at position 2"
        );
        assert_eq!(
            message("db.ready\n"),
            "flag `db.ready\\n` contains whitespace '\\n' at position 8"
        );
        assert_eq!(
            message(" db"),
            "flag ` db` contains whitespace ' ' at position 0"
        );
    }

    #[test]
    fn rejects_unicode_whitespace_with_byte_position() {
        assert_eq!(
            message("é\u{a0}x"),
            "flag `é\\u{a0}x` contains whitespace '\\u{a0}' at position 2"
        );
    }

    #[test]
    fn rejects_control_characters() {
        assert_eq!(
            message("db\u{7}ready"),
            "flag `db\\u{7}ready` contains control character '\\u{7}' at position 2"
        );
        assert_eq!(
            message("db\0"),
            "flag `db\\0` contains control character '\\0' at position 2"
        );
    }

    #[test]
    fn rejects_leading_dot() {
        assert_eq!(
            check_flag(".db"),
            Err(FlagProblem::LeadingDot { flag: ".db".into() })
        );
        assert_eq!(message(".db"), "flag `.db` starts with `.`");
        assert_eq!(message("."), "flag `.` starts with `.`");
        assert_eq!(message("..db"), "flag `..db` starts with `.`");
    }

    #[test]
    fn rejects_trailing_dot() {
        assert_eq!(
            check_flag("db."),
            Err(FlagProblem::TrailingDot { flag: "db.".into() })
        );
        assert_eq!(message("db."), "flag `db.` ends with `.`");
    }

    #[test]
    fn rejects_empty_inner_segment() {
        assert_eq!(
            check_flag("db..ready"),
            Err(FlagProblem::EmptySegment {
                flag: "db..ready".into(),
                before: "db".into(),
                after: "ready".into(),
                position: 2,
            })
        );
        assert_eq!(
            message("db..ready"),
            "empty segment between `db` and `ready` in `db..ready`"
        );
        assert_eq!(
            message("endpoint.db...joined.x"),
            "empty segment between `db` and `joined` in `endpoint.db...joined.x`"
        );
        assert_eq!(
            message("a.{endpoint_name}..b"),
            "empty segment between `{endpoint_name}` and `b` in `a.{endpoint_name}..b`"
        );
    }

    #[test]
    fn near_miss_placeholders_suggest_endpoint_name() {
        for (flag, placeholder) in [
            ("endpoint.{endpoint}.joined", "{endpoint}"),
            ("endpoint.{relation_name}.joined", "{relation_name}"),
            ("endpoint.{name}.joined", "{name}"),
            ("endpoint.{endpoint_name }.joined", "{endpoint_name }"),
            ("endpoint.{ endpoint_name}.joined", "{ endpoint_name}"),
            ("endpoint.{endpointname}.joined", "{endpointname}"),
            ("endpoint.{endpoint-name}.joined", "{endpoint-name}"),
            ("endpoint.{ENDPOINT_NAME}.joined", "{ENDPOINT_NAME}"),
            ("endpoint.{my_endpoint}.joined", "{my_endpoint}"),
            ("endpoint.{relation}.joined", "{relation}"),
            ("endpoint.{relation_id}.joined", "{relation_id}"),
            ("endpoint.{endpont_name}.joined", "{endpont_name}"),
            ("endpoint.{enpoint_nam}.joined", "{enpoint_nam}"),
        ] {
            assert_eq!(
                check_flag(flag),
                Err(FlagProblem::UnknownPlaceholder {
                    flag: flag.into(),
                    placeholder: placeholder.into(),
                    near_miss: true,
                }),
                "{flag}"
            );
        }
        assert_eq!(
            message("endpoint.{endpoint}.joined"),
            "unknown placeholder `{endpoint}` in `endpoint.{endpoint}.joined`; \
             did you mean `{endpoint_name}`?"
        );
        assert_eq!(
            message("endpoint.{endpoint_name }.joined"),
            "unknown placeholder `{endpoint_name }` in `endpoint.{endpoint_name }.joined`; \
             did you mean `{endpoint_name}`?"
        );
    }

    #[test]
    fn other_placeholders_name_the_only_one() {
        assert_eq!(
            check_flag("db.{unit}.ready"),
            Err(FlagProblem::UnknownPlaceholder {
                flag: "db.{unit}.ready".into(),
                placeholder: "{unit}".into(),
                near_miss: false,
            })
        );
        assert_eq!(
            message("db.{unit}.ready"),
            "unknown placeholder `{unit}` in `db.{unit}.ready`; \
             the only placeholder is `{endpoint_name}`"
        );
        assert_eq!(
            message("db.{}.ready"),
            "unknown placeholder `{}` in `db.{}.ready`; the only placeholder is `{endpoint_name}`"
        );
    }

    #[test]
    fn rejects_unclosed_brace() {
        assert_eq!(
            check_flag("endpoint.{endpoint_name.joined"),
            Err(FlagProblem::UnclosedBrace {
                flag: "endpoint.{endpoint_name.joined".into(),
                position: 9,
            })
        );
        assert_eq!(
            message("endpoint.{endpoint_name.joined"),
            "unclosed `{` at position 9 in `endpoint.{endpoint_name.joined`; \
             the only placeholder is `{endpoint_name}`"
        );
        assert_eq!(
            message("{endpoint_name}.{"),
            "unclosed `{` at position 16 in `{endpoint_name}.{`; \
             the only placeholder is `{endpoint_name}`"
        );
    }

    #[test]
    fn rejects_unopened_brace() {
        assert_eq!(
            check_flag("endpoint.endpoint_name}.joined"),
            Err(FlagProblem::UnopenedBrace {
                flag: "endpoint.endpoint_name}.joined".into(),
                position: 22,
            })
        );
        assert_eq!(
            message("endpoint.endpoint_name}.joined"),
            "`}` at position 22 in `endpoint.endpoint_name}.joined` has no matching `{`"
        );
        assert_eq!(
            message("{endpoint_name}}"),
            "`}` at position 15 in `{endpoint_name}}` has no matching `{`"
        );
    }

    #[test]
    fn rejects_nested_brace() {
        assert_eq!(
            check_flag("endpoint.{{endpoint_name}}.joined"),
            Err(FlagProblem::NestedBrace {
                flag: "endpoint.{{endpoint_name}}.joined".into(),
                position: 10,
            })
        );
        assert_eq!(
            message("endpoint.{{endpoint_name}}.joined"),
            "nested `{` at position 10 in `endpoint.{{endpoint_name}}.joined`; \
             the only placeholder is `{endpoint_name}`"
        );
    }

    #[test]
    fn braces_are_checked_before_whitespace_and_dots() {
        assert!(matches!(
            check_flag("a b.{x}"),
            Err(FlagProblem::UnknownPlaceholder { .. })
        ));
        assert!(matches!(
            check_flag("a..{x"),
            Err(FlagProblem::UnclosedBrace { .. })
        ));
        assert!(matches!(
            check_flag(".a b"),
            Err(FlagProblem::InvalidCharacter { .. })
        ));
    }

    #[test]
    fn placeholder_helpers() {
        assert!(has_placeholder("{endpoint_name}"));
        assert!(has_placeholder("endpoint.{endpoint_name}.changed"));
        assert!(!has_placeholder("endpoint.{endpoint}.changed"));
        assert!(!has_placeholder(""));
        assert_eq!(
            expand_placeholder("{endpoint_name}.{endpoint_name}", "db"),
            "db.db"
        );
        assert_eq!(expand_placeholder("", "db"), "");
        assert_eq!(
            expand_placeholder("endpoint.{endpoint_name}", ""),
            "endpoint."
        );
    }

    #[test]
    fn never_panics_on_odd_input() {
        for flag in [
            "{",
            "}",
            "{}",
            "{{",
            "}}",
            "..",
            "é{",
            "{é}",
            "\u{0}",
            "{endpoint_name",
            "…",
        ] {
            let _ = check_flag(flag).map_err(|problem| problem.to_string());
        }
    }
}
