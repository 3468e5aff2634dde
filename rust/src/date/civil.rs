//! Proleptic-Gregorian calendar arithmetic on "naive" date-times.
//!
//! A [`Naive`] value is a wall-clock reading with no zone attached, stored as
//! whole seconds counted as if the reading were UTC (so `1970-01-01 00:00:00`
//! is 0) plus microseconds.  This mirrors Python's naive `datetime`, which is
//! what fail2ban compares and shifts before converting to an epoch.
//!
//! Invariant: every `Naive` built through [`Naive::from_fields`] or the checked
//! arithmetic lies within Python's `datetime` range (years 1..=9999) and has
//! `micros < 1_000_000`.

/// Seconds in a day.
pub(crate) const DAY: i64 = 86_400;

/// True for Gregorian leap years.
pub(crate) fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days of `month` (1..=12) in `year`; 0 for an invalid month.
pub(crate) fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days before the first day of `month` (1..=12) in `year`.
pub(crate) fn days_before_month(year: i64, month: i64) -> i64 {
    let mut total = 0;
    let mut m = 1;
    while m < month && m <= 12 {
        total += days_in_month(year, m);
        m += 1;
    }
    total
}

/// Days from 1970-01-01 to `year-month-day` (may be negative).
///
/// Works for any year representable without overflow in `i64` arithmetic for
/// the ranges used here (|year| < 10^9); month/day must be valid.
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    // Shift the year so that it starts in March: the leap day is then the
    // last day of the shifted year.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // 0..=399
    let mp = (month + 9) % 12; // March == 0
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`]: `(year, month, day)`.
pub(crate) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Weekday of a day count since 1970-01-01, Monday == 0 (Python's
/// `date.weekday()` convention).
pub(crate) fn weekday_from_days(days: i64) -> i64 {
    // 1970-01-01 was a Thursday (3).
    (days + 3).rem_euclid(7)
}

/// Smallest and largest second values of Python's `datetime`
/// (0001-01-01 00:00:00 and 9999-12-31 23:59:59).
const MIN_SECS: i64 = -62_135_596_800;
const MAX_SECS: i64 = 253_402_300_799;

/// A naive wall-clock date-time (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Naive {
    /// Seconds as if UTC.
    pub secs: i64,
    /// Sub-second part, `0..1_000_000`.
    pub micros: u32,
}

/// The broken-down fields of a [`Naive`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fields {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub hour: i64,
    pub minute: i64,
    pub second: i64,
}

impl Naive {
    /// Validates like Python's `datetime(year, month, day, hour, minute,
    /// second)`; `None` where Python raises `ValueError`.
    pub fn from_fields(f: Fields) -> Option<Naive> {
        if !(1..=9999).contains(&f.year) || !(1..=12).contains(&f.month) {
            return None;
        }
        if f.day < 1 || f.day > days_in_month(f.year, f.month) {
            return None;
        }
        if !(0..24).contains(&f.hour)
            || !(0..60).contains(&f.minute)
            || !(0..60).contains(&f.second)
        {
            return None;
        }
        let days = days_from_civil(f.year, f.month, f.day);
        Some(Naive {
            secs: days * DAY + f.hour * 3600 + f.minute * 60 + f.second,
            micros: 0,
        })
    }

    /// Broken-down fields (microseconds dropped).
    pub fn fields(self) -> Fields {
        let days = self.secs.div_euclid(DAY);
        let rem = self.secs.rem_euclid(DAY);
        let (year, month, day) = civil_from_days(days);
        Fields {
            year,
            month,
            day,
            hour: rem / 3600,
            minute: rem % 3600 / 60,
            second: rem % 60,
        }
    }

    /// `self + seconds`, or `None` where Python's `datetime + timedelta`
    /// raises `OverflowError` (result outside years 1..=9999).
    pub fn checked_add_secs(self, seconds: i64) -> Option<Naive> {
        let secs = self.secs.checked_add(seconds)?;
        if !(MIN_SECS..=MAX_SECS).contains(&secs) {
            return None;
        }
        Some(Naive {
            secs,
            micros: self.micros,
        })
    }

    /// Python's `datetime.fromtimestamp`-style naive value of an epoch given
    /// as a float and a UTC offset (seconds east) valid at that instant.
    ///
    /// Rounds the fraction to microseconds half-to-even the way CPython does
    /// (`modf`, scale, round, carry).
    pub fn from_epoch_f64(ts: f64, utc_offset: i64) -> Option<Naive> {
        if !ts.is_finite() {
            return None;
        }
        let int_part = ts.trunc();
        let mut frac = ((ts - int_part) * 1e6).round_ties_even();
        let mut whole = int_part;
        if frac >= 1e6 {
            frac -= 1e6;
            whole += 1.0;
        } else if frac < 0.0 {
            frac += 1e6;
            whole -= 1.0;
        }
        if whole.abs() > 1e15 {
            return None;
        }
        let secs = (whole as i64).checked_add(utc_offset)?;
        if !(MIN_SECS..=MAX_SECS).contains(&secs) {
            return None;
        }
        Some(Naive {
            secs,
            micros: frac as u32,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in (-800_000..3_000_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn fields_validation() {
        let ok = Fields {
            year: 2004,
            month: 2,
            day: 29,
            hour: 23,
            minute: 59,
            second: 59,
        };
        assert!(Naive::from_fields(ok).is_some());
        assert!(Naive::from_fields(Fields { year: 2005, ..ok }).is_none());
        assert!(Naive::from_fields(Fields { hour: 24, ..ok }).is_none());
        assert!(Naive::from_fields(Fields { year: 0, ..ok }).is_none());
        let n = Naive::from_fields(ok).unwrap();
        assert_eq!(n.fields(), ok);
    }

    #[test]
    fn overflow_and_epoch() {
        let top = Naive::from_fields(Fields {
            year: 9999,
            month: 12,
            day: 31,
            hour: 23,
            minute: 0,
            second: 0,
        })
        .unwrap();
        assert!(top.checked_add_secs(3600).is_none());
        assert!(top.checked_add_secs(3599).is_some());
        let n = Naive::from_epoch_f64(1.5, 0).unwrap();
        assert_eq!((n.secs, n.micros), (1, 500_000));
        let n = Naive::from_epoch_f64(-0.25, 0).unwrap();
        assert_eq!((n.secs, n.micros), (-1, 750_000));
        assert_eq!(weekday_from_days(days_from_civil(2005, 1, 1)), 5); // Saturday
    }
}
