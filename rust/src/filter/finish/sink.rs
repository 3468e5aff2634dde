//! The finishing stage keeping pace with the exact stage, line by line.
//!
//! A [`FinishingSink`] finishes each [`LineRecord`] as the exact stage hands
//! it over, so its session cache is always up to date with the lines before
//! the current one. That lets it answer [`RecordSink::can_skip`] for the
//! commonest line of a busy sshd log: the end of a session nobody failed in
//! ("Accepted publickey", "Received disconnect … 11:", "Disconnected from
//! user"). Such a line forgets its session and is no failure (`F-NOFAIL` or
//! `F-MLFGAINED`); when its session is not in the cache, fail2ban's
//! `_mergeFailure` changes nothing and the line gives nothing but its own
//! processing. A caller that only takes failures (a jail), or only counts
//! such lines (`regex`'s summary), then needs no record for it, and none is
//! built or finished.

use super::super::{FilterShape, LineRecord, RecordSink, SkipCheck};
use super::group_view::GroupView;
use super::{
    server_time, FinishSettings, Finisher, GroupFolds, LineOutcome, QuietSummary, SetNames,
};
use crate::filter::fields::{keys, Key};
use crate::syntax;

/// The session keys whose values decide [`Finisher::is_idle_session_end`]:
/// a fold (`alt_…`/`tuple_…`) writing one of them rules the shortcut out.
const SESSION_KEYS: [Key; 5] = [
    keys::MLFID,
    keys::MLFFORGET,
    keys::NOFAIL,
    keys::MLFGAINED,
    keys::MLFPENDING,
];

fn folds_into_session_keys(folds: &GroupFolds) -> bool {
    folds
        .alt
        .iter()
        .chain(&folds.tuple)
        .any(|(_, target)| SESSION_KEYS.contains(target))
}

/// Whether every match of a failregex (`pattern`, with its `folds`) is a
/// quiet session end, whatever the line: it always forgets its session
/// (`F-MLFFORGET` captures text), is always no failure (`F-NOFAIL` or
/// `F-MLFGAINED` captures text), never marks a pending failure, and takes
/// its session id from the prefregex (it has no `F-MLFID` of its own). Its
/// lines can then be skipped before it runs when their session is not
/// cached (see `Finisher::is_idle_session_end`).
pub fn quiet_session_end(pattern: &syntax::Pattern, folds: &GroupFolds) -> bool {
    let always = |name| syntax::group_always_captures_text(pattern, name);
    always("mlfforget")
        && (always("nofail") || always("mlfgained"))
        && !syntax::has_group(pattern, "mlfpending")
        && !syntax::has_group(pattern, "mlfid")
        && !folds_into_session_keys(folds)
}

/// Finishes records as they come; [`FinishingSink::into_outcomes`] gives
/// what `Finisher::finish_all` (and [`QuietSummary::take`], when summarizing)
/// would have given for the same records.
pub struct FinishingSink<'a> {
    finisher: &'a mut Finisher,
    shape: &'a FilterShape,
    names: &'a SetNames,
    settings: &'a FinishSettings,
    outcomes: Vec<LineOutcome>,
    /// `(summary, keep, ignored lines kept so far)` when summarizing.
    summary: Option<(QuietSummary, usize, usize)>,
}

impl<'a> FinishingSink<'a> {
    /// `summarize`: `Some(keep)` counts the quiet lines instead of keeping
    /// their outcomes (see [`QuietSummary::take`]).
    pub fn new(
        finisher: &'a mut Finisher,
        shape: &'a FilterShape,
        names: &'a SetNames,
        settings: &'a FinishSettings,
        summarize: Option<usize>,
    ) -> Self {
        let summary = summarize.map(|keep| {
            let summary = QuietSummary::new(shape.fail_count, shape.ignore_count);
            (summary, keep, 0)
        });
        FinishingSink {
            finisher,
            shape,
            names,
            settings,
            outcomes: Vec::new(),
            summary,
        }
    }

    /// The outcomes kept, in line order, and the summary when summarizing.
    pub fn into_outcomes(self) -> (Vec<LineOutcome>, Option<QuietSummary>) {
        (self.outcomes, self.summary.map(|(summary, ..)| summary))
    }
}

impl RecordSink for FinishingSink<'_> {
    fn push(&mut self, record: LineRecord) {
        let outcome = self
            .finisher
            .finish(record, self.shape, self.names, self.settings);
        if let Some((summary, keep, kept)) = &mut self.summary {
            let counted = summary.count(&outcome, *keep, kept);
            if !counted {
                self.outcomes.push(outcome);
            }
        } else if self.settings.report_quiet_lines || !outcome.is_quiet() {
            self.outcomes.push(outcome);
        }
    }

    fn expect_lines(&mut self, lines: usize) {
        // (growing the outcomes of a chunk as they came cost a copy of
        // them all at each doubling)
        self.outcomes.reserve(lines);
    }

    fn can_skip(&mut self, line: &SkipCheck<'_>) -> bool {
        if self.settings.check_all {
            // fail2ban reports the nofail matches themselves: only a summary
            // that would merely count them may take the line, once it keeps
            // no more ignored lines (see `reported_end`)
            let Some((summary, keep, kept)) = &mut self.summary else {
                return false;
            };
            return *kept >= *keep
                && self.finisher.count_reported_idle_end(
                    line,
                    self.shape,
                    self.names,
                    self.settings,
                    summary,
                );
        }
        // Only callers that drop (or merely count) quiet lines may skip one.
        let drops_quiet = self.summary.is_some() || !self.settings.report_quiet_lines;
        if !drops_quiet {
            return false;
        }
        // Before the failregexes ran, the line may still turn out to match
        // none: a summary would then count it elsewhere (prefregex-only).
        if line.fail.is_none() && self.summary.is_some() {
            return false;
        }
        let skip = self
            .finisher
            .is_idle_session_end(line, self.shape, self.names, self.settings);
        if skip {
            if let Some((summary, ..)) = &mut self.summary {
                // what the line's quiet outcome would have added
                summary.prefregex += usize::from(self.shape.has_prefregex);
            }
        }
        skip
    }
}

impl Finisher {
    /// Whether [`Finisher::finish`] would give a quiet outcome for this line
    /// and leave the session cache as it is, because the line ends a session
    /// that is not in the cache (see the module docs). Every step of
    /// `finish` that could make the outcome matter rules the shortcut out:
    /// a date far from now or missing, ignoreregexes, folds into session
    /// keys, a failregex that is no forgetting non-failure, a pending
    /// failure.
    pub(crate) fn is_idle_session_end(
        &mut self,
        line: &SkipCheck<'_>,
        shape: &FilterShape,
        names: &SetNames,
        settings: &FinishSettings,
    ) -> bool {
        if line.no_date || shape.ignore_count > 0 || settings.check_all {
            return false;
        }
        if settings.check_find_time {
            let mut far_from_now = false;
            let (_, counts) = server_time(line.when, line.no_date, settings, &mut far_from_now);
            if far_from_now {
                return false; // fail2ban warns about it: the outcome matters
            }
            if !counts {
                return true; // too old: finish gives an empty outcome, cache untouched
            }
        }
        let pre_only = GroupView::new(line, names, None);
        if shape.has_prefregex && !pre_only.has_prefregex_match() {
            return false; // (not asked for such lines)
        }
        let value = match line.fail {
            // the failregexes did not run: each candidate is a quiet session
            // end (`quiet_session_end`), so only the prefregex's groups count
            None => {
                if pre_only.truthy(keys::MLFPENDING) {
                    return false;
                }
                pre_only.value(keys::MLFID)
            }
            Some(fail) => {
                // finish tries the matched failregexes in index order; the
                // first one decides here (a session end returns from the line)
                let Some(first) = fail
                    .iter()
                    .filter(|m| (1..=shape.fail_count).contains(&(m.pattern as usize)))
                    .min_by_key(|m| m.pattern)
                else {
                    return false;
                };
                let index = first.pattern as usize - 1;
                if self.folds.get(index).is_some_and(folds_into_session_keys) {
                    return false;
                }
                let view = GroupView::new(line, names, Some(first));
                if !view.ends_quietly() {
                    return false;
                }
                view.value(keys::MLFID)
            }
        };
        // `mlfid` not None: a session line (even an empty id is a key)
        let Some(Some(key)) = value else {
            return false;
        };
        // (the same lookup `merge` makes first: an expired entry goes here too)
        self.sessions.get_mut(key, settings.wall_now).is_none()
    }
}
