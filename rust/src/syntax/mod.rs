//! Python `re` syntax, parsed once and printed for each engine hyperban uses.
//!
//! fail2ban's filters are Python regular expressions. hyperban runs them with
//! PCRE2 (exact, with captures) and looks for candidate lines with Hyperscan or
//! the `regex` crate, which accept narrower dialects. [`parse`] reads the
//! Python form; the printers in [`print`] rewrite it for each engine.

mod ast;
mod facts;
mod infix;
mod parse;
mod print;

pub use ast::{FlagSet, Group, GroupKind, GroupRef, Node, Pattern, Quantifier};
pub use facts::{group_always_captures_text, has_group, min_match_len};
pub use parse::{parse, SyntaxError};
pub use print::{to_literal_core, to_pcre2, to_rust_regex, to_superset, LiteralCore, SupersetFor};

#[cfg(test)]
mod tests;
