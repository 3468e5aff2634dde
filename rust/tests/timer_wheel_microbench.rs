//! Timing loop for `TimerWheel` at 1M concurrent keys (no criterion needed).
//!
//! Ignored by default; run it optimised and read the printed figures:
//!
//! ```text
//! cargo test --release --test timer_wheel_microbench -- --ignored --nocapture
//! ```
//!
//! It asserts correctness only, never timings.

use std::hint::black_box;
use std::time::Instant;

use hyperban_core::timer::TimerWheel;

const N: usize = 1_000_000;
const BASE: f64 = 1_700_000_000.0;

/// splitmix64: deterministic, dependency-free pseudo-random numbers.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[lo, hi)`.
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * (hi - lo)
    }
}

/// A start mark: wall clock plus this thread's on-CPU time.
struct Mark(Instant, Option<u64>);

impl Mark {
    fn now() -> Mark {
        Mark(Instant::now(), cpu_ns())
    }
}

/// Nanoseconds this thread has spent on a CPU (Linux: first field of
/// `/proc/thread-self/schedstat`). On a shared, oversubscribed machine this
/// is steadier than wall time, which also counts waiting for a core.
fn cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

fn report(what: &str, ops: usize, start: Mark) {
    let per_op = |ns: f64| ns / ops.max(1) as f64;
    let wall = per_op(start.0.elapsed().as_nanos() as f64);
    let cpu = match (start.1, cpu_ns()) {
        (Some(a), Some(b)) => format!("{:>8.1}", per_op((b - a) as f64)),
        _ => "     n/a".to_owned(),
    };
    println!("{what:<46} {ops:>9} ops  wall {wall:>8.1} ns/op  cpu {cpu} ns/op");
}

/// Keys shaped like real ones ("jail\0address").
fn keys() -> Vec<String> {
    (0..N)
        .map(|i| {
            format!(
                "sshd\0{}.{}.{}.{}",
                10 + i / 16_777_216,
                i / 65_536 % 256,
                i / 256 % 256,
                i % 256
            )
        })
        .collect()
}

#[test]
#[ignore = "timing loop; run with --release -- --ignored --nocapture"]
fn one_million_keys() {
    let keys = keys();
    let mut rng = Rng(42);
    // Ban times spread over an hour, a minute to an hour ahead of `BASE`.
    let deadlines: Vec<f64> = (0..N)
        .map(|_| rng.range(BASE + 60.0, BASE + 3600.0))
        .collect();
    let moved: Vec<f64> = (0..N)
        .map(|_| rng.range(BASE + 60.0, BASE + 3600.0))
        .collect();

    // Baseline on the same machine state: a bare std HashMap with the same
    // keys (the floor for any keyed structure; the wheel adds list surgery).
    let mut map = std::collections::HashMap::new();
    let t = Mark::now();
    for (i, key) in keys.iter().enumerate() {
        map.insert(Box::<str>::from(key.as_str()), i as u32);
    }
    report("baseline: HashMap<Box<str>, u32> insert", N, t);
    let t = Mark::now();
    for key in &keys[..100_000] {
        black_box(map.remove(&format!("{key}x")[..]));
    }
    report("baseline: HashMap remove (absent key)", 100_000, t);
    drop(map);

    let mut wheel = TimerWheel::new();
    assert!(wheel.advance(BASE).unwrap().is_empty());

    let t = Mark::now();
    for (key, &d) in keys.iter().zip(&deadlines) {
        wheel.schedule(key, d).unwrap();
    }
    report("schedule (new key, growing to 1M)", N, t);
    assert_eq!(wheel.len(), N);

    let t = Mark::now();
    for (key, &d) in keys.iter().zip(&moved) {
        wheel.schedule(key, d).unwrap();
    }
    report("schedule (reschedule existing, 1M present)", N, t);

    let t = Mark::now();
    let first = wheel.next_deadline();
    report("next_deadline (uncached, 1M present)", 1, t);
    let t = Mark::now();
    for _ in 0..1000 {
        black_box(wheel.next_deadline());
    }
    report("next_deadline (cached)", 1000, t);
    assert_eq!(first, moved.iter().copied().reduce(f64::min));

    // Cancel 100k random keys, then put them back (1M stays ~constant).
    let picks: Vec<usize> = (0..100_000)
        .map(|_| (rng.next_u64() % N as u64) as usize)
        .collect();
    let t = Mark::now();
    let mut cancelled = 0;
    for &i in &picks {
        cancelled += usize::from(wheel.cancel(&keys[i]));
    }
    report("cancel (random key, 1M present)", picks.len(), t);
    let t = Mark::now();
    for key in &keys[..100_000] {
        black_box(wheel.cancel(&format!("{key}x")));
    }
    report("cancel (absent key)", 100_000, t);
    for &i in &picks {
        wheel.schedule(&keys[i], moved[i]).unwrap();
    }
    assert!(cancelled > 90_000);
    assert_eq!(wheel.len(), N);

    // The observer thread's loop: sleep until next_deadline, then advance.
    // (Random deadlines near 1.7e9 s are 0.24 µs apart at best, so a few
    // coincide and one advance can return two keys.)
    let t = Mark::now();
    let mut fired = 0;
    for _ in 0..100_000 {
        let next = wheel.next_deadline().unwrap();
        let due = wheel.advance(next).unwrap().len();
        assert!(due >= 1);
        fired += due;
    }
    report("observer loop: next_deadline + advance", 100_000, t);

    // Advance second by second through the rest of the hour.
    let before = fired;
    let t = Mark::now();
    let mut now = BASE;
    while !wheel.is_empty() {
        now += 1.0;
        fired += wheel.advance(now).unwrap().len();
    }
    report("advance 1 s steps, per expired key", fired - before, t);
    assert_eq!(fired, N);

    // Refill and jump years ahead in one call.
    for (key, &d) in keys.iter().zip(&deadlines) {
        wheel
            .schedule(key, d + 10.0 * 365.25 * 86_400.0 * (d - BASE) / 3600.0)
            .unwrap();
    }
    let t = Mark::now();
    let all = wheel.advance(BASE + 1e9).unwrap();
    report(
        "advance one jump of 30 years, per expired key",
        all.len(),
        t,
    );
    assert_eq!(all.len(), N);
}
