//! [`PatternSet`]: many patterns, one scan, exact results.

use crate::exact::{groups_from_spans, ExactPattern, Groups, Locations, Span};
use crate::syntax;

use super::chunk::{Chunk, Line};
use super::hyperscan_finder::{HsMode, HyperscanFinder};
use super::regex_finder::RegexFinder;
use super::{Candidate, MatcherError};

/// Which candidate finder a set uses. Results are identical; speed is not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// One Hyperscan pass per chunk, PCRE2 on candidates.
    Hyperscan,
    /// The `regex` crate's `RegexSet` per line; captures from the `regex`
    /// crate where it expresses the pattern exactly, PCRE2 elsewhere.
    Regex,
}

impl Engine {
    pub fn parse(name: &str) -> Option<Engine> {
        match name {
            "hyperscan" => Some(Engine::Hyperscan),
            "regex" => Some(Engine::Regex),
            _ => None,
        }
    }
}

/// One confirmed match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineMatch {
    /// 0-based line number within the chunk.
    pub line: usize,
    /// Byte offset of the line's first byte in the caller's buffer.
    pub offset: usize,
    /// The caller's id of the pattern.
    pub pattern: u32,
    /// The pattern's position in the set (for [`PatternSet::group_names`]).
    pub index: usize,
    /// Named groups, in the order of [`PatternSet::group_names`].
    pub groups: Groups,
}

/// What one scan found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScanReport {
    /// Matches sorted by line, then by the pattern's position in the set.
    pub matches: Vec<LineMatch>,
    /// Lines in the chunk.
    pub lines: usize,
    /// Candidate checks abandoned because PCRE2's match limit tripped; those
    /// lines count as not matching that pattern.
    pub limit_hits: usize,
}

/// What [`PatternSet::matching_lines`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineReport {
    /// `(line, offset, id)`: 0-based line number in the chunk, byte offset
    /// of its first byte in the caller's buffer, id of the pattern; sorted
    /// by line, then by the pattern's position in the set.
    pub matches: Vec<(usize, usize, u32)>,
    /// Lines in the chunk.
    pub lines: usize,
    /// As [`ScanReport::limit_hits`].
    pub limit_hits: usize,
}

/// The `regex` crate's exact form of a pattern, with its named groups mapped
/// onto the order of [`ExactPattern::group_names`].
struct RustExact {
    regex: regex::Regex,
    group_slots: Vec<Option<usize>>,
}

enum Finder {
    Hyperscan(HyperscanFinder),
    Regex(RegexFinder),
}

pub struct PatternSet {
    patterns: Vec<ExactPattern>,
    ids: Vec<u32>,
    /// Used by the `Regex` engine only.
    rust: Vec<Option<RustExact>>,
    finder: Finder,
    /// Patterns the finder cannot hold; the exact engine tries them on every
    /// line.
    every_line: Vec<usize>,
}

impl PatternSet {
    /// Compiles `(id, pattern)` pairs written in Python `re` syntax.
    /// `multiline` is Python's `re.MULTILINE` for every pattern.
    pub fn new(
        patterns: &[(u32, &str)],
        engine: Engine,
        multiline: bool,
    ) -> Result<PatternSet, MatcherError> {
        let exact = patterns
            .iter()
            .map(|(_, p)| ExactPattern::compile(p, multiline))
            .collect::<Result<Vec<_>, _>>()
            .map_err(MatcherError::Pattern)?;
        let ids = patterns.iter().map(|(id, _)| *id).collect();
        let (finder, every_line, rust) = match engine {
            Engine::Hyperscan => {
                let finder = HyperscanFinder::new(&exact)?;
                let every_line = finder
                    .modes()
                    .iter()
                    .enumerate()
                    .filter(|(_, m)| **m == HsMode::EveryLine)
                    .map(|(i, _)| i)
                    .collect();
                let rust = exact.iter().map(|_| None).collect();
                (Finder::Hyperscan(finder), every_line, rust)
            }
            Engine::Regex => {
                let finder = RegexFinder::new(&exact)?;
                let every_line = finder.every_line().to_vec();
                let rust = exact.iter().map(rust_exact).collect();
                (Finder::Regex(finder), every_line, rust)
            }
        };
        Ok(PatternSet {
            patterns: exact,
            ids,
            rust,
            finder,
            every_line,
        })
    }

    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Named groups of the pattern at `index` (position in the set).
    /// The syntax tree of pattern `index` (by position in the set).
    pub fn parsed(&self, index: usize) -> &crate::syntax::Pattern {
        self.patterns[index].parsed()
    }

    pub fn group_names(&self, index: usize) -> Vec<&str> {
        self.patterns
            .get(index)
            .map(|p| p.group_names().collect())
            .unwrap_or_default()
    }

    /// The position in the set of each id, in set order.
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }

    /// How the finder holds each pattern (for diagnostics and benchmarks).
    pub fn modes(&self) -> Vec<&'static str> {
        match &self.finder {
            Finder::Hyperscan(f) => f.mode_names(),
            Finder::Regex(f) => (0..self.patterns.len())
                .map(|i| {
                    if f.every_line().contains(&i) {
                        "every-line"
                    } else {
                        "regex-set"
                    }
                })
                .collect(),
        }
    }

    /// Scans a chunk of lines (`\n`-separated; `\r\n` accepted; invalid UTF-8
    /// replaced by U+FFFD) and returns the confirmed matches.
    pub fn scan(&self, bytes: &[u8]) -> Result<ScanReport, MatcherError> {
        let chunk = Chunk::new(bytes);
        let (candidates, lines) = self.candidates(&chunk)?;
        let mut report = ScanReport {
            lines,
            ..ScanReport::default()
        };
        let mut scratch = self.scratch();
        let mut confirmer = Confirmer::new(self, &mut scratch);
        self.for_each_check(&chunk, &candidates, |line, pattern| {
            confirmer.confirm(&Candidate { line, pattern }, &chunk, &mut report);
        });
        report.limit_hits = confirmer.limit_hits;
        Ok(report)
    }

    /// What [`PatternSet::scan`] finds without the groups: `(line, offset,
    /// pattern id)` of each match, in the same order. Every candidate is
    /// checked as `scan` checks it, so `limit_hits` is the same too.
    pub fn matching_lines(&self, bytes: &[u8]) -> Result<LineReport, MatcherError> {
        self.lines_of(bytes, Confirm::Every)
    }

    /// The finder's candidates of a chunk, `(line, offset, pattern id)` as
    /// [`PatternSet::matching_lines`] gives them, but left unconfirmed: a
    /// superset of its matches. For a caller that runs the exact patterns on
    /// every candidate line anyway (a filter's exact stage), confirming here
    /// would pay for PCRE2 twice, and the finder's false candidates are few
    /// (0.7% of sshd's on an auth log). Patterns the finder cannot pre-select
    /// are still confirmed, else every line would be a candidate of theirs.
    pub fn candidate_lines(&self, bytes: &[u8]) -> Result<LineReport, MatcherError> {
        self.lines_of(bytes, Confirm::EveryLineOnly)
    }

    fn lines_of(&self, bytes: &[u8], confirm: Confirm) -> Result<LineReport, MatcherError> {
        let chunk = Chunk::new(bytes);
        let text = chunk.text();
        let (candidates, lines) = self.candidates(&chunk)?;
        let mut report = LineReport {
            lines,
            ..LineReport::default()
        };
        let mut scratch = self.scratch();
        let mut confirmer = Confirmer::new(self, &mut scratch);
        let ids = &self.ids;
        let every_line = &self.every_line;
        self.for_each_check(&chunk, &candidates, |line, pattern| {
            let matched = match confirm {
                Confirm::EveryLineOnly if !every_line.contains(&pattern) => Ok(true),
                _ => confirmer.is_match(pattern, &text[line.start..line.end]),
            };
            match matched {
                Ok(true) => {
                    let offset = chunk.original_offset(line.index, line.start);
                    report.matches.push((line.index, offset, ids[pattern]));
                }
                Ok(false) => {}
                Err(()) => report.limit_hits += 1,
            }
        });
        Ok(report)
    }

    /// The candidate (line, pattern) pairs the finder reports for a chunk, in line
    /// order, and the number of lines in the chunk (both finders walk the
    /// lines anyway, so the chunk is not counted a second time).
    fn candidates(&self, chunk: &Chunk) -> Result<(Vec<Candidate>, usize), MatcherError> {
        let text = chunk.text();
        let mut candidates = Vec::new();
        let lines = match &self.finder {
            Finder::Hyperscan(f) => f.candidates(text, &mut candidates)?,
            Finder::Regex(f) => {
                let mut lines = 0;
                for line in chunk.lines() {
                    f.candidates(text, line, &mut candidates);
                    lines += 1;
                }
                lines
            }
        };
        Ok((candidates, lines))
    }

    /// Calls `check(line, pattern)` for every pair that must be confirmed: the
    /// finder's candidates and, on every line, the patterns the finder cannot
    /// pre-select (`every_line`). Pairs come in line order, each pair once, and
    /// within a line in pattern order when `every_line` patterns are merged in.
    fn for_each_check(
        &self,
        chunk: &Chunk,
        candidates: &[Candidate],
        mut check: impl FnMut(Line, usize),
    ) {
        if self.every_line.is_empty() {
            for c in candidates {
                check(c.line, c.pattern);
            }
            return;
        }
        let mut next = candidates.iter().peekable();
        let mut per_line: Vec<usize> = Vec::new();
        for line in chunk.lines() {
            per_line.clear();
            while let Some(c) = next.next_if(|c| c.line.index == line.index) {
                per_line.push(c.pattern);
            }
            per_line.extend_from_slice(&self.every_line);
            per_line.sort_unstable();
            per_line.dedup();
            for &pattern in &per_line {
                check(line, pattern);
            }
        }
    }

    /// Runs only the Hyperscan database over `bytes` (no line mapping, no
    /// confirmation) and returns the number of raw matches: the speed limit
    /// of the `Hyperscan` engine. `None` for other engines.
    pub fn raw_scan(&self, bytes: &[u8]) -> Result<Option<usize>, MatcherError> {
        match &self.finder {
            Finder::Hyperscan(f) => f.raw_scan(Chunk::new(bytes).text()).map(Some),
            Finder::Regex(_) => Ok(None),
        }
    }

    /// Matches one record (the live-tail path). The record may hold several
    /// `\n`-joined lines, as fail2ban's multi-line buffers do; it is matched
    /// as a whole, so every match has `line == 0` and `offset == 0`. It is
    /// text: callers hold it as a `&str` already (checking its bytes again
    /// was 1% of the daemon's log intake).
    pub fn match_record(&self, record: &str) -> Result<ScanReport, MatcherError> {
        self.match_record_with(record, &mut self.scratch())
    }

    /// Reusable buffers for [`PatternSet::match_record_with`] (one per
    /// thread; PCRE2's match data is costly to make for every record).
    pub fn scratch(&self) -> RecordScratch {
        RecordScratch {
            locations: (0..self.patterns.len()).map(|_| None).collect(),
            patterns: Vec::new(),
            spans: Vec::new(),
        }
    }

    /// [`PatternSet::match_record`] with caller-kept buffers from
    /// [`PatternSet::scratch`] of this set.
    pub fn match_record_with(
        &self,
        record: &str,
        scratch: &mut RecordScratch,
    ) -> Result<ScanReport, MatcherError> {
        self.match_record_among(record, None, scratch)
    }

    /// [`PatternSet::match_record_with`] restricted to the patterns at the
    /// positions `among` (sorted; `None`: all): the caller knows that the
    /// others cannot match, so they are not even tried.
    pub fn match_record_among(
        &self,
        text: &str,
        among: Option<&[usize]>,
        scratch: &mut RecordScratch,
    ) -> Result<ScanReport, MatcherError> {
        let mut matches = Vec::new();
        let limit_hits =
            self.match_record_spans_among(text, among, scratch, |id, index, spans| {
                matches.push(LineMatch {
                    line: 0,
                    offset: 0,
                    pattern: id,
                    index,
                    groups: groups_from_spans(text, spans.iter().copied()),
                })
            })?;
        Ok(ScanReport {
            matches,
            lines: 1,
            limit_hits,
        })
    }

    /// [`PatternSet::match_record_among`] without copying any group: each
    /// match is handed to `found` as the caller's id of its pattern, the
    /// pattern's position in the set and where each of its named groups
    /// matched in `text` (in the order of [`PatternSet::group_names`]), in
    /// set order. Returns the checks abandoned at the match limit.
    pub fn match_record_spans_among(
        &self,
        text: &str,
        among: Option<&[usize]>,
        scratch: &mut RecordScratch,
        mut found: impl FnMut(u32, usize, &[Option<Span>]),
    ) -> Result<usize, MatcherError> {
        let (patterns, multi_line_record) = self.record_patterns(text, among, scratch)?;
        let mut spans = std::mem::take(&mut scratch.spans);
        let mut confirmer = Confirmer::new(self, scratch);
        for &pattern in &patterns {
            spans.clear();
            match confirmer.spans(pattern, text, multi_line_record, &mut spans) {
                Ok(true) => found(self.ids[pattern], pattern, &spans),
                Ok(false) => {}
                Err(()) => confirmer.limit_hits += 1,
            }
        }
        let limit_hits = confirmer.limit_hits;
        scratch.patterns = patterns;
        scratch.spans = spans;
        Ok(limit_hits)
    }

    /// The positions of the patterns to try on `text` (taken from
    /// `scratch`, to be put back), and whether `text` spans lines.
    fn record_patterns(
        &self,
        text: &str,
        among: Option<&[usize]>,
        scratch: &mut RecordScratch,
    ) -> Result<(Vec<usize>, bool), MatcherError> {
        if scratch.locations.len() != self.patterns.len() {
            *scratch = self.scratch();
        }
        // (asked once: the record path runs this several times per log line)
        let multi_line_record = memchr::memchr(b'\n', text.as_bytes()).is_some();
        // (kept in the scratch: a new list per record was an allocation,
        // and its growth another, for every line the stage evaluates)
        let mut patterns = std::mem::take(&mut scratch.patterns);
        patterns.clear();
        match (&self.finder, among) {
            (Finder::Regex(_), Some(among)) if multi_line_record => {
                patterns.extend_from_slice(among)
            }
            (Finder::Hyperscan(f), _) => patterns.extend(f.patterns_anywhere(text)?),
            (Finder::Regex(_), _) if multi_line_record => patterns.extend(0..self.patterns.len()),
            (Finder::Regex(f), _) => {
                let mut out = Vec::new();
                let line = Line {
                    index: 0,
                    start: 0,
                    end: text.len(),
                };
                f.candidates(text, line, &mut out);
                patterns.extend(out.iter().map(|c| c.pattern));
            }
        }
        patterns.extend_from_slice(&self.every_line);
        patterns.sort_unstable();
        patterns.dedup();
        if let Some(among) = among {
            let len = self.patterns.len();
            patterns.retain(|&p| p < len && among.binary_search(&p).is_ok());
        }
        Ok((patterns, multi_line_record))
    }
}

/// Which candidates [`PatternSet::lines_of`] confirms with the exact engine.
#[derive(Clone, Copy)]
enum Confirm {
    Every,
    /// Only the patterns that are tried on every line.
    EveryLineOnly,
}

/// Buffers of [`PatternSet::match_record_with`].
pub struct RecordScratch {
    locations: Vec<Option<Locations>>,
    /// The positions of the patterns to try on the current record.
    patterns: Vec<usize>,
    /// The spans of the current match (the confirmer's, and those of
    /// [`PatternSet::match_record_spans_among`]).
    spans: Vec<Option<Span>>,
}

/// Per-scan state of the exact step: PCRE2 capture buffers made on first use.
struct Confirmer<'s, 'l> {
    set: &'s PatternSet,
    scratch: &'l mut RecordScratch,
    limit_hits: usize,
}

impl<'s, 'l> Confirmer<'s, 'l> {
    fn new(set: &'s PatternSet, scratch: &'l mut RecordScratch) -> Confirmer<'s, 'l> {
        Confirmer {
            set,
            scratch,
            limit_hits: 0,
        }
    }

    fn confirm(&mut self, c: &Candidate, chunk: &Chunk<'_>, report: &mut ScanReport) {
        let subject = &chunk.text()[c.line.start..c.line.end];
        match self.groups(c.pattern, subject, false) {
            Ok(Some(groups)) => report.matches.push(LineMatch {
                line: c.line.index,
                offset: chunk.original_offset(c.line.index, c.line.start),
                pattern: self.set.ids[c.pattern],
                index: c.pattern,
                groups,
            }),
            Ok(None) => {}
            Err(()) => self.limit_hits += 1,
        }
    }

    /// Whether pattern `index` matches `subject` (a single line), decided as
    /// [`Confirmer::spans`] decides it but without reading the groups;
    /// `Err` when the match limit tripped.
    fn is_match(&mut self, index: usize, subject: &str) -> Result<bool, ()> {
        if let Some(rust) = &self.set.rust[index] {
            return Ok(rust.regex.is_match(subject));
        }
        let pattern = &self.set.patterns[index];
        let locations = self.scratch.locations[index].get_or_insert_with(|| pattern.locations());
        pattern.matches(subject, locations).map_err(|_| ())
    }

    /// The named groups if pattern `index` matches `subject`; `Err` when the
    /// match limit tripped.
    fn groups(
        &mut self,
        index: usize,
        subject: &str,
        has_newlines: bool,
    ) -> Result<Option<Groups>, ()> {
        // (the spans go through the scratch's buffer, kept between calls)
        let mut spans = std::mem::take(&mut self.scratch.spans);
        spans.clear();
        let found = self.spans(index, subject, has_newlines, &mut spans);
        let groups =
            found.map(|found| found.then(|| groups_from_spans(subject, spans.iter().copied())));
        self.scratch.spans = spans;
        groups
    }

    /// Whether pattern `index` matches `subject`, where each of its named
    /// groups matched appended to `spans`; `Err` when the match limit
    /// tripped.
    fn spans(
        &mut self,
        index: usize,
        subject: &str,
        has_newlines: bool,
        spans: &mut Vec<Option<Span>>,
    ) -> Result<bool, ()> {
        // The `regex` crate's `$` differs from Python's before a trailing
        // newline, so records with newlines always go to PCRE2.
        if let (Some(rust), false) = (&self.set.rust[index], has_newlines) {
            let Some(caps) = rust.regex.captures(subject) else {
                return Ok(false);
            };
            spans.extend(rust.spans(&caps));
            return Ok(true);
        }
        let pattern = &self.set.patterns[index];
        let locations = self.scratch.locations[index].get_or_insert_with(|| pattern.locations());
        pattern
            .capture_spans(subject, locations, spans)
            .map_err(|_| ())
    }
}

impl RustExact {
    /// Where each named group of the pattern is in `caps`, in group order.
    fn spans<'c>(
        &'c self,
        caps: &'c regex::Captures<'_>,
    ) -> impl Iterator<Item = Option<Span>> + 'c {
        self.group_slots
            .iter()
            .map(|slot| slot.and_then(|i| caps.get(i)).map(|m| (m.start(), m.end())))
    }
}

fn rust_exact(pattern: &ExactPattern) -> Option<RustExact> {
    let source = syntax::to_rust_regex(pattern.parsed())?;
    let regex = regex::Regex::new(&source).ok()?;
    let group_slots = pattern
        .group_names()
        .map(|name| regex.capture_names().position(|n| n == Some(name)))
        .collect();
    Some(RustExact { regex, group_slots })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SSHD: &[(u32, &str)] = &[
        (
            0,
            r"^\S+ sshd\[\d+\]: Failed password for (?:invalid user )?(?P<user>\S+) from (?P<host>\S+) port \d+",
        ),
        (
            1,
            r"^\S+ sshd\[\d+\]: Invalid user (?P<user>\S*) from (?P<host>\S+)",
        ),
        (7, r"(?P<a>x)(?P=a)y"),
    ];

    fn scan(engine: Engine, text: &[u8]) -> ScanReport {
        PatternSet::new(SSHD, engine, false)
            .unwrap()
            .scan(text)
            .unwrap()
    }

    #[test]
    fn finds_matching_lines_with_groups() {
        let log = b"h sshd[1]: Accepted password for bob from 1.1.1.1 port 2\n\
h sshd[2]: Failed password for invalid user root from 10.0.0.1 port 22 ssh2\n\
h sshd[3]: Invalid user admin from 10.0.0.2 port 40\n\
zz xxy\n";
        for engine in [Engine::Hyperscan, Engine::Regex] {
            let r = scan(engine, log);
            assert_eq!(r.lines, 4);
            let got: Vec<_> = r
                .matches
                .iter()
                .map(|m| (m.line, m.pattern, m.groups.clone()))
                .collect();
            assert_eq!(
                got,
                vec![
                    (1, 0, vec![Some("root".into()), Some("10.0.0.1".into())]),
                    (2, 1, vec![Some("admin".into()), Some("10.0.0.2".into())]),
                    (3, 7, vec![Some("x".into())]),
                ],
                "{engine:?}"
            );
            assert_eq!(r.matches[1].offset, 133);
        }
    }

    #[test]
    fn matching_lines_are_the_lines_scan_finds() {
        let log = b"h sshd[1]: Accepted password for bob from 1.1.1.1 port 2\n\
h sshd[2]: Failed password for invalid user root from 10.0.0.1 port 22 ssh2\r\n\
\xff h sshd[3]: Invalid user admin from 10.0.0.2 port 40\n\
zz xxy\n";
        for engine in [Engine::Hyperscan, Engine::Regex] {
            let set = PatternSet::new(SSHD, engine, false).unwrap();
            let full = set.scan(log).unwrap();
            let lines = set.matching_lines(log).unwrap();
            let expected: Vec<(usize, usize, u32)> = full
                .matches
                .iter()
                .map(|m| (m.line, m.offset, m.pattern))
                .collect();
            assert_eq!(lines.matches, expected, "{engine:?}");
            assert_eq!(
                (lines.lines, lines.limit_hits),
                (full.lines, full.limit_hits)
            );
        }
    }

    #[test]
    fn match_record_with_reuses_its_scratch() {
        let set = PatternSet::new(SSHD, Engine::Regex, false).unwrap();
        let mut scratch = set.scratch();
        for record in ["zz xxy\n", "h sshd[3]: Invalid user a from 1.2.3.4\n"] {
            assert_eq!(
                set.match_record_with(record, &mut scratch).unwrap(),
                set.match_record(record).unwrap()
            );
        }
    }

    #[test]
    fn spans_of_a_record_are_where_its_groups_are() {
        let pattern = r"^(?P<pid>\S+): (?P<content>.+)$";
        // (a record with a newline goes to PCRE2 under both engines)
        for record in [
            "h[3]: Invalid user a\n",
            "h[3]: Invalid user a\nmore",
            "none\n",
        ] {
            for engine in [Engine::Hyperscan, Engine::Regex] {
                let set =
                    PatternSet::new(&[(4, pattern), (9, r"(?P<x>user)")], engine, true).unwrap();
                let mut scratch = set.scratch();
                let owned = set.match_record_among(record, None, &mut scratch).unwrap();
                let mut found = Vec::new();
                let limit_hits = set
                    .match_record_spans_among(record, None, &mut scratch, |id, index, spans| {
                        let texts: Groups = spans
                            .iter()
                            .map(|span| span.map(|(s, e)| record[s..e].into()))
                            .collect();
                        found.push((id, index, texts));
                    })
                    .unwrap();
                let expected: Vec<_> = owned
                    .matches
                    .into_iter()
                    .map(|m| (m.pattern, m.index, m.groups))
                    .collect();
                assert_eq!(found, expected, "{engine:?} {record:?}");
                assert_eq!(limit_hits, owned.limit_hits);
            }
        }
    }

    #[test]
    fn match_record_among_tries_only_those() {
        let set = PatternSet::new(SSHD, Engine::Regex, false).unwrap();
        let mut scratch = set.scratch();
        let record = "h sshd[3]: Invalid user a from 1.2.3.4\n";
        let all = set.match_record(record).unwrap();
        assert_eq!(all.matches.len(), 1);
        let among = set
            .match_record_among(record, Some(&[1]), &mut scratch)
            .unwrap();
        assert_eq!(among, all);
        let none = set
            .match_record_among(record, Some(&[0, 2]), &mut scratch)
            .unwrap();
        assert!(none.matches.is_empty());
    }

    #[test]
    fn never_matches_across_lines() {
        let r = scan(
            Engine::Hyperscan,
            b"h sshd[1]: Invalid user\nadmin from 1.2.3.4\n",
        );
        assert!(r.matches.is_empty());
    }

    #[test]
    fn crlf_and_invalid_utf8_keep_original_offsets() {
        let log = b"\xff\xfe junk\r\nh sshd[3]: Invalid user \xc3(x from 10.0.0.2\r\n";
        for engine in [Engine::Hyperscan, Engine::Regex] {
            let r = scan(engine, log);
            assert_eq!(r.matches.len(), 1);
            assert_eq!(r.matches[0].offset, 9);
            assert_eq!(r.matches[0].groups[0].as_deref(), Some("\u{fffd}(x"));
        }
    }

    #[test]
    fn every_line_patterns_still_match() {
        // Matches the empty string, so Hyperscan cannot hold it.
        let set = PatternSet::new(&[(3, r"(?P<x>z*)")], Engine::Hyperscan, false).unwrap();
        assert_eq!(set.modes(), ["every-line"]);
        let r = set.scan(b"a\nzz\n").unwrap();
        let got: Vec<_> = r
            .matches
            .iter()
            .map(|m| (m.line, m.groups[0].clone()))
            .collect();
        assert_eq!(got, [(0, Some("".into())), (1, Some("zz".into()))]);
    }

    #[test]
    fn patterns_that_can_match_empty_take_every_line() {
        let set = PatternSet::new(
            &[
                (0, r"^a*$"),
                (1, r"(?:x|y?)\b"),
                (2, r"from (?P<h>\S+)"),
                (3, r"a(?=b)c?"),
            ],
            Engine::Hyperscan,
            false,
        )
        .unwrap();
        assert_eq!(set.modes()[..3], ["every-line", "every-line", "direct"]);
        assert_ne!(set.modes()[3], "every-line");
        // Vectorscan alone misses the empty match on line 2 here.
        let r = set.scan("1\n111111éééé\n\n".as_bytes()).unwrap();
        let got: Vec<_> = r.matches.iter().map(|m| (m.line, m.pattern)).collect();
        assert!(got.contains(&(2, 0)), "{got:?}");
    }

    #[test]
    fn empty_matches_at_line_ends_find_their_line() {
        // Hyperscan accepts this (it cannot match an empty buffer), yet it
        // matches empty lines with an empty match right after a newline.
        let set = PatternSet::new(&[(4, r"^(?P<x>z*)$")], Engine::Hyperscan, false).unwrap();
        let r = set.scan(b"a\n\nzz\nb\n\n").unwrap();
        let got: Vec<_> = r.matches.iter().map(|m| m.line).collect();
        assert_eq!(got, [1, 2, 4]);
    }

    #[test]
    fn end_anchors_never_hide_a_match() {
        // Vectorscan 5.4.12 misses these when its database holds the `$`
        // (see `syntax::to_superset`): `b$` next to `aa` in a buffer of 17+
        // bytes, and `b(?:$|x)` alone.
        let text = b"a\nxxxxxxxxxxxxxb\nxxxxxxxxxxxxxxxxxxxxxb";
        for patterns in [
            &[(0, "b$"), (1, "aa")][..],
            &[(0, r"b\Z"), (1, "aa")],
            &[(0, "b(?:$|x)")],
        ] {
            let set = PatternSet::new(patterns, Engine::Hyperscan, false).unwrap();
            let lines: Vec<_> = set
                .scan(text)
                .unwrap()
                .matches
                .iter()
                .map(|m| m.line)
                .collect();
            assert_eq!(lines, [1, 2], "{patterns:?}");
        }
    }

    #[test]
    fn record_with_newlines_matches_as_a_whole() {
        let set = PatternSet::new(&[(1, r"(?m)^b$")], Engine::Hyperscan, false).unwrap();
        assert_eq!(set.match_record("a\nb\nc").unwrap().matches.len(), 1);
    }

    #[test]
    fn bad_pattern_is_an_error_naming_it() {
        let err = PatternSet::new(&[(1, "ok"), (2, "bro(ken")], Engine::Hyperscan, false)
            .err()
            .unwrap();
        assert!(err.to_string().contains("bro(ken"), "{err}");
        assert!(err.to_string().contains("position 3"), "{err}");
    }
}
