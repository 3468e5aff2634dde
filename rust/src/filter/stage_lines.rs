//! The lines a chunk's stage processes, each found and decoded once.
//!
//! The regex tool makes three passes over a chunk's candidate lines: their
//! dates, their regexes (on the main thread while the worker is busy, see
//! the `evaluate` module), then the run that finishes them on the worker.
//! Each pass used to find every line's end in the chunk and check its
//! UTF-8 again (perf put UTF-8 checks and `\n` searches at about 7% of
//! both threads' time on the 5% auth log). [`StageLines`] does both once
//! and keeps the lines' text in one buffer (a copy of about a third of the
//! chunk there) that every pass reads: 0.178 -> 0.174 s on that log. (One
//! UTF-8 check of the whole buffer instead of one per line measured the
//! same.)

use std::borrow::Cow;
use std::ops::Range;

use super::FilterShape;
use crate::matcher::LineReport;

/// A scan hit: `(line, offset of the line in the chunk, scan id)`.
pub type Hit = (usize, usize, u32);

/// Chunk bytes per scan hit at or below which [`StageLines::new`] checks the
/// whole chunk's UTF-8 once rather than each candidate line's.
const DENSE_BYTES_PER_HIT: usize = 1024;

/// The lines of one chunk that its stage processes, in line order.
pub struct StageLines {
    /// Lines in the chunk.
    pub(super) chunk_lines: usize,
    /// The scan hit its match limit, so every line is a stage line.
    pub(super) scan_limit_hit: bool,
    /// Every stage line's text, one after the other.
    text: String,
    lines: Vec<StageLine>,
    /// Every stage line's scan hits, one line's after the other.
    hits: Vec<Hit>,
}

struct StageLine {
    /// 0-based line number in the chunk.
    line: usize,
    text: Range<usize>,
    hits: Range<usize>,
}

impl StageLines {
    /// The lines of `data` that `scan` holds hits on: each one's text
    /// without its line end (invalid UTF-8 replaced, as fail2ban decodes
    /// it; a trailing `\r` dropped), comment and empty lines left out when
    /// the filter skips them.
    pub(super) fn new(
        data: &[u8],
        scan: &LineReport,
        shape: &FilterShape,
        scan_limit_hit: bool,
    ) -> StageLines {
        let mut text = String::new();
        let mut lines = Vec::new();
        let mut hits = Vec::with_capacity(scan.matches.len());
        // One check of the whole chunk when its candidates are dense: on
        // lines of log length, a check of each line is mostly the call's
        // own cost (about 35 ns a line in the regex tool, 6% of its main
        // thread at 5% attack lines; perf), where the whole chunk takes
        // about 26 ns a KiB (2.6 ms per 100 MB). A line of a valid chunk is
        // valid. Sparse candidates (one filter's of many in one pass) and a
        // chunk that is not valid are checked line by line.
        let dense = scan.matches.len() >= data.len() / DENSE_BYTES_PER_HIT;
        let whole = dense
            .then(|| simdutf8::basic::from_utf8(data).ok())
            .flatten();
        let mut rest = scan.matches.as_slice();
        while let Some(&(line, start, _)) = rest.first() {
            let same = rest.iter().take_while(|m| m.0 == line).count();
            let (line_hits, tail) = rest.split_at(same);
            rest = tail;
            let raw = data.get(start..).unwrap_or_default();
            let end = memchr::memchr(b'\n', raw).map_or(raw.len(), |end| end);
            let raw = &raw[..end];
            // (a line starts after a `\n` and ends before one: at char
            // boundaries of a valid chunk)
            let in_whole = whole.and_then(|text| text.get(start..start + end));
            // (the same as from_utf8_lossy, whose check is slower on valid
            // text; simdutf8's is faster again on lines of log length)
            let decoded = match in_whole {
                Some(valid) => Cow::Borrowed(valid),
                None => match simdutf8::basic::from_utf8(raw) {
                    Ok(valid) => Cow::Borrowed(valid),
                    Err(_) => String::from_utf8_lossy(raw),
                },
            };
            let decoded = decoded.trim_end_matches('\r');
            if shape.skip_comments && (decoded.is_empty() || decoded.starts_with('#')) {
                continue;
            }
            let from = text.len();
            text.push_str(decoded);
            let first_hit = hits.len();
            hits.extend_from_slice(line_hits);
            lines.push(StageLine {
                line,
                text: from..text.len(),
                hits: first_hit..hits.len(),
            });
        }
        StageLines {
            chunk_lines: scan.lines,
            scan_limit_hit,
            text,
            lines,
            hits,
        }
    }

    /// How many lines the stage processes.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// `(line, text, hits)` of each line, in order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (usize, &str, &[Hit])> + '_ {
        self.lines.iter().map(|l| {
            (
                l.line,
                // (ranges this buffer made, at char boundaries: never empty)
                self.text.get(l.text.clone()).unwrap_or_default(),
                self.hits.get(l.hits.clone()).unwrap_or_default(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(skip_comments: bool) -> FilterShape {
        FilterShape {
            fail_count: 2,
            ignore_count: 0,
            has_prefregex: false,
            content_group: None,
            ignore_first: false,
            skip_comments,
        }
    }

    #[test]
    fn lines_are_decoded_once_with_their_hits() {
        let data = b"a\r\n# note\nb\xffc\n\nlast";
        let scan = LineReport {
            matches: vec![
                (0, 0, 0),
                (0, 0, 1),
                (1, 3, 0),
                (2, 10, 1),
                (3, 14, 0),
                (4, 15, 1),
            ],
            lines: 5,
            limit_hits: 0,
        };
        let lines = StageLines::new(data, &scan, &shape(true), false);
        let got: Vec<_> = lines
            .iter()
            .map(|(l, t, h)| (l, t.to_owned(), h.to_vec()))
            .collect();
        assert_eq!(
            got,
            [
                (0, "a".to_owned(), vec![(0, 0, 0), (0, 0, 1)]),
                (2, "b\u{fffd}c".to_owned(), vec![(2, 10, 1)]),
                (4, "last".to_owned(), vec![(4, 15, 1)]),
            ]
        );
        assert_eq!((lines.len(), lines.chunk_lines), (3, 5));
        let kept = StageLines::new(data, &scan, &shape(false), true);
        let texts: Vec<_> = kept.iter().map(|(_, t, _)| t.to_owned()).collect();
        assert_eq!(texts, ["a", "# note", "b\u{fffd}c", "", "last"]);
        assert!(kept.scan_limit_hit);
    }

    proptest::proptest! {
        /// Against the definition, line by line: the line up to its `\n`,
        /// decoded with invalid UTF-8 replaced, trailing `\r`s dropped,
        /// comment and empty lines left out.
        #[test]
        fn each_line_as_decoded_alone(
            bytes in proptest::collection::vec(
                proptest::sample::select(b"ab#\r\n\xff\xc3\xa9 ".to_vec()), 0..200),
            skip_comments: bool,
        ) {
            let mut scan = LineReport::default();
            let mut start = 0;
            for (n, line) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
                scan.matches.push((n, start, 0));
                start += line.len();
                scan.lines += 1;
            }
            let expected: Vec<(usize, String)> = bytes
                .split_inclusive(|&b| b == b'\n')
                .enumerate()
                .map(|(n, line)| {
                    let line = line.strip_suffix(b"\n").unwrap_or(line);
                    (n, String::from_utf8_lossy(line).trim_end_matches('\r').to_owned())
                })
                .filter(|(_, t)| !skip_comments || !(t.is_empty() || t.starts_with('#')))
                .collect();
            let lines = StageLines::new(&bytes, &scan, &shape(skip_comments), false);
            let got: Vec<(usize, String)> =
                lines.iter().map(|(n, t, _)| (n, t.to_owned())).collect();
            proptest::prop_assert_eq!(got, expected);
        }
    }
}
