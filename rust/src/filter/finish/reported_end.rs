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

use super::super::{FilterShape, SkipCheck};
use super::group_view::GroupView;
use super::{FinishSettings, Finisher, QuietSummary, SetNames};
use crate::filter::fields::keys;

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
        let Some(fail) = line.fail else {
            return false;
        };
        let Ok(number) = u32::try_from(line.line) else {
            return false;
        };
        let pre_only = GroupView::new(line, names, None);
        if !pre_only.has_prefregex_match() {
            return false;
        }
        let is_fail = |id: u32| (1..=shape.fail_count).contains(&(id as usize));
        let mut any = false;
        for m in fail.iter().filter(|m| is_fail(m.pattern)) {
            let folded = self
                .folds
                .get(m.pattern as usize - 1)
                .is_some_and(|f| !f.alt.is_empty() || !f.tuple.is_empty());
            let view = GroupView::new(line, names, Some(m));
            // (the id: `finish` takes ip4, ip6, dns, then fid or a pending
            // id; only a host name needs the caller, to be resolved)
            let host_name = !view.present(keys::IP4)
                && !view.present(keys::IP6)
                && view.present(keys::DNS)
                && !settings.raw_ids;
            if folded || view.fail_has(keys::MLFID) || !view.ends_quietly() || host_name {
                return false;
            }
            any = true;
        }
        // `mlfid` not None: a session line (even an empty id is a key)
        let Some(Some(key)) = pre_only.value(keys::MLFID) else {
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
