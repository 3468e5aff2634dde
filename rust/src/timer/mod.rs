//! The hierarchical timer wheel that drives ban expiry.
//!
//! [`TimerWheel`] maps string keys (`"jail\0ip"`-style ban identifiers) to
//! absolute deadlines in epoch seconds (`f64`, the caller's clock) and hands
//! back every key whose deadline has passed when the caller advances it.
//!
//! # Semantics
//!
//! * `schedule(key, deadline)` inserts `key`, or moves it if present.
//! * `cancel(key)` removes `key`; it reports whether `key` was scheduled.
//! * `advance(now)` removes and returns **exactly** the keys with
//!   `deadline <= now`, each once, in unspecified order. Nothing else is
//!   removed. In particular:
//!   - a key whose deadline is later than `now` is never returned, even when
//!     it shares a tick (slot) with keys that are due: entries keep their exact
//!     `f64` deadline and the slots are only an index;
//!   - a deadline that is already in the past when it is scheduled is
//!     returned by the next `advance(now)` with `now >= deadline`;
//!   - `now` may go backwards (clock stepped back): nothing extra is returned
//!     and nothing is lost;
//!   - `now` may jump forward by years: every due key is returned once.
//! * `next_deadline()` is the exact earliest deadline still scheduled.
//!
//! Deadlines and `now` must be finite; NaN and ±∞ are rejected with
//! [`TimerError`] (never a panic).
//!
//! # Design (modelled on tokio's `runtime/time/wheel`)
//!
//! Time is quantised into `u64` *ticks* of `resolution` seconds (`tick.rs`);
//! tick `k` covers `[k, k + 1) * resolution`. Ticks are only an index: every
//! due/not-due decision compares exact `f64` deadlines. The wheel keeps a
//! cursor, `elapsed`, and files each entry by comparing its tick with it:
//!
//! * `level.rs` — ticks at or after the cursor: `NUM_LEVELS` levels of 64
//!   slots with a `u64` occupancy bitmap each. Level `l` slots span `64^l`
//!   ticks. An entry goes to the level of the most significant base-64 digit
//!   in which its tick differs from the cursor, exactly like tokio. There are
//!   11 levels, enough for all 64 bits of a tick, so **there is no overflow
//!   list and no wrap-around**: a deadline 100 years or 1e300 seconds away is
//!   an ordinary entry of an upper level (see *Overflow handling*).
//! * `overdue.rs` — ticks before the cursor, in a set ordered by exact
//!   deadline. Two kinds of entry land there: the not-yet-due rest of a tick
//!   the cursor has stepped past (`advance(now)` steps past `tick(now)`,
//!   `next_deadline` past the earliest tick), and deadlines scheduled behind
//!   the cursor (in the past, or while the caller's clock runs behind it).
//!   Usually it holds a handful of entries; its order is what makes
//!   `next_deadline` exact and keeps many keys in one tick cheap.
//! * `slab.rs` — all entries live in one `Vec` slab; slots are intrusive
//!   doubly-linked lists of `u32` slab indices, so schedule, cancel and
//!   reschedule are O(1): a hash lookup plus pointer surgery.
//! * `wheel.rs` — the key map, `advance` (fire the due overdue prefix, then
//!   process every slot up to `tick(now)`, cascading upper-level slots down,
//!   as tokio's `poll` does), and `next_deadline`.
//!
//! # Overflow handling
//!
//! `tick(t) = floor(t / resolution)`, saturated into `0..=u64::MAX - 1`
//! (`f64 as u64` saturates in Rust; one value is kept free so that the cursor
//! can always step past a tick). Negative deadlines map to tick 0; deadlines
//! past `(u64::MAX - 1) * resolution` (about 584 million years at the
//! default 1 ms) map to the last tick. Saturation keeps `tick` monotone, the
//! only property correctness relies on; saturated entries just share a slot
//! and are told apart by their exact deadline.
//!
//! # Complexity (n keys; k = keys in the overdue set, usually a handful)
//!
//! * `schedule`, `cancel`, reschedule: O(1), or O(log k) for an overdue key.
//! * `advance`: O(1) per expired key plus O(1) per cascade step (an entry
//!   cascades at most `NUM_LEVELS - 1` times in its life, so a jump of years
//!   costs O(n) in total), plus O(log k) per key of `tick(now)` that is not
//!   due yet.
//! * `next_deadline`: O(log k) when the overdue set is not empty; otherwise
//!   it cascades the earliest slot down to one tick and sorts that tick into
//!   the overdue set, which the next `advance` then consumes.
//!
//! Memory: a 32-byte slab entry, a 24-byte map bucket (plus control byte and
//! load-factor slack) and one shared `Arc<str>` allocation of the key per
//! scheduled key; about 3 KiB of slot heads per wheel.
//!
//! # Clock going backwards
//!
//! The cursor never moves backwards on its own: after `advance(now)` with a
//! `now` earlier than before, new deadlines earlier than the cursor land in
//! the overdue set (O(log k)). If the clock stays behind and the overdue set
//! receives as many insertions as half the wheel holds, the wheel is rebuilt
//! around the new `now` (O(n), paid for by those insertions), so even a clock
//! stepped back by years only costs a temporary slowdown.
mod error;
mod level;
mod overdue;
mod slab;
mod tick;
mod wheel;

pub use error::TimerError;
pub use wheel::TimerWheel;
