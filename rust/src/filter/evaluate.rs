//! The regexes of one line's exact stage: the step between its date and
//! its record.
//!
//! Which of a line's exact sets run, and on which texts, depends only on
//! the line with its date cut out and on the candidates the scan found for
//! it: the ignoreregexes first when the filter checks them first, the
//! prefregex and its `F-CONTENT`, then the failregexes worth trying. Never
//! on the sessions or on the lines before. So the step can also run ahead,
//! on another thread than the run that finishes the lines
//! ([`FilterProgram::evaluate_ahead`]): the regex tool's main thread
//! evaluates a chunk's lines from the first until its worker, which
//! finishes them, takes the chunk. What the step leaves is kept as spans
//! ([`EvaluatedLines`]; the module `evaluated` tells why).
//!
//! One exception: a sink may skip a line before its failregexes run (an
//! idle session end, see [`RecordSink::can_skip`]), which depends on the
//! sessions the lines before left. A line evaluated ahead has run its
//! failregexes; evaluating ahead is therefore only for runs whose sink never
//! skips there (fail2ban's `check_all`, as `regex` runs by default). The
//! binding checks that.

use std::ops::Range;

use super::date_cut::{DateCut, LineDate};
use super::evaluated::{EvaluatedLines, LineEval};
use super::stage_lines::Hit;
use super::{next_cut, FilterProgram, FilterShape, SkipCheck, StageLines, IGNORE_BASE, PREF_ID};
use crate::matcher::{MatcherError, PatternSet, RecordScratch};

/// What a line's date step tells its evaluation.
#[derive(Clone, Copy, Debug)]
pub(super) struct LineTime {
    pub when: Option<f64>,
    pub no_date: bool,
    pub invalid_date: bool,
}

/// Buffers kept for the lines of a chunk.
pub(super) struct EvalBuffers {
    pre: Option<RecordScratch>,
    fail: RecordScratch,
    /// Positions in the "fail" set worth trying on the current line.
    among: Vec<usize>,
    /// The current line without its date, then `\n`.
    pub(super) full: String,
    /// The prefregex's `F-CONTENT` of the current line, then `\n`.
    pub(super) content: String,
}

impl EvalBuffers {
    pub(super) fn new(program: &FilterProgram<'_>) -> Self {
        EvalBuffers {
            pre: program.pre.map(PatternSet::scratch),
            fail: program.fail.scratch(),
            among: Vec::new(),
            full: String::new(),
            content: String::new(),
        }
    }

    /// Sets the failregexes to try on a line from its scan hits: those
    /// whose candidate matched, then every ignoreregex (positions in the
    /// "fail" set).
    pub(super) fn set_among(&mut self, hits: &[Hit], shape: &FilterShape) {
        let among = &mut self.among;
        among.clear();
        among.extend(
            hits.iter()
                .filter(|m| m.2 < IGNORE_BASE && (m.2 as usize) < shape.fail_count)
                .map(|m| m.2 as usize),
        );
        among.sort_unstable();
        among.dedup();
        among.extend(shape.fail_count..shape.fail_count + shape.ignore_count);
    }

    /// Sets [`Self::full`] to a line without its date, then `\n`.
    pub(super) fn set_full(&mut self, before: &str, after: &str) {
        self.full.clear();
        self.full.push_str(before);
        self.full.push_str(after);
        self.full.push('\n');
    }
}

impl FilterProgram<'_> {
    /// The exact sets of line `line`, its date cut out (`before`, `after`),
    /// with the failregexes at the positions [`EvalBuffers::set_among`]
    /// set, added to `out` as its last line. `skip_before`, when given, is
    /// asked before the failregexes run on a line whose only candidates
    /// are quiet session ends (see [`FilterProgram::session_ends`]); `true`
    /// skips the line.
    pub(super) fn evaluate_line(
        &self,
        line: usize,
        (before, after): (&str, &str),
        time: LineTime,
        bufs: &mut EvalBuffers,
        skip_before: Option<&mut dyn FnMut(&SkipCheck<'_>) -> bool>,
        out: &mut EvaluatedLines,
    ) -> Result<(), MatcherError> {
        let shape = &self.shape;
        let mut eval = LineEval::new(line);
        // The line without its date, in a buffer kept for the whole chunk
        // (as is the prefregex's content below): the sets keep spans of it.
        bufs.set_full(before, after);

        let mut ignored_first = false;
        if shape.ignore_first {
            let pre = evaluate_set(
                self.pre,
                None,
                bufs.pre.as_mut(),
                &bufs.full,
                &mut eval,
                out,
            )?;
            eval.pre = Some(pre);
            ignored_first = out.ids(&eval.pre).any(|id| shape.is_ignore(id));
        }
        // The failregexes' text: none, the line (`Some(false)`) or the
        // prefregex's content (`Some(true)`, in `bufs.content`).
        let mut fail_text = None;
        if !ignored_first {
            fail_text = Some(false);
            if shape.has_prefregex {
                let pre = match eval.pre.clone() {
                    Some(pre) => pre,
                    None => evaluate_set(
                        self.pre,
                        None,
                        bufs.pre.as_mut(),
                        &bufs.full,
                        &mut eval,
                        out,
                    )?,
                };
                eval.pre = Some(pre.clone());
                if !out.ids(&eval.pre).any(|id| id == PREF_ID) {
                    fail_text = None;
                } else {
                    eval.prefregex_matched = true;
                    let content = shape
                        .content_group
                        .and_then(|group| out.span_in(&pre, PREF_ID, group))
                        .filter(|(start, end)| start < end);
                    if let Some((start, end)) = content {
                        bufs.content.clear();
                        bufs.content.push_str(&bufs.full[start..end]);
                        bufs.content.push('\n');
                        eval.set_content((start, end))?;
                        fail_text = Some(true);
                    }
                }
            }
        }
        let Some(use_content) = fail_text else {
            out.push_line(eval);
            return Ok(());
        };
        let only_session_ends = shape.ignore_count == 0
            && !time.invalid_date
            && !bufs.among.is_empty()
            && bufs
                .among
                .iter()
                .all(|&i| self.session_ends.get(i) == Some(&true));
        if let (true, Some(skip_before)) = (only_session_ends, skip_before) {
            let check = SkipCheck {
                line,
                when: time.when,
                no_date: time.no_date,
                pref: out
                    .pre_view(&eval, &bufs.full, PREF_ID, shape.content_group)
                    .and_then(|set| set.find(PREF_ID)),
                fail: None,
            };
            if skip_before(&check) {
                eval.skipped = true;
                out.push_line(eval);
                return Ok(());
            }
        }
        let subject = if use_content {
            &bufs.content
        } else {
            &bufs.full
        };
        let fail = evaluate_set(
            Some(self.fail),
            Some(&bufs.among),
            Some(&mut bufs.fail),
            subject,
            &mut eval,
            out,
        )?;
        eval.fail = Some(fail);
        out.push_line(eval);
        Ok(())
    }

    /// The exact sets of the first `count` of `lines` (lines whose date
    /// step fails are passed over), on the date steps `cuts` found ahead
    /// for them ([`FilterProgram::dates_ahead`]); the run on the same lines
    /// and cuts takes them ([`FilterProgram::run_ahead_into`]). No line is
    /// skipped before its failregexes: see the module docs.
    pub fn evaluate_ahead(
        &self,
        lines: &StageLines,
        cuts: &[DateCut],
        count: usize,
    ) -> Result<EvaluatedLines, MatcherError> {
        let mut evals = EvaluatedLines::default();
        if count > 0 {
            self.evaluate_lines_ahead(lines, cuts, 0, &mut evals, |evals| evals.len() < count)?;
        }
        Ok(evals)
    }

    /// [`Self::evaluate_ahead`] line after line, each line's sets added to
    /// `out` and `keep` asked after each, until it answers `false` or the
    /// lines run out: a caller can stop when another thread wants the
    /// chunk, and may move the lines out of `out` as they come. The first
    /// `skip` lines that would be evaluated are passed over (a caller
    /// evaluated them before).
    pub fn evaluate_lines_ahead(
        &self,
        lines: &StageLines,
        cuts: &[DateCut],
        mut skip: usize,
        out: &mut EvaluatedLines,
        mut keep: impl FnMut(&mut EvaluatedLines) -> bool,
    ) -> Result<(), MatcherError> {
        let mut bufs = EvalBuffers::new(self);
        let mut cuts = cuts.iter();
        for (line, text, hits) in lines.iter() {
            let cut = next_cut(&mut cuts, line)?;
            let LineDate::Cut {
                parts,
                when,
                no_date,
                invalid_date,
            } = &cut.date
            else {
                continue; // (the run reports the line's error)
            };
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let (before, _, after) = parts.of(text);
            let time = LineTime {
                when: *when,
                no_date: *no_date,
                invalid_date: *invalid_date,
            };
            bufs.set_among(hits, &self.shape);
            self.evaluate_line(line, (before, after), time, &mut bufs, None, out)?;
            if !keep(out) {
                break;
            }
        }
        Ok(())
    }
}

/// One exact set (when the filter has it) on one text, on the positions
/// `among` (`None`: all): its matches added to `out` for the line `eval`
/// (each id once, the first match kept), its match-limit hits to the
/// line's; returns the range of its matches.
fn evaluate_set(
    set: Option<&PatternSet>,
    among: Option<&[usize]>,
    scratch: Option<&mut RecordScratch>,
    text: &str,
    eval: &mut LineEval,
    out: &mut EvaluatedLines,
) -> Result<Range<u32>, MatcherError> {
    let start = out.set_start();
    if let (Some(set), Some(scratch)) = (set, scratch) {
        let mut pushed = Ok(());
        eval.limit_hits +=
            set.match_record_spans_among(text, among, scratch, |id, index, spans| {
                if pushed.is_ok() {
                    pushed = out.push_match(start, id, index, spans);
                }
            })?;
        pushed?;
    }
    Ok(out.end_set(start))
}
