//! Failures from the lines the exact stage reported: fail2ban's
//! `Filter.findFailure` for single-line filters, after the regexes ran.
//!
//! For each [`LineRecord`] this applies, in fail2ban's order: the server's
//! time rules (`checkFindTime`), the ignoreregexes, the prefregex groups and
//! `F-CONTENT`, every failregex that matched (its `alt_`/`tuple_` groups
//! folded), the `F-MLFID` session rules (`_mergeFailure`: `F-NOFAIL`,
//! `F-MLFFORGET`, `F-MLFGAINED`, pending failures, several users), and the
//! choice of failure id (`ip4`, `ip6`, `dns`, `fid`, `cidr`). What comes out
//! is a [`LineOutcome`] per line whose result matters; building the Python
//! objects and resolving host names stays with the caller, which gets a
//! [`FailureId`] saying how.
//!
//! Session data lives in a [`SessionCache`] owned by the [`Finisher`], so it
//! carries over from chunk to chunk exactly as fail2ban's cache does.

use super::fields::{intern, keys, CutLine, Fields, Key, TupleLine, Value};
use super::sessions::SessionCache;
use super::{FilterShape, LineRecord, SetMatches, PREF_ID};
use crate::exact::GroupText;
use std::sync::Arc;

/// fail2ban's `cidr` markers (`ipdns.py`): `CIDR_RAW` (the text is the id,
/// never parsed), `CIDR_UNSPEC` (parse, any family), and the family hints
/// `FAM_IPV4`/`FAM_IPV6` (`CIDR_RAW - AF_INET`, `CIDR_RAW - AF_INET6`).
pub const CIDR_RAW: i32 = -2;
pub const CIDR_UNSPEC: i32 = -1;
pub const FAM_IPV4: i32 = CIDR_RAW - 2;
pub const FAM_IPV6: i32 = CIDR_RAW - 10;

/// Keys the finishing stage may add to a failure's groups (`matches`,
/// `users`, `ip`, `mlfpending`, ...): room kept for them up front.
const EXTRA_KEYS: usize = 4;

/// Keys a session's next line may add to its cached data (the groups of
/// another failregex, the finishing stage's own keys): room kept for them.
const SESSION_ROOM: usize = 8;

// `_mergeFailure`'s flags.
const NOFAIL: u8 = 1;
const FORGET: u8 = 2;
const PREVIOUS_STATE: u8 = 4;
const GAINED: u8 = 8;

/// How a failregex's groups are folded (fail2ban's `alt_name` and
/// `tuple_name` groups): `(group, target)` pairs, in fail2ban's order. The
/// targets are dict keys, interned once here rather than at every failure.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupFolds {
    pub alt: Vec<(Key, Key)>,
    pub tuple: Vec<(Key, Key)>,
}

impl GroupFolds {
    /// The folds of `(group, target)` pairs.
    pub fn new(alt: Vec<(String, String)>, tuple: Vec<(String, String)>) -> Self {
        let interned = |pairs: Vec<(String, String)>| {
            pairs
                .into_iter()
                .map(|(name, target)| (intern(&name), intern(&target)))
                .collect()
        };
        GroupFolds {
            alt: interned(alt),
            tuple: interned(tuple),
        }
    }
}

/// The filter's settings that may change between chunks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FinishSettings {
    /// Every failregex is tried, and `F-NOFAIL` matches are reported.
    pub check_all: bool,
    /// Without `check_all`, a session failure that has no id yet ends the line.
    pub ignore_pending: bool,
    /// Ids are never parsed as addresses (`usedns = raw`, or the caller's wish).
    pub raw_ids: bool,
    /// The server's rules for dates (`checkFindTime`).
    pub check_find_time: bool,
    /// Following a live log (dates far from now count as now).
    pub in_operation: bool,
    pub find_time: f64,
    /// The filter's clock at the start of the chunk.
    pub now: f64,
    /// The wall clock, for session expiry (fail2ban's cache uses it).
    pub wall_now: f64,
    /// Report lines that gave nothing but their own processing (session
    /// events, prefregex-only lines): `regex` counts them; a jail, which
    /// only takes failures, does not need them.
    pub report_quiet_lines: bool,
    /// Reported failures carry their session's lines (`matches`,
    /// `nofail-matches`): a jail's tickets list them. The regex tool's tally
    /// never reads them (its records leave them out, as `fields_for_output`
    /// does); without them a session failure is reported as a copy of its
    /// other values, and the session keeps its data without a copy.
    pub report_lines: bool,
}

/// How the caller turns a failure's id into addresses.
#[derive(Clone, Debug, PartialEq)]
pub enum FailureId {
    /// A session failure without an id yet (`None`).
    Pending,
    /// `Address.of(text, cidr)`: an address, or a raw id with [`CIDR_RAW`].
    Raw { text: String, cidr: i32 },
    /// A host name, resolved as `usedns` says.
    Dns { text: String },
}

/// One failure (or, with `nofail`, a match that is not one).
#[derive(Clone, Debug, PartialEq)]
pub struct FoundFailure {
    /// 0-based failregex index.
    pub regex: usize,
    pub when: Option<f64>,
    pub data: Fields,
    pub id: FailureId,
    /// `data["nofail"]` is truthy (read once, when the failure is made).
    pub nofail: bool,
}

/// What one reported line gave.
#[derive(Clone, Debug, PartialEq)]
pub struct LineOutcome {
    /// 0-based line number within the chunk.
    pub line: usize,
    /// The line, and where its date was cut ([`LineOutcome::text`]).
    pub tuple_line: TupleLine,
    pub failures: Vec<FoundFailure>,
    /// Ignoreregex indexes that matched (repeated per failregex with `check_all`).
    pub ignored_by: Vec<usize>,
    pub prefregex_matched: bool,
    /// fail2ban skipped the line (its date could not be converted).
    pub error: Option<String>,
    /// The cut date text is not a date (fail2ban logs it).
    pub invalid_date: bool,
    /// A date more than 60 s from now was replaced by now (fail2ban warns once).
    pub far_from_now: bool,
    /// A failregex matched a line without a date (fail2ban warns once).
    pub no_date_match: bool,
    /// Failregexes that matched but gave no id group (fail2ban logs an error).
    pub no_id_group: Vec<usize>,
}

impl LineOutcome {
    /// The line's text (no line end).
    pub fn text(&self) -> &str {
        &self.tuple_line.text
    }

    /// Nothing in this outcome is of use to a caller that only takes
    /// failures and logs fail2ban's warnings.
    pub fn is_quiet(&self) -> bool {
        self.failures.iter().all(|f| f.nofail)
            && self.error.is_none()
            && !self.invalid_date
            && !self.far_from_now
            && !self.no_date_match
            && self.no_id_group.is_empty()
    }
}

/// What the quiet lines of a chunk add up to, when a caller that only
/// counts them (fail2ban-regex's statistics) asks for a summary instead of
/// one outcome per line: see [`QuietSummary::take`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QuietSummary {
    /// Summarized lines counted as *ignored* (an ignoreregex vetoed them,
    /// or every failure they gave is a `nofail` one).
    pub ignored: usize,
    /// Summarized lines on which the prefregex matched.
    pub prefregex: usize,
    /// Failures (all `nofail`) per failregex, over the summarized lines.
    pub fail_hits: Vec<usize>,
    /// Ignoreregex matches per ignoreregex, over the summarized lines.
    pub ignore_hits: Vec<usize>,
    /// Chunk line numbers of the summarized *ignored* lines, in line order.
    pub ignored_lines: Vec<u32>,
}

impl QuietSummary {
    /// An empty summary for a filter's failregexes and ignoreregexes.
    pub fn new(fail_count: usize, ignore_count: usize) -> Self {
        QuietSummary {
            fail_hits: vec![0; fail_count],
            ignore_hits: vec![0; ignore_count],
            ..QuietSummary::default()
        }
    }

    /// Takes the quiet outcomes out of `outcomes` and counts them, except
    /// the first `keep` quiet ones that are *ignored* lines (a caller lists
    /// the texts of the first ignored lines) and the lines a caller must
    /// still look at: a failure id to resolve (the number of addresses, so
    /// of failures, is only known then), or a line number too big for the
    /// summary.
    pub fn take(
        outcomes: &mut Vec<LineOutcome>,
        keep: usize,
        fail_count: usize,
        ignore_count: usize,
    ) -> Self {
        let mut summary = QuietSummary::new(fail_count, ignore_count);
        summary.ignored_lines.reserve(outcomes.len());
        let mut kept_ignored = 0;
        outcomes.retain(|o| !summary.count(o, keep, &mut kept_ignored));
        summary
    }

    /// Counts one outcome if [`QuietSummary::take`] would take it (`true`);
    /// `kept_ignored` counts the ignored lines left out so far (at most
    /// `keep`).
    pub fn count(&mut self, o: &LineOutcome, keep: usize, kept_ignored: &mut usize) -> bool {
        let (fail_count, ignore_count) = (self.fail_hits.len(), self.ignore_hits.len());
        let countable = o.is_quiet()
            && o.failures
                .iter()
                .all(|f| !matches!(f.id, FailureId::Dns { .. }) && f.regex < fail_count)
            && o.ignored_by.iter().all(|&j| j < ignore_count);
        let Some(number) = countable.then(|| u32::try_from(o.line).ok()).flatten() else {
            return false;
        };
        let is_ignored = !o.ignored_by.is_empty() || !o.failures.is_empty();
        if is_ignored && *kept_ignored < keep {
            *kept_ignored += 1;
            return false;
        }
        if is_ignored {
            self.ignored += 1;
            self.ignored_lines.push(number);
        }
        self.prefregex += usize::from(o.prefregex_matched);
        for f in &o.failures {
            self.fail_hits[f.regex] += 1;
        }
        for &j in &o.ignored_by {
            self.ignore_hits[j] += 1;
        }
        true
    }
}

/// The finishing stage of one filter, with its session state.
pub struct Finisher {
    folds: Vec<GroupFolds>,
    sessions: SessionCache,
}

impl Finisher {
    /// `folds[i]` for failregex `i`.
    pub fn new(folds: Vec<GroupFolds>) -> Self {
        Finisher {
            folds,
            sessions: SessionCache::for_sessions(),
        }
    }

    /// Forget every session (fail2ban's filter reset).
    pub fn reset(&mut self) {
        self.sessions.clear();
    }

    /// Finish every record of a chunk made beforehand (the exact stage's
    /// `run_chunk`), as a [`FinishingSink`] finishes them one by one; `names`
    /// are the group names of each pattern of the "pre" and "fail" sets.
    pub fn finish_all(
        &mut self,
        records: Vec<LineRecord>,
        shape: &FilterShape,
        names: &SetNames,
        settings: &FinishSettings,
    ) -> Vec<LineOutcome> {
        let mut sink = FinishingSink::new(self, shape, names, settings, None);
        for record in records {
            crate::filter::RecordSink::push(&mut sink, record);
        }
        sink.into_outcomes().0
    }

    /// fail2ban's handling of one line the exact stage reported.
    pub fn finish(
        &mut self,
        record: LineRecord,
        shape: &FilterShape,
        names: &SetNames,
        settings: &FinishSettings,
    ) -> LineOutcome {
        let tuple_line: TupleLine = Arc::new(CutLine {
            text: record.text,
            parts: record.parts,
        });
        let mut out = LineOutcome {
            line: record.line,
            tuple_line: tuple_line.clone(),
            failures: Vec::new(),
            ignored_by: Vec::new(),
            prefregex_matched: false,
            error: record.error,
            invalid_date: record.invalid_date,
            far_from_now: false,
            no_date_match: false,
            no_id_group: Vec::new(),
        };
        if out.error.is_some() {
            return out;
        }
        let mut when = record.when;
        if settings.check_find_time {
            let (time, keep) = server_time(when, record.no_date, settings, &mut out.far_from_now);
            when = time;
            if !keep {
                return out;
            }
        }
        let mut pre = record.pre.unwrap_or_default();
        let mut fail = record.fail.unwrap_or_default();
        let ignore_id = |j: usize| (1 + shape.fail_count + j) as u32;

        if shape.ignore_first && ignored(&pre, shape, settings, &ignore_id, &mut out.ignored_by) {
            return out;
        }
        let mut pre_groups = Fields::new();
        if shape.has_prefregex {
            let Some(m) = pre.iter_mut().find(|m| m.pattern == PREF_ID) else {
                return out;
            };
            out.prefregex_matched = true;
            // (with room for the groups of the largest failregex matched:
            // they are merged in, and growing the dict then moved it all)
            let fail_keys = fail
                .iter()
                .map(|m| names.fail.get(m.index).map_or(0, Vec::len))
                .max()
                .unwrap_or(0);
            pre_groups = groups_of(m.index, &mut m.groups, &names.pre, fail_keys);
            pre_groups.pop(keys::CONTENT);
        }
        let mut matched: Vec<usize> = fail
            .iter()
            .filter(|m| (1..=shape.fail_count).contains(&(m.pattern as usize)))
            .map(|m| m.pattern as usize - 1)
            .collect();
        matched.sort_unstable();
        matched.dedup();
        // (a failure per failregex matched, at most: growing the list from
        // empty went through the general growth path for each line)
        out.failures.reserve_exact(matched.len());
        let last = matched.len().saturating_sub(1);
        for (n, index) in matched.into_iter().enumerate() {
            let Some(m) = fail.iter_mut().find(|m| m.pattern as usize == index + 1) else {
                continue;
            };
            let mut groups = groups_of(m.index, &mut m.groups, &names.fail, 0);
            if let Some(folds) = self.folds.get(index) {
                fold_groups(&mut groups, folds);
            }
            if shape.ignore_count > 0
                && ignored(&fail, shape, settings, &ignore_id, &mut out.ignored_by)
            {
                if !settings.check_all {
                    break;
                }
                continue;
            }
            if record.no_date {
                out.no_date_match = true;
                if when.is_none() && settings.check_find_time {
                    continue;
                }
            }
            // (the prefregex's groups are copied for each failregex but the
            // last, which takes them)
            let pre = if n == last {
                std::mem::take(&mut pre_groups)
            } else {
                pre_groups.clone_with_room(groups.len() + EXTRA_KEYS)
            };
            match self.failure(index, groups, pre, &tuple_line, when, settings) {
                Step::Found(found) => out.failures.push(found),
                Step::NoIdGroup => {
                    out.no_id_group.push(index);
                    continue;
                }
                Step::EndLine => break,
            }
            if !settings.check_all {
                break;
            }
        }
        out
    }

    /// One failregex match made into a failure (fail2ban's loop body after
    /// the ignoreregexes).
    fn failure(
        &mut self,
        index: usize,
        groups: Fields,
        pre_groups: Fields,
        tuple_line: &TupleLine,
        when: Option<f64>,
        settings: &FinishSettings,
    ) -> Step {
        let default_cidr = if settings.raw_ids {
            CIDR_RAW
        } else {
            CIDR_UNSPEC
        };
        let mut fail = if pre_groups.is_empty() {
            groups
        } else {
            let mut merged = pre_groups;
            merged.update_owned(groups);
            merged
        };
        let mlfid = fail.some(keys::MLFID).map(Value::text);
        // A session failure is merged into its session's data, which stays
        // in the cache (when stored there) and keeps changing below.
        let mut stored_in: Option<&str> = None;
        if let Some(key) = mlfid.as_deref() {
            let (merged, stored) = self.merge(key, fail, tuple_line, settings.wall_now);
            fail = merged;
            if stored {
                stored_in = Some(key);
            }
            if fail.truthy(keys::NOFAIL) && !settings.check_all {
                // fail2ban returns here: the line is a session event, not a
                // failure (with check_all it is reported, marked nofail)
                self.store_owned(stored_in, fail, settings.wall_now);
                return Step::EndLine;
            }
        } else if settings.report_lines {
            // (only reported: a failure outside a session is not stored)
            fail.append_line(keys::MATCHES, tuple_line.clone());
        }
        let fid = fail.some(keys::FID).cloned();
        let mut cidr = default_cidr;
        let mut raw = default_cidr == CIDR_RAW;
        let host = if let Some(ip4) = fail.some(keys::IP4).cloned() {
            cidr = cidr_of(&fail, FAM_IPV4);
            raw = true;
            Some(ip4)
        } else if let Some(ip6) = fail.some(keys::IP6).cloned() {
            cidr = cidr_of(&fail, FAM_IPV6);
            raw = true;
            Some(ip6)
        } else if let Some(dns) = fail.some(keys::DNS).cloned() {
            Some(dns)
        } else {
            if fid.is_none() && mlfid.is_none() {
                return Step::NoIdGroup;
            }
            raw = true;
            fid.clone()
        };
        let id = match host {
            None => {
                fail.set(keys::MLFPENDING, Value::Int(1));
                if !settings.check_all && settings.ignore_pending {
                    self.store_owned(stored_in, fail, settings.wall_now);
                    return Step::EndLine;
                }
                FailureId::Pending
            }
            Some(host) if raw => {
                let host = host.text();
                match fid.map(|f| f.text()) {
                    Some(fid) if fid != host => {
                        fail.set(keys::IP, Value::Addr(host, cidr));
                        FailureId::Raw {
                            text: fid,
                            cidr: default_cidr,
                        }
                    }
                    _ => FailureId::Raw { text: host, cidr },
                }
            }
            Some(host) => FailureId::Dns { text: host.text() },
        };
        let data = if settings.report_lines {
            self.store(stored_in, &fail, settings.wall_now);
            fail
        } else if stored_in.is_none() {
            fail.drop_lines();
            fail
        } else {
            // (the lines are the costly part of a copy: a list, and a count
            // of each line shared with the thread that frees the report)
            let report = fail.without_lines();
            self.store_owned(stored_in, fail, settings.wall_now);
            report
        };
        let nofail = data.truthy(keys::NOFAIL);
        Step::Found(FoundFailure {
            regex: index,
            when,
            data,
            id,
            nofail,
        })
    }

    /// Write a session's data back to the cache after changes (it is still
    /// there: nothing else touched the cache since it was read).
    fn store(&mut self, key: Option<&str>, fields: &Fields, wall_now: f64) {
        if let Some(key) = key {
            if let Some(slot) = self.sessions.get_mut(key, wall_now) {
                // (with room: the session's next line merges its groups in,
                // and growing an exact-size copy then moved it all again)
                *slot = fields.clone_with_room(SESSION_ROOM);
            }
        }
    }

    /// [`Finisher::store`] of data the caller is done with (a session line
    /// that is no failure, the commonest kind: no copy).
    fn store_owned(&mut self, key: Option<&str>, fields: Fields, wall_now: f64) {
        if let Some(key) = key {
            if let Some(slot) = self.sessions.get_mut(key, wall_now) {
                *slot = fields;
            }
        }
    }

    /// fail2ban's `_mergeFailure`: returns the failure's data and whether it
    /// is the session's data as stored in the cache.
    fn merge(
        &mut self,
        key: &str,
        mut fail: Fields,
        tuple_line: &TupleLine,
        wall_now: f64,
    ) -> (Fields, bool) {
        let mut flags = 0u8;
        if fail.truthy(keys::MLFGAINED) {
            flags |= GAINED | NOFAIL;
            if !fail.truthy(keys::NOFAIL) {
                let gained = fail.get(keys::MLFGAINED).cloned().unwrap_or(Value::None);
                fail.set(keys::NOFAIL, gained);
            }
        } else if fail.truthy(keys::NOFAIL) {
            flags |= NOFAIL;
        }
        if fail.pop(keys::MLFFORGET).is_some_and(|v| v.truthy()) {
            flags |= FORGET;
        }
        let users;
        let stored;
        if let Some(known) = self.sessions.get_mut(key, wall_now) {
            let mut known = std::mem::take(known);
            users = known.add_user(fail.get(keys::USER));
            if known.pop(keys::NOFAIL).is_some_and(|v| v.truthy()) {
                flags |= PREVIOUS_STATE;
            }
            if known.pop(keys::MLFGAINED).is_some_and(|v| v.truthy()) {
                flags |= PREVIOUS_STATE;
            }
            if flags & GAINED != 0 {
                known.pop(keys::MLFPENDING);
            }
            if flags & PREVIOUS_STATE == 0 && !known.truthy(keys::MLFPENDING) {
                known.pop(keys::MATCHES);
            }
            known.update_present_owned(std::mem::take(&mut fail));
            fail = known;
            if flags & FORGET != 0 {
                self.sessions.unset(key);
                stored = false;
            } else {
                stored = true;
            }
        } else if flags & FORGET == 0 {
            users = fail.add_user(fail.get(keys::USER).cloned().as_ref());
            self.sessions.set(key, Fields::new(), wall_now);
            stored = true;
        } else {
            users = 0;
            stored = false;
        }
        if fail.pop(keys::MLFPENDING).is_some_and(|v| v.truthy()) || users > 1 {
            fail.pop(keys::NOFAIL);
            fail.pop(keys::MLFGAINED);
            flags &= !(GAINED | NOFAIL);
        }
        if flags & NOFAIL == 0 {
            let mut merged = fail
                .pop(keys::NOFAIL_MATCHES)
                .map_or_else(Vec::new, |v| match v {
                    Value::Lines(lines) => lines,
                    _ => Vec::new(),
                });
            merged.extend(fail.take_lines(keys::MATCHES));
            if flags & GAINED == 0 {
                merged.push(tuple_line.clone());
            }
            fail.set(keys::MATCHES, Value::Lines(merged));
        } else if flags & (NOFAIL | FORGET) == NOFAIL {
            fail.append_line(keys::NOFAIL_MATCHES, tuple_line.clone());
        }
        // (a stored session's cache entry is brought up to date by the caller,
        // once it has finished changing the data)
        (fail, stored)
    }
}

/// The group names of each pattern of the "pre" and "fail" sets, by position.
#[derive(Clone, Debug, Default)]
pub struct SetNames {
    pub pre: Vec<Vec<Key>>,
    pub fail: Vec<Vec<Key>>,
}

enum Step {
    Found(FoundFailure),
    /// The failregex matched without any id group: fail2ban logs an error and
    /// goes on with the next failregex.
    NoIdGroup,
    /// fail2ban returns from `findFailure`: no more failregexes for this line.
    EndLine,
}

/// The groups of a match as a failure dict (unmatched groups are `None`);
/// the values are moved out of the match. The dict has room for `more`
/// keys besides [`EXTRA_KEYS`].
fn groups_of(
    index: usize,
    groups: &mut [Option<GroupText>],
    names: &[Vec<Key>],
    more: usize,
) -> Fields {
    let Some(names) = names.get(index) else {
        return Fields::new();
    };
    let mut out = Fields::with_capacity(names.len() + EXTRA_KEYS + more);
    for (&name, value) in names.iter().zip(groups) {
        out.push_new(name, value.take().map_or(Value::None, Value::Str));
    }
    out
}

/// fail2ban's `alt_`/`tuple_` group folding (`Regex.getGroups`).
fn fold_groups(fail: &mut Fields, folds: &GroupFolds) {
    for &(name, target) in &folds.alt {
        let value = fail.get(name).cloned();
        if value.as_ref().is_some_and(Value::truthy) && !fail.truthy(target) {
            fail.set(target, value.unwrap_or(Value::None));
        }
    }
    for &(name, target) in &folds.tuple {
        let value = match fail.get(name) {
            Some(Value::Str(s)) => Some(s.clone()),
            _ => None,
        };
        let tuple = match fail.get(target) {
            Some(Value::Tuple(items)) => {
                let mut items = items.clone();
                items.push(value);
                items
            }
            Some(Value::Str(current)) => vec![Some(current.clone()), value],
            _ => vec![None, value],
        };
        fail.set(target, Value::Tuple(tuple));
    }
}

/// `int(fail.get('cidr') or family)`; a `cidr` group that is not a number
/// (the `<CIDR>` tag only matches digits) keeps the family hint.
fn cidr_of(fail: &Fields, family: i32) -> i32 {
    match fail.get(keys::CIDR) {
        Some(v) if v.truthy() => v.text().trim().parse().unwrap_or(family),
        _ => family,
    }
}

/// The ignoreregexes that match, from an evaluated set: fail2ban's
/// `_ignoreLine` (the first only, unless `check_all`). True if any did.
fn ignored(
    set: &SetMatches,
    shape: &FilterShape,
    settings: &FinishSettings,
    ignore_id: &dyn Fn(usize) -> u32,
    ignored_by: &mut Vec<usize>,
) -> bool {
    let mut any = false;
    for j in 0..shape.ignore_count {
        if !set.iter().any(|m| m.pattern == ignore_id(j)) {
            continue;
        }
        any = true;
        ignored_by.push(j);
        if !settings.check_all {
            break;
        }
    }
    any
}

/// The server's date rules (fail2ban's `processLine` with `checkFindTime`):
/// `(time to use, whether the line counts)`.
fn server_time(
    when: Option<f64>,
    no_date: bool,
    settings: &FinishSettings,
    far_from_now: &mut bool,
) -> (Option<f64>, bool) {
    let now = settings.now;
    match when {
        None if no_date && settings.in_operation => (Some(now), true),
        None => (None, true),
        Some(t) if settings.in_operation => {
            // fail2ban: abs(int(t - now)) > 60
            if (t - now).trunc().abs() > 60.0 {
                *far_from_now = true;
                (Some(now), true)
            } else {
                (Some(t), true)
            }
        }
        Some(t) => (Some(t), t >= now - settings.find_time),
    }
}

mod group_view;
mod reported_end;
mod sink;
pub use sink::{quiet_session_end, FinishingSink};

#[cfg(test)]
mod tests;
