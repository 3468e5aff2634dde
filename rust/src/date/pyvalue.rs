//! Small re-implementations of the Python built-ins whose exact behaviour
//! fail2ban's date code depends on: `str.isspace`/`str.strip`,
//! `str.isalnum`, `int(str)` and `float(str)` (both accept any Unicode
//! decimal digit, which Python's `\d` also matches).

/// First code points of the 66 runs of Unicode decimal digits (category Nd,
/// Unicode 14 as used by Python 3.11).  Each run holds the digits 0..=9 in
/// order, so a digit's value is its distance from the run start.
const DIGIT_ZEROS: [u32; 66] = [
    0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66,
    0xDE6, 0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
    0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650,
    0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0, 0x16B50,
    0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
];

/// Value of a Unicode decimal digit (`str.isdecimal()`), else `None`.
pub(crate) fn decimal_value(c: char) -> Option<u32> {
    let cp = c as u32;
    if c.is_ascii() {
        return c.to_digit(10);
    }
    // Largest run start <= cp.
    let idx = DIGIT_ZEROS.partition_point(|&z| z <= cp);
    let zero = *DIGIT_ZEROS.get(idx.checked_sub(1)?)?;
    let v = cp - zero;
    (v < 10).then_some(v)
}

/// Python's `str.isspace()` for one character.
pub(crate) fn py_isspace(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r'
            | '\u{1c}'..='\u{20}'
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// Python's `str.strip()` (no argument).
pub(crate) fn py_strip(s: &str) -> &str {
    s.trim_matches(py_isspace)
}

/// Approximation of Python's `str.isalnum()` for one character.
///
/// Rust's `is_alphanumeric` also accepts a few combining marks that carry the
/// Unicode `Alphabetic` property; Python does not.  Only the "collision"
/// heuristic of the detector uses this, on the characters around a date.
pub(crate) fn py_isalnum(c: char) -> bool {
    c.is_alphanumeric()
}

/// Python's `int(s)` for base 10: surrounding whitespace, an optional sign,
/// Unicode decimal digits with single underscores between them.  `None` where
/// Python raises `ValueError`.  Values beyond `i128` saturate (Python would
/// keep them exact; every consumer rejects such magnitudes anyway).
pub(crate) fn py_int(s: &str) -> Option<i128> {
    // The usual case, plain ASCII digits (no sign, blank or underscore),
    // without the general walk below; the same value.
    // (in `u64` up to 19 digits, which cannot overflow it: `i128`
    // arithmetic cost a date's four fields more than the rest of the call)
    if !s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit()) {
        return Some(i128::from(
            s.bytes().fold(0u64, |v, b| v * 10 + u64::from(b - b'0')),
        ));
    }
    if !s.is_empty() && s.len() <= 30 && s.bytes().all(|b| b.is_ascii_digit()) {
        return Some(s.bytes().fold(0i128, |v, b| v * 10 + i128::from(b - b'0')));
    }
    let s = py_strip(s);
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return None;
    }
    let mut value: i128 = 0;
    let mut prev_digit = false;
    for c in body.chars() {
        if c == '_' {
            if !prev_digit {
                return None;
            }
            prev_digit = false;
            continue;
        }
        let d = decimal_value(c)?;
        value = value.saturating_mul(10).saturating_add(i128::from(d));
        prev_digit = true;
    }
    if !prev_digit {
        return None; // trailing underscore
    }
    Some(if neg { -value } else { value })
}

/// Replaces every Unicode decimal digit by its ASCII form.
pub(crate) fn ascii_digits(s: &str) -> String {
    s.chars()
        .map(|c| match decimal_value(c) {
            Some(v) if !c.is_ascii() => char::from(b'0' + v as u8),
            _ => c,
        })
        .collect()
}

/// Python's `float(s)` for the digit/dot strings the epoch templates capture.
pub(crate) fn py_float(s: &str) -> Option<f64> {
    let ascii = ascii_digits(py_strip(s));
    if ascii.is_empty() || !ascii.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    ascii.parse::<f64>().ok()
}

/// Number of characters of `s` (Python `len`).
pub(crate) fn char_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_digits_take_the_short_way_to_the_same_value() {
        assert_eq!(py_int("0"), Some(0));
        assert_eq!(py_int("0042"), Some(42));
        assert_eq!(py_int("2023"), Some(2023));
        assert_eq!(py_int(&"9".repeat(19)), Some(10i128.pow(19) - 1));
        assert_eq!(py_int(&"9".repeat(20)), Some(10i128.pow(20) - 1));
        assert_eq!(py_int(&"9".repeat(30)), Some(10i128.pow(30) - 1));
        assert_eq!(py_int(&"9".repeat(31)), Some(10i128.pow(31) - 1));
        assert_eq!(py_int(" 7 "), Some(7));
        assert_eq!(py_int("1_000"), Some(1000));
        assert_eq!(py_int(""), None);
    }

    #[test]
    fn digits() {
        assert_eq!(decimal_value('7'), Some(7));
        assert_eq!(decimal_value('\u{665}'), Some(5)); // ARABIC-INDIC FIVE
        assert_eq!(decimal_value('\u{FF19}'), Some(9)); // FULLWIDTH NINE
        assert_eq!(decimal_value('a'), None);
        assert_eq!(decimal_value('\u{2F}'), None);
        assert_eq!(decimal_value('\u{65F}'), None);
    }

    #[test]
    fn ints() {
        assert_eq!(py_int(" 5"), Some(5));
        assert_eq!(py_int("+02"), Some(2));
        assert_eq!(py_int("-00"), Some(0));
        assert_eq!(py_int("1_0"), Some(10));
        assert_eq!(py_int("1__0"), None);
        assert_eq!(py_int("_1"), None);
        assert_eq!(py_int(""), None);
        assert_eq!(py_int("-"), None);
        assert_eq!(py_int("\u{661}\u{662}"), Some(12));
        assert_eq!(py_int("12a"), None);
    }

    #[test]
    fn floats_and_strip() {
        assert_eq!(py_float("1106513999.000"), Some(1_106_513_999.0));
        assert_eq!(py_float("1e5"), None);
        assert_eq!(py_strip("\u{1c} x \u{3000}"), "x");
        assert_eq!(char_len("é1"), 2);
    }
}
