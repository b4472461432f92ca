//! Checking a pattern's expansions against Juju's hook kinds (compile time).

use super::expand::product;
use super::{HookPattern, Part, PatternProblem};
use crate::hook_kind::{is_hook_name, relation_endpoint, suggest_hook};

/// The endpoint name a `{role:interface}` group stands in for while
/// checking hook kinds.
const STAND_IN: &str = "endpoint";

/// A piece of an expansion: text, or a `{role:interface}` group left
/// unresolved.
#[derive(Clone)]
enum Piece<'a> {
    Text(&'a str),
    Group(&'a str),
}

impl HookPattern {
    /// Check that every expansion of the pattern is a Juju hook name
    /// ([`is_hook_name`]), without knowing the charm's endpoints: the macros
    /// call this at compile time.
    ///
    /// A `{role:interface}` group stands for whole endpoint names, so it must
    /// begin a relation hook name: `{requires:mysql}-relation-joined` passes,
    /// while `x{requires:mysql}-relation-joined` and
    /// `{requires:mysql}-pebble-ready` give
    /// [`PatternProblem::MisplacedEndpointGroup`]. Otherwise each group is
    /// checked as the stand-in endpoint name `endpoint`. The first bad
    /// expansion is reported ([`PatternProblem::NotAHook`]), quoted with its
    /// group as written and with the nearest hook name.
    ///
    /// ```
    /// use reactive_grammar::hook_pattern::parse_hook_pattern;
    ///
    /// let pattern = parse_hook_pattern("{requires:mysql}-relation-{joined,changed}").unwrap();
    /// assert!(pattern.check_hook_kinds().is_ok());
    ///
    /// let pattern = parse_hook_pattern("db-relation-{join,changed}").unwrap();
    /// assert_eq!(
    ///     pattern.check_hook_kinds().unwrap_err().to_string(),
    ///     "`db-relation-join` (from `db-relation-{join,changed}`) is not a Juju hook name; \
    ///      did you mean `db-relation-joined`?"
    /// );
    /// ```
    pub fn check_hook_kinds(&self) -> Result<(), PatternProblem> {
        for pieces in self.symbolic_expansions() {
            self.check_expansion(&pieces)?;
        }
        Ok(())
    }

    /// The endpoint names written literally in the pattern's relation hook
    /// expansions (`db` for `db-relation-{joined,changed}`), without
    /// duplicates, in order: for checking them against `metadata.yaml`.
    /// Expansions with a `{role:interface}` group, and expansions that are
    /// not relation hook names (see
    /// [`check_hook_kinds`](Self::check_hook_kinds)), contribute nothing.
    ///
    /// ```
    /// use reactive_grammar::hook_pattern::parse_hook_pattern;
    ///
    /// let pattern = parse_hook_pattern("{db,cache}-relation-{joined,changed}").unwrap();
    /// assert_eq!(pattern.relation_endpoints(), ["db", "cache"]);
    /// ```
    pub fn relation_endpoints(&self) -> Vec<String> {
        let mut endpoints: Vec<String> = Vec::new();
        for pieces in self.symbolic_expansions() {
            if pieces.iter().any(|piece| matches!(piece, Piece::Group(_))) {
                continue;
            }
            let name = text_of(&pieces);
            if let Some(endpoint) = relation_endpoint(&name) {
                if !endpoints.iter().any(|known| known == endpoint) {
                    endpoints.push(endpoint.to_owned());
                }
            }
        }
        endpoints
    }

    /// Every expansion of the alternatives, with `{role:interface}` groups
    /// kept as groups.
    fn symbolic_expansions(&self) -> Vec<Vec<Piece<'_>>> {
        let choices: Vec<Vec<Piece<'_>>> = self
            .parts
            .iter()
            .map(|part| match part {
                Part::Literal(text) => vec![Piece::Text(text)],
                Part::Alternatives(alternatives) => {
                    alternatives.iter().map(|a| Piece::Text(a)).collect()
                }
                Part::Endpoints { group, .. } => vec![Piece::Group(group)],
            })
            .collect();
        product(&choices)
    }

    fn check_expansion(&self, pieces: &[Piece<'_>]) -> Result<(), PatternProblem> {
        let written = text_of(pieces);
        let groups: Vec<(usize, &str)> = pieces
            .iter()
            .enumerate()
            .filter_map(|(index, piece)| match piece {
                Piece::Group(group) => Some((index, *group)),
                Piece::Text(_) => None,
            })
            .collect();
        let not_a_hook = |suggestion: Option<String>| PatternProblem::NotAHook {
            pattern: self.source.clone(),
            expansion: written.clone(),
            suggestion,
        };
        let misplaced = |group: &str| PatternProblem::MisplacedEndpointGroup {
            pattern: self.source.clone(),
            group: group.to_owned(),
            expansion: written.clone(),
        };

        match groups.as_slice() {
            [] => {
                let name = text_of(pieces);
                if is_hook_name(&name) {
                    Ok(())
                } else {
                    Err(not_a_hook(suggest_hook(&name)))
                }
            }
            [(0, group)] => {
                let name = format!("{STAND_IN}{}", text_of(&pieces[1..]));
                if relation_endpoint(&name) == Some(STAND_IN) {
                    return Ok(());
                }
                // A typo in the rest of a relation hook: suggest the fix,
                // written with the group.
                match suggest_hook(&name) {
                    Some(suggestion) if relation_endpoint(&suggestion) == Some(STAND_IN) => {
                        let rest = &suggestion[STAND_IN.len()..];
                        Err(not_a_hook(Some(format!("{group}{rest}"))))
                    }
                    _ => Err(misplaced(group)),
                }
            }
            [(0, _), (_, group), ..] | [(_, group), ..] => Err(misplaced(group)),
        }
    }
}

/// The pieces joined, with any group as written.
fn text_of(pieces: &[Piece<'_>]) -> String {
    pieces
        .iter()
        .map(|piece| match piece {
            Piece::Text(text) => *text,
            Piece::Group(group) => group,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::parse_hook_pattern;
    use super::*;

    fn check(pattern: &str) -> Result<(), PatternProblem> {
        parse_hook_pattern(pattern).unwrap().check_hook_kinds()
    }

    fn message(pattern: &str) -> String {
        match check(pattern) {
            Ok(()) => panic!("`{pattern}` should be rejected"),
            Err(problem) => problem.to_string(),
        }
    }

    #[test]
    fn accepts_valid_patterns() {
        for pattern in [
            "install",
            "config-changed",
            "{install,upgrade-charm}",
            "db-relation-{joined,changed,departed,broken,created}",
            "{db,cache}-relation-joined",
            "{requires:mysql}-relation-joined",
            "{provides:http}-relation-{joined,changed}",
            "{peers:cluster}-relation-departed",
            "data-storage-{attached,detaching}",
            "workload-pebble-{ready,custom-notice,check-failed,check-recovered}",
            "{collect-metrics,meter-status-changed}",
            "secret-{changed,expired,remove,rotate}",
            "{requires:mysql}-relation-{joined,broken}",
        ] {
            assert_eq!(check(pattern), Ok(()), "{pattern}");
        }
    }

    #[test]
    fn rejects_a_plain_typo_with_suggestion() {
        assert_eq!(
            check("config-change"),
            Err(PatternProblem::NotAHook {
                pattern: "config-change".into(),
                expansion: "config-change".into(),
                suggestion: Some("config-changed".into()),
            })
        );
        assert_eq!(
            message("config-change"),
            "`config-change` is not a Juju hook name; did you mean `config-changed`?"
        );
    }

    #[test]
    fn rejects_a_bad_expansion_quoting_the_pattern() {
        assert_eq!(
            message("db-relation-{joined,change}"),
            "`db-relation-change` (from `db-relation-{joined,change}`) is not a Juju hook name; \
             did you mean `db-relation-changed`?"
        );
    }

    #[test]
    fn rejects_without_suggestion() {
        assert_eq!(
            check("frobnicate"),
            Err(PatternProblem::NotAHook {
                pattern: "frobnicate".into(),
                expansion: "frobnicate".into(),
                suggestion: None,
            })
        );
        assert_eq!(
            message("frobnicate"),
            "`frobnicate` is not a Juju hook name; hook names are e.g. `install`, \
             `config-changed`, `<endpoint>-relation-joined` or `<storage>-storage-attached`"
        );
    }

    #[test]
    fn reports_the_first_bad_expansion() {
        assert!(matches!(
            check("{install,instal,strat}"),
            Err(PatternProblem::NotAHook { expansion, .. }) if expansion == "instal"
        ));
    }

    #[test]
    fn role_group_typo_in_the_event_suggests_with_the_group() {
        assert_eq!(
            check("{requires:mysql}-relation-{joined,chnged}"),
            Err(PatternProblem::NotAHook {
                pattern: "{requires:mysql}-relation-{joined,chnged}".into(),
                expansion: "{requires:mysql}-relation-chnged".into(),
                suggestion: Some("{requires:mysql}-relation-changed".into()),
            })
        );
        assert_eq!(
            message("{requires:mysql}-relation-join"),
            "`{requires:mysql}-relation-join` is not a Juju hook name; \
             did you mean `{requires:mysql}-relation-joined`?"
        );
        assert_eq!(
            message("{requires:mysql}-joined"),
            "`{requires:mysql}-joined` is not a Juju hook name; \
             did you mean `{requires:mysql}-relation-joined`?"
        );
    }

    #[test]
    fn role_group_must_begin_a_relation_hook() {
        for (pattern, expansion) in [
            (
                "x{requires:mysql}-relation-joined",
                "x{requires:mysql}-relation-joined",
            ),
            (
                "{requires:mysql}x-relation-joined",
                "{requires:mysql}x-relation-joined",
            ),
            (
                "{requires:mysql}-pebble-ready",
                "{requires:mysql}-pebble-ready",
            ),
            (
                "{requires:mysql}-storage-attached",
                "{requires:mysql}-storage-attached",
            ),
            ("{requires:mysql}", "{requires:mysql}"),
            ("{requires:mysql}-install", "{requires:mysql}-install"),
        ] {
            assert_eq!(
                check(pattern),
                Err(PatternProblem::MisplacedEndpointGroup {
                    pattern: pattern.into(),
                    group: "{requires:mysql}".into(),
                    expansion: expansion.into(),
                }),
                "{pattern}"
            );
        }
        assert_eq!(
            message("{requires:mysql}-pebble-ready"),
            "`{requires:mysql}` in `{requires:mysql}-pebble-ready` stands for endpoint names, \
             so it must begin a relation hook name and be followed by `-relation-<event>`, \
             as in `{requires:mysql}-relation-joined`"
        );
        assert_eq!(
            message("{x,y}{requires:mysql}-relation-joined"),
            "`{requires:mysql}` in `x{requires:mysql}-relation-joined` \
             (from `{x,y}{requires:mysql}-relation-joined`) stands for endpoint names, \
             so it must begin a relation hook name and be followed by `-relation-<event>`, \
             as in `{requires:mysql}-relation-joined`"
        );
    }

    #[test]
    fn two_role_groups_are_misplaced() {
        assert_eq!(
            check("{provides:http}{peers:cluster}-relation-joined"),
            Err(PatternProblem::MisplacedEndpointGroup {
                pattern: "{provides:http}{peers:cluster}-relation-joined".into(),
                group: "{peers:cluster}".into(),
                expansion: "{provides:http}{peers:cluster}-relation-joined".into(),
            })
        );
    }

    #[test]
    fn relation_endpoints_are_the_literal_ones() {
        let endpoints = |pattern: &str| parse_hook_pattern(pattern).unwrap().relation_endpoints();
        assert_eq!(endpoints("db-relation-joined"), ["db"]);
        assert_eq!(endpoints("db-relation-{joined,changed}"), ["db"]);
        assert_eq!(endpoints("{db,cache,db}-relation-joined"), ["db", "cache"]);
        assert_eq!(
            endpoints("{db-relation-joined,install,web-relation-broken}"),
            ["db", "web"]
        );
        assert!(endpoints("install").is_empty());
        assert!(endpoints("data-storage-attached").is_empty());
        assert!(endpoints("{requires:mysql}-relation-joined").is_empty());
        assert!(endpoints("db-relation-join").is_empty());
    }
}
