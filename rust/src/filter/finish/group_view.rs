//! A line's failure dict read from its evaluated sets, without building it:
//! what the shortcuts for idle session ends (`sink`, `reported_end`) ask
//! before deciding that a line needs no finishing.

use super::super::SkipCheck;
use super::SetNames;
use crate::filter::fields::{keys, Key};
use crate::filter::MatchView;

/// The dict [`super::Finisher::finish`] makes for one failregex match: the
/// prefregex's groups (but `content`, which `finish` drops) updated with the
/// failregex's, so that a key's value comes from the failregex when it has
/// that group at all, even unmatched. Values are `None` for a key neither
/// has, `Some(None)` for a group that did not take part.
#[derive(Clone, Copy)]
pub(super) struct GroupView<'a> {
    names: &'a SetNames,
    pre: Option<MatchView<'a>>,
    fail: Option<MatchView<'a>>,
}

impl<'a> GroupView<'a> {
    /// The prefregex's groups of `line` (its match, if the "pre" set was
    /// evaluated), updated with those of `fail`, a match of the "fail" set.
    pub(super) fn new(
        line: &SkipCheck<'a>,
        names: &'a SetNames,
        fail: Option<MatchView<'a>>,
    ) -> Self {
        GroupView {
            names,
            pre: line.pref,
            fail,
        }
    }

    /// Whether the prefregex matched (so that its groups are known).
    pub(super) fn has_prefregex_match(&self) -> bool {
        self.pre.is_some()
    }

    /// Whether the failregex has a group `key` of its own.
    pub(super) fn fail_has(&self, key: Key) -> bool {
        self.fail_position(key).is_some()
    }

    pub(super) fn value(&self, key: Key) -> Option<Option<&'a str>> {
        if let (Some(m), Some(at)) = (self.fail, self.fail_position(key)) {
            return Some(m.group(at));
        }
        let pre = self.pre?;
        if key == keys::CONTENT {
            return None;
        }
        let at = self
            .names
            .pre
            .get(pre.index)?
            .iter()
            .position(|n| *n == key)?;
        Some(pre.group(at))
    }

    /// Python's truth of `dict.get(key)`.
    pub(super) fn truthy(&self, key: Key) -> bool {
        self.value(key).flatten().is_some_and(|v| !v.is_empty())
    }

    /// `dict.get(key) is not None`.
    pub(super) fn present(&self, key: Key) -> bool {
        self.value(key).flatten().is_some()
    }

    /// The match forgets its session and is no failure, without marking a
    /// pending one: `_mergeFailure` changes nothing for a session that is
    /// not cached.
    pub(super) fn ends_quietly(&self) -> bool {
        self.truthy(keys::MLFFORGET)
            && (self.truthy(keys::NOFAIL) || self.truthy(keys::MLFGAINED))
            && !self.truthy(keys::MLFPENDING)
    }

    fn fail_position(&self, key: Key) -> Option<usize> {
        let m = self.fail?;
        self.names.fail.get(m.index)?.iter().position(|n| *n == key)
    }
}
