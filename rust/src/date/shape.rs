//! A hand-written search for the one date template nearly every syslog
//! line is dated by, `{^LN-BEG}(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?`
//! (`Nov 14 22:13:20 host ...`), so that the common line needs no PCRE2
//! call: on the 5% auth.log of the benchmark the template's search was
//! about 1,500 instructions per line, most of them PCRE2's.
//!
//! The template's regex (Python syntax, `(?iu)` because of the names) is
//!
//! ```text
//! ^(?:\W{0,2})?((?:(?P<a>mon|…|sun) )?(?P<b>jan|…|dec) (?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1])  ?
//!   (?P<H>[0-2]?\d):(?P<M>[0-5]?\d):(?P<S>[0-5]?\d|6[0-1])(?:\.(?P<f>[0-9]{1,6}))?
//!   (?: (?P<Y>%ExY))?)(?=\b|\W|$)
//! ```
//!
//! [`SyslogShape::search`] answers only for the canonical form
//! `Mmm dd HH:MM:SS` at the start of the subject (`dd` two characters, a
//! leading `0` or space allowed), followed by the subject's end or by an
//! ASCII non-word character that cannot start a fraction or a year. For such
//! a text the match it returns is the one PCRE2 returns: at every choice
//! point of the regex, the way the text is read here is the first way the
//! engine tries, or the ways tried before it fail at once (the case notes
//! in `search` say which). Anything else — a weekday, a one-digit field, a
//! fraction, a possible year, a non-ASCII or word character after the
//! seconds, a search not starting at 0 — is left to PCRE2 (`None`).
//!
//! The template is recognised by its regex text, compared with the text the
//! same pattern gives with the same `%ExY` (see `Template::from_pattern`):
//! a template built any other way never gets the shape.

use super::template::Found;

/// The pattern whose template [`SyslogShape`] searches for.
pub(crate) const SYSLOG_PATTERN: &str = r"{^LN-BEG}(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?";

const MONTHS: [&[u8; 3]; 12] = [
    b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov", b"dec",
];
const WEEKDAYS: [&[u8; 3]; 7] = [b"mon", b"tue", b"wed", b"thu", b"fri", b"sat", b"sun"];

/// The canonical text's length: `Mmm dd HH:MM:SS`.
const LEN: usize = 15;

/// Group numbers of the syslog template's regex.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SyslogShape {
    /// PCRE2's capture count, group 0 included (the length of a [`Found`]).
    groups: usize,
    month: usize,
    day: usize,
    hour: usize,
    minute: usize,
    second: usize,
}

impl SyslogShape {
    /// The shape for a regex with these named groups (`(number, name)`) and
    /// `groups` captures in all; `None` if a group is missing.
    pub(crate) fn new(names: &[(usize, String)], groups: usize) -> Option<SyslogShape> {
        let number = |name: &str| names.iter().find(|(_, n)| n == name).map(|(i, _)| *i);
        Some(SyslogShape {
            groups,
            month: number("b")?,
            day: number("d")?,
            hour: number("H")?,
            minute: number("M")?,
            second: number("S")?,
        })
    }

    /// The template's search of `subject` from byte `start` (see the module
    /// docs), or `None` when this text is left to PCRE2.
    pub(crate) fn search(&self, subject: &[u8], start: usize) -> Option<Found> {
        if start != 0 {
            return None;
        }
        canonical(subject)?;
        let mut spans = vec![None; self.groups];
        spans[0] = Some((0, LEN));
        spans[1] = Some((0, LEN));
        spans[self.month] = Some((0, 3));
        spans[self.day] = Some((4, 6));
        spans[self.hour] = Some((7, 9));
        spans[self.minute] = Some((10, 12));
        spans[self.second] = Some((13, 15));
        Some(Found { spans })
    }
}

/// A canonical syslog date at the start of a subject, read: what the
/// template's conversion reads from the groups of [`SyslogShape::search`]'s
/// match (a month by its name, the others as Python's `int` reads their
/// texts; a day of ` 4` or `04` is 4). The values are not checked against
/// the calendar here (`Feb 30`, hour 29): the conversion does that.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SyslogDate {
    /// 1 for January.
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
}

/// The length of the canonical date text a [`SyslogDate`] is read from.
pub(crate) const SYSLOG_DATE_LEN: usize = LEN;

impl SyslogDate {
    /// The date at the start of `subject` when the template's match there is
    /// the canonical text (when [`SyslogShape::search`] answers from 0).
    pub(crate) fn read(subject: &[u8]) -> Option<SyslogDate> {
        let month = canonical(subject)?;
        let digit = |i: usize| subject[i].wrapping_sub(b'0');
        let two = |i: usize| digit(i) * 10 + digit(i + 1);
        Some(SyslogDate {
            month,
            // (a leading space counts as nothing)
            day: if subject[4] == b' ' { digit(5) } else { two(4) },
            hour: two(7),
            minute: two(10),
            second: two(13),
        })
    }
}

/// Whether the template's match at the start of `subject` is the canonical
/// text (see the module docs); its month (1 for January) if so.
fn canonical(subject: &[u8]) -> Option<u8> {
    if subject.len() < LEN {
        return None;
    }
    let s = subject;
    // `(?:\W{0,2})?`: a letter first, so it takes nothing. The weekday
    // group is tried first and must fail at once: no weekday name here.
    if !s[0].is_ascii_alphabetic() {
        return None;
    }
    let name = [0, 1, 2].map(|i| s[i].to_ascii_lowercase());
    if WEEKDAYS.iter().any(|w| **w == name) {
        return None;
    }
    let month = MONTHS.iter().position(|m| **m == name)?;
    if s[3] != b' ' {
        return None;
    }
    // `%d` is `[1-2]\d|[0 ]?[1-9]|3[0-1]`: each case below is the first
    // alternative that can be followed by the space at 6 (`3` alone,
    // from the second one, is followed by a digit).
    let day_ok = matches!(
        (s[4], s[5]),
        (b'1' | b'2', b'0'..=b'9') | (b'0' | b' ', b'1'..=b'9') | (b'3', b'0' | b'1')
    );
    // `  ?`: one space; the optional second one fails on the digit at 7.
    // `[0-2]?\d`, `[0-5]?\d` and `[0-5]?\d|6[0-1]` take both digits.
    let two = |i: usize, first: u8| (b'0'..=first).contains(&s[i]) && s[i + 1].is_ascii_digit();
    if !day_ok
        || s[6] != b' '
        || !two(7, b'2')
        || s[9] != b':'
        || !two(10, b'5')
        || s[12] != b':'
        || !two(13, b'5')
    {
        return None;
    }
    // The fraction and the year are tried first: a `.` could start the
    // one, a space and a digit the other (`%ExY` is digits only). Then
    // `(?=\b|\W|$)` holds at the end or before an ASCII non-word byte.
    match s.get(LEN) {
        None => {}
        Some(b' ') if s.get(LEN + 1).is_none_or(|c| c.is_ascii_alphabetic()) => {}
        Some(&c) if c == b' ' || c == b'.' || c == b'_' || !c.is_ascii() => return None,
        Some(c) if c.is_ascii_alphanumeric() => return None,
        Some(_) => {}
    }
    // (at most 12: it fits)
    Some(month as u8 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::pattern::exy_regex;
    use crate::date::template::Template;
    use proptest::prelude::*;

    fn syslog() -> Template {
        let t = Template::from_pattern(SYSLOG_PATTERN, &exy_regex(2026)).unwrap();
        assert!(t.shape().is_some());
        t
    }

    /// The shape's answer, which must be PCRE2's whenever it gives one;
    /// `None` when it leaves the text to PCRE2.
    fn checked(t: &mut Template, subject: &str) -> Option<Vec<Option<(usize, usize)>>> {
        let shaped = t.shape().unwrap().search(subject.as_bytes(), 0)?;
        let pcre2 = t.search_pcre2(subject, 0, subject.len());
        assert_eq!(
            Some(&shaped.spans),
            pcre2.as_ref().map(|f| &f.spans),
            "{subject:?}"
        );
        Some(shaped.spans)
    }

    #[test]
    fn canonical_syslog_dates_are_found_without_pcre2() {
        let mut t = syslog();
        for line in [
            "Nov 14 22:13:20 web01 sshd[1]: Failed password",
            "nov  4 02:03:04 host x",
            "DEC 31 23:59:59",
            "Jan 01 00:00:00: x",
            "Feb 30 12:00:00 x", // (the conversion finds no such day)
            "Nov 14 29:13:20 x", // (`%k` is `[0-2]?\d`: no such hour either)
            "Mar 29 09:59:59\tx",
        ] {
            let spans = checked(&mut t, line).unwrap_or_else(|| panic!("{line:?}"));
            assert_eq!(spans[1], Some((0, 15)));
        }
    }

    #[test]
    fn other_forms_are_left_to_pcre2() {
        let t = syslog();
        let shape = t.shape().unwrap();
        for line in [
            "Mon Nov 14 22:13:20 x",    // weekday
            "Nov 4 22:13:20 x",         // one-digit day
            "Nov 14 2:13:20 x",         // one-digit hour
            "Nov 14  22:13:20 x",       // two spaces
            "Nov 14 22:13:20.123 x",    // fraction
            "Nov 14 22:13:20 2025 x",   // year
            "Nov 14 22:13:20 10.0.0.1", // a digit after the space
            "Nov 14 22:13:20x",         // word character
            "Nov 14 22:13:20é",         // non-ASCII character
            "Nov 14 22:13:2",           // too short
            "Nov 32 22:13:20 x",        // no such day
            "Nov 14 22:63:20 x",
            "[Nov 14 22:13:20] x", // non-word prefix
            "ſep 14 22:13:20 x",   // folds to "sep" in PCRE2
        ] {
            assert!(shape.search(line.as_bytes(), 0).is_none(), "{line:?}");
        }
        assert!(shape.search(b"Nov 14 22:13:20 x", 1).is_none());
    }

    /// Text near the canonical form: a month or weekday name, then runs of
    /// digits, spaces, colons, dots, letters and a non-ASCII letter.
    fn near_syslog() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("Nov".to_string()),
            Just("mon".to_string()),
            Just("sEp".to_string()),
            Just(" ".to_string()),
            Just(":".to_string()),
            Just(".".to_string()),
            Just("_".to_string()),
            Just("é".to_string()),
            Just("x".to_string()),
            "[0-9]{1,2}",
        ];
        let canonical = (
            0usize..12,
            "[ 0-3][0-9]",
            "[0-2][0-9]",
            "[0-6][0-9]",
            "[0-6][0-9]",
        )
            .prop_map(|(m, d, h, mi, s)| {
                let month = [
                    "Jan", "feb", "MAR", "Apr", "may", "Jun", "jul", "AUG", "sep", "Oct", "nov",
                    "Dec",
                ][m];
                format!("{month} {d} {h}:{mi}:{s}")
            });
        (canonical, prop::collection::vec(piece, 0..6))
            .prop_map(|(head, tail)| format!("{head}{}", tail.concat()))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn any_answer_is_pcre2s(line in near_syslog()) {
            let mut t = syslog();
            checked(&mut t, &line);
            // (a search cut short, as the detector's window search is)
            for end in 14..line.len().min(18) {
                if line.is_char_boundary(end) {
                    checked(&mut t, &line[..end]);
                }
            }
        }
    }
}
