//! Showing user text inside error messages.

/// A character written as a Rust char literal, with whitespace other than
/// the plain space and control characters escaped: `' '`, `'\t'`, `'\u{a0}'`.
pub(crate) fn char_literal(c: char) -> String {
    format!("'{}'", escape_char(c))
}

/// `s` with control characters and whitespace other than the plain space
/// escaped, so that a message quoting it stays on one line and shows what
/// is really there.
pub(crate) fn escaped(s: &str) -> String {
    s.chars().map(escape_char).collect()
}

/// Whether `c` is a character [`escaped`] would rewrite.
pub(crate) fn is_invisible(c: char) -> bool {
    c != ' ' && (c.is_whitespace() || c.is_control())
}

/// What a character is called in a message: "whitespace" or "control character".
pub(crate) fn kind_of_invisible(c: char) -> &'static str {
    if c.is_whitespace() {
        "whitespace"
    } else {
        "control character"
    }
}

fn escape_char(c: char) -> String {
    match c {
        '\t' => "\\t".to_owned(),
        '\n' => "\\n".to_owned(),
        '\r' => "\\r".to_owned(),
        '\0' => "\\0".to_owned(),
        c if is_invisible(c) => format!("\\u{{{:x}}}", u32::from(c)),
        c => c.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_literals() {
        assert_eq!(char_literal(' '), "' '");
        assert_eq!(char_literal('\t'), "'\\t'");
        assert_eq!(char_literal('\n'), "'\\n'");
        assert_eq!(char_literal('\r'), "'\\r'");
        assert_eq!(char_literal('\0'), "'\\0'");
        assert_eq!(char_literal('\u{7}'), "'\\u{7}'");
        assert_eq!(char_literal('\u{a0}'), "'\\u{a0}'");
        assert_eq!(char_literal('a'), "'a'");
    }

    #[test]
    fn escaping_keeps_spaces_and_visible_text() {
        assert_eq!(escaped("db ready"), "db ready");
        assert_eq!(escaped("db\tready\n"), "db\\tready\\n");
        assert_eq!(escaped("café"), "café");
    }

    #[test]
    fn kinds() {
        assert_eq!(kind_of_invisible(' '), "whitespace");
        assert_eq!(kind_of_invisible('\u{a0}'), "whitespace");
        assert_eq!(kind_of_invisible('\u{7}'), "control character");
        assert!(is_invisible('\t'));
        assert!(!is_invisible(' '));
        assert!(!is_invisible('x'));
    }
}
