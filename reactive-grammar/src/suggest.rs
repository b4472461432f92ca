//! "Did you mean …?": the one edit-distance helper behind every suggestion
//! (placeholders, roles, hook names, endpoint names).

/// The Levenshtein distance between `a` and `b`: the least number of
/// single-character insertions, deletions and substitutions that turn one
/// into the other. Characters are Unicode scalar values, not bytes.
///
/// ```
/// use reactive_grammar::suggest::edit_distance;
///
/// assert_eq!(edit_distance("config-change", "config-changed"), 1);
/// assert_eq!(edit_distance("kitten", "sitting"), 3);
/// assert_eq!(edit_distance("", "abc"), 3);
/// ```
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    // One row of the classic dynamic-programming table.
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

/// The largest distance at which a candidate still counts as a plausible
/// typo of `word`: a third of its length in characters, and at least 1.
pub fn typo_threshold(word: &str) -> usize {
    (word.chars().count() / 3).max(1)
}

/// The candidate nearest to `word`, if it is close enough to be a plausible
/// typo (distance at most [`typo_threshold`]`(word)`, that is
/// `max(1, len / 3)`). Ties go to the candidate that comes first. A
/// candidate equal to `word` is never returned: there is nothing to suggest.
///
/// ```
/// use reactive_grammar::suggest::closest;
///
/// let roles = ["provides", "requires", "peers"];
/// assert_eq!(closest("provide", roles), Some("provides"));
/// assert_eq!(closest("peer", roles), Some("peers"));
/// assert_eq!(closest("database", roles), None);
/// assert_eq!(closest("peers", roles), None);
/// ```
pub fn closest<'a, I: IntoIterator<Item = &'a str>>(word: &str, candidates: I) -> Option<&'a str> {
    let threshold = typo_threshold(word);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        if candidate == word {
            continue;
        }
        let distance = edit_distance(word, candidate);
        if distance > threshold {
            continue;
        }
        match best {
            Some((best_distance, _)) if best_distance <= distance => {}
            _ => best = Some((distance, candidate)),
        }
    }
    best.map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_of_equal_strings_is_zero() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("install", "install"), 0);
    }

    #[test]
    fn distance_counts_insertions_deletions_substitutions() {
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("abc", "abd"), 1);
        assert_eq!(edit_distance("abc", "abcd"), 1);
        assert_eq!(edit_distance("abcd", "acd"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("flaw", "lawn"), 2);
    }

    #[test]
    fn distance_is_symmetric() {
        for (a, b) in [("endpoint", "endpoint_name"), ("joined", "join"), ("x", "")] {
            assert_eq!(edit_distance(a, b), edit_distance(b, a));
        }
    }

    #[test]
    fn distance_counts_characters_not_bytes() {
        assert_eq!(edit_distance("café", "cafe"), 1);
        assert_eq!(edit_distance("ü", ""), 1);
    }

    #[test]
    fn threshold_is_a_third_of_the_length_at_least_one() {
        assert_eq!(typo_threshold(""), 1);
        assert_eq!(typo_threshold("ab"), 1);
        assert_eq!(typo_threshold("abcdef"), 2);
        assert_eq!(typo_threshold("config-change"), 4);
    }

    #[test]
    fn closest_picks_the_nearest() {
        let candidates = ["start", "stop", "install"];
        assert_eq!(closest("stp", candidates), Some("stop"));
        assert_eq!(closest("instal", candidates), Some("install"));
    }

    #[test]
    fn closest_breaks_ties_by_candidate_order() {
        assert_eq!(closest("ab", ["ax", "ay"]), Some("ax"));
        assert_eq!(closest("ab", ["ay", "ax"]), Some("ay"));
    }

    #[test]
    fn closest_never_returns_the_word_itself() {
        assert_eq!(closest("stop", ["stop"]), None);
        assert_eq!(closest("stop", ["stop", "stops"]), Some("stops"));
    }

    #[test]
    fn closest_rejects_distant_candidates() {
        assert_eq!(closest("endpoint", ["endpoint_name"]), None);
        assert_eq!(closest("x", ["install"]), None);
        assert_eq!(closest("anything", std::iter::empty()), None);
    }

    #[test]
    fn closest_accepts_owned_candidate_lists() {
        let names: Vec<String> = ["db", "website"].map(String::from).to_vec();
        assert_eq!(
            closest("websit", names.iter().map(String::as_str)),
            Some("website")
        );
    }
}
