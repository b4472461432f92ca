//! Expanding a hook pattern into hook names, and matching a hook name.

use super::{HookPattern, Part, PatternProblem, Role, MAX_EXPANSIONS};

impl HookPattern {
    /// The concrete hook names this pattern stands for, without duplicates,
    /// in order.
    ///
    /// Alternatives `{a,b}` multiply out as a cartesian product, as
    /// charms.reactive's `_expand_replacements` does; each `{role:interface}`
    /// group is replaced by each endpoint name `resolve(role, interface)`
    /// returns, so a group it returns nothing for makes every combination
    /// containing it disappear. The order is that of the product taken left
    /// to right, the first group varying slowest. `resolve` is called once per
    /// `{role:interface}` group.
    ///
    /// Fails with [`PatternProblem::TooManyExpansions`] when the product,
    /// counted before any name is built, exceeds [`MAX_EXPANSIONS`]: the
    /// parser caps the alternatives, but several `{role:interface}` groups
    /// resolving to several endpoints each multiply out exponentially.
    /// ([`matches`](Self::matches) never builds the names and has no cap.)
    ///
    /// ```
    /// use reactive_grammar::hook_pattern::parse_hook_pattern;
    ///
    /// let none = |_, _: &str| Vec::new();
    /// let pattern = parse_hook_pattern("{a,b}-{c,d}").unwrap();
    /// assert_eq!(pattern.expand(&none).unwrap(), ["a-c", "a-d", "b-c", "b-d"]);
    ///
    /// let pattern = parse_hook_pattern("{requires:mysql}-relation-joined").unwrap();
    /// assert!(pattern.expand(&none).unwrap().is_empty());
    /// ```
    pub fn expand(
        &self,
        resolve: &dyn Fn(Role, &str) -> Vec<String>,
    ) -> Result<Vec<String>, PatternProblem> {
        let choices = self.choices(resolve);
        let count = choices
            .iter()
            .fold(1usize, |count, options| count.saturating_mul(options.len()));
        if count > MAX_EXPANSIONS {
            return Err(PatternProblem::TooManyExpansions {
                pattern: self.source.clone(),
            });
        }
        let mut expansions: Vec<String> = Vec::new();
        for pieces in product(&choices) {
            let name = pieces.concat();
            if !expansions.contains(&name) {
                expansions.push(name);
            }
        }
        Ok(expansions)
    }

    /// Whether `hook_name` is one of the names [`expand`](Self::expand)
    /// returns for the same `resolve`. Does not build the expansions: it
    /// follows the pattern along `hook_name` part by part.
    ///
    /// ```
    /// use reactive_grammar::hook_pattern::{parse_hook_pattern, Role};
    ///
    /// let resolve = |role, interface: &str| match (role, interface) {
    ///     (Role::Requires, "mysql") => vec!["db".to_string()],
    ///     _ => Vec::new(),
    /// };
    /// let pattern = parse_hook_pattern("{requires:mysql}-relation-{joined,changed}").unwrap();
    /// assert!(pattern.matches("db-relation-joined", &resolve));
    /// assert!(!pattern.matches("db-relation-broken", &resolve));
    /// assert!(!pattern.matches("web-relation-joined", &resolve));
    /// ```
    pub fn matches(&self, hook_name: &str, resolve: &dyn Fn(Role, &str) -> Vec<String>) -> bool {
        // Every byte offset of `hook_name` reached after the parts so far.
        let mut reached: Vec<usize> = vec![0];
        for options in self.choices(resolve) {
            let mut next: Vec<usize> = Vec::new();
            for &offset in &reached {
                let rest = &hook_name[offset..];
                for option in &options {
                    if rest.starts_with(option.as_str()) {
                        next.push(offset + option.len());
                    }
                }
            }
            next.sort_unstable();
            next.dedup();
            if next.is_empty() {
                return false;
            }
            reached = next;
        }
        reached.contains(&hook_name.len())
    }

    /// For each part, the strings it may stand for.
    fn choices(&self, resolve: &dyn Fn(Role, &str) -> Vec<String>) -> Vec<Vec<String>> {
        self.parts
            .iter()
            .map(|part| match part {
                Part::Literal(text) => vec![text.clone()],
                Part::Alternatives(alternatives) => alternatives.clone(),
                Part::Endpoints {
                    role, interface, ..
                } => resolve(*role, interface),
            })
            .collect()
    }
}

/// The cartesian product of `choices`, left to right: every way of picking
/// one item from each list, the first list varying slowest. Empty when any
/// list is empty; one empty pick when there are no lists.
pub(super) fn product<T: Clone>(choices: &[Vec<T>]) -> Vec<Vec<T>> {
    let mut picks: Vec<Vec<T>> = vec![Vec::new()];
    for options in choices {
        let mut longer = Vec::with_capacity(picks.len().saturating_mul(options.len()));
        for pick in &picks {
            for option in options {
                let mut pick = pick.clone();
                pick.push(option.clone());
                longer.push(pick);
            }
        }
        picks = longer;
    }
    picks
}

#[cfg(test)]
mod tests {
    use super::super::parse_hook_pattern;
    use super::*;

    fn none(_: Role, _: &str) -> Vec<String> {
        Vec::new()
    }

    /// `db` and `replica` require mysql; `website` provides http;
    /// `cluster` is a peer endpoint.
    fn charm(role: Role, interface: &str) -> Vec<String> {
        let names: &[&str] = match (role, interface) {
            (Role::Requires, "mysql") => &["db", "replica"],
            (Role::Provides, "http") => &["website"],
            (Role::Peers, "cluster") => &["cluster"],
            _ => &[],
        };
        names.iter().map(|name| name.to_string()).collect()
    }

    fn expand(pattern: &str, resolve: &dyn Fn(Role, &str) -> Vec<String>) -> Vec<String> {
        parse_hook_pattern(pattern)
            .unwrap()
            .expand(resolve)
            .unwrap()
    }

    #[test]
    fn product_of_lists() {
        assert_eq!(product::<u8>(&[]), vec![Vec::<u8>::new()]);
        assert_eq!(
            product(&[vec![1, 2], vec![3, 4]]),
            [[1, 3], [1, 4], [2, 3], [2, 4]]
        );
        assert!(product(&[vec![1, 2], vec![]]).is_empty());
    }

    #[test]
    fn plain_name_expands_to_itself() {
        assert_eq!(expand("install", &none), ["install"]);
    }

    #[test]
    fn alternatives() {
        assert_eq!(
            expand("db-relation-{joined,changed}", &none),
            ["db-relation-joined", "db-relation-changed"]
        );
        assert_eq!(expand("{install}", &none), ["install"]);
        assert_eq!(
            expand("{start,stop,install}", &none),
            ["start", "stop", "install"]
        );
    }

    #[test]
    fn cartesian_product_left_to_right() {
        assert_eq!(expand("{a,b}-{c,d}", &none), ["a-c", "a-d", "b-c", "b-d"]);
        assert_eq!(
            expand("{a,b}{a,b}", &none),
            ["aa", "ab", "ba", "bb"],
            "each group is expanded on its own, as charms.reactive does"
        );
        assert_eq!(
            expand("x{1,2}-{3}-{4,5,6}", &none),
            ["x1-3-4", "x1-3-5", "x1-3-6", "x2-3-4", "x2-3-5", "x2-3-6"]
        );
    }

    #[test]
    fn duplicates_are_removed_keeping_the_first() {
        assert_eq!(expand("{a,a,b}", &none), ["a", "b"]);
        assert_eq!(expand("{a,ab}{b,bb}", &none), ["ab", "abb", "abbb"]);
    }

    #[test]
    fn role_interface_with_two_endpoints() {
        assert_eq!(
            expand("{requires:mysql}-relation-{joined,changed}", &charm),
            [
                "db-relation-joined",
                "db-relation-changed",
                "replica-relation-joined",
                "replica-relation-changed",
            ]
        );
    }

    #[test]
    fn role_interface_with_no_endpoint_disappears() {
        assert!(expand("{requires:pgsql}-relation-joined", &charm).is_empty());
        assert!(expand("{provides:mysql}-relation-{joined,changed}", &charm).is_empty());
        assert!(expand("{requires:mysql}-relation-joined", &none).is_empty());
    }

    #[test]
    fn several_role_interface_groups() {
        assert_eq!(
            expand("{provides:http}-{peers:cluster}", &charm),
            ["website-cluster"]
        );
        assert!(expand("{provides:http}-{peers:nothing}", &charm).is_empty());
    }

    #[test]
    fn resolver_duplicates_are_removed() {
        let twice = |_: Role, _: &str| vec!["db".to_string(), "db".to_string()];
        assert_eq!(
            expand("{requires:mysql}-relation-joined", &twice),
            ["db-relation-joined"]
        );
    }

    #[test]
    fn resolver_is_called_once_per_group() {
        let calls = std::cell::Cell::new(0);
        let counting = |role: Role, interface: &str| {
            calls.set(calls.get() + 1);
            charm(role, interface)
        };
        let pattern =
            parse_hook_pattern("{requires:mysql}-relation-{joined,changed,departed}").unwrap();
        pattern.expand(&counting).unwrap();
        assert_eq!(calls.get(), 1);
        pattern.matches("db-relation-joined", &counting);
        assert_eq!(calls.get(), 2);
    }

    #[test]
    fn matching_plain_names_and_alternatives() {
        let pattern = parse_hook_pattern("db-relation-{joined,changed}").unwrap();
        assert!(pattern.matches("db-relation-joined", &none));
        assert!(pattern.matches("db-relation-changed", &none));
        assert!(!pattern.matches("db-relation-departed", &none));
        assert!(!pattern.matches("db-relation-joinedx", &none));
        assert!(!pattern.matches("xdb-relation-joined", &none));
        assert!(!pattern.matches("db-relation-", &none));
        assert!(!pattern.matches("", &none));
        assert!(parse_hook_pattern("install")
            .unwrap()
            .matches("install", &none));
        assert!(!parse_hook_pattern("install")
            .unwrap()
            .matches("start", &none));
    }

    #[test]
    fn matching_role_interface_groups() {
        let pattern = parse_hook_pattern("{requires:mysql}-relation-{joined,changed}").unwrap();
        assert!(pattern.matches("db-relation-joined", &charm));
        assert!(pattern.matches("replica-relation-changed", &charm));
        assert!(!pattern.matches("website-relation-joined", &charm));
        assert!(!pattern.matches("db-relation-broken", &charm));
        assert!(!pattern.matches("db-relation-joined", &none));
    }

    #[test]
    fn matching_backtracks_over_overlapping_alternatives() {
        let pattern = parse_hook_pattern("{a,ab}{bc,c}").unwrap();
        for name in ["abc", "ac", "abbc"] {
            assert!(pattern.matches(name, &none), "{name}");
        }
        assert!(!pattern.matches("ab", &none));
        let endpoints = |_: Role, _: &str| vec!["db".to_string(), "db-x".to_string()];
        let pattern = parse_hook_pattern("{requires:mysql}-relation-joined").unwrap();
        assert!(pattern.matches("db-x-relation-joined", &endpoints));
    }

    #[test]
    fn matches_agrees_with_expand() {
        let patterns = [
            "install",
            "{a,b}-{c,d}",
            "{a,ab}{bc,c}",
            "{requires:mysql}-relation-{joined,changed}",
            "{provides:http}-{peers:cluster}",
        ];
        let names = [
            "install",
            "a-c",
            "b-d",
            "a-b",
            "abc",
            "ac",
            "abbc",
            "bc",
            "db-relation-joined",
            "replica-relation-changed",
            "website-cluster",
            "website-",
            "",
        ];
        for pattern in patterns {
            let parsed = parse_hook_pattern(pattern).unwrap();
            let expansions = parsed.expand(&charm).unwrap();
            for name in names {
                assert_eq!(
                    parsed.matches(name, &charm),
                    expansions.iter().any(|e| e == name),
                    "{pattern} / {name}"
                );
            }
        }
    }

    #[test]
    fn role_interface_groups_that_multiply_out_too_far_are_refused_at_once() {
        // 40 groups of two endpoints each: 2^40 names. Refused before any
        // is built, with the pattern named.
        let two = |_: Role, _: &str| vec!["a".to_string(), "b".to_string()];
        let source = "{requires:x}".repeat(40);
        let pattern = parse_hook_pattern(&source).unwrap();
        let started = std::time::Instant::now();
        let problem = pattern.expand(&two).unwrap_err();
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert!(
            matches!(&problem, PatternProblem::TooManyExpansions { pattern } if *pattern == source),
            "{problem:?}"
        );
        assert!(problem.to_string().contains("more than 1024"), "{problem}");
        // Matching stays cheap whatever the count.
        assert!(pattern.matches(&"ab".repeat(20), &two));
        // Up to the cap, it expands.
        let pattern = parse_hook_pattern(&"{requires:x}".repeat(10)).unwrap();
        assert_eq!(pattern.expand(&two).unwrap().len(), 1024);
    }

    #[test]
    fn matching_handles_multibyte_names() {
        let pattern = parse_hook_pattern("é{a,b}").unwrap();
        assert!(pattern.matches("éa", &none));
        assert!(!pattern.matches("é", &none));
        let odd = |_: Role, _: &str| vec!["\u{e9}".to_string()];
        let pattern = parse_hook_pattern("{requires:x}b").unwrap();
        assert!(!pattern.matches("éa", &odd));
        assert!(pattern.matches("éb", &odd));
    }
}
