//! The regexes of one line's exact stage: the step between its date and
//! its record.
//!
//! Which of a line's exact sets run, and on which texts, depends only on
//! the line with its date cut out and on the candidates the scan found for
//! it: the ignoreregexes first when the filter checks them first, the
//! prefregex and its `F-CONTENT`, then the failregexes worth trying. Never
//! on the sessions or on the lines before. So the step can also run ahead,
//! on another thread than the run that finishes the lines
//! ([`FilterProgram::evaluate_ahead`]): the regex tool's main thread takes
//! a share of a chunk's lines when its worker, which finishes them, is the
//! busier of the two.
//!
//! One exception: a sink may skip a line before its failregexes run (an
//! idle session end, see [`RecordSink::can_skip`]), which depends on the
//! sessions the lines before left. A line evaluated ahead has run its
//! failregexes; evaluating ahead is therefore only for runs whose sink never
//! skips there (fail2ban's `check_all`, as `regex` runs by default). The
//! binding checks that.

use super::date_cut::{DateCut, LineDate};
use super::stage_lines::Hit;
use super::{
    next_cut, FilterProgram, FilterShape, SetMatches, SkipCheck, StageLines, IGNORE_BASE, PREF_ID,
};
use crate::matcher::{MatcherError, PatternSet, RecordScratch};

/// What the exact sets gave on one line.
#[derive(Clone, Debug, PartialEq)]
pub struct LineEval {
    /// 0-based line number within the chunk.
    pub line: usize,
    /// The "pre" set on `before + after + "\n"`, when it was evaluated.
    pub pre: Option<SetMatches>,
    /// The "fail" set on the failregex text, when it was evaluated.
    pub fail: Option<SetMatches>,
    pub prefregex_matched: bool,
    /// Checks abandoned at the match limit on this line.
    pub limit_hits: usize,
    /// The sink skipped the line before its failregexes ran.
    pub skipped: bool,
}

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
    full: String,
    /// The prefregex's `F-CONTENT` of the current line, then `\n`.
    content: String,
}

impl EvalBuffers {
    pub(super) fn new(program: &FilterProgram<'_>) -> Self {
        let mut pre = program.pre.map(PatternSet::scratch);
        // The prefregex's content is read from the line's buffer, where it
        // already is (see `evaluate_line`): its copy in the groups was an
        // allocation per line, freed unread (`finish` drops `content`).
        if let (Some(scratch), Some(set), Some(group)) =
            (pre.as_mut(), program.pre, program.shape.content_group)
        {
            if let Some(at) = set.ids().iter().position(|&id| id == PREF_ID) {
                scratch.leave_out(at, group);
            }
        }
        EvalBuffers {
            pre,
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
}

impl FilterProgram<'_> {
    /// The exact sets of line `line`, its date cut out (`before`, `after`),
    /// with the failregexes at the positions [`EvalBuffers::set_among`]
    /// set. `skip_before` is asked before the failregexes run on a line
    /// whose only candidates are quiet session ends (see
    /// [`FilterProgram::session_ends`]); `true` skips the line.
    pub(super) fn evaluate_line(
        &self,
        line: usize,
        before: &str,
        after: &str,
        time: LineTime,
        bufs: &mut EvalBuffers,
        skip_before: &mut dyn FnMut(&SkipCheck<'_>) -> bool,
    ) -> Result<LineEval, MatcherError> {
        let shape = &self.shape;
        let mut eval = LineEval {
            line,
            pre: None,
            fail: None,
            prefregex_matched: false,
            limit_hits: 0,
            skipped: false,
        };
        // The line without its date, in a buffer kept for the whole chunk
        // (as is the prefregex's content below): only the lines reported
        // get their texts copied.
        bufs.full.clear();
        bufs.full.push_str(before);
        bufs.full.push_str(after);
        bufs.full.push('\n');

        let mut ignored_first = false;
        if shape.ignore_first {
            let found = evaluate_set(
                self.pre,
                None,
                bufs.pre.as_mut(),
                &bufs.full,
                &mut eval.limit_hits,
            )?;
            ignored_first = found.iter().any(|m| shape.is_ignore(m.pattern));
            eval.pre = Some(found);
        }
        // The failregexes' text: none, the line (`Some(false)`) or the
        // prefregex's content (`Some(true)`, in `bufs.content`).
        let mut fail_text = None;
        if !ignored_first {
            fail_text = Some(false);
            if shape.has_prefregex {
                if eval.pre.is_none() {
                    eval.pre = Some(evaluate_set(
                        self.pre,
                        None,
                        bufs.pre.as_mut(),
                        &bufs.full,
                        &mut eval.limit_hits,
                    )?);
                }
                let found = eval.pre.as_deref().unwrap_or_default();
                match found.iter().find(|m| m.pattern == PREF_ID) {
                    None => fail_text = None,
                    Some(_) => {
                        eval.prefregex_matched = true;
                        // (left out of the match's groups: see `EvalBuffers::new`)
                        let content = bufs
                            .pre
                            .as_ref()
                            .and_then(|scratch| scratch.left_out_span())
                            .filter(|(start, end)| start < end);
                        if let Some((start, end)) = content {
                            bufs.content.clear();
                            bufs.content.push_str(&bufs.full[start..end]);
                            bufs.content.push('\n');
                            fail_text = Some(true);
                        }
                    }
                }
            }
        }
        let Some(use_content) = fail_text else {
            return Ok(eval);
        };
        let only_session_ends = shape.ignore_count == 0
            && !time.invalid_date
            && !bufs.among.is_empty()
            && bufs
                .among
                .iter()
                .all(|&i| self.session_ends.get(i) == Some(&true));
        if only_session_ends {
            let check = SkipCheck {
                line,
                when: time.when,
                no_date: time.no_date,
                pre: eval.pre.as_ref(),
                fail: None,
            };
            if skip_before(&check) {
                eval.skipped = true;
                return Ok(eval);
            }
        }
        let subject = if use_content {
            &bufs.content
        } else {
            &bufs.full
        };
        eval.fail = Some(evaluate_set(
            Some(self.fail),
            Some(&bufs.among),
            Some(&mut bufs.fail),
            subject,
            &mut eval.limit_hits,
        )?);
        Ok(eval)
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
    ) -> Result<Vec<LineEval>, MatcherError> {
        let mut evals = Vec::with_capacity(count.min(cuts.len()));
        if count > 0 {
            self.evaluate_lines_ahead(lines, cuts, 0, |eval| {
                evals.push(eval);
                evals.len() < count
            })?;
        }
        Ok(evals)
    }

    /// [`Self::evaluate_ahead`] line after line, each line's sets handed
    /// to `keep`, until `keep` answers `false` or the lines run out: a
    /// caller can stop when another thread wants the chunk. The first
    /// `skip` lines that would be evaluated are passed over (a caller
    /// evaluated them before).
    pub fn evaluate_lines_ahead(
        &self,
        lines: &StageLines,
        cuts: &[DateCut],
        mut skip: usize,
        mut keep: impl FnMut(LineEval) -> bool,
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
            let eval = self.evaluate_line(line, before, after, time, &mut bufs, &mut |_| false)?;
            if !keep(eval) {
                break;
            }
        }
        Ok(())
    }
}

/// One exact set on one text (only the patterns at the positions `among`,
/// when given): each id once, first match kept; its match-limit hits are
/// added to `limit_hits`.
fn evaluate_set(
    set: Option<&PatternSet>,
    among: Option<&[usize]>,
    scratch: Option<&mut RecordScratch>,
    text: &str,
    limit_hits: &mut usize,
) -> Result<SetMatches, MatcherError> {
    let (Some(set), Some(scratch)) = (set, scratch) else {
        return Ok(Vec::new());
    };
    let found = set.match_record_among(text, among, scratch)?;
    *limit_hits += found.limit_hits;
    // each id once, the first of its matches kept (in place)
    let mut out: SetMatches = found.matches;
    let mut kept = 0;
    for i in 0..out.len() {
        if !out[..kept].iter().any(|o| o.pattern == out[i].pattern) {
            out.swap(kept, i);
            kept += 1;
        }
    }
    out.truncate(kept);
    Ok(out)
}
