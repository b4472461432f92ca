//! Python-compatible JSON encoding.
//!
//! charms.reactive (Python) publishes relation data with
//! `json.dumps(value, sort_keys=True)` and remembers what it has seen as the md5
//! of that same string (`data_changed`). A Rust charm that replaces a Python one
//! must produce the very same bytes, or every relation would fire a spurious
//! `-changed` hook and every `data_changed` check would report a change after the
//! upgrade. This module reproduces Python's output exactly:
//!
//! * separators `", "` and `": "` (or `","` + newline and `": "` when indented),
//! * object keys sorted by Unicode code point (Python's `str` ordering),
//! * `ensure_ascii`: every character outside `0x20..=0x7E` escaped as `\uXXXX`
//!   (lowercase hex, astral characters as a UTF-16 surrogate pair), with the
//!   short forms `\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`,
//! * floats as Python's `repr(float)`: shortest round-trip digits, scientific
//!   notation (`1e+16`, `1e-05`) when the decimal exponent is below -4 or at
//!   least 16, otherwise positional with a `.0` for integral values,
//! * integers as they are.
//!
//! # Differences that come from `serde_json::Value`, not from this encoder
//!
//! A [`Value`] cannot hold everything a Python object can, so a few inputs that
//! Python decodes exactly are approximated by [`decode_or_raw`] (and by any
//! `serde_json` parse), and re-encoding them differs from Python:
//!
//! * integers outside the `i64`/`u64` range become floats (Python keeps them as
//!   `int`), unless serde_json's `arbitrary_precision` feature is enabled, in
//!   which case this encoder writes their digits unchanged;
//! * the integer literal `-0` becomes the float `-0.0` (Python: `0`);
//! * `NaN`, `Infinity`, `-Infinity` and strings with lone surrogate escapes
//!   (`"\ud800"`) are not valid for serde_json, so [`decode_or_raw`] returns such
//!   text as a raw string.

use serde_json::{Map, Number, Value};
use std::fmt::Write as _;

/// Encode `value` exactly like Python's `json.dumps(value, sort_keys=True)`.
///
/// Separators are `", "` and `": "`, keys are sorted by code point, every
/// character outside printable ASCII is escaped (`é` → `\u00e9`, `😀` →
/// `\ud83d\ude00`, DEL → `\u007f`), floats are written as Python's
/// `repr(float)` (`1.0`, `0.1`, `1e+16`, `1e-05`, `-0.0`,
/// `1.7976931348623157e+308`) and integers as they are.
///
/// Never panics and does not recurse, so arbitrarily deep values are fine.
///
/// # Example
///
/// ```
/// use reactive_core::pyjson::to_python_json;
/// use serde_json::json;
///
/// let v = json!({"port": 5432, "host": "db.example", "ratio": 1e16, "name": "café"});
/// assert_eq!(
///     to_python_json(&v),
///     r#"{"host": "db.example", "name": "caf\u00e9", "port": 5432, "ratio": 1e+16}"#
/// );
/// assert_eq!(to_python_json(&json!([1.0, null, true])), "[1.0, null, true]");
/// ```
pub fn to_python_json(value: &Value) -> String {
    encode(value, None)
}

/// Encode `value` like Python's `json.dumps(value, sort_keys=True, indent=indent)`.
///
/// Each array item and object member goes on its own line, indented by
/// `indent` spaces per nesting level; items are separated by `","` at line ends
/// (no trailing spaces) and keys from values by `": "`. Empty containers stay on
/// one line as `[]` and `{}`. As in Python, `indent = 0` inserts newlines
/// without indentation. Escaping, key order and number formatting are those of
/// [`to_python_json`].
///
/// # Example
///
/// ```
/// use reactive_core::pyjson::to_python_json_pretty;
/// use serde_json::json;
///
/// let v = json!({"b": [1, 2], "a": {}});
/// assert_eq!(
///     to_python_json_pretty(&v, 2),
///     "{\n  \"a\": {},\n  \"b\": [\n    1,\n    2\n  ]\n}"
/// );
/// ```
pub fn to_python_json_pretty(value: &Value, indent: usize) -> String {
    encode(value, Some(indent))
}

/// The md5 hex digest (32 lowercase hex digits) of [`to_python_json`]`(value)`'s
/// UTF-8 bytes.
///
/// This is charms.reactive's `data_changed` hash:
/// `hashlib.md5(json.dumps(data, sort_keys=True).encode('utf8')).hexdigest()`,
/// so hashes stored by a Python charm stay valid for a Rust one.
///
/// # Example
///
/// ```
/// use reactive_core::pyjson::md5_hex;
/// use serde_json::json;
///
/// assert_eq!(md5_hex(&json!(null)), "37a6259cc0c1dae299a7866489dff0bd");
/// assert_eq!(
///     md5_hex(&json!({"port": 5432, "host": "10.0.0.1"})),
///     "57256da8b44b4f090f2b051c42a25c25"
/// );
/// ```
pub fn md5_hex(value: &Value) -> String {
    use md5::{Digest, Md5};
    let digest = Md5::digest(to_python_json(value).as_bytes());
    let mut hex = String::with_capacity(32);
    for byte in digest.iter() {
        // Writing to a String cannot fail.
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// Decode a relation-data string: its JSON value if it parses as JSON, else the
/// raw string itself as [`Value::String`].
///
/// This is how charms.reactive reads relation data (`json.loads`, falling back
/// to the raw text on `ValueError`), so `"5432"` decodes to the number 5432,
/// `"\"ready\""` to the string `ready`, and `"10.0.0.1"` (not JSON) stays the
/// string `10.0.0.1`. See the [module documentation](self) for the few inputs
/// Python decodes differently.
///
/// # Example
///
/// ```
/// use reactive_core::pyjson::decode_or_raw;
/// use serde_json::json;
///
/// assert_eq!(decode_or_raw("5432"), json!(5432));
/// assert_eq!(decode_or_raw(r#"{"a": [1, 2]}"#), json!({"a": [1, 2]}));
/// assert_eq!(decode_or_raw("10.0.0.1"), json!("10.0.0.1"));
/// assert_eq!(decode_or_raw(""), json!(""));
/// ```
pub fn decode_or_raw(raw: &str) -> Value {
    serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned()))
}

/// One open container on the encoder's explicit stack.
enum Frame<'a> {
    Array(std::slice::Iter<'a, Value>),
    Object(std::vec::IntoIter<(&'a String, &'a Value)>),
}

/// Iterative encoder shared by the compact (`indent = None`) and pretty forms.
fn encode(value: &Value, indent: Option<usize>) -> String {
    let mut out = String::with_capacity(64);
    let mut stack: Vec<(Frame<'_>, bool)> = Vec::new();
    let mut next = Some(value);
    loop {
        if let Some(v) = next.take() {
            match v {
                Value::Array(items) if !items.is_empty() => {
                    out.push('[');
                    stack.push((Frame::Array(items.iter()), true));
                }
                Value::Object(map) if !map.is_empty() => {
                    out.push('{');
                    stack.push((Frame::Object(sorted_entries(map).into_iter()), true));
                }
                Value::Array(_) => out.push_str("[]"),
                Value::Object(_) => out.push_str("{}"),
                Value::Null => out.push_str("null"),
                Value::Bool(true) => out.push_str("true"),
                Value::Bool(false) => out.push_str("false"),
                Value::Number(n) => write_number(&mut out, n),
                Value::String(s) => write_string(&mut out, s),
            }
        }
        let depth = stack.len();
        let Some((frame, first)) = stack.last_mut() else {
            break;
        };
        let item = match frame {
            Frame::Array(items) => items.next().map(|v| (None, v)),
            Frame::Object(entries) => entries.next().map(|(k, v)| (Some(k), v)),
        };
        match item {
            Some((key, v)) => {
                if !*first {
                    out.push(',');
                    if indent.is_none() {
                        out.push(' ');
                    }
                }
                *first = false;
                if let Some(width) = indent {
                    newline(&mut out, width * depth);
                }
                if let Some(key) = key {
                    write_string(&mut out, key);
                    out.push_str(": ");
                }
                next = Some(v);
            }
            None => {
                let close = match frame {
                    Frame::Array(_) => ']',
                    Frame::Object(_) => '}',
                };
                stack.pop();
                if let Some(width) = indent {
                    newline(&mut out, width * (depth - 1));
                }
                out.push(close);
            }
        }
    }
    out
}

/// The members of `map` in Python `sort_keys` order (code point order, which is
/// also UTF-8 byte order). serde_json's default map is already sorted; sorting
/// here keeps the output right if its `preserve_order` feature gets enabled.
fn sorted_entries(map: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    // Stable sort: linear on already-sorted input.
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries
}

fn newline(out: &mut String, spaces: usize) {
    out.push('\n');
    out.extend(std::iter::repeat(' ').take(spaces));
}

/// Write `s` as a JSON string literal with Python's `ensure_ascii` escaping.
fn write_string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let mut plain_start = 0;
    for (i, c) in s.char_indices() {
        let escape: Option<&str> = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            ' '..='~' => continue,
            _ => None,
        };
        out.push_str(&s[plain_start..i]);
        plain_start = i + c.len_utf8();
        match escape {
            Some(e) => out.push_str(e),
            None => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{:04x}", unit);
                }
            }
        }
    }
    out.push_str(&s[plain_start..]);
    out.push('"');
}

fn write_number(out: &mut String, n: &Number) {
    if let Some(u) = n.as_u64() {
        let _ = write!(out, "{u}");
    } else if let Some(i) = n.as_i64() {
        let _ = write!(out, "{i}");
    } else {
        match n.as_f64() {
            Some(f) if n.is_f64() => write_float(out, f),
            // Only reachable with serde_json's `arbitrary_precision` feature:
            // an integer too large for 64 bits. Python keeps it exact too.
            _ => {
                let _ = write!(out, "{n}");
            }
        }
    }
}

/// Write `f` as Python's `repr(float)` (as used by `json.dumps`).
fn write_float(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str("NaN");
        return;
    }
    if f.is_infinite() {
        out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    if f == 0.0 {
        out.push_str(if f.is_sign_negative() { "-0.0" } else { "0.0" });
        return;
    }
    // Rust's `{:e}` gives the shortest round-trip digits (the same digits as
    // Python's repr, both pick the closest shortest string), e.g. "-1.5e-7".
    let sci = format!("{f:e}");
    let (mantissa, exp) = match sci.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (sci.as_str(), 0),
    };
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if negative {
        out.push('-');
    }
    if !(-4..16).contains(&exp) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let sign = if exp < 0 { '-' } else { '+' };
        let _ = write!(out, "e{sign}{:02}", exp.unsigned_abs());
    } else if exp >= 0 {
        // At most 16 integral digits here; the shortest digits never exceed 17.
        let int_len = exp as usize + 1;
        if digits.len() > int_len {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        } else {
            out.push_str(&digits);
            out.extend(std::iter::repeat('0').take(int_len - digits.len()));
            out.push_str(".0");
        }
    } else {
        out.push_str("0.");
        out.extend(std::iter::repeat('0').take((-exp - 1) as usize));
        out.push_str(&digits);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // Every expected string below was produced by Python 3.11's
    // `json.dumps(value, sort_keys=True)` (or with `indent=`) on the same value.

    #[test]
    fn nested_objects_and_arrays() {
        let v = json!({"b": [1, 2, {"z": null, "a": true}], "a": {"y": false, "x": "s"}, "": []});
        assert_eq!(
            to_python_json(&v),
            r#"{"": [], "a": {"x": "s", "y": false}, "b": [1, 2, {"a": true, "z": null}]}"#
        );
    }

    #[test]
    fn unicode_bmp_and_astral() {
        let v = json!(["é", "中文", "😀", "a\u{2028}b", "\u{feff}", "\u{10ffff}"]);
        assert_eq!(
            to_python_json(&v),
            r#"["\u00e9", "\u4e2d\u6587", "\ud83d\ude00", "a\u2028b", "\ufeff", "\udbff\udfff"]"#
        );
    }

    #[test]
    fn control_characters_and_short_escapes() {
        let v = json!("\u{0}\u{1}\u{8}\t\n\u{b}\u{c}\r\u{1f} \u{7f}\u{80}\"\\/");
        assert_eq!(
            to_python_json(&v),
            r#""\u0000\u0001\b\t\n\u000b\f\r\u001f \u007f\u0080\"\\/""#
        );
    }

    #[test]
    fn floats_like_python_repr() {
        let v = json!([
            1.0,
            0.1,
            1e16,
            1e-5,
            123.456,
            5e-324,
            1.7976931348623157e308,
            -0.0,
            1e22,
            12345678901234567890.0,
            0.0001,
            1e15,
            123456789012345.6,
            1.5e-7,
            100.0,
            -1.5,
            2.5e-5,
            1e100,
            0.5
        ]);
        assert_eq!(
            to_python_json(&v),
            "[1.0, 0.1, 1e+16, 1e-05, 123.456, 5e-324, 1.7976931348623157e+308, -0.0, \
             1e+22, 1.2345678901234567e+19, 0.0001, 1000000000000000.0, 123456789012345.6, \
             1.5e-07, 100.0, -1.5, 2.5e-05, 1e+100, 0.5]"
        );
    }

    #[test]
    fn integers_including_extremes() {
        let v = json!([u64::MAX, i64::MIN, 0, -1, 42]);
        assert_eq!(
            to_python_json(&v),
            "[18446744073709551615, -9223372036854775808, 0, -1, 42]"
        );
    }

    #[test]
    fn empty_containers() {
        let v = json!({"a": [], "b": {}, "c": ""});
        assert_eq!(to_python_json(&v), r#"{"a": [], "b": {}, "c": ""}"#);
        assert_eq!(to_python_json(&json!([])), "[]");
        assert_eq!(to_python_json(&json!({})), "{}");
    }

    #[test]
    fn keys_sorted_by_code_point() {
        let v = json!({"b": 1, "a": 2, "B": 3, "é": 4, "😀": 5, "\u{ffff}": 6, "aa": 7, "a\u{0}": 8});
        assert_eq!(
            to_python_json(&v),
            r#"{"B": 3, "a": 2, "a\u0000": 8, "aa": 7, "b": 1, "\u00e9": 4, "\uffff": 6, "\ud83d\ude00": 5}"#
        );
    }

    #[test]
    fn scalars_at_top_level() {
        assert_eq!(to_python_json(&json!(null)), "null");
        assert_eq!(to_python_json(&json!(true)), "true");
        assert_eq!(to_python_json(&json!(false)), "false");
        assert_eq!(to_python_json(&json!("x")), r#""x""#);
        assert_eq!(to_python_json(&json!(7)), "7");
    }

    #[test]
    fn pretty_matches_python_indent() {
        let v = json!({"b": [1, 2, {"z": null, "a": true}], "a": {"y": false, "x": "s"}, "": []});
        assert_eq!(
            to_python_json_pretty(&v, 2),
            "{\n  \"\": [],\n  \"a\": {\n    \"x\": \"s\",\n    \"y\": false\n  },\n  \"b\": [\n    1,\n    2,\n    {\n      \"a\": true,\n      \"z\": null\n    }\n  ]\n}"
        );
        assert_eq!(
            to_python_json_pretty(&v, 0),
            "{\n\"\": [],\n\"a\": {\n\"x\": \"s\",\n\"y\": false\n},\n\"b\": [\n1,\n2,\n{\n\"a\": true,\n\"z\": null\n}\n]\n}"
        );
        assert_eq!(
            to_python_json_pretty(&json!({"a": [], "b": {}}), 4),
            "{\n    \"a\": [],\n    \"b\": {}\n}"
        );
        assert_eq!(to_python_json_pretty(&json!(1.0), 4), "1.0");
    }

    #[test]
    fn md5_matches_python_data_changed() {
        assert_eq!(md5_hex(&json!(null)), "37a6259cc0c1dae299a7866489dff0bd");
        assert_eq!(md5_hex(&json!("ready")), "d44d9aec1849f8dd4003caf18da7b635");
        assert_eq!(
            md5_hex(&json!({"host": "10.0.0.1", "port": 5432})),
            "57256da8b44b4f090f2b051c42a25c25"
        );
        assert_eq!(md5_hex(&json!([1.0, "é"])), "7b40c982da7b2e2b75227016414c35ae");
    }

    #[test]
    fn decode_json_or_keep_raw() {
        assert_eq!(decode_or_raw("5432"), json!(5432));
        assert_eq!(decode_or_raw("\"ready\""), json!("ready"));
        assert_eq!(decode_or_raw(" [1, 2.5] "), json!([1, 2.5]));
        assert_eq!(decode_or_raw("null"), Value::Null);
        for raw in [
            "10.0.0.1",
            "",
            "ready",
            "{not json",
            "[1,]",
            "NaN",
            "1 2",
            "\"\\ud800\"",
        ] {
            assert_eq!(decode_or_raw(raw), Value::String(raw.to_owned()), "{raw:?}");
        }
        // Round trip of Python-encoded text is byte-identical.
        let py = r#"{"a": [1.0, 1e-05, "\u00e9\ud83d\ude00"], "b": null}"#;
        assert_eq!(to_python_json(&decode_or_raw(py)), py);
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let depth = 100_000;
        let mut v = json!(1);
        for _ in 0..depth {
            v = Value::Array(vec![v]);
        }
        let compact = to_python_json(&v);
        // indent 0: newlines only, so the output stays linear in the depth.
        let pretty = to_python_json_pretty(&v, 0);
        // serde_json's Value drop is recursive: unwind by hand before any
        // assertion can panic and drop `v`.
        let mut cur = v;
        while let Value::Array(mut items) = cur {
            cur = items.pop().unwrap_or(Value::Null);
        }
        let expected = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        assert!(compact == expected, "deeply nested array encoded wrongly");
        assert_eq!(pretty.lines().count(), 2 * depth + 1);
        assert_eq!(pretty.lines().nth(depth), Some("1"));
        assert!(pretty.lines().take(depth).all(|l| l == "["));
    }
}
