//! Nothing in the grammar panics, whatever the input: every function is fed
//! many pseudo-random strings built from the characters that matter.

use reactive_grammar::flag::{check_flag, expand_placeholder, has_placeholder};
use reactive_grammar::hook_kind::{is_hook_name, relation_endpoint, suggest_hook};
use reactive_grammar::hook_pattern::{parse_hook_pattern, Role};
use reactive_grammar::suggest::{closest, edit_distance};

const ALPHABET: &[&str] = &[
    "{",
    "}",
    ":",
    ",",
    ".",
    "-",
    "_",
    " ",
    "\t",
    "\u{0}",
    "é",
    "a",
    "db",
    "relation",
    "joined",
    "endpoint_name",
    "requires",
    "provides",
    "peers",
    "mysql",
    "{endpoint_name}",
];

/// A small deterministic generator (64-bit linear congruential).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as usize
    }

    fn string(&mut self) -> String {
        let len = self.next() % 8;
        (0..len)
            .map(|_| ALPHABET[self.next() % ALPHABET.len()])
            .collect()
    }
}

fn resolve(role: Role, interface: &str) -> Vec<String> {
    match role {
        Role::Requires => vec![interface.to_owned(), "db".to_owned()],
        Role::Provides => vec!["é".to_owned()],
        Role::Peers => Vec::new(),
    }
}

#[test]
fn no_input_makes_anything_panic() {
    let mut random = Lcg(42);
    for _ in 0..5_000 {
        let input = random.string();
        let other = random.string();

        let _ = check_flag(&input).map_err(|problem| problem.to_string());
        let _ = has_placeholder(&input);
        let _ = expand_placeholder(&input, &other);

        let _ = is_hook_name(&input);
        let _ = relation_endpoint(&input);
        let _ = suggest_hook(&input);

        let _ = reactive_grammar::yaml_nesting::check_yaml_nesting(&input);
        let _ = edit_distance(&input, &other);
        let _ = closest(&input, [other.as_str(), "install"]);

        match parse_hook_pattern(&input) {
            Ok(pattern) => {
                let expansions = pattern.expand(&resolve).unwrap_or_default();
                for expansion in &expansions {
                    assert!(
                        pattern.matches(expansion, &resolve),
                        "{input} / {expansion}"
                    );
                }
                let _ = pattern.matches(&other, &resolve);
                let _ = pattern
                    .check_hook_kinds()
                    .map_err(|problem| problem.to_string());
                let _ = pattern.relation_endpoints();
                let _ = pattern.role_interfaces();
            }
            Err(problem) => {
                let _ = problem.to_string();
            }
        }
    }
}
