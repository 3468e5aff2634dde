//! fail2ban's default date templates and the rules that turn one
//! `datepattern` line into templates (`_getPatternTemplate`,
//! `_getAnchoredTemplate`, `{DATE}` expansion).
//!
//! The default list is the 17 patterns below, in this order, preceded by a
//! line-anchored copy (`{^LN-BEG}` + pattern, weight 100) of each one that is
//! not anchored already — 31 templates in all.

use super::template::Template;

/// fail2ban's default patterns, in its order.
pub(crate) const DEFAULT_PATTERNS: [&str; 17] = [
    // ISO 8601 and "simple" dates: 2005-01-23T21:59:59.981746+01:00,
    // 2005/01/23 21:59:59, syslog-ng's 2006.12.21 06:43:20.
    r"%ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\s*%z)?",
    // asctime, optional weekday, fraction and trailing year:
    // Sun Jan 23 21:59:59.011 2005.
    r"(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?",
    // asctime with the year before the time: Sun Jan 23 2005 21:59:59.011.
    r"(?:%a )?%b %d %ExY %k:%M:%S(?:\.%f)?",
    // Day first, 4- or 2-digit year: 23/01/2005 21:59:59, 17-07-08 17:23:25.
    r"%d(?P<_sep>[-/])%m(?P=_sep)(?:%ExY|%Exy) %k:%M:%S",
    // Apache and friends: [31/Oct/2006:09:22:55 -0000], 26-Jul-2007 15:20:52.252.
    r"%d(?P<_sep>[-/])%b(?P=_sep)%ExY[ :]?%H:%M:%S(?:\.%f)?(?: %z)?",
    // cPanel: 05/20/2008:01:57:39.
    r"%m/%d/%ExY:%H:%M:%S",
    // Month first with mandatory-looking fraction: 01-27-2012 16:22:44.252.
    r"%m-%d-%ExY %k:%M:%S(?:\.%f)?",
    // Seconds since the epoch.
    "EPOCH",
    // Time only, at line begin.
    r"{^LN-BEG}%H:%M:%S",
    // <09/16/08@05:03:30>
    r"^<%m/%d/%Exy@%H:%M:%S>",
    // MySQL: 130322 11:46:11.
    r"%Exy%Exm%Exd  ?%H:%M:%S",
    // Apache Tomcat: Jan 23, 2005 9:59:59 PM.
    r"%b %d, %ExY %I:%M:%S %p",
    // ASSP: Apr-27-13 02:33:06.
    r"^%b-%d-%Exy %k:%M:%S",
    // Compact ISO: 20050123T215959, 20050123 215959.
    r"%ExY%Exm%Exd(?:T|  ?)%ExH%ExM%ExS(?:[.,]%f)?(?:\s*%z)?",
    // Zone name first (monit): PDT Apr 16 21:05:29.
    r"(?:%Z )?(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?",
    // Zone offset first: +00:00 Jan 23 21:59:59.011 2005.
    r"(?:%z )?(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?",
    // TAI64N.
    "TAI64N",
];

pub(crate) const LINE_BEGIN_PREFIX: &str = "{^LN-BEG}";

/// The lookup key fail2ban derives from a pattern: the pattern itself if it
/// has a `%`, else its upper-case form.
pub(crate) fn pattern_key(pattern: &str) -> String {
    if pattern.contains('%') {
        pattern.to_string()
    } else {
        pattern.to_uppercase()
    }
}

/// fail2ban's `_getPatternTemplate(pattern, key)`: the special words
/// `EPOCH`/`LEPOCH`/`TAI64N` (optionally `^`/`{^LN-BEG}` prefixed), a
/// pattern with `{EPOCH}`/`{LEPOCH}` markers, or a regular date pattern.
pub(crate) fn pattern_template(pattern: &str, key: &str, exy: &str) -> Result<Template, String> {
    if key.contains("EPOCH") {
        if super::template::find_epoch_marker(pattern, 0).is_some() {
            return Template::epoch(false, Some(pattern), key.contains("LEPOCH"));
        }
        match key {
            "EPOCH" | "{^LN-BEG}EPOCH" | "^EPOCH" => {
                return Template::epoch(key != "EPOCH", None, false)
            }
            "LEPOCH" | "{^LN-BEG}LEPOCH" | "^LEPOCH" => {
                return Template::epoch(key != "LEPOCH", None, true)
            }
            _ => {}
        }
    }
    match key {
        "TAI64N" | "{^LN-BEG}TAI64N" | "^TAI64N" => Template::tai64n(key != "TAI64N"),
        _ => Template::from_pattern(pattern, exy),
    }
}

/// What a template is re-created from when wrapped: its datepattern, or for
/// the epoch/TAI64N kinds its name.
fn source_of(t: &Template) -> &str {
    t.pattern.as_deref().unwrap_or(&t.name)
}

/// The default templates: line-anchored copies first, then the originals.
pub(crate) fn default_templates(exy: &str) -> Result<Vec<Template>, String> {
    let mut anchored = Vec::new();
    let mut originals = Vec::new();
    for p in DEFAULT_PATTERNS {
        let t = pattern_template(p, &pattern_key(p), exy)?;
        if !t.name.starts_with(LINE_BEGIN_PREFIX) && !t.name.starts_with('^') {
            let src = format!("{LINE_BEGIN_PREFIX}{}", source_of(&t));
            let mut copy = pattern_template(&src, &pattern_key(&src), exy)?;
            if copy.name != t.name {
                copy.weight = 100.0;
                anchored.push(copy);
            }
        }
        originals.push(t);
    }
    anchored.extend(originals);
    Ok(anchored)
}

/// fail2ban's `unboundPattern`: drops a leading `{UNB}`, then a leading
/// `{^LN-BEG}`, then a leading `(^|\b|\W)`/`(?:^|\b|\W)`, then a trailing
/// `(?=\b|\W|$)`.
fn unbound(s: &str) -> &str {
    let s = s.strip_prefix("{UNB}").unwrap_or(s);
    let s = s.strip_prefix(LINE_BEGIN_PREFIX).unwrap_or(s);
    let s = s
        .strip_prefix(r"(^|\b|\W)")
        .or_else(|| s.strip_prefix(r"(?:^|\b|\W)"))
        .unwrap_or(s);
    s.strip_suffix(r"(?=\b|\W|$)").unwrap_or(s)
}

/// Replaces every `{DATE}` (any case, not preceded by `\`) of `pre` by `with`.
fn replace_date_marker(pre: &str, with: &str) -> String {
    let upper = pre.to_ascii_uppercase();
    let mut out = String::with_capacity(pre.len() + with.len());
    let mut i = 0;
    let mut copied = 0;
    while let Some(off) = upper.get(i..).and_then(|u| u.find("{DATE}")) {
        let at = i + off;
        if at > 0 && pre.as_bytes()[at - 1] == b'\\' {
            i = at + 1;
            continue;
        }
        out.push_str(&pre[copied..at]);
        out.push_str(with);
        copied = at + "{DATE}".len();
        i = copied;
    }
    out.push_str(&pre[copied..]);
    out
}

/// Weight fail2ban gives a template created from a pattern with lookup key
/// `key`: templates are shared through a process-wide cache, so a pattern
/// that names one of the line-anchored default copies (e.g.
/// `{^LN-BEG}EPOCH`) gets that copy, with its weight of 100, once the
/// default list exists (the steady state of a running fail2ban).
pub(crate) fn shared_weight(key: &str) -> f64 {
    let hit = DEFAULT_PATTERNS.iter().any(|p| {
        if p.starts_with(LINE_BEGIN_PREFIX) || p.starts_with('^') {
            return false;
        }
        let source = match *p {
            "EPOCH" => "Epoch",
            other => other,
        };
        pattern_key(&format!("{LINE_BEGIN_PREFIX}{source}")) == key
    });
    if hit {
        100.0
    } else {
        1.0
    }
}

/// The 17 default templates with `{DATE}` of `pre` replaced by each one's
/// unbound pattern (fail2ban's `addDefaultTemplate(preMatch=...)`).
pub(crate) fn wrapped_defaults(pre: &str, exy: &str) -> Result<Vec<Template>, String> {
    let mut out = Vec::new();
    for p in DEFAULT_PATTERNS {
        let original = pattern_template(p, &pattern_key(p), exy)?;
        let src = replace_date_marker(pre, unbound(source_of(&original)));
        let key = pattern_key(&src);
        let mut t = pattern_template(&src, &key, exy)?;
        t.weight = shared_weight(&key);
        out.push(t);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::template::LINE_BEGIN;

    const EXY: &str = r"(?P<Y>(?:200|201|202)\d)";

    #[test]
    fn defaults_shape() {
        let all = default_templates(EXY).unwrap();
        assert_eq!(all.len(), 31);
        assert_eq!(all[7].name, "{^LN-BEG}Epoch");
        assert_eq!(all[13].name, "{^LN-BEG}TAI64N");
        assert!(all[..14]
            .iter()
            .all(|t| t.weight == 100.0 && t.flags & LINE_BEGIN != 0));
        assert_eq!(all[14 + 7].name, "Epoch");
    }

    #[test]
    fn date_marker() {
        assert_eq!(replace_date_marker(r"^\[{DATE}\]", "X"), r"^\[X\]");
        assert_eq!(replace_date_marker(r"\{DATE}{date}", "X"), r"\{DATE}X");
        assert_eq!(unbound("{^LN-BEG}%H"), "%H");
        let w = wrapped_defaults("{^LN-BEG}{DATE}", EXY).unwrap();
        assert_eq!(w.len(), 17);
        assert_eq!(w[0].weight, 100.0);
        assert_eq!(w[8].weight, 1.0);
        assert_eq!(shared_weight("{^LN-BEG}EPOCH"), 100.0);
        assert_eq!(shared_weight("{^LN-BEG}TAI64N"), 100.0);
        assert_eq!(shared_weight("{^LN-BEG}LEPOCH"), 1.0);
        assert_eq!(shared_weight("EPOCH"), 1.0);
    }
}
