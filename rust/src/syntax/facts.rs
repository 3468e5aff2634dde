//! What holds for every match of a pattern, read off its syntax tree.
//!
//! The answers are conservative: `true` only when the tree proves it. A
//! construct the analysis does not see through (a lookaround, a conditional,
//! a back-reference's length) counts against the claim.

use super::ast::{GroupKind, Node, Pattern};

/// Whether the capture group `name` takes part in every match of `pattern`
/// and always captures at least one character (so that its value is a
/// non-empty string, "true" to Python, whatever the line).
pub fn group_always_captures_text(pattern: &Pattern, name: &str) -> bool {
    always_in(&pattern.nodes, name)
}

/// Whether `pattern` has a capture group called `name` anywhere.
pub fn has_group(pattern: &Pattern, name: &str) -> bool {
    fn walk(nodes: &[Node], name: &str) -> bool {
        nodes.iter().any(|node| match node {
            Node::Group(g) => {
                matches!(&g.kind, GroupKind::Capture(Some(n)) if n == name) || walk(&g.body, name)
            }
            _ => false,
        })
    }
    walk(&pattern.nodes, name)
}

/// The branches of a sequence (split at its own `|`, not at nested ones).
fn branches(nodes: &[Node]) -> impl Iterator<Item = &[Node]> {
    nodes.split(|n| matches!(n, Node::Alternation))
}

/// The node at `i` of a branch, with the least number of times it repeats
/// (a quantifier follows the node it applies to).
fn least_repeats(branch: &[Node], i: usize) -> u32 {
    match branch.get(i + 1) {
        Some(Node::Repeat(q)) => q.min,
        _ => 1,
    }
}

/// The group takes part in every match of the sequence: in every branch.
fn always_in(nodes: &[Node], name: &str) -> bool {
    branches(nodes).all(|branch| always_in_branch(branch, name))
}

fn always_in_branch(branch: &[Node], name: &str) -> bool {
    branch.iter().enumerate().any(|(i, node)| {
        let Node::Group(g) = node else {
            return false;
        };
        if least_repeats(branch, i) == 0 {
            return false; // `(…)?`, `(…)*`: may not take part
        }
        match &g.kind {
            GroupKind::Capture(Some(n)) if n == name => min_match_len(&g.body) > 0,
            GroupKind::Capture(_)
            | GroupKind::NonCapture
            | GroupKind::Scoped { .. }
            | GroupKind::Atomic => always_in(&g.body, name),
            // what a lookaround captures is not seen through; a conditional
            // takes one of two branches the analysis does not follow
            GroupKind::Look { .. } | GroupKind::Conditional(_) => false,
        }
    })
}

/// The fewest characters a sequence of nodes (with `|` alternatives) can
/// match; 0 when it can match the empty string. Assertions, lookarounds,
/// conditionals and back-references count as matching nothing, so this errs
/// towards 0.
pub fn min_match_len(nodes: &[Node]) -> usize {
    branches(nodes)
        .map(|branch| {
            branch
                .iter()
                .enumerate()
                // (saturating: nested counted repeats can multiply past usize)
                .map(|(i, node)| {
                    node_min_len(node).saturating_mul(least_repeats(branch, i) as usize)
                })
                .fold(0usize, usize::saturating_add)
        })
        .min()
        .unwrap_or(0)
}

fn node_min_len(node: &Node) -> usize {
    match node {
        Node::Char(_) | Node::Shorthand(_) | Node::Class(_) | Node::Dot => 1,
        Node::Group(g) => match g.kind {
            GroupKind::Look { .. } | GroupKind::Conditional(_) => 0,
            _ => min_match_len(&g.body),
        },
        // assertions match no text; a back-reference may match an empty group
        Node::LineStart
        | Node::LineEnd
        | Node::TextStart
        | Node::TextEnd
        | Node::WordBoundary(_)
        | Node::Backref(_)
        | Node::Alternation
        | Node::Repeat(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    fn always(pattern: &str, name: &str) -> bool {
        group_always_captures_text(&parse(pattern).unwrap(), name)
    }

    #[test]
    fn a_plain_group_always_captures_its_text() {
        assert!(always(r"^(?P<g>Accepted) for", "g"));
        assert!(!always(r"^x(?:a|(?P<g>b))?y|z", "other"));
        // nested in groups that always take part
        assert!(always(
            r"^(?P<n>(?P<g>Connection (?:closed|reset)|Disconnected)) by",
            "g"
        ));
        assert!(always(
            r"^(?P<n>(?P<g>Connection (?:closed|reset)|Disconnected)) by",
            "n"
        ));
        assert!(always(r"^(?:(?P<g>a+))b", "g"));
        assert!(always(r"^(?P<g>a){2,3}", "g"));
    }

    #[test]
    fn optional_or_alternative_groups_do_not() {
        assert!(!always(r"^(?P<g>a)?b", "g"));
        assert!(!always(r"^(?:(?P<g>a)|b)", "g"));
        assert!(!always(r"^(?P<g>a)|b", "g"));
        assert!(!always(r"^(?:x(?P<g>a))*b", "g"));
        assert!(!always(r"^(?=(?P<g>a))a", "g"));
        assert!(!always(r"^(a)?(?(1)(?P<g>b)|(?P<g2>c))", "g"));
    }

    #[test]
    fn groups_that_may_capture_nothing_do_not() {
        assert!(!always(r"^(?P<g>a*)b", "g"));
        assert!(!always(r"^(?P<g>!?) from", "g"));
        assert!(!always(r"^(?P<g>\b)", "g"));
        assert!(!always(r"^(?P<g>a|)b", "g"));
        assert!(!always(r"^(a)(?P<g>\1)", "g"));
    }

    #[test]
    fn alternatives_elsewhere_do_not_matter() {
        assert!(always(r"^(?P<g>a|bc) d", "g"));
        assert!(always(r"^(?:x|yz)(?P<g>a)", "g"));
        assert!(!always(r"^(?:x(?P<g>a)|y)", "g"));
    }

    #[test]
    fn min_match_len_counts_repeats_and_saturates() {
        let len = |p: &str| min_match_len(&parse(p).unwrap().nodes);
        assert_eq!(len(r"ab{2,}c?(?:de|f)"), 4);
        assert_eq!(len(r"a|(?:b\b)*"), 0);
        assert_eq!(
            len(r"(?:(?:a{4000000000}){4000000000}){4000000000}"),
            usize::MAX
        );
    }

    #[test]
    fn has_group_sees_everywhere() {
        let p = parse(r"^a(?=(?P<look>b))(?:c(?P<deep>d))?").unwrap();
        assert!(has_group(&p, "look") && has_group(&p, "deep"));
        assert!(!has_group(&p, "other"));
    }
}
