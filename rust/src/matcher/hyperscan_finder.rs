//! Candidate lines from one Hyperscan pass over a whole chunk.
//!
//! Every pattern is compiled as a superset of itself into one multi-line,
//! byte-mode database. Hyperscan reports every offset where some pattern's
//! match ends; the line holding that offset is a candidate for that pattern.
//! Because a true match inside a line is also a Hyperscan match ending inside
//! that line, no matching line is ever missed; matches spanning lines only
//! add candidates that the exact engine then rejects.
//!
//! Two supersets serve here. A pattern with a literal core (see
//! [`crate::syntax::to_literal_core`]) goes into the database as that core
//! alone, which Hyperscan's literal matcher finds with no automaton behind
//! it. Each core match is then checked (see `core_check`): the text from
//! the match's start to the end of its line must hold a match of a superset
//! of the pattern from its core on. Only then is the line a candidate. Any
//! other pattern goes into the database as its superset
//! ([`crate::syntax::to_superset`]). On fail2ban's sshd set the automata
//! behind the literals took half of the scan: they ran from every line
//! holding a common word such as `Accepted` or `Received disconnect`. The
//! check runs on those lines only, from whichever end of the line's rest
//! tells the lines that do not match apart sooner.
//!
//! When every pattern in the database would be held by its core, and the
//! cores are few and case-sensitive, no database is built: `core_teddy`
//! searches them with the `aho-corasick` crate's Teddy, which reports the
//! same core matches (AVX2 at run time, about three times Hyperscan's speed
//! here; see that module).

use std::sync::Mutex;

use crate::exact::ExactPattern;
use crate::hyperscan::{self, Database, Expression, Flags, RawMatch, Scratch};
use crate::syntax::{self, LiteralCore, SupersetFor};

use super::chunk::{Line, LineLocator};
#[cfg(test)]
use super::core_check::CHECK_SAMPLE;
use super::core_check::{CheckCache, CheckTally, CoreCheck, RESAMPLE_EVERY};
use super::core_teddy::CoreTeddy;
use super::{Candidate, MatcherError};

/// How Hyperscan holds a pattern; later modes admit more false candidates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HsMode {
    /// The superset compiled as is.
    Direct,
    /// Hyperscan's own prefilter mode on top of the superset.
    Prefilter,
    /// Not in the database: the exact engine tries it on every line.
    EveryLine,
}

impl HsMode {
    pub fn name(self) -> &'static str {
        match self {
            HsMode::Direct => "direct",
            HsMode::Prefilter => "prefilter",
            HsMode::EveryLine => "every-line",
        }
    }
}

/// The largest piece handed to one `hs_scan` call; longer chunks are cut at
/// a line boundary (block mode takes at most `u32::MAX` bytes).
const MAX_SCAN: usize = 1 << 30;

pub struct HyperscanFinder {
    /// `None` when every pattern is in [`HsMode::EveryLine`], or when
    /// `teddy` holds them all.
    database: Option<Database>,
    /// Set instead of the database when every pattern it would hold is a
    /// literal core that `aho-corasick`'s Teddy takes (see `core_teddy`).
    teddy: Option<CoreTeddy>,
    /// Scratch space of scans that have finished, for the next ones.
    scratch: Mutex<Vec<ScanScratch>>,
    modes: Vec<HsMode>,
    /// For each pattern held by its literal core: the check that a core
    /// match must pass for its line to become a candidate.
    checks: Vec<Option<CoreCheck>>,
}

/// A pattern's literal core (what the database or Teddy searches for it)
/// and the check of its core matches.
struct Core {
    syntax: LiteralCore,
    check: CoreCheck,
}

impl Core {
    fn new(pattern: &ExactPattern) -> Option<Core> {
        let syntax = syntax::to_literal_core(pattern.parsed())?;
        let check = CoreCheck::new(&syntax)?;
        Some(Core { syntax, check })
    }
}

/// What one scan needs to itself: Hyperscan's scratch space (with a
/// database), and the caches of the checks' lazy DFAs (one per pattern with
/// a check); and what the scans made with this scratch learnt of the
/// checks, kept for the next ones (see [`RESAMPLE_EVERY`]).
struct ScanScratch {
    hyperscan: Option<Scratch>,
    checks: Vec<Option<CheckCache>>,
    /// One per pattern, as `checks`.
    tallies: Vec<CheckTally>,
    /// Scans made with this scratch.
    scans: u32,
}

impl HyperscanFinder {
    pub fn new(patterns: &[ExactPattern]) -> Result<HyperscanFinder, MatcherError> {
        HyperscanFinder::build(patterns, true)
    }

    /// The finder with its literal cores in Hyperscan even where Teddy
    /// would take them, to compare the two.
    #[cfg(test)]
    fn with_hyperscan_cores(patterns: &[ExactPattern]) -> Result<HyperscanFinder, MatcherError> {
        HyperscanFinder::build(patterns, false)
    }

    fn build(patterns: &[ExactPattern], try_teddy: bool) -> Result<HyperscanFinder, MatcherError> {
        if !hyperscan::platform_supported() {
            return Err(MatcherError::Unsupported(
                "this CPU cannot run Hyperscan (SSSE3 is required)".into(),
            ));
        }
        // A pattern that can match an empty string goes to the exact engine
        // on every line: Vectorscan accepts some of them (`^a*$` cannot match
        // an empty buffer) yet misses some of their empty matches (an empty
        // line after `1\n111111éééé\n`, found by the engines-agree test).
        let mut cores: Vec<Option<Core>> = patterns.iter().map(Core::new).collect();
        let mut modes: Vec<HsMode> = patterns
            .iter()
            .map(|p| {
                if syntax::min_match_len(&p.parsed().nodes) == 0 {
                    HsMode::EveryLine
                } else {
                    HsMode::Direct
                }
            })
            .collect();
        if try_teddy {
            if let Some(finder) = with_teddy(&mut cores, &modes) {
                return Ok(finder);
            }
        }
        // Compile the whole set; when Hyperscan names a pattern it cannot
        // take, move that pattern to its next looser mode and try again. Each
        // round moves one pattern one step, so this ends.
        loop {
            let expressions: Vec<Expression> = patterns
                .iter()
                .zip(&modes)
                .enumerate()
                .filter_map(|(i, (p, &mode))| expression(p, i, mode, cores[i].as_ref()))
                .collect();
            if expressions.is_empty() {
                return Ok(HyperscanFinder {
                    database: None,
                    teddy: None,
                    scratch: Mutex::new(Vec::new()),
                    modes,
                    checks: Vec::new(),
                });
            }
            match Database::compile(&expressions) {
                Ok(database) => {
                    // Only patterns held by their core need the check; the
                    // others' database form is already the tight superset.
                    let checks = cores
                        .into_iter()
                        .zip(&modes)
                        .map(|(core, &mode)| core.filter(|_| mode == HsMode::Direct))
                        .map(|core| core.map(|c| c.check))
                        .collect();
                    return Ok(HyperscanFinder {
                        database: Some(database),
                        teddy: None,
                        scratch: Mutex::new(Vec::new()),
                        modes,
                        checks,
                    });
                }
                Err(e) => {
                    let Some(at) = e.expression else {
                        return Err(MatcherError::Hyperscan(e.message));
                    };
                    let index = expressions[at].id as usize;
                    // A refused core falls back to the tight superset first
                    // (a plain literal should never be refused, but the
                    // fallback costs nothing); then the looser modes.
                    if cores[index].take().is_none() {
                        modes[index] = match modes[index] {
                            HsMode::Direct => HsMode::Prefilter,
                            HsMode::Prefilter | HsMode::EveryLine => HsMode::EveryLine,
                        };
                    }
                }
            }
        }
    }

    pub fn modes(&self) -> &[HsMode] {
        &self.modes
    }

    /// Each pattern's mode by name, with `core` for a direct pattern that
    /// the database holds by its literal core (see the module docs).
    pub fn mode_names(&self) -> Vec<&'static str> {
        self.modes
            .iter()
            .enumerate()
            .map(|(i, mode)| match self.checks.get(i) {
                Some(Some(_)) => "core",
                _ => mode.name(),
            })
            .collect()
    }

    /// Appends `(line, pattern index)` candidates of `text` to `out`, sorted
    /// by line and then pattern, without duplicates, and returns the number
    /// of lines in `text`. Patterns in [`HsMode::EveryLine`] are not
    /// included: the caller adds them.
    pub fn candidates(&self, text: &str, out: &mut Vec<Candidate>) -> Result<usize, MatcherError> {
        if self.database.is_none() && self.teddy.is_none() {
            return Ok(LineLocator::new(text).total_lines());
        }
        let mut scratch = self.take_scratch()?;
        let mut raw = Vec::new();
        let result = self.raw_matches(&mut scratch, text, &mut raw).map(|()| {
            if scratch.scans.is_multiple_of(RESAMPLE_EVERY) {
                scratch.tallies.fill(CheckTally::default());
            }
            scratch.scans = scratch.scans.wrapping_add(1);
            self.keep_candidates(text, &raw, &mut scratch.checks, &mut scratch.tallies, out)
        });
        self.scratch.lock().map(|mut pool| pool.push(scratch)).ok();
        result
    }

    /// Every raw match in `text` of the database or of Teddy, whichever the
    /// finder has: in order of their ends from Hyperscan, of their starts
    /// from Teddy (see [`CoreTeddy::scan`]).
    fn raw_matches(
        &self,
        scratch: &mut ScanScratch,
        text: &str,
        out: &mut Vec<RawMatch>,
    ) -> Result<(), MatcherError> {
        if let Some(teddy) = &self.teddy {
            teddy.scan(text.as_bytes(), out);
            return Ok(());
        }
        match (&self.database, &mut scratch.hyperscan) {
            (Some(database), Some(hyperscan)) => scan_in_pieces(database, hyperscan, text, out),
            _ => Ok(()),
        }
    }

    /// The candidates of [`HyperscanFinder::candidates`] from the `raw`
    /// matches in `text` (Hyperscan's or Teddy's, see
    /// [`HyperscanFinder::raw_matches`]).
    fn keep_candidates(
        &self,
        text: &str,
        raw: &[RawMatch],
        caches: &mut [Option<CheckCache>],
        tallies: &mut [CheckTally],
        out: &mut Vec<Candidate>,
    ) -> usize {
        let mut sorted = Vec::new();
        // Hyperscan reports in order of end offset, Teddy nearly so; sort
        // only if that does not hold, since the locator needs
        // non-decreasing positions.
        let raw = if raw.windows(2).all(|w| w[0].end <= w[1].end) {
            raw
        } else {
            sorted.extend_from_slice(raw);
            sorted.sort_unstable();
            &sorted
        };
        let first_new = out.len();
        let mut locator = LineLocator::new(text);
        let bytes = text.as_bytes();
        for m in raw {
            // `end` is one past the match's last byte. A match ending right
            // after a `\n` either spans lines (no line-local match ends
            // there) or is empty at the start of the next line, so it belongs
            // to the line starting at `end`; any other match belongs to the
            // line holding its last byte.
            let end = m.end as usize;
            let after_newline = end > 0 && bytes[end - 1] == b'\n';
            if after_newline && end == bytes.len() {
                continue; // empty match after the final newline: no line there
            }
            let (start, line_end) = locator.span(if after_newline {
                end
            } else {
                end.saturating_sub(1)
            });
            let pattern = m.id as usize;
            // Matches of one line arrive together; look back only within it.
            let seen = out[first_new..]
                .iter()
                .rev()
                .take_while(|c| c.line.start == start)
                .any(|c| c.pattern == pattern);
            // A core match must pass its check (see the module docs), while
            // the check still earns its keep in this scan.
            let mut checked = || match (self.checks.get(pattern), caches.get_mut(pattern)) {
                (Some(Some(check)), Some(Some(cache))) => {
                    check.passes(cache, &mut tallies[pattern], text, start..line_end, end)
                }
                _ => true,
            };
            if !seen && checked() {
                let line = Line {
                    index: locator.index(),
                    start,
                    end: line_end,
                };
                out.push(Candidate { line, pattern });
            }
        }
        out[first_new..].sort_unstable_by_key(|c| (c.line.index, c.pattern));
        locator.total_lines()
    }

    /// The bare Hyperscan pass over `text`: how many raw matches it reports.
    /// This is the physical limit the benchmarks compare the full scan with.
    pub fn raw_scan(&self, text: &str) -> Result<usize, MatcherError> {
        let mut scratch = self.take_scratch()?;
        let mut raw = Vec::new();
        let result = self.raw_matches(&mut scratch, text, &mut raw);
        self.scratch.lock().map(|mut pool| pool.push(scratch)).ok();
        result?;
        Ok(raw.len())
    }

    /// Indexes of the patterns whose matches somewhere in `text` are possible.
    pub fn patterns_anywhere(&self, text: &str) -> Result<Vec<usize>, MatcherError> {
        if self.database.is_none() && self.teddy.is_none() {
            return Ok(Vec::new());
        }
        // Scanned as a terminated line, as in a chunk: Hyperscan reports no
        // match at all in an empty buffer, not even an empty one.
        let mut line = String::with_capacity(text.len() + 1);
        line.push_str(text);
        line.push('\n');
        let mut scratch = self.take_scratch()?;
        let mut raw = Vec::new();
        let result = self.raw_matches(&mut scratch, &line, &mut raw);
        // A single line gets the core checks a chunk's lines get. A record
        // of several lines does not: a match of the exact pattern may span
        // its lines there, which the checks do not allow for.
        let single_line = !text.contains('\n');
        let mut ids: Vec<usize> = raw
            .iter()
            .filter(|m| {
                let pattern = m.id as usize;
                !single_line
                    || match (self.checks.get(pattern), scratch.checks.get_mut(pattern)) {
                        (Some(Some(check)), Some(Some(cache))) => {
                            let end = m.end as usize;
                            let mut tally = CheckTally::unsampled();
                            check.passes(cache, &mut tally, &line, 0..text.len(), end)
                        }
                        _ => true,
                    }
            })
            .map(|m| m.id as usize)
            .collect();
        self.scratch.lock().map(|mut pool| pool.push(scratch)).ok();
        result?;
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    fn take_scratch(&self) -> Result<ScanScratch, MatcherError> {
        if let Some(s) = self.scratch.lock().ok().and_then(|mut pool| pool.pop()) {
            return Ok(s);
        }
        let hyperscan = self
            .database
            .as_ref()
            .map(Scratch::new)
            .transpose()
            .map_err(|e| MatcherError::Hyperscan(e.to_string()))?;
        let checks = self
            .checks
            .iter()
            .map(|check| check.as_ref().map(CoreCheck::cache))
            .collect();
        Ok(ScanScratch {
            hyperscan,
            checks,
            tallies: vec![CheckTally::default(); self.checks.len()],
            scans: 0,
        })
    }
}

/// The finder that searches the cores with Teddy, when every pattern not
/// left to the exact engine has a core and Teddy takes them all (see
/// `core_teddy`); else `None`, and `cores` is left as it was.
fn with_teddy(cores: &mut [Option<Core>], modes: &[HsMode]) -> Option<HyperscanFinder> {
    let mut literal = Vec::new();
    for (i, _) in modes
        .iter()
        .enumerate()
        .filter(|(_, &m)| m != HsMode::EveryLine)
    {
        literal.push((i, &cores[i].as_ref()?.syntax));
    }
    let teddy = CoreTeddy::new(&literal)?;
    let checks = cores
        .iter_mut()
        .zip(modes)
        .map(|(core, &mode)| core.take().filter(|_| mode != HsMode::EveryLine))
        .map(|core| core.map(|c| c.check))
        .collect();
    Some(HyperscanFinder {
        database: None,
        teddy: Some(teddy),
        scratch: Mutex::new(Vec::new()),
        modes: modes.to_vec(),
        checks,
    })
}

/// The expression for pattern `index` in `mode`, or `None` for every-line:
/// its literal core when it has one (direct mode only), else its superset.
fn expression(
    pattern: &ExactPattern,
    index: usize,
    mode: HsMode,
    core: Option<&Core>,
) -> Option<Expression> {
    if mode == HsMode::EveryLine {
        return None;
    }
    let source = match core {
        Some(core) if mode == HsMode::Direct => core.syntax.literal.clone(),
        _ => syntax::to_superset(pattern.parsed(), SupersetFor::Hyperscan),
    };
    Some(Expression {
        pattern: source,
        id: u32::try_from(index).ok()?,
        flags: Flags {
            multiline: true,
            prefilter: mode == HsMode::Prefilter,
            ..Flags::default()
        },
    })
}

/// Scans `text` in pieces of at most [`MAX_SCAN`] bytes cut after a `\n`,
/// with offsets reported relative to the whole text.
fn scan_in_pieces(
    database: &Database,
    scratch: &mut Scratch,
    text: &str,
    out: &mut Vec<RawMatch>,
) -> Result<(), MatcherError> {
    let bytes = text.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        let mut end = (start + MAX_SCAN).min(bytes.len());
        if end < bytes.len() {
            // Cut after the last newline of the piece when there is one.
            if let Some(i) = memchr::memrchr(b'\n', &bytes[start..end]) {
                end = start + i + 1;
            }
        }
        let before = out.len();
        database
            .scan(scratch, &bytes[start..end], out)
            .map_err(|e| MatcherError::Hyperscan(e.to_string()))?;
        for m in &mut out[before..] {
            m.end += start as u64;
        }
        start = end;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finder(patterns: &[&str]) -> (HyperscanFinder, Vec<ExactPattern>) {
        let exact: Vec<ExactPattern> = patterns
            .iter()
            .map(|p| ExactPattern::compile(p, false).unwrap())
            .collect();
        (HyperscanFinder::new(&exact).unwrap(), exact)
    }

    /// `(line, pattern)` of every candidate of `text`.
    fn candidates(f: &HyperscanFinder, text: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        f.candidates(text, &mut out).unwrap();
        out.iter().map(|c| (c.line.index, c.pattern)).collect()
    }

    /// `(line, pattern)` of every true match, line by line with PCRE2.
    fn truth(exact: &[ExactPattern], text: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (i, line) in text.lines().enumerate() {
            for (p, e) in exact.iter().enumerate() {
                if e.matches(line, &mut e.locations()).unwrap() {
                    out.push((i, p));
                }
            }
        }
        out
    }

    const SSHD_LIKE: &[&str] = &[
        // Core `Failed (?:password|publickey) for `; the address and the end
        // anchor are left to the check.
        r"(?:sshd\[\d+\]: )?Failed (?:password|publickey) for (?P<user>\S+) from (?P<host>[\d.]+)$",
        // Core `Accepted `; the check's `$` right after the address rejects
        // the usual `... port 22 ssh2` lines.
        r"^(?:\S+ )?Accepted \w+ for (?P<user>\S+) from (?P<host>[\d.]+)\s?$",
        // Case-insensitive core; a back-reference after it.
        r"(?i)(?P<u>\w+) LOGGED in as (?P=u)!",
    ];

    #[test]
    fn literal_cores_hold_the_patterns() {
        let (f, _) = finder(SSHD_LIKE);
        assert_eq!(f.modes(), [HsMode::Direct; 3]);
        assert_eq!(f.mode_names(), ["core"; 3]);
        assert!(f.checks.iter().all(Option::is_some));
        // A caseless core keeps the set in Hyperscan.
        assert!(f.teddy.is_none() && f.database.is_some());
    }

    #[test]
    fn teddy_takes_case_sensitive_cores_and_finds_what_hyperscan_finds() {
        let patterns = [
            SSHD_LIKE[0],
            SSHD_LIKE[1],
            r"\d+ (?:one|three) end$",
            "^z*$",
        ];
        let exact: Vec<ExactPattern> = patterns
            .iter()
            .map(|p| ExactPattern::compile(p, false).unwrap())
            .collect();
        let teddy = HyperscanFinder::new(&exact).unwrap();
        let hyperscan = HyperscanFinder::with_hyperscan_cores(&exact).unwrap();
        assert!(teddy.teddy.is_some() && teddy.database.is_none());
        assert!(hyperscan.teddy.is_none() && hyperscan.database.is_some());
        // The empty-matching pattern stays with the exact engine either way.
        assert_eq!(teddy.mode_names(), ["core", "core", "core", "every-line"]);
        assert_eq!(teddy.mode_names(), hyperscan.mode_names());
        let text = "\
h sshd[1]: Failed password for root from 1.2.3.4\n\
Failed Failed password for x from 1.2.3.4\n\
h Accepted password for bob from 1.1.1.1 port 22 ssh2\n\
h Accepted password for bob from 1.1.1.1\n\
12 three end\n\
1 one end 2\n\
\n\
Failed password for\n\
from 1.2.3.4\n";
        let found = candidates(&teddy, text);
        assert_eq!(found, candidates(&hyperscan, text));
        assert_eq!(found, [(0, 0), (1, 0), (3, 1), (4, 2)]);
        assert_eq!(teddy.patterns_anywhere("1 one end").unwrap(), [2]);
        assert_eq!(
            teddy.raw_scan(text).unwrap(),
            hyperscan.raw_scan(text).unwrap()
        );
    }

    #[test]
    fn every_matching_line_is_a_candidate() {
        let (f, exact) = finder(SSHD_LIKE);
        let text = "\
h sshd[1]: Failed password for root from 1.2.3.4\n\
h sshd[1]: Failed password for root from 1.2.3.4 port 22\n\
Failed publickey for x from 5.6.7.8\n\
h Accepted password for bob from 1.1.1.1 port 22 ssh2\n\
h Accepted password for bob from 1.1.1.1 \n\
Failed password for Failed password for a from 9.9.9.9\n\
ééé Failed password for é from 1.2.3.4\n\
bob logged IN as bob!\n\
bob logged in as alice!\n\
Failed password for\n\
from 1.2.3.4\n";
        let truth = truth(&exact, text);
        assert_eq!(
            truth,
            [(0, 0), (2, 0), (4, 1), (5, 0), (6, 0), (7, 2)],
            "the exact engine's answers this test relies on"
        );
        let found = candidates(&f, text);
        for t in &truth {
            assert!(found.contains(t), "{t:?} missing from {found:?}");
        }
        // Line 5 matches from its second core match on: the first one fails
        // its check, the second passes. Line 8 passes its check (which
        // reads the back-reference as any text), so it is a candidate that
        // the exact engine rejects. The checks drop the lines whose core
        // match cannot start a match: a port after the address (lines 1 and
        // 3), and a match split over two lines (9 and 10).
        assert!(found.contains(&(8, 2)), "{found:?}");
        assert!(!found.contains(&(1, 0)), "{found:?}");
        assert!(!found.contains(&(3, 1)), "{found:?}");
        assert!(!found.iter().any(|&(line, _)| line >= 9), "{found:?}");
    }

    #[test]
    fn checks_that_always_pass_retire_and_results_stay_exact() {
        let (f, exact) = finder(SSHD_LIKE);
        let passing = "h sshd[1]: Failed password for root from 1.2.3.4\n";
        let failing = "h sshd[1]: Failed password for root from 1.2.3.4 port 22\n";
        let sample = CHECK_SAMPLE as usize;
        // Early failing lines are dropped by the check; once the check has
        // passed nine in ten of its first runs, later core hits all become
        // candidates; the exact engine still finds the same matches.
        // (a sixteenth of the sample fails: nine in ten pass)
        let early = sample / 16;
        let mut text = failing.repeat(early);
        text += &passing.repeat(sample);
        text += &failing.repeat(5);
        let found = candidates(&f, &text);
        assert!(!found.contains(&(0, 0)), "a check still running rejects");
        assert!(
            found.contains(&(early + sample, 0)),
            "a retired check admits"
        );
        let confirmed: Vec<_> = found
            .iter()
            .filter(|&&(line, p)| {
                let line_text = text.lines().nth(line).unwrap();
                exact[p]
                    .matches(line_text, &mut exact[p].locations())
                    .unwrap()
            })
            .copied()
            .collect();
        assert_eq!(confirmed, truth(&exact, &text));
    }

    #[test]
    fn what_the_checks_learnt_carries_over_scans_until_they_sample_again() {
        let (f, exact) = finder(SSHD_LIKE);
        let passing = "h sshd[1]: Failed password for root from 1.2.3.4\n";
        let failing = "h sshd[1]: Failed password for root from 1.2.3.4 port 22\n";
        assert!(truth(&exact, failing).is_empty());
        // (one scan at a time: each takes the scratch the one before left)
        assert!(candidates(&f, failing).is_empty(), "a fresh check rejects");
        candidates(&f, &passing.repeat(CHECK_SAMPLE as usize));
        assert_eq!(
            candidates(&f, failing),
            [(0, 0)],
            "retired in a scan before"
        );
        for _ in 3..RESAMPLE_EVERY {
            candidates(&f, "x\n");
        }
        assert!(candidates(&f, failing).is_empty(), "sampling again");
    }

    #[test]
    fn checks_that_reject_keep_running() {
        let (f, _) = finder(SSHD_LIKE);
        let failing = "h Accepted password for bob from 1.1.1.1 port 22 ssh2\n";
        let text = failing.repeat(2 * CHECK_SAMPLE as usize);
        assert!(candidates(&f, &text).is_empty());
    }

    #[test]
    fn single_line_records_get_the_checks_too() {
        let (f, _) = finder(SSHD_LIKE);
        let hit = "h sshd[1]: Failed password for root from 1.2.3.4";
        assert_eq!(f.patterns_anywhere(hit).unwrap(), [0]);
        let miss = "h Accepted password for bob from 1.1.1.1 port 22 ssh2";
        assert!(f.patterns_anywhere(miss).unwrap().is_empty());
        // Several lines: a match may span them, so no check applies and the
        // core alone makes the pattern a candidate.
        let split = "Failed password for root from 1.2.3.4 port 22\nx";
        assert_eq!(f.patterns_anywhere(split).unwrap(), [0]);
    }
}
