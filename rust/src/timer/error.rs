//! The one error type of the timer wheel.

use std::fmt;

/// Why a [`TimerWheel`](super::TimerWheel) call was refused.
///
/// Every refused call leaves the wheel exactly as it was.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum TimerError {
    /// A deadline was NaN or infinite.
    NonFiniteDeadline(f64),
    /// `advance` was given a `now` that is NaN or infinite.
    NonFiniteNow(f64),
    /// The resolution was outside
    /// `[MIN_RESOLUTION, MAX_RESOLUTION]` (or NaN).
    ///
    /// [`MIN_RESOLUTION`]: super::TimerWheel::MIN_RESOLUTION
    /// [`MAX_RESOLUTION`]: super::TimerWheel::MAX_RESOLUTION
    InvalidResolution(f64),
    /// The wheel already holds the maximum number of keys (`u32::MAX - 1`,
    /// the limit of its `u32` slab indices).
    CapacityExceeded,
}

impl fmt::Display for TimerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimerError::NonFiniteDeadline(d) => {
                write!(f, "deadline must be a finite number of seconds, got {d}")
            }
            TimerError::NonFiniteNow(n) => {
                write!(f, "now must be a finite number of seconds, got {n}")
            }
            TimerError::InvalidResolution(r) => write!(
                f,
                "resolution must be between {} and {} seconds, got {r}",
                super::TimerWheel::MIN_RESOLUTION,
                super::TimerWheel::MAX_RESOLUTION,
            ),
            TimerError::CapacityExceeded => {
                write!(f, "timer wheel is full ({} keys)", u32::MAX - 1)
            }
        }
    }
}

impl std::error::Error for TimerError {}
