//! fail2ban-regex's statistics, kept in Rust (`python -m hyperban regex`).
//!
//! The tool counts each processed line as matched, ignored or missed, the
//! hits of each failregex and ignoreregex, and lists lines and failures.
//! On a log where half the lines are failures, making each finished line
//! into Python objects and accounting it in Python took most of the run,
//! with the GIL passed back and forth between the stage and the main
//! thread. A [`Tally`] takes a chunk's outcomes as the stage finishes them
//! and accounts every line it can account exactly as the Python accounting
//! would (`RegexTool._account`), without the GIL. It gives back the others:
//! a line with an error or a warning fail2ban logs, a host name to resolve,
//! a record whose text only Python can tell (see the `record` module). The caller
//! accounts those in Python; both keep their lists in line order, and the
//! lists are merged by line number at the end ([`merge_by_line`]).
//!
//! Invariant: every line is accounted once, by the tally or by the caller,
//! so the two sets of counts add up.

mod address;
mod json;
mod record;
#[cfg(test)]
mod tests;
mod texts;

pub use texts::Texts;

use super::finish::LineOutcome;

/// What the tool lists besides the counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TallySettings {
    /// Keep each matched line's text and a JSON record per failure
    /// (`--print-all-matched`).
    pub list_matched: bool,
    /// How many ignored lines' texts to keep (the first ones; `None`: all).
    pub keep_ignored: Option<usize>,
}

/// The statistics of the lines accounted in Rust (see the module notes).
#[derive(Debug)]
pub struct Tally {
    settings: TallySettings,
    /// 0-based number, in the whole input, of the next chunk's first line.
    first: u64,
    pub matched: u64,
    pub ignored: u64,
    /// Lines on which the prefregex matched.
    pub prefregex: u64,
    pub fail_hits: Vec<u64>,
    pub ignore_hits: Vec<u64>,
    /// The matched and ignored lines (0-based), ascending.
    pub not_missed: Vec<u64>,
    /// `(line, text)` of kept ignored lines, ascending.
    pub ignored_lines: Texts,
    /// `(line, text)` of matched lines when listed, ascending.
    pub matched_lines: Texts,
    /// `(line, JSON record)` of the failures, ascending.
    records: Texts,
}

impl Tally {
    pub fn new(fail_count: usize, ignore_count: usize, settings: TallySettings) -> Self {
        Tally {
            settings,
            first: 0,
            matched: 0,
            ignored: 0,
            prefregex: 0,
            fail_hits: vec![0; fail_count],
            ignore_hits: vec![0; ignore_count],
            not_missed: Vec::new(),
            ignored_lines: Texts::new(),
            matched_lines: Texts::new(),
            records: Texts::new(),
        }
    }

    /// Accounts the outcomes of the next chunk (`lines` lines long); returns
    /// the ones left to the caller, in order.
    pub fn take_chunk(&mut self, outcomes: Vec<LineOutcome>, lines: usize) -> Vec<LineOutcome> {
        let left = outcomes.into_iter().filter_map(|o| self.take(o)).collect();
        self.first += lines as u64;
        left
    }

    /// Accounts one outcome of the current chunk, or gives it back.
    fn take(&mut self, outcome: LineOutcome) -> Option<LineOutcome> {
        if !self.accountable(&outcome) {
            return Some(outcome);
        }
        let number = self.first + outcome.line as u64;
        let failures = &outcome.failures;
        // what the Python accounting calls `found`: the failures proper
        let nofail = failures.iter().filter(|f| f.nofail).count();
        let found = failures.len() - nofail;
        let is_ignored = !outcome.ignored_by.is_empty() || nofail > 0;
        let is_matched = !is_ignored && found > 0;
        if is_matched && self.settings.list_matched && !self.write_records(&outcome, number) {
            return Some(outcome);
        }
        for f in failures {
            self.fail_hits[f.regex] += 1;
        }
        for &j in &outcome.ignored_by {
            self.ignore_hits[j] += 1;
        }
        self.prefregex += u64::from(outcome.prefregex_matched);
        if is_ignored {
            self.ignored += 1;
            self.not_missed.push(number);
            let keep = self.settings.keep_ignored;
            if keep.is_none_or(|n| self.ignored_lines.len() < n) {
                self.ignored_lines.push(number, outcome.text());
            }
        } else if is_matched {
            self.matched += 1;
            self.not_missed.push(number);
            if self.settings.list_matched {
                self.matched_lines.push(number, outcome.text());
            }
        }
        None
    }

    /// Nothing in `outcome` needs Python: no error or warning to log, no
    /// host name to resolve, indexes within the filter's regexes.
    fn accountable(&self, o: &LineOutcome) -> bool {
        o.error.is_none()
            && !o.invalid_date
            && !o.far_from_now
            && !o.no_date_match
            && o.no_id_group.is_empty()
            && o.failures.iter().all(|f| {
                f.regex < self.fail_hits.len() && !matches!(f.id, super::FailureId::Dns { .. })
            })
            && o.ignored_by.iter().all(|&j| j < self.ignore_hits.len())
    }

    /// Writes the records of a matched line's failures; false (and nothing
    /// written) when one of them is left to Python.
    fn write_records(&mut self, o: &LineOutcome, number: u64) -> bool {
        let mark = self.records.len();
        for f in o.failures.iter().filter(|f| !f.nofail) {
            let written = self
                .records
                .push_with(number, |out| record::write_record(out, number + 1, f));
            if written.is_err() {
                self.records.truncate(mark);
                return false;
            }
        }
        true
    }

    /// The JSON records of the failures, merged in line order with the
    /// caller's (`(line, record text)`, ascending), joined by `", "`.
    pub fn matches_json(&self, others: &[(u64, String)]) -> String {
        let others = others.iter().map(|(line, text)| (*line, text.as_str()));
        let count = self.records.len() + others.len();
        let size = self.records.text_len() + others.clone().map(|o| o.1.len()).sum::<usize>();
        let mut out = String::with_capacity(size + 2 * count);
        for (i, (_, text)) in merge_by_line(self.records.iter(), others).enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(text);
        }
        out
    }

    /// How many JSON records the tally holds.
    pub fn record_count(&self) -> usize {
        self.records.len()
    }
}

/// Two sequences of `(line, item)`, each ascending by line, as one.
pub fn merge_by_line<T>(
    a: impl IntoIterator<Item = (u64, T)>,
    b: impl IntoIterator<Item = (u64, T)>,
) -> impl Iterator<Item = (u64, T)> {
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    std::iter::from_fn(move || match (a.peek(), b.peek()) {
        (Some(x), Some(y)) if y.0 < x.0 => b.next(),
        (Some(_), _) => a.next(),
        (None, _) => b.next(),
    })
}
