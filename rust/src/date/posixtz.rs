//! POSIX TZ strings (`CET-1CEST,M3.5.0,M10.5.0/3`) parsed and evaluated
//! the way glibc does (`__tzset_parse_tz`, `__tz_compute`), quirks included:
//! the switch dates are computed for the year of the instant in UTC, and
//! years up to 1970 are anchored at 1970-01-01.  A string with a DST name but
//! no rules gets the US rules `M3.2.0,M11.1.0` (glibc would first try its
//! `posixrules` file).

use super::civil::{
    civil_from_days, days_before_month, days_from_civil, days_in_month, is_leap, DAY,
};

/// One local-time type: UTC offset in seconds east, and the DST flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LocalType {
    pub offset: i64,
    pub isdst: bool,
}

/// When in a year a POSIX rule switches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RuleDay {
    /// `Jn`: 1..=365, February 29 never counted.
    Julian1(i64),
    /// `n`: 0..=365, zero-based, leap day counted.
    Julian0(i64),
    /// `Mm.w.d`: weekday `d` (0 = Sunday) of week `w` (5 = last) of month `m`.
    Month { m: i64, w: i64, d: i64 },
}

/// One switch: its day and local time of day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rule {
    day: RuleDay,
    /// Local time of day of the switch, seconds (may be negative or > 24h).
    secs: i64,
}

/// A POSIX TZ string: standard offset and optional DST rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PosixZone {
    pub std_offset: i64,
    pub dst: Option<(i64, Rule, Rule)>,
}

impl PosixZone {
    pub(crate) fn local_type(&self, t: i64) -> LocalType {
        let Some((dst_offset, start, end)) = self.dst else {
            return LocalType {
                offset: self.std_offset,
                isdst: false,
            };
        };
        let year = civil_from_days(t.div_euclid(DAY)).0;
        let begin = rule_change(start, year, self.std_offset);
        let finish = rule_change(end, year, dst_offset);
        let isdst = if begin > finish {
            // Southern hemisphere: DST spans the new year.
            t < finish || t >= begin
        } else {
            t >= begin && t < finish
        };
        LocalType {
            offset: if isdst { dst_offset } else { self.std_offset },
            isdst,
        }
    }
}

/// Epoch second of a rule's switch in `year`, given the offset in force just
/// before it (glibc `compute_change`).
fn rule_change(rule: Rule, year: i64, offset_before: i64) -> i64 {
    let mut t = if year > 1970 {
        days_from_civil(year, 1, 1) * DAY
    } else {
        0
    };
    match rule.day {
        RuleDay::Julian1(n) => {
            t += (n - 1) * DAY;
            if n >= 60 && is_leap(year) {
                t += DAY;
            }
        }
        RuleDay::Julian0(n) => t += n * DAY,
        RuleDay::Month { m, w, d } => {
            t += days_before_month(year, m) * DAY;
            // Weekday (0 = Sunday) of the month's first day.
            let first = days_from_civil(year, m, 1);
            let dow = (first + 4).rem_euclid(7);
            let month_len = days_in_month(year, m);
            let mut day = (d - dow).rem_euclid(7);
            for _ in 1..w {
                if day + 7 >= month_len {
                    break;
                }
                day += 7;
            }
            t += day * DAY;
        }
    }
    t - offset_before + rule.secs
}

/// Byte cursor over a TZ string; `peek` yields 0 at the end like C strings.
struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> u8 {
        self.s.get(self.pos).copied().unwrap_or(0)
    }
    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }
    /// An unsigned decimal number (`%hu`-like, capped), or `None`.
    fn number(&mut self) -> Option<i64> {
        let start = self.pos;
        let mut v: i64 = 0;
        while self.peek().is_ascii_digit() {
            v = (v * 10 + i64::from(self.peek() - b'0')).min(1_000_000);
            self.pos += 1;
        }
        (self.pos > start).then_some(v)
    }
    /// `hh[:mm[:ss]]`, keeping only the parts that parsed.
    fn hms(&mut self) -> Option<(i64, i64, i64)> {
        let hh = self.number()?;
        let (mut mm, mut ss) = (0, 0);
        let save = self.pos;
        if self.peek() == b':' {
            self.pos += 1;
            match self.number() {
                Some(m) => {
                    mm = m;
                    let save2 = self.pos;
                    if self.peek() == b':' {
                        self.pos += 1;
                        match self.number() {
                            Some(s) => ss = s,
                            None => self.pos = save2,
                        }
                    }
                }
                None => self.pos = save,
            }
        }
        Some((hh, mm, ss))
    }
}

fn parse_name(c: &mut Cursor<'_>) -> bool {
    let start = c.pos;
    while c.peek().is_ascii_alphabetic() {
        c.pos += 1;
    }
    if c.pos - start >= 3 {
        return true;
    }
    c.pos = start;
    if c.peek() != b'<' {
        return false;
    }
    c.pos += 1;
    let inner = c.pos;
    while matches!(c.peek(), b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'+' | b'-') {
        c.pos += 1;
    }
    let len = c.pos - inner;
    if c.peek() != b'>' || len < 3 {
        return false;
    }
    c.pos += 1;
    true
}

/// Offset east of UTC from a POSIX offset (which counts west).
fn parse_offset(c: &mut Cursor<'_>) -> Option<i64> {
    let sign = match c.peek() {
        b'-' => {
            c.pos += 1;
            1
        }
        b'+' => {
            c.pos += 1;
            -1
        }
        _ => -1,
    };
    let (hh, mm, ss) = c.hms()?;
    Some(sign * (ss.min(59) + mm.min(59) * 60 + hh.min(24) * 3600))
}

fn parse_rule(c: &mut Cursor<'_>, second: bool) -> Option<Rule> {
    if c.peek() == b',' {
        c.pos += 1;
    }
    let day = match c.peek() {
        b'J' => {
            c.pos += 1;
            let n = c.number()?;
            if n == 0 || n > 365 {
                return None;
            }
            RuleDay::Julian1(n)
        }
        b'0'..=b'9' => {
            let n = c.number()?;
            if n > 365 {
                return None;
            }
            RuleDay::Julian0(n)
        }
        b'M' => {
            c.pos += 1;
            let m = c.number()?;
            if c.peek() != b'.' {
                return None;
            }
            c.pos += 1;
            let w = c.number()?;
            if c.peek() != b'.' {
                return None;
            }
            c.pos += 1;
            let d = c.number()?;
            if !(1..=12).contains(&m) || !(1..=5).contains(&w) || d > 6 {
                return None;
            }
            RuleDay::Month { m, w, d }
        }
        0 if c.at_end() => {
            if second {
                RuleDay::Month { m: 11, w: 1, d: 0 }
            } else {
                RuleDay::Month { m: 3, w: 2, d: 0 }
            }
        }
        _ => return None,
    };
    let secs = match c.peek() {
        b'/' => {
            c.pos += 1;
            if c.at_end() {
                return None;
            }
            let negative = c.peek() == b'-';
            if negative {
                c.pos += 1;
            }
            let (hh, mm, ss) = c.hms().unwrap_or((2, 0, 0));
            (if negative { -1 } else { 1 }) * (hh * 3600 + mm * 60 + ss)
        }
        0 | b',' => 7200,
        _ => return None,
    };
    Some(Rule { day, secs })
}

pub(crate) fn parse_posix(spec: &[u8]) -> Option<PosixZone> {
    let mut c = Cursor { s: spec, pos: 0 };
    if !parse_name(&mut c) {
        return None;
    }
    let first = c.peek();
    if !(first == b'+' || first == b'-' || first.is_ascii_digit()) {
        return None;
    }
    let std_offset = parse_offset(&mut c)?;
    if c.at_end() {
        return Some(PosixZone {
            std_offset,
            dst: None,
        });
    }
    let mut dst_offset = std_offset + 3600;
    if parse_name(&mut c) {
        let save = c.pos;
        match c.peek() {
            b'+' | b'-' | b'0'..=b'9' => match parse_offset(&mut c) {
                Some(o) => dst_offset = o,
                None => c.pos = save + usize::from(matches!(c.s[save], b'+' | b'-')),
            },
            _ => {}
        }
    }
    let dst = parse_rule(&mut c, false)
        .and_then(|start| parse_rule(&mut c, true).map(|end| (dst_offset, start, end)));
    Some(PosixZone { std_offset, dst })
}
