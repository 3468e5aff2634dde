//! One date template: how its regex is built from a pattern (fail2ban's
//! `DatePatternRegex`, `DateEpoch`, `DateTai64n`), how it searches a line,
//! and how a match becomes an epoch.
//!
//! Invariant: every template's compiled regex has capture group 1, which is
//! the span fail2ban cuts out of the line (`processLine` uses `m.start(1)`
//! and `m.end(1)`).

use super::bounds;
use super::parse::{strptime_fields, Conversion, ParseEnv};
use super::pattern;
use super::pyre;
use super::pyvalue::{char_len, py_float, py_strip};
use super::shape::{SyslogDate, SyslogShape, SYSLOG_PATTERN};
use pcre2::bytes::{CaptureLocations, Regex};

/// Template flag: anchored at line begin.
pub(crate) const LINE_BEGIN: u8 = 8;
/// Template flag: anchored at line end.
pub(crate) const LINE_END: u8 = 4;
/// Template flag: word boundary added at the start.
pub(crate) const WORD_BEGIN: u8 = 2;
/// Template flag: word boundary added at the end.
pub(crate) const WORD_END: u8 = 1;

const PREFIX_LINE_BEGIN: &str = "{^LN-BEG}";
const PREFIX_UNBOUND: &str = "{UNB}";

/// What to put before the regex (fail2ban's `wordBegin` argument).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Begin {
    /// Nothing.
    None,
    /// `(?=^|\b|\W)`: the date starts a word.
    Word,
    /// `^(?:\W{0,2})?`: the date starts the line (after up to 2 non-word
    /// characters); the name gets the `{^LN-BEG}` prefix.
    Line,
}

/// How a match is turned into a time.
#[derive(Clone, Debug)]
pub(crate) enum Kind {
    /// strptime-like fields from named groups.
    Fields,
    /// Seconds since the epoch in capture group `group`; `long` also accepts
    /// milli-/microseconds.
    Epoch { long: bool, group: usize },
    /// `@` + 24 hex digits.
    Tai64n,
}

/// Result of one successful search: all capture spans (byte offsets into the
/// line), index = group number.
#[derive(Clone, Debug)]
pub(crate) struct Found {
    pub spans: Vec<Option<(usize, usize)>>,
}

impl Found {
    /// Whole-match span.
    pub fn whole(&self) -> (usize, usize) {
        self.spans[0].unwrap_or((0, 0))
    }
    /// Group 1 span (what gets removed from the line).
    pub fn date_span(&self) -> Option<(usize, usize)> {
        self.spans.get(1).copied().flatten()
    }
}

/// A compiled date template.
pub(crate) struct Template {
    /// fail2ban's template name (unique within a detector).
    pub name: String,
    /// The datepattern it was built from (pattern templates only).
    pub pattern: Option<String>,
    /// The final Python-syntax regex.
    pub regex_text: String,
    /// `LINE_BEGIN | LINE_END | WORD_BEGIN | WORD_END` bits.
    pub flags: u8,
    /// Sorting weight (100 for the line-anchored copies of the defaults).
    pub weight: f64,
    pub kind: Kind,
    regex: Regex,
    locs: CaptureLocations,
    /// Named groups, in group-number order.
    names: Vec<(usize, String)>,
    /// The last short search and its answer (see [`Template::search`]).
    memo: SearchMemo,
    /// The hand-written search of the syslog template, on this template.
    shape: Option<SyslogShape>,
}

/// Searches of subjects up to this long are remembered: the windowed search
/// of a date at the start of a line (syslog's "Nov 14 22:13:20" is 15 bytes).
const MEMO_MAX_SUBJECT: usize = 64;

/// One search's input and answer.
#[derive(Default)]
struct SearchMemo {
    /// Whether `start`, `subject` and `found` hold a search.
    valid: bool,
    start: usize,
    subject: Vec<u8>,
    found: Option<Found>,
}

/// fail2ban's `setRegex`: returns the final regex text and the flags, and
/// prefixes `name` with `{^LN-BEG}` when a line-begin boundary is added.
fn finish_regex(regex: &str, begin: Begin, end: bool, name: &mut String) -> (String, u8) {
    let mut regex = py_strip(regex).to_string();
    let flags_group = bounds::find_global_flags(&regex).map(|(s, e)| {
        let g = regex[s..e].to_string();
        regex.replace_range(s..e, "");
        g
    });
    let bound_begin = begin != Begin::None && !bounds::opts_out_of_word_begin(&regex);
    let bound_end = end && !bounds::opts_out_of_word_end(&regex);
    if !bounds::has_capturing_group(&regex) {
        regex = bounds::wrap_in_group(&regex);
    }
    let mut flags = 0;
    if bound_begin {
        if begin == Begin::Line {
            flags |= LINE_BEGIN;
            regex.insert_str(0, r"^(?:\W{0,2})?");
            if !name.starts_with(PREFIX_LINE_BEGIN) {
                name.insert_str(0, PREFIX_LINE_BEGIN);
            }
        } else {
            flags |= WORD_BEGIN;
            regex.insert_str(0, r"(?=^|\b|\W)");
        }
    }
    if bound_end {
        flags |= WORD_END;
        regex.push_str(r"(?=\b|\W|$)");
    }
    if flags & LINE_BEGIN == 0 && bounds::anchored_at_line_begin(&regex) {
        flags |= LINE_BEGIN;
    }
    if flags & LINE_END == 0 && bounds::anchored_at_line_end(&regex) {
        flags |= LINE_END;
    }
    let mut regex = bounds::remove_no_bound_markers(&regex);
    if let Some(g) = flags_group {
        regex.insert_str(0, &g);
    }
    (regex, flags)
}

/// The epoch number regexes (10-11 digit seconds, optionally a fraction; the
/// long form also takes 13-digit milliseconds or 16-digit microseconds).
fn epoch_number(long: bool) -> &'static str {
    if long {
        r"\d{10,11}(?:\d{3}(?:\.\d{1,6}|\d{3})?)?"
    } else {
        r"\d{10,11}\b(?:\.\d{3,6})?"
    }
}

/// Position of the next `{EPOCH}`/`{LEPOCH}` (any case, not preceded by a
/// backslash) in `s` at or after `from`: `(start, end)`.
pub(crate) fn find_epoch_marker(s: &str, from: usize) -> Option<(usize, usize)> {
    let upper = s.to_ascii_uppercase();
    let mut i = from;
    while let Some(off) = upper.get(i..)?.find('{') {
        let at = i + off;
        let escaped = at > 0 && s.as_bytes()[at - 1] == b'\\';
        for marker in ["{EPOCH}", "{LEPOCH}"] {
            if !escaped && upper[at..].starts_with(marker) {
                return Some((at, at + marker.len()));
            }
        }
        i = at + 1;
    }
    None
}

/// fail2ban's `DatePatternRegex(pattern)` up to the compiled regex: the
/// template's name, its final regex text and its flags.
fn pattern_regex(pattern: &str, exy: &str) -> Result<(String, String, u8), String> {
    let mut p = pattern;
    let mut begin = Begin::Word;
    let mut end = true;
    if let Some(rest) = p.strip_prefix(PREFIX_UNBOUND) {
        p = rest;
        begin = Begin::None;
        end = false;
    }
    if begin != Begin::None {
        if let Some(rest) = p.strip_prefix(PREFIX_LINE_BEGIN) {
            p = rest;
            begin = Begin::Line;
        }
    }
    let converted = pattern::convert(p, exy)?;
    let mut regex = converted.regex;
    if pattern::has_alpha_code(p) {
        regex.insert_str(0, "(?iu)");
    }
    let mut name = converted.name;
    let (regex, flags) = finish_regex(&regex, begin, end, &mut name);
    Ok((name, regex, flags))
}

impl Template {
    fn compile(
        name: String,
        pattern: Option<String>,
        regex_text: String,
        flags: u8,
        kind: Kind,
    ) -> Result<Template, String> {
        let regex = pyre::compile(&regex_text)?;
        if regex.captures_len() < 2 {
            return Err("the regex has no capture group".into());
        }
        if let Kind::Epoch { group, .. } = kind {
            if regex.captures_len() <= group {
                return Err("the epoch value group is missing".into());
            }
        }
        let locs = regex.capture_locations();
        let names = pyre::group_names(&regex);
        Ok(Template {
            name,
            pattern,
            regex_text,
            flags,
            weight: 1.0,
            kind,
            regex,
            locs,
            names,
            memo: SearchMemo::default(),
            shape: None,
        })
    }

    /// fail2ban's `DatePatternRegex(pattern)`.  `exy` is the `%ExY` regex.
    pub fn from_pattern(pattern: &str, exy: &str) -> Result<Template, String> {
        let (name, regex, flags) = pattern_regex(pattern, exy)?;
        // (any pattern that comes out as the syslog template's regex)
        let syslog = pattern == SYSLOG_PATTERN
            || (regex.starts_with("(?iu)^")
                && pattern_regex(SYSLOG_PATTERN, exy).is_ok_and(|(_, r, _)| r == regex));
        let mut template =
            Template::compile(name, Some(pattern.to_string()), regex, flags, Kind::Fields)?;
        if syslog {
            template.shape = SyslogShape::new(&template.names, template.locs.len());
        }
        Ok(template)
    }

    /// fail2ban's `DateEpoch(lineBeginOnly, pattern, longFrm)`.
    pub fn epoch(
        line_begin_only: bool,
        user_pattern: Option<&str>,
        long: bool,
    ) -> Result<Template, String> {
        let number = epoch_number(long);
        let mut name = match (user_pattern, long) {
            (Some(p), _) => p.to_string(),
            (None, true) => "LongEpoch".to_string(),
            (None, false) => "Epoch".to_string(),
        };
        let (regex, flags, group) = if let Some(p) = user_pattern {
            // The pattern's markers become the number; the whole pattern is
            // group 1 (cut out), the first marker's number is group 2.
            let mut body = String::from("(");
            let mut at = 0;
            while let Some((s, e)) = find_epoch_marker(p, at) {
                body.push_str(&p[at..s]);
                body.push('(');
                body.push_str(number);
                body.push(')');
                at = e;
            }
            body.push_str(&p[at..]);
            body.push(')');
            let (r, f) = finish_regex(&body, Begin::Word, true, &mut name);
            (r, f, 2)
        } else if !line_begin_only {
            // At line start, just after a leading "[" (then "]" must
            // follow), or as the SELinux "audit(" stamp (then ":<n>)").
            let body = format!(
                r"((?:^|(?P<square>(?<=^\[))|(?P<selinux>(?<=\baudit\())){number})(?:(?(selinux)(?=:\d+\)))|(?(square)(?=\])))"
            );
            let (r, f) = finish_regex(&body, Begin::None, true, &mut name);
            (r, f, 1)
        } else {
            let body = format!(r"((?P<square>(?<=^\[))?{number})(?(square)(?=\]))");
            let (r, f) = finish_regex(&body, Begin::Line, true, &mut name);
            (r, f, 1)
        };
        Template::compile(name, None, regex, flags, Kind::Epoch { long, group })
    }

    /// fail2ban's `DateTai64n(wordBegin)`.
    pub fn tai64n(line_begin: bool) -> Result<Template, String> {
        let mut name = "TAI64N".to_string();
        let begin = if line_begin { Begin::Line } else { Begin::None };
        let (regex, flags) = finish_regex("@[0-9a-f]{24}", begin, true, &mut name);
        Template::compile(name, None, regex, flags, Kind::Tai64n)
    }

    /// Searches `line[..end]` from byte `start` (look-behinds still see the
    /// text before `start`, and nothing after `end` is visible — Python's
    /// `search(line, pos, endpos)`).  Offsets must be char boundaries.
    /// Matcher errors (e.g. PCRE2's backtracking limit) count as no match.
    ///
    /// The answer depends on `line[..end]` and `start` alone (PCRE2 looks
    /// at nothing outside its subject), so a short search whose subject and
    /// start equal the last one's takes the last answer: consecutive lines
    /// of one second share their date, and the detector searches for it in
    /// the window where it found the last one.
    pub fn search(&mut self, line: &str, start: usize, end: usize) -> Option<Found> {
        let end = end.min(line.len());
        if start > end {
            return None;
        }
        let subject = &line.as_bytes()[..end];
        if let Some(found) = self.shape.as_ref().and_then(|s| s.search(subject, start)) {
            return Some(found);
        }
        let memo = &mut self.memo;
        let remembered = subject.len() <= MEMO_MAX_SUBJECT;
        if remembered && memo.valid && memo.start == start && memo.subject == subject {
            return memo.found.clone();
        }
        let found = match self.regex.captures_read_at(&mut self.locs, subject, start) {
            Ok(Some(_)) => {
                let spans = (0..self.locs.len()).map(|i| self.locs.get(i)).collect();
                Some(Found { spans })
            }
            _ => None,
        };
        if remembered {
            memo.valid = true;
            memo.start = start;
            memo.subject.clear();
            memo.subject.extend_from_slice(subject);
            memo.found.clone_from(&found);
        }
        found
    }

    /// The canonical syslog date at the start of `line` when this is the
    /// syslog template and its match from 0 is that text (see
    /// [`SyslogDate::read`]); what converting that match reads from it.
    pub(crate) fn syslog_date(&self, line: &str) -> Option<SyslogDate> {
        self.shape.as_ref()?;
        SyslogDate::read(line.as_bytes())
    }

    /// Forgets the last search (tests compare searching with and without).
    #[cfg(test)]
    pub fn forget_search(&mut self) {
        self.memo.valid = false;
    }

    /// The hand-written search, if this template has one (tests).
    #[cfg(test)]
    pub(crate) fn shape(&self) -> Option<&SyslogShape> {
        self.shape.as_ref()
    }

    /// PCRE2's answer alone, the memo and the shape aside (tests).
    #[cfg(test)]
    pub(crate) fn search_pcre2(&mut self, line: &str, start: usize, end: usize) -> Option<Found> {
        let subject = &line.as_bytes()[..end.min(line.len())];
        match self.regex.captures_read_at(&mut self.locs, subject, start) {
            Ok(Some(_)) => Some(Found {
                spans: (0..self.locs.len()).map(|i| self.locs.get(i)).collect(),
            }),
            _ => None,
        }
    }

    /// Converts a match into a time (fail2ban's `getDate`).
    pub fn convert(&self, line: &str, found: &Found, env: &mut ParseEnv<'_>) -> Conversion {
        let text = |g: usize| -> Option<&str> {
            found
                .spans
                .get(g)
                .copied()
                .flatten()
                .map(|(s, e)| &line[s..e])
        };
        match self.kind {
            Kind::Fields => {
                // (on the stack: a template has a handful of groups, and the
                // allocation was a quarter of a conversion's cost)
                const ON_STACK: usize = 16;
                fn field<'n, 'l>(
                    (i, n): &'n (usize, String),
                    text: &impl Fn(usize) -> Option<&'l str>,
                ) -> (&'n str, Option<&'l str>) {
                    (n.as_str(), text(*i))
                }
                if self.names.len() <= ON_STACK {
                    let mut fields = [("", None); ON_STACK];
                    for (slot, name) in fields.iter_mut().zip(&self.names) {
                        *slot = field(name, &text);
                    }
                    strptime_fields(&fields[..self.names.len()], env)
                } else {
                    let fields: Vec<(&str, Option<&str>)> =
                        self.names.iter().map(|n| field(n, &text)).collect();
                    strptime_fields(&fields, env)
                }
            }
            Kind::Epoch { long, group } => {
                // A non-participating group makes Python's float() raise
                // TypeError.
                let Some(v) = text(group) else {
                    return Conversion::Error;
                };
                let Some(mut value) = py_float(v) else {
                    return Conversion::Invalid;
                };
                let len = char_len(v);
                if long && len >= 13 {
                    if len >= 16 && !v.contains('.') {
                        value /= 1_000_000.0;
                    } else {
                        value /= 1000.0;
                    }
                }
                Conversion::Time(value)
            }
            Kind::Tai64n => {
                let Some(v) = text(1) else {
                    return Conversion::Error;
                };
                let hex: String = v.chars().skip(2).take(15).collect();
                match u64::from_str_radix(&hex, 16) {
                    Ok(n) => Conversion::Time(n as f64),
                    Err(_) => Conversion::Invalid,
                }
            }
        }
    }
}

impl std::fmt::Debug for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Template")
            .field("name", &self.name)
            .field("regex", &self.regex_text)
            .field("flags", &self.flags)
            .field("weight", &self.weight)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXY: &str = r"(?P<Y>(?:200|201|202)\d)";

    #[test]
    fn pattern_regex_text() {
        let t = Template::from_pattern("%H:%M:%S", EXY).unwrap();
        assert_eq!(
            t.regex_text,
            r"(?=^|\b|\W)((?P<H>[0-1]?\d|2[0-3]):(?P<M>[0-5]?\d):(?P<S>[0-5]?\d|6[0-1]))(?=\b|\W|$)"
        );
        assert_eq!(t.flags, WORD_BEGIN | WORD_END);
        let t = Template::from_pattern("{^LN-BEG}%H:%M:%S", EXY).unwrap();
        assert!(t.regex_text.starts_with(r"^(?:\W{0,2})?("));
        assert_eq!(t.name, "{^LN-BEG}24hour:Minute:Second");
        assert_eq!(t.flags, LINE_BEGIN | WORD_END);
        let t = Template::from_pattern("^%b %d", EXY).unwrap();
        assert!(t.regex_text.starts_with("(?iu)^("));
        let t = Template::from_pattern("{UNB}^", EXY).unwrap();
        assert_eq!(t.regex_text, "^()");
        assert_eq!(t.flags, LINE_BEGIN);
    }

    #[test]
    fn epoch_regex_text() {
        let t = Template::epoch(false, None, false).unwrap();
        assert_eq!(
            t.regex_text,
            r"((?:^|(?P<square>(?<=^\[))|(?P<selinux>(?<=\baudit\()))\d{10,11}\b(?:\.\d{3,6})?)(?:(?(selinux)(?=:\d+\)))|(?(square)(?=\])))(?=\b|\W|$)"
        );
        let t = Template::epoch(true, None, true).unwrap();
        assert_eq!(t.name, "{^LN-BEG}LongEpoch");
        let t = Template::tai64n(false).unwrap();
        assert_eq!(t.regex_text, r"(@[0-9a-f]{24})(?=\b|\W|$)");
    }

    #[test]
    fn search_window() {
        let mut t = Template::from_pattern("%H:%M:%S", EXY).unwrap();
        let line = "x 10:11:12 y";
        let f = t.search(line, 0, line.len()).unwrap();
        assert_eq!(f.date_span(), Some((2, 10)));
        assert!(t.search(line, 3, line.len()).is_none());
        assert!(t.search(line, 0, 9).is_some());
        assert!(t.search(line, 20, 5).is_none());
    }
}
