//! The check a literal core's match passes before its line becomes a
//! candidate (see the module docs of `hyperscan_finder`).
//!
//! A check is a regex for "the pattern from its core on", compiled twice
//! into lazy DFAs of the `regex-automata` crate:
//!
//! - *forward*, searched from where the core's spelling starts, anchored
//!   there;
//! - *backward* (the regex reversed), searched from the line's end, anchored
//!   there. It exists only when every match of the check ends at the line's
//!   end (the check ends with `$`, as most of fail2ban's do).
//!
//! Which of the two is cheaper depends on the lines, not the pattern: a
//! backward search rejects `... port 22 ssh2` after reading a few bytes when
//! the pattern must end right after the address, while a forward search
//! rejects `Connection closed by user alice ...` at `user` when the pattern
//! wants an address there and has a `[^\n]*` further on, which a backward
//! search must read through. So a scan samples both on a pattern's first
//! checks, counting the bytes each reads, and keeps the direction that read
//! fewer (see [`CheckTally`]). Both directions give the same answer, so the
//! choice only moves time.
//!
//! The DFAs are searched directly, with caches the caller keeps per scan:
//! through `regex::Regex::is_match`, setting up each search (strategy,
//! cache pool) cost more than the search itself on most lines.

use std::ops::Range;

use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::nfa::thompson;
use regex_automata::{Anchored, Input};
use regex_syntax::hir::Look;

use crate::syntax::LiteralCore;

/// Keeps a check's automaton within reason; a pattern whose check is larger
/// keeps its tighter superset in the database instead.
const CHECK_SIZE_LIMIT: usize = 16 << 20;

/// Checks a core match: does the rest of its line, from the match's start,
/// hold something the pattern from its core on could match?
pub(super) struct CoreCheck {
    forward: DFA,
    /// `None` unless every match of the check ends at its haystack's end.
    backward: Option<DFA>,
    /// What a core match can be (see [`LiteralCore::spellings`]).
    spellings: Vec<String>,
    /// The length of the longest spelling.
    longest: usize,
    caseless: bool,
}

/// One check's search caches, kept by the caller for the length of a scan
/// (a lazy DFA builds its states into these as it goes).
pub(super) struct CheckCache {
    forward: Cache,
    backward: Option<Cache>,
}

impl CoreCheck {
    /// The check of `core`, or `None` when it cannot be built within
    /// [`CHECK_SIZE_LIMIT`].
    pub(super) fn new(core: &LiteralCore) -> Option<CoreCheck> {
        // Byte mode, as Hyperscan reads it: `\w` and the like are ASCII and
        // the printer spells out the non-ASCII bytes they admit.
        let hir = regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .build()
            .parse(&core.check)
            .ok()?;
        let compile = |reverse: bool| {
            let nfa = thompson::Compiler::new()
                .configure(
                    thompson::Config::new()
                        .which_captures(thompson::WhichCaptures::None)
                        .nfa_size_limit(Some(CHECK_SIZE_LIMIT))
                        .reverse(reverse),
                )
                .build_from_hir(&hir)
                .ok()?;
            DFA::builder().build_from_nfa(nfa).ok()
        };
        let forward = compile(false)?;
        let backward = if hir.properties().look_set_suffix().contains(Look::End) {
            Some(compile(true)?)
        } else {
            None
        };
        Some(CoreCheck {
            forward,
            backward,
            spellings: core.spellings.clone(),
            longest: core.spellings.iter().map(String::len).max().unwrap_or(0),
            caseless: core.caseless,
        })
    }

    /// Fresh caches for this check's searches.
    pub(super) fn cache(&self) -> CheckCache {
        CheckCache {
            forward: self.forward.create_cache(),
            backward: self.backward.as_ref().map(DFA::create_cache),
        }
    }

    /// Whether the core match ending at `end` (inside `line`) may belong to
    /// a match of the pattern. `tally` is this check's record in the current
    /// scan: it retires the check when checking stops paying and picks the
    /// search direction.
    pub(super) fn passes(
        &self,
        cache: &mut CheckCache,
        tally: &mut CheckTally,
        text: &str,
        line: Range<usize>,
        end: usize,
    ) -> bool {
        if tally.retired() {
            return true;
        }
        let passed = self.search(cache, tally, text.as_bytes(), line, end);
        tally.record(passed);
        passed
    }

    /// The check itself. The core has no `\n` and Hyperscan reports every
    /// end of every core match, so the core match inside a true match is
    /// reported: its text is one of the spellings ending at `end`, and the
    /// check matches from that spelling's start to the line's end.
    ///
    /// A forward search tries each spelling ending there, anchored at its
    /// start. A backward search starts no earlier than the longest spelling
    /// would and stops at the first match: one that starts before this core
    /// match starts with another core match (every match of the check starts
    /// with a spelling), which Hyperscan also reports and whose own check
    /// passes, so the line is a candidate either way.
    fn search(
        &self,
        cache: &mut CheckCache,
        tally: &mut CheckTally,
        bytes: &[u8],
        line: Range<usize>,
        end: usize,
    ) -> bool {
        let end = end.min(line.end);
        let backward = self.backward.as_ref().zip(cache.backward.as_mut());
        let choice = tally.direction(backward.is_some());
        if let (Choice::Backward | Choice::SampleBackward, Some((dfa, cache))) = (choice, backward)
        {
            let from = end.saturating_sub(self.longest).max(line.start);
            let rest = &bytes[from..line.end];
            if choice == Choice::Backward {
                return search_backward(dfa, cache, rest);
            }
            let (found, read) = walk(dfa, cache, rest, Walk::Backward);
            tally.read_backward(read);
            return found;
        }
        let Some(before) = bytes.get(line.start..end) else {
            return true; // cannot happen (`end` lies in `line`); keep the line
        };
        let mut starts = self.spellings.iter().filter_map(|spelling| {
            let spelling = spelling.as_bytes();
            let found = before.get(before.len().checked_sub(spelling.len())?..)?;
            let same = if self.caseless {
                found.eq_ignore_ascii_case(spelling)
            } else {
                found == spelling
            };
            same.then(|| end - spelling.len())
        });
        let rest = |start: usize| &bytes[start..line.end];
        if choice != Choice::SampleForward {
            return starts
                .any(|start| search_forward(&self.forward, &mut cache.forward, rest(start)));
        }
        let mut read = 0;
        let found = starts.any(|start| {
            let (found, n) = walk(
                &self.forward,
                &mut cache.forward,
                rest(start),
                Walk::Forward,
            );
            read += n;
            found
        });
        tally.read_forward(read);
        found
    }
}

/// Whether the DFA matches a prefix of `haystack`.
fn search_forward(dfa: &DFA, cache: &mut Cache, haystack: &[u8]) -> bool {
    let input = Input::new(haystack).anchored(Anchored::Yes).earliest(true);
    // A search errs only when it gives up, which this configuration never
    // asks for; keeping the line is the safe answer anyway.
    dfa.try_search_fwd(cache, &input)
        .map_or(true, |m| m.is_some())
}

/// Whether the reversed DFA matches a suffix of `haystack`.
fn search_backward(dfa: &DFA, cache: &mut Cache, haystack: &[u8]) -> bool {
    let input = Input::new(haystack).anchored(Anchored::Yes).earliest(true);
    dfa.try_search_rev(cache, &input)
        .map_or(true, |m| m.is_some())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Walk {
    Forward,
    Backward,
}

/// What [`search_forward`] or [`search_backward`] answers, found by stepping
/// the DFA one byte at a time, with the number of bytes it read before it
/// knew. Slower than the searches (no unrolled loop), so only samples use it.
fn walk(dfa: &DFA, cache: &mut Cache, haystack: &[u8], way: Walk) -> (bool, usize) {
    let input = Input::new(haystack).anchored(Anchored::Yes);
    let start = match way {
        Walk::Forward => dfa.start_state_forward(cache, &input),
        Walk::Backward => dfa.start_state_reverse(cache, &input),
    };
    let Ok(mut state) = start else {
        return (true, haystack.len());
    };
    let mut step = |(read, &byte): (usize, &u8)| -> Option<(bool, usize)> {
        state = match dfa.next_state(cache, state, byte) {
            Ok(next) => next,
            Err(_) => return Some((true, read + 1)),
        };
        // Match states come one byte late: this one says a match ended
        // before `byte`. Either way the answer is known.
        if state.is_match() {
            Some((true, read + 1))
        } else if state.is_dead() {
            Some((false, read + 1))
        } else {
            None
        }
    };
    let known = match way {
        Walk::Forward => haystack.iter().enumerate().find_map(&mut step),
        Walk::Backward => haystack.iter().rev().enumerate().find_map(&mut step),
    };
    known.unwrap_or_else(|| {
        let found = dfa
            .next_eoi_state(cache, state)
            .map_or(true, |s| s.is_match());
        (found, haystack.len())
    })
}

/// Checks of one pattern run before the scans judge whether they pay.
/// (A 512 KiB chunk of an auth log holds a few hundred core hits of each
/// common sshd pattern: with 512 here no check ever retired, and the five
/// that always pass ran on every hit, a sixth of the main thread's time.)
pub(super) const CHECK_SAMPLE: u32 = 64;

/// Scans of one scratch after which the checks' tallies start again: what
/// a scan learnt (a check retired, a direction chosen) holds for the scans
/// after it until then. Sampling anew in every 512 KiB chunk (a sixty-fourth
/// of each pattern's checks there stepped the DFA byte by byte, and the
/// always-passing ones ran 64 times) cost 2% of the regex tool's time on
/// the 5% auth log; 32 chunks is 16 MB of log, so a log whose lines change
/// is judged again soon enough.
pub(super) const RESAMPLE_EVERY: u32 = 32;

/// Checks of one pattern sampled, alternating directions, before the
/// direction that read fewer bytes per check is picked.
const DIRECTION_SAMPLE: u32 = 32;

/// How a check searches its next core match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Choice {
    SampleForward,
    SampleBackward,
    Forward,
    Backward,
}

/// How a pattern's core checks have gone in the recent scans.
///
/// A check only saves work when it rejects: a line that passes goes to the
/// exact engine anyway, having paid for a search over most of the line
/// first. Some patterns' core hits nearly always pass (sshd's `Failed `
/// lines are failures), so once [`CHECK_SAMPLE`] of a pattern's checks have
/// run and nine in ten passed, the scans after skip them (until the tallies
/// start again) and send every core hit straight to the exact engine. Skipping only
/// adds candidates, which the exact engine rejects, so results never
/// change. (The `regex` crate retires prefilters that stop paying in the
/// same spirit.)
///
/// The first [`DIRECTION_SAMPLE`] checks also pick the search direction
/// (see the module docs): they alternate between forward and backward and
/// count the bytes each read. The state lives in the scan's scratch for
/// [`RESAMPLE_EVERY`] scans, then starts again.
#[derive(Clone, Copy, Default)]
pub(super) struct CheckTally {
    run: u32,
    passed: u32,
    /// Bytes read and checks sampled, forward and backward.
    forward: (u64, u64),
    backward: (u64, u64),
    /// The direction the samples chose, once they have.
    chosen: Option<Choice>,
}

impl CheckTally {
    /// The tally of a check run on its own (a single record): with nothing
    /// to sample, it searches backward where it can (where fail2ban's
    /// patterns mostly differ, as a sample's tie goes), forward otherwise,
    /// rather than stepping the DFA byte by byte to count what it read.
    pub(super) fn unsampled() -> CheckTally {
        CheckTally {
            chosen: Some(Choice::Backward),
            ..CheckTally::default()
        }
    }

    fn retired(&self) -> bool {
        self.run >= CHECK_SAMPLE && u64::from(self.passed) * 10 >= u64::from(self.run) * 9
    }

    fn record(&mut self, passed: bool) {
        if self.run < CHECK_SAMPLE {
            self.run += 1;
            self.passed += u32::from(passed);
        }
        if self.run == DIRECTION_SAMPLE && self.chosen.is_none() {
            // Fewer bytes per check backward: `b / nb <= f / nf`. Ties go
            // backward, where fail2ban's patterns mostly differ.
            let ((f, nf), (b, nb)) = (self.forward, self.backward);
            let backward =
                u128::from(b) * u128::from(nf.max(1)) <= u128::from(f) * u128::from(nb.max(1));
            self.chosen = Some(if backward {
                Choice::Backward
            } else {
                Choice::Forward
            });
        }
    }

    fn direction(&self, can_go_backward: bool) -> Choice {
        match self.chosen {
            _ if !can_go_backward => Choice::Forward,
            Some(choice) => choice,
            None if self.run.is_multiple_of(2) => Choice::SampleForward,
            None => Choice::SampleBackward,
        }
    }

    fn read_forward(&mut self, bytes: usize) {
        self.forward.0 += bytes as u64;
        self.forward.1 += 1;
    }

    fn read_backward(&mut self, bytes: usize) {
        self.backward.0 += bytes as u64;
        self.backward.1 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::ExactPattern;

    fn check(pattern: &str) -> CoreCheck {
        let exact = ExactPattern::compile(pattern, false).unwrap();
        CoreCheck::new(&crate::syntax::to_literal_core(exact.parsed()).unwrap()).unwrap()
    }

    /// Whether `line` passes the check at one of its core matches (those
    /// ending at `ends`), asserting that every way of searching agrees. Ways
    /// may differ on a single core match (a backward search also finds a
    /// match from a later one), never on the line.
    fn passes_every_way(check: &CoreCheck, line: &str, ends: &[usize]) -> bool {
        let mut cache = check.cache();
        let whole = 0..line.len();
        let mut answers = Vec::new();
        for choice in [
            Choice::SampleForward,
            Choice::SampleBackward,
            Choice::Forward,
            Choice::Backward,
        ] {
            let mut tally = CheckTally {
                chosen: matches!(choice, Choice::Forward | Choice::Backward).then_some(choice),
                run: u32::from(choice == Choice::SampleBackward),
                ..CheckTally::default()
            };
            let found = ends.iter().any(|&end| {
                check.search(&mut cache, &mut tally, line.as_bytes(), whole.clone(), end)
            });
            answers.push((choice, found));
        }
        assert!(
            answers.iter().all(|&(_, found)| found == answers[0].1),
            "{line:?} at {ends:?}: {answers:?}"
        );
        answers[0].1
    }

    #[test]
    fn end_anchored_checks_search_both_ways_alike() {
        let c = check(r"Failed \w+ for (?P<user>\S+) from (?P<host>[\d.]+)$");
        assert!(c.backward.is_some());
        let core_ends = |line: &str| -> Vec<usize> {
            let ends = line.match_indices("Failed ").map(|(i, m)| i + m.len());
            ends.collect()
        };
        for (line, expected) in [
            ("h sshd[1]: Failed password for root from 1.2.3.4", true),
            (
                "h sshd[1]: Failed password for root from 1.2.3.4 port 22",
                false,
            ),
            ("Failed none for x from 5.6.7.8", true),
            ("Failed for from", false),
            // The first core match fails, a later one passes.
            ("Failed x Failed password for a from 9.9.9.9", true),
        ] {
            assert_eq!(
                passes_every_way(&c, line, &core_ends(line)),
                expected,
                "{line:?}"
            );
        }
    }

    #[test]
    fn checks_not_anchored_at_the_end_search_forward_only() {
        let c = check(r"Invalid user (?P<user>\S+) from (?P<host>[\d.]+)");
        assert!(c.backward.is_none());
        let line = "sshd: Invalid user bob from 1.2.3.4 port 22";
        let end = line.find("user ").unwrap() + "user ".len();
        let mut tally = CheckTally::default();
        let mut cache = c.cache();
        assert!(c.passes(&mut cache, &mut tally, line, 0..line.len(), end));
        assert_eq!(tally.direction(false), Choice::Forward);
        assert_eq!(tally.forward, (0, 0), "nothing to sample");
    }

    #[test]
    fn caseless_cores_accept_any_case() {
        let c = check(r"(?i)accepted (?P<how>\w+) for (?P<user>\S+)$");
        let line = "ACCEPTED key for bob";
        assert!(passes_every_way(&c, line, &["ACCEPTED ".len()]));
    }

    /// Feeds `line` to a fresh tally until the direction sample is done.
    fn chosen_for(c: &CoreCheck, line: &str, end: usize) -> Choice {
        let mut tally = CheckTally::default();
        let mut cache = c.cache();
        for _ in 0..DIRECTION_SAMPLE {
            c.passes(&mut cache, &mut tally, line, 0..line.len(), end);
        }
        tally.chosen.expect("the sample is complete")
    }

    #[test]
    fn the_direction_that_reads_less_is_chosen() {
        // Lines that differ from the pattern at their end: backward reads a
        // few bytes, forward reads the whole line.
        let c = check(r"Accepted \w+ for \S+ from [\d.]+$");
        let line = "Accepted publickey for bob from 1.2.3.4 port 22 ssh2";
        assert_eq!(chosen_for(&c, line, "Accepted ".len()), Choice::Backward);
        // Lines that differ right after the core, with a wildcard near the
        // pattern's start: forward stops at once, backward reads through.
        let c = check(r"Connection closed by (?:invalid user .*)?[\d.]+ port \d+$");
        let line = "Connection closed by user alice 1.2.3.4 port 22";
        let end = "Connection closed by ".len();
        assert!(!passes_every_way(&c, line, &[end]));
        assert_eq!(chosen_for(&c, line, end), Choice::Forward);
    }

    #[test]
    fn checks_that_keep_passing_retire() {
        let c = check(r"Failed \w+ for \S+$");
        let line = "Failed password for root";
        let mut tally = CheckTally::default();
        let mut cache = c.cache();
        for _ in 0..CHECK_SAMPLE {
            assert!(!tally.retired());
            assert!(c.passes(&mut cache, &mut tally, line, 0..line.len(), "Failed ".len()));
        }
        assert!(tally.retired());
        // Retired, the check admits even a line it would reject.
        let other = "Failed password for root port 22";
        assert!(c.passes(
            &mut cache,
            &mut tally,
            other,
            0..other.len(),
            "Failed ".len()
        ));
    }
}
