//! An idle session end under `check_all`, counted without a record.
//!
//! With fail2ban's `checkAllRegex` (fail2ban-regex's default) a session end
//! is not dropped: `findFailure` reports every failregex the line matched as
//! a `nofail` failure, and fail2ban-regex counts the line as *ignored*. The
//! commonest lines of a busy sshd log are such ends ("Accepted publickey",
//! "Received disconnect … 11:") of sessions nobody failed in, so not in the
//! session cache. For those, [`Finisher::finish`] changes no session and
//! gives an outcome that depends only on the groups the regexes captured:
//! one `nofail` failure per matched failregex, with an address, raw or
//! pending id. A summary ([`QuietSummary::count`]) would only count that
//! outcome, so it can count the line straight from the evaluated sets, and
//! no record is built, finished or dropped.

use super::super::{FilterShape, SkipCheck, PREF_ID};
use super::{FinishSettings, Finisher, QuietSummary, SetNames};

impl Finisher {
    /// Counts into `summary` what [`QuietSummary::count`] would count of
    /// the outcome [`Finisher::finish`] gives for this line under
    /// `check_all`, when that outcome is sure to be one no-failure per
    /// matched failregex of a session that is not cached; `false` (nothing
    /// counted) when the line must be finished. The caller makes sure that
    /// the summary keeps no more ignored lines.
    ///
    /// Every step of `finish` that could make the outcome differ rules the
    /// shortcut out: the server's date rules, a missing date, ignoreregexes,
    /// folded groups, a failregex that is not a forgetting no-failure or
    /// that has its own session id, a host name to resolve, a cached
    /// session.
    pub(crate) fn count_reported_idle_end(
        &mut self,
        line: &SkipCheck<'_>,
        shape: &FilterShape,
        names: &SetNames,
        settings: &FinishSettings,
        summary: &mut QuietSummary,
    ) -> bool {
        if !settings.check_all
            || settings.check_find_time
            || line.no_date
            || shape.ignore_count > 0
            || !shape.has_prefregex
        {
            return false;
        }
        let (Some(fail), Some(pre)) = (line.fail, line.pre) else {
            return false;
        };
        let Some(pre) = pre.iter().find(|m| m.pattern == PREF_ID) else {
            return false;
        };
        let Ok(number) = u32::try_from(line.line) else {
            return false;
        };
        // A group's value in the prefregex's match (`content` aside, which
        // `finish` drops): `None` when the prefregex has no such group.
        let from_pre = |key: &str| -> Option<Option<&str>> {
            if key == "content" {
                return None;
            }
            let at = names.pre.get(pre.index)?.iter().position(|n| &**n == key)?;
            Some(pre.groups.get(at).and_then(|g| g.as_deref()))
        };
        let truthy = |v: Option<Option<&str>>| v.flatten().is_some_and(|v| !v.is_empty());
        let present = |v: Option<Option<&str>>| v.flatten().is_some();
        let is_fail = |id: u32| (1..=shape.fail_count).contains(&(id as usize));
        let mut any = false;
        for m in fail.iter().filter(|m| is_fail(m.pattern)) {
            let index = m.pattern as usize - 1;
            let Some(own) = names.fail.get(m.index) else {
                return false;
            };
            let folded = self
                .folds
                .get(index)
                .is_some_and(|f| !f.alt.is_empty() || !f.tuple.is_empty());
            if folded || own.iter().any(|n| &**n == "mlfid") {
                return false;
            }
            // The failure dict is the prefregex's groups updated with this
            // failregex's: a key's value comes from the failregex when it
            // has that group at all (even unmatched).
            let value = |key: &str| -> Option<Option<&str>> {
                match own.iter().position(|n| &**n == key) {
                    Some(at) => Some(m.groups.get(at).and_then(|g| g.as_deref())),
                    None => from_pre(key),
                }
            };
            let ends_quietly = truthy(value("mlfforget"))
                && (truthy(value("nofail")) || truthy(value("mlfgained")))
                && !truthy(value("mlfpending"));
            // (the id: `finish` takes ip4, ip6, dns, then fid or a pending
            // id; only a host name needs the caller, to be resolved)
            let host_name = !present(value("ip4"))
                && !present(value("ip6"))
                && present(value("dns"))
                && !settings.raw_ids;
            if !ends_quietly || host_name {
                return false;
            }
            any = true;
        }
        // `mlfid` not None: a session line (even an empty id is a key)
        let Some(Some(key)) = from_pre("mlfid") else {
            return false;
        };
        // (the same lookup `merge` makes first: an expired entry goes here too)
        if !any || self.sessions.get_mut(key, settings.wall_now).is_some() {
            return false;
        }
        summary.ignored += 1;
        summary.ignored_lines.push(number);
        summary.prefregex += 1;
        for m in fail.iter().filter(|m| is_fail(m.pattern)) {
            if let Some(hits) = summary.fail_hits.get_mut(m.pattern as usize - 1) {
                *hits += 1;
            }
        }
        true
    }
}
