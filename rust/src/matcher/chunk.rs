//! A log chunk made ready for matching: valid UTF-8, one line per `\n`, no
//! `\r` before a `\n`.
//!
//! Hyperscan's UTF-8 mode is undefined on invalid UTF-8, and fail2ban decodes
//! a bad line with replacement characters, so invalid sequences become U+FFFD
//! here too. The common case (valid UTF-8, `\n` endings) borrows the caller's
//! bytes and copies nothing.

use std::borrow::Cow;

use memchr::{memchr, memchr_iter};

/// The text of a chunk plus what is needed to point back into the original.
pub struct Chunk<'a> {
    text: Cow<'a, str>,
    /// Byte offset in the original of each line's start, kept only when the
    /// text had to be rewritten (so offsets in `text` no longer match).
    original_starts: Option<Vec<usize>>,
}

impl<'a> Chunk<'a> {
    pub fn new(bytes: &'a [u8]) -> Chunk<'a> {
        if memchr(b'\r', bytes).is_none() {
            if let Ok(text) = simdutf8::basic::from_utf8(bytes) {
                return Chunk {
                    text: Cow::Borrowed(text),
                    original_starts: None,
                };
            }
        }
        let mut text = String::with_capacity(bytes.len() + 16);
        let mut starts = Vec::new();
        let mut start = 0;
        while start < bytes.len() {
            let (end, next) = match memchr(b'\n', &bytes[start..]) {
                Some(i) => (start + i, start + i + 1),
                None => (bytes.len(), bytes.len()),
            };
            let mut line = &bytes[start..end];
            if let Some(stripped) = line.strip_suffix(b"\r") {
                line = stripped;
            }
            starts.push(start);
            text.push_str(&String::from_utf8_lossy(line));
            if next > end {
                text.push('\n');
            }
            start = next;
        }
        Chunk {
            text: Cow::Owned(text),
            original_starts: Some(starts),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Offset in the caller's bytes of the start of line `line`, whose start
    /// in [`Chunk::text`] is `start`.
    pub fn original_offset(&self, line: usize, start: usize) -> usize {
        match &self.original_starts {
            Some(starts) => starts.get(line).copied().unwrap_or(start),
            None => start,
        }
    }

    /// Every line: `(index, start, end)` in [`Chunk::text`], `end` excluding
    /// the `\n`. A final line without `\n` counts; an empty tail does not.
    pub fn lines(&self) -> impl Iterator<Item = Line> + '_ {
        let bytes = self.text.as_bytes();
        let mut start = 0;
        let mut index = 0;
        std::iter::from_fn(move || {
            if start >= bytes.len() {
                return None;
            }
            let end = memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
            let line = Line { index, start, end };
            start = end + 1;
            index += 1;
            Some(line)
        })
    }
}

/// One line of a chunk, by position in [`Chunk::text`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    pub index: usize,
    pub start: usize,
    pub end: usize,
}

/// Maps byte positions, visited in non-decreasing order, to their lines.
///
/// Finding a position's line ([`LineLocator::span`]) looks only at the
/// bytes around it; its index ([`LineLocator::index`]) is counted on
/// demand, from where the last count stopped. A scan locates every literal
/// hit but needs the index of the few that become candidates, and the
/// counting of all lines then costs one pass over the text in all.
pub struct LineLocator<'t> {
    text: &'t [u8],
    /// The line found last: its start, and its end (its `\n`, or the end
    /// of the text).
    start: usize,
    end: usize,
    /// Invariant: `counted` newlines lie in `text[..counted_to]`, and
    /// `counted_to` never passes `start`.
    counted_to: usize,
    counted: usize,
}

impl<'t> LineLocator<'t> {
    pub fn new(text: &'t str) -> LineLocator<'t> {
        let bytes = text.as_bytes();
        LineLocator {
            text: bytes,
            start: 0,
            end: memchr(b'\n', bytes).unwrap_or(bytes.len()),
            counted_to: 0,
            counted: 0,
        }
    }

    /// `(start, end)` of the line holding byte `pos` (a `\n` belongs to
    /// the line it ends). `pos` must not be smaller than in the previous
    /// call.
    pub fn span(&mut self, pos: usize) -> (usize, usize) {
        if pos > self.end {
            // `text[self.end]` is a `\n`, so the search finds one.
            let last_newline = memchr::memrchr(b'\n', &self.text[self.end..pos])
                .map_or(self.end, |i| self.end + i);
            self.start = last_newline + 1;
            self.end =
                memchr(b'\n', &self.text[self.start..]).map_or(self.text.len(), |i| self.start + i);
        }
        (self.start, self.end)
    }

    /// The 0-based index of the line [`LineLocator::span`] found last.
    pub fn index(&mut self) -> usize {
        if self.counted_to < self.start {
            self.counted += memchr_iter(b'\n', &self.text[self.counted_to..self.start]).count();
            self.counted_to = self.start;
        }
        self.counted
    }

    /// Lines in the whole text: one per `\n`, plus a final unterminated
    /// one.
    pub fn total_lines(&self) -> usize {
        let rest = self.text.get(self.counted_to..).unwrap_or_default();
        let newlines = memchr_iter(b'\n', rest).count();
        let unterminated = !self.text.is_empty() && self.text.last() != Some(&b'\n');
        self.counted + newlines + usize::from(unterminated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrows_clean_text() {
        let c = Chunk::new(b"a\nb\n");
        assert!(matches!(c.text, Cow::Borrowed(_)));
        let lines: Vec<_> = c.lines().map(|l| (l.index, l.start, l.end)).collect();
        assert_eq!(lines, [(0, 0, 1), (1, 2, 3)]);
    }

    #[test]
    fn repairs_utf8_and_crlf_and_keeps_offsets() {
        let c = Chunk::new(b"ab\r\n\xff\xfex\nlast");
        assert_eq!(c.text(), "ab\n\u{fffd}\u{fffd}x\nlast");
        let lines: Vec<_> = c.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(c.original_offset(1, lines[1].start), 4);
        assert_eq!(c.original_offset(2, lines[2].start), 8);
    }

    #[test]
    fn locator_counts_lines() {
        let text = "one\ntwo\n\nfour";
        let mut loc = LineLocator::new(text);
        let mut line = |pos| {
            let (start, end) = loc.span(pos);
            (loc.index(), start, end)
        };
        assert_eq!(line(1), (0, 0, 3));
        assert_eq!(line(3), (0, 0, 3)); // the '\n' ends line 0
        assert_eq!(line(5), (1, 4, 7));
        assert_eq!(line(11), (3, 9, 13));
        assert_eq!(loc.total_lines(), 4);
    }

    #[test]
    fn index_is_counted_only_when_asked() {
        let text = "a\nb\nc\nd\n";
        let mut loc = LineLocator::new(text);
        assert_eq!(loc.span(2), (2, 3));
        assert_eq!(loc.span(6), (6, 7));
        assert_eq!(loc.index(), 3);
        assert_eq!(loc.total_lines(), 4);
    }

    #[test]
    fn total_lines_counts_from_anywhere() {
        for text in ["", "\n", "a", "a\n", "a\nb", "a\nb\n", "\n\n\nx", "a\n\n"] {
            let expected = text.split_inclusive('\n').count();
            let mut loc = LineLocator::new(text);
            assert_eq!(loc.total_lines(), expected, "{text:?} before locating");
            if let Some(last) = text.len().checked_sub(1) {
                loc.span(last);
                loc.index();
                assert_eq!(loc.total_lines(), expected, "{text:?} at its end");
            }
        }
    }
}
