//! One level of the wheel: 64 slots, each an intrusive list, and a bitmap.
//!
//! Ticks are read as base-64 numbers: 6-bit digit `l` of a tick is its slot
//! on level `l`, so a level-`l` slot spans `64^l` ticks and the whole level
//! spans `64^(l+1)`. An entry is filed on the level of the most significant
//! digit in which its tick differs from the wheel's cursor `elapsed`
//! ([`level_for`]), which gives the two facts the wheel is built on (both as
//! in tokio):
//!
//! 1. Within a level, every occupied slot is at or after the cursor's own
//!    slot on that level (strictly after, above level 0), so the first set
//!    bit of `occupied` is the next slot to process — no rotation is needed
//!    because [`NUM_LEVELS`] levels cover all 64 bits of a tick.
//! 2. Every entry on level `l` is later than every entry on levels `< l`, so
//!    the earliest occupied slot of the lowest non-empty level holds the
//!    earliest ticks of the wheel.
//!
//! And the fact that lets the cursor move without refiling everything: if
//! the cursor moves forward from `E` to `X`, an entry with tick `w` filed on
//! level `l >= 1` keeps its level as long as `X` is before the start of its
//! slot. (`E` and `w` agree on the digits above `l`, `E` has the smaller
//! digit `l`; every `X` in `E ..` that start agrees with them above `l` and
//! still has a smaller digit `l`.) At `X` equal to the start, the entry
//! would belong one level lower: that is when the slot must be cascaded. A
//! level-0 entry keeps its place while `X <= w`.

use super::slab::{Slab, NIL};

/// Bits of a tick consumed per level.
pub(super) const LEVEL_BITS: usize = 6;

/// Slots per level (`2^LEVEL_BITS`); a power of two so that slots are digits.
pub(super) const LEVEL_MULT: usize = 1 << LEVEL_BITS;

/// Levels needed so that every `u64` tick has a place: `ceil(64 / 6) = 11`.
/// The top level only uses slots 0..16 (the last 4 bits of a tick).
pub(super) const NUM_LEVELS: usize = u64::BITS.div_ceil(LEVEL_BITS as u32) as usize;

/// The next slot a level must process, and when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Expiration {
    pub(super) level: usize,
    pub(super) slot: usize,
    /// First tick covered by the slot.
    pub(super) start: u64,
}

/// # Invariants
///
/// * Bit `s` of `occupied` is set iff `heads[s] != NIL`.
/// * `heads[s]` starts a `prev`/`next`-linked list (in the slab) of exactly
///   the entries whose tick `t` has `level_for(elapsed, t) == level` and
///   `slot_for(t, level) == s`; the head's `prev` is `NIL`.
#[derive(Debug)]
pub(super) struct Level {
    level: usize,
    occupied: u64,
    heads: [u32; LEVEL_MULT],
}

impl Level {
    pub(super) fn new(level: usize) -> Level {
        debug_assert!(level < NUM_LEVELS);
        Level {
            level,
            occupied: 0,
            heads: [NIL; LEVEL_MULT],
        }
    }

    /// The earliest occupied slot of this level, given the cursor `elapsed`.
    pub(super) fn next_expiration(&self, elapsed: u64) -> Option<Expiration> {
        if self.occupied == 0 {
            return None;
        }
        let slot = self.occupied.trailing_zeros() as usize;
        // Fact 1 of the module docs: nothing is filed behind the cursor.
        debug_assert!(
            slot >= slot_for(elapsed, self.level),
            "level {} slot {slot} is behind elapsed {elapsed}",
            self.level
        );
        Some(Expiration {
            level: self.level,
            slot,
            start: slot_start(elapsed, self.level, slot),
        })
    }

    /// The first entry of `slot` (or `NIL`).
    #[cfg(test)]
    pub(super) fn head(&self, slot: usize) -> u32 {
        self.heads[slot]
    }

    /// Links entry `idx` at the front of `slot`.
    pub(super) fn push(&mut self, slab: &mut Slab, slot: usize, idx: u32) {
        let old_head = self.heads[slot];
        let entry = slab.get_mut(idx);
        entry.prev = NIL;
        entry.next = old_head;
        if old_head != NIL {
            slab.get_mut(old_head).prev = idx;
        }
        self.heads[slot] = idx;
        self.occupied |= 1 << slot;
    }

    /// Unlinks entry `idx` from `slot`, where it must be.
    pub(super) fn unlink(&mut self, slab: &mut Slab, slot: usize, idx: u32) {
        let entry = slab.get_mut(idx);
        let (prev, next) = (entry.prev, entry.next);
        entry.prev = NIL;
        entry.next = NIL;
        if prev == NIL {
            debug_assert_eq!(self.heads[slot], idx, "unlinking from the wrong slot");
            self.heads[slot] = next;
        } else {
            slab.get_mut(prev).next = next;
        }
        if next != NIL {
            slab.get_mut(next).prev = prev;
        }
        if self.heads[slot] == NIL {
            self.occupied &= !(1 << slot);
        }
    }

    /// Empties `slot` and returns its old head. The entries stay chained
    /// through `next`; the caller must re-file or remove every one of them.
    pub(super) fn take_slot(&mut self, slot: usize) -> u32 {
        self.occupied &= !(1 << slot);
        std::mem::replace(&mut self.heads[slot], NIL)
    }

    /// Empties every slot, returning all entries (for a rebuild).
    pub(super) fn drain_into(&mut self, slab: &Slab, out: &mut Vec<u32>) {
        while self.occupied != 0 {
            let slot = self.occupied.trailing_zeros() as usize;
            let mut idx = self.take_slot(slot);
            while idx != NIL {
                out.push(idx);
                idx = slab.get(idx).next;
            }
        }
    }

    #[cfg(test)]
    pub(super) fn occupied(&self) -> u64 {
        self.occupied
    }
}

/// The level on which an entry with tick `when` is filed, given the cursor
/// `elapsed <= when`: the index of the most significant base-64 digit in which
/// the two differ.
#[inline]
pub(super) fn level_for(elapsed: u64, when: u64) -> usize {
    debug_assert!(when >= elapsed, "tick {when} is behind elapsed {elapsed}");
    // OR-ing in the level-0 digit makes `when == elapsed` (XOR = 0) land on
    // level 0 instead of asking for the leading bit of 0 (tokio's trick).
    let masked = (elapsed ^ when) | (LEVEL_MULT as u64 - 1);
    let significant = (u64::BITS - 1 - masked.leading_zeros()) as usize;
    significant / LEVEL_BITS
}

/// The slot of tick `when` on `level`: its base-64 digit number `level`.
#[inline]
pub(super) fn slot_for(when: u64, level: usize) -> usize {
    ((when >> (level * LEVEL_BITS)) & (LEVEL_MULT as u64 - 1)) as usize
}

/// First tick of `slot` on `level`, for a cursor `elapsed`: `elapsed` with
/// digit `level` replaced by `slot` and all lower digits zeroed.
fn slot_start(elapsed: u64, level: usize, slot: usize) -> u64 {
    let slot_shift = level * LEVEL_BITS;
    let level_shift = slot_shift + LEVEL_BITS;
    // The top level covers all 64 bits (its shift is 66): nothing above it.
    let level_start = if level_shift >= u64::BITS as usize {
        0
    } else {
        elapsed >> level_shift << level_shift
    };
    level_start | (slot as u64) << slot_shift
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eleven_levels_cover_u64() {
        assert_eq!(NUM_LEVELS, 11);
        assert_eq!(level_for(0, u64::MAX), NUM_LEVELS - 1);
        assert_eq!(slot_for(u64::MAX, NUM_LEVELS - 1), 15);
        assert_eq!(slot_start(0, NUM_LEVELS - 1, 15), 15 << 60);
    }

    #[test]
    fn level_for_picks_highest_differing_digit() {
        assert_eq!(level_for(0, 0), 0);
        assert_eq!(level_for(0, 63), 0);
        assert_eq!(level_for(0, 64), 1);
        assert_eq!(level_for(63, 64), 1);
        assert_eq!(level_for(64, 127), 0);
        assert_eq!(level_for(0, 4095), 1);
        assert_eq!(level_for(0, 4096), 2);
        assert_eq!(level_for(4095, 4096), 2);
        assert_eq!(level_for(1 << 59, (1 << 59) + 1), 0);
        assert_eq!(level_for(1 << 59, 1 << 60), 10);
    }

    #[test]
    fn slot_for_reads_digits() {
        for pos in 0..64u64 {
            assert_eq!(slot_for(pos, 0), pos as usize);
        }
        for level in 1..NUM_LEVELS - 1 {
            for pos in 0..64u64 {
                let when = pos << (level * LEVEL_BITS);
                assert_eq!(slot_for(when, level), pos as usize);
                assert_eq!(slot_for(when + 1, level), pos as usize);
            }
        }
    }

    #[test]
    fn slot_start_keeps_upper_digits() {
        // elapsed = digits [.., 3, 5, 7] in base 64
        let elapsed = (3 << 12) | (5 << 6) | 7;
        assert_eq!(slot_start(elapsed, 0, 9), (3 << 12) | (5 << 6) | 9);
        assert_eq!(slot_start(elapsed, 1, 8), (3 << 12) | (8 << 6));
        assert_eq!(slot_start(elapsed, 2, 4), 4 << 12);
        assert_eq!(slot_start(u64::MAX, 0, 63), u64::MAX);
    }
}
