//! The literal core of a pattern: what the candidate finders search for.
//!
//! A candidate finder may over-approximate, never miss (see `print`). For a
//! pattern that is a concatenation `A B C`, every match contains a match of
//! the infix `B` on its own, inside the same line, ending at or before the
//! whole match's end. So `B`, searched anywhere, is a superset of `A B C`:
//! whatever line the whole matches, `B` matches too, and the finder's match
//! of `B` ends inside that line (it ends inside the whole match, which the
//! exact engine finds within one line). A `B` that also matches elsewhere
//! only adds candidates that the exact engine rejects.
//!
//! fail2ban regexes are `^`, a long optional syslog prefix, the message's
//! literal words, then address and port alternatives up to `$`. Kept whole
//! (or from the first literal on), the message's literals only start
//! Hyperscan's automata, which must then run the rest of the pattern across
//! every line holding a common word such as `from`. A plain literal (or a
//! small set of literals, `(?:closed|reset)`) is run by Hyperscan's literal
//! matchers alone, with no automaton at all.
//!
//! The part left out may hold groups that the kept part refers to. That is
//! harmless: the superset printer, which prints the core and its check,
//! turns back-references into `.*` and conditionals into plain alternatives,
//! so nothing printed refers to a group at all.

use std::borrow::Cow;
use std::collections::BTreeSet;

use super::ast::{Group, GroupKind, Node};

/// Shortest literal worth searching for on its own. Short ones are common
/// words: postfix's `from ` core hit most syslog lines, and checking each hit
/// cost more than running the whole pattern in Hyperscan (its scan of the
/// 1M-line syslog: 1.1 s with 3, 0.1 s with 6; sshd's cores are all longer).
const MIN_LITERAL: usize = 6;

/// Most strings a core may spell out (see [`LiteralInfix::spellings`]); a
/// core with more is not used.
const MAX_SPELLINGS: usize = 16;

/// A pattern's literal core and what follows it.
pub(super) struct LiteralInfix {
    /// The run of literal pieces with the longest guaranteed literal text.
    pub core: Vec<Node>,
    /// The core and everything after it in the pattern: what a match of the
    /// whole pattern holds from where its core match starts.
    pub tail: Vec<Node>,
    /// Every string the core matches (all ASCII; up to ASCII case when the
    /// pattern ignores case), sorted.
    pub spellings: Vec<String>,
}

/// The literal core of `nodes` when it is at least [`MIN_LITERAL`]
/// characters long; otherwise `None` (the caller keeps its own form).
/// `caseless` is whether the pattern ignores case.
pub(super) fn literal_infix(nodes: &[Node], caseless: bool) -> Option<LiteralInfix> {
    // `A|B` is not a concatenation: an infix of one branch is no superset of
    // the other, but the set of both branches' cores is (see
    // [`alternatives_infix`]).
    if has_alternation(nodes) {
        return alternatives_infix(nodes, caseless, Vec::new());
    }
    let mut pieces = Vec::new();
    flatten(nodes, caseless, &mut pieces);

    let mut best: Option<(usize, std::ops::Range<usize>)> = None;
    let mut start = 0;
    let mut width = 0;
    for (i, piece) in pieces.iter().enumerate() {
        // Strictly longer only: the first of equal runs wins, so the output
        // does not depend on anything but the pattern.
        let mut consider = |width: usize, range: std::ops::Range<usize>| {
            if best.as_ref().is_none_or(|(w, _)| width > *w) {
                best = Some((width, range));
            }
        };
        match piece.kind {
            PieceKind::Literal(w) => {
                width += w;
                consider(width, start..i + 1);
            }
            PieceKind::Alternatives(w) => {
                // A core of its own: it joins no run.
                consider(w, i..i + 1);
                start = i + 1;
                width = 0;
            }
            PieceKind::Other => {
                start = i + 1;
                width = 0;
            }
        }
    }
    let (width, range) = best?;
    if width < MIN_LITERAL {
        return None;
    }
    let rest = || {
        pieces[range.end..]
            .iter()
            .flat_map(|p| p.nodes.iter().cloned())
    };
    if let [piece] = &pieces[range.clone()] {
        if let (PieceKind::Alternatives(_), [Node::Group(group)]) = (piece.kind, &*piece.nodes) {
            return alternatives_infix(&group.body, caseless, rest().collect());
        }
    }
    let core: Vec<Node> = pieces[range.clone()]
        .iter()
        .flat_map(|p| p.nodes.iter().cloned())
        .collect();
    let spellings = literal_spellings(&core, caseless)?.into_iter().collect();
    let tail = core.iter().cloned().chain(rest()).collect();
    Some(LiteralInfix {
        core,
        tail,
        spellings,
    })
}

/// The core of the alternatives `branches` (nodes with `|` between them)
/// followed by `rest`: the set of every branch's own core.
///
/// A match of `(?:A|B) rest` holds a match of `A rest` or of `B rest`, so it
/// holds a match of `A`'s core or of `B`'s, and from that core match's start
/// a match of `A`'s tail then `rest`, or of `B`'s tail then `rest`. So the
/// core is `(?:coreA|coreB)`, the tail `(?:tailA|tailB) rest`, and every
/// branch must have a core. postfix's `(?:\w+: reject:|too many errors
/// after \S+) from ...` gets `(?:reject:|too many errors after )` in place of
/// its ` from `, which most syslog lines hold.
fn alternatives_infix(branches: &[Node], caseless: bool, rest: Vec<Node>) -> Option<LiteralInfix> {
    let mut cores = Vec::new();
    let mut tails = Vec::new();
    let mut spellings = BTreeSet::new();
    for branch in branches.split(|n| matches!(n, Node::Alternation)) {
        let infix = literal_infix(branch, caseless)?;
        if !cores.is_empty() {
            cores.push(Node::Alternation);
            tails.push(Node::Alternation);
        }
        cores.extend(infix.core);
        tails.extend(infix.tail);
        spellings.extend(infix.spellings);
    }
    if spellings.len() > MAX_SPELLINGS {
        return None;
    }
    let group = |body| {
        Node::Group(Box::new(Group {
            kind: GroupKind::NonCapture,
            body,
            position: 0,
        }))
    };
    let mut tail = vec![group(tails)];
    tail.extend(rest);
    Some(LiteralInfix {
        core: vec![group(cores)],
        tail,
        spellings: spellings.into_iter().collect(),
    })
}

/// The strings the literal concatenation `nodes` matches (`|` allowed), or
/// `None` if it is not literal or spells more than [`MAX_SPELLINGS`].
fn literal_spellings(nodes: &[Node], caseless: bool) -> Option<BTreeSet<String>> {
    if has_alternation(nodes) {
        let mut all = BTreeSet::new();
        for branch in nodes.split(|n| matches!(n, Node::Alternation)) {
            all.extend(literal_spellings(branch, caseless)?);
        }
        return (all.len() <= MAX_SPELLINGS).then_some(all);
    }
    let mut spelled = BTreeSet::from([String::new()]);
    for (i, node) in nodes.iter().enumerate() {
        if matches!(nodes.get(i + 1), Some(Node::Repeat(_))) {
            return None;
        }
        let part = match node {
            Node::Char(c) if literal_char(*c, caseless) => BTreeSet::from([c.to_string()]),
            Node::Class(text) => small_class(text, caseless)?
                .into_iter()
                .map(String::from)
                .collect(),
            Node::Group(g) if plain_group(&g.kind) => literal_spellings(&g.body, caseless)?,
            _ => return None,
        };
        spelled = spelled
            .iter()
            .flat_map(|a| part.iter().map(move |b| format!("{a}{b}")))
            .collect();
        if spelled.len() > MAX_SPELLINGS {
            return None;
        }
    }
    Some(spelled)
}

/// One element of the flattened top-level concatenation: a node with its
/// quantifiers.
struct Piece<'a> {
    nodes: Cow<'a, [Node]>,
    kind: PieceKind,
}

#[derive(Clone, Copy)]
enum PieceKind {
    /// Literal text of this length, which it always matches.
    Literal(usize),
    /// A group of alternatives, not all literal, each with a literal core:
    /// the shortest of those cores (see [`alternatives_infix`]).
    Alternatives(usize),
    Other,
}

/// Appends the concatenation `nodes` (no top-level `|`) to `out` as pieces,
/// inlining plain groups so that their literals join the runs around them.
fn flatten<'a>(nodes: &'a [Node], caseless: bool, out: &mut Vec<Piece<'a>>) {
    let mut i = 0;
    while i < nodes.len() {
        let node = &nodes[i];
        let mut end = i + 1;
        while matches!(nodes.get(end), Some(Node::Repeat(_))) {
            end += 1;
        }
        let repeated = end > i + 1;
        let whole = &nodes[i..end];
        i = end;
        match node {
            // Zero-width assertions: leaving them out only admits more, and
            // the superset printer drops them anyway (word boundaries
            // included). Their quantifiers go with them.
            Node::WordBoundary(_) => {}
            Node::Group(g) if matches!(g.kind, GroupKind::Look { .. }) => {}
            Node::Group(g) if !repeated && plain_group(&g.kind) => {
                if !has_alternation(&g.body) {
                    // `x(?:ab)y` is `xaby`: same strings, one longer run.
                    flatten(&g.body, caseless, out);
                } else {
                    // Its shortest alternative; a group that may match
                    // nothing guarantees no text.
                    let shortest = |spellings: BTreeSet<String>| {
                        spellings.iter().map(String::len).min().filter(|&w| w > 0)
                    };
                    let kind = match literal_spellings(&g.body, caseless) {
                        Some(spellings) => {
                            shortest(spellings).map_or(PieceKind::Other, PieceKind::Literal)
                        }
                        None => alternatives_infix(&g.body, caseless, Vec::new())
                            .and_then(|infix| shortest(infix.spellings.into_iter().collect()))
                            .map_or(PieceKind::Other, PieceKind::Alternatives),
                    };
                    out.push(Piece {
                        nodes: Cow::Borrowed(whole),
                        kind,
                    });
                }
            }
            Node::Char(c) if !repeated && literal_char(*c, caseless) => out.push(Piece {
                nodes: Cow::Borrowed(whole),
                kind: PieceKind::Literal(1),
            }),
            Node::Class(text) if !repeated && small_class(text, caseless).is_some() => {
                out.push(Piece {
                    nodes: Cow::Borrowed(whole),
                    kind: PieceKind::Literal(1),
                });
            }
            _ => out.push(Piece {
                nodes: Cow::Borrowed(whole),
                kind: PieceKind::Other,
            }),
        }
    }
}

/// Groups that only group: their body means the same inlined. (Atomic
/// groups may match less than their body alone; as a superset the body
/// alone is fine, and the printer prints them as plain groups too.)
fn plain_group(kind: &GroupKind) -> bool {
    matches!(
        kind,
        GroupKind::Capture(_) | GroupKind::NonCapture | GroupKind::Atomic
    )
}

/// Whether `c` stays one plain literal in the byte-mode superset: ASCII (a
/// non-ASCII character becomes a byte-range run), not a newline (so a match
/// of the infix never spans lines), and, without case, not `i`, `k` or `s`
/// (printed as alternatives: Unicode folds them onto non-ASCII letters).
fn literal_char(c: char, caseless: bool) -> bool {
    c.is_ascii() && c != '\n' && !(caseless && matches!(c.to_ascii_lowercase(), 'i' | 'k' | 's'))
}

/// The members of a class of a few plain letters or digits, such as the
/// `[Uu]` fail2ban writes for a word in either case: a literal of one
/// character out of a small set. `None` for any other class.
fn small_class(text: &str, caseless: bool) -> Option<Vec<char>> {
    let body = text.strip_prefix('[')?.strip_suffix(']')?;
    let members: Vec<char> = body.chars().collect();
    let plain = members
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() && literal_char(c, caseless));
    ((2..=4).contains(&members.len()) && plain).then_some(members)
}

fn has_alternation(nodes: &[Node]) -> bool {
    nodes.iter().any(|n| matches!(n, Node::Alternation))
}
