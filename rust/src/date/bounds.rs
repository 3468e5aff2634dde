//! The text surgery fail2ban applies to a date regex before compiling it
//! (`DateTemplate.setRegex`): detecting and moving global flags, deciding
//! whether word/line boundaries are added, wrapping the date in capture
//! group 1, and removing the `**` "no boundary" markers.
//!
//! These functions work on the Python-syntax regex text and reproduce the
//! decisions of fail2ban's helper expressions, including their blind spots
//! (e.g. an escaped `\(` preceded by another backslash still counts as
//! escaped).  Each function documents the rule it implements.

/// Length of a `(?` + word characters + `)` group at the start of `s`
/// (a global-flags-like group; `\w` is Unicode).
fn flags_group_len(s: &str) -> Option<usize> {
    let rest = s.strip_prefix("(?")?;
    let word: usize = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .map(char::len_utf8)
        .sum();
    if word == 0 || !rest[word..].starts_with(')') {
        return None;
    }
    Some(2 + word + 1)
}

/// Span of the first `(?` + lower-case ASCII letters + `)` group anywhere in
/// `s` — the "global flags" fail2ban lifts to the front.
pub(crate) fn find_global_flags(s: &str) -> Option<(usize, usize)> {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(off) = s[i..].find("(?") {
        let at = i + off;
        let letters = b[at + 2..]
            .iter()
            .take_while(|c| c.is_ascii_lowercase())
            .count();
        if letters > 0 && b.get(at + 2 + letters) == Some(&b')') {
            return Some((at, at + 3 + letters));
        }
        i = at + 1;
    }
    None
}

/// Rule: the regex starts with any `(`s, an optional flags group, and then
/// either `^`, more `(`s followed by `**`, or `(^`/`(?:^`.  Such a regex
/// needs no word-begin boundary.
pub(crate) fn opts_out_of_word_begin(s: &str) -> bool {
    let parens = s.bytes().take_while(|&b| b == b'(').count();
    (0..=parens).any(|k| {
        let rest = &s[k..];
        let mut options = vec![rest];
        if let Some(l) = flags_group_len(rest) {
            options.insert(0, &rest[l..]);
        }
        options.into_iter().any(|r| {
            r.starts_with('^')
                || r.trim_start_matches('(').starts_with("**")
                || r.starts_with("(^")
                || r.starts_with("(?:^")
        })
    })
}

/// Rule: the regex ends (optionally before one final newline) with `$`,
/// `$)`, `\b`, `\s`, or `**` followed only by `)`s, and that ending is not
/// preceded by a backslash.  Such a regex needs no word-end boundary.
pub(crate) fn opts_out_of_word_end(s: &str) -> bool {
    let check = |s: &str| -> bool {
        let b = s.as_bytes();
        let not_escaped = |p: usize| p == 0 || b[p - 1] != b'\\';
        let n = b.len();
        let mut candidates = Vec::new();
        if s.ends_with('$') {
            candidates.push(n - 1);
        }
        if s.ends_with("$)") {
            candidates.push(n - 2);
        }
        if s.ends_with("\\b") || s.ends_with("\\s") {
            candidates.push(n - 2);
        }
        let trimmed = s.trim_end_matches(')');
        if trimmed.ends_with("**") {
            candidates.push(trimmed.len() - 2);
        }
        candidates.into_iter().any(not_escaped)
    };
    check(s) || s.strip_suffix('\n').is_some_and(check)
}

/// Rule: some `(` is neither preceded by `\` or by `(?`, nor followed by
/// `?` — i.e. the regex already has a capturing group.
pub(crate) fn has_capturing_group(s: &str) -> bool {
    let b = s.as_bytes();
    (0..b.len()).any(|i| {
        b[i] == b'('
            && b.get(i + 1) != Some(&b'?')
            && (i == 0 || b[i - 1] != b'\\')
            && !(i >= 2 && &b[i - 2..i] == b"(?")
    })
}

/// Wraps the regex body in group 1, keeping outside a leading
/// `[flags][^][flags]` and one trailing `$` (even an escaped one, as
/// fail2ban does).  A regex containing a newline is left alone except when
/// the newline is the very last character.
pub(crate) fn wrap_in_group(s: &str) -> String {
    let (body_src, tail_nl) = match s.strip_suffix('\n') {
        Some(b) => (b, "\n"),
        None => (s, ""),
    };
    if body_src.contains('\n') {
        return s.to_string();
    }
    let mut p = 0;
    if let Some(l) = flags_group_len(body_src) {
        p += l;
    }
    if body_src[p..].starts_with('^') {
        p += 1;
    }
    if let Some(l) = flags_group_len(&body_src[p..]) {
        p += l;
    }
    let prefix = &body_src[..p];
    let rest = &body_src[p..];
    let (body, dollar) = match rest.strip_suffix('$') {
        Some(b) => (b, "$"),
        None => (rest, ""),
    };
    format!("{prefix}({body}){dollar}{tail_nl}")
}

/// Rule: after an optional flags group the regex starts with `^`, `(^` or
/// `(?:^` not followed by `|` (the latter two only) — anchored at line begin.
pub(crate) fn anchored_at_line_begin(s: &str) -> bool {
    let mut options = vec![s];
    if let Some(l) = flags_group_len(s) {
        options.insert(0, &s[l..]);
    }
    options.into_iter().any(|r| {
        r.starts_with('^')
            || ((r.starts_with("(^") && !r[2..].starts_with('|'))
                || (r.starts_with("(?:^") && !r[4..].starts_with('|')))
    })
}

/// Rule: the regex ends with `$` or `$)` (optionally before one final
/// newline) not preceded by `\` or `|` — anchored at line end.
pub(crate) fn anchored_at_line_end(s: &str) -> bool {
    let check = |s: &str| -> bool {
        let b = s.as_bytes();
        let ok_before = |p: usize| p == 0 || !matches!(b[p - 1], b'\\' | b'|');
        let n = b.len();
        (s.ends_with('$') && ok_before(n - 1)) || (s.ends_with("$)") && ok_before(n - 2))
    };
    check(s) || s.strip_suffix('\n').is_some_and(check)
}

/// Removes the `**` markers: one right after the leading `(`s/flags group,
/// and one (not escaped) followed only by `)`s at the end.
pub(crate) fn remove_no_bound_markers(s: &str) -> String {
    let mut out = s.to_string();
    // Trailing marker first so that the leading one's offsets stay valid.
    let trailing = {
        let trimmed = out.trim_end_matches(')');
        let p = trimmed.len().checked_sub(2);
        p.filter(|&p| trimmed.ends_with("**") && (p == 0 || out.as_bytes()[p - 1] != b'\\'))
    };
    let leading = leading_marker(&out);
    // When both markers overlap (e.g. "**"), the leading one wins.
    let trailing = match (leading, trailing) {
        (Some(l), Some(t)) if t < l + 2 => None,
        (_, t) => t,
    };
    if let Some(t) = trailing {
        out.replace_range(t..t + 2, "");
    }
    if let Some(l) = leading {
        out.replace_range(l..l + 2, "");
    }
    out
}

/// Position of a leading `**` marker (see [`remove_no_bound_markers`]).
fn leading_marker(s: &str) -> Option<usize> {
    let parens = s.bytes().take_while(|&b| b == b'(').count();
    for k in (0..=parens).rev() {
        let rest = &s[k..];
        let mut starts = Vec::new();
        if let Some(l) = flags_group_len(rest) {
            starts.push(k + l);
        }
        starts.push(k);
        for st in starts {
            let after = &s[st..];
            let skip = after.len() - after.trim_start_matches('(').len();
            if after[skip..].starts_with("**") {
                return Some(st + skip);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_flags() {
        assert_eq!(find_global_flags("(?iu)abc"), Some((0, 5)));
        assert_eq!(find_global_flags("a(?:b)(?i)"), Some((6, 10)));
        assert_eq!(find_global_flags("(?P<x>a)"), None);
        assert_eq!(find_global_flags("(?I)"), None);
    }

    #[test]
    fn word_bounds() {
        assert!(opts_out_of_word_begin("^abc"));
        assert!(opts_out_of_word_begin("**abc"));
        assert!(opts_out_of_word_begin("((**abc"));
        assert!(opts_out_of_word_begin("(^abc)"));
        assert!(opts_out_of_word_begin("(?:^abc)"));
        assert!(opts_out_of_word_begin("(?x)^abc"));
        assert!(!opts_out_of_word_begin("(?:(?P<a>x) )?y"));
        assert!(!opts_out_of_word_begin("((?P<square>(?<=^\\[))?1)"));
        assert!(opts_out_of_word_end("abc$"));
        assert!(opts_out_of_word_end("(abc$)"));
        assert!(!opts_out_of_word_end("abc\\$"));
        assert!(opts_out_of_word_end("abc**"));
        assert!(opts_out_of_word_end("(abc**))"));
        assert!(!opts_out_of_word_end("abc\\**"));
        assert!(opts_out_of_word_end("abc\\s"));
        assert!(!opts_out_of_word_end("abc"));
    }

    #[test]
    fn groups() {
        assert!(has_capturing_group("a(b)"));
        assert!(!has_capturing_group("a(?:b)(?P<x>c)\\(d"));
        assert!(has_capturing_group("[(]"));
        assert_eq!(wrap_in_group("abc"), "(abc)");
        assert_eq!(wrap_in_group("^abc$"), "^(abc)$");
        assert_eq!(wrap_in_group("(?i)^(?x)abc"), "(?i)^(?x)(abc)");
        assert_eq!(wrap_in_group("^"), "^()");
        assert_eq!(wrap_in_group("a\\$"), "(a\\)$");
    }

    #[test]
    fn line_anchors() {
        assert!(anchored_at_line_begin("^(x)"));
        assert!(anchored_at_line_begin("(?iu)^x"));
        assert!(anchored_at_line_begin("(^x)"));
        assert!(!anchored_at_line_begin("(^|x)"));
        assert!(!anchored_at_line_begin("((?:^|x))"));
        assert!(anchored_at_line_end("(x)$"));
        assert!(anchored_at_line_end("(x$)"));
        assert!(!anchored_at_line_end("(x|$)"));
        assert!(!anchored_at_line_end("(x\\$)"));
    }

    #[test]
    fn markers() {
        assert_eq!(remove_no_bound_markers("(**abc**)"), "(abc)");
        assert_eq!(remove_no_bound_markers("**"), "");
        assert_eq!(remove_no_bound_markers("****"), "");
        assert_eq!(remove_no_bound_markers("(?i)**a"), "(?i)a");
        assert_eq!(remove_no_bound_markers("a\\**"), "a\\**");
        assert_eq!(remove_no_bound_markers("a**b"), "a**b");
    }
}
