//! The exact engine: PCRE2 (with JIT) running the Python pattern's exact
//! PCRE2 form, used to confirm candidate lines and extract named captures.
//!
//! Each pattern is compiled twice when it can be. The Unicode form (UTF and
//! UCP, as Python's `str` patterns behave) is compiled to accept invalid
//! UTF-8, and its JIT code then checks every character it reads. The ASCII
//! form is the same printed pattern compiled in PCRE2's byte mode: on a
//! subject of ASCII characters only, which nearly every log line is, it
//! matches exactly where the Unicode form does (see `ascii_form`), and is
//! cheaper (sshd's prefregex on its log lines: about 1,900 instructions per
//! call in the Unicode form, 1,200 in the byte form).
//!
//! A pattern that ends in a named group of `.+` and then `$` (fail2ban's
//! prefregexes: `...<F-CONTENT>.+</F-CONTENT>$`) is also compiled without
//! that tail (see `OpenTail`): on a line, the group is then the rest of
//! the line after the head's match, which PCRE2 need not walk.
//!
//! Catastrophic back-tracking is bounded by PCRE2's match limit (10 million
//! steps by default, also enforced under JIT): a line that hits the limit is
//! reported as a [`MatchError`] rather than hanging the scan. The matcher
//! counts such lines as not matched and reports how many it saw.

use std::fmt;

use pcre2::bytes::{CaptureLocations, Regex, RegexBuilder};

use crate::syntax;

/// A pattern that no engine accepts, with the source and the position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatternError {
    pub pattern: String,
    pub message: String,
    /// Byte offset in `pattern`, when it could be placed there.
    pub position: Option<usize>,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid regex {:?}: {}", self.pattern, self.message)?;
        if let Some(pos) = self.position {
            write!(f, " at position {pos}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PatternError {}

/// A subject hit PCRE2's match or depth limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchError(pub String);

impl fmt::Display for MatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MatchError {}

/// The text of one captured group.
///
/// Why not a `String`: groups become the values of failure dicts (an
/// address, a user, a session id), and most of them fit in the 24 bytes
/// that `CompactString` keeps inline (an IPv6 address often does not, and
/// goes to the heap as before). As `String`s each was an allocation per
/// matched line, made on the regex tool's worker and freed on its main
/// thread, and another for each copy a multi-line session keeps.
pub type GroupText = compact_str::CompactString;

/// Where a group matched: `subject[start..end]`.
pub type Span = (usize, usize);

/// Named captures of one match, aligned with [`ExactPattern::group_names`];
/// `None` where the group did not take part.
pub type Groups = Vec<Option<GroupText>>;

/// One Python pattern compiled for PCRE2.
pub struct ExactPattern {
    source: String,
    parsed: syntax::Pattern,
    whole: Forms,
    /// The pattern without its open tail, when it has one.
    tail: Option<OpenTail>,
    /// `(capture index, name)` of every named group, in index order.
    named: Vec<(usize, String)>,
}

/// One printed pattern, compiled for any subject and, when it has a byte
/// form, for ASCII subjects (see [`ascii_form`]).
struct Forms {
    unicode: Regex,
    ascii: Option<Regex>,
}

impl Forms {
    /// The form to run on `subject`: the byte form when there is one and
    /// the subject is all ASCII.
    fn for_subject(&self, subject: &str) -> (&Regex, bool) {
        match &self.ascii {
            Some(ascii) if subject.is_ascii() => (ascii, true),
            _ => (&self.unicode, false),
        }
    }

    /// [`Forms::for_subject`], with that form's buffer (`buffers` came from
    /// [`Forms::buffers`], which has one for each form).
    fn pick<'a>(
        &'a self,
        subject: &str,
        buffers: &'a mut Buffers,
    ) -> (&'a Regex, &'a mut CaptureLocations) {
        match (self.for_subject(subject), &mut buffers.ascii) {
            ((ascii, true), Some(buffer)) => (ascii, buffer),
            _ => (&self.unicode, &mut buffers.unicode),
        }
    }

    fn buffers(&self) -> Buffers {
        Buffers {
            unicode: self.unicode.capture_locations(),
            ascii: self.ascii.as_ref().map(Regex::capture_locations),
        }
    }
}

/// A pattern `H(?P<name>.+)$` compiled as `H` alone: no `|` at its top
/// level, no back-reference or conditional in `H`, neither `.` nor `$`
/// spanning lines (no DOTALL, no MULTILINE), and the group its last named
/// one (see `open_tail_head`).
///
/// Why that is the same match on a subject of one line, with or without a
/// final `\n`: there `.+$` matches exactly a non-empty rest of the line
/// (`.` stops at the `\n`, before which `$` matches). PCRE2 tries `H`'s
/// matches in the same order in both patterns, so the whole pattern's match
/// is `H`'s first one that leaves a non-empty rest, and the group that
/// rest. When `H`'s first match leaves nothing, the whole pattern is run
/// instead (it may find a later one); when `H` matches nowhere, neither
/// does the whole.
struct OpenTail {
    head: Forms,
    /// The group's position in [`ExactPattern::group_names`] (the last).
    group: usize,
}

impl fmt::Debug for ExactPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExactPattern")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl ExactPattern {
    /// Parses `source` as Python `re` syntax and compiles its PCRE2 form.
    /// `multiline` is Python's `re.MULTILINE`, which fail2ban sets for
    /// multi-line buffers.
    pub fn compile(source: &str, multiline: bool) -> Result<ExactPattern, PatternError> {
        let mut parsed = syntax::parse(source).map_err(|e| PatternError {
            pattern: source.to_owned(),
            message: e.message,
            position: Some(e.position),
        })?;
        parsed.flags.multiline |= multiline;
        let printed = syntax::to_pcre2(&parsed);
        let compile_error = |e: pcre2::Error, printed: &str| PatternError {
            pattern: source.to_owned(),
            message: format!("{} (in its PCRE2 form {printed:?})", pcre2_message(&e)),
            position: e.offset(),
        };
        let whole = compile_forms(&parsed, &printed).map_err(|e| compile_error(e, &printed))?;
        let named: Vec<(usize, String)> = whole
            .unicode
            .capture_names()
            .iter()
            .enumerate()
            .filter_map(|(i, n)| n.clone().map(|n| (i, n)))
            .collect();
        let tail = open_tail_head(&parsed, &named).and_then(|head| {
            let head = compile_forms(&head, &syntax::to_pcre2(&head)).ok()?;
            Some(OpenTail {
                head,
                group: named.len() - 1,
            })
        });
        Ok(ExactPattern {
            source: source.to_owned(),
            parsed,
            whole,
            tail,
            named,
        })
    }

    /// Whether the pattern has a byte-mode form for ASCII subjects.
    pub fn has_ascii_form(&self) -> bool {
        self.whole.ascii.is_some()
    }

    /// Whether the pattern is also compiled without its open tail.
    pub fn has_open_tail(&self) -> bool {
        self.tail.is_some()
    }

    /// The pattern as the caller wrote it.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The parsed form, for printing into other dialects.
    pub fn parsed(&self) -> &syntax::Pattern {
        &self.parsed
    }

    /// Names of the named groups, in the order [`Groups`] uses.
    pub fn group_names(&self) -> impl ExactSizeIterator<Item = &str> {
        self.named.iter().map(|(_, n)| n.as_str())
    }

    /// A reusable buffer for [`ExactPattern::capture_spans`].
    pub fn locations(&self) -> Locations {
        Locations {
            whole: self.whole.buffers(),
            head: self.tail.as_ref().map(|t| t.head.buffers()),
        }
    }

    /// Searches `subject` (Python's `re.search`) and returns the named
    /// groups: [`ExactPattern::capture_spans`] with the groups copied, which
    /// the tests compare across forms and engines (the matcher copies from
    /// the spans itself, `groups_from_spans`).
    #[cfg(test)]
    pub fn captures(
        &self,
        subject: &str,
        locations: &mut Locations,
    ) -> Result<Option<Groups>, MatchError> {
        Ok(self
            .search(subject, locations)?
            .map(|found| groups_from_spans(subject, found.spans())))
    }

    /// Searches `subject` (Python's `re.search`) and, on a match, appends
    /// where each named group matched (`None` where it did not take part)
    /// to `spans`, in group order; nothing is copied.
    pub fn capture_spans(
        &self,
        subject: &str,
        locations: &mut Locations,
        spans: &mut Vec<Option<Span>>,
    ) -> Result<bool, MatchError> {
        let Some(found) = self.search(subject, locations)? else {
            return Ok(false);
        };
        spans.extend(found.spans());
        Ok(true)
    }

    /// The search of [`ExactPattern::capture_spans`]: the head alone when the pattern has
    /// an open tail and `subject` is one line (see [`OpenTail`]), else the
    /// whole pattern.
    fn search<'l>(
        &'l self,
        subject: &str,
        locations: &'l mut Locations,
    ) -> Result<Option<Found<'l>>, MatchError> {
        if let (Some(tail), Some(buffers)) = (&self.tail, &mut locations.head) {
            // (a record is a line with its `\n`, before which `$` matches)
            let line_end = subject.strip_suffix('\n').unwrap_or(subject).len();
            if memchr::memchr(b'\n', &subject.as_bytes()[..line_end]).is_none() {
                let (regex, buffers) = tail.head.pick(subject, buffers);
                let Some(found) = self.read(regex, buffers, subject)? else {
                    return Ok(None);
                };
                if found.end() < line_end {
                    return Ok(Some(Found {
                        named: &self.named,
                        buffers,
                        tail: Some((tail.group, (found.end(), line_end))),
                    }));
                }
            }
        }
        let (regex, buffers) = self.whole.pick(subject, &mut locations.whole);
        if self.read(regex, buffers, subject)?.is_none() {
            return Ok(None);
        }
        Ok(Some(Found {
            named: &self.named,
            buffers,
            tail: None,
        }))
    }

    /// One PCRE2 search.
    fn read<'s>(
        &self,
        regex: &Regex,
        buffers: &mut CaptureLocations,
        subject: &'s str,
    ) -> Result<Option<pcre2::bytes::Match<'s>>, MatchError> {
        regex
            .captures_read(buffers, subject.as_bytes())
            .map_err(|e| self.match_error(&e))
    }

    /// A search's error (the match limit tripped), named after this pattern.
    fn match_error(&self, e: &pcre2::Error) -> MatchError {
        MatchError(format!("{:?}: {}", self.source, pcre2_message(e)))
    }

    /// Whether `subject` matches, decided exactly as
    /// [`ExactPattern::capture_spans`] decides it (same call, same limits)
    /// but without reading the groups.
    pub fn matches(&self, subject: &str, locations: &mut Locations) -> Result<bool, MatchError> {
        let (regex, buffers) = self.whole.pick(subject, &mut locations.whole);
        Ok(self.read(regex, buffers, subject)?.is_some())
    }

    /// Whether `subject` matches anywhere.
    pub fn is_match(&self, subject: &str) -> Result<bool, MatchError> {
        let (regex, _) = self.whole.for_subject(subject);
        regex
            .is_match(subject.as_bytes())
            .map_err(|e| self.match_error(&e))
    }
}

/// Where the named groups of one match are: in the buffers of the form
/// that matched, but for an open tail's group (see [`OpenTail`]), which
/// takes the rest of the line after the head's match.
struct Found<'l> {
    /// `(capture index, name)` of every named group (the pattern's).
    named: &'l [(usize, String)],
    buffers: &'l CaptureLocations,
    /// The open tail's group position and its span, when the head alone
    /// was searched.
    tail: Option<(usize, Span)>,
}

impl Found<'_> {
    /// Each named group's span, in group order.
    fn spans(&self) -> impl Iterator<Item = Option<Span>> + '_ {
        self.named
            .iter()
            .enumerate()
            .map(|(at, &(index, _))| match self.tail {
                Some((group, rest)) if group == at => Some(rest),
                _ => self.buffers.get(index),
            })
    }
}

/// Reusable capture buffers of one [`ExactPattern`]: one per compiled form
/// (a buffer is sized for, and handed to, one compiled pattern).
pub struct Locations {
    whole: Buffers,
    head: Option<Buffers>,
}

/// The buffers of one [`Forms`].
struct Buffers {
    unicode: CaptureLocations,
    ascii: Option<CaptureLocations>,
}

/// `pattern` (printed as `printed`) compiled for PCRE2: Python's `str`
/// semantics (UCP, unless the pattern is ASCII-only), and its byte form.
fn compile_forms(pattern: &syntax::Pattern, printed: &str) -> Result<Forms, pcre2::Error> {
    let unicode = RegexBuilder::new()
        .utf(true)
        .ucp(!pattern.flags.ascii)
        .jit_if_available(true)
        .build(printed)?;
    Ok(Forms {
        unicode,
        ascii: ascii_form(printed),
    })
}

/// The head `H` of a pattern `H(?P<name>.+)$` as [`OpenTail`] describes it,
/// when `pattern` has that shape and `named` (its named groups) ends with
/// that group; `None` otherwise.
fn open_tail_head(pattern: &syntax::Pattern, named: &[(usize, String)]) -> Option<syntax::Pattern> {
    use syntax::{GroupKind, Node, Quantifier};
    if pattern.flags.multiline || pattern.flags.dotall {
        return None;
    }
    let [head @ .., Node::Group(group), Node::LineEnd] = pattern.nodes.as_slice() else {
        return None;
    };
    let GroupKind::Capture(Some(name)) = &group.kind else {
        return None;
    };
    let rest_of_line = matches!(
        group.body.as_slice(),
        [
            Node::Dot,
            Node::Repeat(Quantifier {
                min: 1,
                max: None,
                lazy: false,
                possessive: false,
            })
        ]
    );
    // (no `|` at the top: the tail would belong to the last branch only;
    // and no reference to the group, which the head could not see)
    let plain_head =
        !head.iter().any(|n| matches!(n, Node::Alternation)) && !refers_to_groups(head);
    let last_named = named.last().is_some_and(|(_, n)| n == name);
    (rest_of_line && plain_head && last_named).then(|| syntax::Pattern {
        flags: pattern.flags,
        nodes: head.to_vec(),
    })
}

/// Whether `nodes` hold a back-reference or a conditional (on any group).
fn refers_to_groups(nodes: &[syntax::Node]) -> bool {
    use syntax::{GroupKind, Node};
    nodes.iter().any(|n| match n {
        Node::Backref(_) => true,
        Node::Group(g) => matches!(g.kind, GroupKind::Conditional(_)) || refers_to_groups(&g.body),
        _ => false,
    })
}

/// The byte-mode form of `printed` (a pattern's PCRE2 form), for subjects
/// that are all ASCII; `None` when it has none.
///
/// Why it matches exactly where the Unicode form does on such a subject:
/// both read the same bytes as the same characters, and every construct the
/// printer emits agrees on ASCII characters in both modes: `.`, negated
/// classes and `\S` match one byte as they would match one character;
/// `\w`, `\d`, `\s` and `\b` (UCP's Unicode classes against the C
/// locale's tables) hold the same ASCII members; the offsets are bytes in
/// both. What could differ is a pattern character outside ASCII, which
/// caseless Unicode matching may fold onto an ASCII one (U+212A KELVIN SIGN
/// onto `k`): a pattern whose printed form is not all ASCII gets no byte
/// form, and byte mode refuses any `\x{..}` beyond U+00FF (no U+0080..U+00FF
/// character folds onto ASCII, and none occurs in an ASCII subject).
fn ascii_form(printed: &str) -> Option<Regex> {
    if !printed.is_ascii() {
        return None;
    }
    RegexBuilder::new()
        .utf(false)
        .ucp(false)
        .jit_if_available(true)
        .build(printed)
        .ok()
}

/// The groups that matched at `spans` of `subject` (in group order). For
/// every engine that gives a match's spans.
pub fn groups_from_spans(subject: &str, spans: impl Iterator<Item = Option<Span>>) -> Groups {
    spans
        .map(|found| found.map(|(s, e)| GroupText::from(&subject[s..e])))
        .collect()
}

/// PCRE2's own message, without the crate's "error compiling pattern at
/// offset N" framing (we report the position ourselves).
fn pcre2_message(e: &pcre2::Error) -> String {
    let text = e.to_string();
    match text.rsplit_once(": ") {
        Some((_, message)) if text.starts_with("PCRE2:") => message.to_owned(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_named_groups() {
        let p =
            ExactPattern::compile(r"from (?P<host>\S+)(?: port (?P<port>\d+))?", false).unwrap();
        let mut loc = p.locations();
        let g = p.captures("x from 1.2.3.4", &mut loc).unwrap().unwrap();
        assert_eq!(g, vec![Some("1.2.3.4".into()), None]);
        assert_eq!(p.group_names().collect::<Vec<_>>(), ["host", "port"]);
        assert!(p.captures("nothing", &mut loc).unwrap().is_none());
    }

    #[test]
    fn capture_spans_are_where_the_captured_groups_are() {
        // (the second pattern has an open tail: its head alone is searched)
        for source in [
            r"from (?P<host>\S+)(?: port (?P<port>\d+))?",
            r"^(?P<who>\w+) said: (?P<rest>.+)$",
        ] {
            let p = ExactPattern::compile(source, false).unwrap();
            let mut loc = p.locations();
            for subject in ["x from 1.2.3.4 port 7", "bob said: hi there\n", "none"] {
                let groups = p.captures(subject, &mut loc).unwrap();
                let mut spans = vec![None]; // (appended to, not replaced)
                let matched = p.capture_spans(subject, &mut loc, &mut spans).unwrap();
                assert_eq!(matched, groups.is_some(), "{source} on {subject:?}");
                let texts: Vec<Option<GroupText>> = spans[1..]
                    .iter()
                    .map(|span| span.map(|(s, e)| GroupText::from(&subject[s..e])))
                    .collect();
                assert_eq!(groups.unwrap_or_default(), texts, "{source} on {subject:?}");
            }
        }
    }

    #[test]
    fn python_semantics_of_dollar_and_unicode() {
        let p = ExactPattern::compile(r"^\w+$", false).unwrap();
        let mut loc = p.locations();
        assert!(p.captures("héllo", &mut loc).unwrap().is_some());
        // Python's `$` also matches before one trailing newline.
        assert!(p.captures("hello\n", &mut loc).unwrap().is_some());
        let ascii = ExactPattern::compile(r"(?a)^\w+$", false).unwrap();
        assert!(ascii.captures("héllo", &mut loc).unwrap().is_none());
    }

    /// `pattern` with its byte-mode form dropped: the Unicode form alone.
    fn unicode_only(pattern: &str) -> ExactPattern {
        let mut p = ExactPattern::compile(pattern, false).unwrap();
        p.whole.ascii = None;
        if let Some(tail) = &mut p.tail {
            tail.head.ascii = None;
        }
        p
    }

    /// Whether `a` and `b` (one pattern compiled two ways) give `subject`
    /// the same answers: its groups, where they are, and whether it matches.
    fn same_answers(
        a: &ExactPattern,
        b: &ExactPattern,
        subject: &str,
    ) -> Result<(), proptest::test_runner::TestCaseError> {
        let (mut la, mut lb) = (a.locations(), b.locations());
        proptest::prop_assert_eq!(
            a.captures(subject, &mut la).unwrap(),
            b.captures(subject, &mut lb).unwrap()
        );
        let (mut sa, mut sb) = (Vec::new(), Vec::new());
        proptest::prop_assert_eq!(
            a.capture_spans(subject, &mut la, &mut sa).unwrap(),
            b.capture_spans(subject, &mut lb, &mut sb).unwrap()
        );
        proptest::prop_assert_eq!(sa, sb);
        proptest::prop_assert_eq!(a.is_match(subject).unwrap(), b.is_match(subject).unwrap());
        Ok(())
    }

    /// `pattern` without its open tail: the whole pattern alone.
    fn whole_only(pattern: &str) -> ExactPattern {
        ExactPattern {
            tail: None,
            ..ExactPattern::compile(pattern, false).unwrap()
        }
    }

    /// Patterns with an open tail, and heads that may take the whole line.
    const TAILS: &[&str] = &[
        r"^(?P<pre>(?:\S+\s+)?(?:x\[\d+\]:\s+)?)(?:(?:error|fatal): )?(?P<content>.+)$",
        r"(?P<a>a*)(?P<b>b?)(?P<content>.+)$",
        r"x(?P<c>.+)$",
        r"^(?:(?P<p>\w+):\s*)?(?P<content>.+)$",
        r"(?P<w>\w+)\s*(?P<content>.+)$",
    ];

    proptest::proptest! {
        #[test]
        fn open_tail_agrees_with_the_whole_pattern(
            which in 0..TAILS.len(),
            subject in "[ abx:0-9\\[\\]\n]{0,16}(error: )?[ abx:é]{0,6}\n?",
        ) {
            let tail = ExactPattern::compile(TAILS[which], false).unwrap();
            proptest::prop_assert!(tail.has_open_tail());
            same_answers(&tail, &whole_only(TAILS[which]), &subject)?;
        }
    }

    #[test]
    fn open_tails_only_where_the_shape_allows() {
        for (pattern, has) in [
            (r"^(?P<h>\S+) (?P<content>.+)$", true),
            (r"^(?P<h>\S+) (?P<content>.+?)$", false),
            (r"^(?P<h>\S+) (?P<content>.*)$", false),
            (r"^a|(?P<content>.+)$", false),
            (r"(?s)^(?P<content>.+)$", false),
            (r"(?m)^(?P<content>.+)$", false),
            (r"^(?P<h>\S+) (?P<content>.+)\Z", false),
            (r"^(?P<h>\S+)(?(h) )(?P<content>.+)$", false),
            (r"^(?P<h>\S+) (.+)$", false),
        ] {
            let p = ExactPattern::compile(pattern, false).unwrap();
            assert_eq!(p.has_open_tail(), has, "{pattern}");
        }
        assert!(!ExactPattern::compile(r"^(?P<content>.+)$", true)
            .unwrap()
            .has_open_tail());
    }

    /// Patterns covering what the printer emits: Python's shorthands (its
    /// `\s` holds U+001C..U+001F), classes and negated classes, `.`,
    /// boundaries, case folding, look-behind, conditionals, back-references.
    const FORMS: &[&str] = &[
        r"^(?P<a>\s+)(?P<b>\S+)(?P<c>\w*)(?P<d>\W?)(?P<e>\d+|\D+)$",
        r"(?P<w>\b\w+\b)\s*(?P<x>[^\s:]+):(?P<y>.*?)(?P<z>\B.)?$",
        r"(?i)(?P<k>k+)(?P<s>S[a-z]*)(?P<i>[^a-j]?)",
        r"(?P<q>')?(?P<v>[\w.-]+)(?(q)'|)(?<=[a-z0-9'])",
        r"(?P<r>[KkSs])\s*(?P=r)",
        r"^(?P<pre>(?:\S+\s+)?)(?P<content>.+)$",
        r"(?a)(?P<a>\w+)\s(?P<b>[^\W\d]+)",
        r"(?P<l>[a-m]+)(?P<u>[N-Z]*)(?P<t>(?i:t))",
    ];

    proptest::proptest! {
        #[test]
        fn ascii_form_agrees_with_unicode_form(
            which in 0..FORMS.len(),
            subject in "[ a-zA-Z0-9_:.'\t\x0b\x0c\r\x1c-\x1f!-]{0,24}",
        ) {
            let both = ExactPattern::compile(FORMS[which], false).unwrap();
            proptest::prop_assert!(both.has_ascii_form());
            same_answers(&both, &unicode_only(FORMS[which]), &subject)?;
        }
    }

    #[test]
    fn non_ascii_pattern_or_subject_takes_the_unicode_form() {
        // U+212A KELVIN SIGN folds onto `k`: byte mode could not see that.
        let kelvin = ExactPattern::compile("(?i)\u{212a}", false).unwrap();
        assert!(!kelvin.has_ascii_form());
        assert!(kelvin.is_match("k").unwrap());
        // An escape beyond U+00FF has no byte form either.
        let escaped = ExactPattern::compile(r"(?i)\u212a", false).unwrap();
        assert!(!escaped.has_ascii_form());
        assert!(escaped.is_match("K").unwrap());
        // A non-ASCII subject: `.` is one character, `\w` holds `é`.
        let p = ExactPattern::compile(r"^(?P<c>.)(?P<w>\w+)$", false).unwrap();
        assert!(p.has_ascii_form());
        let mut loc = p.locations();
        let g = p.captures("ééa", &mut loc).unwrap().unwrap();
        assert_eq!(g, vec![Some("é".into()), Some("éa".into())]);
    }

    #[test]
    fn conditionals_and_lookbehind() {
        let p = ExactPattern::compile(r"(?P<q>')?x(?(q)'|y)(?<=[y'])", false).unwrap();
        let mut loc = p.locations();
        assert!(p.is_match("'x'").unwrap());
        assert!(p.is_match("xy").unwrap());
        assert!(!p.is_match("'x").unwrap());
        assert!(p.captures("'x'", &mut loc).unwrap().unwrap()[0].is_some());
    }

    #[test]
    fn catastrophic_backtracking_is_bounded() {
        let p = ExactPattern::compile(r"^(a+)+$", false).unwrap();
        let subject = format!("{}b", "a".repeat(40));
        let mut loc = p.locations();
        // Either PCRE2 proves the failure or its match limit trips: never a
        // match, never a hang.
        let result = p.captures(&subject, &mut loc);
        assert!(!matches!(result, Ok(Some(_))), "{result:?}");
    }

    #[test]
    fn errors_name_pattern_and_position() {
        let e = ExactPattern::compile(r"abc(?P<x>", false).unwrap_err();
        assert_eq!(e.position, Some(3));
        assert!(e.to_string().contains("abc(?P<x>"));
        let e = ExactPattern::compile(r"(?<=a+)b", false).unwrap_err();
        assert!(e.to_string().contains("(?<=a+)b"), "{e}");
    }
}
