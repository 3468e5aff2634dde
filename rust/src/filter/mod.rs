//! The exact stage of a single-line fail2ban filter, one call per chunk.
//!
//! A [`FilterProgram`] borrows the pattern sets a filter compiled (the
//! candidate scan set, the "pre" exact set — prefregex plus ignoreregexes —
//! and the "fail" exact set — failregexes plus ignoreregexes) and runs, for
//! one chunk of log lines:
//!
//! 1. the one-pass candidate scan;
//! 2. for each candidate line, fail2ban's order of operations
//!    (`Filter.processLine` / `findFailure` for `maxlines == 1`): find and
//!    cut the date (with the carry-over of the last date while it is less
//!    than 60 s older than `now`), the ignoreregexes first when the filter
//!    checks them first, the prefregex and its `F-CONTENT`, then every
//!    failregex at once.
//!
//! The date step of a whole chunk can also be made ahead, on another
//! thread ([`FilterProgram::dates_ahead`], see [`date_cut`]), and the rest
//! of the stage run on those dates ([`FilterProgram::run_ahead_into`]); so
//! can the regexes of the chunk's first lines, with the dates
//! ([`FilterProgram::evaluate_ahead`], see the `evaluate` module).
//!
//! Only lines whose outcome matters come back as [`LineRecord`]s: a
//! failregex or ignoreregex matched, the date could not be converted, or the
//! date text is not a date (fail2ban logs those). A record carries the
//! evaluated exact sets ([`SetMatches`]) so that the caller can finish the
//! line (failure ids, `F-MLFID` sessions, `F-NOFAIL`, DNS) without running a
//! regex again. Lines that only matched the prefregex are counted, the
//! others are dropped.
//!
//! The exact sets are evaluated in the very order and on the very texts the
//! per-line path uses, so match-limit hits are counted identically.

use crate::date::DateDetector;
use crate::matcher::{LineMatch, LineReport, MatcherError, PatternSet};

pub mod date_cut;
mod evaluate;
mod evaluated;
pub mod fields;
pub mod finish;
pub mod sessions;
mod stage_lines;
pub mod tally;

pub use date_cut::{cut_date, DateCarry, DateCut, DateParts, LineDate};
use evaluate::{EvalBuffers, LineTime};
pub use evaluated::{EvaluatedLines, LineEval, MatchView, SetView};
pub use finish::{
    quiet_session_end, FailureId, FinishSettings, Finisher, FinishingSink, FoundFailure,
    GroupFolds, LineOutcome, QuietSummary, SetNames,
};
pub use stage_lines::StageLines;

/// Id of the prefregex in the "pre" set.
pub const PREF_ID: u32 = 0;

/// Scan-set ids from here on are ignoreregexes (`IGNORE_BASE + j`); below it,
/// id `i` is the candidate pattern of failregex `i`.
pub const IGNORE_BASE: u32 = 1 << 20;

/// The shape of a filter: how its exact sets are numbered and checked.
///
/// Ids: the prefregex is [`PREF_ID`] in the "pre" set; failregex `i` is
/// `1 + i` in the "fail" set; ignoreregex `j` is `1 + fail_count + j` in
/// both sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FilterShape {
    pub fail_count: usize,
    pub ignore_count: usize,
    /// The filter has a prefregex (id [`PREF_ID`] of the "pre" set).
    pub has_prefregex: bool,
    /// Position of the `content` group in the prefregex's groups.
    pub content_group: Option<usize>,
    /// fail2ban checks the ignoreregexes before the prefregex.
    pub ignore_first: bool,
    /// Comment (`#`) and empty lines are neither processed nor counted.
    pub skip_comments: bool,
}

impl FilterShape {
    fn is_fail(&self, id: u32) -> bool {
        (1..=self.fail_count).contains(&(id as usize))
    }

    fn is_ignore(&self, id: u32) -> bool {
        let first = 1 + self.fail_count;
        (first..first + self.ignore_count).contains(&(id as usize))
    }
}

/// A filter's compiled sets, borrowed for the run of a chunk.
pub struct FilterProgram<'s> {
    pub shape: FilterShape,
    /// Candidate patterns: any match makes the line a candidate.
    pub scan: &'s PatternSet,
    /// Prefregex + ignoreregexes; `None` when the filter has neither.
    pub pre: Option<&'s PatternSet>,
    /// Failregexes + ignoreregexes.
    pub fail: &'s PatternSet,
    /// By failregex: every match of it is a quiet session end (see
    /// [`finish::quiet_session_end`]); a line whose only candidates are
    /// such failregexes may be skipped before they run. Empty: none is.
    pub session_ends: &'s [bool],
}

/// The patterns of one exact set that matched one text, each once (the
/// first match of an id), in set order.
pub type SetMatches = Vec<LineMatch>;

/// One line the caller must finish.
#[derive(Clone, Debug, PartialEq)]
pub struct LineRecord {
    /// 0-based line number within the chunk.
    pub line: usize,
    /// The line's text (no line end).
    pub text: String,
    /// Where its date was cut: `parts.of(&text)` is `(before, date text,
    /// after)`, the date text the carried one when the line's own was
    /// taken over.
    pub parts: DateParts,
    /// The line's time (`None`: no usable date).
    pub when: Option<f64>,
    /// The line had no date of its own (a failure then gets a warning).
    pub no_date: bool,
    /// The last date carried after this line.
    pub last_date: Option<f64>,
    /// The "pre" set on `before + after + "\n"`, when it was evaluated.
    pub pre: Option<SetMatches>,
    /// The "fail" set on the failregex text, when it was evaluated.
    pub fail: Option<SetMatches>,
    /// The line's date could not be converted: fail2ban skips the line.
    pub error: Option<String>,
    /// A date-like text was cut that is not a valid date.
    pub invalid_date: bool,
}

impl LineRecord {
    /// `(before, date text, after)`: the line with its date cut out.
    pub fn pieces(&self) -> (&str, &str, &str) {
        self.parts.of(&self.text)
    }
}

/// Where the exact stage hands its records: one line at a time, in line
/// order, so that a finishing stage can keep pace with it (see
/// [`finish::FinishingSink`]) and tell it which lines need no record.
pub trait RecordSink {
    /// A line whose outcome matters.
    fn push(&mut self, record: LineRecord);

    /// Asked, before a record is built, for a line on which a failregex
    /// matched (its date valid, no ignoreregex first), or before the
    /// failregexes run on a line whose only candidates are quiet session
    /// ends (see [`FilterProgram::session_ends`]): `true` when the line's
    /// outcome is already known to be of no use to this sink, so that no
    /// record is built. The sink answers from the state the lines before
    /// this one left (the calls come in line order).
    fn can_skip(&mut self, _line: &SkipCheck<'_>) -> bool {
        false
    }

    /// Told before the first line: at most `lines` lines will be pushed (a
    /// sink that keeps what it makes can make room once).
    fn expect_lines(&mut self, _lines: usize) {}
}

/// Keeps every record (the plain two-pass use: run, then finish).
impl RecordSink for Vec<LineRecord> {
    fn push(&mut self, record: LineRecord) {
        Vec::push(self, record);
    }
}

/// What [`RecordSink::can_skip`] sees of a line: its evaluated sets, read
/// in place (most lines asked about are skipped: their groups are never
/// copied).
pub struct SkipCheck<'a> {
    /// 0-based line number within the chunk.
    pub line: usize,
    pub when: Option<f64>,
    pub no_date: bool,
    /// The prefregex's match, when the "pre" set was evaluated and it
    /// matched (asked several times a line: found once).
    pub pref: Option<MatchView<'a>>,
    /// The "fail" set when evaluated (a failregex matched); `None`: not
    /// evaluated, every candidate failregex is a quiet session end.
    pub fail: Option<SetView<'a>>,
}

/// What a chunk gave.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChunkReport {
    /// Lines in the chunk.
    pub lines: usize,
    /// The candidate scan hit the match limit, so it could not tell which
    /// lines are candidates: every line of the chunk was processed (as the
    /// per-line path does), and only the exact checks' limit hits count.
    pub scan_limit_hit: bool,
    /// Candidate lines processed (comment lines left out).
    pub processed: usize,
    /// Processed lines on which only the prefregex matched (no record).
    pub prefregex_only: usize,
    /// Exact checks abandoned at the match limit (counted as not matching).
    pub limit_hits: usize,
    /// The records, when the run kept them (`run_chunk`, `run_candidates`);
    /// empty when they went to a [`RecordSink`].
    pub records: Vec<LineRecord>,
}

impl FilterProgram<'_> {
    /// Runs the chunk `data` (`\n`-terminated lines, as
    /// [`PatternSet::scan`] takes them) at time `now`, updating `detector`
    /// and `carry` as the lines are processed.
    pub fn run_chunk(
        &self,
        data: &[u8],
        now: f64,
        detector: &mut DateDetector,
        carry: &mut DateCarry,
    ) -> Result<ChunkReport, MatcherError> {
        let mut records = Vec::new();
        let mut report = self.run_chunk_into(data, now, detector, carry, &mut records)?;
        report.records = records;
        Ok(report)
    }

    /// [`FilterProgram::run_chunk`] with the records handed to `sink`.
    pub fn run_chunk_into<S: RecordSink>(
        &self,
        data: &[u8],
        now: f64,
        detector: &mut DateDetector,
        carry: &mut DateCarry,
        sink: &mut S,
    ) -> Result<ChunkReport, MatcherError> {
        // (unconfirmed: the exact sets below check every candidate line)
        let scan = self.scan.candidate_lines(data)?;
        let lines = self.lines(data, &scan);
        let dates = Dates::Inline {
            now,
            detector,
            carry,
        };
        let mut report = self.run_lines(&lines, dates, EvaluatedLines::default(), sink)?;
        report.scan_limit_hit = lines.scan_limit_hit;
        Ok(report)
    }

    /// The lines the stage processes for the scan `scan` of `data`: its
    /// candidates, or every line when the scan hit the match limit and so
    /// could not tell which lines are candidates. (Staying in this stage
    /// then, rather than handing the chunk to the per-line Python path,
    /// keeps the F-MLFID sessions in one place.)
    pub fn lines(&self, data: &[u8], scan: &LineReport) -> StageLines {
        let limit_hit = scan.limit_hits > 0;
        if limit_hit {
            let every = every_line(data, self.shape.fail_count);
            StageLines::new(data, &every, &self.shape, limit_hit)
        } else {
            StageLines::new(data, scan, &self.shape, limit_hit)
        }
    }

    /// The date step ([`cut_date`]) of every line of `lines` (see
    /// [`Self::lines`]), found ahead of the run (see [`date_cut`]): the
    /// same cuts, detector and carry as the run would make. Pass them to
    /// [`Self::run_ahead_into`] with the same lines.
    pub fn dates_ahead(
        &self,
        lines: &StageLines,
        now: f64,
        detector: &mut DateDetector,
        carry: &mut DateCarry,
    ) -> Vec<DateCut> {
        lines
            .iter()
            .map(|(line, text, _)| DateCut::find(line, text, now, detector, carry))
            .collect()
    }

    /// The exact stage on the candidates `scan` of `data` (from this
    /// program's scan set, or from a scan set shared by several filters
    /// with the ids mapped back to this one's).
    ///
    /// A failregex whose candidate pattern did not match a line cannot
    /// match it (that is what makes the scan sound), so only the
    /// failregexes whose candidate pattern matched are tried, with every
    /// ignoreregex.
    pub fn run_candidates(
        &self,
        data: &[u8],
        scan: &LineReport,
        now: f64,
        detector: &mut DateDetector,
        carry: &mut DateCarry,
    ) -> Result<ChunkReport, MatcherError> {
        // at most one record per candidate line, sized once (growing a big
        // vector makes glibc's malloc consolidate its fast bins)
        let mut records = Vec::with_capacity(candidate_lines(scan));
        let mut report =
            self.run_candidates_into(data, scan, now, detector, carry, &mut records)?;
        report.records = records;
        Ok(report)
    }

    /// [`FilterProgram::run_candidates`] with the records handed to `sink`.
    pub fn run_candidates_into<S: RecordSink>(
        &self,
        data: &[u8],
        scan: &LineReport,
        now: f64,
        detector: &mut DateDetector,
        carry: &mut DateCarry,
        sink: &mut S,
    ) -> Result<ChunkReport, MatcherError> {
        let dates = Dates::Inline {
            now,
            detector,
            carry,
        };
        let lines = StageLines::new(data, scan, &self.shape, false);
        self.run_lines(&lines, dates, EvaluatedLines::default(), sink)
    }

    /// The stage on `lines` (see [`Self::lines`]) with each line's date
    /// step taken from `dates`, the [`Self::dates_ahead`] of these lines:
    /// the run then needs neither the detector nor the carry. The lines in
    /// `evaluated` (the [`Self::evaluate_ahead`] of the same lines and
    /// dates, or none) take their exact sets from there; only for a sink
    /// that never skips a line before its failregexes (see the `evaluate`
    /// module).
    pub fn run_ahead_into<S: RecordSink>(
        &self,
        lines: &StageLines,
        dates: &[DateCut],
        evaluated: EvaluatedLines,
        sink: &mut S,
    ) -> Result<ChunkReport, MatcherError> {
        let dates = Dates::Ahead(dates.iter());
        let mut report = self.run_lines(lines, dates, evaluated, sink)?;
        report.scan_limit_hit = lines.scan_limit_hit;
        Ok(report)
    }

    fn run_lines<S: RecordSink>(
        &self,
        lines: &StageLines,
        dates: Dates<'_>,
        ahead: EvaluatedLines,
        sink: &mut S,
    ) -> Result<ChunkReport, MatcherError> {
        let mut report = ChunkReport {
            lines: lines.chunk_lines,
            ..ChunkReport::default()
        };
        let mut state = RunState {
            dates,
            ahead,
            next_ahead: 0,
            own: EvaluatedLines::default(),
            bufs: EvalBuffers::new(self),
        };
        sink.expect_lines(lines.len());
        for (line, text, hits) in lines.iter() {
            report.processed += 1;
            self.process_line(line, text, hits, &mut state, &mut report, sink)?;
        }
        Ok(report)
    }

    fn process_line<S: RecordSink>(
        &self,
        line: usize,
        text: &str,
        hits: &[(usize, usize, u32)],
        state: &mut RunState<'_>,
        report: &mut ChunkReport,
        sink: &mut S,
    ) -> Result<(), MatcherError> {
        let found;
        let cut = match &mut state.dates {
            Dates::Inline {
                now,
                detector,
                carry,
            } => {
                found = DateCut::find(line, text, *now, detector, carry);
                &found
            }
            Dates::Ahead(cuts) => next_cut(cuts, line)?,
        };
        let last_date = cut.last_date;
        let (parts, when, no_date, invalid_date) = match &cut.date {
            LineDate::Abort(message) => {
                sink.push(LineRecord {
                    line,
                    text: text.to_owned(),
                    // (an aborted line's parts are never read)
                    parts: DateParts::Whole,
                    when: None,
                    no_date: false,
                    last_date,
                    pre: None,
                    fail: None,
                    error: Some(message.clone()),
                    invalid_date: false,
                });
                return Ok(());
            }
            LineDate::Cut {
                parts,
                when,
                no_date,
                invalid_date,
            } => (parts, *when, *no_date, *invalid_date),
        };
        let (before, _, after) = parts.of(text);
        let RunState {
            ahead,
            next_ahead,
            own,
            bufs,
            ..
        } = state;
        // The line's sets: evaluated ahead, or here (then its text without
        // the date is in `bufs.full` already).
        let (evals, eval, full_made) = match ahead.get(*next_ahead).filter(|e| e.line == line) {
            Some(eval) => {
                *next_ahead += 1;
                (&*ahead, eval, false)
            }
            None => {
                let time = LineTime {
                    when,
                    no_date,
                    invalid_date,
                };
                bufs.set_among(hits, &self.shape);
                let mut skip_before = |check: &SkipCheck<'_>| sink.can_skip(check);
                own.clear();
                self.evaluate_line(
                    line,
                    (before, after),
                    time,
                    bufs,
                    Some(&mut skip_before),
                    own,
                )?;
                let Some(eval) = own.get(0) else {
                    return Err(MatcherError::Unsupported(format!(
                        "line {line} was not evaluated"
                    )));
                };
                (&*own, eval, true)
            }
        };
        report.limit_hits += eval.limit_hits;
        if eval.skipped {
            return Ok(());
        }
        let shape = &self.shape;
        let ignored_first =
            shape.ignore_first && evals.ids(&eval.pre).any(|id| shape.is_ignore(id));
        let failed = evals.ids(&eval.fail).any(|id| shape.is_fail(id));
        if !(invalid_date || ignored_first || failed) {
            if eval.prefregex_matched {
                report.prefregex_only += 1;
            }
            return Ok(());
        }
        // (the groups' texts are copied here, on this thread, and only for
        // the lines handed on: see the `evaluated` module)
        if !full_made {
            bufs.set_full(before, after);
        }
        let EvalBuffers { full, content, .. } = bufs;
        let pre = evals.pre_view(eval, full, PREF_ID, shape.content_group);
        let fail = evals.fail_view(eval, full, content);
        if failed && !invalid_date {
            let check = SkipCheck {
                line,
                when,
                no_date,
                pref: pre.and_then(|set| set.find(PREF_ID)),
                fail,
            };
            if sink.can_skip(&check) {
                return Ok(());
            }
        }
        let (pre, fail) = (pre.map(|v| v.to_matches()), fail.map(|v| v.to_matches()));
        sink.push(LineRecord {
            line,
            text: text.to_owned(),
            parts: parts.clone(),
            when,
            no_date,
            last_date,
            pre,
            fail,
            error: None,
            invalid_date,
        });
        Ok(())
    }
}

/// Where a run takes each line's date step from.
enum Dates<'d> {
    /// Made line by line, advancing the detector and the carry.
    Inline {
        now: f64,
        detector: &'d mut DateDetector,
        carry: &'d mut DateCarry,
    },
    /// Made ahead ([`FilterProgram::dates_ahead`]), one per processed line.
    Ahead(std::slice::Iter<'d, DateCut>),
}

/// The next of the date steps found ahead, which must be line `line`'s:
/// cuts of another chunk (or another scan of it) are an error.
fn next_cut<'d>(
    cuts: &mut std::slice::Iter<'d, DateCut>,
    line: usize,
) -> Result<&'d DateCut, MatcherError> {
    match cuts.next() {
        Some(cut) if cut.line == line => Ok(cut),
        _ => Err(MatcherError::Unsupported(format!(
            "the dates found ahead are not those of this chunk (line {line})"
        ))),
    }
}

/// What the lines of a chunk share.
struct RunState<'d> {
    dates: Dates<'d>,
    /// Lines whose exact sets were evaluated ahead, in line order, and the
    /// next of them to take.
    ahead: EvaluatedLines,
    next_ahead: usize,
    /// The sets of the line evaluated here, when it was not ahead.
    own: EvaluatedLines,
    bufs: EvalBuffers,
}

/// How many lines of a scan have a match (its matches come in line order).
fn candidate_lines(scan: &LineReport) -> usize {
    let mut count = 0;
    let mut previous = None;
    for m in &scan.matches {
        if previous != Some(m.0) {
            count += 1;
            previous = Some(m.0);
        }
    }
    count
}

/// Comment (`#…`) and empty lines of a chunk (a line of `\r`s counts as
/// empty): fail2ban neither processes nor counts them. A final `\n` ends
/// the last line rather than starting an empty one.
pub fn count_skipped(data: &[u8]) -> usize {
    let body = data.strip_suffix(b"\n").unwrap_or(data);
    // A line starts at 0 and after each `\n`. Nearly every line starts with
    // text, so the lines after a `\n` are found by searching for the pairs
    // that start a skipped line: `\n#` and `\n\n` start one outright, `\n\r`
    // one that is skipped when it is all `\r`s. The pairs are rare in logs,
    // and `memmem` finds a two-byte needle with vector compares of both bytes
    // at once (runtime-chosen AVX2): its three passes take 0.85 instructions
    // a byte, and 18 µs per cache-hot 512 KiB chunk, where a byte-pair fold
    // in `u8` lanes (on the baseline target's SSE2) took 1.6 and 27 µs.
    let all_returns = |line: &[u8]| {
        let end = memchr::memchr(b'\n', line).unwrap_or(line.len());
        line[..end].iter().all(|&b| b == b'\r')
    };
    let first = usize::from(body.first() == Some(&b'#') || all_returns(body));
    // (`find_iter` does not report overlapping matches; of the three
    // pairs only `\n\n` can overlap itself, so its search steps by one)
    let empty = memchr::memmem::Finder::new(b"\n\n");
    let mut empties = 0;
    let mut from = 0;
    while let Some(at) = empty.find(&body[from..]) {
        empties += 1;
        from += at + 1;
    }
    let outright = memchr::memmem::find_iter(body, b"\n#").count() + empties;
    let returns = memchr::memmem::find_iter(body, b"\n\r")
        .filter(|&at| all_returns(&body[at + 1..]))
        .count();
    // (a `\n` at the very end starts an empty last line: no pair holds it)
    let empty_last = usize::from(body.ends_with(b"\n"));
    first + outright + returns + empty_last
}

/// A scan result that makes every line of `data` a candidate for every
/// failregex (ids `0..fail_count`).
fn every_line(data: &[u8], fail_count: usize) -> LineReport {
    let mut report = LineReport::default();
    let mut start = 0;
    while start < data.len() {
        let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i + 1);
        for id in 0..fail_count {
            report.matches.push((report.lines, start, id as u32));
        }
        report.lines += 1;
        start = end;
    }
    report
}

/// Bits of a shared scan id that hold the filter's own id (the filter's
/// position is above them).
pub const MULTI_SHIFT: u32 = 21;

/// `(filter position, own id)` of a shared scan id.
pub fn split_id(id: u32) -> (usize, u32) {
    ((id >> MULTI_SHIFT) as usize, id & ((1 << MULTI_SHIFT) - 1))
}

/// The matches of a scan shared by `filters` filters (ids
/// `k << MULTI_SHIFT | own id`), per filter, with the filters' own ids.
pub fn split_scan(scan: &LineReport, filters: usize) -> Vec<LineReport> {
    let mut out: Vec<LineReport> = (0..filters)
        .map(|_| LineReport {
            lines: scan.lines,
            ..LineReport::default()
        })
        .collect();
    for &(line, offset, id) in &scan.matches {
        let (k, local) = split_id(id);
        if let Some(share) = out.get_mut(k) {
            share.matches.push((line, offset, local));
        }
    }
    // Within a line, a filter's matches must come in its own pattern order.
    for share in &mut out {
        share.matches.sort_unstable();
    }
    out
}

#[cfg(test)]
mod tests;
