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
    out.push('"');
    let mut plain = 0;
    for (i, b) in s.bytes().enumerate() {
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
    out.push('"');
}

/// A float as `repr` writes it. Rust's `{:?}` writes the same shortest
/// round-trip digits, but its exponent form differs (`1e16` against
/// `1e+16`): only the range printed without an exponent by both is written.
pub fn write_float(out: &mut String, x: f64) -> Result<(), Unwritable> {
    let magnitude = x.abs();
    if !(x == 0.0 || (1e-4..1e16).contains(&magnitude)) {
        return Err(Unwritable);
    }
    let _ = write!(out, "{x:?}");
    Ok(())
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
    }

    #[test]
    fn floats_python_writes_otherwise_are_refused() {
        for x in [1e16, 1e-5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(float(x), Err(Unwritable), "{x}");
        }
    }
}
