//! Storage for wheel entries: a `Vec` slab addressed by `u32` indices.
//!
//! Why a slab with `u32` indices rather than boxed nodes: one allocation
//! amortised over all entries, no `unsafe` pointers for the intrusive lists,
//! and links of 4 bytes instead of 8. An [`Entry`] is 32 bytes (checked by a
//! test): the key (16), the exact deadline (8) and two list links (8).
//!
//! Freed slots form a LIFO free list threaded through the vacant slots, so a
//! freed index is reused first (it is likely still in cache) and the slab
//! never grows while it has holes. Like a `Vec`, it keeps its high-water mark
//! of memory.

use std::sync::Arc;

use super::TimerError;

/// "No entry": the end of an intrusive list or of the free list.
pub(super) const NIL: u32 = u32::MAX;

/// One scheduled key.
///
/// # Invariants
///
/// * `deadline` is finite (checked before an entry is created or moved).
/// * `prev`/`next` link the entry into the list of exactly one wheel slot,
///   or are both `NIL` when the entry is in the overdue set (whose order
///   needs no links). They are maintained by `level.rs`.
/// * `key` is shared with the key map (`HashMap<Arc<str>, u32>` in
///   `wheel.rs`): one allocation serves both, which is how the map can find an
///   entry by key and `advance` can give the key back without either side
///   copying the string.
#[derive(Debug)]
pub(super) struct Entry {
    pub(super) key: Arc<str>,
    pub(super) deadline: f64,
    pub(super) prev: u32,
    pub(super) next: u32,
}

#[derive(Debug)]
enum Slot {
    Occupied(Entry),
    Vacant { next_free: u32 },
}

/// # Invariants
///
/// * `slots.len() <= NIL as usize`, so every index fits a `u32` below `NIL`.
/// * `free` is the head of a list, through `Vacant::next_free`, of exactly
///   the vacant slots; `len` counts the occupied ones.
#[derive(Debug, Default)]
pub(super) struct Slab {
    slots: Vec<Slot>,
    free: u32,
    len: usize,
}

impl Slab {
    pub(super) fn new() -> Slab {
        Slab {
            slots: Vec::new(),
            free: NIL,
            len: 0,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Stores `entry` and returns its index (never `NIL`).
    pub(super) fn insert(&mut self, entry: Entry) -> Result<u32, TimerError> {
        let idx = if self.free != NIL {
            let idx = self.free;
            match self.slots[idx as usize] {
                Slot::Vacant { next_free } => self.free = next_free,
                Slot::Occupied(_) => unreachable!("free list points at an occupied slot"),
            }
            self.slots[idx as usize] = Slot::Occupied(entry);
            idx
        } else {
            // `NIL` itself must stay unused, hence `>=`.
            if self.slots.len() >= NIL as usize {
                return Err(TimerError::CapacityExceeded);
            }
            self.slots.push(Slot::Occupied(entry));
            (self.slots.len() - 1) as u32
        };
        self.len += 1;
        Ok(idx)
    }

    /// Removes and returns the entry at `idx`, which must be occupied.
    pub(super) fn remove(&mut self, idx: u32) -> Entry {
        let vacant = Slot::Vacant {
            next_free: self.free,
        };
        match std::mem::replace(&mut self.slots[idx as usize], vacant) {
            Slot::Occupied(entry) => {
                self.free = idx;
                self.len -= 1;
                entry
            }
            Slot::Vacant { .. } => unreachable!("removing vacant slab slot {idx}"),
        }
    }

    #[inline]
    pub(super) fn get(&self, idx: u32) -> &Entry {
        match &self.slots[idx as usize] {
            Slot::Occupied(entry) => entry,
            Slot::Vacant { .. } => unreachable!("reading vacant slab slot {idx}"),
        }
    }

    #[inline]
    pub(super) fn get_mut(&mut self, idx: u32) -> &mut Entry {
        match &mut self.slots[idx as usize] {
            Slot::Occupied(entry) => entry,
            Slot::Vacant { .. } => unreachable!("writing vacant slab slot {idx}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str) -> Entry {
        Entry {
            key: Arc::from(key),
            deadline: 0.0,
            prev: NIL,
            next: NIL,
        }
    }

    #[test]
    fn entries_stay_small() {
        assert_eq!(std::mem::size_of::<Entry>(), 32);
        // The vacant variant hides in the entry's niche: no tag word.
        assert_eq!(std::mem::size_of::<Slot>(), 32);
    }

    #[test]
    fn reuses_freed_indices_lifo() {
        let mut slab = Slab::new();
        let a = slab.insert(entry("a")).unwrap();
        let b = slab.insert(entry("b")).unwrap();
        let c = slab.insert(entry("c")).unwrap();
        assert_eq!((a, b, c), (0, 1, 2));
        assert_eq!(&*slab.remove(b).key, "b");
        assert_eq!(&*slab.remove(a).key, "a");
        assert_eq!(slab.len(), 1);
        assert_eq!(slab.insert(entry("d")).unwrap(), a);
        assert_eq!(slab.insert(entry("e")).unwrap(), b);
        assert_eq!(slab.insert(entry("f")).unwrap(), 3);
        assert_eq!(&*slab.get(c).key, "c");
        slab.get_mut(c).deadline = 5.0;
        assert_eq!(slab.get(c).deadline, 5.0);
        assert_eq!(slab.len(), 4);
    }
}
