//! The text Python's `json.dumps(value, ensure_ascii=False)` gives, for the
//! values of a match record.
//!
//! The tool prints its report with `json.dumps`; a record written here sits
//! in the same array as records Python writes, so it must be the same text
//! byte for byte: separators `", "` and `": "`, strings with only `"`, `\`
//! and control characters escaped (`\n`, `\r`, `\t`, `\b`, `\f`, else
//! `\u00xx`), floats as `repr` writes them.

use std::fmt::Write;

/// A value this module cannot write as Python would (the caller lets
/// Python write the record).
#[derive(Debug, PartialEq, Eq)]
pub struct Unwritable;

/// A JSON string.
pub fn write_str(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    match first_escape(s.as_bytes()) {
        None => out.push_str(s),
        Some(at) => write_escaped(out, s, at),
    }
    out.push('"');
}

/// Where the first byte to escape is (most strings have none).
fn first_escape(bytes: &[u8]) -> Option<usize> {
    let mut i = 0;
    // (a word with nothing to escape is skipped whole)
    while let Some(word) = bytes.get(i..i + 8) {
        if word_needs_escape(u64::from_le_bytes(word.try_into().unwrap_or_default())) {
            break;
        }
        i += 8;
    }
    let rest = bytes.get(i..).unwrap_or_default();
    let at = rest
        .iter()
        .position(|&b| b < 0x20 || b == b'"' || b == b'\\')?;
    Some(i + at)
}

/// The body of a JSON string whose first byte to escape is at `first`.
fn write_escaped(out: &mut String, s: &str, first: usize) {
    // `s[plain..i]` is still to be copied. Escaped bytes are ASCII, so both
    // ends of a plain run are character boundaries.
    let mut plain = 0;
    for (i, b) in s.bytes().enumerate().skip(first) {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[plain..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(escape);
        }
        plain = i + 1;
    }
    out.push_str(&s[plain..]);
}

/// Whether one of the 8 bytes of `word` is escaped in a JSON string: below
/// 0x20, `"` or `\` (bytes from 0x80 never are). The classic tests of a
/// word for a zero byte (`v - 0x01.. & !v & 0x80..`) and for a byte below
/// `n` (`v - n.. & !v & 0x80..`, exact for `n <= 0x80`) are nonzero iff
/// some byte qualifies.
fn word_needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let below = |v: u64, n: u8| v.wrapping_sub(ONES * u64::from(n)) & !v & HIGHS;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    below(word, 0x20) | below(quote, 1) | below(backslash, 1) != 0
}

/// A float as `repr` writes it. Rust's `{:?}` writes the same shortest
/// round-trip digits, but its exponent form differs (`1e16` against
/// `1e+16`): only the range printed without an exponent by both is written.
pub fn write_float(out: &mut String, x: f64) -> Result<(), Unwritable> {
    let magnitude = x.abs();
    if !(x == 0.0 || (1e-4..1e16).contains(&magnitude)) {
        return Err(Unwritable);
    }
    // A whole number (a log's dates are) is its digits and `.0` (below 2^53
    // every integer is a float); written here, it costs a tenth of the
    // general formatting.
    if x.fract() == 0.0 && (1.0..9_007_199_254_740_992.0).contains(&magnitude) {
        if x < 0.0 {
            out.push('-');
        }
        write_u64(out, magnitude as u64);
        out.push_str(".0");
        return Ok(());
    }
    let _ = write!(out, "{x:?}");
    Ok(())
}

/// An integer in decimal, as `str(int)` writes it (`itoa`: without
/// `core::fmt`'s machinery, a tenth of its cost).
pub fn write_i64(out: &mut String, n: i64) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// An unsigned integer in decimal (see [`write_i64`]).
pub fn write_u64(out: &mut String, n: u64) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// A float or `null`.
pub fn write_opt_float(out: &mut String, x: Option<f64>) -> Result<(), Unwritable> {
    match x {
        Some(x) => write_float(out, x),
        None => {
            out.push_str("null");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(s: &str) -> String {
        let mut out = String::new();
        write_str(&mut out, s);
        out
    }

    fn float(x: f64) -> Result<String, Unwritable> {
        let mut out = String::new();
        write_float(&mut out, x).map(|()| out)
    }

    #[test]
    fn strings_escape_what_python_escapes() {
        assert_eq!(string("plain"), r#""plain""#);
        assert_eq!(string("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(string("\n\r\t\u{8}\u{c}"), r#""\n\r\t\b\f""#);
        assert_eq!(string("\u{1}\u{1f}"), r#""\u0001\u001f""#);
        // non-ASCII and DEL as they are (ensure_ascii=False)
        assert_eq!(string("josé\u{7f}€"), "\"josé\u{7f}€\"");
    }

    /// The plain per-byte definition of [`write_str`].
    fn reference(s: &str) -> String {
        let mut out = String::from('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    proptest::proptest! {
        /// Words skipped whole or not, every string is written as the
        /// per-byte rules say (escapes at any position of a word).
        #[test]
        fn strings_are_written_as_the_rules_say(
            s in "([a-c é€\u{7f}]{0,12}[\"\\\\\u{0}-\u{1f}]?){0,5}"
        ) {
            proptest::prop_assert_eq!(string(&s), reference(&s));
        }
    }

    #[test]
    fn integers_as_str() {
        for n in [0, 7, 10, 99, 1_794_694_400, i64::MAX, -1, -120, i64::MIN] {
            let mut out = String::new();
            write_i64(&mut out, n);
            assert_eq!(out, n.to_string());
        }
        let mut out = String::new();
        write_u64(&mut out, u64::MAX);
        assert_eq!(out, u64::MAX.to_string());
    }

    proptest::proptest! {
        #[test]
        fn whole_floats_as_the_general_form(n in -(1i64 << 53)..(1i64 << 53)) {
            let x = n as f64;
            let mut out = String::new();
            write_float(&mut out, x).unwrap();
            proptest::prop_assert_eq!(out, format!("{x:?}"));
        }
    }

    #[test]
    fn floats_as_repr() {
        assert_eq!(float(1794694400.0).unwrap(), "1794694400.0");
        assert_eq!(float(1794694400.25).unwrap(), "1794694400.25");
        assert_eq!(float(0.1).unwrap(), "0.1");
        assert_eq!(float(0.0).unwrap(), "0.0");
        assert_eq!(float(-0.0).unwrap(), "-0.0");
        assert_eq!(float(-5.5).unwrap(), "-5.5");
        assert_eq!(float(0.0001).unwrap(), "0.0001");
        assert_eq!(float(1e15).unwrap(), "1000000000000000.0");
        assert_eq!(
            float(9_999_999_999_999_998.0).unwrap(),
            "9999999999999998.0"
        );
        assert_eq!(float(-1794694400.0).unwrap(), "-1794694400.0");
        assert_eq!(float(1.0).unwrap(), "1.0");
    }

    #[test]
    fn floats_python_writes_otherwise_are_refused() {
        for x in [1e16, 1e-5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(float(x), Err(Unwritable), "{x}");
        }
    }
}
