//! Translation of fail2ban `datepattern` %-codes into regular expressions
//! (and into the human-readable template names fail2ban derives from them).
//!
//! The codes are those of Python's `_strptime.TimeRE` (C locale, Python
//! 3.11) with fail2ban's overrides and extensions: `%k`/`%l` (space-padded
//! hours), the exact two-digit `%Ex?` forms, `%ExY` (a year of the current
//! century window, see [`exy_regex`]) and `%Exy`, and the zone codes
//! `%z`/`%Z`/`%Exz`/`%ExZ`.  `%%` is a literal percent sign.  Any other `%`
//! sequence is an error, as in fail2ban (Python's `%`-formatting refuses it).
//!
//! Every value regex captures into a named group whose name is the strptime
//! field it feeds (`%k` feeds `H`, `%Exy` feeds `y`, ...); the composite
//! codes `%c`, `%x`, `%X` expand to several groups.

/// Codes of more than one letter; all start with `Ex` and have three letters.
const LONG_CODES: [&str; 11] = [
    "ExZ", "Exz", "Exd", "Exm", "ExH", "Exk", "Exl", "ExM", "ExS", "ExY", "Exy",
];

/// One-letter codes.
const SHORT_CODES: &str = "dfHIGjmMSUwuVyYzAaBbpZ%WcxXkl";

const WEEKDAYS_ABBR: &str = "mon|tue|wed|thu|fri|sat|sun";
const MONTHS_ABBR: &str = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec";
/// Zone abbreviation of fail2ban's zone notation: 1 or 3..=5 capitals.
const ZONE_ABBR: &str = "[A-Z](?:[A-Z]{2,4})?";

/// Regex of one code.  `exy` is the precomputed `%ExY` regex.
fn code_regex(code: &str, exy: &str) -> String {
    let s: &str = match code {
        // Python's TimeRE values that fail2ban keeps.
        "f" => r"(?P<f>[0-9]{1,6})",
        "I" => r"(?P<I>1[0-2]|0[1-9]|[1-9])",
        "G" => r"(?P<G>\d\d\d\d)",
        "j" => r"(?P<j>36[0-6]|3[0-5]\d|[1-2]\d\d|0[1-9]\d|00[1-9]|[1-9]\d|0[1-9]|[1-9])",
        "U" => r"(?P<U>5[0-3]|[0-4]\d|\d)",
        "W" => r"(?P<W>5[0-3]|[0-4]\d|\d)",
        "V" => r"(?P<V>5[0-3]|0[1-9]|[1-4]\d|\d)",
        "w" => r"(?P<w>[0-6])",
        "u" => r"(?P<u>[1-7])",
        "y" => r"(?P<y>\d\d)",
        "A" => r"(?P<A>wednesday|thursday|saturday|tuesday|monday|friday|sunday)",
        "B" => {
            r"(?P<B>september|february|november|december|january|october|august|march|april|june|july|may)"
        }
        "p" => r"(?P<p>am|pm)",
        "%" => "%",
        // Composite C-locale formats (built from Python's own sub-patterns,
        // not from fail2ban's overrides).
        "c" => {
            return format!(
                r"(?P<a>{WEEKDAYS_ABBR})\s+(?P<b>{MONTHS_ABBR})\s+(?P<d>3[0-1]|[1-2]\d|0[1-9]|[1-9]| [1-9])\s+(?P<H>2[0-3]|[0-1]\d|\d):(?P<M>[0-5]\d|\d):(?P<S>6[0-1]|[0-5]\d|\d)\s+(?P<Y>\d\d\d\d)"
            )
        }
        "x" => r"(?P<m>1[0-2]|0[1-9]|[1-9])/(?P<d>3[0-1]|[1-2]\d|0[1-9]|[1-9]| [1-9])/(?P<y>\d\d)",
        "X" => r"(?P<H>2[0-3]|[0-1]\d|\d):(?P<M>[0-5]\d|\d):(?P<S>6[0-1]|[0-5]\d|\d)",
        "a" => return format!("(?P<a>{WEEKDAYS_ABBR})"),
        "b" => return format!("(?P<b>{MONTHS_ABBR})"),
        // fail2ban's overrides.
        "d" => r"(?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1])",
        "m" => r"(?P<m>0?[1-9]|1[0-2])",
        "Y" => r"(?P<Y>\d{4})",
        "H" => r"(?P<H>[0-1]?\d|2[0-3])",
        "M" => r"(?P<M>[0-5]?\d)",
        "S" => r"(?P<S>[0-5]?\d|6[0-1])",
        "k" => r" ?(?P<H>[0-2]?\d)",
        "l" => r" ?(?P<I>1?\d)",
        "z" => r"(?P<z>Z|UTC|GMT|[+-][01]\d(?::?\d{2})?)",
        "Z" => r"(?P<Z>Z|[A-Z]{3,5})",
        "ExZ" => return format!("(?P<Z>{ZONE_ABBR})"),
        "Exz" => return format!(r"(?P<z>(?:{ZONE_ABBR})?[+-][01]\d(?::?\d{{2}})?|{ZONE_ABBR})"),
        "Exd" => r"(?P<d>[1-2]\d|0[1-9]|3[0-1])",
        "Exm" => r"(?P<m>0[1-9]|1[0-2])",
        "ExH" => r"(?P<H>[0-1]\d|2[0-3])",
        "Exk" => r" ?(?P<H>[0-1]?\d|2[0-3])",
        "Exl" => r" ?(?P<I>1[0-2]|\d)",
        "ExM" => r"(?P<M>[0-5]\d)",
        "ExS" => r"(?P<S>[0-5]\d|6[0-1])",
        "ExY" => return exy.to_string(),
        "Exy" => r"(?P<y>\d{2})",
        _ => "",
    };
    s.to_string()
}

/// Name fragment of one code (fail2ban shows these in template names; they
/// matter for duplicate detection only).
fn code_name(code: &str) -> String {
    let base = |c: &str| -> Option<&'static str> {
        Some(match c {
            "a" => "DAY",
            "A" => "DAYNAME",
            "b" => "MON",
            "B" => "MONTH",
            "d" => "Day",
            "H" => "24hour",
            "I" => "12hour",
            "j" => "Yearday",
            "m" => "Month",
            "M" => "Minute",
            "p" => "AMPM",
            "S" => "Second",
            "U" | "W" => "Yearweek",
            "w" => "Weekday",
            "y" => "Year2",
            "Y" => "Year",
            "%" => "%",
            "z" => "Zone offset",
            "f" => "Microseconds",
            "Z" => "Zone name",
            _ => return None,
        })
    };
    if let Some(n) = base(code) {
        return n.to_string();
    }
    if let Some(stripped) = code.strip_prefix("Ex") {
        if let Some(n) = base(stripped) {
            return format!("Ex{n}");
        }
    }
    format!("%{code}")
}

/// A datepattern with its %-codes replaced.
pub(crate) struct Converted {
    /// The regular expression (Python syntax).
    pub regex: String,
    /// The template name.
    pub name: String,
}

/// Replaces the %-codes of `pattern`; the error text says what is wrong.
pub(crate) fn convert(pattern: &str, exy: &str) -> Result<Converted, String> {
    let mut regex = String::with_capacity(pattern.len() * 4);
    let mut name = String::with_capacity(pattern.len() * 2);
    let mut rest = pattern;
    while let Some(at) = rest.find('%') {
        regex.push_str(&rest[..at]);
        name.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        // Python's `%`-formatting also accepts the mapping form `%(code)s`.
        let mut keyed = None;
        if let Some(inner) = after.strip_prefix('(') {
            if let Some(close) = inner.find(")s") {
                let key = &inner[..close];
                if LONG_CODES.contains(&key)
                    || (key.chars().count() == 1 && SHORT_CODES.contains(key))
                {
                    keyed = Some(key);
                }
            }
        }
        if let Some(key) = keyed {
            regex.push_str(&code_regex(key, exy));
            name.push_str(&code_name(key));
            rest = &after[key.len() + 3..];
            continue;
        }
        let code = LONG_CODES
            .iter()
            .copied()
            .find(|c| after.starts_with(c))
            .or_else(|| {
                let c = after.chars().next()?;
                SHORT_CODES.contains(c).then(|| &after[..c.len_utf8()])
            });
        let Some(code) = code else {
            return Err(if after.is_empty() {
                "incomplete format".to_string()
            } else {
                format!(
                    "unsupported format code '%{}'",
                    after.chars().next().unwrap_or('?')
                )
            });
        };
        regex.push_str(&code_regex(code, exy));
        name.push_str(&code_name(code));
        rest = &after[code.len()..];
    }
    regex.push_str(rest);
    name.push_str(rest);
    Ok(Converted { regex, name })
}

/// True if the pattern uses an alphabetic code (`%a %A %b %B %p %c`) not
/// preceded by another `%` — fail2ban then makes the whole template
/// case-insensitive.
pub(crate) fn has_alpha_code(pattern: &str) -> bool {
    let b = pattern.as_bytes();
    (0..b.len().saturating_sub(1))
        .any(|i| b[i] == b'%' && b"aAbBpc".contains(&b[i + 1]) && (i == 0 || b[i - 1] != b'%'))
}

/// The `%ExY` regex for a process started in `ref_year`: the centuries
/// (first three digits) of the previous year, of three years ahead, and of
/// every third year from 2000 up to `ref_year` — fail2ban's window of
/// plausible years — written in fail2ban's compact form (`20[012]\d`).
pub(crate) fn exy_regex(ref_year: i64) -> String {
    let mut years = vec![ref_year - 1, ref_year + 3];
    let mut y = 2000;
    while y <= ref_year {
        years.push(y);
        y += 3;
    }
    let mut prefixes: Vec<String> = years
        .iter()
        .map(|y| y.to_string().chars().take(3).collect())
        .collect();
    prefixes.sort();
    prefixes.dedup();
    format!(r"(?P<Y>{}\d)", compact_alternation(&prefixes))
}

/// Regex matching exactly the (sorted, distinct) strings: a shared prefix
/// is factored out — first "all but the last character", else the first
/// character — then the rest is an alternation, or a class when the
/// remaining strings are single characters.
fn compact_alternation(items: &[String]) -> String {
    if items.len() <= 1 {
        return items.concat();
    }
    let all_share = |prefix: &str| items.iter().all(|i| i.starts_with(prefix));
    let head = |s: &str, n: usize| -> String { s.chars().take(n).collect() };
    let first = &items[0];
    let n = first.chars().count();
    let mut common = head(first, n.saturating_sub(1));
    if common.is_empty()
        || !items
            .iter()
            .all(|i| head(i, i.chars().count().saturating_sub(1)) == common)
    {
        common = head(first, 1);
        if common.is_empty() || !all_share(&common) {
            common.clear();
        }
    }
    if !common.is_empty() {
        let rest: Vec<String> = items
            .iter()
            .map(|i| i[common.len()..].to_string())
            .collect();
        return format!("{common}{}", compact_alternation(&rest));
    }
    if first.chars().count() > 1 {
        format!("(?:{})", items.join("|"))
    } else {
        format!("[{}]", items.concat())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exy_window() {
        assert_eq!(exy_regex(2026), r"(?P<Y>20[012]\d)");
        assert_eq!(exy_regex(2028), r"(?P<Y>20[0123]\d)");
        // Values checked against fail2ban's own computation for those years.
        assert_eq!(exy_regex(2031), r"(?P<Y>20[0123]\d)");
        assert_eq!(
            exy_regex(2098),
            r"(?P<Y>2(?:00|01|02|03|04|05|06|07|08|09|10)\d)"
        );
    }

    #[test]
    fn conversion() {
        let c = convert("%Y-%m %ExH%% %k", "Y").unwrap();
        assert_eq!(
            c.regex,
            r"(?P<Y>\d{4})-(?P<m>0?[1-9]|1[0-2]) (?P<H>[0-1]\d|2[0-3])%  ?(?P<H>[0-2]?\d)"
        );
        assert_eq!(c.name, "Year-Month Ex24hour% %k");
        assert!(convert("%q", "").is_err());
        assert!(convert("%", "").is_err());
        assert!(convert("%E", "").is_err());
        assert_eq!(
            convert("%(Y)s:%(ExM)s", "").unwrap().regex,
            convert("%Y:%ExM", "").unwrap().regex
        );
        assert!(convert("%(q)s", "").is_err());
        assert_eq!(convert("%Exl%Exk", "").unwrap().name, "%Exl%Exk");
        assert_eq!(convert("plain", "").unwrap().regex, "plain");
    }

    #[test]
    fn alpha_detection() {
        assert!(has_alpha_code("%b %d"));
        assert!(!has_alpha_code("%%b"));
        assert!(!has_alpha_code("%%%b"));
        assert!(has_alpha_code("x%p"));
        assert!(!has_alpha_code("%Y %H"));
    }
}
