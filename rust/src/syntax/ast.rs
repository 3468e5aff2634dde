//! The syntax tree of a Python `re` pattern, as far as hyperban needs it.
//!
//! The tree is deliberately shallow: it keeps only the structure that differs
//! between Python `re`, PCRE2, Hyperscan and the `regex` crate (groups,
//! assertions, back-references, quantifier forms, escapes). Everything else is
//! literal text that all three dialects read the same way.

/// A reference to a capture group, by number or by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupRef {
    Number(u32),
    Name(String),
}

/// Inline flags that Python allows (`(?aiLmsux)`); `L` is rejected at parse time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlagSet {
    pub ascii: bool,
    pub ignore_case: bool,
    pub multiline: bool,
    pub dotall: bool,
    pub verbose: bool,
}

impl FlagSet {
    /// The flags in PCRE spelling (`a` and `u` have no PCRE inline form).
    pub fn pcre_letters(&self) -> String {
        let mut s = String::new();
        if self.ignore_case {
            s.push('i');
        }
        if self.multiline {
            s.push('m');
        }
        if self.dotall {
            s.push('s');
        }
        s
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupKind {
    /// `( … )` or `(?P<name> … )`.
    Capture(Option<String>),
    /// `(?: … )`.
    NonCapture,
    /// `(?flags-flags: … )`: flags switched on and off for the body.
    Scoped { on: FlagSet, off: FlagSet },
    /// `(?= … )`, `(?! … )`, `(?<= … )`, `(?<! … )`.
    Look { behind: bool, negative: bool },
    /// `(?> … )`.
    Atomic,
    /// `(?(ref)yes|no)`.
    Conditional(GroupRef),
}

/// A quantifier; `max == None` means unbounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quantifier {
    pub min: u32,
    pub max: Option<u32>,
    pub lazy: bool,
    pub possessive: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// One literal character (escaped by the printers as needed).
    Char(char),
    /// A shorthand class such as `\d`, `\W`, kept as its letter.
    Shorthand(char),
    /// A bracketed class, already rewritten into a form all dialects read
    /// the same (see `parse::parse_class`).
    Class(String),
    /// `.`
    Dot,
    /// `^` and `$`.
    LineStart,
    LineEnd,
    /// `\A` and `\Z` (Python's `\Z` is PCRE's `\z`).
    TextStart,
    TextEnd,
    /// `\b` (`true`) and `\B` (`false`).
    WordBoundary(bool),
    Backref(GroupRef),
    Group(Box<Group>),
    /// A `|` separating alternatives inside the enclosing sequence.
    Alternation,
    Repeat(Quantifier),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub kind: GroupKind,
    pub body: Vec<Node>,
    /// Byte offset of the group's `(` in the source pattern.
    pub position: usize,
}

/// A parsed pattern with its leading global flags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    pub flags: FlagSet,
    pub nodes: Vec<Node>,
}
