//! fail2ban-compatible date detection: find the timestamp in a log line,
//! convert it to an epoch, and report the span fail2ban cuts out of the line
//! before `failregex` runs.
//!
//! # Use
//! ```
//! use hyperban_core::date::{DateDetector, DateValue, LocalZone};
//! let mut dd = DateDetector::with_zone(None, None, 1.79e9, LocalZone::utc()).unwrap();
//! let line = "Jan 23 21:59:59 host sshd[1]: Failed password";
//! let m = dd.find(line, 1_124_013_600.0).unwrap();
//! assert_eq!(m.value, DateValue::Time(1_106_517_599.0));
//! // fail2ban's failregex then sees the text around the date, joined:
//! let rest = format!("{}{}", &line[..m.start], &line[m.end..]);
//! assert_eq!(rest, " host sshd[1]: Failed password");
//! ```
//!
//! # What is reproduced
//! * `datepattern` (one pattern per line): `%`-codes of fail2ban's
//!   strptime (listed in `pattern.rs`), plain regexes
//!   with named groups, `**` markers, `{^LN-BEG}`, `{UNB}`, `{DATE}`,
//!   `{NONE}`, `{DEFAULT}`, `EPOCH`, `LEPOCH`, `{EPOCH}`/`{LEPOCH}` inside a
//!   regex, `TAI64N`; without a datepattern the 17 default templates plus
//!   their line-anchored copies (31), in fail2ban's order.
//! * The search order with "last template first", collision detection and
//!   template reordering (`detector.rs`), so that the same date is found on
//!   every line of a log as fail2ban finds it.
//! * Conversion (`parse.rs`): year inference for year-less dates (previous
//!   year if more than a day in the future, keeping fail2ban's quirk of
//!   restoring month/day after a zone shift), today/yesterday for time-only
//!   dates, 2000-based two-digit years, `%j`/`%U`/`%W`, 12-hour clock.
//! * Zones (`tz.rs`, `zoneinfo.rs`): `%z`/`%Z`/`%Exz`/`%ExZ` in the line win
//!   over `logtimezone` (`UTC`, `UTC+0200`, `+0200`, `-05:00`, `CET`, ... in
//!   fail2ban's fixed-offset notation, `""` = UTC), which wins over the local
//!   zone.
//!
//! # Design choices
//! * Regex engine: PCRE2 (the `pcre2` crate) in UTF + UCP mode with JIT,
//!   because fail2ban's templates rely on look-behind, conditionals
//!   (`(?(name)..)`), back-references (`(?P=_sep)`) and Unicode-aware `\d`
//!   `\w` `\b` of Python's `re`; `pyre.rs` translates the few syntax
//!   differences.  PCRE2's backtracking limits turn pathological searches
//!   into "no match" where Python would keep going.
//! * Local zone: fail2ban converts zone-less dates with glibc's
//!   `mktime`/`localtime`.  [`LocalZone`] re-implements that in Rust: it reads
//!   `TZ` / `TZDIR` / `/etc/localtime` (TZif files and POSIX TZ strings) when
//!   a detector is built with [`DateDetector::new`], and emulates glibc's
//!   `mktime` probing, including its carried offset guess that decides
//!   ambiguous fall-back hours.  [`DateDetector::with_zone`] takes an explicit
//!   zone instead (tests, or a host with a different notion of local time).
//! * No hidden clock: `find` takes `now`; the constructor takes `created_at`,
//!   the moment fail2ban would have loaded its date module, which fixes the
//!   `%ExY` year window (2000 up to about three years after it).
//!
//! # Outcomes ([`DateValue`])
//! `find` returns `None` when no template matches (fail2ban: no date, line
//! unchanged).  Otherwise the span `start..end` is what fail2ban removes, and:
//! `Time(epoch)`; `Empty` (zero-length match, e.g. `{NONE}`: fail2ban uses
//! the previous line's date if under 60 s old, else now); `Invalid` (text
//! looked like a date but is not one, e.g. Feb 30: still removed, no date);
//! `Abort` (fail2ban raises on this line and skips it).

mod bounds;
mod civil;
mod detector;
mod parse;
mod pattern;
mod posixtz;
mod pyre;
mod pyvalue;
mod shape;
mod template;
mod templates;
mod tz;
mod tzif;
mod zoneinfo;

pub use detector::{DateDetector, DateError, DateMatch, DateValue};
pub use zoneinfo::LocalZone;
