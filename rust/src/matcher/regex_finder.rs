//! Candidate lines from the `regex` crate's `RegexSet`, line by line.
//!
//! The benchmarkable alternative to Hyperscan: same supersets, same contract
//! (never miss a matching line), different automaton.

use regex::{RegexSet, RegexSetBuilder};

use crate::exact::ExactPattern;
use crate::syntax::{self, SupersetFor};

use super::chunk::Line;
use super::{Candidate, MatcherError};

/// Keeps a huge Unicode-heavy set from exhausting memory; a set over this
/// size falls back to per-pattern checks (see `every_line`).
const SIZE_LIMIT: usize = 256 << 20;

pub struct RegexFinder {
    set: Option<RegexSet>,
    /// Index in the pattern list of each member of `set`.
    members: Vec<usize>,
    /// Patterns the set could not hold: tried on every line.
    every_line: Vec<usize>,
}

impl RegexFinder {
    pub fn new(patterns: &[ExactPattern]) -> Result<RegexFinder, MatcherError> {
        let mut members = Vec::new();
        let mut sources = Vec::new();
        let mut every_line = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            let superset = syntax::to_superset(p.parsed(), SupersetFor::RustRegex);
            // Validate one by one so a single refusal does not sink the set.
            if regex::RegexBuilder::new(&superset)
                .size_limit(SIZE_LIMIT)
                .build()
                .is_ok()
            {
                members.push(i);
                sources.push(superset);
            } else {
                every_line.push(i);
            }
        }
        let set = if sources.is_empty() {
            None
        } else {
            Some(
                RegexSetBuilder::new(&sources)
                    .size_limit(SIZE_LIMIT)
                    .build()
                    .map_err(|e| MatcherError::Unsupported(e.to_string()))?,
            )
        };
        Ok(RegexFinder {
            set,
            members,
            every_line,
        })
    }

    pub fn every_line(&self) -> &[usize] {
        &self.every_line
    }

    /// Appends the candidates of one line, in pattern order, excluding the
    /// every-line patterns (the caller adds them).
    pub fn candidates(&self, text: &str, line: Line, out: &mut Vec<Candidate>) {
        let Some(set) = &self.set else { return };
        for member in set.matches(&text[line.start..line.end]).iter() {
            out.push(Candidate {
                line,
                pattern: self.members[member],
            });
        }
    }
}
