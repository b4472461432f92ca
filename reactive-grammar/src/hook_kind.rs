//! The hook names Juju runs.
//!
//! A hook name is either one of the fixed names ([`known_hook_names`]:
//! `install`, `config-changed`, …) or an endpoint, storage or container
//! name followed by one of the [`templated_hook_suffixes`]:
//! `db-relation-joined`, `data-storage-attached`, `app-pebble-ready`.
//!
//! The fixed names are the union of what Juju 2.9 to 4 runs, so that a charm
//! written for any of them passes: the unit hooks (`install`, `start`,
//! `config-changed`, `upgrade-charm`, `stop`, `remove`, `update-status`),
//! leadership (`leader-elected`, `leader-deposed`, `leader-settings-changed`),
//! the restricted metrics hooks (`collect-metrics`, `meter-status-changed`),
//! series upgrades (`pre-series-upgrade`, `post-series-upgrade`, Juju 2.x and
//! 3.x) and secrets (`secret-changed`, `secret-expired`, `secret-remove`,
//! `secret-rotate`, Juju 3+). Actions are not hooks.

use crate::suggest::{closest, edit_distance, typo_threshold};

const FIXED_HOOK_NAMES: &[&str] = &[
    "install",
    "start",
    "config-changed",
    "upgrade-charm",
    "stop",
    "remove",
    "update-status",
    "leader-elected",
    "leader-deposed",
    "leader-settings-changed",
    "collect-metrics",
    "meter-status-changed",
    "pre-series-upgrade",
    "post-series-upgrade",
    "secret-changed",
    "secret-expired",
    "secret-remove",
    "secret-rotate",
];

/// The relation events: `<endpoint>-relation-<event>`.
const RELATION_EVENTS: &[&str] = &["created", "joined", "changed", "departed", "broken"];

const RELATION_MARKER: &str = "-relation-";

/// Every suffix that follows an endpoint, storage or container name,
/// each with the word that names its kind.
const TEMPLATED_SUFFIXES: &[(&str, &str)] = &[
    ("-relation-created", "-relation"),
    ("-relation-joined", "-relation"),
    ("-relation-changed", "-relation"),
    ("-relation-departed", "-relation"),
    ("-relation-broken", "-relation"),
    ("-storage-attached", "-storage"),
    ("-storage-detaching", "-storage"),
    ("-pebble-ready", "-pebble"),
    ("-pebble-custom-notice", "-pebble"),
    ("-pebble-check-failed", "-pebble"),
    ("-pebble-check-recovered", "-pebble"),
];

const TEMPLATED_SUFFIX_NAMES: &[&str] = &[
    "-relation-created",
    "-relation-joined",
    "-relation-changed",
    "-relation-departed",
    "-relation-broken",
    "-storage-attached",
    "-storage-detaching",
    "-pebble-ready",
    "-pebble-custom-notice",
    "-pebble-check-failed",
    "-pebble-check-recovered",
];

/// Names longer than this get suggestions among the fixed hook names only,
/// which keeps [`suggest_hook`] cheap on any input.
const MAX_TEMPLATED_SUGGESTION_LEN: usize = 128;

/// The fixed (non-templated) hook names, in a stable order.
///
/// ```
/// use reactive_grammar::hook_kind::known_hook_names;
///
/// assert!(known_hook_names().contains(&"config-changed"));
/// assert!(!known_hook_names().contains(&"db-relation-joined"));
/// ```
pub fn known_hook_names() -> &'static [&'static str] {
    FIXED_HOOK_NAMES
}

/// The suffixes that follow an endpoint, storage or container name to make a
/// hook name, each starting with `-`: `-relation-joined`,
/// `-storage-attached`, `-pebble-ready`, ….
///
/// ```
/// use reactive_grammar::hook_kind::templated_hook_suffixes;
///
/// assert!(templated_hook_suffixes().contains(&"-relation-broken"));
/// ```
pub fn templated_hook_suffixes() -> &'static [&'static str] {
    TEMPLATED_SUFFIX_NAMES
}

/// Whether `name` is a valid Juju endpoint, storage or container name, as
/// it appears in front of a templated hook suffix: an ASCII lowercase
/// letter, then ASCII lowercase letters, digits, `-` and `_`, not ending
/// with `-` or `_`.
///
/// ```
/// use reactive_grammar::hook_kind::is_endpoint_name;
///
/// assert!(is_endpoint_name("db"));
/// assert!(is_endpoint_name("kube-api_2"));
/// assert!(!is_endpoint_name("Db"));
/// assert!(!is_endpoint_name("2db"));
/// assert!(!is_endpoint_name("db-"));
/// ```
pub fn is_endpoint_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_lowercase()
                && !matches!(last, b'-' | b'_')
                && bytes.iter().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_')
                })
        }
        _ => false,
    }
}

/// Whether `name` is a concrete Juju hook name: a fixed one, or a valid
/// endpoint, storage or container name followed by a templated suffix.
///
/// ```
/// use reactive_grammar::hook_kind::is_hook_name;
///
/// assert!(is_hook_name("install"));
/// assert!(is_hook_name("db-relation-joined"));
/// assert!(is_hook_name("data-storage-detaching"));
/// assert!(is_hook_name("workload-pebble-ready"));
/// assert!(!is_hook_name("config-change"));
/// assert!(!is_hook_name("-relation-joined"));
/// ```
pub fn is_hook_name(name: &str) -> bool {
    FIXED_HOOK_NAMES.contains(&name)
        || TEMPLATED_SUFFIX_NAMES
            .iter()
            .any(|suffix| name.strip_suffix(suffix).is_some_and(is_endpoint_name))
}

/// If `name` is `<endpoint>-relation-<event>` (a relation hook), the
/// endpoint name.
///
/// ```
/// use reactive_grammar::hook_kind::relation_endpoint;
///
/// assert_eq!(relation_endpoint("db-relation-joined"), Some("db"));
/// assert_eq!(relation_endpoint("my-relation-relation-broken"), Some("my-relation"));
/// assert_eq!(relation_endpoint("install"), None);
/// assert_eq!(relation_endpoint("db-relation-join"), None);
/// ```
pub fn relation_endpoint(name: &str) -> Option<&str> {
    RELATION_EVENTS.iter().find_map(|event| {
        name.strip_suffix(event)
            .and_then(|rest| rest.strip_suffix(RELATION_MARKER))
            .filter(|endpoint| is_endpoint_name(endpoint))
    })
}

/// The valid hook name nearest to `name`, if `name` looks like a typo of
/// one; `None` when `name` is already valid or nothing is close.
///
/// Tries, in order: the name in lowercase or with `_` written `-`; the
/// nearest fixed hook name; and the nearest templated name that keeps
/// `name`'s endpoint part (`db-relation-join` → `db-relation-joined`,
/// `db-joined` → `db-relation-joined`).
///
/// ```
/// use reactive_grammar::hook_kind::suggest_hook;
///
/// assert_eq!(suggest_hook("config-change").as_deref(), Some("config-changed"));
/// assert_eq!(suggest_hook("db-relation-join").as_deref(), Some("db-relation-joined"));
/// assert_eq!(suggest_hook("install"), None);
/// assert_eq!(suggest_hook("something-else-entirely"), None);
/// ```
pub fn suggest_hook(name: &str) -> Option<String> {
    if is_hook_name(name) {
        return None;
    }
    for respelt in [name.to_ascii_lowercase(), name.replace('_', "-")] {
        if is_hook_name(&respelt) {
            return Some(respelt);
        }
    }
    let fixed = closest(name, FIXED_HOOK_NAMES.iter().copied())
        .map(|hook| (edit_distance(name, hook), hook.to_owned()));
    let templated = if name.len() <= MAX_TEMPLATED_SUGGESTION_LEN {
        closest_templated(name)
    } else {
        None
    };
    match (fixed, templated) {
        (Some((fixed_distance, fixed)), Some((templated_distance, templated))) => {
            if templated_distance < fixed_distance {
                Some(templated)
            } else {
                Some(fixed)
            }
        }
        (fixed, templated) => fixed.or(templated).map(|(_, hook)| hook),
    }
}

/// The nearest `<endpoint><suffix>` to `name`, keeping a part of `name` up
/// to one of its `-` as the endpoint, with its distance. A suffix written without its kind word
/// (`-joined` for `-relation-joined`) counts one more than its distance.
/// Ties go to the shorter endpoint, then to the suffix listed first.
fn closest_templated(name: &str) -> Option<(usize, String)> {
    let mut best: Option<(usize, usize, String)> = None; // (distance, prefix length, hook)
    for (split, _) in name.match_indices('-') {
        let (endpoint, rest) = name.split_at(split);
        if !is_endpoint_name(endpoint) {
            continue;
        }
        let threshold = typo_threshold(rest);
        for &(suffix, kind) in TEMPLATED_SUFFIXES {
            let mut distance = edit_distance(rest, suffix);
            // "db-joined" for "db-relation-joined"; but "relation-joined"
            // names no endpoint, so "relation" is not taken for one.
            if endpoint != &kind[1..] {
                if let Some(short) = suffix.strip_prefix(kind) {
                    distance = distance.min(edit_distance(rest, short) + 1);
                }
            }
            if distance > threshold {
                continue;
            }
            let better = match &best {
                None => true,
                Some((best_distance, best_split, _)) => {
                    (distance, split) < (*best_distance, *best_split)
                }
            };
            if better {
                best = Some((distance, split, format!("{endpoint}{suffix}")));
            }
        }
    }
    best.map(|(distance, _, hook)| (distance, hook))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_names_are_hooks() {
        for name in known_hook_names() {
            assert!(is_hook_name(name), "{name}");
            assert_eq!(relation_endpoint(name), None, "{name}");
        }
    }

    #[test]
    fn fixed_names_cover_every_juju_unit_hook() {
        for name in [
            "install",
            "start",
            "stop",
            "remove",
            "config-changed",
            "upgrade-charm",
            "update-status",
            "leader-elected",
            "leader-settings-changed",
            "leader-deposed",
            "collect-metrics",
            "meter-status-changed",
            "pre-series-upgrade",
            "post-series-upgrade",
            "secret-changed",
            "secret-expired",
            "secret-remove",
            "secret-rotate",
        ] {
            assert!(known_hook_names().contains(&name), "{name}");
        }
        assert_eq!(known_hook_names().len(), 18);
    }

    #[test]
    fn things_that_are_not_hooks() {
        for name in [
            "",
            "action",
            "upgrade-series",
            "container-ready",
            "relation-joined",
            "-relation-joined",
            "Db-relation-joined",
            "db_-relation-joined",
            "db-relation-join",
            "db-relation-",
            "db-storage-detached",
            "db-pebble-readiness",
            "install ",
            "config_changed",
        ] {
            assert!(!is_hook_name(name), "{name:?}");
        }
    }

    #[test]
    fn templated_names_are_hooks() {
        for suffix in templated_hook_suffixes() {
            for endpoint in ["db", "kube-api", "a", "x2", "my_db", "my-relation"] {
                let name = format!("{endpoint}{suffix}");
                assert!(is_hook_name(&name), "{name}");
            }
        }
        assert_eq!(templated_hook_suffixes().len(), 11);
    }

    #[test]
    fn endpoint_names() {
        for name in ["a", "db", "db2", "kube-api", "my_db", "a-b-c", "a--b"] {
            assert!(is_endpoint_name(name), "{name}");
        }
        for name in [
            "", "A", "Db", "2db", "-db", "_db", "db-", "db_", "d.b", "d b", "dé",
        ] {
            assert!(!is_endpoint_name(name), "{name:?}");
        }
    }

    #[test]
    fn relation_endpoints() {
        assert_eq!(relation_endpoint("db-relation-created"), Some("db"));
        assert_eq!(relation_endpoint("db-relation-joined"), Some("db"));
        assert_eq!(relation_endpoint("db-relation-changed"), Some("db"));
        assert_eq!(relation_endpoint("db-relation-departed"), Some("db"));
        assert_eq!(
            relation_endpoint("kube-api-relation-broken"),
            Some("kube-api")
        );
        assert_eq!(
            relation_endpoint("relation-relation-joined"),
            Some("relation")
        );
        assert_eq!(relation_endpoint("relation-joined"), None);
        assert_eq!(relation_endpoint("-relation-joined"), None);
        assert_eq!(relation_endpoint("DB-relation-joined"), None);
        assert_eq!(relation_endpoint("data-storage-attached"), None);
        assert_eq!(relation_endpoint("app-pebble-ready"), None);
        assert_eq!(relation_endpoint(""), None);
    }

    #[test]
    fn suggests_fixed_names() {
        for (typo, hook) in [
            ("config-change", "config-changed"),
            ("instal", "install"),
            ("installl", "install"),
            ("update_status", "update-status"),
            ("CONFIG-CHANGED", "config-changed"),
            ("leader-elect", "leader-elected"),
            ("upgrade-charms", "upgrade-charm"),
            ("collect-metric", "collect-metrics"),
            ("secret-rotated", "secret-rotate"),
        ] {
            assert_eq!(suggest_hook(typo).as_deref(), Some(hook), "{typo}");
        }
    }

    #[test]
    fn suggests_templated_names_keeping_the_endpoint() {
        for (typo, hook) in [
            ("db-relation-join", "db-relation-joined"),
            ("db-relation-chnged", "db-relation-changed"),
            ("db-relations-joined", "db-relation-joined"),
            ("db-relation_joined", "db-relation-joined"),
            ("db-relaton-departed", "db-relation-departed"),
            ("db-joined", "db-relation-joined"),
            ("db-broken", "db-relation-broken"),
            ("kube-api-relation-join", "kube-api-relation-joined"),
            ("data-storage-attach", "data-storage-attached"),
            ("data-attached", "data-storage-attached"),
            ("app-pebble-redy", "app-pebble-ready"),
            ("app-ready", "app-pebble-ready"),
            ("app-pebble-check-fail", "app-pebble-check-failed"),
            ("Db-relation-joined", "db-relation-joined"),
        ] {
            assert_eq!(suggest_hook(typo).as_deref(), Some(hook), "{typo}");
        }
    }

    #[test]
    fn does_not_invent_a_relation_named_relation() {
        assert_eq!(suggest_hook("relation-joined"), None);
        assert_eq!(suggest_hook("relation-join"), None);
    }

    #[test]
    fn nothing_to_suggest() {
        assert_eq!(suggest_hook("install"), None);
        assert_eq!(suggest_hook("db-relation-joined"), None);
        assert_eq!(suggest_hook("completely-unrelated-words"), None);
        assert_eq!(suggest_hook(""), None);
        assert_eq!(suggest_hook("x"), None);
    }

    #[test]
    fn long_and_odd_input_is_handled() {
        let long = "a".repeat(10_000);
        assert_eq!(suggest_hook(&long), None);
        assert!(!is_hook_name(&long));
        let long_hook = format!("{long}-relation-joined");
        assert!(is_hook_name(&long_hook));
        assert_eq!(relation_endpoint(&long_hook), Some(long.as_str()));
        for name in ["é", "é-relation-joined", "-", "--", "{}", "\u{0}"] {
            let _ = suggest_hook(name);
            let _ = is_hook_name(name);
            let _ = relation_endpoint(name);
        }
    }
}
