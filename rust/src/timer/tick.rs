//! Conversion from caller time (`f64` seconds) to wheel ticks (`u64`).
//!
//! Ticks are only an index: entries keep their exact `f64` deadline and every
//! due/not-due decision compares those. The wheel needs exactly one property
//! of the conversion, **monotonicity**:
//!
//! ```text
//! a <= b  ==>  tick(a) <= tick(b)        equivalently   tick(a) < tick(b) ==> a < b
//! ```
//!
//! It holds because `tick(t) = (t * ticks_per_sec) as u64`, and both steps
//! are monotone: IEEE multiplication by a positive constant rounds
//! monotonically, and `f64 as u64` truncates toward zero (= floor for
//! non-negative values), maps negative values to 0 and saturates at
//! `u64::MAX` (Rust defines these casts as saturating). From it follows the
//! fact `advance` relies on: an entry whose tick is strictly before
//! `tick(now)` is due (`deadline <= now`).
//!
//! Ticks saturate at [`MAX_TICK`] `= u64::MAX - 1`, one below `u64::MAX`, so
//! that the wheel's cursor can always step past any tick (`tick + 1` never
//! overflows). Clamping with `min` keeps the conversion monotone.

/// The largest tick a time converts to.
pub(super) const MAX_TICK: u64 = u64::MAX - 1;

use super::TimerError;

/// A validated resolution and its reciprocal.
///
/// # Invariants
///
/// * `resolution` is finite and in `[MIN_RESOLUTION, MAX_RESOLUTION]`, hence
///   `ticks_per_sec = 1 / resolution` is finite and positive.
/// * Neither field changes after construction, so `tick` is a fixed function
///   for the life of a wheel (the wheel recomputes ticks instead of storing
///   them, see `wheel.rs`).
#[derive(Clone, Copy, Debug)]
pub(super) struct TickClock {
    resolution: f64,
    ticks_per_sec: f64,
}

impl TickClock {
    pub(super) const MIN_RESOLUTION: f64 = 1e-9;
    pub(super) const MAX_RESOLUTION: f64 = 86_400.0;

    pub(super) fn new(resolution: f64) -> Result<TickClock, TimerError> {
        // The range check also rejects NaN (all comparisons are false).
        if !(Self::MIN_RESOLUTION..=Self::MAX_RESOLUTION).contains(&resolution) {
            return Err(TimerError::InvalidResolution(resolution));
        }
        Ok(TickClock {
            resolution,
            ticks_per_sec: 1.0 / resolution,
        })
    }

    pub(super) fn resolution(&self) -> f64 {
        self.resolution
    }

    /// The tick containing time `t`, floored and saturated to
    /// `0..=MAX_TICK`.
    #[inline]
    pub(super) fn tick(&self, t: f64) -> u64 {
        // `as` saturates (and maps NaN to 0, though NaN never gets here).
        ((t * self.ticks_per_sec) as u64).min(MAX_TICK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_resolutions() {
        for r in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e-10, 1e6] {
            assert!(TickClock::new(r).is_err(), "{r}");
        }
        assert!(TickClock::new(1e-9).is_ok());
        assert!(TickClock::new(86_400.0).is_ok());
    }

    #[test]
    fn ticks_floor_and_saturate() {
        let c = TickClock::new(0.001).unwrap();
        assert_eq!(c.tick(0.0), 0);
        assert_eq!(c.tick(-5.0), 0);
        assert_eq!(c.tick(0.0015), 1);
        assert_eq!(c.tick(1.0), 1000);
        assert_eq!(c.tick(1.8e16), 18_000_000_000_000_000_000);
        assert_eq!(c.tick(1e300), MAX_TICK);
        assert_eq!(c.tick(f64::MAX), MAX_TICK);
    }

    #[test]
    fn ticks_are_monotone_around_epoch_values() {
        let c = TickClock::new(0.001).unwrap();
        let mut t = 1_700_000_000.0_f64;
        let mut prev = c.tick(t);
        // Walk ulp by ulp across several tick boundaries.
        for _ in 0..100_000 {
            t = t.next_up();
            let k = c.tick(t);
            assert!(k >= prev);
            prev = k;
        }
    }
}
