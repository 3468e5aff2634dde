//! fail2ban's own time-zone notation: `logtimezone` values and the zone
//! texts captured by `%z`/`%Z`/`%Exz`/`%ExZ`.
//!
//! Accepted form (anchored at the start): an optional abbreviation of one or
//! 3..=5 upper-case ASCII letters, then an optional offset `[+-]hh`,
//! `[+-]hhmm` or `[+-]hh:mm` with `hh` in 00..=19, then the end of the text.
//! Abbreviations map to the fixed offsets of fail2ban's table (no DST); an
//! offset adds to the abbreviation's one.  Results are in minutes east of
//! UTC.  `""` is valid and means UTC, exactly as in fail2ban.

use super::pyvalue::{decimal_value, py_int};

/// Why a zone text was refused; fail2ban raises a different exception for
/// each, which matters to what happens to the log line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ZoneError {
    /// Not of the accepted form (fail2ban: `ValueError`).
    Invalid,
    /// Well-formed but the abbreviation is unknown (fail2ban: `KeyError`).
    UnknownAbbreviation,
}

/// Zone abbreviations and their offsets in minutes, sorted by name
/// (byte order) for binary search.  Values as in fail2ban's table.
const ABBREVIATIONS: [(&str, i32); 222] = [
    ("A", 60),
    ("ACDT", 630),
    ("ACST", 570),
    ("ACT", 480),
    ("ADT", -180),
    ("AEDT", 660),
    ("AEST", 600),
    ("AFT", 270),
    ("AKDT", -480),
    ("AKST", -540),
    ("ALMT", 360),
    ("AMST", 300),
    ("AMT", 240),
    ("ANAST", 720),
    ("ANAT", 720),
    ("AQTT", 300),
    ("ART", -180),
    ("AST", -240),
    ("AWDT", 540),
    ("AWST", 480),
    ("AZOT", -60),
    ("AZST", 300),
    ("AZT", 240),
    ("B", 120),
    ("BDT", 480),
    ("BIOT", 360),
    ("BNT", 480),
    ("BOT", -240),
    ("BRST", -120),
    ("BRT", -180),
    ("BTT", 360),
    ("C", 180),
    ("CAST", 480),
    ("CAT", 120),
    ("CCT", 390),
    ("CDT", -300),
    ("CEDT", 120),
    ("CEST", 120),
    ("CET", 60),
    ("CIST", -480),
    ("CKT", -600),
    ("CLST", -180),
    ("CLT", -240),
    ("COST", -240),
    ("COT", -300),
    ("CST", -360),
    ("CVT", -60),
    ("CXT", 420),
    ("ChST", 600),
    ("D", 240),
    ("DAVT", 420),
    ("DFT", 60),
    ("E", 300),
    ("EASST", -300),
    ("EAST", -360),
    ("EAT", 180),
    ("ECT", -300),
    ("EDT", -240),
    ("EEDT", 180),
    ("EEST", 180),
    ("EET", 120),
    ("EGST", 0),
    ("EGT", -60),
    ("EST", -300),
    ("ET", -300),
    ("F", 360),
    ("FJST", 780),
    ("FJT", 720),
    ("FKST", -180),
    ("FKT", -240),
    ("FNT", -120),
    ("G", 420),
    ("GALT", -360),
    ("GAMT", -540),
    ("GET", 240),
    ("GFT", -180),
    ("GILT", 720),
    ("GIT", -540),
    ("GMT", 0),
    ("GST", 240),
    ("GYT", -240),
    ("H", 480),
    ("HAA", -180),
    ("HAC", -300),
    ("HADT", -540),
    ("HAE", -240),
    ("HAP", -420),
    ("HAR", -360),
    ("HAST", -600),
    ("HAT", -150),
    ("HAY", -480),
    ("HKT", 480),
    ("HLV", -270),
    ("HMT", 300),
    ("HNA", -240),
    ("HNC", -360),
    ("HNE", -300),
    ("HNP", -480),
    ("HNR", -420),
    ("HNT", -210),
    ("HNY", -540),
    ("HOVT", 420),
    ("HST", -600),
    ("I", 540),
    ("ICT", 420),
    ("IDT", 180),
    ("IOT", 360),
    ("IRDT", 270),
    ("IRKST", 540),
    ("IRKT", 480),
    ("IRST", 210),
    ("JST", 540),
    ("K", 600),
    ("KGT", 360),
    ("KRAST", 480),
    ("KRAT", 420),
    ("KST", 540),
    ("KUYT", 240),
    ("L", 660),
    ("LHDT", 660),
    ("LHST", 630),
    ("M", 720),
    ("MAGST", 720),
    ("MAGT", 660),
    ("MART", -570),
    ("MAWT", 300),
    ("MDT", -360),
    ("MHT", 720),
    ("MIT", -570),
    ("MMT", 390),
    ("MSD", 240),
    ("MSK", 180),
    ("MST", -420),
    ("MUT", 240),
    ("MVT", 300),
    ("MYT", 480),
    ("N", -60),
    ("NCT", 660),
    ("NDT", -150),
    ("NFT", 690),
    ("NOVST", 420),
    ("NOVT", 360),
    ("NPT", 345),
    ("NST", -210),
    ("NT", -210),
    ("NUT", -660),
    ("NZDT", 780),
    ("NZST", 720),
    ("O", -120),
    ("OMSST", 420),
    ("OMST", 360),
    ("P", -180),
    ("PDT", -420),
    ("PET", -300),
    ("PETST", 720),
    ("PETT", 720),
    ("PGT", 600),
    ("PHT", 480),
    ("PKT", 300),
    ("PMDT", -120),
    ("PMST", -180),
    ("PONT", 660),
    ("PST", -480),
    ("PT", -480),
    ("PWT", 540),
    ("PYST", -180),
    ("PYT", -240),
    ("Q", -240),
    ("R", -300),
    ("RET", 240),
    ("S", -360),
    ("SAMT", 240),
    ("SAST", 120),
    ("SBT", 660),
    ("SCT", 240),
    ("SGT", 480),
    ("SLT", 330),
    ("SRT", -180),
    ("SST", -660),
    ("T", -420),
    ("TAHT", -600),
    ("TFT", 300),
    ("THA", 420),
    ("TJT", 300),
    ("TKT", -600),
    ("TLT", 540),
    ("TMT", 300),
    ("TVT", 720),
    ("U", -480),
    ("ULAT", 480),
    ("UTC", 0),
    ("UYST", -120),
    ("UYT", -180),
    ("UZT", 300),
    ("V", -540),
    ("VET", -270),
    ("VLAST", 660),
    ("VLAT", 600),
    ("VUT", 660),
    ("W", -600),
    ("WAST", 120),
    ("WAT", 60),
    ("WDT", 540),
    ("WEDT", 60),
    ("WEST", 60),
    ("WET", 0),
    ("WFT", 720),
    ("WGST", -120),
    ("WGT", -180),
    ("WIB", 420),
    ("WIT", 540),
    ("WITA", 480),
    ("WST", 480),
    ("WT", 0),
    ("X", -660),
    ("Y", -720),
    ("YAKST", 600),
    ("YAKT", 540),
    ("YAPT", 600),
    ("YEKST", 360),
    ("YEKT", 300),
    ("Z", 0),
];

/// Offset (minutes) of a known abbreviation.
pub(crate) fn abbreviation_offset(name: &str) -> Option<i32> {
    ABBREVIATIONS
        .binary_search_by(|(n, _)| n.as_bytes().cmp(name.as_bytes()))
        .ok()
        .map(|i| ABBREVIATIONS[i].1)
}

/// Number of leading ASCII upper-case letters of `s`.
fn upper_run(s: &str) -> usize {
    s.bytes().take_while(u8::is_ascii_uppercase).count()
}

/// Byte length of an offset `[+-][01]\d(?::?\d\d)?` at the start of `s`, for
/// each length the (backtracking) matcher would try, longest first.
fn offset_candidates(s: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut it = s.char_indices();
    match it.next() {
        Some((_, '+' | '-')) => {}
        _ => return out,
    }
    match it.next() {
        Some((_, '0' | '1')) => {}
        _ => return out,
    }
    let base = match it.next() {
        Some((i, c)) if decimal_value(c).is_some() => i + c.len_utf8(),
        _ => return out,
    };
    // Optional `:?\d{2}`: with the colon first, then without.
    let tail = &s[base..];
    let two_digits = |t: &str| -> Option<usize> {
        let mut n = 0;
        let mut len = 0;
        for c in t.chars() {
            if n == 2 {
                break;
            }
            decimal_value(c)?;
            n += 1;
            len += c.len_utf8();
        }
        (n == 2).then_some(len)
    };
    if let Some(rest) = tail.strip_prefix(':') {
        if let Some(l) = two_digits(rest) {
            out.push(base + 1 + l);
        }
    }
    if let Some(l) = two_digits(tail) {
        out.push(base + l);
    }
    out.push(base);
    out
}

/// Splits a zone text into `(abbreviation, offset)` the way fail2ban's
/// anchored pattern does (first successful alternative in backtracking
/// order), or `None` if the text is not of the accepted form.
fn split_zone(tz: &str) -> Option<(&str, &str)> {
    let run = upper_run(tz);
    let mut abbr_lens: Vec<usize> = Vec::new();
    if run >= 1 {
        // `[A-Z](?:[A-Z]{2,4})?`: 5, 4, 3 letters, then 1.
        let mut n = (run - 1).min(4);
        while n >= 2 {
            abbr_lens.push(1 + n);
            n -= 1;
        }
        abbr_lens.push(1);
    }
    abbr_lens.push(0);
    for a in abbr_lens {
        let rest = &tz[a..];
        let mut offs = offset_candidates(rest);
        offs.push(0);
        for o in offs {
            let tail = &rest[o..];
            // `$` also matches before one final newline.
            if tail.is_empty() || tail == "\n" {
                return Some((&tz[..a], &rest[..o]));
            }
        }
    }
    None
}

/// Integer value of a run of (possibly non-ASCII) decimal digits.
fn digits_value(s: &str) -> Option<i32> {
    py_int(s).and_then(|v| i32::try_from(v).ok())
}

/// fail2ban's conversion of a zone text to minutes east of UTC.
pub(crate) fn zone_offset_minutes(tz: &str) -> Result<i32, ZoneError> {
    let (abbr, off) = split_zone(tz).ok_or(ZoneError::Invalid)?;
    let base = if abbr.is_empty() {
        0
    } else {
        abbreviation_offset(abbr).ok_or(ZoneError::UnknownAbbreviation)?
    };
    if off.is_empty() {
        return Ok(base);
    }
    let chars: Vec<char> = off.chars().collect();
    let sign = if chars[0] == '-' { -1 } else { 1 };
    let hh: String = chars[1..3].iter().collect();
    let hh = digits_value(&hh).ok_or(ZoneError::Invalid)?;
    if chars.len() <= 3 {
        // "[+-]hh": the sign applies through int().
        return Ok(base + sign * hh * 60);
    }
    let mm_at = if chars[3] == ':' { 4 } else { 3 };
    let mm: String = chars[mm_at..mm_at + 2].iter().collect();
    let mm = digits_value(&mm).ok_or(ZoneError::Invalid)?;
    Ok(base + sign * (hh * 60 + mm))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_sorted() {
        for w in ABBREVIATIONS.windows(2) {
            assert!(w[0].0.as_bytes() < w[1].0.as_bytes(), "{:?}", w);
        }
        assert_eq!(abbreviation_offset("CEST"), Some(120));
        assert_eq!(abbreviation_offset("NPT"), Some(345));
        assert_eq!(abbreviation_offset("ChST"), Some(600));
        assert_eq!(abbreviation_offset("XYZ"), None);
    }

    #[test]
    fn zone_texts() {
        let ok = |s: &str| zone_offset_minutes(s).unwrap();
        assert_eq!(ok("UTC"), 0);
        assert_eq!(ok(""), 0);
        assert_eq!(ok("UTC+0200"), 120);
        assert_eq!(ok("+0200"), 120);
        assert_eq!(ok("-05:00"), -300);
        assert_eq!(ok("GMT+12"), 720);
        assert_eq!(ok("CEST-01"), 60);
        assert_eq!(ok("CET+0130"), 150);
        assert_eq!(ok("-00"), 0);
        assert_eq!(ok("Z"), 0);
        assert_eq!(ok("+0199"), 159);
        assert_eq!(zone_offset_minutes("utc"), Err(ZoneError::Invalid));
        assert_eq!(zone_offset_minutes("WRONG-TZ"), Err(ZoneError::Invalid));
        assert_eq!(zone_offset_minutes("+2000"), Err(ZoneError::Invalid));
        assert_eq!(
            zone_offset_minutes("ABCD"),
            Err(ZoneError::UnknownAbbreviation)
        );
        assert_eq!(zone_offset_minutes("ChST"), Err(ZoneError::Invalid));
        assert_eq!(zone_offset_minutes("+02:0"), Err(ZoneError::Invalid));
    }
}
