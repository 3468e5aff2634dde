//! The first step of a line's exact stage: its date found and cut out, as
//! fail2ban's `processLine` does before any regex runs.
//!
//! The step depends only on the lines before (the detector's template order
//! and the date carried over), never on what the regexes find. So it can
//! also run ahead, for a whole chunk, on another thread than the rest of
//! the stage ([`super::FilterProgram::dates_ahead`]): the regex tool finds
//! a chunk's dates on the thread that scans it, while a worker runs the
//! previous chunk's regexes and sessions. A cut is kept as positions in the
//! line, so handing it over copies no text.

use crate::date::{DateDetector, DateValue};

/// What is carried from line to line: the last date found and its text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DateCarry {
    pub last_date: Option<f64>,
    pub last_time_text: String,
}

/// Where a line's `(before, date text, after)` parts are.
#[derive(Clone, Debug, PartialEq)]
pub enum DateParts {
    /// `("", "", line)`: no date was cut.
    Whole,
    /// `(line[..start], line[start..end], line[end..])`.
    Split { start: usize, end: usize },
    /// `("", text, line)`: the line took over the recent date `text`.
    Carried(String),
}

impl DateParts {
    /// The parts of `line` (the line these positions were found in).
    pub fn of<'t>(&'t self, line: &'t str) -> (&'t str, &'t str, &'t str) {
        match self {
            DateParts::Whole => ("", "", line),
            DateParts::Split { start, end } => (
                line.get(..*start).unwrap_or(""),
                line.get(*start..*end).unwrap_or(""),
                line.get(*end..).unwrap_or(""),
            ),
            DateParts::Carried(text) => ("", text, line),
        }
    }
}

/// A line's date step.
#[derive(Clone, Debug, PartialEq)]
pub enum LineDate {
    /// fail2ban fails on this line's date and skips the line.
    Abort(String),
    Cut {
        parts: DateParts,
        /// The line's time (`None`: no usable date).
        when: Option<f64>,
        /// The line had no date of its own.
        no_date: bool,
        /// A date-like text was cut that is not a valid date.
        invalid_date: bool,
    },
}

/// One candidate line's date step, with what it leaves carried.
#[derive(Clone, Debug, PartialEq)]
pub struct DateCut {
    /// 0-based line number within the chunk.
    pub line: usize,
    pub date: LineDate,
    /// The last date carried after this line.
    pub last_date: Option<f64>,
}

impl DateCut {
    /// The date step of `line` (its `text`), advancing `detector` and
    /// `carry`.
    pub fn find(
        line: usize,
        text: &str,
        now: f64,
        detector: &mut DateDetector,
        carry: &mut DateCarry,
    ) -> DateCut {
        let date = cut_date(text, now, detector, carry);
        DateCut {
            line,
            date,
            last_date: carry.last_date,
        }
    }
}

/// fail2ban's date handling of `processLine`: find the date, cut it out,
/// fall back on the last date while it is recent (less than 60 s older
/// than `now`).
pub fn cut_date(
    text: &str,
    now: f64,
    detector: &mut DateDetector,
    carry: &mut DateCarry,
) -> LineDate {
    let recent = |carry: &DateCarry| carry.last_date.is_some_and(|d| d > now - 60.0);
    let carried = |carry: &DateCarry| DateParts::Carried(carry.last_time_text.clone());
    let mut when = None;
    let mut invalid_date = false;
    let mut parts;
    match detector.find(text, now) {
        None => parts = DateParts::Whole,
        Some(m) => {
            let (start, end) = (m.start.min(text.len()), m.end.min(text.len()));
            let date = text.get(start..end).unwrap_or("");
            if m.value == DateValue::Abort {
                return LineDate::Abort(format!("cannot convert the date {date:?} of this line"));
            }
            parts = DateParts::Split { start, end };
            if start < end {
                if let DateValue::Time(t) = m.value {
                    when = Some(t);
                    // (the carried text's buffer is reused)
                    carry.last_time_text.clear();
                    carry.last_time_text.push_str(date);
                    carry.last_date = Some(t);
                } else {
                    invalid_date = true;
                }
            } else if recent(carry) {
                parts = carried(carry);
                when = carry.last_date;
            } else {
                when = Some(now);
            }
        }
    }
    let mut no_date = false;
    if when.is_none() {
        no_date = true;
        if recent(carry) {
            parts = carried(carry);
            when = carry.last_date;
        }
    }
    LineDate::Cut {
        parts,
        when,
        no_date,
        invalid_date,
    }
}
