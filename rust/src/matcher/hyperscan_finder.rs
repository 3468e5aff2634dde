//! Candidate lines from one Hyperscan pass over a whole chunk.
//!
//! Every pattern is compiled as a superset of itself (see
//! [`crate::syntax::to_superset`]) into one multi-line, byte-mode database.
//! Hyperscan reports every offset where some pattern's match ends; the line
//! holding that offset is a candidate for that pattern. Because a true match
//! inside a line is also a Hyperscan match ending inside that line, no
//! matching line is ever missed; matches spanning lines only add candidates
//! that the exact engine then rejects.

use std::sync::Mutex;

use crate::exact::ExactPattern;
use crate::hyperscan::{self, Database, Expression, Flags, RawMatch, Scratch};
use crate::syntax::{self, SupersetFor};

use super::chunk::LineLocator;
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
    /// `None` when every pattern is in [`HsMode::EveryLine`].
    database: Option<Database>,
    scratch: Mutex<Vec<Scratch>>,
    modes: Vec<HsMode>,
}

impl HyperscanFinder {
    pub fn new(patterns: &[ExactPattern]) -> Result<HyperscanFinder, MatcherError> {
        if !hyperscan::platform_supported() {
            return Err(MatcherError::Unsupported(
                "this CPU cannot run Hyperscan (SSSE3 is required)".into(),
            ));
        }
        // A pattern that can match an empty string goes to the exact engine
        // on every line: Vectorscan accepts some of them (`^a*$` cannot match
        // an empty buffer) yet misses some of their empty matches (an empty
        // line after `1\n111111éééé\n`, found by the engines-agree test).
        let mut modes: Vec<HsMode> = patterns
            .iter()
            .map(|p| {
                if can_match_empty(&p.parsed().nodes) {
                    HsMode::EveryLine
                } else {
                    HsMode::Direct
                }
            })
            .collect();
        // Compile the whole set; when Hyperscan names a pattern it cannot
        // take, move that pattern to its next looser mode and try again. Each
        // round moves one pattern one step, so this ends.
        loop {
            let expressions: Vec<Expression> = patterns
                .iter()
                .zip(&modes)
                .enumerate()
                .filter_map(|(i, (p, &mode))| expression(p, i, mode))
                .collect();
            if expressions.is_empty() {
                return Ok(HyperscanFinder {
                    database: None,
                    scratch: Mutex::new(Vec::new()),
                    modes,
                });
            }
            match Database::compile(&expressions) {
                Ok(database) => {
                    return Ok(HyperscanFinder {
                        database: Some(database),
                        scratch: Mutex::new(Vec::new()),
                        modes,
                    })
                }
                Err(e) => {
                    let Some(at) = e.expression else {
                        return Err(MatcherError::Hyperscan(e.message));
                    };
                    let index = expressions[at].id as usize;
                    modes[index] = match modes[index] {
                        HsMode::Direct => HsMode::Prefilter,
                        HsMode::Prefilter | HsMode::EveryLine => HsMode::EveryLine,
                    };
                }
            }
        }
    }

    pub fn modes(&self) -> &[HsMode] {
        &self.modes
    }

    /// Appends `(line, pattern index)` candidates of `text` to `out`, sorted
    /// by line and then pattern, without duplicates. Patterns in
    /// [`HsMode::EveryLine`] are not included: the caller adds them.
    pub fn candidates(&self, text: &str, out: &mut Vec<Candidate>) -> Result<(), MatcherError> {
        let Some(database) = &self.database else {
            return Ok(());
        };
        let mut scratch = self.take_scratch(database)?;
        let mut raw = Vec::new();
        let result = scan_in_pieces(database, &mut scratch, text, &mut raw);
        self.scratch.lock().map(|mut pool| pool.push(scratch)).ok();
        result?;

        // Hyperscan reports in order of end offset; sort only if that ever
        // does not hold, since the locator needs non-decreasing positions.
        if !raw.windows(2).all(|w| w[0].end <= w[1].end) {
            raw.sort_unstable();
        }
        let first_new = out.len();
        let mut locator = LineLocator::new(text);
        let bytes = text.as_bytes();
        for m in &raw {
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
            let line = locator.locate(if after_newline {
                end
            } else {
                end.saturating_sub(1)
            });
            let candidate = Candidate {
                line,
                pattern: m.id as usize,
            };
            // Matches of one line arrive together; look back only within it.
            let seen = out[first_new..]
                .iter()
                .rev()
                .take_while(|c| c.line.index == line.index)
                .any(|c| c.pattern == candidate.pattern);
            if !seen {
                out.push(candidate);
            }
        }
        out[first_new..].sort_unstable_by_key(|c| (c.line.index, c.pattern));
        Ok(())
    }

    /// The bare Hyperscan pass over `text`: how many raw matches it reports.
    /// This is the physical limit the benchmarks compare the full scan with.
    pub fn raw_scan(&self, text: &str) -> Result<usize, MatcherError> {
        let Some(database) = &self.database else {
            return Ok(0);
        };
        let mut scratch = self.take_scratch(database)?;
        let mut raw = Vec::new();
        let result = scan_in_pieces(database, &mut scratch, text, &mut raw);
        self.scratch.lock().map(|mut pool| pool.push(scratch)).ok();
        result?;
        Ok(raw.len())
    }

    /// Indexes of the patterns whose matches somewhere in `text` are possible.
    pub fn patterns_anywhere(&self, text: &str) -> Result<Vec<usize>, MatcherError> {
        let Some(database) = &self.database else {
            return Ok(Vec::new());
        };
        // Scanned as a terminated line, as in a chunk: Hyperscan reports no
        // match at all in an empty buffer, not even an empty one.
        let mut line = String::with_capacity(text.len() + 1);
        line.push_str(text);
        line.push('\n');
        let mut scratch = self.take_scratch(database)?;
        let mut raw = Vec::new();
        let result = scan_in_pieces(database, &mut scratch, &line, &mut raw);
        self.scratch.lock().map(|mut pool| pool.push(scratch)).ok();
        result?;
        let mut ids: Vec<usize> = raw.iter().map(|m| m.id as usize).collect();
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    fn take_scratch(&self, database: &Database) -> Result<Scratch, MatcherError> {
        if let Some(s) = self.scratch.lock().ok().and_then(|mut pool| pool.pop()) {
            return Ok(s);
        }
        Scratch::new(database).map_err(|e| MatcherError::Hyperscan(e.to_string()))
    }
}

/// Whether a sequence of nodes (with `|` alternatives) can match the empty
/// string somewhere: assertions are taken as satisfiable, so this errs on
/// the side of `true`.
fn can_match_empty(nodes: &[syntax::Node]) -> bool {
    nodes
        .split(|n| matches!(n, syntax::Node::Alternation))
        .any(sequence_can_be_empty)
}

fn sequence_can_be_empty(nodes: &[syntax::Node]) -> bool {
    use syntax::{GroupKind, Node};
    let mut i = 0;
    while i < nodes.len() {
        let atom_empty = match &nodes[i] {
            Node::Char(_) | Node::Shorthand(_) | Node::Class(_) | Node::Dot => false,
            Node::LineStart
            | Node::LineEnd
            | Node::TextStart
            | Node::TextEnd
            | Node::WordBoundary(_)
            | Node::Backref(_)
            | Node::Alternation
            | Node::Repeat(_) => true,
            Node::Group(g) => match g.kind {
                GroupKind::Look { .. } | GroupKind::Conditional(_) => true,
                _ => can_match_empty(&g.body),
            },
        };
        i += 1;
        // Quantifiers follow their atom; one with a zero minimum makes it
        // optional.
        let mut optional = false;
        while let Some(Node::Repeat(q)) = nodes.get(i) {
            optional |= q.min == 0;
            i += 1;
        }
        if !(atom_empty || optional) {
            return false;
        }
    }
    true
}

/// The expression for pattern `index` in `mode`, or `None` for every-line.
fn expression(pattern: &ExactPattern, index: usize, mode: HsMode) -> Option<Expression> {
    if mode == HsMode::EveryLine {
        return None;
    }
    Some(Expression {
        pattern: syntax::to_superset(pattern.parsed(), SupersetFor::Hyperscan),
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
