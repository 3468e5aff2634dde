//! [`Texts`]: the tally's lists of `(line, text)` (matched lines, ignored
//! lines, JSON records), kept in large buffers.
//!
//! Why not a `String` per text, or one growing `String`: on a log of half a
//! million failures, half a million small allocations were made on the
//! tool's main thread, and one growing buffer of 90 MB was copied at each
//! doubling into fresh pages (perf: page faults and copies were a tenth of
//! that thread's time). Here a text goes at the end of the current buffer;
//! a full buffer is left as it is and a new one started. A text never spans
//! two buffers.
//!
//! Invariant: `entries` is in push order, and each entry's `start..end` lies
//! in `buffers[buffer]`, after the previous entry of the same buffer.

/// Room a new buffer starts with; a text longer than what is left of it
/// starts the next buffer (of its own length if longer still).
const BUFFER: usize = 1 << 20;

/// An append-only list of `(line, text)`; see the module docs.
#[derive(Debug, Default)]
pub struct Texts {
    buffers: Vec<String>,
    /// `(line, buffer, start, end)` of each text.
    entries: Vec<(u64, usize, usize, usize)>,
}

impl Texts {
    pub fn new() -> Self {
        Texts::default()
    }

    /// How many texts are kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Appends `text`, found on `line`.
    pub fn push(&mut self, line: u64, text: &str) {
        let buffer = self.room_for(text.len());
        let start = buffer.len();
        buffer.push_str(text);
        let end = buffer.len();
        self.record(line, start, end);
    }

    /// Appends what `write` writes, found on `line`; on `Err`, nothing.
    pub fn push_with<E>(
        &mut self,
        line: u64,
        write: impl FnOnce(&mut String) -> Result<(), E>,
    ) -> Result<(), E> {
        // (a record's length is not known before it is written: a buffer
        // nearly full starts the next one first)
        let buffer = self.room_for(BUFFER / 16);
        let start = buffer.len();
        if let Err(e) = write(buffer) {
            buffer.truncate(start);
            return Err(e);
        }
        let end = buffer.len();
        self.record(line, start, end);
        Ok(())
    }

    /// Drops the texts pushed after the first `len` ones.
    pub fn truncate(&mut self, len: usize) {
        while self.entries.len() > len {
            let Some((_, buffer, start, _)) = self.entries.pop() else {
                break;
            };
            if let Some(text) = self.buffers.get_mut(buffer) {
                text.truncate(start);
            }
        }
    }

    /// The texts in push order, each with its line.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &str)> + '_ {
        self.entries
            .iter()
            .map(|&(line, buffer, start, end)| (line, &self.buffers[buffer][start..end]))
    }

    /// The total length of the texts, in bytes.
    pub fn text_len(&self) -> usize {
        self.entries
            .iter()
            .map(|&(_, _, start, end)| end - start)
            .sum()
    }

    /// The buffer to write `len` more bytes into.
    fn room_for(&mut self, len: usize) -> &mut String {
        let full = self
            .buffers
            .last()
            .is_none_or(|b| b.capacity() - b.len() < len);
        if full {
            self.buffers.push(String::with_capacity(BUFFER.max(len)));
        }
        let last = self.buffers.len() - 1;
        &mut self.buffers[last]
    }

    fn record(&mut self, line: u64, start: usize, end: usize) {
        let buffer = self.buffers.len() - 1;
        self.entries.push((line, buffer, start, end));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn texts_come_back_in_order_across_buffers() {
        let mut t = Texts::new();
        let long = "x".repeat(BUFFER - 10);
        t.push(1, "a");
        t.push(2, &long);
        t.push(3, "bc");
        let big = "y".repeat(3 * BUFFER);
        t.push(4, &big);
        t.push(5, "");
        let got: Vec<(u64, &str)> = t.iter().collect();
        assert_eq!(
            got,
            [
                (1, "a"),
                (2, long.as_str()),
                (3, "bc"),
                (4, big.as_str()),
                (5, "")
            ]
        );
        assert_eq!(t.text_len(), 1 + long.len() + 2 + big.len());
    }

    #[test]
    fn a_failed_write_leaves_nothing() {
        let mut t = Texts::new();
        t.push(1, "kept");
        let r = t.push_with(2, |out| {
            out.push_str("half");
            Err(())
        });
        assert_eq!(r, Err(()));
        t.push_with::<()>(3, |out| {
            out.push_str("next");
            Ok(())
        })
        .unwrap();
        assert_eq!(t.iter().collect::<Vec<_>>(), [(1, "kept"), (3, "next")]);
    }

    proptest! {
        /// Pushing and truncating keeps what a `Vec<(u64, String)>` keeps.
        #[test]
        fn behaves_as_a_list(ops in prop::collection::vec(
            prop_oneof![
                (0usize..3000).prop_map(Some),
                Just(None),
            ],
            0..200,
        )) {
            let mut t = Texts::new();
            let mut model: Vec<(u64, String)> = Vec::new();
            for (i, op) in ops.into_iter().enumerate() {
                match op {
                    Some(len) => {
                        let text = char::from(b'a' + (i % 26) as u8).to_string().repeat(len * 7);
                        t.push(i as u64, &text);
                        model.push((i as u64, text));
                    }
                    None => {
                        let keep = model.len() / 2;
                        t.truncate(keep);
                        model.truncate(keep);
                    }
                }
            }
            let got: Vec<(u64, String)> = t.iter().map(|(l, s)| (l, s.to_owned())).collect();
            prop_assert_eq!(got, model);
        }
    }
}
