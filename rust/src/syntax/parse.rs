//! A parser for Python `re` syntax (Python 3.11 rules) into [`ast::Pattern`].
//!
//! It recognises exactly what the printers need to rewrite and rejects what
//! Python itself rejects when that is cheap to see here (bad escapes, global
//! flags not at the start, `(?L)`, unbalanced parentheses, nothing to repeat).
//! Everything subtler is left to PCRE2, which compiles the printed pattern and
//! reports its own errors.

use std::fmt;

use super::ast::{FlagSet, Group, GroupKind, GroupRef, Node, Pattern, Quantifier};

/// A pattern Python's `re` would refuse, with the byte offset of the problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub position: usize,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at position {}", self.message, self.position)
    }
}

impl std::error::Error for SyntaxError {}

/// Parses a pattern written for Python's `re` module.
pub fn parse(pattern: &str) -> Result<Pattern, SyntaxError> {
    let mut parser = Parser {
        src: pattern,
        chars: pattern.char_indices().collect(),
        at: 0,
    };
    let flags = parser.leading_flags()?;
    let nodes = parser.sequence(flags.verbose, 0)?;
    if parser.at < parser.chars.len() {
        // `sequence` only stops early at a `)` without its `(`.
        return Err(parser.error("unbalanced parenthesis"));
    }
    Ok(Pattern { flags, nodes })
}

struct Parser<'a> {
    src: &'a str,
    chars: Vec<(usize, char)>,
    /// Index into `chars` of the next unread character.
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).map(|&(_, c)| c)
    }

    fn peek_at(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).map(|&(_, c)| c)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek();
        if c.is_some() {
            self.at += 1;
        }
        c
    }

    fn eat(&mut self, expected: char) -> bool {
        if self.peek() == Some(expected) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    /// Byte offset in the source of the next unread character.
    fn offset(&self) -> usize {
        self.chars.get(self.at).map_or(self.src.len(), |&(i, _)| i)
    }

    fn error(&self, message: impl Into<String>) -> SyntaxError {
        SyntaxError {
            message: message.into(),
            position: self.offset(),
        }
    }

    fn error_at(&self, position: usize, message: impl Into<String>) -> SyntaxError {
        SyntaxError {
            message: message.into(),
            position,
        }
    }

    /// Global flag groups `(?imsx)` at the very start (Python 3.11 allows them
    /// nowhere else).
    fn leading_flags(&mut self) -> Result<FlagSet, SyntaxError> {
        let mut flags = FlagSet::default();
        loop {
            let save = self.at;
            if !(self.eat('(') && self.eat('?')) {
                self.at = save;
                return Ok(flags);
            }
            let letters_start = self.at;
            while matches!(self.peek(), Some(c) if c.is_ascii_alphabetic()) {
                self.at += 1;
            }
            if self.at == letters_start || !self.eat(')') {
                self.at = save;
                return Ok(flags);
            }
            let letters: String = self.chars[letters_start..self.at - 1]
                .iter()
                .map(|&(_, c)| c)
                .collect();
            self.apply_flags(&mut flags, &letters, self.chars[letters_start].0)?;
        }
    }

    fn apply_flags(
        &self,
        flags: &mut FlagSet,
        letters: &str,
        position: usize,
    ) -> Result<(), SyntaxError> {
        for c in letters.chars() {
            match c {
                'a' => flags.ascii = true,
                'i' => flags.ignore_case = true,
                'm' => flags.multiline = true,
                's' => flags.dotall = true,
                'x' => flags.verbose = true,
                'u' => {}
                'L' => return Err(self.error_at(position, "the locale flag (?L) is not supported")),
                _ => return Err(self.error_at(position, format!("unknown flag '{c}'"))),
            }
        }
        Ok(())
    }

    /// Skips white space and `#` comments when verbose mode is on.
    fn skip_verbose(&mut self, verbose: bool) {
        if !verbose {
            return;
        }
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.at += 1;
            } else if c == '#' {
                while let Some(c) = self.bump() {
                    if c == '\n' {
                        break;
                    }
                }
            } else {
                break;
            }
        }
    }

    /// Parses until an unmatched `)` (left unread) or the end.
    fn sequence(&mut self, verbose: bool, depth: usize) -> Result<Vec<Node>, SyntaxError> {
        if depth > 200 {
            return Err(self.error("too many nested groups"));
        }
        let mut nodes: Vec<Node> = Vec::new();
        loop {
            self.skip_verbose(verbose);
            let start = self.offset();
            let Some(c) = self.bump() else { break };
            let node = match c {
                ')' => {
                    self.at -= 1;
                    break;
                }
                '|' => Node::Alternation,
                '.' => Node::Dot,
                '^' => Node::LineStart,
                '$' => Node::LineEnd,
                '[' => Node::Class(self.class()?),
                '\\' => self.escape()?,
                '(' => match self.group(verbose, depth, start)? {
                    Some(node) => node,
                    None => continue, // a comment group
                },
                '*' | '+' | '?' => {
                    let (min, max) = match c {
                        '*' => (0, None),
                        '+' => (1, None),
                        _ => (0, Some(1)),
                    };
                    self.repeat(&mut nodes, min, max, start)?;
                    continue;
                }
                '{' => match self.braces()? {
                    Some((min, max)) => {
                        self.repeat(&mut nodes, min, max, start)?;
                        continue;
                    }
                    None => Node::Char('{'),
                },
                c => Node::Char(c),
            };
            nodes.push(node);
        }
        Ok(nodes)
    }

    fn repeat(
        &mut self,
        nodes: &mut Vec<Node>,
        min: u32,
        max: Option<u32>,
        start: usize,
    ) -> Result<(), SyntaxError> {
        match nodes.last() {
            None | Some(Node::Alternation) => {
                return Err(self.error_at(start, "nothing to repeat"));
            }
            Some(Node::Repeat(_)) => return Err(self.error_at(start, "multiple repeat")),
            Some(
                Node::LineStart
                | Node::LineEnd
                | Node::TextStart
                | Node::TextEnd
                | Node::WordBoundary(_),
            ) => return Err(self.error_at(start, "nothing to repeat")),
            _ => {}
        }
        if let Some(max) = max {
            if max < min {
                return Err(self.error_at(start, "min repeat greater than max repeat"));
            }
        }
        let lazy = self.eat('?');
        let possessive = !lazy && self.eat('+');
        nodes.push(Node::Repeat(Quantifier {
            min,
            max,
            lazy,
            possessive,
        }));
        Ok(())
    }

    /// After a `{`: a `{m}`, `{m,}`, `{,n}` or `{m,n}` quantifier, or `None`
    /// (then the `{` is a literal, as in Python, and nothing is consumed).
    fn braces(&mut self) -> Result<Option<(u32, Option<u32>)>, SyntaxError> {
        let save = self.at;
        let min = self.digits();
        let (min, max) = if self.eat(',') {
            (min, self.digits())
        } else {
            match min {
                Some(m) => (Some(m), Some(m)),
                None => {
                    self.at = save;
                    return Ok(None);
                }
            }
        };
        if !self.eat('}') {
            self.at = save;
            return Ok(None);
        }
        let min = min.unwrap_or(0);
        let too_big = |v: u32| v > 4_294_967_294;
        if too_big(min) || max.is_some_and(too_big) {
            return Err(self.error("the repetition number is too large"));
        }
        Ok(Some((min, max)))
    }

    fn digits(&mut self) -> Option<u32> {
        let mut value: Option<u32> = None;
        while let Some(d) = self.peek().and_then(|c| c.to_digit(10)) {
            self.at += 1;
            // Saturating: an absurd count is reported by `braces`.
            value = Some(value.unwrap_or(0).saturating_mul(10).saturating_add(d));
        }
        value
    }

    /// After `(`. Returns `None` for a `(?#…)` comment.
    fn group(
        &mut self,
        verbose: bool,
        depth: usize,
        position: usize,
    ) -> Result<Option<Node>, SyntaxError> {
        let kind = if self.eat('?') {
            match self.bump() {
                Some(':') => GroupKind::NonCapture,
                Some('P') => match self.bump() {
                    Some('<') => GroupKind::Capture(Some(self.name('>')?)),
                    Some('=') => return Ok(Some(Node::Backref(GroupRef::Name(self.name(')')?)))),
                    _ => return Err(self.error("unknown extension ?P")),
                },
                Some('=') => GroupKind::Look {
                    behind: false,
                    negative: false,
                },
                Some('!') => GroupKind::Look {
                    behind: false,
                    negative: true,
                },
                Some('<') => match self.bump() {
                    Some('=') => GroupKind::Look {
                        behind: true,
                        negative: false,
                    },
                    Some('!') => GroupKind::Look {
                        behind: true,
                        negative: true,
                    },
                    _ => return Err(self.error("unknown extension ?<")),
                },
                Some('>') => GroupKind::Atomic,
                Some('#') => {
                    while let Some(c) = self.bump() {
                        if c == ')' {
                            return Ok(None);
                        }
                    }
                    return Err(self.error("missing ), unterminated comment"));
                }
                Some('(') => {
                    let name = self.name(')')?;
                    let reference = match name.parse::<u32>() {
                        Ok(n) => GroupRef::Number(n),
                        Err(_) => GroupRef::Name(name),
                    };
                    GroupKind::Conditional(reference)
                }
                Some(c) if c.is_ascii_alphabetic() || c == '-' => {
                    self.at -= 1;
                    self.scoped_flags()?
                }
                _ => return Err(self.error_at(position, "unknown extension")),
            }
        } else {
            GroupKind::Capture(None)
        };
        let inner_verbose = match &kind {
            GroupKind::Scoped { on, off } => (verbose || on.verbose) && !off.verbose,
            _ => verbose,
        };
        let body = self.sequence(inner_verbose, depth + 1)?;
        if !self.eat(')') {
            return Err(self.error_at(position, "missing ), unterminated subpattern"));
        }
        Ok(Some(Node::Group(Box::new(Group {
            kind,
            body,
            position,
        }))))
    }

    /// `(?flags-flags:` — the opening `(?` is already read.
    fn scoped_flags(&mut self) -> Result<GroupKind, SyntaxError> {
        let position = self.offset();
        let mut on = FlagSet::default();
        let mut off = FlagSet::default();
        let mut letters = String::new();
        while let Some(c) = self.peek().filter(|c| c.is_ascii_alphabetic()) {
            letters.push(c);
            self.at += 1;
        }
        self.apply_flags(&mut on, &letters, position)?;
        if self.eat('-') {
            let mut letters = String::new();
            while let Some(c) = self.peek().filter(|c| c.is_ascii_alphabetic()) {
                letters.push(c);
                self.at += 1;
            }
            self.apply_flags(&mut off, &letters, position)?;
        }
        match self.bump() {
            Some(':') => Ok(GroupKind::Scoped { on, off }),
            Some(')') => {
                Err(self.error_at(position, "global flags not at the start of the expression"))
            }
            _ => Err(self.error_at(position, "missing : after inline flags")),
        }
    }

    /// A group name or reference up to `end` (consumed).
    fn name(&mut self, end: char) -> Result<String, SyntaxError> {
        let position = self.offset();
        let mut name = String::new();
        loop {
            match self.bump() {
                Some(c) if c == end => break,
                Some(c) => name.push(c),
                None => {
                    return Err(self.error_at(position, format!("missing {end}, unterminated name")))
                }
            }
        }
        let valid = name.chars().all(|c| c.is_alphanumeric() || c == '_')
            && !name.is_empty()
            && (name.chars().all(|c| c.is_ascii_digit())
                || !name.starts_with(|c: char| c.is_ascii_digit()));
        if !valid {
            return Err(self.error_at(position, format!("bad character in group name '{name}'")));
        }
        Ok(name)
    }

    /// After a `\` outside a class.
    fn escape(&mut self) -> Result<Node, SyntaxError> {
        let position = self.offset();
        let Some(c) = self.bump() else {
            return Err(self.error("bad escape (end of pattern)"));
        };
        Ok(match c {
            'A' => Node::TextStart,
            'Z' => Node::TextEnd,
            'b' => Node::WordBoundary(true),
            'B' => Node::WordBoundary(false),
            'd' | 'D' | 'w' | 'W' | 's' | 'S' => Node::Shorthand(c),
            '0'..='9' => self.numeric_escape(c, position)?,
            _ => Node::Char(self.char_escape(c, position)?),
        })
    }

    /// `\0`, `\1`…`\99` and three-digit octal escapes, outside a class.
    fn numeric_escape(&mut self, first: char, position: usize) -> Result<Node, SyntaxError> {
        let is_octal = |c: Option<char>| matches!(c, Some('0'..='7'));
        if first == '0' {
            return Ok(Node::Char(self.octal(first, position)?));
        }
        if is_octal(Some(first)) && is_octal(self.peek()) && is_octal(self.peek_at(1)) {
            return Ok(Node::Char(self.octal(first, position)?));
        }
        let mut number = first.to_digit(10).unwrap_or(0);
        if let Some(d) = self.peek().and_then(|c| c.to_digit(10)) {
            self.at += 1;
            number = number * 10 + d;
        }
        Ok(Node::Backref(GroupRef::Number(number)))
    }

    /// An octal escape starting with `first`; up to three digits in all.
    fn octal(&mut self, first: char, position: usize) -> Result<char, SyntaxError> {
        let mut value = first.to_digit(8).unwrap_or(0);
        for _ in 0..2 {
            match self.peek().and_then(|c| c.to_digit(8)) {
                Some(d) => {
                    self.at += 1;
                    value = value * 8 + d;
                }
                None => break,
            }
        }
        if value > 0o377 {
            return Err(self.error_at(position, "octal escape value outside of range 0-0o377"));
        }
        char::from_u32(value).ok_or_else(|| self.error_at(position, "bad octal escape"))
    }

    /// Escapes that stand for one character, shared by classes and sequences.
    fn char_escape(&mut self, c: char, position: usize) -> Result<char, SyntaxError> {
        Ok(match c {
            'a' => '\x07',
            'f' => '\x0c',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'v' => '\x0b',
            'x' => self.hex(2, position)?,
            'u' => self.hex(4, position)?,
            'U' => self.hex(8, position)?,
            'N' => {
                return Err(self.error_at(
                    position,
                    "named character escapes \\N{...} are not supported",
                ))
            }
            c if c.is_ascii_alphanumeric() => {
                return Err(self.error_at(position, format!("bad escape \\{c}")));
            }
            c => c,
        })
    }

    fn hex(&mut self, digits: usize, position: usize) -> Result<char, SyntaxError> {
        let mut value: u32 = 0;
        for _ in 0..digits {
            let Some(d) = self.peek().and_then(|c| c.to_digit(16)) else {
                return Err(self.error_at(
                    position,
                    format!("incomplete escape (needs {digits} hex digits)"),
                ));
            };
            self.at += 1;
            value = value * 16 + d;
        }
        char::from_u32(value)
            .ok_or_else(|| self.error_at(position, "bad escape: not a Unicode code point"))
    }

    /// After `[`: the whole class, printed in a form PCRE2, Hyperscan and the
    /// `regex` crate all read the same way (literal punctuation escaped, `\b`
    /// and octal escapes turned into `\x{…}`).
    fn class(&mut self) -> Result<String, SyntaxError> {
        let position = self.offset().saturating_sub(1);
        let mut out = String::from("[");
        if self.eat('^') {
            out.push('^');
        }
        let mut first = true;
        loop {
            let Some(c) = self.bump() else {
                return Err(self.error_at(position, "unterminated character set"));
            };
            if c == ']' && !first {
                break;
            }
            first = false;
            let low = self.class_atom(c)?;
            let is_range = self.peek() == Some('-') && !matches!(self.peek_at(1), Some(']') | None);
            match low {
                ClassAtom::Char(low) if is_range => {
                    self.at += 1; // the '-'
                    let range_pos = self.offset();
                    let next = self.bump().unwrap_or(']');
                    let ClassAtom::Char(high) = self.class_atom(next)? else {
                        return Err(self.error_at(range_pos, "bad character range"));
                    };
                    if high < low {
                        return Err(self.error_at(range_pos, "bad character range"));
                    }
                    push_class_char(&mut out, low);
                    out.push('-');
                    push_class_char(&mut out, high);
                }
                ClassAtom::Char(c) => push_class_char(&mut out, c),
                ClassAtom::Shorthand(s) => {
                    out.push('\\');
                    out.push(s);
                }
            }
        }
        out.push(']');
        Ok(out)
    }

    fn class_atom(&mut self, c: char) -> Result<ClassAtom, SyntaxError> {
        if c != '\\' {
            return Ok(ClassAtom::Char(c));
        }
        let position = self.offset();
        let Some(e) = self.bump() else {
            return Err(self.error("bad escape (end of pattern)"));
        };
        Ok(match e {
            'd' | 'D' | 'w' | 'W' | 's' | 'S' => ClassAtom::Shorthand(e),
            'b' => ClassAtom::Char('\x08'),
            '0'..='7' => ClassAtom::Char(self.octal(e, position)?),
            '8' | '9' => return Err(self.error_at(position, format!("bad escape \\{e}"))),
            e => ClassAtom::Char(self.char_escape(e, position)?),
        })
    }
}

enum ClassAtom {
    Char(char),
    Shorthand(char),
}

/// Writes one class member so that no dialect can read it as syntax.
fn push_class_char(out: &mut String, c: char) {
    // Only the characters that are syntax inside some dialect's classes get a
    // backslash: the `regex` crate refuses `\<` and `\>`.
    if matches!(c, '\\' | ']' | '[' | '^' | '-' | '&' | '~') {
        out.push('\\');
        out.push(c);
    } else if c.is_control() || c.is_whitespace() {
        out.push_str(&format!("\\x{{{:x}}}", c as u32));
    } else {
        out.push(c);
    }
}
