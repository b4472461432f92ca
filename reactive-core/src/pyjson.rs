//! Python-compatible JSON: encoding, decoding and the `data_changed` hash.
//!
//! charms.reactive (Python) publishes relation data with
//! `json.dumps(value, sort_keys=True)` and remembers what it has seen as the md5
//! of that same string (`data_changed`). A Rust charm that replaces a Python one
//! must produce the very same bytes, or every relation would fire a spurious
//! `-changed` hook and every `data_changed` check would report a change after the
//! upgrade. [`to_python_json`] reproduces Python's output exactly:
//!
//! * separators `", "` and `": "` (or `","` + newline and `": "` when indented),
//! * object keys sorted by Unicode code point (Python's `str` ordering),
//! * `ensure_ascii`: every character outside `0x20..=0x7E` escaped as `\uXXXX`
//!   (lowercase hex, astral characters as a UTF-16 surrogate pair), with the
//!   short forms `\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`,
//! * floats as Python's `repr(float)`: shortest round-trip digits (the closest
//!   such digits, ties to even), scientific notation (`1e+16`, `1e-05`) when
//!   the decimal exponent is below -4 or at least 16, otherwise positional with
//!   a `.0` for integral values,
//! * integers as they are.
//!
//! [`from_python_json`] (and [`decode_or_raw`] on top of it) reads JSON the way
//! Python's `json.loads` does, with correctly rounded floats (serde_json's
//! default float parser can be one ulp off, which would change the re-encoded
//! text and its md5).
//!
//! # What a `Value` cannot hold
//!
//! A few texts Python decodes cannot be represented by a [`Value`], so
//! re-encoding them cannot give Python's bytes back:
//!
//! * integers outside the `i64`/`u64` range become the nearest float (Python
//!   keeps them as `int`), unless serde_json's `arbitrary_precision` feature is
//!   enabled, in which case they are kept and written back digit for digit;
//! * `NaN`, `Infinity`, `-Infinity`, numbers that overflow (`1e400`) and
//!   strings with lone surrogate escapes (`"\ud800"`) are parse errors, so
//!   [`decode_or_raw`] returns such text as a raw string.

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
    from_python_json(raw).unwrap_or_else(|_| Value::String(raw.to_owned()))
}

/// Deepest nesting of arrays and objects [`from_python_json`] accepts: about
/// what Python's default recursion limit lets `json.loads` decode.
pub const MAX_DEPTH: usize = 1000;

/// Why [`from_python_json`] rejected a text, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    message: &'static str,
    offset: usize,
    line: usize,
    column: usize,
}

impl JsonError {
    fn at(text: &str, offset: usize, message: &'static str) -> JsonError {
        let offset = offset.min(text.len());
        let before = text.get(..offset).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        JsonError {
            message,
            offset,
            line,
            column,
        }
    }

    /// What is wrong, in Python's words where Python has them
    /// (`"Expecting value"`, `"Extra data"`...).
    pub fn message(&self) -> &str {
        self.message
    }

    /// Byte offset in the text where the problem was found.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// 1-based line of [`offset`](Self::offset).
    pub fn line(&self) -> usize {
        self.line
    }

    /// 1-based column (in characters) of [`offset`](Self::offset).
    pub fn column(&self) -> usize {
        self.column
    }
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: line {} column {} (byte {})",
            self.message, self.line, self.column, self.offset
        )
    }
}

impl std::error::Error for JsonError {}

/// Parse JSON text the way Python's `json.loads` does, into a [`Value`].
///
/// Unlike `serde_json::from_str` (without its `float_roundtrip` feature),
/// floats are read with correct rounding, so every float Python wrote reads
/// back as the same `f64` and [`to_python_json`] reproduces Python's text
/// byte for byte; `-0` is the integer 0, as in Python.
///
/// Text Python accepts but a [`Value`] cannot hold is an error here: `NaN`,
/// `Infinity`, `-Infinity`, numbers that overflow to infinity (`1e400`), and
/// `\u` escapes of lone surrogates. Integers beyond the `i64`/`u64` range
/// become the nearest float (Python keeps them exact), unless serde_json's
/// `arbitrary_precision` feature is enabled. Nesting deeper than
/// [`MAX_DEPTH`] is an error. Never panics and does not recurse.
///
/// # Example
///
/// ```
/// use reactive_core::pyjson::{from_python_json, to_python_json};
/// use serde_json::json;
///
/// let text = r#"{"b": [1.0, 9.999999999999999e-05], "a": "caf\u00e9"}"#;
/// let value = from_python_json(text).unwrap();
/// assert_eq!(value, json!({"a": "café", "b": [1.0, 9.999999999999999e-05]}));
/// assert_eq!(
///     to_python_json(&value),
///     r#"{"a": "caf\u00e9", "b": [1.0, 9.999999999999999e-05]}"#
/// );
///
/// let err = from_python_json("[1, 2,]").unwrap_err();
/// assert_eq!(err.message(), "Expecting value");
/// assert_eq!(err.column(), 7);
/// ```
pub fn from_python_json(text: &str) -> Result<Value, JsonError> {
    // Strict JSON, nearly everything stored or sent, gives the same value
    // through serde_json, several times faster. Whatever serde_json refuses
    // (NaN, Infinity, lone surrogates, nesting past its limit, any error)
    // goes through the Python-compatible parser, which also words the
    // error as Python does.
    // One exception: serde_json reads the integer `-0` as the float -0.0,
    // Python as the integer 0, so a value holding -0.0 is read again.
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        if !holds_negative_zero(&value) {
            return Ok(value);
        }
    }
    Parser { text, pos: 0 }.parse()
}

/// Whether `value` holds the float -0.0 anywhere (walked without
/// recursion).
fn holds_negative_zero(value: &Value) -> bool {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Number(n) if n.as_f64().is_some_and(|f| f == 0.0 && f.is_sign_negative()) => {
                return true;
            }
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.values()),
            _ => {}
        }
    }
    false
}

/// An array or object being parsed; an object holds the key of the member
/// whose value is being parsed.
enum Open {
    Array(Vec<Value>),
    Object(Map<String, Value>, String),
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, message: &'static str) -> JsonError {
        JsonError::at(self.text, self.pos, message)
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn parse(mut self) -> Result<Value, JsonError> {
        let mut stack: Vec<Open> = Vec::new();
        if self.text.starts_with('\u{feff}') {
            return Err(self.err("Unexpected UTF-8 BOM (decode using utf-8-sig)"));
        }
        self.skip_ws();
        'value: loop {
            let mut value = match self.peek() {
                Some(b'[' | b'{') if stack.len() >= MAX_DEPTH => {
                    return Err(self.err("Too deeply nested"));
                }
                Some(b'[') => {
                    self.pos += 1;
                    self.skip_ws();
                    if self.eat(b']') {
                        Value::Array(Vec::new())
                    } else {
                        stack.push(Open::Array(Vec::new()));
                        continue 'value;
                    }
                }
                Some(b'{') => {
                    self.pos += 1;
                    self.skip_ws();
                    if self.eat(b'}') {
                        Value::Object(Map::new())
                    } else {
                        let key = self.key()?;
                        stack.push(Open::Object(Map::new(), key));
                        continue 'value;
                    }
                }
                Some(b'"') => Value::String(self.string()?),
                Some(b'-' | b'0'..=b'9') => self.number()?,
                Some(b't') => self.literal("true", Value::Bool(true))?,
                Some(b'f') => self.literal("false", Value::Bool(false))?,
                Some(b'n') => self.literal("null", Value::Null)?,
                _ => return Err(self.err("Expecting value")),
            };
            // `value` is complete: add it to its container, closing every
            // container that ends here.
            loop {
                self.skip_ws();
                match stack.last_mut() {
                    None => {
                        if self.pos != self.text.len() {
                            return Err(self.err("Extra data"));
                        }
                        return Ok(value);
                    }
                    Some(Open::Array(items)) => {
                        items.push(value);
                        if self.eat(b',') {
                            self.skip_ws();
                            continue 'value;
                        }
                        if !self.eat(b']') {
                            return Err(self.err("Expecting ',' delimiter"));
                        }
                    }
                    Some(Open::Object(map, key)) => {
                        map.insert(std::mem::take(key), value);
                        if self.eat(b',') {
                            self.skip_ws();
                            *key = self.key()?;
                            continue 'value;
                        }
                        if !self.eat(b'}') {
                            return Err(self.err("Expecting ',' delimiter"));
                        }
                    }
                }
                value = match stack.pop() {
                    Some(Open::Array(items)) => Value::Array(items),
                    Some(Open::Object(map, _)) => Value::Object(map),
                    None => return Err(self.err("Expecting value")),
                };
            }
        }
    }

    /// An object key and its `:`, leaving `pos` at the member's value.
    fn key(&mut self) -> Result<String, JsonError> {
        if self.peek() != Some(b'"') {
            return Err(self.err("Expecting property name enclosed in double quotes"));
        }
        let key = self.string()?;
        self.skip_ws();
        if !self.eat(b':') {
            return Err(self.err("Expecting ':' delimiter"));
        }
        self.skip_ws();
        Ok(key)
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, JsonError> {
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.err("Expecting value"))
        }
    }

    /// The 4 hex digits after a `\\u`; errors point at the `u`, as Python's.
    fn hex4(&mut self) -> Result<u16, JsonError> {
        let invalid = || JsonError::at(self.text, self.pos - 1, "Invalid \\uXXXX escape");
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(invalid)?;
        let unit = u16::from_str_radix(digits, 16).map_err(|_| invalid())?;
        self.pos += 4;
        Ok(unit)
    }

    /// A string literal; `pos` is at its opening quote.
    fn string(&mut self) -> Result<String, JsonError> {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let run = self.pos;
            while let Some(&b) = bytes.get(self.pos) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            // Stops only at ASCII bytes, so these are char boundaries.
            out.push_str(&self.text[run..self.pos]);
            match bytes.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let escape = self.peek();
                    self.pos += 1;
                    match escape {
                        Some(b'"') => out.push('"'),
                        Some(b'\\') => out.push('\\'),
                        Some(b'/') => out.push('/'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{c}'),
                        Some(b'n') => out.push('\n'),
                        Some(b'r') => out.push('\r'),
                        Some(b't') => out.push('\t'),
                        Some(b'u') => {
                            let unit = self.hex4()?;
                            let c = match unit {
                                0xD800..=0xDBFF => {
                                    if !self.text[self.pos..].starts_with("\\u") {
                                        return Err(self.err("Lone surrogate in \\uXXXX escape"));
                                    }
                                    self.pos += 2;
                                    let low = self.hex4()?;
                                    if !(0xDC00..=0xDFFF).contains(&low) {
                                        return Err(self.err("Lone surrogate in \\uXXXX escape"));
                                    }
                                    let code = 0x10000
                                        + ((u32::from(unit) - 0xD800) << 10)
                                        + (u32::from(low) - 0xDC00);
                                    char::from_u32(code)
                                }
                                _ => char::from_u32(u32::from(unit)),
                            };
                            match c {
                                Some(c) => out.push(c),
                                None => return Err(self.err("Lone surrogate in \\uXXXX escape")),
                            }
                        }
                        None => {
                            self.pos = start;
                            return Err(self.err("Unterminated string starting at"));
                        }
                        _ => {
                            // Point at the backslash, as Python does.
                            self.pos -= 2;
                            return Err(self.err("Invalid \\escape"));
                        }
                    }
                }
                Some(_) => return Err(self.err("Invalid control character at")),
                None => {
                    self.pos = start;
                    return Err(self.err("Unterminated string starting at"));
                }
            }
        }
    }

    /// A number (JSON grammar, as Python's scanner reads it).
    fn number(&mut self) -> Result<Value, JsonError> {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        let digits = |p: &mut Parser<'_>| {
            let from = p.pos;
            while matches!(bytes.get(p.pos), Some(b'0'..=b'9')) {
                p.pos += 1;
            }
            p.pos - from
        };
        self.eat(b'-');
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => {
                self.pos = start;
                return Err(self.err("Expecting value"));
            }
        }
        let mut is_float = false;
        if self.peek() == Some(b'.') && matches!(bytes.get(self.pos + 1), Some(b'0'..=b'9')) {
            self.pos += 1;
            digits(self);
            is_float = true;
        }
        if let Some(b'e' | b'E') = self.peek() {
            let mark = self.pos;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if digits(self) == 0 {
                // Not an exponent after all: Python stops before the `e`.
                self.pos = mark;
            } else {
                is_float = true;
            }
        }
        let token = &self.text[start..self.pos];
        let value = if is_float {
            token
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map(Value::Number)
        } else if let Ok(u) = token.parse::<u64>() {
            Some(Value::from(u))
        } else if let Ok(i) = token.parse::<i64>() {
            Some(Value::from(i))
        } else {
            // Beyond 64 bits: exact with serde_json's `arbitrary_precision`,
            // else the correctly rounded float.
            match serde_json::from_str::<Number>(token) {
                Ok(n) if !n.is_f64() => Some(Value::Number(n)),
                _ => token
                    .parse::<f64>()
                    .ok()
                    .and_then(Number::from_f64)
                    .map(Value::Number),
            }
        };
        value.ok_or_else(|| JsonError::at(self.text, start, "Number out of range"))
    }
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

fn push_n(out: &mut String, c: char, n: usize) {
    for _ in 0..n {
        out.push(c);
    }
}

fn newline(out: &mut String, spaces: usize) {
    out.push('\n');
    push_n(out, ' ', spaces);
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

/// The digits and decimal exponent of Python's `repr(f)` for a finite,
/// non-zero `f`: the fewest significant digits that read back as `f` and,
/// among those, the ones closest to `f` (ties to even), as `(negative,
/// digits, exp)` meaning `±d.ddd × 10^exp`.
fn shortest_digits(f: f64) -> (bool, String, i32) {
    fn split(sci: &str) -> (bool, String, i32) {
        let (mantissa, exp) = match sci.split_once('e') {
            Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
            None => (sci, 0),
        };
        let (negative, mantissa) = match mantissa.strip_prefix('-') {
            Some(m) => (true, m),
            None => (false, mantissa),
        };
        let mut digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
        while digits.len() > 1 && digits.ends_with('0') {
            digits.pop();
        }
        (negative, digits, exp)
    }
    // `{:e}` gives the shortest round-trip digits, but when two such digit
    // strings are equally short it does not always pick the one closest to
    // `f` (Python's choice): 933268754858108.25 (exact) prints as ...108.3
    // where Python prints ...108.2. The correctly rounded value with that many
    // digits (`{:.N$e}`, ties to even) is the closest; it is Python's answer
    // whenever it reads back as `f`. Two candidates of equal length can only
    // both round-trip from 16 significant digits on.
    let shortest = format!("{f:e}");
    let (negative, digits, exp) = split(&shortest);
    if digits.len() >= 16 {
        let closest = format!("{:.*e}", digits.len() - 1, f);
        if closest.parse::<f64>() == Ok(f) {
            return split(&closest);
        }
    }
    (negative, digits, exp)
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
    let (negative, digits, exp) = shortest_digits(f);
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
            push_n(out, '0', int_len - digits.len());
            out.push_str(".0");
        }
    } else {
        out.push_str("0.");
        push_n(out, '0', exp.unsigned_abs() as usize - 1);
        out.push_str(&digits);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_fast_path_reads_strict_json_as_the_python_parser_does() {
        let samples = [
            "-0",
            "0",
            "-0.0",
            "1e5",
            "1E-5",
            "2.5",
            "-12",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "123456789012345678901234567890",
            "1.7976931348623157e308",
            "5e-324",
            "\"\\u00e9\\n\\\"\"",
            "\"\\ud83d\\ude00\"",
            "\"é\"",
            "{\"a\": 1, \"a\": 2}",
            " [1, {\"b\": [null, true, false]}] ",
            "{\"k\": {\"n\": {\"m\": []}}}",
        ];
        for text in samples {
            let slow = super::Parser { text, pos: 0 }.parse().unwrap();
            assert_eq!(super::from_python_json(text).unwrap(), slow, "{text}");
            assert_eq!(
                super::to_python_json(&super::from_python_json(text).unwrap()),
                super::to_python_json(&slow),
                "{text}"
            );
        }
        // What serde_json refuses reads (or fails, with Python's message) as
        // the Python-compatible parser reads it.
        let deep = "[".repeat(500) + &"]".repeat(500);
        for text in [
            "NaN",
            "\"\\ud800\"",
            "[1, 2,]",
            "{\"a\" 1}",
            "",
            deep.as_str(),
        ] {
            let slow = super::Parser { text, pos: 0 }.parse();
            assert_eq!(
                format!("{:?}", super::from_python_json(text)),
                format!("{slow:?}"),
                "{text}"
            );
        }
        // -0 is the integer 0, inside containers too; -0.0 stays a float.
        assert_eq!(
            super::from_python_json("[-0]").unwrap(),
            serde_json::json!([0])
        );
        assert_eq!(
            super::to_python_json(&super::from_python_json("-0.0").unwrap()),
            "-0.0"
        );
    }

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
        let v =
            json!({"b": 1, "a": 2, "B": 3, "é": 4, "😀": 5, "\u{ffff}": 6, "aa": 7, "a\u{0}": 8});
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
        assert_eq!(
            md5_hex(&json!([1.0, "é"])),
            "7b40c982da7b2e2b75227016414c35ae"
        );
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
    fn parses_floats_exactly_like_python() {
        // serde_json's default float parser gets these off by one ulp.
        for text in [
            "9.999999999999999e-05",
            "933268754858108.2",
            "-10267021324072.312",
            "7.593439365141123e-112",
            "-1.1215130877417773e+307",
            "-1e-25",
            "-1.0000000000000001e+23",
            "1.7401447977084253e-75",
            "99999999.99999999",
            "5e-324",
            "1.7976931348623157e+308",
            "2.2250738585072014e-308",
        ] {
            let value = from_python_json(text).unwrap();
            assert_eq!(value.as_f64(), text.parse::<f64>().ok(), "{text}");
            assert_eq!(to_python_json(&value), text);
        }
        // Python: float('1E5') == 100000.0, json.loads('-0') == 0.
        assert_eq!(
            to_python_json(&from_python_json("1E5").unwrap()),
            "100000.0"
        );
        assert_eq!(to_python_json(&from_python_json("-0").unwrap()), "0");
        assert_eq!(to_python_json(&from_python_json("-0.0").unwrap()), "-0.0");
        assert_eq!(to_python_json(&from_python_json("1e-0").unwrap()), "1.0");
    }

    #[test]
    fn shortest_float_ties_go_to_even_like_python() {
        // Exactly 933268754858108.25: Rust's `{:e}` says ...108.3, Python ...108.2.
        assert_eq!(
            to_python_json(&json!(933268754858108.2)),
            "933268754858108.2"
        );
        assert_eq!(
            to_python_json(&json!(-10267021324072.312)),
            "-10267021324072.312"
        );
        // Python: 1.2345678901234567 * 10.0**-24
        let f = f64::from_bits(0x3af7e148ba18936e);
        assert_eq!(to_python_json(&json!(f)), "1.2345678901234565e-24");
        assert_eq!(
            to_python_json(&json!(999999999999999.9)),
            "999999999999999.9"
        );
    }

    #[test]
    fn parses_python_json_structures() {
        let text = " {\"b\" : [1, -2, 18446744073709551615, -9223372036854775808, true, false, null],\n\t\"a\":{}, \"a\": {\"x\": \"\\u00e9\\ud83d\\ude00\\n\\/\\\"\"}, \"c\": []}\r\n";
        assert_eq!(
            from_python_json(text).unwrap(),
            json!({"a": {"x": "é😀\n/\""}, "b": [1, -2, u64::MAX, i64::MIN, true, false, null], "c": []})
        );
        assert_eq!(from_python_json("\"\u{7f}é\"").unwrap(), json!("\u{7f}é"));
        assert_eq!(from_python_json("\"\\u00E9\"").unwrap(), json!("é"));
        // Beyond 64 bits: the nearest float (Python would keep the int).
        assert_eq!(
            from_python_json("-18446744073709551617").unwrap().as_f64(),
            Some(-18446744073709551617.0)
        );
    }

    #[test]
    fn rejects_what_python_rejects_or_value_cannot_hold() {
        let cases: &[(&str, &str, usize)] = &[
            ("", "Expecting value", 0),
            ("   ", "Expecting value", 3),
            ("[1, 2,]", "Expecting value", 6),
            (
                "{\"a\": 1,}",
                "Expecting property name enclosed in double quotes",
                8,
            ),
            ("{\"a\" 1}", "Expecting ':' delimiter", 5),
            (
                "{1: 2}",
                "Expecting property name enclosed in double quotes",
                1,
            ),
            ("[1 2]", "Expecting ',' delimiter", 3),
            ("1 2", "Extra data", 2),
            ("01", "Extra data", 1),
            ("1.", "Extra data", 1),
            (".5", "Expecting value", 0),
            ("1e", "Extra data", 1),
            ("-", "Expecting value", 0),
            ("+1", "Expecting value", 0),
            ("tru", "Expecting value", 0),
            ("\"abc", "Unterminated string starting at", 0),
            ("\"a\nb\"", "Invalid control character at", 2),
            ("\"\\x\"", "Invalid \\escape", 1),
            ("\"\\u12\"", "Invalid \\uXXXX escape", 2),
            ("\"\\ud800\\u12\"", "Invalid \\uXXXX escape", 8),
            ("\"\\ud800\"", "Lone surrogate in \\uXXXX escape", 7),
            ("\"\\udc00\"", "Lone surrogate in \\uXXXX escape", 7),
            ("\"\\ud800\\u0041\"", "Lone surrogate in \\uXXXX escape", 13),
            ("NaN", "Expecting value", 0),
            ("-Infinity", "Expecting value", 0),
            ("1e400", "Number out of range", 0),
            ("[1, 1e999]", "Number out of range", 4),
            (
                "\u{feff}1",
                "Unexpected UTF-8 BOM (decode using utf-8-sig)",
                0,
            ),
            ("\"\\", "Unterminated string starting at", 0),
            ("\"\\é\"", "Invalid \\escape", 1),
            ("é", "Expecting value", 0),
        ];
        for (text, message, offset) in cases {
            let err = from_python_json(text).unwrap_err();
            assert_eq!(
                (err.message(), err.offset()),
                (*message, *offset),
                "{text:?}"
            );
            assert_eq!(decode_or_raw(text), Value::String(text.to_string()));
        }
        let err = from_python_json("[\n  1,\n  é]").unwrap_err();
        assert_eq!((err.line(), err.column()), (3, 3));
        assert_eq!(err.to_string(), "Expecting value: line 3 column 3 (byte 9)");
    }

    #[test]
    fn nesting_limit() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(from_python_json(&ok).is_ok());
        let ok = format!("{}1{}", "{\"a\": ".repeat(MAX_DEPTH), "}".repeat(MAX_DEPTH));
        assert!(from_python_json(&ok).is_ok());
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(
            from_python_json(&deep).unwrap_err().message(),
            "Too deeply nested"
        );
        let huge = "[".repeat(10_000_000);
        assert!(from_python_json(&huge).is_err());
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
