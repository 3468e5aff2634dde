//! From captured strptime fields to an epoch — fail2ban's
//! `reGroupDictStrptime`, including its year/day inference:
//!
//! * no year: the year of "now" (local wall clock); if the result is more
//!   than one day after now, the previous year is used, keeping the
//!   *original* month and day but the (possibly zone-shifted) time of day;
//! * no month and no day (and no `%j`/week): today's date; if the result is
//!   after now, yesterday;
//! * `%y`: two-digit years are 2000-based (`00`..`99` → 2000..2099);
//! * `%I` with `%p`: 12-hour clock (`12 am` = 0h, `12 pm` = 12h);
//! * `%j`, or `%U`/`%W` with a weekday, give the day of the year when month
//!   or day is missing;
//! * `%z`/`%Z`: `Z`, `UTC`, `GMT` or fail2ban's zone notation; else the
//!   `logtimezone`; else the local zone through glibc-like `mktime`.
//!
//! Sub-second digits (`%f`) are ignored, as in fail2ban.

use super::civil::{civil_from_days, days_from_civil, weekday_from_days, Fields, Naive, DAY};
use super::pyvalue::py_int;
use super::tz::{zone_offset_minutes, ZoneError};
use super::zoneinfo::LocalZone;

/// Outcome of converting one match.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Conversion {
    /// Seconds since the epoch.
    Time(f64),
    /// fail2ban's conversion raised `ValueError`: "no date" for this line.
    Invalid,
    /// fail2ban raised another exception: it drops the whole line.
    Error,
}

/// What a conversion needs besides the fields.
pub(crate) struct ParseEnv<'a> {
    /// "Now" as a local naive date-time (`MyTime.now()`).
    pub now: Naive,
    /// `logtimezone` in minutes east of UTC, if set.
    pub default_tz: Option<i32>,
    /// The local zone for zone-less dates.
    pub zone: &'a LocalZone,
    /// glibc `mktime`'s carried offset guess.
    pub mktime_guess: &'a mut i64,
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
/// The first three letters of each of [`MONTHS`].
const MONTH_ABBREVIATIONS: [[u8; 3]; 12] = [
    *b"jan", *b"feb", *b"mar", *b"apr", *b"may", *b"jun", *b"jul", *b"aug", *b"sep", *b"oct",
    *b"nov", *b"dec",
];
const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Index of a month name, fail2ban style: the abbreviation list has an
/// empty entry 0, so an empty text yields month 0.
fn month_index(text: &str, abbreviated: bool) -> Option<i128> {
    // (a three-letter ASCII abbreviation, as syslog writes it, read by its
    // letters: the search below compares against each name in turn)
    if let (true, &[a, b, c]) = (abbreviated, text.as_bytes()) {
        if text.is_ascii() {
            let key = [a, b, c].map(|x| x.to_ascii_lowercase());
            return MONTH_ABBREVIATIONS
                .iter()
                .position(|m| *m == key)
                .map(|i| i as i128 + 1);
        }
    }
    if text.is_ascii() {
        // (ASCII text: the comparison below without the lowercased copy)
        if abbreviated && text.is_empty() {
            return Some(0);
        }
        return MONTHS
            .iter()
            .position(|m| {
                let name = if abbreviated { m.get(..3) } else { Some(*m) };
                name.is_some_and(|n| n.eq_ignore_ascii_case(text))
            })
            .map(|i| i as i128 + 1);
    }
    let lower = text.to_lowercase();
    if abbreviated && lower.is_empty() {
        return Some(0);
    }
    MONTHS
        .iter()
        .position(|m| {
            if abbreviated {
                m.get(..3) == Some(lower.as_str())
            } else {
                *m == lower
            }
        })
        .map(|i| i as i128 + 1)
}

fn weekday_index(text: &str, abbreviated: bool) -> Option<i128> {
    if text.is_ascii() {
        // (as in month_index)
        return WEEKDAYS
            .iter()
            .position(|d| {
                let name = if abbreviated { d.get(..3) } else { Some(*d) };
                name.is_some_and(|n| n.eq_ignore_ascii_case(text))
            })
            .map(|i| i as i128);
    }
    let lower = text.to_lowercase();
    WEEKDAYS
        .iter()
        .position(|d| {
            if abbreviated {
                d.get(..3) == Some(lower.as_str())
            } else {
                *d == lower
            }
        })
        .map(|i| i as i128)
}

/// A Python-int field narrowed to what `datetime` accepts: values outside the
/// C `int` range make Python raise `OverflowError`.
fn c_int(v: i128) -> Result<i64, Conversion> {
    i32::try_from(v)
        .map(i64::from)
        .map_err(|_| Conversion::Error)
}

/// Day-of-year (1-based, may fall outside the year) from a week number and
/// weekday (Monday == 0), for weeks starting on Monday (`%W`) or Sunday
/// (`%U`).  Week 0 is the partial week before the first full one.
fn julian_from_week(year: i64, week: i64, weekday: i64, monday_first: bool) -> i64 {
    let mut first = weekday_from_days(days_from_civil(year, 1, 1));
    let mut dow = weekday;
    if !monday_first {
        first = (first + 1) % 7;
        dow = (dow + 1) % 7;
    }
    if week == 0 {
        1 + dow - first
    } else {
        let week0_len = (7 - first) % 7;
        1 + week0_len + 7 * (week - 1) + dow
    }
}

/// Converts the named groups of a match (`(name, text)` in group order, text
/// `None` when the group did not participate).
pub(crate) fn strptime_fields(
    fields: &[(&str, Option<&str>)],
    env: &mut ParseEnv<'_>,
) -> Conversion {
    match convert(fields, env) {
        Ok(t) => Conversion::Time(t),
        Err(c) => c,
    }
}

fn int(text: &str) -> Result<i128, Conversion> {
    py_int(text).ok_or(Conversion::Invalid)
}

/// The fields of one date as read from its text, before any inference
/// (Python ints: a text may hold any number of digits).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct ReadFields {
    pub year: Option<i128>,
    pub month: Option<i128>,
    pub day: Option<i128>,
    pub hour: i128,
    pub minute: i128,
    pub second: i128,
    pub weekday: Option<i128>,
    pub julian: Option<i128>,
    /// `%U` (`false`) or `%W` (`true`) week number.
    pub week: Option<(i128, bool)>,
    /// `%z`/`%Z`, minutes east of UTC.
    pub tz_minutes: Option<i32>,
}

fn convert(fields: &[(&str, Option<&str>)], env: &mut ParseEnv<'_>) -> Result<f64, Conversion> {
    resolve(read_fields(fields)?, env)
}

/// The groups' texts read as fail2ban's `reGroupDictStrptime` reads them.
fn read_fields(fields: &[(&str, Option<&str>)]) -> Result<ReadFields, Conversion> {
    let mut year: Option<i128> = None;
    let mut month: Option<i128> = None;
    let mut day: Option<i128> = None;
    let (mut hour, mut minute, mut second): (i128, i128, i128) = (0, 0, 0);
    let mut weekday: Option<i128> = None;
    let mut julian: Option<i128> = None;
    let mut week: Option<(i128, bool)> = None;
    let mut tz_minutes: Option<i32> = None;

    for &(key, value) in fields {
        let Some(v) = value else { continue };
        match key {
            "y" => {
                let y = int(v)?;
                year = Some(if y <= 2000 { y + 2000 } else { y });
            }
            "Y" => year = Some(int(v)?),
            "m" => month = Some(int(v)?),
            "B" => month = Some(month_index(v, false).ok_or(Conversion::Invalid)?),
            "b" => month = Some(month_index(v, true).ok_or(Conversion::Invalid)?),
            "d" => day = Some(int(v)?),
            "H" => hour = int(v)?,
            "I" => {
                hour = int(v)?;
                let ampm = match fields.iter().find(|(k, _)| *k == "p") {
                    None => String::new(),
                    // `None.lower()`: AttributeError.
                    Some((_, None)) => return Err(Conversion::Error),
                    Some((_, Some(p))) => p.to_lowercase(),
                };
                if ampm.is_empty() || ampm == "am" {
                    if hour == 12 {
                        hour = 0;
                    }
                } else if ampm == "pm" && hour != 12 {
                    hour += 12;
                }
            }
            "M" => minute = int(v)?,
            "S" => second = int(v)?,
            "A" => weekday = Some(weekday_index(v, false).ok_or(Conversion::Invalid)?),
            "a" => weekday = Some(weekday_index(v, true).ok_or(Conversion::Invalid)?),
            "w" => {
                let w = int(v)? - 1;
                weekday = Some(if w < 0 { 6 } else { w });
            }
            "j" => julian = Some(int(v)?),
            "U" | "W" => week = Some((int(v)?, key == "W")),
            "z" | "Z" => {
                tz_minutes = Some(if matches!(v, "Z" | "UTC" | "GMT") {
                    0
                } else {
                    zone_offset_minutes(v).map_err(|e| match e {
                        ZoneError::Invalid => Conversion::Invalid,
                        ZoneError::UnknownAbbreviation => Conversion::Error,
                    })?
                });
            }
            _ => {}
        }
    }
    Ok(ReadFields {
        year,
        month,
        day,
        hour,
        minute,
        second,
        weekday,
        julian,
        week,
        tz_minutes,
    })
}

/// The epoch of fields read from a date's text: the year and day inferred
/// where the text has none, the zone applied (see the module docs).
pub(crate) fn resolve(read: ReadFields, env: &mut ParseEnv<'_>) -> Result<f64, Conversion> {
    let ReadFields {
        year,
        mut month,
        mut day,
        hour,
        minute,
        second,
        weekday,
        mut julian,
        week,
        tz_minutes,
    } = read;
    let now = env.now;
    let now_fields = now.fields();
    let assume_year = year.is_none();
    let mut year = year.unwrap_or(i128::from(now_fields.year));
    if month.is_none() || day.is_none() {
        if julian.is_none() {
            if let (Some((w, monday_first)), Some(wd)) = (week, weekday) {
                let y = c_int(year)?;
                if !(1..=9999).contains(&y) {
                    return Err(Conversion::Invalid);
                }
                julian = Some(i128::from(julian_from_week(
                    y,
                    c_int(w)?,
                    c_int(wd)?,
                    monday_first,
                )));
            }
        }
        if let Some(j) = julian {
            let y = c_int(year)?;
            if !(1..=9999).contains(&y) {
                return Err(Conversion::Invalid);
            }
            // Python's ordinal: 0001-01-01 is 1.
            let jan1 = days_from_civil(y, 1, 1) - days_from_civil(1, 1, 1) + 1;
            let ordinal = c_int(j)? - 1 + jan1;
            if !(1..=3_652_059).contains(&ordinal) {
                return Err(Conversion::Invalid);
            }
            let (ny, nm, nd) = civil_from_days(ordinal - 1 + days_from_civil(1, 1, 1));
            year = i128::from(ny);
            month = Some(i128::from(nm));
            day = Some(i128::from(nd));
        }
    }
    let assume_today = month.is_none() && day.is_none();
    if assume_today {
        month = Some(i128::from(now_fields.month));
        day = Some(i128::from(now_fields.day));
    }
    // datetime(year, None, day) & co: TypeError.
    let (Some(month), Some(day)) = (month, day) else {
        return Err(Conversion::Error);
    };

    let f = Fields {
        year: c_int(year)?,
        month: c_int(month)?,
        day: c_int(day)?,
        hour: c_int(hour)?,
        minute: c_int(minute)?,
        second: c_int(second)?,
    };
    let mut result = Naive::from_fields(f).ok_or(Conversion::Invalid)?;
    let tz_minutes = tz_minutes.or(env.default_tz);
    if let Some(m) = tz_minutes {
        result = result
            .checked_add_secs(-i64::from(m) * 60)
            .ok_or(Conversion::Error)?;
    }
    if assume_today && result > now {
        result = result.checked_add_secs(-DAY).ok_or(Conversion::Error)?;
    }
    if assume_year {
        let limit = now.checked_add_secs(DAY).ok_or(Conversion::Error)?;
        if result > limit {
            let kept = result.fields();
            let back = Fields {
                year: f.year - 1,
                month: f.month,
                day: f.day,
                ..kept
            };
            result = Naive::from_fields(back).ok_or(Conversion::Invalid)?;
        }
    }
    let epoch = match tz_minutes {
        Some(_) => result.secs,
        None => env
            .zone
            .mktime(result.secs, env.mktime_guess)
            .ok_or(Conversion::Error)?,
    };
    Ok(epoch as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_names_match_as_lowercased_text_does() {
        let slow = |names: &[&str], text: &str, abbreviated: bool| {
            let lower = text.to_lowercase();
            names.iter().position(|n| {
                if abbreviated {
                    n.get(..3) == Some(lower.as_str())
                } else {
                    *n == lower
                }
            })
        };
        for text in [
            "", "Jan", "JAN", "jan", "January", "MAY", "Mayo", "Dec ", "Mon", "sUnDaY", "x", "Nov",
            "sEp", "dec", "feb", "xyz", "ja",
        ] {
            for abbreviated in [true, false] {
                let expected = slow(&MONTHS, text, abbreviated).map(|i| i as i128 + 1);
                let expected = if abbreviated && text.is_empty() {
                    Some(0)
                } else {
                    expected
                };
                assert_eq!(month_index(text, abbreviated), expected, "{text:?}");
                let expected = slow(&WEEKDAYS, text, abbreviated).map(|i| i as i128);
                assert_eq!(weekday_index(text, abbreviated), expected, "{text:?}");
            }
        }
    }

    fn run(
        fields: &[(&str, Option<&str>)],
        now: Naive,
        tz: Option<i32>,
        zone: &LocalZone,
    ) -> Conversion {
        let mut guess = 0;
        let mut env = ParseEnv {
            now,
            default_tz: tz,
            zone,
            mktime_guess: &mut guess,
        };
        strptime_fields(fields, &mut env)
    }

    fn naive(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Naive {
        Naive::from_fields(Fields {
            year: y,
            month: mo,
            day: d,
            hour: h,
            minute: mi,
            second: s,
        })
        .unwrap()
    }

    #[test]
    fn year_inference() {
        let utc = LocalZone::utc();
        let now = naive(2005, 8, 14, 12, 0, 0);
        let f = [
            ("b", Some("Sep")),
            ("d", Some("1")),
            ("H", Some("21")),
            ("M", Some("59")),
            ("S", Some("59")),
        ];
        // September is in the future: last year.
        assert_eq!(run(&f, now, None, &utc), Conversion::Time(1_094_075_999.0));
        let f = [("b", Some("Aug")), ("d", Some("15")), ("H", Some("11"))];
        // Within one day ahead: this year.
        assert_eq!(run(&f, now, None, &utc), Conversion::Time(1_124_103_600.0));
        // Time only, later than now: yesterday.
        let f = [("H", Some("21")), ("M", Some("59")), ("S", Some("59"))];
        assert_eq!(run(&f, now, None, &utc), Conversion::Time(1_123_970_399.0));
    }

    #[test]
    fn failures() {
        let utc = LocalZone::utc();
        let now = naive(2005, 8, 14, 12, 0, 0);
        assert_eq!(
            run(&[("m", Some("2")), ("d", Some("30"))], now, None, &utc),
            Conversion::Invalid
        );
        assert_eq!(run(&[("m", Some("2"))], now, None, &utc), Conversion::Error);
        assert_eq!(
            run(&[("I", Some("1")), ("p", None)], now, None, &utc),
            Conversion::Error
        );
        assert_eq!(
            run(&[("Z", Some("ABCD"))], now, None, &utc),
            Conversion::Error
        );
        assert_eq!(
            run(&[("Z", Some("error"))], now, None, &utc),
            Conversion::Invalid
        );
        assert_eq!(
            run(
                &[
                    ("Y", Some("0001")),
                    ("m", Some("1")),
                    ("d", Some("1")),
                    ("z", Some("+0100"))
                ],
                now,
                None,
                &utc
            ),
            Conversion::Error
        );
    }

    #[test]
    fn weeks_and_ampm() {
        let utc = LocalZone::utc();
        let now = naive(2005, 8, 14, 12, 0, 0);
        // 2001, %U week 11, Wednesday, 21:59:59 (fail2ban's own example).
        let f = [
            ("y", Some("01")),
            ("U", Some("11")),
            ("A", Some("Wednesday")),
            ("H", Some("21")),
            ("M", Some("59")),
            ("S", Some("59")),
        ];
        assert_eq!(
            run(&f, now, Some(60), &utc),
            Conversion::Time(985_208_399.0)
        );
        let f = [
            ("B", Some("January")),
            ("d", Some("23")),
            ("I", Some("12")),
            ("M", Some("59")),
            ("S", Some("59")),
        ];
        assert_eq!(
            run(&f, now, Some(60), &utc),
            Conversion::Time(1_106_438_399.0)
        );
    }
}
