//! Compiles the Python-syntax regular expressions that fail2ban builds for
//! its date templates into PCRE2 programs with the same meaning.
//!
//! fail2ban's templates run on Python's `re` with `str` patterns, so `\d`,
//! `\w`, `\s` and `\b` are Unicode-aware: PCRE2 runs in UTF + UCP mode
//! (without UCP under Python's `(?a)`). The translation itself is the one
//! the matcher uses, in [`crate::syntax`].

use pcre2::bytes::{Regex, RegexBuilder};

use crate::syntax;

/// Compiles a Python-syntax pattern into PCRE2 with the same meaning, using
/// the crate's one Python-syntax front end ([`crate::syntax`]).
pub(crate) fn compile(src: &str) -> Result<Regex, String> {
    let parsed = syntax::parse(src).map_err(|e| e.to_string())?;
    RegexBuilder::new()
        .utf(true)
        .ucp(!parsed.flags.ascii)
        .jit_if_available(true)
        .max_jit_stack_size(Some(1 << 20))
        .build(&syntax::to_pcre2(&parsed))
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
