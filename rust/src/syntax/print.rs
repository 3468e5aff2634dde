//! Printers from the syntax tree to the dialects hyperban compiles.
//!
//! * [`to_pcre2`] is exact: PCRE2 with UTF and UCP reads the result the way
//!   Python's `re` reads the source.
//! * [`to_rust_regex`] is exact or nothing: `None` when the `regex` crate
//!   cannot express the pattern with Python's meaning.
//! * [`to_superset`] feeds the candidate finders (Hyperscan, and the `regex`
//!   crate's `RegexSet`). It may drop or loosen constructs (look-arounds,
//!   back-references, conditionals, atomic groups) as long as every string the
//!   source matches is still matched: removing a zero-width assertion or
//!   replacing a back-reference by `.*` only ever admits more.
//!
//! Python's shorthand classes are spelled out where a dialect disagrees with
//! Python: Python's `\s` also matches U+001C..U+001F (`str.isspace`), and the
//! `regex` crate's `\w` includes combining marks that Python's does not.
//!
//! The Hyperscan superset is printed for *byte* mode (no UTF-8, no UCP):
//! every construct that may match a non-ASCII character also admits
//! `[\x80-\xff]+`, a run of UTF-8 continuation/lead bytes. Any k-character
//! string then splits into k units, so repeat counts stay supersets too. Byte
//! mode compiles in milliseconds where UCP takes about half a second per
//! fail2ban regex, never trusts input to be valid UTF-8, and avoids a
//! Vectorscan UCP defect (README, design notes).

use std::fmt::Write;

use super::ast::{FlagSet, GroupKind, GroupRef, Node, Pattern, Quantifier};
use super::infix::literal_infix;

/// The engine a superset is printed for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SupersetFor {
    /// Hyperscan in byte mode (see the module docs).
    Hyperscan,
    /// The `regex` crate. Its `\b` follows its own `\w`, so word boundaries
    /// are dropped there.
    RustRegex,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Pcre2,
    RustRegex,
    Hyperscan,
}

#[derive(Clone, Copy)]
struct Style {
    dialect: Dialect,
    superset: bool,
    drop_word_boundaries: bool,
    /// Leave out `$` and `\Z` (Hyperscan's database form only; see
    /// [`to_superset`]).
    drop_line_ends: bool,
    /// Python's ASCII flag: shorthands keep their ASCII meaning.
    ascii: bool,
    /// Case-insensitive here (byte-mode supersets must widen letters that
    /// Unicode folds onto non-ASCII characters).
    caseless: bool,
    /// `.` matches `\n` here (byte-mode supersets spell `.` out).
    dotall: bool,
}

/// The exact PCRE2 form of a Python pattern.
pub fn to_pcre2(pattern: &Pattern) -> String {
    print(
        pattern,
        Style {
            dialect: Dialect::Pcre2,
            superset: false,
            drop_word_boundaries: false,
            drop_line_ends: false,
            ascii: pattern.flags.ascii,
            caseless: pattern.flags.ignore_case,
            dotall: pattern.flags.dotall,
        },
    )
}

/// The exact `regex`-crate form, or `None` if it has no such form.
pub fn to_rust_regex(pattern: &Pattern) -> Option<String> {
    if pattern.flags.ascii || !rust_expressible(&pattern.nodes) {
        return None;
    }
    Some(print(
        pattern,
        Style {
            dialect: Dialect::RustRegex,
            superset: false,
            drop_word_boundaries: false,
            drop_line_ends: false,
            ascii: false,
            caseless: pattern.flags.ignore_case,
            dotall: pattern.flags.dotall,
        },
    ))
}

/// A superset of the pattern for a candidate finder. `^`/`$`/`\A`/`\Z` all
/// become line anchors because finders scan many lines at once in multi-line
/// mode.
///
/// Hyperscan's form has no end anchors at all: Vectorscan 5.4.12 misses
/// matches of `$` (`b$` with `aa` in the same database finds no `b` at a
/// line's end once the buffer is 17 bytes long; `b(?:$|x)` misses even
/// alone). Leaving an anchor out only admits more lines, which the exact
/// engine then rejects.
pub fn to_superset(pattern: &Pattern, target: SupersetFor) -> String {
    let dialect = match target {
        SupersetFor::Hyperscan => Dialect::Hyperscan,
        SupersetFor::RustRegex => Dialect::RustRegex,
    };
    let style = Style {
        drop_line_ends: target == SupersetFor::Hyperscan,
        ..superset_style(pattern, dialect)
    };
    let mut out = String::with_capacity(64);
    let letters = pattern.flags.pcre_letters();
    if !letters.is_empty() {
        let _ = write!(out, "(?{letters})");
    }
    write_nodes(&mut out, selective_tail(&pattern.nodes), style);
    out
}

/// How a candidate finder's superset of `pattern` is printed.
fn superset_style(pattern: &Pattern, dialect: Dialect) -> Style {
    Style {
        dialect,
        superset: true,
        // In byte mode `\b` sees every non-ASCII byte as a non-word.
        drop_word_boundaries: true,
        drop_line_ends: false,
        ascii: pattern.flags.ascii,
        caseless: pattern.flags.ignore_case,
        dotall: pattern.flags.dotall,
    }
}

/// A pattern's literal core (see `infix`), printed for the candidate finder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiteralCore {
    /// The core in Hyperscan's byte-mode dialect: a literal, or a
    /// concatenation of small literal sets, or a set of such cores of the
    /// alternatives of a group, that every match of the pattern
    /// contains. Searched anywhere, it is a superset of the pattern (a much
    /// looser one than [`to_superset`]).
    pub literal: String,
    /// In the same byte-mode dialect (which the `regex` crate's byte regexes
    /// read too, Unicode off): a superset of the part of the pattern from
    /// its core on. Wherever the pattern matches a line, this matches in the
    /// rest of that line from the start of the core match inside it.
    pub check: String,
    /// Every string `literal` matches (ASCII; up to ASCII case when
    /// `caseless`), sorted: a core match ending at `e` is one of them,
    /// ending at `e`.
    pub spellings: Vec<String>,
    /// Whether the pattern ignores case.
    pub caseless: bool,
}

/// The pattern's literal core, or `None` when it has no core long enough to
/// be worth searching for (see `infix`).
pub fn to_literal_core(pattern: &Pattern) -> Option<LiteralCore> {
    let infix = literal_infix(&pattern.nodes, pattern.flags.ignore_case)?;
    let style = |dialect| superset_style(pattern, dialect);
    let letters = pattern.flags.pcre_letters();
    let flags = if letters.is_empty() {
        String::new()
    } else {
        format!("(?{letters})")
    };
    let mut literal = flags.clone();
    write_nodes(&mut literal, &infix.core, style(Dialect::Hyperscan));
    // The check runs on the line from a core match's start to its end. The
    // part of the pattern before the core is left out, which only admits
    // more; the tail keeps the pattern's own end (`$`, if it has one), which
    // is the line's end there as for the exact engine. Not anchored at the
    // start: a match starting later in that text only admits more, and a
    // `$`-anchored check can then run backwards from the line's end (see
    // `matcher::core_check` for how a scan picks the direction).
    let mut check = flags;
    write_nodes(&mut check, &infix.tail, style(Dialect::Hyperscan));
    Some(LiteralCore {
        literal,
        check,
        spellings: infix.spellings,
        caseless: pattern.flags.ignore_case,
    })
}

/// Shortest required literal that makes a candidate pattern worth starting
/// at (shorter literals are too common to let the finder skip ahead).
const SELECTIVE_LITERAL: usize = 3;

/// The pattern from its first node that requires a literal of at least
/// [`SELECTIVE_LITERAL`] characters, or the whole pattern if none does.
///
/// Searched anywhere, the tail of a concatenation matches wherever the whole
/// does, so it is a superset. fail2ban regexes open with a long, optional,
/// literal-free syslog prefix (`^%(__prefix_line)s`); starting after it lets
/// Hyperscan key on the message's literals instead of running that prefix
/// from every line start — about 3x faster on the sshd filter.
fn selective_tail(nodes: &[Node]) -> &[Node] {
    if nodes.iter().any(|n| matches!(n, Node::Alternation)) {
        return nodes;
    }
    for (i, node) in nodes.iter().enumerate() {
        if optional(nodes.get(i + 1)) {
            continue;
        }
        let literal = match node {
            Node::Group(g) => required_literal(g),
            Node::Char(_) => literal_run(&nodes[i..]),
            _ => 0,
        };
        if literal >= SELECTIVE_LITERAL {
            return &nodes[i..];
        }
    }
    nodes
}

/// Length of the run of unrepeated literal characters at the start of `nodes`.
fn literal_run(nodes: &[Node]) -> usize {
    let mut run = 0;
    while matches!(nodes.get(run), Some(Node::Char(_)))
        && !matches!(nodes.get(run + 1), Some(Node::Repeat(_)))
    {
        run += 1;
    }
    run
}

/// Whether `next` (the node after some node) makes that node optional.
fn optional(next: Option<&Node>) -> bool {
    matches!(next, Some(Node::Repeat(q)) if q.min == 0)
}

/// Length of the longest run of literal characters every match of the
/// group's body must contain (the minimum over alternatives).
fn required_literal(group: &super::ast::Group) -> usize {
    match group.kind {
        GroupKind::Look { .. } | GroupKind::Conditional(_) => 0,
        _ => sequence_literal(&group.body),
    }
}

fn sequence_literal(nodes: &[Node]) -> usize {
    if nodes.iter().any(|n| matches!(n, Node::Alternation)) {
        return nodes
            .split(|n| matches!(n, Node::Alternation))
            .map(sequence_literal)
            .min()
            .unwrap_or(0);
    }
    let (mut best, mut run) = (0, 0);
    for (i, node) in nodes.iter().enumerate() {
        let repeated = matches!(nodes.get(i + 1), Some(Node::Repeat(_)));
        match node {
            Node::Char(_) if !repeated => run += 1,
            Node::Repeat(_) => {}
            Node::Group(g) if !optional(nodes.get(i + 1)) => {
                best = best.max(run).max(required_literal(g));
                run = 0;
            }
            _ => {
                best = best.max(run);
                run = 0;
            }
        }
    }
    best.max(run)
}

fn print(pattern: &Pattern, style: Style) -> String {
    let mut out = String::with_capacity(64);
    let letters = pattern.flags.pcre_letters();
    if !letters.is_empty() {
        let _ = write!(out, "(?{letters})");
    }
    write_nodes(&mut out, &pattern.nodes, style);
    out
}

/// One non-ASCII character in UTF-8 (2 to 4 bytes, all >= 0x80). The text
/// scanned is always valid UTF-8: the chunk repairs invalid sequences first.
const HIGH_RUN: &str = "[\\x80-\\xff]{2,4}";

fn byte_mode(style: Style) -> bool {
    style.superset && style.dialect == Dialect::Hyperscan
}

/// Whether every construct has an exact `regex`-crate form.
fn rust_expressible(nodes: &[Node]) -> bool {
    nodes.iter().all(|node| match node {
        Node::Backref(_) | Node::WordBoundary(_) => false,
        Node::Repeat(q) => !q.possessive,
        Node::Group(g) => {
            let kind_ok = match &g.kind {
                GroupKind::Look { .. } | GroupKind::Atomic | GroupKind::Conditional(_) => false,
                GroupKind::Scoped { on, off } => !on.ascii && !off.ascii,
                _ => true,
            };
            kind_ok && rust_expressible(&g.body)
        }
        _ => true,
    })
}

fn write_nodes(out: &mut String, nodes: &[Node], style: Style) {
    // Set after a construct the superset drops, so that a quantifier on it
    // is dropped too (a quantified nothing is an error in some dialects).
    let mut skip_repeat = false;
    for (i, node) in nodes.iter().enumerate() {
        if std::mem::take(&mut skip_repeat) && matches!(node, Node::Repeat(_)) {
            continue;
        }
        // Before an unbounded repeat a single-byte class suffices: k
        // characters are at least k bytes, all in the widened class. That
        // spares Hyperscan nested repeats.
        let wide = byte_mode(style)
            && matches!(nodes.get(i + 1), Some(Node::Repeat(q)) if q.max.is_none());
        match node {
            Node::Char(c) if wide && (!c.is_ascii() || style.caseless) => {
                out.push('[');
                if c.is_ascii() {
                    push_char(out, *c);
                }
                out.push_str("\\x80-\\xff]");
            }
            Node::Shorthand(s) if wide => out.push_str(wide_shorthand(*s)),
            Node::Class(text) if wide => ByteClass::parse(text, style.caseless).push_wide(out),
            Node::Dot if wide && style.dotall => out.push_str("[\\x00-\\xff]"),
            Node::Dot if wide => out.push_str("[^\\n]"),
            Node::Char(c) if byte_mode(style) => push_byte_char(out, *c, style.caseless),
            Node::Char(c) => push_char(out, *c),
            Node::Shorthand(s) if byte_mode(style) => push_byte_shorthand(out, *s),
            Node::Shorthand(s) => push_shorthand(out, *s, style),
            Node::Class(text) if byte_mode(style) => {
                ByteClass::parse(text, style.caseless).push_unit(out)
            }
            Node::Class(text) => push_class(out, text, style),
            Node::Dot if byte_mode(style) && style.dotall => {
                let _ = write!(out, "(?:[\\x00-\\x7f]|{HIGH_RUN})");
            }
            Node::Dot if byte_mode(style) => {
                let _ = write!(out, "(?:[^\\n\\x80-\\xff]|{HIGH_RUN})");
            }
            Node::Dot => out.push('.'),
            Node::LineEnd | Node::TextEnd if style.drop_line_ends => {
                skip_repeat = true;
            }
            Node::LineStart => out.push('^'),
            Node::LineEnd => out.push('$'),
            Node::TextStart if style.superset => out.push('^'),
            Node::TextEnd if style.superset => out.push('$'),
            Node::TextStart => out.push_str("\\A"),
            Node::TextEnd => out.push_str("\\z"),
            Node::WordBoundary(_) if style.superset && style.drop_word_boundaries => {
                skip_repeat = true;
            }
            Node::WordBoundary(true) => out.push_str("\\b"),
            // Python's `\B` (up to 3.13) never matches the empty string;
            // PCRE2's does. Only supersets may keep the looser form.
            Node::WordBoundary(false) if style.superset => out.push_str("\\B"),
            Node::WordBoundary(false) => out.push_str("(?!\\A\\z)\\B"),
            // The referenced text lies on the same line, so `.*` covers it.
            Node::Backref(_) if style.superset => out.push_str("(?:.*)"),
            Node::Backref(GroupRef::Number(n)) => {
                let _ = write!(out, "\\g{{{n}}}");
            }
            Node::Backref(GroupRef::Name(name)) => {
                let _ = write!(out, "\\k<{name}>");
            }
            Node::Alternation => out.push('|'),
            Node::Repeat(q) => push_quantifier(out, q, !style.superset),
            Node::Group(g) if style.superset => match &g.kind {
                // A zero-width assertion removed admits more, never less.
                GroupKind::Look { .. } => skip_repeat = true,
                GroupKind::Conditional(_) => {
                    // `(?(c)yes|no)` ⊆ `(?:yes|no)`; `(?(c)yes)` ⊆ `(?:yes)?`.
                    let has_no_branch = g.body.iter().any(|n| matches!(n, Node::Alternation));
                    out.push_str("(?:");
                    write_nodes(out, &g.body, style);
                    out.push_str(if has_no_branch { ")" } else { ")?" });
                }
                GroupKind::Scoped { on, off } => {
                    push_scoped(out, on, off);
                    let inner = Style {
                        caseless: (style.caseless || on.ignore_case) && !off.ignore_case,
                        dotall: (style.dotall || on.dotall) && !off.dotall,
                        ..style
                    };
                    write_nodes(out, &g.body, inner);
                    out.push(')');
                }
                GroupKind::Capture(_) | GroupKind::NonCapture | GroupKind::Atomic => {
                    out.push_str("(?:");
                    write_nodes(out, &g.body, style);
                    out.push(')');
                }
            },
            Node::Group(g) => {
                match &g.kind {
                    GroupKind::Capture(None) => out.push('('),
                    GroupKind::Capture(Some(name)) => {
                        let _ = write!(out, "(?P<{name}>");
                    }
                    GroupKind::NonCapture => out.push_str("(?:"),
                    GroupKind::Scoped { on, off } => push_scoped(out, on, off),
                    GroupKind::Look { behind, negative } => {
                        out.push_str(match (behind, negative) {
                            (false, false) => "(?=",
                            (false, true) => "(?!",
                            (true, false) => "(?<=",
                            (true, true) => "(?<!",
                        });
                    }
                    GroupKind::Atomic => out.push_str("(?>"),
                    GroupKind::Conditional(GroupRef::Number(n)) => {
                        let _ = write!(out, "(?({n})");
                    }
                    GroupKind::Conditional(GroupRef::Name(name)) => {
                        let _ = write!(out, "(?(<{name}>)");
                    }
                }
                write_nodes(out, &g.body, style);
                out.push(')');
            }
        }
    }
}

/// Python's `\s` (`str.isspace`) includes U+001C..U+001F; Unicode's
/// White_Space, which PCRE2, Hyperscan and the `regex` crate use, does not.
const PY_SPACE_EXTRA: &str = "\\x{1c}-\\x{1f}";
/// Python's `\w` is `str.isalnum() or '_'`: letters, numbers and `_`.
const PY_WORD: &str = "\\p{L}\\p{N}_";

/// A shorthand outside a class.
fn push_shorthand(out: &mut String, letter: char, style: Style) {
    if style.ascii {
        out.push('\\');
        out.push(letter);
        return;
    }
    match (letter, style.dialect) {
        ('s', _) => {
            let _ = write!(out, "[\\s{PY_SPACE_EXTRA}]");
        }
        ('S', _) => {
            let _ = write!(out, "[^\\s{PY_SPACE_EXTRA}]");
        }
        ('w', Dialect::RustRegex) => {
            let _ = write!(out, "[{PY_WORD}]");
        }
        ('W', Dialect::RustRegex) => {
            let _ = write!(out, "[^{PY_WORD}]");
        }
        (l, _) => {
            out.push('\\');
            out.push(l);
        }
    }
}

/// A class from the parser, with its shorthands spelled for the dialect.
///
/// Inside a class a negated shorthand can only be spelled as a nested class,
/// which the `regex` crate has and PCRE2/Hyperscan lack; there `\S` stays
/// as is, which differs from Python only on U+001C..U+001F. For Hyperscan
/// that direction is still a superset (its `\S` admits those characters).
fn push_class(out: &mut String, text: &str, style: Style) {
    if style.ascii {
        out.push_str(text);
        return;
    }
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else { break };
        match (e, style.dialect) {
            ('s', _) => {
                let _ = write!(out, "\\s{PY_SPACE_EXTRA}");
            }
            ('S', Dialect::RustRegex) => {
                let _ = write!(out, "[^\\s{PY_SPACE_EXTRA}]");
            }
            ('w', Dialect::RustRegex) => out.push_str(PY_WORD),
            ('W', Dialect::RustRegex) => {
                let _ = write!(out, "[^{PY_WORD}]");
            }
            (e, _) => {
                out.push('\\');
                out.push(e);
            }
        }
    }
}

/// A literal in byte mode. Non-ASCII characters (in any case) are a high
/// run; so are `i`, `k` and `s` without case, which Python folds onto
/// U+0130/U+0131, U+212A (Kelvin) and U+017F (long s).
fn push_byte_char(out: &mut String, c: char, caseless: bool) {
    if !c.is_ascii() {
        let _ = write!(out, "(?:{HIGH_RUN})");
    } else if caseless && matches!(c.to_ascii_lowercase(), 'i' | 'k' | 's') {
        out.push_str("(?:");
        push_char(out, c);
        let _ = write!(out, "|{HIGH_RUN})");
    } else {
        push_char(out, c);
    }
}

/// A shorthand outside a class, in byte mode.
fn push_byte_shorthand(out: &mut String, letter: char) {
    let ascii = match letter {
        'd' => "[0-9]",
        'D' => "[^0-9\\x80-\\xff]",
        'w' => "[0-9A-Za-z_]",
        'W' => "[^0-9A-Za-z_\\x80-\\xff]",
        's' => "[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f\\x20]",
        _ => "[^\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f\\x20\\x80-\\xff]",
    };
    let _ = write!(out, "(?:{ascii}|{HIGH_RUN})");
}

/// A shorthand before an unbounded repeat, in byte mode: one byte class
/// that admits every non-ASCII byte where the shorthand admits non-ASCII.
fn wide_shorthand(letter: char) -> &'static str {
    match letter {
        'd' => "[0-9\\x80-\\xff]",
        'D' => "[^0-9]",
        'w' => "[0-9A-Za-z_\\x80-\\xff]",
        'W' => "[^0-9A-Za-z_]",
        's' => "[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f\\x20\\x80-\\xff]",
        _ => "[^\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f\\x20]",
    }
}

/// A class from the parser, read for byte mode: its ASCII members, and
/// whether it may match a non-ASCII character.
struct ByteClass {
    negated: bool,
    members: String,
    reaches_high: bool,
    /// `[^\S]` and the like: no cheap byte form, so it admits anything.
    negated_shorthand: bool,
}

impl ByteClass {
    fn parse(text: &str, caseless: bool) -> ByteClass {
        let negated = text.starts_with("[^");
        let body = &text[if negated { 2 } else { 1 }..text.len() - 1];
        let mut class = ByteClass {
            negated,
            members: String::new(),
            reaches_high: caseless,
            negated_shorthand: false,
        };
        let members = &mut class.members;
        let mut chars = body.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\\' {
                let Some(e) = chars.next() else { break };
                match e {
                    's' => members.push_str("\\s\\x1c-\\x1f"),
                    'w' | 'd' | 'S' | 'W' | 'D' => {
                        class.reaches_high = true;
                        class.negated_shorthand |= e.is_ascii_uppercase() && negated;
                        members.push('\\');
                        members.push(e);
                    }
                    'x' => {
                        // `\x{hex}`: the parser spells only ASCII this way.
                        members.push_str("\\x");
                        for h in chars.by_ref() {
                            members.push(h);
                            if h == '}' {
                                break;
                            }
                        }
                    }
                    e => {
                        members.push('\\');
                        members.push(e);
                    }
                }
            } else if c.is_ascii() {
                members.push(c);
            } else {
                // Non-ASCII: the high bytes cover it. The parser escapes a
                // literal `-`, so a bare `-` before or after it is a range.
                class.reaches_high = true;
                if members.ends_with('-') && !members.ends_with("\\-") {
                    members.push_str("\\x7f"); // keep the range's ASCII part
                } else if chars.peek() == Some(&'-') {
                    chars.next(); // a range wholly beyond ASCII
                    chars.next();
                }
            }
        }
        class
    }

    /// Matches one character: ASCII members, or one non-ASCII character.
    fn push_unit(&self, out: &mut String) {
        let members = &self.members;
        if self.negated_shorthand {
            let _ = write!(out, "(?:[\\x00-\\x7f]|{HIGH_RUN})");
        } else if self.negated {
            let _ = write!(out, "(?:[^{members}\\x80-\\xff]|{HIGH_RUN})");
        } else if self.reaches_high && members.is_empty() {
            let _ = write!(out, "(?:{HIGH_RUN})");
        } else if self.reaches_high {
            let _ = write!(out, "(?:[{members}]|{HIGH_RUN})");
        } else {
            let _ = write!(out, "[{members}]");
        }
    }

    /// One byte class, for use before an unbounded repeat.
    fn push_wide(&self, out: &mut String) {
        let members = &self.members;
        if self.negated_shorthand {
            out.push_str("[\\x00-\\xff]");
        } else if self.negated {
            let _ = write!(out, "[^{members}]");
        } else if self.reaches_high {
            let _ = write!(out, "[{members}\\x80-\\xff]");
        } else {
            let _ = write!(out, "[{members}]");
        }
    }
}

fn push_scoped(out: &mut String, on: &FlagSet, off: &FlagSet) {
    out.push_str("(?");
    out.push_str(&on.pcre_letters());
    let off_letters = off.pcre_letters();
    if !off_letters.is_empty() {
        out.push('-');
        out.push_str(&off_letters);
    }
    out.push(':');
}

/// Writes a quantifier; `exact` keeps laziness and possessiveness, which do
/// not change *whether* a line matches and so are dropped for supersets.
fn push_quantifier(out: &mut String, q: &Quantifier, exact: bool) {
    match (q.min, q.max) {
        (0, None) => out.push('*'),
        (1, None) => out.push('+'),
        (0, Some(1)) => out.push('?'),
        (m, None) => {
            let _ = write!(out, "{{{m},}}");
        }
        (m, Some(n)) if m == n => {
            let _ = write!(out, "{{{m}}}");
        }
        (m, Some(n)) => {
            let _ = write!(out, "{{{m},{n}}}");
        }
    }
    if exact && q.lazy {
        out.push('?');
    } else if exact && q.possessive {
        out.push('+');
    }
}

/// Writes a literal character so that no dialect reads it as syntax.
fn push_char(out: &mut String, c: char) {
    match c {
        '\\' | '.' | '^' | '$' | '|' | '?' | '*' | '+' | '(' | ')' | '[' | ']' | '{' | '}' => {
            out.push('\\');
            out.push(c);
        }
        // Spelled as hex so that no dialect's verbose mode or newline
        // convention can reinterpret it.
        c if c.is_control() || c == '#' || c == ' ' => {
            let _ = write!(out, "\\x{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}
