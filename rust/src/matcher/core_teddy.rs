//! Literal cores searched with the `aho-corasick` crate's packed Teddy
//! instead of Hyperscan's literal matcher.
//!
//! When every pattern Hyperscan would hold is held by its literal core (see
//! the module docs of `hyperscan_finder`), the database is a plain literal
//! set, and its scan is Hyperscan's Teddy. Our Vectorscan is built without
//! its AVX2 paths (they miss matches, see the README), so that Teddy reads
//! 16 bytes per step with 8 buckets of 3-byte masks. `aho-corasick` picks
//! AVX2 at run time: 32 bytes per step, 16 buckets ("fat" Teddy) above 32
//! literals, masks of up to 4 bytes. On fail2ban's sshd cores (34
//! spellings) over the 100 MB auth log of the benchmark it takes 27 ms where
//! Hyperscan takes 77 ms.
//!
//! The searcher reports what Hyperscan would: for each pattern, every end of
//! every match of its core. A core's matches are its spellings (ASCII, no
//! `\n`), so that is every occurrence of every spelling. A leftmost-first
//! search reports one spelling per start, and the next search starts one
//! byte later, so every start is seen; the other spellings that occur at a
//! reported start are those that one of them is a prefix of, which
//! [`CoreTeddy::scan`] compares there directly.

use aho_corasick::packed::{Config, MatchKind, Searcher};
use aho_corasick::Span;

use crate::hyperscan::RawMatch;
use crate::syntax::LiteralCore;

/// The most spellings `aho-corasick` lets Teddy take (more would overwhelm
/// its buckets); a larger set stays with Hyperscan, whose FDR takes it.
const MAX_SPELLINGS: usize = 64;

pub(super) struct CoreTeddy {
    searcher: Searcher,
    /// Each distinct spelling (the searcher's pattern `i` is `spellings[i]`).
    spellings: Vec<Box<[u8]>>,
    /// For each spelling, the patterns whose core it spells.
    patterns: Vec<Box<[u32]>>,
    /// For each spelling, every spelling that can occur where it starts:
    /// itself and those it is a prefix of or that are a prefix of it, by
    /// increasing length (so ends come out in order).
    same_start: Vec<Box<[usize]>>,
}

impl CoreTeddy {
    /// A searcher for `cores` (pattern index and its core), or `None` when
    /// Teddy cannot take them: a caseless core (the packed searcher matches
    /// bytes exactly), more than [`MAX_SPELLINGS`] spellings, or a CPU
    /// without SSSE3.
    pub(super) fn new(cores: &[(usize, &LiteralCore)]) -> Option<CoreTeddy> {
        let mut spellings: Vec<Box<[u8]>> = Vec::new();
        let mut patterns: Vec<Vec<u32>> = Vec::new();
        for &(pattern, core) in cores {
            if core.caseless {
                return None;
            }
            let pattern = u32::try_from(pattern).ok()?;
            for spelling in &core.spellings {
                let bytes = spelling.as_bytes();
                let i = match spellings.iter().position(|s| **s == *bytes) {
                    Some(i) => i,
                    None => {
                        spellings.push(bytes.into());
                        patterns.push(Vec::new());
                        spellings.len() - 1
                    }
                };
                if !patterns[i].contains(&pattern) {
                    patterns[i].push(pattern);
                }
            }
        }
        if spellings.is_empty() || spellings.len() > MAX_SPELLINGS {
            return None;
        }
        let searcher = Config::new()
            .match_kind(MatchKind::LeftmostFirst)
            .builder()
            .extend(spellings.iter())
            .build()?;
        let same_start = spellings
            .iter()
            .map(|s| {
                let mut related: Vec<usize> = (0..spellings.len())
                    .filter(|&j| spellings[j].starts_with(s) || s.starts_with(&spellings[j]))
                    .collect();
                related.sort_by_key(|&j| spellings[j].len());
                related.into_boxed_slice()
            })
            .collect();
        Some(CoreTeddy {
            searcher,
            spellings,
            patterns: patterns.into_iter().map(Vec::into_boxed_slice).collect(),
            same_start,
        })
    }

    /// Appends a `RawMatch { id: pattern, end }` for every end of every
    /// match of each pattern's core in `text`, in order of the matches'
    /// starts (ends may then come out of order, but only within a line).
    pub(super) fn scan(&self, text: &[u8], out: &mut Vec<RawMatch>) {
        let mut at = 0;
        while let Some(found) = self.searcher.find_in(text, Span::from(at..text.len())) {
            let start = found.start();
            for &spelling in self.same_start[found.pattern().as_usize()].iter() {
                let bytes = &self.spellings[spelling];
                if text[start..].starts_with(bytes) {
                    let end = (start + bytes.len()) as u64;
                    out.extend(
                        self.patterns[spelling]
                            .iter()
                            .map(|&id| RawMatch { end, id }),
                    );
                }
            }
            at = start + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn core(spellings: &[&str], caseless: bool) -> LiteralCore {
        LiteralCore {
            literal: String::new(),
            check: String::new(),
            spellings: spellings.iter().map(|s| s.to_string()).collect(),
            caseless,
        }
    }

    /// `(pattern, end)` of every spelling occurrence, found naively.
    fn naive(cores: &[(usize, &LiteralCore)], text: &[u8]) -> Vec<(u32, u64)> {
        let mut out = Vec::new();
        for &(p, c) in cores {
            for start in 0..text.len() {
                let ends: std::collections::BTreeSet<usize> = c
                    .spellings
                    .iter()
                    .filter(|s| text[start..].starts_with(s.as_bytes()))
                    .map(|s| start + s.len())
                    .collect();
                out.extend(ends.into_iter().map(|e| (p as u32, e as u64)));
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    fn found(teddy: &CoreTeddy, text: &[u8]) -> Vec<(u32, u64)> {
        let mut raw = Vec::new();
        teddy.scan(text, &mut raw);
        let mut out: Vec<_> = raw.iter().map(|m| (m.id, m.end)).collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    #[test]
    fn reports_every_end_of_overlapping_and_shared_spellings() {
        let failed = core(&["Failed ", "Failed publickey for invalid user "], false);
        let invalid = core(&["invalid user ", "Invalid user "], false);
        // Two patterns sharing a spelling; spellings overlapping each other
        // and themselves.
        let failed_again = core(&["Failed "], false);
        let aa = core(&["aa", "aaa"], false);
        let cores = [(0, &failed), (1, &invalid), (2, &failed_again), (3, &aa)];
        let teddy = CoreTeddy::new(&cores).expect("Teddy runs on x86-64 with SSSE3");
        let text = b"x Failed publickey for invalid user root\nFailed Failed \naaaa a\n";
        let expected = naive(&cores, text);
        assert!(expected.contains(&(1, 36)) && expected.contains(&(0, 36)));
        assert_eq!(found(&teddy, text), expected);
    }

    #[test]
    fn matches_arrive_in_line_order() {
        let a = core(&["Failed publickey for invalid user "], false);
        let b = core(&["key"], false);
        let c = core(&["Failed "], false);
        let teddy = CoreTeddy::new(&[(0, &a), (1, &b), (2, &c)]).unwrap();
        let text = b"Failed publickey for invalid user x\nkey\nFailed \n";
        let mut raw = Vec::new();
        teddy.scan(text, &mut raw);
        let lines: Vec<usize> = raw
            .iter()
            .map(|m| {
                text[..m.end as usize]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count()
            })
            .collect();
        assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{lines:?}");
        assert_eq!(raw.len(), 5);
    }

    #[test]
    fn declines_what_teddy_cannot_take() {
        let caseless = core(&["failed"], true);
        assert!(CoreTeddy::new(&[(0, &caseless)]).is_none());
        let many: Vec<String> = (0..=MAX_SPELLINGS).map(|i| format!("word{i:03}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let too_many = core(&many, false);
        assert!(CoreTeddy::new(&[(0, &too_many)]).is_none());
        assert!(CoreTeddy::new(&[]).is_none());
    }

    proptest::proptest! {
        /// Against the naive search, on texts over a small alphabet so that
        /// spellings overlap, nest and repeat.
        #[test]
        fn same_ends_as_the_naive_search(
            spellings in proptest::collection::vec("[ab\n ]{1,5}", 1..12),
            text in "[ab\n ]{0,300}",
        ) {
            let spellings: Vec<String> =
                spellings.into_iter().filter(|s| !s.contains('\n')).collect();
            proptest::prop_assume!(!spellings.is_empty());
            // Three patterns over overlapping slices of the spellings.
            let thirds: Vec<LiteralCore> = (0..3)
                .map(|k| {
                    let mine: Vec<&str> = spellings
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| i % 3 != k)
                        .map(|(_, s)| s.as_str())
                        .collect();
                    core(&mine, false)
                })
                .filter(|c| !c.spellings.is_empty())
                .collect();
            let cores: Vec<(usize, &LiteralCore)> = thirds.iter().enumerate().collect();
            let teddy = CoreTeddy::new(&cores).unwrap();
            proptest::prop_assert_eq!(found(&teddy, text.as_bytes()), naive(&cores, text.as_bytes()));
        }
    }
}
