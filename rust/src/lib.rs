//! hyperban's Rust core.
//!
//! Data flows one way through hyperban; this crate holds the stages that must
//! be fast:
//!
//! * [`syntax`] — Python `re` patterns parsed once, printed for each engine;
//! * [`hyperscan`] — the only `unsafe` code: a thin wrapper over Hyperscan;
//! * [`exact`] — PCRE2 confirmation and capture extraction;
//! * [`matcher`] — one pass over a log chunk for every pattern of every jail;
//! * [`date`] — fail2ban's date detection: find, parse and cut a line's date;
//! * [`filter`] — a single-line filter's exact stage (date cut, prefregex,
//!   failregex, ignoreregex) over a chunk, in one call;
//! * [`timer`] — the hierarchical timer wheel that drives ban expiry.
//!
//! `py` (behind the `python` feature) is the thin PyO3 layer that maturin turns
//! into `hyperban._core`. It converts types and errors and nothing else.

pub mod date;
pub mod exact;
pub mod filter;
pub mod hyperscan;
pub mod matcher;
pub mod syntax;
pub mod timer;

#[cfg(feature = "python")]
mod py;

/// The extension's Rust allocations go to mimalloc, as in pydantic-core
/// (Python's own objects keep CPython's allocators). A chunk's exact stage
/// makes and drops many small blocks (group strings, fields, records);
/// under glibc's malloc, folding its fast bins back together took about a
/// sixth of `hyperban regex` on an sshd log, and mimalloc cut the whole
/// run by 14% (`--json --print-all-matched`, 1M lines, 5% attack).
/// Built without transparent huge pages (`no_thp` in Cargo.toml): with
/// them the daemon's peak RSS at 16k lines/s went from 50 MB (glibc) to
/// 82 MB; without, 59 MB, and the regex tool ran 6% faster still.
#[cfg(feature = "python")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
