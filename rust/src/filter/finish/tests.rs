//! The finishing stage on records from real runs of a filter program.

use super::*;
use crate::filter::fields::intern;
use crate::filter::tests::{detector, sets, Sets, NOW};
use crate::filter::{DateCarry, RecordSink};

fn names(s: &Sets) -> SetNames {
    let of = |set: &crate::matcher::PatternSet| -> Vec<Vec<Key>> {
        (0..set.len())
            .map(|i| set.group_names(i).into_iter().map(intern).collect())
            .collect()
    };
    SetNames {
        pre: s.pre.as_ref().map(of).unwrap_or_default(),
        fail: of(&s.fail),
    }
}

fn settings(check_all: bool) -> FinishSettings {
    FinishSettings {
        check_all,
        ignore_pending: true,
        raw_ids: false,
        check_find_time: false,
        in_operation: false,
        find_time: 600.0,
        now: NOW,
        wall_now: 1000.0,
        report_quiet_lines: true,
        report_lines: true,
    }
}

/// Runs `log` through the program and the finisher.
fn finish(s: &Sets, finisher: &mut Finisher, log: &str, set: &FinishSettings) -> Vec<LineOutcome> {
    let mut carry = DateCarry::default();
    let report = s
        .program()
        .run_chunk(log.as_bytes(), NOW, &mut detector(), &mut carry)
        .unwrap();
    finisher.finish_all(report.records, &s.shape, &names(s), set)
}

fn text(v: Option<&Value>) -> Option<String> {
    v.map(Value::text)
}

#[test]
fn an_address_failure_carries_its_line() {
    let s = sets(
        None,
        &[r"Failed for (?P<user>\S+) from (?P<ip4>\S+)"],
        &[],
        false,
    );
    let mut f = Finisher::new(vec![GroupFolds::default()]);
    let out = finish(
        &s,
        &mut f,
        "Dec 31 23:59:01 Failed for root from 10.0.0.1\n",
        &settings(false),
    );
    let [line] = out.as_slice() else {
        panic!("{out:?}")
    };
    let [failure] = line.failures.as_slice() else {
        panic!("{line:?}")
    };
    assert_eq!(
        failure.id,
        FailureId::Raw {
            text: "10.0.0.1".into(),
            cidr: FAM_IPV4
        }
    );
    assert_eq!(failure.when, Some(NOW - 59.0));
    assert_eq!(text(failure.data.get(keys::USER)).as_deref(), Some("root"));
    assert_eq!(
        failure.data.lines(keys::MATCHES),
        vec![line.tuple_line.clone()]
    );
    assert!(!failure.nofail);
}

#[test]
fn an_id_other_than_the_address_keeps_the_address_as_ip() {
    let s = sets(None, &[r"user (?P<fid>\S+) from (?P<ip4>\S+)"], &[], false);
    let mut f = Finisher::new(vec![GroupFolds::default()]);
    let out = finish(&s, &mut f, "user bob from 10.0.0.2\n", &settings(false));
    let failure = &out[0].failures[0];
    assert_eq!(
        failure.id,
        FailureId::Raw {
            text: "bob".into(),
            cidr: CIDR_UNSPEC
        }
    );
    assert_eq!(
        failure.data.get(keys::IP),
        Some(&Value::Addr("10.0.0.2".into(), FAM_IPV4))
    );
}

#[test]
fn an_ignoreregex_vetoes_the_failure() {
    let s = sets(None, &[r"from (?P<ip4>\S+)"], &[r"from 10\.0\.0\.9"], false);
    let mut f = Finisher::new(vec![GroupFolds::default()]);
    let out = finish(
        &s,
        &mut f,
        "from 10.0.0.9\nfrom 10.0.0.8\n",
        &settings(false),
    );
    assert_eq!(out[0].ignored_by, vec![0]);
    assert!(out[0].failures.is_empty());
    assert_eq!(out[1].failures.len(), 1);
}

/// An sshd-like session: a NOFAIL line opens it, the failure of the same
/// process id gets its user and both lines; MLFFORGET closes it.
#[test]
fn sessions_merge_lines_of_one_id() {
    let s = sets(
        Some(r"^p\[(?P<mlfid>\d+)\]: (?P<content>.+)$"),
        &[
            r"^(?P<nofail>pam) user=(?P<user>\S+)$",
            r"^Failed from (?P<ip4>\S+)$",
            r"^(?P<mlfforget>Closed) from (?P<ip4>\S+)$",
        ],
        &[],
        false,
    );
    let mut f = Finisher::new(vec![GroupFolds::default(); 3]);
    let log = "p[7]: pam user=root\np[7]: Failed from 10.0.0.3\np[7]: Closed from 10.0.0.3\np[7]: Failed from 10.0.0.3\n";
    let out = finish(&s, &mut f, log, &settings(false));
    // the NOFAIL line is a session event: no failure (fail2ban returns)
    assert!(out[0].failures.is_empty() && out[0].prefregex_matched);
    let failure = &out[1].failures[0];
    assert_eq!(
        failure.id,
        FailureId::Raw {
            text: "10.0.0.3".into(),
            cidr: FAM_IPV4
        }
    );
    assert_eq!(
        failure.data.get(keys::USERS),
        Some(&Value::Users(vec![Value::Str("root".into())]))
    );
    assert_eq!(
        failure.data.lines(keys::MATCHES),
        vec![out[0].tuple_line.clone(), out[1].tuple_line.clone()]
    );
    // the forgotten session starts afresh: the last failure has no user
    let last = &out[3].failures[0];
    assert!(last.data.get(keys::USERS).is_none());
    assert_eq!(
        last.data.lines(keys::MATCHES),
        vec![out[3].tuple_line.clone()]
    );
}

#[test]
fn check_all_reports_nofail_matches_marked() {
    let s = sets(
        Some(r"^p\[(?P<mlfid>\d+)\]: (?P<content>.+)$"),
        &[r"^(?P<nofail>pam) from (?P<ip4>\S+)$"],
        &[],
        false,
    );
    let mut f = Finisher::new(vec![GroupFolds::default()]);
    let out = finish(&s, &mut f, "p[1]: pam from 10.0.0.4\n", &settings(true));
    assert!(out[0].failures[0].nofail);
}

#[test]
fn sessions_expire_by_the_wall_clock() {
    let s = sets(
        Some(r"^p\[(?P<mlfid>\d+)\]: (?P<content>.+)$"),
        &[
            r"^(?P<nofail>pam) user=(?P<user>\S+)$",
            r"^Failed from (?P<ip4>\S+)$",
        ],
        &[],
        false,
    );
    let mut f = Finisher::new(vec![GroupFolds::default(); 2]);
    finish(&s, &mut f, "p[7]: pam user=root\n", &settings(false));
    let mut later = settings(false);
    later.wall_now += 300.0;
    let out = finish(&s, &mut f, "p[7]: Failed from 10.0.0.5\n", &later);
    assert!(out[0].failures[0].data.get(keys::USERS).is_none());
}

#[test]
fn alt_and_tuple_groups_are_folded() {
    let s = sets(
        None,
        &[
            r"u=(?P<alt_user>\S*) v=(?P<user>\S*) a=(?P<tuple_id>\S+) b=(?P<tuple_id_2>\S+) from (?P<ip4>\S+)",
        ],
        &[],
        false,
    );
    let folds = GroupFolds::new(
        vec![("alt_user".into(), "user".into())],
        vec![
            ("tuple_id".into(), "id".into()),
            ("tuple_id_2".into(), "id".into()),
        ],
    );
    let mut f = Finisher::new(vec![folds]);
    let out = finish(
        &s,
        &mut f,
        "u=bob v= a=1 b=2 from 10.0.0.6\n",
        &settings(false),
    );
    let data = &out[0].failures[0].data;
    assert_eq!(text(data.get(keys::USER)).as_deref(), Some("bob"));
    assert_eq!(
        data.get(intern("id")),
        Some(&Value::Tuple(vec![
            None,
            Some("1".into()),
            Some("2".into())
        ]))
    );
}

#[test]
fn old_lines_are_dropped_while_a_backlog_is_read() {
    let s = sets(None, &[r"from (?P<ip4>\S+)"], &[], false);
    let mut f = Finisher::new(vec![GroupFolds::default()]);
    let mut set = settings(false);
    set.check_find_time = true;
    set.find_time = 30.0;
    let out = finish(
        &s,
        &mut f,
        "Dec 31 23:59:00 from 10.0.0.7\nDec 31 23:59:50 from 10.0.0.8\n",
        &set,
    );
    assert!(out[0].failures.is_empty());
    assert_eq!(out[1].failures.len(), 1);
    // live: a date far from now counts as now
    set.in_operation = true;
    let out = finish(&s, &mut f, "Dec 31 22:00:00 from 10.0.0.9\n", &set);
    assert!(out[0].far_from_now);
    assert_eq!(out[0].failures[0].when, Some(NOW));
}

#[test]
fn quiet_lines_can_be_left_out() {
    let s = sets(
        Some(r"^\s*p\[(?P<mlfid>\d+)\]: (?P<content>.+)$"),
        &[
            r"^(?P<nofail>pam) user=(?P<user>\S+)$",
            r"^Failed from (?P<ip4>\S+)$",
        ],
        &[],
        false,
    );
    let mut f = Finisher::new(vec![GroupFolds::default(); 2]);
    let mut set = settings(false);
    set.report_quiet_lines = false;
    let out = finish(
        &s,
        &mut f,
        "Dec 31 23:59:01 p[7]: pam user=root\nDec 31 23:59:02 p[7]: Failed from 10.0.0.5\n",
        &set,
    );
    // the session line is left out, but it still counted: the failure has its user
    let [line] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(line.line, 1);
    assert!(line.failures[0].data.get(keys::USERS).is_some());
}

#[test]
fn quiet_lines_can_be_summarized() {
    let s = sets(
        Some(r"^\s*p\[(?P<mlfid>\d+)\]: (?P<content>.+)$"),
        &[
            r"^(?P<nofail>pam) user=(?P<user>\S+)$",
            r"^Failed from (?P<ip4>\S+)$",
            r"^Closed by (?P<ip4>\S+)$",
        ],
        &[r"^Closed by 10\.0\.0\.1$"],
        false,
    );
    let log = "Dec 31 23:59:01 p[7]: pam user=root\n\
               Dec 31 23:59:02 p[8]: pam user=bob\n\
               Dec 31 23:59:03 p[7]: Failed from 10.0.0.5\n\
               Dec 31 23:59:04 p[9]: Closed by 10.0.0.1\n\
               Dec 31 23:59:05 p[9]: nothing\n\
               Dec 31 23:59:06 p[10]: pam user=eve\n";
    let mut f = Finisher::new(vec![GroupFolds::default(); 3]);
    let mut all = finish(&s, &mut f, log, &settings(true));
    assert_eq!(all.len(), 5, "{all:?}");
    let mut kept = all.clone();
    // the first quiet ignored line is kept, the failure line always
    let summary = QuietSummary::take(&mut kept, 1, 3, 1);
    assert_eq!(kept.iter().map(|o| o.line).collect::<Vec<_>>(), [0, 2]);
    assert_eq!(
        summary,
        QuietSummary {
            ignored: 3,
            prefregex: 3,
            fail_hits: vec![2, 0, 0],
            ignore_hits: vec![1],
            ignored_lines: vec![1, 3, 5],
        }
    );
    // nothing kept: every quiet line is counted
    let summary = QuietSummary::take(&mut all, 0, 3, 1);
    assert_eq!(all.len(), 1);
    assert_eq!(summary.ignored_lines, [0, 1, 3, 5]);
    assert_eq!(summary.fail_hits, [3, 0, 0]);
}

/// A [`FinishingSink`] that counts the lines it skipped, and of those the
/// ones skipped before the failregexes ran.
struct Counting<'a, 'b>(&'a mut FinishingSink<'b>, usize, usize);

impl RecordSink for Counting<'_, '_> {
    fn push(&mut self, record: LineRecord) {
        self.0.push(record);
    }
    fn can_skip(&mut self, line: &crate::filter::SkipCheck<'_>) -> bool {
        let skip = self.0.can_skip(line);
        self.1 += usize::from(skip);
        self.2 += usize::from(skip && line.fail.is_none());
        skip
    }
}

/// Runs `log` through the program with the records finished as they come
/// (a [`FinishingSink`]): the outcomes, the summary, and how many lines
/// were skipped without a record.
fn finish_streaming(
    s: &Sets,
    finisher: &mut Finisher,
    log: &str,
    set: &FinishSettings,
    summarize: Option<usize>,
) -> (Vec<LineOutcome>, Option<QuietSummary>, usize) {
    let names = names(s);
    let mut sink = FinishingSink::new(finisher, &s.shape, &names, set, summarize);
    let mut counting = Counting(&mut sink, 0, 0);
    let report = s
        .program()
        .run_chunk_into(
            log.as_bytes(),
            NOW,
            &mut detector(),
            &mut DateCarry::default(),
            &mut counting,
        )
        .unwrap();
    assert!(report.records.is_empty());
    let skipped = counting.1;
    // Closed and Accepted always end a session quietly: skipped before their
    // failregex runs when not summarizing; Bye! only once it matched
    let before_failregex = counting.2;
    if summarize.is_some() || skipped == 0 || set.check_all {
        assert_eq!(before_failregex, 0);
    } else if skipped == 4 {
        assert_eq!(before_failregex, 3);
    }
    let (outcomes, summary) = sink.into_outcomes();
    (outcomes, summary, skipped)
}

/// A session-rules filter in small, sshd's way: a prefregex with the
/// session id, a failure, a no-failure that opens a session, and session
/// ends (forget + nofail, forget + gained, forget + a nofail that may be
/// empty).
fn session_sets() -> Sets {
    sets(
        Some(r"^ ?p\[(?P<mlfid>\d+)\]: (?P<content>.+)$"),
        &[
            r"^(?P<nofail>pam) user=(?P<user>\S+) from (?P<ip4>\S+)$",
            r"^Failed from (?P<ip4>\S+)$",
            r"^(?P<nofail>(?P<mlfforget>Closed)) from (?P<ip4>\S+)$",
            r"^(?P<mlfforget>(?P<mlfgained>Accepted)) (?P<user>\S+) from (?P<ip4>\S+)$",
            r"^(?P<mlfforget>Bye)(?P<nofail>!?) to (?P<ip4>\S+)$",
        ],
        &[],
        false,
    )
}

/// Lines 1, 2, 10 and 14 end sessions not in the cache: the ones skipped
/// (1, 2 and 14 before their failregex runs: those always end quietly).
const SESSION_LOG: &str = "\
Dec 31 23:59:01 p[1]: Accepted bob from 10.0.0.1
Dec 31 23:59:01 p[2]: Closed from 10.0.0.2
Dec 31 23:59:01 p[3]: pam user=root from 10.0.0.3
Dec 31 23:59:01 p[3]: Failed from 10.0.0.3
Dec 31 23:59:01 p[3]: Closed from 10.0.0.3
Dec 31 23:59:01 p[3]: Failed from 10.0.0.3
Dec 31 23:59:01 p[4]: pam user=eve from 10.0.0.4
Dec 31 23:59:01 p[4]: Accepted eve from 10.0.0.4
Dec 31 23:59:01 p[5]: Bye to 10.0.0.5
Dec 31 23:59:01 p[6]: Bye! to 10.0.0.6
Dec 31 23:59:01 p[7]: Failed from 10.0.0.7
Dec 31 23:59:01 p[7]: Bye! to 10.0.0.7
Dec 31 23:59:01 p[7]: Failed from 10.0.0.7
Dec 31 23:59:01 p[8]: Closed from 10.0.0.8
";

/// Skipping the idle session ends changes neither the outcomes nor the
/// session cache, with or without the server's date rules, and a summary
/// counts them as it would count their quiet outcomes.
#[test]
fn skipping_idle_session_ends_changes_nothing() {
    let s = session_sets();
    let folds = vec![GroupFolds::default(); 5];
    // (the lines are 59 s old: a 10 s findtime makes every line too old)
    for (check_find_time, find_time, skips) in
        [(false, 600.0, 4), (true, 600.0, 4), (true, 10.0, 14)]
    {
        let mut set = settings(false);
        set.report_quiet_lines = false;
        set.check_find_time = check_find_time;
        set.find_time = find_time;
        // the two-pass reference: every record finished, quiet ones dropped
        let mut reference = Finisher::new(folds.clone());
        let expected = finish(&s, &mut reference, SESSION_LOG, &set);
        let mut streaming = Finisher::new(folds.clone());
        let (got, _, skipped) = finish_streaming(&s, &mut streaming, SESSION_LOG, &set, None);
        assert_eq!(skipped, skips, "{check_find_time} {find_time}");
        assert_eq!(got, expected);
        // the caches agree: the same chunk again gives the same outcomes
        let expected = finish(&s, &mut reference, SESSION_LOG, &set);
        let (got, ..) = finish_streaming(&s, &mut streaming, SESSION_LOG, &set, None);
        assert_eq!(got, expected);
        assert_eq!(streaming.sessions.len(), reference.sessions.len());
    }
    let set = settings(false);
    let mut reference = Finisher::new(folds.clone());
    let mut all = finish(&s, &mut reference, SESSION_LOG, &set);
    let summary = QuietSummary::take(&mut all, 1, 5, 0);
    let mut streaming = Finisher::new(folds.clone());
    let (kept, got, skipped) = finish_streaming(&s, &mut streaming, SESSION_LOG, &set, Some(1));
    assert_eq!(skipped, 4);
    assert_eq!(kept, all);
    assert_eq!(got, Some(summary));
}

/// Without reported lines, the failures are those reported with them but
/// for their `matches` and `nofail-matches`, and the sessions go on alike:
/// the same log again (whose sessions are then in the cache) agrees too.
#[test]
fn failures_reported_without_lines_differ_only_by_them() {
    // a filter without sessions, then one with them
    let plain = sets(None, &[r"Failed from (?P<ip4>\S+)"], &[], false);
    let plain_log = "Dec 31 23:59:01 Failed from 10.0.0.1\nDec 31 23:59:01 Failed from 10.0.0.2\n";
    for (s, log, regexes) in [(plain, plain_log, 1), (session_sets(), SESSION_LOG, 5)] {
        let folds = vec![GroupFolds::default(); regexes];
        lean_reports_agree(&s, log, &folds);
    }
}

fn lean_reports_agree(s: &Sets, log: &str, folds: &[GroupFolds]) {
    for check_all in [false, true] {
        let with = settings(check_all);
        let mut without = with;
        without.report_lines = false;
        let mut reference = Finisher::new(folds.to_vec());
        let mut lean = Finisher::new(folds.to_vec());
        for _ in 0..2 {
            let mut expected = finish(s, &mut reference, log, &with);
            let got = finish(s, &mut lean, log, &without);
            let mut lists = 0;
            for outcome in &mut expected {
                for failure in &mut outcome.failures {
                    lists += failure.data.lines(keys::MATCHES).len();
                    failure.data.drop_lines();
                }
            }
            assert!(lists > 0, "the log has session failures with lines");
            assert_eq!(got, expected, "check_all {check_all}");
            assert_eq!(lean.sessions.len(), reference.sessions.len());
        }
    }
}

/// The summary and the kept outcomes of `log` finished line by line (with
/// skipping) and of every record finished then summarized agree, and so do
/// the session caches after; gives how many lines were skipped.
fn summary_agrees(s: &Sets, log: &str, set: &FinishSettings, keep: usize) -> usize {
    let folds = vec![GroupFolds::default(); s.shape.fail_count];
    let mut reference = Finisher::new(folds.clone());
    let mut all = finish(s, &mut reference, log, set);
    let summary = QuietSummary::take(&mut all, keep, s.shape.fail_count, 0);
    let mut streaming = Finisher::new(folds);
    let (kept, got, skipped) = finish_streaming(s, &mut streaming, log, set, Some(keep));
    assert_eq!(kept, all, "keep {keep}");
    assert_eq!(got, Some(summary), "keep {keep}");
    assert_eq!(streaming.sessions.len(), reference.sessions.len());
    skipped
}

/// Under check_all (fail2ban-regex's default), the idle session ends are
/// reported as no-failures: a summary counts them straight from their
/// groups once it keeps no more ignored lines, as it would count their
/// outcomes (lines 1, 2, 10 and 14; the first ignored line is line 1).
#[test]
fn reported_idle_session_ends_are_counted_as_finished() {
    let s = session_sets();
    let set = settings(true);
    for (keep, skips) in [(0, 4), (1, 3), (100, 0)] {
        assert_eq!(summary_agrees(&s, SESSION_LOG, &set, keep), skips);
    }
}

/// A host name is resolved by the caller: such an idle end is finished.
#[test]
fn reported_idle_ends_with_host_names_are_finished() {
    let s = sets(
        Some(r"^ ?p\[(?P<mlfid>\d+)\]: (?P<content>.+)$"),
        &[r"^(?P<nofail>(?P<mlfforget>Closed)) from (?:(?P<ip4>\d+\.\d+\.\d+\.\d+)|(?P<dns>\S+))$"],
        &[],
        false,
    );
    let log = "\
Dec 31 23:59:01 p[1]: Closed from 10.0.0.1
Dec 31 23:59:01 p[2]: Closed from host.example
";
    let mut set = settings(true);
    assert_eq!(summary_agrees(&s, log, &set, 0), 1);
    // raw ids are never resolved
    set.raw_ids = true;
    assert_eq!(summary_agrees(&s, log, &set, 0), 2);
}

/// A caller that wants every line (report_quiet_lines, no summary), or
/// fail2ban's check_all without a summary, gets no line skipped.
#[test]
fn nothing_is_skipped_for_callers_that_see_every_line() {
    let s = session_sets();
    let mut check_all = settings(true);
    check_all.report_quiet_lines = false;
    for set in [settings(false), check_all] {
        let mut finisher = Finisher::new(vec![GroupFolds::default(); 5]);
        let (.., skipped) = finish_streaming(&s, &mut finisher, SESSION_LOG, &set, None);
        assert_eq!(skipped, 0);
    }
}

#[test]
fn quiet_session_ends_are_known_from_the_pattern() {
    let s = session_sets();
    assert_eq!(s.session_ends, vec![false, false, true, true, false]);
    let folds = GroupFolds::new(vec![("alt_x".into(), "mlfpending".into())], vec![]);
    assert!(!quiet_session_end(s.fail.parsed(2), &folds));
}
