//! [`DateDetector`]: finds the date in a log line the way fail2ban's
//! `DateDetector.matchTime` + `getTime` do, template reordering included.
//!
//! Search order (fail2ban's "last template first"):
//! 1. The template that won on the previous line is tried first.  If it is
//!    anchored (line begin/end) it searches the whole line; otherwise, when
//!    the characters around the previous date position still look like a
//!    date boundary, it searches only the previous date's window.  A hit at
//!    the same position (or any hit of an anchored/only template) wins.
//! 2. Otherwise every template is tried in list order.  A hit wins at once if
//!    it is the last template, anchored, or at column 0 for a template with
//!    hits followed by a never-matching one.  A hit farther right than this
//!    template's previous distance or than the previous date position is
//!    kept in reserve (the leftmost reserve wins if nothing else does).
//! 3. The winner's hit count, distance and last use are updated and it may
//!    bubble up the list (to the first never-used slot, or halfway, or one
//!    step) when its weight `hits * weight / distance` is higher or the slot
//!    it would take was unused for 300 s.
//!
//! All positions in that logic are character indices, as in Python.

use super::civil::Naive;
use super::parse::{resolve, Conversion, ParseEnv, ReadFields};
use super::pattern::exy_regex;
use super::pyvalue::{py_isalnum, py_strip};
use super::shape::{SyslogDate, SYSLOG_DATE_LEN};
use super::template::{Found, Template, LINE_BEGIN, LINE_END};
use super::templates::{
    default_templates, pattern_key, pattern_template, shared_weight, wrapped_defaults,
};
use super::tz::zone_offset_minutes;
use super::zoneinfo::LocalZone;
use std::fmt;

/// Seconds after which a template's slot counts as unused when reordering.
const UNUSED_TIME: f64 = 300.0;
/// fail2ban's "infinite" distance.
const FAR: i64 = 0x7fff_ffff;

/// A detector could not be built; the message names the offending value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DateError {
    /// `logtimezone` is not of fail2ban's zone notation.
    TimeZone(String),
    /// A `datepattern` line cannot be turned into a template.
    Pattern { pattern: String, reason: String },
    /// Two `datepattern` lines yield the same template.
    Duplicate(String),
}

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DateError::TimeZone(tz) => write!(f, "unknown or unsupported time zone: {tz:?}"),
            DateError::Pattern { pattern, reason } => {
                write!(f, "invalid datepattern {pattern:?}: {reason}")
            }
            DateError::Duplicate(name) => {
                write!(
                    f,
                    "duplicate datepattern: there is already a template with name {name:?}"
                )
            }
        }
    }
}

impl std::error::Error for DateError {}

/// What was found at the matched span.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DateValue {
    /// The date, in seconds since the epoch.
    Time(f64),
    /// The template matched an empty text (e.g. `{NONE}`): fail2ban then
    /// uses the previous line's date if it is less than 60 s old, else now,
    /// and removes nothing.
    Empty,
    /// A date-like text was found (and fail2ban still cuts it out of the
    /// line) but it is not a valid date; fail2ban treats the line as having
    /// no date.
    Invalid,
    /// fail2ban raises an unexpected exception on this line and skips it
    /// entirely (e.g. an unknown zone abbreviation via `%Exz`, a month
    /// without a day, an epoch out of range).
    Abort,
}

/// A date found in a line.  `start..end` is the byte span fail2ban removes
/// (the text before and after it is joined without a separator).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DateMatch {
    pub value: DateValue,
    pub start: usize,
    pub end: usize,
}

impl DateMatch {
    /// The span as character offsets into `line` (Python `str` indices).
    pub fn char_span(&self, line: &str) -> (usize, usize) {
        (char_index(line, self.start), char_index(line, self.end))
    }
}

/// One entry of the ordered template list.
struct Slot {
    /// Position of the template when the detector was built (slots move).
    id: usize,
    template: Template,
    /// Times this template won.
    hits: u64,
    /// Times its regex matched at all (fail2ban's per-template counter).
    matched: u64,
    last_used: f64,
    /// Column of its last winning match.
    distance: i64,
}

impl Slot {
    fn new(id: usize, template: Template) -> Slot {
        Slot {
            id,
            template,
            hits: 0,
            matched: 0,
            last_used: 0.0,
            distance: FAR,
        }
    }
    fn weight(&self) -> f64 {
        self.hits as f64 * self.template.weight / self.distance.max(1) as f64
    }
    fn anchored(&self) -> bool {
        self.template.flags & (LINE_BEGIN | LINE_END) != 0
    }
    fn search(&mut self, line: &str, start: usize, end: usize) -> Option<Found> {
        let r = self.template.search(line, start, end);
        if r.is_some() {
            self.matched += 1;
        }
        r
    }
}

/// The previous winning date position: start and end column, the character
/// before the start (`None` = none), the first date character, the last date
/// character and the character after the end.
#[derive(Clone, Copy, Debug, PartialEq)]
struct LastPos {
    start: i64,
    before: Option<char>,
    first: Option<char>,
    end: i64,
    last: Option<char>,
    after: Option<char>,
}

/// Finds and converts log-line dates like fail2ban (see the module docs).
pub struct DateDetector {
    slots: Vec<Slot>,
    last: Option<LastPos>,
    last_index: usize,
    first_unused: usize,
    default_tz: Option<i32>,
    zone: LocalZone,
    mktime_guess: i64,
    memo: Option<ConversionMemo>,
    minute_memo: Option<MinuteMemo>,
}

fn char_index(line: &str, byte: usize) -> usize {
    LineText::new(line).char_index(byte)
}

/// A line and the position helpers below, which run several times per
/// line. On ASCII text (almost every log line) a character index is a byte
/// index; each helper tests only the part of the line before its position
/// (a date is found near the line's start: testing the whole line cost a
/// quarter of the detector's own time).
#[derive(Clone, Copy)]
struct LineText<'a> {
    line: &'a str,
}

impl<'a> LineText<'a> {
    fn new(line: &'a str) -> Self {
        LineText { line }
    }

    /// Whether the first `bytes` bytes (at most the line) are ASCII.
    fn ascii_before(self, bytes: usize) -> bool {
        let bytes = bytes.min(self.line.len());
        self.line.as_bytes()[..bytes].is_ascii()
    }

    /// The character index of byte offset `byte`.
    fn char_index(self, byte: usize) -> usize {
        let byte = byte.min(self.line.len());
        if self.ascii_before(byte) {
            byte
        } else {
            self.line[..byte].chars().count()
        }
    }

    /// The byte offset of character index `chars` (the end past the last).
    fn byte_index(self, chars: i64) -> usize {
        let c = chars.max(0) as usize;
        if self.ascii_before(c) {
            c.min(self.line.len())
        } else {
            self.line
                .char_indices()
                .nth(c)
                .map_or(self.line.len(), |(b, _)| b)
        }
    }

    /// Python's `line[i:i+1]` as an optional character.
    fn char_at(self, i: i64) -> Option<char> {
        if i < 0 {
            return None;
        }
        let i = i as usize;
        if self.ascii_before(i + 1) {
            self.line.as_bytes().get(i).map(|&b| char::from(b))
        } else {
            self.line.chars().nth(i)
        }
    }
}

/// The last conversion, kept because consecutive log lines mostly carry the
/// same date text: converting it again (fields, year inference, `mktime`)
/// cost more than finding it.  A conversion is a function of the template,
/// the texts of the match's groups, `now` and `mktime`'s carried guess, so a
/// line that agrees on all four gets the stored result (and the guess
/// `mktime` left), exactly what converting again would give.
struct ConversionMemo {
    template: usize,
    now_bits: u64,
    guess_in: i64,
    key: ConversionKey,
    guess_out: i64,
    result: Conversion,
}

/// The group texts of a match, as the text from the first group's start to
/// the last one's end and each group's place in it. Two matches with the
/// same key have the same group texts. Kept as one copy of the line's
/// bytes: a copy of each group's text (the key before) was a `memcpy`
/// call each, seven per syslog date, and a key was made for every line.
#[derive(Clone, Default, PartialEq)]
struct ConversionKey {
    text: Vec<u8>,
    /// Each group's span relative to `text` (`None`: it did not take part).
    spans: Vec<Option<(usize, usize)>>,
}

impl ConversionKey {
    /// Where the groups of `found` lie on `line`: from the first start to
    /// the last end (a group in a look-around may lie outside group 0).
    fn bounds(line: &str, found: &Found) -> Option<(usize, usize)> {
        let (start, end) = found
            .spans
            .iter()
            .flatten()
            .fold((usize::MAX, 0), |(s, e), &(gs, ge)| (s.min(gs), e.max(ge)));
        line.get(start..end).map(|_| (start, end))
    }

    /// Whether `found` on `line` has this key's group texts.
    fn matches(&self, line: &str, found: &Found) -> bool {
        let Some((start, end)) = Self::bounds(line, found) else {
            return false;
        };
        self.spans.len() == found.spans.len()
            && self.text == line.as_bytes()[start..end]
            && self
                .spans
                .iter()
                .zip(&found.spans)
                .all(|(mine, theirs)| *mine == theirs.map(|(s, e)| (s - start, e - start)))
    }

    /// The key of `found` on `line`; `None` when its spans do not fall on
    /// `line`'s character boundaries (then no conversion is remembered).
    fn of(mut self, line: &str, found: &Found) -> Option<ConversionKey> {
        let (start, end) = Self::bounds(line, found)?;
        self.text.clear();
        self.text.extend_from_slice(&line.as_bytes()[start..end]);
        self.spans.clear();
        self.spans.extend(
            found
                .spans
                .iter()
                .map(|span| span.map(|(s, e)| (s - start, e - start))),
        );
        Some(self)
    }
}

/// The syslog template's conversions within one minute. Converting
/// `Mmm dd HH:MM:SS` depends on its seconds only through the naive time
/// they add to: the calendar checks, the year inference's comparison with
/// `now` and the zone's offset do not change within a minute unless the
/// one-day limit or a zone transition falls inside it. So when the
/// minute's first and last second (and the line's own) convert to times
/// exactly their seconds apart, with the same `mktime` guess left, every
/// second of it converts to the first one's time plus its seconds; the
/// zone would have to change its offset and change it back within the
/// minute to break this, which no zone does (transitions are hours
/// apart). Checked when the memo is made: an irregular minute gets none.
/// A line of the 5% auth.log of the benchmark shares its minute with about
/// 50 other dated lines, and a conversion cost more than finding the date.
struct MinuteMemo {
    key: MinuteKey,
    /// The conversion of second 0 of the minute (an invalid date is
    /// invalid at every second: the seconds are checked by the shape).
    at_zero: Conversion,
    guess_out: i64,
}

/// What a syslog conversion depends on besides its seconds.
#[derive(Clone, Copy, PartialEq, Eq)]
struct MinuteKey {
    /// Month, day, hour and minute as read.
    minute: [u8; 4],
    now_bits: u64,
    guess_in: i64,
}

/// What a conversion at `now` needs besides the fields: `now` as the local
/// zone's naive date-time (`MyTime.now()`), the zones and `mktime`'s guess;
/// `None` where `now` has no such date-time (fail2ban then raises).
fn parse_env<'a>(
    zone: &'a LocalZone,
    default_tz: Option<i32>,
    mktime_guess: &'a mut i64,
    now: f64,
) -> Option<ParseEnv<'a>> {
    let local_now = Naive::from_epoch_f64(now, 0)
        .and_then(|utc| utc.checked_add_secs(zone.offset_at(utc.secs).0))?;
    Some(ParseEnv {
        now: local_now,
        default_tz,
        zone,
        mktime_guess,
    })
}

/// `conversion`, `second` seconds later.
fn shifted(conversion: Conversion, second: u8) -> Conversion {
    match conversion {
        Conversion::Time(t) => Conversion::Time(t + f64::from(second)),
        other => other,
    }
}

impl DateDetector {
    /// Builds a detector for a fail2ban `datepattern` (`None` or blank: the
    /// default templates) and `logtimezone` (`None`: local time), using the
    /// process environment's local zone (`TZ`, `/etc/localtime`).
    ///
    /// `created_at` (epoch seconds) stands for the moment fail2ban loaded its
    /// date module: it fixes the `%ExY` year window (its century around that
    /// year), as fail2ban computes it once at start-up.
    pub fn new(
        datepattern: Option<&str>,
        logtimezone: Option<&str>,
        created_at: f64,
    ) -> Result<Self, DateError> {
        Self::with_zone(datepattern, logtimezone, created_at, LocalZone::from_env())
    }

    /// Like [`DateDetector::new`] with an explicit local zone.
    pub fn with_zone(
        datepattern: Option<&str>,
        logtimezone: Option<&str>,
        created_at: f64,
        zone: LocalZone,
    ) -> Result<Self, DateError> {
        let default_tz = match logtimezone {
            None => None,
            Some(tz) => {
                Some(zone_offset_minutes(tz).map_err(|_| DateError::TimeZone(tz.to_string()))?)
            }
        };
        let created = if created_at.is_finite() {
            created_at.floor()
        } else {
            0.0
        };
        let ref_year = Naive::from_epoch_f64(created, zone.offset_at(created as i64).0)
            .map_or(2000, |n| n.fields().year);
        let exy = exy_regex(ref_year);
        let mut det = DateDetector {
            slots: Vec::new(),
            last: None,
            last_index: usize::MAX,
            first_unused: 0,
            default_tz,
            zone,
            mktime_guess: 0,
            memo: None,
            minute_memo: None,
        };
        for line in datepattern.unwrap_or("").split('\n') {
            let p = py_strip(line);
            if !p.is_empty() {
                det.append_pattern(p, &exy)?;
            }
        }
        if det.slots.is_empty() {
            det.add_all(
                default_templates(&exy).map_err(|reason| DateError::Pattern {
                    pattern: "<default>".into(),
                    reason,
                })?,
                false,
            )?;
        }
        Ok(det)
    }

    fn add_all(
        &mut self,
        templates: Vec<Template>,
        ignore_duplicates: bool,
    ) -> Result<(), DateError> {
        for t in templates {
            if self.slots.iter().any(|s| s.template.name == t.name) {
                if ignore_duplicates {
                    continue;
                }
                return Err(DateError::Duplicate(t.name));
            }
            self.slots.push(Slot::new(self.slots.len(), t));
        }
        Ok(())
    }

    /// fail2ban's `appendTemplate(str)`.
    fn append_pattern(&mut self, pattern: &str, exy: &str) -> Result<(), DateError> {
        let err = |reason: String| DateError::Pattern {
            pattern: pattern.to_string(),
            reason,
        };
        let key = pattern_key(pattern);
        let ignore_dup = !self.slots.is_empty();
        match key.as_str() {
            "{^LN-BEG}" => {
                let all = default_templates(exy).map_err(err)?;
                let anchored = all
                    .into_iter()
                    .filter(|t| t.flags & LINE_BEGIN != 0)
                    .collect();
                return self.add_all(anchored, ignore_dup);
            }
            // fail2ban's filter for this keyword rejects every template.
            "{DEFAULT}" => return Ok(()),
            _ => {}
        }
        if key.contains("{DATE}") {
            let wrapped = wrapped_defaults(pattern, exy).map_err(err)?;
            return self.add_all(wrapped, ignore_dup);
        }
        let mut template = if key == "{NONE}" {
            pattern_template("{UNB}^", &key, exy)
        } else {
            pattern_template(pattern, &key, exy)
        }
        .map_err(err)?;
        template.weight = shared_weight(&key);
        self.add_all(vec![template], false)
    }

    /// Names of the templates in their current order.
    pub fn template_names(&self) -> Vec<&str> {
        self.slots
            .iter()
            .map(|s| s.template.name.as_str())
            .collect()
    }

    /// `(name, Python-syntax regex, flags, weight)` of each template, in the
    /// current order (diagnostics and tests).
    pub fn template_info(&self) -> Vec<(&str, &str, u8, f64)> {
        self.slots
            .iter()
            .map(|s| {
                let t = &s.template;
                (t.name.as_str(), t.regex_text.as_str(), t.flags, t.weight)
            })
            .collect()
    }

    /// `(name, hits)` of every template, in the detector's current order:
    /// how many lines each one dated (fail2ban-regex's "Date template hits").
    pub fn template_hits(&self) -> Vec<(&str, u64)> {
        self.slots
            .iter()
            .map(|s| (s.template.name.as_str(), s.hits))
            .collect()
    }

    /// Finds the date of `line`.  `now` (epoch seconds) is the current time
    /// for year/day inference and template bookkeeping.  `None`: no template
    /// matched (fail2ban: no date; nothing removed).
    pub fn find(&mut self, line: &str, now: f64) -> Option<DateMatch> {
        if let Some(found) = self.find_syslog_again(line, now) {
            return Some(found);
        }
        self.find_general(line, now)
    }

    /// [`Self::find`] without the syslog shortcut.
    fn find_general(&mut self, line: &str, now: f64) -> Option<DateMatch> {
        let (index, found, aborted) = self.match_time(line, now)?;
        let (start, end) = match found.date_span() {
            Some(span) => span,
            None => {
                // Group 1 did not take part: Python slices at -1.
                let at = line.char_indices().last().map_or(0, |(b, _)| b);
                (at, at)
            }
        };
        if aborted {
            return Some(DateMatch {
                value: DateValue::Abort,
                start,
                end,
            });
        }
        if start == end {
            return Some(DateMatch {
                value: DateValue::Empty,
                start,
                end,
            });
        }
        let value = match self.convert(index, line, &found, now) {
            Conversion::Time(t) => DateValue::Time(t),
            Conversion::Invalid => DateValue::Invalid,
            Conversion::Error => DateValue::Abort,
        };
        Some(DateMatch { value, start, end })
    }

    /// [`Self::find`] in short for the line nearly every syslog line is:
    /// the last winning template is the (anchored) syslog template and its
    /// match is the canonical date text at the line's start. `match_time`
    /// then tries that template first, takes its match at once (it is
    /// anchored) and keeps the template order; this does the same
    /// bookkeeping without the general search's `Found`, and converts the
    /// date from the digits read (`convert` would read the same values from
    /// the groups' texts). `None`: not that case (nothing was changed).
    fn find_syslog_again(&mut self, line: &str, now: f64) -> Option<DateMatch> {
        let index = self.last_index;
        let slot = self.slots.get_mut(index)?;
        if !slot.anchored() {
            return None;
        }
        let date = slot.template.syslog_date(line)?;
        slot.matched += 1;
        slot.hits += 1;
        slot.last_used = now;
        slot.distance = 0;
        if self.first_unused == index {
            self.first_unused += 1;
        }
        // (the date's text and the character after it are ASCII)
        let bytes = line.as_bytes();
        let end = SYSLOG_DATE_LEN;
        self.last = Some(LastPos {
            start: 0,
            before: None,
            first: Some(char::from(bytes[0])),
            end: end as i64,
            last: Some(char::from(bytes[end - 1])),
            after: bytes.get(end).map(|&b| char::from(b)),
        });
        let value = match self.convert_syslog(date, now) {
            Conversion::Time(t) => DateValue::Time(t),
            Conversion::Invalid => DateValue::Invalid,
            Conversion::Error => DateValue::Abort,
        };
        Some(DateMatch {
            value,
            start: 0,
            end,
        })
    }

    /// What [`Self::convert_anew`] gives for the syslog template's match of
    /// `date`, remembered for the rest of its minute (see [`MinuteMemo`]).
    fn convert_syslog(&mut self, date: SyslogDate, now: f64) -> Conversion {
        let key = MinuteKey {
            minute: [date.month, date.day, date.hour, date.minute],
            now_bits: now.to_bits(),
            guess_in: self.mktime_guess,
        };
        if let Some(memo) = &self.minute_memo {
            if memo.key == key {
                self.mktime_guess = memo.guess_out;
                return shifted(memo.at_zero, date.second);
            }
        }
        let guess_in = self.mktime_guess;
        let mut at = |second: u8| {
            self.mktime_guess = guess_in;
            let result = self.convert_syslog_anew(SyslogDate { second, ..date }, now);
            (result, self.mktime_guess)
        };
        let (at_zero, guess_zero) = at(0);
        let (at_last, guess_last) = at(59);
        let (result, guess_out) = at(date.second);
        let regular = guess_zero == guess_out
            && guess_last == guess_out
            && shifted(at_zero, 59) == at_last
            && shifted(at_zero, date.second) == result;
        self.minute_memo = regular.then_some(MinuteMemo {
            key,
            at_zero,
            guess_out,
        });
        result
    }

    /// What [`Self::convert_anew`] gives for the syslog template's match of
    /// `date`: no year, weekday, fraction or zone of its own.
    fn convert_syslog_anew(&mut self, date: SyslogDate, now: f64) -> Conversion {
        let Some(mut env) = parse_env(&self.zone, self.default_tz, &mut self.mktime_guess, now)
        else {
            return Conversion::Error;
        };
        let read = ReadFields {
            month: Some(date.month.into()),
            day: Some(date.day.into()),
            hour: date.hour.into(),
            minute: date.minute.into(),
            second: date.second.into(),
            ..ReadFields::default()
        };
        match resolve(read, &mut env) {
            Ok(t) => Conversion::Time(t),
            Err(c) => c,
        }
    }

    fn convert(&mut self, index: usize, line: &str, found: &Found, now: f64) -> Conversion {
        let template = self.slots[index].id;
        if let Some(memo) = &self.memo {
            if memo.template == template
                && memo.now_bits == now.to_bits()
                && memo.guess_in == self.mktime_guess
                && memo.key.matches(line, found)
            {
                self.mktime_guess = memo.guess_out;
                return memo.result;
            }
        }
        let guess_in = self.mktime_guess;
        let result = self.convert_anew(index, line, found, now);
        // (the last memo's buffers are reused for the new key)
        let spare = self.memo.take().map(|m| m.key).unwrap_or_default();
        self.memo = spare.of(line, found).map(|key| ConversionMemo {
            template,
            now_bits: now.to_bits(),
            guess_in,
            key,
            guess_out: self.mktime_guess,
            result,
        });
        result
    }

    fn convert_anew(&mut self, index: usize, line: &str, found: &Found, now: f64) -> Conversion {
        let Some(mut env) = parse_env(&self.zone, self.default_tz, &mut self.mktime_guess, now)
        else {
            return Conversion::Error;
        };
        self.slots[index].template.convert(line, found, &mut env)
    }

    /// fail2ban's `matchTime`: the winning slot index (after reordering),
    /// its match, and whether fail2ban's own bookkeeping would have raised
    /// (a match starting at the very end of the line).
    fn match_time(&mut self, line: &str, now: f64) -> Option<(usize, Found, bool)> {
        let n = self.slots.len();
        let len = line.len();
        let text = LineText::new(line);
        let char_pos = |b: usize| text.char_index(b) as i64;
        let mut reserve: Option<(Found, i64, i64, usize)> = None;
        let mut skip = usize::MAX;
        let mut winner: Option<(Found, i64, i64, usize)> = None;

        let i = self.last_index;
        if i < n {
            let last = self.last;
            let m = match last {
                Some(lp) if !self.slots[i].anchored() => {
                    let before_ok = (if lp.start >= 1 {
                        text.char_at(lp.start - 1)
                    } else {
                        None
                    }) == lp.before
                        || (text.char_at(lp.start) == lp.first
                            && lp.first.is_some_and(|c| !py_isalnum(c)));
                    let after_ok = text.char_at(lp.end) == lp.after
                        || ((if lp.end >= 1 {
                            text.char_at(lp.end - 1)
                        } else {
                            None
                        }) == lp.last
                            && lp.last.is_some_and(|c| !py_isalnum(c)));
                    if before_ok && after_ok {
                        self.slots[i].search(
                            line,
                            text.byte_index(lp.start),
                            text.byte_index(lp.end),
                        )
                    } else {
                        skip = i;
                        self.slots[i].search(line, 0, len)
                    }
                }
                _ => {
                    skip = i;
                    self.slots[i].search(line, 0, len)
                }
            };
            if let Some(f) = m {
                let (s, e) = f.whole();
                let (d, ep) = (char_pos(s), char_pos(e));
                let same = self.last.is_some_and(|lp| d == lp.start && ep == lp.end);
                if n == 1 || self.slots[i].anchored() || same {
                    winner = Some((f, d, ep, i));
                } else {
                    reserve = Some((f, d, ep, i));
                }
            }
        }

        if winner.is_none() {
            let last_start = self.last.map_or(1, |lp| lp.start);
            for idx in 0..n {
                if idx == skip {
                    continue;
                }
                let Some(f) = self.slots[idx].search(line, 0, len) else {
                    continue;
                };
                let (s, e) = f.whole();
                let (d, ep) = (char_pos(s), char_pos(e));
                let slot = &self.slots[idx];
                let decisive = idx + 1 >= n
                    || slot.anchored()
                    || (d == 0 && slot.hits > 0 && self.slots[idx + 1].matched == 0);
                if !decisive && (d > slot.distance || d > last_start) {
                    if reserve.as_ref().map_or(FAR, |r| r.1) > d {
                        reserve = Some((f, d, ep, idx));
                    }
                    continue;
                }
                winner = Some((f, d, ep, idx));
                break;
            }
            if winner.is_none() {
                winner = reserve;
            }
        }

        let (found, d, ep, idx) = winner?;
        let slot = &mut self.slots[idx];
        slot.hits += 1;
        slot.last_used = now;
        slot.distance = d;
        if self.first_unused == idx {
            self.first_unused += 1;
        }
        // Python reads line[distance]: past the end it raises IndexError.
        let Some(first) = text.char_at(d) else {
            return Some((idx, found, true));
        };
        let last = if ep >= 1 {
            text.char_at(ep - 1)
        } else {
            line.chars().last()
        };
        self.last = Some(LastPos {
            start: d,
            before: if d >= 1 { text.char_at(d - 1) } else { None },
            first: Some(first),
            end: ep,
            last,
            after: text.char_at(ep),
        });
        let mut idx = idx;
        if idx != 0 && idx != self.last_index {
            idx = self.reorder(idx);
        }
        self.last_index = idx;
        Some((idx, found, false))
    }

    /// fail2ban's `_reorderTemplate`: maybe moves slot `num` up; returns its
    /// new index.
    fn reorder(&mut self, num: usize) -> usize {
        let slot = &self.slots[num];
        let cutoff = slot.last_used - UNUSED_TIME;
        let weight = slot.weight();
        let movable = |s: &Slot| weight > s.weight() || cutoff > s.last_used;
        let mut pos = if self.first_unused < num {
            self.first_unused
        } else {
            num / 2
        };
        if !movable(&self.slots[pos]) {
            if pos == num - 1 {
                return num;
            }
            pos = num - 1;
            if !movable(&self.slots[pos]) {
                return num;
            }
        }
        let slot = self.slots.remove(num);
        self.slots.insert(pos, slot);
        while self.first_unused < self.slots.len() && self.slots[self.first_unused].hits > 0 {
            self.first_unused += 1;
        }
        pos
    }
}

impl fmt::Debug for DateDetector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DateDetector")
            .field("templates", &self.template_names())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2005-08-14 10:00:00 UTC, fail2ban's test clock.
    const NOW: f64 = 1_124_013_600.0;
    /// A start-up time in 2026: `%ExY` accepts 2000..=2029.
    const CREATED: f64 = 1_790_000_000.0;

    fn det(pattern: Option<&str>, tz: Option<&str>) -> DateDetector {
        DateDetector::with_zone(
            pattern,
            tz,
            CREATED,
            LocalZone::from_posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap(),
        )
        .unwrap()
    }

    fn time(d: &mut DateDetector, line: &str) -> Option<(f64, &'static str)> {
        let m = d.find(line, NOW)?;
        match m.value {
            DateValue::Time(t) => Some((t, "")),
            _ => None,
        }
    }

    #[test]
    fn common_formats() {
        let mut d = det(None, None);
        // 2005-01-23 21:59:59 CET in a few notations.
        for line in [
            "Jan 23 21:59:59 host sshd[1]: failure",
            "2005-01-23 21:59:59 failure",
            "[23/Jan/2005:21:59:59 +0100] failure",
            "2005-01-23T20:59:59Z failure",
            "1106513999 failure",
            "audit(1106513999.000:987): failure",
            "@4000000041f4104f00000000 failure",
        ] {
            assert_eq!(
                time(&mut d, line).map(|t| t.0),
                Some(1_106_513_999.0),
                "{line}"
            );
        }
        assert!(d.find("no date at all", NOW).is_none());
    }

    #[test]
    fn span_is_group_one_in_chars() {
        let mut d = det(None, None);
        let line = "ééé 2005-01-23 21:59:59 x";
        let m = d.find(line, NOW).unwrap();
        assert_eq!(m.char_span(line), (4, 23));
        assert_eq!(&line[m.start..m.end], "2005-01-23 21:59:59");
        let line = "[1106513999] ééé";
        let m = d.find(line, NOW).unwrap();
        assert_eq!(m.char_span(line), (1, 11));
    }

    #[test]
    fn none_pattern_is_empty_match() {
        let mut d = det(Some("{NONE}"), None);
        let m = d.find("x 2005-01-23 21:59:59", NOW).unwrap();
        assert_eq!((m.value, m.start, m.end), (DateValue::Empty, 0, 0));
        // fail2ban itself fails on an empty line here (IndexError).
        assert_eq!(d.find("", NOW).unwrap().value, DateValue::Abort);
    }

    #[test]
    fn logtimezone_and_line_zone() {
        let mut d = det(
            Some("^%ExY-%Exm-%Exd %H:%M:%S(?: ?%Exz)?"),
            Some("UTC+0300"),
        );
        let base = 1_485_183_600.0; // 2017-01-23 15:00:00 UTC
        assert_eq!(
            time(&mut d, "2017-01-23 15:00:00").unwrap().0,
            base - 3.0 * 3600.0
        );
        assert_eq!(time(&mut d, "2017-01-23 15:00:00 GMT").unwrap().0, base);
        assert_eq!(
            time(&mut d, "2017-01-23 15:00:00 -10:45").unwrap().0,
            base + 10.75 * 3600.0
        );
        assert_eq!(
            d.find("2017-01-23 15:00:00 QQQ", NOW).unwrap().value,
            DateValue::Abort
        );
        assert!(DateDetector::new(None, Some("WRONG-TZ"), NOW).is_err());
    }

    #[test]
    fn invalid_date_is_still_cut() {
        let mut d = det(Some("^%Y-%m-%d %H:%M:%S"), None);
        let m = d.find("2005-02-30 10:00:00 x", NOW).unwrap();
        assert_eq!((m.value, m.start, m.end), (DateValue::Invalid, 0, 19));
    }

    #[test]
    fn template_hits_count_the_lines_each_template_dated() {
        let mut d = det(None, Some("UTC"));
        assert!(d.template_hits().iter().all(|(_, n)| *n == 0));
        for line in [
            "Aug 14 11:59:59 host x",
            "Aug 14 12:00:00 host y",
            "no date",
        ] {
            d.find(line, NOW);
        }
        let dated: u64 = d.template_hits().iter().map(|(_, n)| n).sum();
        assert_eq!(dated, 2);
        assert_eq!(d.template_hits().len(), d.template_names().len());
    }

    #[test]
    fn multi_patterns_and_errors() {
        let mut d = det(
            Some("%H:%M:%S %d.%m.%Y$\n\n  ^\\[%d/%b/%Y %H:%M:%S\\]  \n"),
            None,
        );
        assert_eq!(d.template_names().len(), 2);
        assert!(time(&mut d, "[17/Jun/2011 17:00:45] x").is_some());
        let err = DateDetector::new(Some("%H\n%H"), None, NOW).unwrap_err();
        assert!(matches!(err, DateError::Duplicate(_)), "{err}");
        let err = DateDetector::new(Some("(%H"), None, NOW).unwrap_err();
        assert!(err.to_string().contains("(%H"), "{err}");
        assert_eq!(det(Some("{^LN-BEG}"), None).template_names().len(), 17);
        assert_eq!(det(Some("{DEFAULT}"), None).template_names().len(), 31);
        assert_eq!(det(Some("^<{DATE}>"), None).template_names().len(), 17);
    }

    #[test]
    fn last_template_first_reordering() {
        let mut d = det(None, None);
        let before = d.template_names()[0].to_string();
        for _ in 0..5 {
            assert!(time(&mut d, "srv mysqld[1]: 051009 10:05:30 [Warning] denied").is_some());
        }
        assert_ne!(d.template_names()[0], before.as_str());
        assert!(d.template_names()[..3]
            .iter()
            .any(|n| n.starts_with("ExYear2")));
    }

    /// xorshift64*: deterministic pseudo-random numbers for fuzzing.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[(self.next() % items.len() as u64) as usize]
        }
    }

    #[test]
    fn never_panics_on_odd_input() {
        let pieces = [
            "2005-01-23",
            " ",
            "21:59:59",
            "Jan",
            "23",
            "\0",
            "é",
            "٢٠٠٥",
            "[",
            "]",
            "@",
            "4000000041f4104f00000000",
            "1106513999",
            ".555",
            "audit(",
            ":1)",
            "+0100",
            "Z",
            "PM",
            "\n",
            "\u{10FFFF}",
            "-",
            "/",
            "T",
            "99999999999999999999",
            "CEST",
            "x",
        ];
        let patterns = [
            None,
            Some("{NONE}"),
            Some("{^LN-BEG}"),
            Some("EPOCH"),
            Some("LEPOCH"),
            Some("^%y %U %a %H:%M:%S"),
            Some("(?P<j>\\d+) (?P<U>\\d+) (?P<w>\\d+) (?P<Y>\\d+)"),
            Some("(?P<Y>\\d+)-(?P<m>\\d+)-(?P<d>\\d+) (?P<H>\\d+)"),
            Some("{UNB}(?P<I>\\d+)(?P<p>x)?"),
            Some("^[^\\[]*\\[({DATE})"),
            Some("^%Exz %ExZ"),
            Some("(?<=x)"),
        ];
        let nows = [
            NOW,
            0.0,
            -1e12,
            1e12,
            f64::NAN,
            f64::INFINITY,
            253_402_300_799.0,
            -62_135_596_800.0,
        ];
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for p in patterns {
            let mut d = det(p, Some("CET+0130"));
            for _ in 0..400 {
                let n = (rng.next() % 12) as usize;
                let line: String = (0..n).map(|_| rng.pick(&pieces)).collect();
                let now = nows[(rng.next() % nows.len() as u64) as usize];
                if let Some(m) = d.find(&line, now) {
                    assert!(m.start <= m.end && m.end <= line.len());
                    assert!(line.is_char_boundary(m.start) && line.is_char_boundary(m.end));
                }
            }
            let huge = format!("{}2005-01-23 21:59:59", "é9".repeat(200_000));
            let _ = d.find(&huge, NOW);
        }
        for created in [f64::NAN, -1e300, 1e300] {
            assert!(DateDetector::new(None, None, created).is_ok());
        }
    }
    /// Everything a detector carries from line to line that its answers
    /// depend on (the memos aside), for comparing two detectors.
    fn carried(d: &DateDetector) -> String {
        let slots: Vec<_> = d
            .slots
            .iter()
            .map(|s| (&s.template.name, s.hits, s.matched, s.last_used, s.distance))
            .collect();
        format!(
            "{slots:?} {:?} {} {} {}",
            d.last, d.last_index, d.first_unused, d.mktime_guess
        )
    }

    /// Two detectors made alike, one finding dates as [`DateDetector::find`]
    /// does, the other by the general path alone with its conversion memo
    /// forgotten before every line; each line's answer and what each
    /// detector carries are compared.
    struct ShortcutCheck {
        fast: DateDetector,
        general: DateDetector,
        /// Lines the shortcut answered, and those of them answered from the
        /// minute memo.
        shortcuts: usize,
        remembered: usize,
    }

    impl ShortcutCheck {
        fn new(zone: &str, logtimezone: Option<&str>) -> ShortcutCheck {
            let make = || {
                let zone = LocalZone::from_posix(zone).unwrap();
                DateDetector::with_zone(None, logtimezone, CREATED, zone).unwrap()
            };
            ShortcutCheck {
                fast: make(),
                general: make(),
                shortcuts: 0,
                remembered: 0,
            }
        }

        fn line(&mut self, line: &str, now: f64) {
            let fast = &mut self.fast;
            let memo_before = fast.minute_memo.as_ref().map(|m| m.key);
            let a = match fast.find_syslog_again(line, now) {
                Some(m) => {
                    self.shortcuts += 1;
                    let memo_after = fast.minute_memo.as_ref().map(|m| m.key);
                    if memo_before.is_some() && memo_before == memo_after {
                        self.remembered += 1;
                    }
                    Some(m)
                }
                None => fast.find_general(line, now),
            };
            self.general.memo = None;
            let b = self.general.find_general(line, now);
            assert_eq!(a, b, "{line:?} at {now}");
            assert_eq!(carried(&self.fast), carried(&self.general), "{line:?}");
        }
    }

    /// The zones of the shortcut's tests: DST changing at a whole hour, at
    /// 30 seconds past one, in the other hemisphere of the year; none.
    const SHORTCUT_ZONES: [&str; 4] = [
        "CET-1CEST,M3.5.0,M10.5.0/3",
        "CET-1CEST,M3.5.0/2:00:30,M10.5.0/3:00:30",
        "EST5EDT,M3.2.0,M11.1.0",
        "UTC0",
    ];

    /// `now`s of the shortcut's tests: 2005-10-29 01:30:30 and 2005-03-26
    /// 00:30:30 UTC (the next day's limit of the year inference falls inside
    /// a minute on either of CET's DST days), 2005-12-29 23:29:30 UTC (on
    /// Dec 31), and fail2ban's test clock.
    const SHORTCUT_NOWS: [f64; 4] = [1_130_549_430.0, 1_111_797_030.0, 1_135_898_970.0, NOW];

    /// The syslog shortcut (the date read from its digits, its minute
    /// remembered) gives what the general path gives, and leaves the
    /// detector as it would, in the minutes where that is hardest: those a
    /// DST change or the year inference's limit cuts in two, each second
    /// order starting on either side of the cut.
    #[test]
    fn the_syslog_shortcut_agrees_in_minutes_cut_in_two() {
        let minutes = [
            "Mar 27 01:59",
            "Mar 27 02:00",
            "Mar 27 03:00",
            "Oct 30 01:59",
            "Oct 30 02:00",
            "Oct 30 02:59",
            "Oct 30 03:00",
            "Oct 30 03:30",
            "Mar 27 01:30",
            "Dec 31 00:29",
            "Mar 13 02:00",
            "Nov  6 01:00",
            "Nov 06 01:59",
        ];
        let orders: [&[u8]; 4] = [
            &[7, 59, 0, 30, 31, 29],
            &[45, 10, 59, 0],
            &[0, 1, 2],
            &[59, 58, 31, 30],
        ];
        for zone in SHORTCUT_ZONES {
            for logtimezone in [None, Some("+0130")] {
                let mut check = ShortcutCheck::new(zone, logtimezone);
                for now in SHORTCUT_NOWS {
                    for minute in minutes {
                        for order in orders {
                            for second in order {
                                check.line(&format!("{minute}:{second:02} host x"), now);
                            }
                        }
                    }
                }
                assert!(
                    check.remembered > 100,
                    "{zone}: {} remembered",
                    check.remembered
                );
            }
        }
    }

    /// The same over random runs of lines sharing a minute: dates around a
    /// year's end and both DST changes, invalid days and hours, and lines
    /// of other templates in between (which move the last winner).
    #[test]
    fn the_syslog_shortcut_gives_what_the_general_path_gives() {
        let months = ["Oct", "Mar", "Dec", "Feb", "Aug", "nov"];
        let days = ["30", "27", "31", "29", " 1", "14", "26", "01"];
        let hours = ["00", "01", "02", "03", "29", "23"];
        let minutes = ["00", "29", "30", "59"];
        let seconds = ["00", "07", "30", "59"];
        let others = [
            "2005-10-30 02:30:00 iso",
            "no date here",
            "Mon Oct 30 02:30:00 weekday",
            "Oct 30 02:30:00.5 fraction",
            "Oct 30 02:30:00 2005 year",
            "[Oct 30 02:30:00] bracket",
            "Oct 30 02:30:00",
        ];
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        let (mut shortcuts, mut remembered) = (0, 0);
        for zone in SHORTCUT_ZONES {
            for logtimezone in [None, Some("+0130")] {
                let mut check = ShortcutCheck::new(zone, logtimezone);
                let mut minute = String::new();
                let mut now = NOW;
                for i in 0..3000_usize {
                    // (runs of lines share a minute, and a `now`)
                    if i.is_multiple_of(50) {
                        now = SHORTCUT_NOWS[rng.next() as usize % SHORTCUT_NOWS.len()];
                    }
                    if minute.is_empty() || rng.next().is_multiple_of(6) {
                        minute = format!(
                            "{} {} {}:{}",
                            rng.pick(&months),
                            rng.pick(&days),
                            rng.pick(&hours),
                            rng.pick(&minutes)
                        );
                    }
                    let line = if rng.next().is_multiple_of(8) {
                        rng.pick(&others).to_string()
                    } else {
                        format!("{minute}:{} host x", rng.pick(&seconds))
                    };
                    check.line(&line, now);
                }
                shortcuts += check.shortcuts;
                remembered += check.remembered;
            }
        }
        assert!(
            remembered > shortcuts / 2,
            "{remembered} of {shortcuts} lines used a minute's memo"
        );
    }

    /// The conversion memo never changes an answer: a detector that keeps it
    /// and one that forgets it before every line agree, line by line, on
    /// repeated dates, alternating dates, a changing `now`, and the
    /// fall-back hour of CET where `mktime`'s carried guess picks the side.
    /// The same holds for the templates' search memos: `forgetting` also
    /// searches anew every time.
    #[test]
    fn the_conversion_memo_gives_what_converting_again_gives() {
        let lines = [
            "Oct 30 02:30:00 host a",
            "Oct 30 02:30:00 host b",
            "Oct 30 01:30:00 host c",
            "Oct 30 02:30:00 host d",
            "Oct 30 03:30:00 host e",
            "Oct 30 02:30:00 host f",
            "2005-10-30 02:30:00 g",
            "2005-10-30 02:30:00 h",
            "Oct 30 02:30:00 host i",
            "Mar 27 02:30:00 host j",
            "Mar 27 02:30:00 host k",
            "Jan 23 21:59:59 host l",
            "Jan 23 21:59:59 host m",
            "Jan 23 21:59:59.5 host n",
            "Jan 23 21:59:59 2005 host o",
            "xJan 23 21:59:59 host p",
            "Jan 23 21:59:59",
            "Jan 23 21:59:59 host q",
        ];
        let nows = [1_130_700_000.0, 1_130_700_000.0, 1_130_710_000.0];
        let mut kept = det(None, None);
        let mut forgetting = det(None, None);
        let mut reused = 0;
        for round in 0..3 {
            for (i, line) in lines.iter().enumerate() {
                let now = nows[(round + i) % nows.len()];
                let memo_before = kept.memo.as_ref().map(|m| m.key.clone());
                let a = kept.find(line, now);
                forgetting.memo = None;
                for slot in &mut forgetting.slots {
                    slot.template.forget_search();
                }
                let b = forgetting.find(line, now);
                assert_eq!(a, b, "{line} at {now}");
                assert_eq!(kept.mktime_guess, forgetting.mktime_guess, "{line}");
                if memo_before.is_some() && memo_before == kept.memo.as_ref().map(|m| m.key.clone())
                {
                    reused += 1;
                }
            }
        }
        assert!(reused > 0, "no line reused the memo");
    }
}
