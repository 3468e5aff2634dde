//! One pass over a log chunk for every pattern of every jail that reads it.
//!
//! A [`PatternSet`] holds many Python-syntax patterns, each with a caller's
//! id. Scanning a chunk happens in two steps:
//!
//! 1. a *candidate finder* (Hyperscan, or the `regex` crate's `RegexSet`)
//!    names, for each line, the patterns that may match it — a superset of
//!    the truth, never missing a real match;
//! 2. the *exact engine* (PCRE2) confirms each candidate and extracts its
//!    named groups.
//!
//! Only matching lines come back, as [`LineMatch`] records.

mod chunk;
mod core_check;
mod core_teddy;
mod hyperscan_finder;
mod regex_finder;
mod set;

use std::fmt;

pub use chunk::{Chunk, Line};
pub use hyperscan_finder::HsMode;
pub use set::{Engine, LineMatch, LineReport, PatternSet, RecordScratch, ScanReport};

/// A possible match: pattern `pattern` (an index into the set) on `line`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub line: Line,
    pub pattern: usize,
}

/// Why a pattern set could not be built or run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MatcherError {
    /// A pattern no engine accepts.
    Pattern(crate::exact::PatternError),
    /// The engine cannot run here or refused the set as a whole.
    Unsupported(String),
    /// Hyperscan failed at run time.
    Hyperscan(String),
}

impl fmt::Display for MatcherError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MatcherError::Pattern(e) => e.fmt(f),
            MatcherError::Unsupported(m) => write!(f, "engine unavailable: {m}"),
            MatcherError::Hyperscan(m) => write!(f, "hyperscan: {m}"),
        }
    }
}

impl std::error::Error for MatcherError {}
