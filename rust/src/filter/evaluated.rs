//! What the exact sets gave on the lines of a chunk, kept compact: each
//! match's groups as spans of the text it was found in, not as copies.
//!
//! Why spans: the regex tool's main thread evaluates a chunk's first lines
//! while its worker finishes the chunk before (see the `evaluate` module),
//! so whatever the evaluation leaves is written on one CPU and read on the
//! other. As owned sets (a list of matches, each with a list of copied
//! groups) that was four allocations a line, scattered over the main
//! thread's heap and freed on the worker. When the host places the two
//! CPUs far apart, a cache line takes about 370 ns instead of about 85 ns
//! to go from one to the other (a two-thread ping-pong measured that, in
//! step with the 50% log's slow runs), and the worker's run took a third
//! longer. Here a line is one entry, its matches and its spans three
//! arrays that grow once per chunk and are read in order. The run reads a
//! line's groups in place ([`SetView`]) to decide whether the sink needs
//! the line at all, and copies them ([`SetView::to_matches`]) only for a
//! line it hands on as a record, on its own thread, from the line's text
//! that it reads anyway: most session lines the sink merely counts are
//! never copied (at 5% attack lines, 180k of 230k).

use std::ops::Range;

use crate::exact::{GroupText, Span};
use crate::matcher::{LineMatch, MatcherError};

use super::SetMatches;

/// A span of a line's text, as `u32`s (half the room of `usize`s: these
/// are what crosses between the threads).
type ShortSpan = (u32, u32);

/// What the exact sets gave on one line; its matches are in the
/// [`EvaluatedLines`] that holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct LineEval {
    /// 0-based line number within the chunk.
    pub line: usize,
    /// The "pre" set's matches (on the line without its date, then `\n`),
    /// when it was evaluated.
    pub(super) pre: Option<Range<u32>>,
    /// The "fail" set's matches, when it was evaluated.
    pub(super) fail: Option<Range<u32>>,
    /// The failregexes ran on the prefregex's `F-CONTENT`, which is there
    /// in the line without its date: their spans are of that text, then
    /// `\n`.
    content: Option<ShortSpan>,
    pub prefregex_matched: bool,
    /// Checks abandoned at the match limit on this line.
    pub limit_hits: usize,
    /// The sink skipped the line before its failregexes ran.
    pub skipped: bool,
}

impl LineEval {
    /// Line `line` of the chunk, before its sets are evaluated.
    pub(super) fn new(line: usize) -> Self {
        LineEval {
            line,
            pre: None,
            fail: None,
            content: None,
            prefregex_matched: false,
            limit_hits: 0,
            skipped: false,
        }
    }

    /// Marks where the line's failregexes ran: on its `F-CONTENT`, at
    /// `span` of the line without its date.
    pub(super) fn set_content(&mut self, span: Span) -> Result<(), MatcherError> {
        self.content = Some((short(span.0)?, short(span.1)?));
        Ok(())
    }
}

/// One pattern's match on one line.
#[derive(Clone, Debug, PartialEq)]
struct SpanMatch {
    /// The caller's id of the pattern.
    pattern: u32,
    /// The pattern's position in its set.
    index: u32,
    /// Its named groups' spans (positions in [`EvaluatedLines::spans`]).
    groups: Range<u32>,
}

/// The exact sets of some of a chunk's lines, in line order.
///
/// Invariants: every line's `pre` and `fail` ranges lie in `matches`, every
/// match's `groups` in `spans`; lines, and the ranges of one line, follow
/// each other in order (so [`EvaluatedLines::append`] only shifts them).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EvaluatedLines {
    lines: Vec<LineEval>,
    matches: Vec<SpanMatch>,
    /// `None`: the group did not take part in its match.
    spans: Vec<Option<ShortSpan>>,
}

impl EvaluatedLines {
    /// Lines held.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The `i`-th line held.
    pub fn get(&self, i: usize) -> Option<&LineEval> {
        self.lines.get(i)
    }

    pub fn clear(&mut self) {
        self.lines.clear();
        self.matches.clear();
        self.spans.clear();
    }

    /// Adds the lines of `other` after these.
    pub fn append(&mut self, other: &EvaluatedLines) {
        let (matches, spans) = (self.matches.len() as u32, self.spans.len() as u32);
        let shift = |r: &Range<u32>, by: u32| r.start + by..r.end + by;
        self.lines.extend(other.lines.iter().map(|eval| LineEval {
            pre: eval.pre.as_ref().map(|r| shift(r, matches)),
            fail: eval.fail.as_ref().map(|r| shift(r, matches)),
            ..eval.clone()
        }));
        self.matches.extend(other.matches.iter().map(|m| SpanMatch {
            groups: shift(&m.groups, spans),
            ..m.clone()
        }));
        self.spans.extend_from_slice(&other.spans);
    }

    /// Adds a line evaluated (see [`LineEval::new`]) after its sets'
    /// matches were added.
    pub(super) fn push_line(&mut self, eval: LineEval) {
        self.lines.push(eval);
    }

    /// Where the next set's matches start (for [`Self::end_set`]).
    ///
    /// (Counts of a chunk's matches and spans fit in a `u32` by far: a
    /// chunk is a few hundred KiB, or one long line, with a match per
    /// pattern and line at most.)
    pub(super) fn set_start(&self) -> u32 {
        self.matches.len() as u32
    }

    /// Adds a match of the set being evaluated, unless one of the same id
    /// came first since `start` (each id once, the first kept); `spans`
    /// are of the text the set ran on.
    pub(super) fn push_match(
        &mut self,
        start: u32,
        pattern: u32,
        index: usize,
        spans: &[Option<Span>],
    ) -> Result<(), MatcherError> {
        if self.matches[start as usize..]
            .iter()
            .any(|m| m.pattern == pattern)
        {
            return Ok(());
        }
        let first = self.spans.len();
        for span in spans {
            let short = match *span {
                None => None,
                Some((s, e)) => Some((short(s)?, short(e)?)),
            };
            self.spans.push(short);
        }
        self.matches.push(SpanMatch {
            pattern,
            index: short(index)?,
            groups: short(first)?..short(self.spans.len())?,
        });
        Ok(())
    }

    /// The matches since `start`, as a set's range.
    pub(super) fn end_set(&self, start: u32) -> Range<u32> {
        start..self.set_start()
    }

    /// The caller's ids of the matches in `set` (a line's "pre" or
    /// "fail"; none when it was not evaluated).
    pub(super) fn ids(&self, set: &Option<Range<u32>>) -> impl Iterator<Item = u32> + '_ {
        let range = set
            .as_ref()
            .map_or(0..0, |r| r.start as usize..r.end as usize);
        self.matches[range].iter().map(|m| m.pattern)
    }

    /// Where group `group` of the match of `pattern` in `set` is (`None`:
    /// no such match, or the group took no part).
    pub(super) fn span_in(&self, set: &Range<u32>, pattern: u32, group: usize) -> Option<Span> {
        let m = self.match_in(set, pattern)?;
        let at = m.groups.start as usize + group;
        if at >= m.groups.end as usize {
            return None;
        }
        self.spans[at].map(|(s, e)| (s as usize, e as usize))
    }

    /// The match of pattern id `pattern` in `set` (each id matches once).
    fn match_in(&self, set: &Range<u32>, pattern: u32) -> Option<&SpanMatch> {
        self.matches[set.start as usize..set.end as usize]
            .iter()
            .find(|m| m.pattern == pattern)
    }

    /// The "pre" set of `eval` read in place: its groups in `full` (the
    /// line without its date, then `\n`), but for group `content` of the
    /// prefregex (`pref_id`), which reads as `None`: the record has the
    /// line, and the finishing stage never reads it from there.
    pub(super) fn pre_view<'a>(
        &'a self,
        eval: &LineEval,
        full: &'a str,
        pref_id: u32,
        content: Option<usize>,
    ) -> Option<SetView<'a>> {
        let set = eval.pre.as_ref()?;
        Some(SetView {
            evals: self,
            start: set.start,
            end: set.end,
            subject: full,
            left_out: content.map(|group| (pref_id, group)),
        })
    }

    /// The "fail" set of `eval` read in place, from the text it ran on:
    /// `full` (as in [`Self::pre_view`]), or the line's `F-CONTENT` in it,
    /// then `\n`, which is built in `content`.
    pub(super) fn fail_view<'a>(
        &'a self,
        eval: &LineEval,
        full: &'a str,
        content: &'a mut String,
    ) -> Option<SetView<'a>> {
        let set = eval.fail.as_ref()?;
        let subject = match eval.content {
            None => full,
            Some((start, end)) => {
                content.clear();
                // (a span of `full` the prefregex gave: at char boundaries)
                content.push_str(full.get(start as usize..end as usize).unwrap_or_default());
                content.push('\n');
                content.as_str()
            }
        };
        Some(SetView {
            evals: self,
            start: set.start,
            end: set.end,
            subject,
            left_out: None,
        })
    }
}

/// One line's set of matches, read where they are (see
/// `EvaluatedLines::pre_view`, `EvaluatedLines::fail_view`).
#[derive(Clone, Copy)]
pub struct SetView<'a> {
    evals: &'a EvaluatedLines,
    start: u32,
    end: u32,
    /// The text the set ran on.
    subject: &'a str,
    /// `(pattern id, group position)` of a group that reads as `None`.
    left_out: Option<(u32, usize)>,
}

impl<'a> SetView<'a> {
    /// The matches, in set order.
    pub fn iter(&self) -> impl Iterator<Item = MatchView<'a>> + 'a {
        let view = *self;
        self.evals.matches[self.start as usize..self.end as usize]
            .iter()
            .map(move |m| view.view(m))
    }

    /// The match of pattern id `pattern`, if any (each id matches once).
    pub fn find(&self, pattern: u32) -> Option<MatchView<'a>> {
        let m = self.evals.match_in(&(self.start..self.end), pattern)?;
        Some(self.view(m))
    }

    fn view(&self, m: &SpanMatch) -> MatchView<'a> {
        MatchView {
            pattern: m.pattern,
            index: m.index as usize,
            spans: &self.evals.spans[m.groups.start as usize..m.groups.end as usize],
            subject: self.subject,
            left_out: self
                .left_out
                .and_then(|(id, group)| (id == m.pattern).then_some(group)),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The matches with their groups' texts copied: what a record keeps.
    pub fn to_matches(&self) -> SetMatches {
        self.iter()
            .map(|m| LineMatch {
                line: 0,
                offset: 0,
                pattern: m.pattern,
                index: m.index,
                groups: (0..m.spans.len())
                    .map(|at| m.group(at).map(GroupText::from))
                    .collect(),
            })
            .collect()
    }
}

/// One match of a line's set, read where it is.
#[derive(Clone, Copy, Debug)]
pub struct MatchView<'a> {
    /// The caller's id of the pattern.
    pub pattern: u32,
    /// The pattern's position in its set.
    pub index: usize,
    spans: &'a [Option<ShortSpan>],
    subject: &'a str,
    /// A group that reads as `None`: the prefregex's `F-CONTENT`, which
    /// the finishing stage never reads from a match.
    left_out: Option<usize>,
}

impl<'a> MatchView<'a> {
    /// The text of named group `at` (in the order of the set's group
    /// names); `None` when it took no part, or there is no such group.
    pub fn group(&self, at: usize) -> Option<&'a str> {
        if self.left_out == Some(at) {
            return None;
        }
        let (start, end) = (*self.spans.get(at)?)?;
        self.subject.get(start as usize..end as usize)
    }
}

/// `n` as a `u32`: the positions kept here are within one line's text and
/// one chunk's matches.
fn short(n: usize) -> Result<u32, MatcherError> {
    u32::try_from(n).map_err(|_| {
        MatcherError::Unsupported(format!("a line or chunk too long to evaluate ({n} bytes)"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One line's sets made by hand: "pre" with the prefregex (id 0:
    /// groups `pid` and `content`), "fail" on the content with failregex
    /// id 1 twice (the second match dropped) and id 2.
    fn one_line(line: usize, out: &mut EvaluatedLines) {
        let full = "h[3]: bad from 10.0.0.1 x\n";
        let mut eval = LineEval::new(line);
        let start = out.set_start();
        out.push_match(start, 0, 0, &[Some((0, 4)), Some((6, 23))])
            .unwrap();
        eval.pre = Some(out.end_set(start));
        assert_eq!(
            out.span_in(eval.pre.as_ref().unwrap(), 0, 1)
                .map(|(s, e)| &full[s..e]),
            Some("bad from 10.0.0.1")
        );
        eval.set_content((6, 23)).unwrap();
        // spans of the content, then `\n`: "bad from 10.0.0.1\n"
        let start = out.set_start();
        out.push_match(start, 1, 0, &[Some((9, 17)), None]).unwrap();
        out.push_match(start, 1, 0, &[Some((0, 3)), None]).unwrap();
        // (a group may take the content's own `\n`, which `full` does not
        // have there)
        out.push_match(start, 2, 1, &[Some((13, 18))]).unwrap();
        eval.fail = Some(out.end_set(start));
        out.push_line(eval);
    }

    #[test]
    fn sets_come_back_as_the_matches_they_were() {
        let full = "h[3]: bad from 10.0.0.1 x\n";
        let mut one = EvaluatedLines::default();
        one_line(7, &mut one);
        // appended after another line, the ranges shift with it
        let mut all = EvaluatedLines::default();
        one_line(2, &mut all);
        all.append(&one);
        assert_eq!(all.len(), 2);
        let eval = all.get(1).unwrap();
        assert_eq!(eval.line, 7);
        assert_eq!(all.ids(&eval.pre).collect::<Vec<_>>(), [0]);
        assert_eq!(all.ids(&eval.fail).collect::<Vec<_>>(), [1, 2]);

        let pre = all.pre_view(eval, full, 0, Some(1)).unwrap().to_matches();
        assert_eq!(pre.len(), 1);
        assert_eq!(pre[0].groups, [Some("h[3]".into()), None]);
        let mut content = String::new();
        let view = all.fail_view(eval, full, &mut content).unwrap();
        // (read in place as copied)
        let read: Vec<_> = view.iter().map(|m| (m.pattern, m.group(0))).collect();
        assert_eq!(read, [(1, Some("10.0.0.1")), (2, Some(".0.1\n"))]);
        let fail = view.to_matches();
        let groups: Vec<_> = fail.iter().map(|m| (m.pattern, m.groups.clone())).collect();
        assert_eq!(
            groups,
            [
                (1, vec![Some("10.0.0.1".into()), None]),
                (2, vec![Some(".0.1\n".into())])
            ]
        );
        assert_eq!(content, "bad from 10.0.0.1\n");
        // the left-out group reads as None in place too
        let pre = all.pre_view(eval, full, 0, Some(1)).unwrap();
        let m = pre.iter().next().unwrap();
        assert_eq!(
            (m.group(0), m.group(1), m.group(2)),
            (Some("h[3]"), None, None)
        );
        assert_eq!(all.get(0).map(|e| e.line), Some(2));
    }

    #[test]
    fn a_set_not_evaluated_has_no_matches() {
        let mut out = EvaluatedLines::default();
        out.push_line(LineEval::new(0));
        let eval = out.get(0).unwrap();
        assert_eq!(out.ids(&eval.fail).count(), 0);
        assert!(out.pre_view(eval, "x\n", 0, None).is_none());
        assert!(out.fail_view(eval, "x\n", &mut String::new()).is_none());
    }
}
