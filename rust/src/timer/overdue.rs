//! Entries whose tick is before the wheel's cursor, ordered by deadline.
//!
//! The wheel indexes ticks at or after its cursor only. Earlier ticks live
//! here: the not-yet-due rest of a tick the cursor has stepped past, and
//! deadlines scheduled behind the cursor (see the module docs). The set is
//! usually tiny, so a `BTreeSet` (O(log k), exact order, removal by value) is
//! simpler than anything clever. Elements are `(deadline, slab index)`,
//! which makes each one unique.

use std::cmp::Ordering;
use std::collections::BTreeSet;

/// A deadline with a total order.
///
/// # Invariant
///
/// Never NaN (the wheel rejects NaN before it gets here). On non-NaN values
/// `total_cmp` agrees with `<` except that it puts `-0.0` before `0.0`; the
/// two compare equal to every `now`, so either order pops correctly.
#[derive(Clone, Copy, Debug)]
struct Deadline(f64);

impl PartialEq for Deadline {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Deadline {}

impl PartialOrd for Deadline {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Deadline {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// # Invariant
///
/// `(deadline, idx)` is in the set iff slab entry `idx` is overdue and has
/// exactly that deadline (the wheel updates both together).
#[derive(Debug, Default)]
pub(super) struct Overdue {
    set: BTreeSet<(Deadline, u32)>,
}

impl Overdue {
    pub(super) fn len(&self) -> usize {
        self.set.len()
    }

    pub(super) fn insert(&mut self, deadline: f64, idx: u32) {
        let fresh = self.set.insert((Deadline(deadline), idx));
        debug_assert!(fresh, "entry {idx} was already overdue");
    }

    pub(super) fn remove(&mut self, deadline: f64, idx: u32) {
        let found = self.set.remove(&(Deadline(deadline), idx));
        debug_assert!(found, "entry {idx} was not overdue");
    }

    /// The earliest overdue deadline.
    pub(super) fn first_deadline(&self) -> Option<f64> {
        self.set.first().map(|&(Deadline(d), _)| d)
    }

    /// Removes and returns the earliest entry if its deadline is `<= now`.
    pub(super) fn pop_due(&mut self, now: f64) -> Option<u32> {
        match self.set.first() {
            Some(&(Deadline(d), _)) if d <= now => self.set.pop_first().map(|(_, idx)| idx),
            _ => None,
        }
    }

    /// Empties the set, returning its slab indices.
    pub(super) fn take_all(&mut self) -> impl Iterator<Item = u32> {
        std::mem::take(&mut self.set)
            .into_iter()
            .map(|(_, idx)| idx)
    }

    #[cfg(test)]
    pub(super) fn iter(&self) -> impl Iterator<Item = (f64, u32)> + '_ {
        self.set.iter().map(|&(Deadline(d), idx)| (d, idx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_deadline_order_up_to_now() {
        let mut o = Overdue::default();
        o.insert(3.0, 0);
        o.insert(1.0, 1);
        o.insert(2.0, 2);
        o.insert(1.0, 3);
        assert_eq!(o.first_deadline(), Some(1.0));
        let mut popped = Vec::new();
        while let Some(idx) = o.pop_due(2.0) {
            popped.push(idx);
        }
        assert_eq!(popped, vec![1, 3, 2]);
        assert_eq!(o.len(), 1);
        o.remove(3.0, 0);
        assert_eq!(o.len(), 0);
        assert_eq!(o.pop_due(f64::MAX), None);
    }

    #[test]
    fn signed_zeros_pop_together() {
        let mut o = Overdue::default();
        o.insert(0.0, 0);
        o.insert(-0.0, 1);
        assert_eq!(o.pop_due(-0.0), Some(1));
        assert_eq!(o.pop_due(-0.0), Some(0));
    }
}
