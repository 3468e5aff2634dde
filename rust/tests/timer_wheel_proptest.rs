//! `TimerWheel` against a sorted reference model, through the public API only.
//!
//! The model is the obvious implementation: a `BTreeSet` of
//! `(deadline, key)` ordered by deadline plus a key → deadline map. `advance`
//! pops its prefix with `deadline <= now`; `next_deadline` is its first
//! element. Random sequences of schedule / reschedule / cancel / advance (with
//! the clock moving forward, within one tick, backwards and by years) must
//! give the same answers.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};

use hyperban_core::timer::{TimerError, TimerWheel};
use proptest::prelude::*;

/// `f64` ordered by `total_cmp` (the model never holds NaN).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Ord64(f64);

impl Eq for Ord64 {}

impl PartialOrd for Ord64 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ord64 {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

#[derive(Default)]
struct Model {
    by_deadline: BTreeSet<(Ord64, String)>,
    by_key: HashMap<String, f64>,
}

impl Model {
    fn schedule(&mut self, key: &str, deadline: f64) {
        if let Some(old) = self.by_key.insert(key.to_owned(), deadline) {
            self.by_deadline.remove(&(Ord64(old), key.to_owned()));
        }
        self.by_deadline.insert((Ord64(deadline), key.to_owned()));
    }

    fn cancel(&mut self, key: &str) -> bool {
        match self.by_key.remove(key) {
            Some(old) => self.by_deadline.remove(&(Ord64(old), key.to_owned())),
            None => false,
        }
    }

    fn advance(&mut self, now: f64) -> Vec<String> {
        let mut due = Vec::new();
        while let Some((Ord64(d), _)) = self.by_deadline.first() {
            if *d > now {
                break;
            }
            let (_, key) = self.by_deadline.pop_first().unwrap();
            self.by_key.remove(&key);
            due.push(key);
        }
        due.sort();
        due
    }

    fn next_deadline(&self) -> Option<f64> {
        self.by_deadline.first().map(|(Ord64(d), _)| *d)
    }
}

#[derive(Clone, Debug)]
enum Op {
    /// Schedule key `k` at `now + offset`.
    Schedule(usize, f64),
    /// Schedule key `k` at an absolute time.
    ScheduleAt(usize, f64),
    Cancel(usize),
    /// Move the clock by a delta (may be negative) and advance.
    Advance(f64),
    NextDeadline,
    Contains(usize),
    /// Feed a non-finite value to `schedule` or `advance`.
    Invalid(usize, f64),
}

/// Keys, including awkward ones, so the map is exercised too.
const KEYS: &[&str] = &[
    "",
    "a",
    "b",
    "c",
    "d",
    "e",
    "f",
    "g",
    "h",
    "i",
    "j",
    "k",
    "l",
    "m",
    "n",
    "o",
    "sshd\u{0}192.0.2.1",
    "sshd\u{0}192.0.2.2",
    "nginx\u{0}2001:db8::1",
    "ключ",
    "🔒",
    "p",
    "q",
    "r",
    "s",
    "t",
    "u",
    "v",
    "w",
    "x",
    "y",
    "z",
];

const YEAR: f64 = 365.25 * 86_400.0;

fn offset() -> impl Strategy<Value = f64> {
    prop_oneof![
        // Near future, often colliding in one tick.
        6 => 0.0..2.0f64,
        2 => (0u32..2000).prop_map(|ms| f64::from(ms) / 1000.0),
        // Already in the past.
        2 => -5.0..0.0f64,
        // Across upper levels.
        2 => 0.0..100_000.0f64,
        // 100 years and beyond.
        1 => prop_oneof![Just(100.0 * YEAR), Just(1e4 * YEAR), Just(0.0)],
    ]
}

fn absolute() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(1e300),
        Just(f64::MAX),
        Just(-1e300),
        Just(0.0),
        Just(-0.0),
        Just(f64::MIN_POSITIVE),
        Just(1e18),
    ]
}

fn delta() -> impl Strategy<Value = f64> {
    prop_oneof![
        5 => 0.0..1.0f64,
        2 => 0.0..0.001f64,
        1 => 0.0..200_000.0f64,
        // Clock stepped back.
        2 => -10.0..0.0f64,
        1 => -200_000.0..0.0f64,
        // Jumps by years, either way.
        1 => prop_oneof![Just(30.0 * YEAR), Just(-30.0 * YEAR)],
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let k = 0..KEYS.len();
    prop_oneof![
        8 => (k.clone(), offset()).prop_map(|(k, o)| Op::Schedule(k, o)),
        1 => (k.clone(), absolute()).prop_map(|(k, d)| Op::ScheduleAt(k, d)),
        3 => k.clone().prop_map(Op::Cancel),
        5 => delta().prop_map(Op::Advance),
        2 => Just(Op::NextDeadline),
        1 => k.clone().prop_map(Op::Contains),
        1 => (k, prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(f64::NEG_INFINITY)])
            .prop_map(|(k, bad)| Op::Invalid(k, bad)),
    ]
}

fn run(resolution: f64, start: f64, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut wheel = TimerWheel::with_resolution(resolution).unwrap();
    let mut model = Model::default();
    let mut now = start;
    for op in ops {
        match op {
            Op::Schedule(k, offset) => {
                let deadline = now + offset;
                wheel.schedule(KEYS[k], deadline).unwrap();
                model.schedule(KEYS[k], deadline);
            }
            Op::ScheduleAt(k, deadline) => {
                wheel.schedule(KEYS[k], deadline).unwrap();
                model.schedule(KEYS[k], deadline);
            }
            Op::Cancel(k) => {
                prop_assert_eq!(wheel.cancel(KEYS[k]), model.cancel(KEYS[k]));
            }
            Op::Advance(delta) => {
                now += delta;
                let mut got: Vec<String> = wheel
                    .advance(now)
                    .unwrap()
                    .iter()
                    .map(|k| k.to_string())
                    .collect();
                got.sort();
                prop_assert_eq!(got, model.advance(now), "advance({})", now);
            }
            Op::NextDeadline => {
                prop_assert_eq!(wheel.next_deadline(), model.next_deadline());
            }
            Op::Contains(k) => {
                prop_assert_eq!(wheel.contains(KEYS[k]), model.by_key.contains_key(KEYS[k]));
                prop_assert_eq!(wheel.deadline(KEYS[k]), model.by_key.get(KEYS[k]).copied());
            }
            Op::Invalid(k, bad) => {
                let schedule_err = matches!(
                    wheel.schedule(KEYS[k], bad),
                    Err(TimerError::NonFiniteDeadline(_))
                );
                prop_assert!(schedule_err);
                let advance_err = matches!(wheel.advance(bad), Err(TimerError::NonFiniteNow(_)));
                prop_assert!(advance_err);
            }
        }
        prop_assert_eq!(wheel.len(), model.by_key.len());
        prop_assert_eq!(wheel.is_empty(), model.by_key.is_empty());
    }
    // Whatever is left comes out exactly once at the end of time.
    let mut rest: Vec<String> = wheel
        .advance(f64::MAX)
        .unwrap()
        .iter()
        .map(|k| k.to_string())
        .collect();
    rest.sort();
    prop_assert_eq!(rest, model.advance(f64::MAX));
    prop_assert!(wheel.is_empty());
    prop_assert_eq!(wheel.next_deadline(), None);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Epoch-like times at the default resolution and a few others.
    #[test]
    fn agrees_with_sorted_model(
        resolution in prop_oneof![
            4 => Just(TimerWheel::DEFAULT_RESOLUTION),
            1 => Just(1.0),
            1 => Just(0.37),
            1 => Just(1e-9),
            1 => Just(86_400.0),
        ],
        start in prop_oneof![Just(1_700_000_000.0), Just(0.0), -1e6..1e10f64],
        ops in prop::collection::vec(op(), 1..300),
    ) {
        run(resolution, start, ops)?;
    }
}

/// Many keys in few ticks: long slot lists, partial expiry within a tick.
#[test]
fn crowded_ticks_agree_with_model() {
    let mut wheel = TimerWheel::new();
    let mut model = Model::default();
    let base = 1_700_000_000.0;
    let keys: Vec<String> = (0..5000)
        .map(|i| format!("10.0.{}.{}", i / 256, i % 256))
        .collect();
    for (i, key) in keys.iter().enumerate() {
        // 5000 keys over 5 ms, with distinct sub-tick deadlines.
        let deadline = base + (i % 5) as f64 * 0.001 + (i as f64) * 1e-7;
        wheel.schedule(key, deadline).unwrap();
        model.schedule(key, deadline);
    }
    let mut now = base - 0.0001;
    let mut step = 1u32;
    while !model.by_key.is_empty() {
        assert_eq!(wheel.next_deadline(), model.next_deadline());
        now += 0.000_037;
        let mut got: Vec<String> = wheel
            .advance(now)
            .unwrap()
            .iter()
            .map(|k| k.to_string())
            .collect();
        got.sort();
        assert_eq!(got, model.advance(now));
        if step.is_multiple_of(7) {
            // Now and then step back a little (net progress stays positive).
            now -= 0.0001;
        }
        step += 1;
    }
    assert!(wheel.is_empty());
}
