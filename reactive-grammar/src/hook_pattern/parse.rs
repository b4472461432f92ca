//! Parsing a hook pattern.

use super::{HookPattern, Part, PatternProblem, Role, MAX_EXPANSIONS};
use crate::text::is_invisible;

/// Parse a `#[hook]` pattern such as `db-relation-{joined,changed}` or
/// `{requires:mysql}-relation-joined`, checking its syntax.
///
/// The first problem found is returned: an empty pattern, whitespace or
/// control characters, then the braces and groups from left to right
/// (unbalanced or nested braces, `{}`, empty alternatives, an alternative
/// containing `:`, a missing or unknown role, a missing or malformed
/// interface), then more than [`MAX_EXPANSIONS`] expansions. Whether the
/// expansions are Juju hook names is a separate check,
/// [`HookPattern::check_hook_kinds`]. A group with a single alternative,
/// `{joined}`, is allowed, as in charms.reactive.
///
/// ```
/// use reactive_grammar::hook_pattern::parse_hook_pattern;
///
/// assert!(parse_hook_pattern("db-relation-{joined,changed}").is_ok());
///
/// let problem = parse_hook_pattern("{provide:mysql}-relation-joined").unwrap_err();
/// assert_eq!(
///     problem.to_string(),
///     "unknown role `provide` in `{provide:mysql}`; expected `provides`, `requires` \
///      or `peers`; did you mean `provides`?"
/// );
///
/// let problem = parse_hook_pattern("db-relation-{joined,}").unwrap_err();
/// assert_eq!(problem.to_string(), "empty alternative in `{joined,}`; remove the extra `,`");
/// ```
pub fn parse_hook_pattern(pattern: &str) -> Result<HookPattern, PatternProblem> {
    if pattern.is_empty() {
        return Err(PatternProblem::Empty);
    }
    if let Some((position, character)) = pattern
        .char_indices()
        .find(|&(_, c)| c == ' ' || is_invisible(c))
    {
        return Err(PatternProblem::InvalidCharacter {
            pattern: pattern.to_owned(),
            character,
            position,
        });
    }

    let mut parts = Vec::new();
    let mut literal_start = 0;
    let mut open: Option<usize> = None;
    for (position, c) in pattern.char_indices() {
        match (c, open) {
            ('{', None) => {
                if literal_start < position {
                    parts.push(Part::Literal(pattern[literal_start..position].to_owned()));
                }
                open = Some(position);
            }
            ('{', Some(_)) => {
                return Err(PatternProblem::NestedBrace {
                    pattern: pattern.to_owned(),
                    position,
                })
            }
            ('}', None) => {
                return Err(PatternProblem::UnopenedBrace {
                    pattern: pattern.to_owned(),
                    position,
                })
            }
            ('}', Some(start)) => {
                // `{` and `}` are one byte each, so these are char boundaries.
                parts.push(parse_group(pattern, start, &pattern[start + 1..position])?);
                open = None;
                literal_start = position + 1;
            }
            _ => {}
        }
    }
    if let Some(position) = open {
        return Err(PatternProblem::UnclosedBrace {
            pattern: pattern.to_owned(),
            position,
        });
    }
    if literal_start < pattern.len() {
        parts.push(Part::Literal(pattern[literal_start..].to_owned()));
    }

    let expansions = parts.iter().fold(1usize, |count, part| match part {
        Part::Alternatives(alternatives) => count.saturating_mul(alternatives.len()),
        Part::Literal(_) | Part::Endpoints { .. } => count,
    });
    if expansions > MAX_EXPANSIONS {
        return Err(PatternProblem::TooManyExpansions {
            pattern: pattern.to_owned(),
        });
    }

    Ok(HookPattern {
        source: pattern.to_owned(),
        parts,
    })
}

/// Parse the inside of the group that starts at byte `start` of `pattern`.
fn parse_group(pattern: &str, start: usize, inside: &str) -> Result<Part, PatternProblem> {
    let group = || format!("{{{inside}}}");
    if inside.is_empty() {
        return Err(PatternProblem::EmptyGroup {
            pattern: pattern.to_owned(),
            position: start,
        });
    }
    if matches!(inside.trim(), "endpoint_name" | "relation_name") {
        return Err(PatternProblem::Placeholder { group: group() });
    }
    let alternatives: Vec<&str> = inside.split(',').collect();
    if let Some((role, interface)) = inside.split_once(':') {
        if alternatives.len() > 1 && role.contains(',') {
            let alternative = alternatives
                .iter()
                .find(|alternative| alternative.contains(':'))
                .copied()
                .unwrap_or(inside);
            return Err(PatternProblem::ColonInAlternative {
                group: group(),
                alternative: alternative.to_owned(),
            });
        }
        if role.is_empty() {
            return Err(PatternProblem::MissingRole { group: group() });
        }
        let Ok(role) = role.parse::<Role>() else {
            return Err(PatternProblem::UnknownRole {
                group: group(),
                role: role.to_owned(),
            });
        };
        if interface.is_empty() {
            return Err(PatternProblem::EmptyInterface { group: group() });
        }
        if interface.contains([',', ':']) {
            return Err(PatternProblem::InvalidInterface {
                group: group(),
                interface: interface.to_owned(),
            });
        }
        return Ok(Part::Endpoints {
            role,
            interface: interface.to_owned(),
            group: group(),
        });
    }
    if alternatives
        .iter()
        .any(|alternative| alternative.is_empty())
    {
        return Err(PatternProblem::EmptyAlternative { group: group() });
    }
    Ok(Part::Alternatives(
        alternatives.into_iter().map(str::to_owned).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_placeholder_is_not_a_group() {
        for pattern in [
            "{endpoint_name}-relation-joined",
            "{relation_name}-relation-{joined,changed}",
        ] {
            let problem = parse_hook_pattern(pattern).unwrap_err();
            assert!(
                matches!(&problem, PatternProblem::Placeholder { group } if pattern.starts_with(group.as_str())),
                "{pattern}: {problem:?}"
            );
            let message = problem.to_string();
            assert!(
                message.contains("{requires:mysql}-relation-joined"),
                "{message}"
            );
        }
        // A group of alternatives that merely contains the word is fine.
        assert!(parse_hook_pattern("{endpoint_name,db}-relation-joined").is_ok());
    }

    fn message(pattern: &str) -> String {
        match parse_hook_pattern(pattern) {
            Ok(_) => panic!("`{pattern}` should be rejected"),
            Err(problem) => problem.to_string(),
        }
    }

    fn alternatives(words: &[&str]) -> Part {
        Part::Alternatives(words.iter().map(|w| w.to_string()).collect())
    }

    #[test]
    fn parses_a_plain_hook_name() {
        let pattern = parse_hook_pattern("install").unwrap();
        assert_eq!(pattern.parts, [Part::Literal("install".into())]);
    }

    #[test]
    fn parses_groups_and_literals() {
        let pattern = parse_hook_pattern("{requires:mysql}-relation-{joined,changed}").unwrap();
        assert_eq!(
            pattern.parts,
            [
                Part::Endpoints {
                    role: Role::Requires,
                    interface: "mysql".into(),
                    group: "{requires:mysql}".into(),
                },
                Part::Literal("-relation-".into()),
                alternatives(&["joined", "changed"]),
            ]
        );
        let pattern = parse_hook_pattern("{a,b}{c}").unwrap();
        assert_eq!(
            pattern.parts,
            [alternatives(&["a", "b"]), alternatives(&["c"])]
        );
    }

    #[test]
    fn interface_names_may_hold_dashes_and_dots() {
        let pattern = parse_hook_pattern("{provides:prometheus-manual}-relation-joined").unwrap();
        assert_eq!(
            pattern.role_interfaces(),
            [(Role::Provides, "prometheus-manual".into())]
        );
        assert!(parse_hook_pattern("{peers:my.iface_2}-relation-joined").is_ok());
    }

    #[test]
    fn rejects_empty_pattern() {
        assert_eq!(parse_hook_pattern(""), Err(PatternProblem::Empty));
        assert_eq!(message(""), "hook pattern is empty");
    }

    #[test]
    fn rejects_whitespace_and_control_characters() {
        assert_eq!(
            parse_hook_pattern("db-relation-{joined, changed}"),
            Err(PatternProblem::InvalidCharacter {
                pattern: "db-relation-{joined, changed}".into(),
                character: ' ',
                position: 20,
            })
        );
        assert_eq!(
            message("db-relation-{joined, changed}"),
            "hook pattern `db-relation-{joined, changed}` contains whitespace ' ' at position 20"
        );
        assert_eq!(
            message("install\n"),
            "hook pattern `install\\n` contains whitespace '\\n' at position 7"
        );
        assert_eq!(
            message("inst\u{1b}all"),
            "hook pattern `inst\\u{1b}all` contains control character '\\u{1b}' at position 4"
        );
    }

    #[test]
    fn rejects_unclosed_brace() {
        assert_eq!(
            parse_hook_pattern("db-relation-{joined,changed"),
            Err(PatternProblem::UnclosedBrace {
                pattern: "db-relation-{joined,changed".into(),
                position: 12,
            })
        );
        assert_eq!(
            message("db-relation-{joined,changed"),
            "unclosed `{` at position 12 in hook pattern `db-relation-{joined,changed`"
        );
        assert_eq!(
            message("{a,b"),
            "unclosed `{` at position 0 in hook pattern `{a,b`"
        );
    }

    #[test]
    fn rejects_unopened_brace() {
        assert_eq!(
            parse_hook_pattern("a}"),
            Err(PatternProblem::UnopenedBrace {
                pattern: "a}".into(),
                position: 1,
            })
        );
        assert_eq!(
            message("a}"),
            "`}` at position 1 in hook pattern `a}` has no matching `{`"
        );
        assert_eq!(
            message("db-relation-joined,changed}"),
            "`}` at position 26 in hook pattern `db-relation-joined,changed}` has no matching `{`"
        );
        assert_eq!(
            message("{a}}"),
            "`}` at position 3 in hook pattern `{a}}` has no matching `{`"
        );
    }

    #[test]
    fn rejects_nested_braces() {
        assert_eq!(
            parse_hook_pattern("{{a}}"),
            Err(PatternProblem::NestedBrace {
                pattern: "{{a}}".into(),
                position: 1,
            })
        );
        assert_eq!(
            message("{{a}}"),
            "nested `{` at position 1 in hook pattern `{{a}}`; groups cannot be nested"
        );
        assert_eq!(
            message("x-{a,{b,c}}"),
            "nested `{` at position 5 in hook pattern `x-{a,{b,c}}`; groups cannot be nested"
        );
    }

    #[test]
    fn rejects_empty_group() {
        assert_eq!(
            parse_hook_pattern("db-relation-{}"),
            Err(PatternProblem::EmptyGroup {
                pattern: "db-relation-{}".into(),
                position: 12,
            })
        );
        assert_eq!(
            message("db-relation-{}"),
            "empty group `{}` at position 12 in hook pattern `db-relation-{}`"
        );
    }

    #[test]
    fn rejects_empty_alternatives() {
        for (pattern, group) in [
            ("x-{a,,b}", "{a,,b}"),
            ("x-{,a}", "{,a}"),
            ("x-{a,}", "{a,}"),
            ("x-{,}", "{,}"),
        ] {
            assert_eq!(
                parse_hook_pattern(pattern),
                Err(PatternProblem::EmptyAlternative {
                    group: group.into()
                }),
                "{pattern}"
            );
        }
        assert_eq!(
            message("x-{a,,b}"),
            "empty alternative in `{a,,b}`; remove the extra `,`"
        );
    }

    #[test]
    fn rejects_colon_in_alternative() {
        assert_eq!(
            parse_hook_pattern("x-{joined,requires:mysql}"),
            Err(PatternProblem::ColonInAlternative {
                group: "{joined,requires:mysql}".into(),
                alternative: "requires:mysql".into(),
            })
        );
        assert_eq!(
            message("x-{a,b:c}"),
            "alternative `b:c` in `{a,b:c}` contains `:`; a group is either alternatives \
             like `{joined,changed}` or one `{role:interface}` like `{requires:mysql}`"
        );
        assert_eq!(
            parse_hook_pattern("x-{a,:c}"),
            Err(PatternProblem::ColonInAlternative {
                group: "{a,:c}".into(),
                alternative: ":c".into(),
            })
        );
    }

    #[test]
    fn rejects_missing_role() {
        assert_eq!(
            parse_hook_pattern("{:mysql}-relation-joined"),
            Err(PatternProblem::MissingRole {
                group: "{:mysql}".into()
            })
        );
        assert_eq!(
            message("{:mysql}-relation-joined"),
            "missing role in `{:mysql}`; expected `provides`, `requires` or `peers` before the `:`"
        );
        assert!(matches!(
            parse_hook_pattern("{:}"),
            Err(PatternProblem::MissingRole { .. })
        ));
    }

    #[test]
    fn rejects_unknown_role_with_suggestion() {
        assert_eq!(
            parse_hook_pattern("{provide:mysql}-relation-joined"),
            Err(PatternProblem::UnknownRole {
                group: "{provide:mysql}".into(),
                role: "provide".into(),
            })
        );
        assert_eq!(
            message("{provide:mysql}-relation-joined"),
            "unknown role `provide` in `{provide:mysql}`; expected `provides`, `requires` \
             or `peers`; did you mean `provides`?"
        );
        assert_eq!(
            message("{peer:cluster}-relation-joined"),
            "unknown role `peer` in `{peer:cluster}`; expected `provides`, `requires` \
             or `peers`; did you mean `peers`?"
        );
        assert_eq!(
            message("{requirer:mysql}-relation-joined"),
            "unknown role `requirer` in `{requirer:mysql}`; expected `provides`, `requires` \
             or `peers`; did you mean `requires`?"
        );
    }

    #[test]
    fn rejects_unknown_role_without_suggestion() {
        assert_eq!(
            message("{db:mysql}-relation-joined"),
            "unknown role `db` in `{db:mysql}`; expected `provides`, `requires` or `peers`"
        );
    }

    #[test]
    fn rejects_empty_interface() {
        assert_eq!(
            parse_hook_pattern("{provides:}-relation-joined"),
            Err(PatternProblem::EmptyInterface {
                group: "{provides:}".into()
            })
        );
        assert_eq!(
            message("{provides:}-relation-joined"),
            "missing interface in `{provides:}`; write `{role:interface}`, e.g. `{requires:mysql}`"
        );
    }

    #[test]
    fn rejects_malformed_interface() {
        assert_eq!(
            parse_hook_pattern("{requires:mysql,pgsql}-relation-joined"),
            Err(PatternProblem::InvalidInterface {
                group: "{requires:mysql,pgsql}".into(),
                interface: "mysql,pgsql".into(),
            })
        );
        assert_eq!(
            message("{requires:mysql,pgsql}-relation-joined"),
            "interface `mysql,pgsql` in `{requires:mysql,pgsql}` is not one interface name; \
             write one `{role:interface}` group per interface"
        );
        assert!(matches!(
            parse_hook_pattern("{requires:a:b}-relation-joined"),
            Err(PatternProblem::InvalidInterface { .. })
        ));
    }

    #[test]
    fn rejects_too_many_expansions() {
        let ten = "{a,b}".repeat(10);
        assert!(parse_hook_pattern(&ten).is_ok());
        let eleven = "{a,b}".repeat(11);
        assert_eq!(
            parse_hook_pattern(&eleven),
            Err(PatternProblem::TooManyExpansions {
                pattern: eleven.clone()
            })
        );
        assert_eq!(
            message(&eleven),
            format!("hook pattern `{eleven}` expands to more than 1024 hook names")
        );
        // The count saturates instead of overflowing.
        assert!(matches!(
            parse_hook_pattern(&"{a,b}".repeat(100)),
            Err(PatternProblem::TooManyExpansions { .. })
        ));
    }

    #[test]
    fn reports_the_leftmost_problem() {
        assert!(matches!(
            parse_hook_pattern("{}-{a,}"),
            Err(PatternProblem::EmptyGroup { .. })
        ));
        assert!(matches!(
            parse_hook_pattern("{a,}-{}"),
            Err(PatternProblem::EmptyAlternative { .. })
        ));
        assert!(matches!(
            parse_hook_pattern("{a,} }"),
            Err(PatternProblem::InvalidCharacter { .. })
        ));
    }

    #[test]
    fn never_panics_on_odd_input() {
        for pattern in [
            "{", "}", "{}", ":", ",", "{:}", "{,}", "{é}", "é{", "{a:é}", "{é:a}", "…",
        ] {
            let _ = parse_hook_pattern(pattern).map_err(|problem| problem.to_string());
        }
    }
}
