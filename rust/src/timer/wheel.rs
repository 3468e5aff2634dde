//! The wheel: levels + overdue set + key map, and the operations on them.

use std::collections::HashMap;
use std::sync::Arc;

use super::level::{level_for, slot_for, Expiration, Level, NUM_LEVELS};
use super::overdue::Overdue;
use super::slab::{Entry, Slab, NIL};
use super::tick::TickClock;
use super::TimerError;

/// When the caller's clock is behind the cursor, rebuild the wheel around it
/// once at least this many entries (and at least half as many as the wheel
/// holds) have gone into the overdue set since the last rebuild. Below that,
/// O(log n) overdue operations are cheaper than an O(n) rebuild. Unit tests
/// use a tiny threshold so that their small random workloads rebuild too.
const REBASE_MIN_INSERTS: usize = if cfg!(test) { 4 } else { 256 };

/// A hierarchical timer wheel keyed by strings, with exact `f64` deadlines.
///
/// See the [module docs](super) for the semantics and the design.
///
/// # Invariants
///
/// Write `tick(e)` for `clock.tick(e.deadline)` — recomputed rather than
/// stored, which keeps an entry at 32 bytes; `TickClock` is fixed for the
/// life of the wheel so the value never changes. Between public calls:
///
/// 1. Every entry `e` is in exactly one place:
///    * if `tick(e) >= elapsed`: level `l = level_for(elapsed, tick(e))`,
///      slot `slot_for(tick(e), l)`;
///    * if `tick(e) < elapsed`: the overdue set.
///
///    So where an entry is can always be recomputed from its deadline, which
///    is how `cancel` finds it (as tokio does with `level_for`).
/// 2. `keys` maps each entry's key to its slab index and nothing else;
///    `keys.len() == slab.len()`.
/// 3. `elapsed <= MAX_TICK + 1 = u64::MAX`, so a cursor at or below
///    `MAX_TICK` can always step one tick further.
///
/// The cursor `elapsed` only moves forward, through `move_cursor`: to the start of the earliest occupied
/// slot while processing it (tokio's rule), or to a tick `to` once every
/// slot that starts before `to`, and every upper-level slot that starts at
/// `to`, has been processed. Either way invariant 1 keeps holding for all
/// other entries without moving them (the digit argument in `level.rs`).
/// Only `rebase` moves it backwards, and it refiles every entry.
///
/// A consequence used throughout: every overdue deadline is earlier than
/// every wheel deadline (an overdue tick is before the cursor, a wheel tick
/// at or after it, and ticks are monotone), so the first overdue entry is the
/// earliest entry whenever the overdue set is not empty.
#[derive(Debug)]
pub struct TimerWheel {
    clock: TickClock,
    /// The cursor: wheel ticks are `>= elapsed`, overdue ticks `< elapsed`.
    elapsed: u64,
    levels: [Level; NUM_LEVELS],
    overdue: Overdue,
    /// Entries put into the overdue set since the last rebuild; pays for the
    /// next one.
    overdue_inserts: usize,
    slab: Slab,
    /// Key → slab index. `std`'s SipHash with a random seed is kept on
    /// purpose: keys are derived from attacker-chosen addresses, so a
    /// predictable hash would invite hash-flooding.
    keys: HashMap<Arc<str>, u32>,
}

impl Default for TimerWheel {
    fn default() -> Self {
        TimerWheel::new()
    }
}

impl TimerWheel {
    /// Default tick length in seconds: 1 ms.
    ///
    /// Resolution never changes results (deadlines are exact), only
    /// performance: a finer tick costs at most one more cascade step per
    /// factor of 64 over a key's life; a coarser one makes more keys share a
    /// slot, and those are sorted into the ordered overdue set when their tick
    /// comes up (O(log k) each instead of O(1)). One millisecond keeps
    /// realistic ban deadlines about one per slot, is below what an observer
    /// thread's sleep can honour anyway, and epoch seconds at 1 ms (~2^41
    /// ticks) are far from saturating a `u64`.
    pub const DEFAULT_RESOLUTION: f64 = 0.001;
    /// Finest accepted resolution (1 ns): epoch ticks still fit a `u64`
    /// until the year 2554 (later deadlines saturate, which is still correct).
    pub const MIN_RESOLUTION: f64 = TickClock::MIN_RESOLUTION;
    /// Coarsest accepted resolution (one day per tick).
    pub const MAX_RESOLUTION: f64 = TickClock::MAX_RESOLUTION;

    /// An empty wheel with [`DEFAULT_RESOLUTION`](Self::DEFAULT_RESOLUTION).
    pub fn new() -> TimerWheel {
        Self::build(TickClock::new(Self::DEFAULT_RESOLUTION).expect("default resolution is valid"))
    }

    /// An empty wheel whose ticks last `resolution` seconds, which must lie
    /// in `[MIN_RESOLUTION, MAX_RESOLUTION]`.
    pub fn with_resolution(resolution: f64) -> Result<TimerWheel, TimerError> {
        TickClock::new(resolution).map(Self::build)
    }

    fn build(clock: TickClock) -> TimerWheel {
        TimerWheel {
            clock,
            elapsed: 0,
            levels: std::array::from_fn(Level::new),
            overdue: Overdue::default(),
            overdue_inserts: 0,
            slab: Slab::new(),
            keys: HashMap::new(),
        }
    }

    /// The tick length in seconds.
    pub fn resolution(&self) -> f64 {
        self.clock.resolution()
    }

    /// Number of scheduled keys.
    pub fn len(&self) -> usize {
        self.slab.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slab.len() == 0
    }

    pub fn contains(&self, key: &str) -> bool {
        self.keys.contains_key(key)
    }

    /// The deadline `key` is scheduled for, if any.
    pub fn deadline(&self, key: &str) -> Option<f64> {
        self.keys.get(key).map(|&idx| self.slab.get(idx).deadline)
    }

    /// Schedules `key` to expire at `deadline` (absolute seconds, the same
    /// clock as `advance`'s `now`). An already scheduled key is moved.
    ///
    /// A deadline that has already passed is returned by the next `advance`
    /// whose `now` is at or after it. Fails, changing nothing, if `deadline`
    /// is NaN or infinite or the wheel is full.
    pub fn schedule(&mut self, key: &str, deadline: f64) -> Result<(), TimerError> {
        if !deadline.is_finite() {
            return Err(TimerError::NonFiniteDeadline(deadline));
        }
        if let Some(&idx) = self.keys.get(key) {
            // Reschedule: move the entry, keeping its slab slot and key.
            self.unfile(idx);
            self.slab.get_mut(idx).deadline = deadline;
            self.file(idx);
            return Ok(());
        }
        let key: Arc<str> = Arc::from(key);
        let idx = self.slab.insert(Entry {
            key: Arc::clone(&key),
            deadline,
            prev: NIL,
            next: NIL,
        })?;
        self.keys.insert(key, idx);
        self.file(idx);
        Ok(())
    }

    /// Unschedules `key`. Returns whether it was scheduled.
    pub fn cancel(&mut self, key: &str) -> bool {
        let Some(idx) = self.keys.remove(key) else {
            return false;
        };
        self.unfile(idx);
        self.slab.remove(idx);
        true
    }

    /// Removes and returns every key whose deadline is `<= now`, each once,
    /// in unspecified order.
    ///
    /// `now` may be earlier than in a previous call (the clock went back):
    /// then only keys with `deadline <= now` are returned, as always, and the
    /// others stay. Fails, changing nothing, if `now` is NaN or infinite.
    pub fn advance(&mut self, now: f64) -> Result<Vec<Arc<str>>, TimerError> {
        if !now.is_finite() {
            return Err(TimerError::NonFiniteNow(now));
        }
        let t = self.clock.tick(now);
        let mut fired = Vec::new();

        // Overdue entries are ordered by deadline: take the due prefix.
        while let Some(idx) = self.overdue.pop_due(now) {
            fired.push(self.remove(idx));
        }

        // Empty every tick up to and including `t` (firing what is due, and
        // sorting the rest of tick `t` into the overdue set, whose order lets
        // further calls within this tick skip a rescan), then step past it.
        // Invariant 3: `t <= MAX_TICK`, so `t + 1` does not overflow.
        self.move_cursor(t + 1, Some(now), &mut fired);
        if self.elapsed > t + 1 {
            // The clock is behind the cursor.
            self.maybe_rebase(t + 1);
        }
        Ok(fired)
    }

    /// The exact earliest deadline still scheduled, or `None` if empty.
    ///
    /// Takes `&mut self` because, when the overdue set is empty, it brings
    /// the earliest tick of the wheel down to level 0 (cascading, as `advance`
    /// would when that time comes) and sorts that tick's entries into the
    /// overdue set, stepping the cursor past it. Repeated calls are then
    /// O(log k) (k: the overdue set's size, usually a handful).
    pub fn next_deadline(&mut self) -> Option<f64> {
        if self.overdue.len() == 0 {
            // Cascade until the earliest occupied slot is a single tick, then
            // sort that tick into the overdue set by stepping past it.
            while let Some(exp) = self.next_expiration() {
                if exp.level > 0 {
                    self.move_cursor(exp.start, None, &mut Vec::new());
                } else {
                    // Invariant 3: `exp.start <= MAX_TICK`.
                    self.move_cursor(exp.start + 1, None, &mut Vec::new());
                    break;
                }
            }
        }
        // See "a consequence" in the type's docs.
        self.overdue.first_deadline()
    }

    // ----- filing entries -------------------------------------------------

    /// Files entry `idx` where invariant 1 says it belongs.
    fn file(&mut self, idx: u32) {
        let when = self.clock.tick(self.slab.get(idx).deadline);
        if when < self.elapsed {
            self.make_overdue(idx);
        } else {
            let level = level_for(self.elapsed, when);
            self.levels[level].push(&mut self.slab, slot_for(when, level), idx);
        }
    }

    /// Puts entry `idx`, on no list, into the overdue set.
    fn make_overdue(&mut self, idx: u32) {
        let entry = self.slab.get_mut(idx);
        entry.prev = NIL;
        entry.next = NIL;
        self.overdue.insert(entry.deadline, idx);
        self.overdue_inserts += 1;
    }

    /// Unlinks entry `idx` from where invariant 1 says it is.
    fn unfile(&mut self, idx: u32) {
        let deadline = self.slab.get(idx).deadline;
        let when = self.clock.tick(deadline);
        if when < self.elapsed {
            self.overdue.remove(deadline, idx);
        } else {
            let level = level_for(self.elapsed, when);
            self.levels[level].unlink(&mut self.slab, slot_for(when, level), idx);
        }
    }

    /// Drops an already unfiled entry from the slab and the key map, and
    /// returns its key.
    fn remove(&mut self, idx: u32) -> Arc<str> {
        let entry = self.slab.remove(idx);
        let removed = self.keys.remove(&*entry.key);
        debug_assert_eq!(removed, Some(idx));
        entry.key
    }

    // ----- advancing --------------------------------------------------------

    /// Moves the cursor forward to `to` (no-op if it is already there or
    /// beyond), processing on the way, earliest first, every slot that the
    /// cursor must not end up inside (tokio's `poll` loop):
    ///
    /// * level-0 slots before `to`: emptied by [`expire_slot`](Self::expire_slot);
    /// * upper-level slots starting at or before `to`: cascaded. One starting
    ///   exactly at `to` must be cascaded too, or its entries would sit one
    ///   level too high for the new cursor (a level-0 slot at `to` is fine).
    ///
    /// Setting `elapsed` to each processed slot's start on the way is allowed
    /// because that slot is the earliest occupied one. With `Some(now)`, due
    /// entries met on the way are removed into `fired`.
    fn move_cursor(&mut self, to: u64, now: Option<f64>, fired: &mut Vec<Arc<str>>) {
        while let Some(exp) = self.next_expiration() {
            if exp.start > to || (exp.start == to && exp.level == 0) {
                break;
            }
            self.elapsed = exp.start;
            if exp.level > 0 {
                self.cascade(exp, now, fired);
            } else {
                self.expire_slot(exp, now, fired);
            }
        }
        // Every slot left starts at or after `to`, and any at `to` is a
        // level-0 slot: the cursor may stand at `to`.
        self.elapsed = self.elapsed.max(to);
    }

    /// The earliest occupied slot of the wheel (fact 2 in `level.rs`: the
    /// lowest non-empty level holds it).
    fn next_expiration(&self) -> Option<Expiration> {
        self.levels
            .iter()
            .find_map(|level| level.next_expiration(self.elapsed))
    }

    /// Empties an upper-level slot whose start the cursor has just reached,
    /// refiling its entries on lower levels. With `Some(now)`, entries that
    /// are already due are removed into `fired` instead of refiled.
    fn cascade(&mut self, exp: Expiration, now: Option<f64>, fired: &mut Vec<Arc<str>>) {
        debug_assert!(exp.level > 0 && exp.start == self.elapsed);
        // Same digits as the cursor from `exp.level` up: `file` puts each
        // entry lower.
        self.drain_slot(exp.level, exp.slot, now, fired, Self::file);
    }

    /// Empties a level-0 slot (one tick) that the cursor is about to step
    /// past. With `Some(now)`, due entries are removed into `fired`; all
    /// others go to the overdue set, where the new cursor position puts them
    /// as invariant 1 requires.
    ///
    /// In `advance` only the slot of `tick(now)` itself can hold entries that
    /// are not due: a tick strictly before `tick(now)` has only due entries
    /// (`tick.rs`).
    fn expire_slot(&mut self, exp: Expiration, now: Option<f64>, fired: &mut Vec<Arc<str>>) {
        self.drain_slot(0, exp.slot, now, fired, Self::make_overdue);
    }

    /// Takes every entry out of `slot` on `level`: with `Some(now)`, those
    /// due by `now` are removed into `fired`; the others go to `keep`.
    fn drain_slot(
        &mut self,
        level: usize,
        slot: usize,
        now: Option<f64>,
        fired: &mut Vec<Arc<str>>,
        keep: fn(&mut Self, u32),
    ) {
        let mut idx = self.levels[level].take_slot(slot);
        while idx != NIL {
            let entry = self.slab.get(idx);
            let (next, deadline) = (entry.next, entry.deadline);
            if now.is_some_and(|now| deadline <= now) {
                fired.push(self.remove(idx));
            } else {
                keep(self, idx);
            }
            idx = next;
        }
    }

    /// The clock is behind the cursor. If that has pushed many entries into
    /// the overdue set, rebuild the wheel with the cursor at `cursor`.
    fn maybe_rebase(&mut self, cursor: u64) {
        if self.overdue_inserts >= REBASE_MIN_INSERTS && self.overdue_inserts * 2 >= self.len() {
            self.rebase(cursor);
        }
    }

    /// Moves the cursor to `cursor` — backwards — and refiles every entry.
    /// O(n), paid for by the at least n/2 overdue insertions since the last
    /// rebuild.
    fn rebase(&mut self, cursor: u64) {
        let mut all = Vec::with_capacity(self.len());
        for level in &mut self.levels {
            level.drain_into(&self.slab, &mut all);
        }
        all.extend(self.overdue.take_all());
        self.elapsed = cursor;
        for idx in all {
            self.file(idx);
        }
        self.overdue_inserts = 0;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::super::level::LEVEL_BITS;
    use super::*;

    impl TimerWheel {
        /// Checks every documented invariant; O(n).
        fn check_invariants(&self) {
            let mut seen = 0;
            for (l, level) in self.levels.iter().enumerate() {
                for slot in 0..64 {
                    let mut idx = level.head(slot);
                    assert_eq!(
                        level.occupied() >> slot & 1 == 1,
                        idx != NIL,
                        "bitmap of level {l} slot {slot}"
                    );
                    let mut prev = NIL;
                    while idx != NIL {
                        let e = self.slab.get(idx);
                        let when = self.clock.tick(e.deadline);
                        assert!(when >= self.elapsed, "wheel entry behind cursor");
                        assert_eq!(level_for(self.elapsed, when), l, "level of {}", e.key);
                        assert_eq!(slot_for(when, l), slot, "slot of {}", e.key);
                        assert_eq!(e.prev, prev);
                        assert_eq!(self.keys[&e.key], idx);
                        prev = idx;
                        idx = e.next;
                        seen += 1;
                    }
                }
            }
            for (d, idx) in self.overdue.iter() {
                let e = self.slab.get(idx);
                assert_eq!(e.deadline.to_bits(), d.to_bits());
                assert!(
                    self.clock.tick(d) < self.elapsed,
                    "overdue entry not behind cursor"
                );
                assert_eq!(self.keys[&e.key], idx);
                seen += 1;
            }
            assert_eq!(seen, self.slab.len());
            assert_eq!(self.keys.len(), self.slab.len());
        }

        fn level_of(&self, key: &str) -> Option<usize> {
            let d = self.deadline(key)?;
            let when = self.clock.tick(d);
            (when >= self.elapsed).then(|| level_for(self.elapsed, when))
        }
    }

    fn sorted(mut keys: Vec<Arc<str>>) -> Vec<String> {
        let mut v: Vec<String> = keys.drain(..).map(|k| k.to_string()).collect();
        v.sort();
        v
    }

    /// A wheel with 1-second ticks, so tick arithmetic is easy to follow.
    fn wheel() -> TimerWheel {
        TimerWheel::with_resolution(1.0).unwrap()
    }

    #[test]
    fn schedule_advance_cancel_basics() {
        let mut w = wheel();
        assert_eq!(w.next_deadline(), None);
        w.schedule("a", 10.5).unwrap();
        w.schedule("b", 3.0).unwrap();
        w.schedule("c", 100.0).unwrap();
        assert_eq!(w.len(), 3);
        assert!(w.contains("a") && !w.contains("z"));
        assert_eq!(w.next_deadline(), Some(3.0));
        assert_eq!(sorted(w.advance(2.999).unwrap()), Vec::<String>::new());
        assert_eq!(sorted(w.advance(3.0).unwrap()), vec!["b"]);
        assert!(w.cancel("c"));
        assert!(!w.cancel("c"));
        assert_eq!(w.next_deadline(), Some(10.5));
        assert_eq!(sorted(w.advance(1e6).unwrap()), vec!["a"]);
        assert!(w.is_empty());
        w.check_invariants();
    }

    #[test]
    fn same_tick_precision() {
        let mut w = wheel();
        w.schedule("early", 7.25).unwrap();
        w.schedule("late", 7.75).unwrap();
        w.schedule("edge", 7.5).unwrap();
        assert_eq!(sorted(w.advance(7.25).unwrap()), vec!["early"]);
        w.check_invariants();
        assert_eq!(w.next_deadline(), Some(7.5));
        assert_eq!(sorted(w.advance(7.5).unwrap()), vec!["edge"]);
        assert_eq!(sorted(w.advance(7.7).unwrap()), Vec::<String>::new());
        assert_eq!(w.next_deadline(), Some(7.75));
        assert_eq!(sorted(w.advance(7.75).unwrap()), vec!["late"]);
        w.check_invariants();
    }

    #[test]
    fn reschedule_moves_key() {
        let mut w = wheel();
        w.schedule("k", 50.0).unwrap();
        w.schedule("k", 5.0).unwrap();
        assert_eq!(w.len(), 1);
        assert_eq!(w.deadline("k"), Some(5.0));
        assert_eq!(w.next_deadline(), Some(5.0));
        w.schedule("k", 5000.0).unwrap();
        assert_eq!(w.next_deadline(), Some(5000.0));
        assert!(w.advance(4999.0).unwrap().is_empty());
        w.check_invariants();
        assert_eq!(sorted(w.advance(5000.0).unwrap()), vec!["k"]);
    }

    #[test]
    fn wraps_levels_and_cascades() {
        // Deadlines straddling every level boundary; at 1 s ticks level `l`
        // starts at 64^l seconds.
        let mut w = wheel();
        let mut expect = BTreeMap::new();
        for l in 0..6u32 {
            let base = 64f64.powi(l as i32);
            for (i, d) in [base - 1.0, base, base + 0.5, base * 2.0 + 3.0]
                .into_iter()
                .enumerate()
            {
                let key = format!("l{l}-{i}");
                w.schedule(&key, d).unwrap();
                expect.insert(key, d);
            }
        }
        w.check_invariants();
        // Walk the clock in uneven steps across all the boundaries.
        let mut now = 0.0;
        while !expect.is_empty() {
            now = now * 1.7 + 0.9;
            let got = sorted(w.advance(now).unwrap());
            let want: Vec<String> = expect
                .iter()
                .filter(|(_, &d)| d <= now)
                .map(|(k, _)| k.clone())
                .collect();
            expect.retain(|_, d| *d > now);
            assert_eq!(got, want, "at now={now}");
            w.check_invariants();
        }
    }

    #[test]
    fn cursor_wraps_within_a_level() {
        // Entries at slot 63 then slot 0 of the next rotation of level 0.
        let mut w = wheel();
        w.advance(60.0).unwrap();
        w.schedule("s63", 63.0).unwrap();
        w.schedule("s64", 64.0).unwrap();
        w.schedule("s65", 65.5).unwrap();
        assert_eq!(w.level_of("s63"), Some(0));
        assert_eq!(w.level_of("s64"), Some(1));
        w.check_invariants();
        assert_eq!(sorted(w.advance(64.0).unwrap()), vec!["s63", "s64"]);
        w.check_invariants();
        assert_eq!(w.level_of("s65"), Some(0));
        assert_eq!(sorted(w.advance(65.5).unwrap()), vec!["s65"]);
    }

    #[test]
    fn cursor_stepping_onto_an_upper_slot_start_cascades_it() {
        // At 1 s ticks, tick 100 sits in level-1 slot 1, which starts at 64.
        // advance(63.x) steps the cursor to 64: that slot must be cascaded.
        let mut w = wheel();
        w.schedule("a", 100.5).unwrap();
        assert_eq!(w.level_of("a"), Some(1));
        assert!(w.advance(63.5).unwrap().is_empty());
        assert_eq!(w.elapsed, 64);
        w.check_invariants();
        assert_eq!(w.level_of("a"), Some(0));
        w.schedule("a", 0.0).unwrap(); // unfiles from the right slot
        assert_eq!(sorted(w.advance(63.6).unwrap()), vec!["a"]);

        // Same through next_deadline: it sorts tick 63 into the overdue set
        // and steps the cursor to 64.
        let mut w = wheel();
        w.schedule("b", 63.2).unwrap();
        w.schedule("a", 100.5).unwrap();
        w.schedule("c", 1.0).unwrap();
        assert!(w.cancel("c"));
        assert_eq!(w.next_deadline(), Some(63.2));
        assert_eq!(w.elapsed, 64);
        w.check_invariants();
        assert!(w.cancel("a"));
        w.check_invariants();
    }

    #[test]
    fn far_future_and_saturated_deadlines() {
        let mut w = TimerWheel::new();
        let now = 1_700_000_000.0;
        let century = now + 100.0 * 365.25 * 86_400.0;
        w.schedule("soon", now + 1.0).unwrap();
        w.schedule("century", century).unwrap();
        w.schedule("huge", 1e300).unwrap();
        w.schedule("max", f64::MAX).unwrap();
        w.schedule("max2", f64::MAX).unwrap();
        w.check_invariants();
        assert_eq!(w.level_of("huge"), Some(NUM_LEVELS - 1));
        assert_eq!(sorted(w.advance(now + 1.0).unwrap()), vec!["soon"]);
        assert_eq!(w.next_deadline(), Some(century));
        w.check_invariants();
        assert!(w.advance(century - 1.0).unwrap().is_empty());
        assert_eq!(sorted(w.advance(century).unwrap()), vec!["century"]);
        // Both `huge` and `max` saturate to tick MAX_TICK: told apart by the
        // exact deadline.
        assert!(w.advance(1e299).unwrap().is_empty());
        assert_eq!(sorted(w.advance(1e300).unwrap()), vec!["huge"]);
        w.check_invariants();
        assert_eq!(w.next_deadline(), Some(f64::MAX));
        assert_eq!(sorted(w.advance(f64::MAX).unwrap()), vec!["max", "max2"]);
        assert!(w.is_empty());
        w.check_invariants();
    }

    #[test]
    fn rejects_non_finite() {
        let mut w = wheel();
        w.schedule("k", 1.0).unwrap();
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(matches!(
                w.schedule("k", bad),
                Err(TimerError::NonFiniteDeadline(_))
            ));
            assert!(matches!(
                w.schedule("new", bad),
                Err(TimerError::NonFiniteDeadline(_))
            ));
            assert!(matches!(w.advance(bad), Err(TimerError::NonFiniteNow(_))));
        }
        assert_eq!(w.len(), 1);
        assert_eq!(w.deadline("k"), Some(1.0));
        w.check_invariants();
    }

    #[test]
    fn clock_going_backwards() {
        let mut w = wheel();
        w.schedule("a", 1000.0).unwrap();
        w.schedule("b", 2000.0).unwrap();
        assert!(w.advance(500.0).unwrap().is_empty());
        // Back in time: nothing extra.
        assert!(w.advance(100.0).unwrap().is_empty());
        // Scheduled while behind the cursor: overdue set, exact.
        w.schedule("c", 300.0).unwrap();
        w.schedule("d", 200.0).unwrap();
        w.check_invariants();
        assert_eq!(w.next_deadline(), Some(200.0));
        assert_eq!(sorted(w.advance(250.0).unwrap()), vec!["d"]);
        assert!(w.advance(120.0).unwrap().is_empty());
        assert_eq!(sorted(w.advance(1000.0).unwrap()), vec!["a", "c"]);
        assert_eq!(sorted(w.advance(5000.0).unwrap()), vec!["b"]);
        w.check_invariants();
    }

    #[test]
    fn next_deadline_moves_cursor_but_past_schedules_still_work() {
        let mut w = wheel();
        w.schedule("tmp", 1.0).unwrap();
        w.schedule("far", 1_000_000.0).unwrap();
        // Cancelling the earliest forgets the cached minimum: recomputed.
        assert!(w.cancel("tmp"));
        assert_eq!(w.next_deadline(), Some(1_000_000.0));
        // The cursor jumped ahead to `far`'s tick; earlier deadlines must
        // still be exact.
        assert!(w.elapsed > 0);
        w.schedule("near", 10.0).unwrap();
        assert_eq!(w.next_deadline(), Some(10.0));
        assert!(w.advance(9.0).unwrap().is_empty());
        assert_eq!(sorted(w.advance(10.0).unwrap()), vec!["near"]);
        assert!(w.cancel("far"));
        w.check_invariants();
    }

    #[test]
    fn rebase_after_clock_stepped_back_years() {
        let mut w = TimerWheel::new();
        let future = 2_000_000_000.0;
        let present = 1_700_000_000.0;
        w.advance(future).unwrap();
        for i in 0..1000 {
            w.schedule(&format!("k{i}"), present + 600.0 + i as f64)
                .unwrap();
            // The first few land in the overdue set (the cursor is in the
            // future), then a rebuild around `present` refiles them and the
            // rest go on the wheel directly.
            w.advance(present + i as f64 * 0.01).unwrap();
            w.check_invariants();
        }
        assert_eq!(w.overdue.len(), 0);
        assert!(w.elapsed <= w.clock.tick(present + 10.0) + 1);
        let mut got = w.advance(present + 600.0 + 499.5).unwrap().len();
        assert_eq!(got, 500);
        got += w.advance(future).unwrap().len();
        assert_eq!(got, 1000);
        w.check_invariants();
    }

    #[test]
    fn crowded_tick_is_sorted_once() {
        // 1000 keys in one 1 s tick: after the first look at the tick they
        // sit in the ordered overdue set, so each next_deadline/advance pair
        // of the observer loop is O(log k), not a rescan of the tick.
        let mut w = wheel();
        for i in 0..1000 {
            w.schedule(&format!("k{i}"), 100.0 + i as f64 / 1000.0)
                .unwrap();
        }
        assert_eq!(w.next_deadline(), Some(100.0));
        assert_eq!(w.overdue.len(), 1000);
        for i in 0..1000 {
            let d = w.next_deadline().unwrap();
            assert_eq!(d, 100.0 + i as f64 / 1000.0);
            assert_eq!(sorted(w.advance(d).unwrap()), vec![format!("k{i}")]);
        }
        assert!(w.is_empty());
        w.check_invariants();
    }

    #[test]
    fn huge_forward_jump_expires_each_once() {
        let mut w = TimerWheel::new();
        let now = 1_700_000_000.0;
        w.advance(now).unwrap();
        let mut keys = Vec::new();
        for i in 0..5000u32 {
            // Spread from seconds to decades.
            let d = now + (i as f64).powf(2.7);
            let key = format!("k{i}");
            w.schedule(&key, d).unwrap();
            keys.push(key);
        }
        w.check_invariants();
        let got = sorted(w.advance(now + 1e12).unwrap());
        keys.sort();
        assert_eq!(got, keys);
        assert!(w.is_empty());
        w.check_invariants();
    }

    #[derive(Clone, Debug)]
    enum Op {
        Schedule(u8, f64),
        Cancel(u8),
        Advance(f64),
        NextDeadline,
    }

    /// Times around a small range so ticks collide, plus far-away values.
    fn time() -> impl Strategy<Value = f64> {
        prop_oneof![
            6 => 0.0..5000.0f64,
            2 => (0u32..5000).prop_map(f64::from),
            1 => -100.0..0.0f64,
            1 => prop_oneof![Just(1e12), Just(1e18), Just(1e300), Just(f64::MAX), Just(-0.0)],
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            5 => (0u8..40, time()).prop_map(|(k, d)| Op::Schedule(k, d)),
            2 => (0u8..40).prop_map(Op::Cancel),
            3 => time().prop_map(Op::Advance),
            1 => Just(Op::NextDeadline),
        ]
    }

    proptest! {
        /// Internal invariants hold after every operation, under random use
        /// with several resolutions (the public-API model test lives in
        /// `tests/timer_wheel_proptest.rs`).
        #[test]
        fn invariants_hold(
            resolution in prop_oneof![Just(1.0), Just(0.001), Just(0.37), Just(64.0)],
            ops in prop::collection::vec(op(), 1..200),
        ) {
            let mut w = TimerWheel::with_resolution(resolution).unwrap();
            let mut model: BTreeMap<String, f64> = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Schedule(k, d) => {
                        w.schedule(&format!("k{k}"), d).unwrap();
                        model.insert(format!("k{k}"), d);
                    }
                    Op::Cancel(k) => {
                        prop_assert_eq!(w.cancel(&format!("k{k}")), model.remove(&format!("k{k}")).is_some());
                    }
                    Op::Advance(now) => {
                        let got = sorted(w.advance(now).unwrap());
                        let want: Vec<String> =
                            model.iter().filter(|(_, &d)| d <= now).map(|(k, _)| k.clone()).collect();
                        model.retain(|_, d| *d > now);
                        prop_assert_eq!(got, want);
                    }
                    Op::NextDeadline => {
                        let want = model.values().copied().fold(None, |m: Option<f64>, d| {
                            Some(m.map_or(d, |m| m.min(d)))
                        });
                        prop_assert_eq!(w.next_deadline(), want);
                    }
                }
                w.check_invariants();
            }
        }
    }

    #[test]
    fn level_bits_match_docs() {
        assert_eq!(LEVEL_BITS * (NUM_LEVELS - 1), 60);
    }
}
