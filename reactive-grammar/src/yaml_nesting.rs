//! A bound on YAML nesting, checked before a YAML parser sees the text.
//!
//! The YAML parser behind serde spends time quadratic in the depth of
//! nested flow collections (`[[[…` or `{{{…`): 100,000 of them take close
//! to a minute to be refused, for a file of 100 kB. Deserializing refuses
//! more than 128 levels anyway, so [`check_yaml_nesting`] refuses the text
//! at once when its flow collections nest deeper than
//! [`MAX_YAML_FLOW_DEPTH`], in one linear pass.
//!
//! The pass follows YAML's lexical rules far enough to count only real
//! collection brackets: it skips comments, single- and double-quoted
//! scalars (a quote opens one only where a node starts) and the content of
//! block scalars (`|`, `>`).
//!
//! ```
//! use reactive_grammar::yaml_nesting::{check_yaml_nesting, MAX_YAML_FLOW_DEPTH};
//!
//! assert!(check_yaml_nesting("a: [1, {b: \"[[[\"}]  # [[[\n").is_ok());
//! let deep = format!("a: {}", "[".repeat(MAX_YAML_FLOW_DEPTH + 1));
//! let error = check_yaml_nesting(&deep).unwrap_err();
//! assert_eq!(error.line, 1);
//! ```

use std::fmt;

/// The deepest nesting of flow collections accepted: that of the YAML
/// deserializer's own recursion limit, past which it fails anyway.
pub const MAX_YAML_FLOW_DEPTH: usize = 128;

/// YAML text whose flow collections nest too deep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlTooDeep {
    /// The line (from 1) where the nesting passed the limit.
    pub line: usize,
}

impl fmt::Display for YamlTooDeep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "collections nest deeper than {MAX_YAML_FLOW_DEPTH} levels at line {}",
            self.line
        )
    }
}

impl std::error::Error for YamlTooDeep {}

/// What the scanner is inside of.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Inside {
    Nothing,
    SingleQuoted,
    DoubleQuoted,
}

/// Refuse `text` when its flow collections nest deeper than
/// [`MAX_YAML_FLOW_DEPTH`]. Linear in the length of `text`; never panics.
pub fn check_yaml_nesting(text: &str) -> Result<(), YamlTooDeep> {
    let mut depth = 0usize;
    let mut inside = Inside::Nothing;
    // While in a block scalar: the indentation its content must exceed.
    let mut block_scalar_parent: Option<usize> = None;
    for (index, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        if let Some(parent) = block_scalar_parent {
            if line.trim().is_empty() || indent > parent {
                continue;
            }
            block_scalar_parent = None;
        }
        let bytes = line.as_bytes();
        // A node may start here: at the start of the line, or after an
        // indicator that introduces one (`[`, `{`, `,`, `:`, `-`, `?`).
        let mut node_start = true;
        let mut last_token_start = 0usize;
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            match inside {
                Inside::SingleQuoted => {
                    if c == b'\'' {
                        if bytes.get(i + 1) == Some(&b'\'') {
                            i += 1;
                        } else {
                            inside = Inside::Nothing;
                            node_start = false;
                        }
                    }
                }
                Inside::DoubleQuoted => {
                    if c == b'\\' {
                        i += 1;
                    } else if c == b'"' {
                        inside = Inside::Nothing;
                        node_start = false;
                    }
                }
                Inside::Nothing => match c {
                    b' ' | b'\t' => {}
                    b'#' if i == 0 || matches!(bytes[i - 1], b' ' | b'\t') => break,
                    b'\'' if node_start => inside = Inside::SingleQuoted,
                    b'"' if node_start => inside = Inside::DoubleQuoted,
                    b'[' | b'{' if node_start || depth > 0 => {
                        depth += 1;
                        if depth > MAX_YAML_FLOW_DEPTH {
                            return Err(YamlTooDeep { line: index + 1 });
                        }
                        node_start = true;
                    }
                    b']' | b'}' if depth > 0 => {
                        depth -= 1;
                        node_start = false;
                    }
                    b',' if depth > 0 => node_start = true,
                    b':' | b'-' | b'?'
                        if bytes.get(i + 1).is_none_or(|n| matches!(n, b' ' | b'\t'))
                            || (c == b':' && depth > 0) =>
                    {
                        node_start = true;
                    }
                    b'|' | b'>' if node_start && depth == 0 => {
                        last_token_start = i;
                        block_scalar_parent = Some(indent);
                        node_start = false;
                    }
                    _ => node_start = false,
                },
            }
            i += 1;
        }
        // A block scalar indicator must end its line (but for its
        // chomping and indentation indicators and a comment).
        if block_scalar_parent.is_some() {
            let rest = line[last_token_start + 1..]
                .trim_start_matches(['+', '-', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
            let rest = rest.trim_start();
            if !(rest.is_empty() || rest.starts_with('#')) {
                block_scalar_parent = None;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_ok(text: &str) -> bool {
        check_yaml_nesting(text).is_ok()
    }

    #[test]
    fn ordinary_files_pass() {
        assert!(depth_ok(
            "name: app\nrequires:\n  db:\n    interface: mysql\n# [[[[\n"
        ));
        assert!(depth_ok("options:\n  a: {type: string, default: \"[{\"}\n"));
        assert!(depth_ok("a: 'it''s [' \nb: don't [x\n"));
        assert!(depth_ok("description: |\n  [[[[[[\n  {{{{\nnext: 1\n"));
        assert!(depth_ok(""));
    }

    #[test]
    fn deep_flow_nesting_is_refused_with_its_line() {
        let at_limit = format!("a: {}{}", "[".repeat(128), "]".repeat(128));
        assert!(depth_ok(&at_limit));
        let over = format!("x: 1\na: {}", "[".repeat(129));
        assert_eq!(check_yaml_nesting(&over), Err(YamlTooDeep { line: 2 }));
        let braces = format!("a: {}", "{a: ".repeat(200));
        assert!(!depth_ok(&braces));
        // Across lines.
        let lines = "[\n".repeat(200);
        assert!(!depth_ok(&lines));
    }

    #[test]
    fn brackets_hidden_in_strings_do_not_hide_the_depth() {
        let hidden = format!("a: {}", "[ \"]\", ".repeat(200));
        assert!(!depth_ok(&hidden));
        let hidden = format!("a: {}", "[ ']', ".repeat(200));
        assert!(!depth_ok(&hidden));
        // A quote inside a plain scalar opens nothing.
        let hidden = format!("a: {}", "[ x ' ".repeat(200));
        assert!(!depth_ok(&hidden));
        // Nor does a block scalar indicator inside a flow collection.
        let hidden = format!("a: [ |\n{}", "[".repeat(200));
        assert!(!depth_ok(&hidden));
    }

    #[test]
    fn linear_on_hostile_input() {
        let text = "[".repeat(1_000_000) + &"\"".repeat(1_000_000);
        let started = std::time::Instant::now();
        assert!(!depth_ok(&text));
        let text = "'".repeat(2_000_000);
        assert!(depth_ok(&text));
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}
