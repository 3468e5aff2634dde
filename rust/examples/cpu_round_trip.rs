//! How long a cache line takes to go from one CPU to another and back:
//! two threads hand a counter to each other through one atomic.
//!
//! On this project's 2-CPU machine it reads about 85 ns at some times and
//! about 370 ns at others (the host moving its virtual CPUs closer or
//! further apart); the regex tool's two threads share every chunk's lines,
//! so its timings move with it. Run it before and after a benchmark of the
//! tool to know which placement the benchmark ran in (see the README,
//! Performance).
//!
//! `cargo run --release --example cpu_round_trip`

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

const ROUND_TRIPS: u64 = 2_000_000;

fn main() {
    let flag = Arc::new(AtomicU64::new(0));
    let other = {
        let flag = Arc::clone(&flag);
        std::thread::spawn(move || {
            for i in 0..ROUND_TRIPS {
                while flag.load(Ordering::Acquire) != 2 * i + 1 {
                    std::hint::spin_loop();
                }
                flag.store(2 * i + 2, Ordering::Release);
            }
        })
    };
    let start = Instant::now();
    for i in 0..ROUND_TRIPS {
        flag.store(2 * i + 1, Ordering::Release);
        while flag.load(Ordering::Acquire) != 2 * i + 2 {
            std::hint::spin_loop();
        }
    }
    let elapsed = start.elapsed();
    if other.join().is_err() {
        eprintln!("the other thread failed");
        std::process::exit(1);
    }
    println!(
        "{:.1} ns a round trip",
        elapsed.as_nanos() as f64 / ROUND_TRIPS as f64
    );
}
