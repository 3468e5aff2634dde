//! Compiles the Python-syntax regular expressions that fail2ban builds into
//! PCRE2 programs with the same meaning.
//!
//! fail2ban's templates run on Python's `re` with `str` patterns, so `\d`,
//! `\w`, `\s` and `\b` are Unicode-aware: PCRE2 is used in UTF + UCP mode.
//! Syntax differences handled here:
//! * global flags `(?aiLmsux)` are only legal at the very start (Python
//!   3.11); they become PCRE2 options (`a` switches UCP off, `u` is the
//!   default, `L` is refused as Python refuses it for `str`);
//! * `\Z` (end of subject only) becomes PCRE2's `\z`;
//! * `\uXXXX` / `\UXXXXXXXX` become `\x{...}`.
//!
//! Everything else (`(?P<n>..)`, `(?P=n)`, `(?(n)..)`, look-arounds, `{,n}`)
//! means the same in both dialects.

use pcre2::bytes::{Regex, RegexBuilder};

/// Options gathered from leading global flags.
#[derive(Default)]
struct Flags {
    ascii: bool,
    ignore_case: bool,
    multi_line: bool,
    dot_all: bool,
    verbose: bool,
}

/// Strips the leading global flag groups, returning the options and the
/// rest of the pattern.
fn take_leading_flags(mut src: &str) -> Result<(Flags, &str), String> {
    let mut flags = Flags::default();
    while let Some(rest) = src.strip_prefix("(?") {
        let letters: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        if letters.is_empty() || !rest[letters.len()..].starts_with(')') {
            break;
        }
        for c in letters.chars() {
            match c {
                'a' => flags.ascii = true,
                'i' => flags.ignore_case = true,
                'm' => flags.multi_line = true,
                's' => flags.dot_all = true,
                'x' => flags.verbose = true,
                'u' => {}
                'L' => return Err("cannot use LOCALE flag with a str pattern".into()),
                other => return Err(format!("unknown flag '{other}'")),
            }
        }
        src = &rest[letters.len() + 1..];
    }
    Ok((flags, src))
}

/// Rewrites Python-only syntax into PCRE2 syntax (see the module docs).
fn translate(src: &str) -> Result<String, String> {
    let mut out = String::with_capacity(src.len() + 8);
    let chars: Vec<char> = src.chars().collect();
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let Some(&n) = chars.get(i + 1) else {
                    return Err("bad escape (end of pattern)".into());
                };
                match n {
                    'Z' if !in_class => out.push_str("\\z"),
                    'u' | 'U' => {
                        let len = if n == 'u' { 4 } else { 8 };
                        let hex: String = chars.iter().skip(i + 2).take(len).collect();
                        if hex.chars().count() != len || !hex.chars().all(|h| h.is_ascii_hexdigit())
                        {
                            return Err(format!("incomplete escape \\{n}{hex}"));
                        }
                        out.push_str("\\x{");
                        out.push_str(&hex);
                        out.push('}');
                        i += len;
                    }
                    _ => {
                        out.push('\\');
                        out.push(n);
                    }
                }
                i += 2;
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                i += 1;
                // A leading `^` and then a leading `]` are literal members.
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
                continue;
            }
            ']' if in_class => in_class = false,
            // Python takes `[` inside a class literally (`[[:digit:]]` is
            // not a POSIX class there).
            '[' if in_class => {
                out.push_str("\\[");
                i += 1;
                continue;
            }
            '(' if !in_class && chars.get(i + 1) == Some(&'?') => {
                let letters = chars[i + 2..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .count();
                match chars.get(i + 2 + letters) {
                    Some(')') if letters > 0 => {
                        return Err(format!(
                            "global flags not at the start of the expression at position {i}"
                        ));
                    }
                    // Scoped flags: `u` (Unicode) is PCRE2's default here.
                    Some(':' | '-') if letters > 0 => {
                        out.push_str("(?");
                        out.extend(chars[i + 2..i + 2 + letters].iter().filter(|c| **c != 'u'));
                        i += 2 + letters;
                        continue;
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    Ok(out)
}

/// Compiles a Python-syntax pattern; the error names the pattern.
pub(crate) fn compile(src: &str) -> Result<Regex, String> {
    let (flags, body) = take_leading_flags(src)?;
    let translated = translate(body)?;
    RegexBuilder::new()
        .utf(true)
        .ucp(!flags.ascii)
        .caseless(flags.ignore_case)
        .multi_line(flags.multi_line)
        .dotall(flags.dot_all)
        .extended(flags.verbose)
        .jit_if_available(true)
        .max_jit_stack_size(Some(1 << 20))
        .build(&translated)
        .map_err(|e| e.to_string())
}

/// Named capture groups of a compiled pattern, in group-number order.
pub(crate) fn group_names(re: &Regex) -> Vec<(usize, String)> {
    re.capture_names()
        .iter()
        .enumerate()
        .filter_map(|(i, n)| n.as_ref().map(|n| (i, n.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(src: &str, hay: &str) -> Option<(usize, usize)> {
        let re = compile(src).unwrap();
        re.find(hay.as_bytes())
            .unwrap()
            .map(|m| (m.start(), m.end()))
    }

    #[test]
    fn python_semantics() {
        assert_eq!(find(r"(?iu)jan\b", "x JAN y"), Some((2, 5)));
        assert_eq!(find(r"a\Z", "a\n"), None);
        assert_eq!(find(r"a$", "a\n"), Some((0, 1)));
        assert_eq!(find(r"\u00e9", "café"), Some((3, 5)));
        assert_eq!(find(r"[]x]+", "a]x]"), Some((1, 4)));
        assert_eq!(find(r"\d+", "x\u{661}\u{662}"), Some((1, 5)));
        assert_eq!(find(r"(?a)\d+", "x\u{661}2"), Some((3, 4)));
        assert_eq!(find(r"(?P<s>[-/])x(?P=s)", "-x/ /x/"), Some((4, 7)));
        assert_eq!(find(r"(?:(?P<q>\[))?1(?(q)\])", "[1]"), Some((0, 3)));
        assert_eq!(find(r"\bé", "xé é"), Some((4, 6)));
        assert_eq!(find(r"(?u:x)(?iu:Y)", "axy"), Some((1, 3)));
        assert_eq!(find(r"[[:digit:]]+", "5:dig]"), Some((4, 6)));
    }

    #[test]
    fn errors() {
        assert!(compile("x(?i)a").is_err());
        assert!(compile("(?L)a").is_err());
        assert!(compile("(a").is_err());
        assert!(compile("a\\").is_err());
        assert!(compile(r"\u12").is_err());
        assert!(compile("(?P<Y>1)(?P<Y>2)").is_err());
    }
}
