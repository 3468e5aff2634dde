use super::*;
use crate::date::LocalZone;
use crate::matcher::Engine;

/// 2026-01-01T00:00:00Z, "now" of every test.
pub(super) const NOW: f64 = 1_767_225_600.0;

pub(super) struct Sets {
    pub(super) scan: PatternSet,
    pub(super) pre: Option<PatternSet>,
    pub(super) fail: PatternSet,
    pub(super) shape: FilterShape,
    /// `quiet_session_end` of each failregex (no folds).
    pub(super) session_ends: Vec<bool>,
}

/// A filter's sets as `Filter._build_matchers` numbers them; the scan set
/// holds the failregexes without a leading `^` (a stand-in for the
/// candidate patterns, which may match after the date and prefix) and the
/// ignoreregexes when they are checked first.
pub(super) fn sets(
    prefregex: Option<&str>,
    fails: &[&str],
    ignores: &[&str],
    ignore_first: bool,
) -> Sets {
    let fail_count = fails.len();
    let ignore: Vec<(u32, &str)> = ignores
        .iter()
        .enumerate()
        .map(|(j, p)| ((1 + fail_count + j) as u32, *p))
        .collect();
    let mut pre: Vec<(u32, &str)> = prefregex.map(|p| (PREF_ID, p)).into_iter().collect();
    pre.extend(&ignore);
    let mut fail: Vec<(u32, &str)> = fails
        .iter()
        .enumerate()
        .map(|(i, p)| ((1 + i) as u32, *p))
        .collect();
    fail.extend(&ignore);
    let mut scan: Vec<(u32, &str)> = fails
        .iter()
        .enumerate()
        .map(|(i, p)| (i as u32, p.strip_prefix('^').unwrap_or(p)))
        .collect();
    if ignore_first {
        scan.extend(
            ignores
                .iter()
                .enumerate()
                .map(|(j, p)| ((1 << 20) + j as u32, *p)),
        );
    }
    let pre = (!pre.is_empty()).then(|| PatternSet::new(&pre, Engine::Regex, false).unwrap());
    let content_group = pre.as_ref().and_then(|set| {
        let index = set.ids().iter().position(|&id| id == PREF_ID)?;
        set.group_names(index).iter().position(|&n| n == "content")
    });
    let fail = PatternSet::new(&fail, Engine::Regex, false).unwrap();
    let session_ends = (0..fail_count)
        .map(|i| finish::quiet_session_end(fail.parsed(i), &GroupFolds::default()))
        .collect();
    Sets {
        scan: PatternSet::new(&scan, Engine::Hyperscan, false).unwrap(),
        pre,
        fail,
        session_ends,
        shape: FilterShape {
            fail_count,
            ignore_count: ignores.len(),
            has_prefregex: prefregex.is_some(),
            content_group,
            ignore_first,
            skip_comments: true,
        },
    }
}

impl Sets {
    pub(super) fn program(&self) -> FilterProgram<'_> {
        FilterProgram {
            shape: self.shape,
            scan: &self.scan,
            pre: self.pre.as_ref(),
            fail: &self.fail,
            session_ends: &self.session_ends,
        }
    }
}

pub(super) fn detector() -> DateDetector {
    DateDetector::with_zone(None, None, NOW, LocalZone::utc()).unwrap()
}

fn fail_ids(record: &LineRecord) -> Vec<u32> {
    record
        .fail
        .iter()
        .flatten()
        .map(|m| m.pattern)
        .collect::<Vec<_>>()
}

#[test]
fn reports_failures_with_date_cut_and_groups() {
    let s = sets(
        None,
        &[r"Failed password for (?P<user>\S+) from (?P<ip4>\S+)"],
        &[],
        false,
    );
    let log = b"Dec 31 23:59:00 h sshd[1]: Accepted password for bob from 1.1.1.1\n\
Dec 31 23:59:01 h sshd[2]: Failed password for root from 10.0.0.1 port 22\n";
    let mut carry = DateCarry::default();
    let r = s
        .program()
        .run_chunk(log, NOW, &mut detector(), &mut carry)
        .unwrap();
    assert_eq!((r.lines, r.processed, r.prefregex_only), (2, 1, 0));
    assert_eq!(r.records.len(), 1);
    let rec = &r.records[0];
    assert_eq!(rec.line, 1);
    let (before, date_text, after) = rec.pieces();
    assert_eq!(date_text, "Dec 31 23:59:01");
    assert_eq!(before, "");
    assert!(after.starts_with(" h sshd[2]: Failed"));
    assert_eq!(rec.when, Some(NOW - 59.0));
    assert!(!rec.no_date);
    let fail = rec.fail.as_ref().unwrap();
    assert_eq!(fail[0].pattern, 1);
    assert_eq!(
        fail[0].groups,
        vec![Some("root".into()), Some("10.0.0.1".into())]
    );
    assert_eq!(carry.last_date, Some(NOW - 59.0));
    assert_eq!(carry.last_time_text, "Dec 31 23:59:01");
}

#[test]
fn prefregex_content_feeds_the_failregexes() {
    let s = sets(
        Some(r"^\s*\S+ sshd\[\d+\]: (?P<content>.+)$"),
        &[r"^Invalid user (?P<user>\S*) from (?P<ip4>\S+)$"],
        &[],
        false,
    );
    let log = b"Dec 31 23:59:30 h sshd[1]: Connection closed by 1.1.1.1\n\
Dec 31 23:59:31 h sshd[2]: Invalid user x from 10.0.0.2\n\
Dec 31 23:59:32 h cron[3]: Invalid user y from 10.0.0.3\n";
    let r = s
        .program()
        .run_chunk(log, NOW, &mut detector(), &mut DateCarry::default())
        .unwrap();
    // Lines 1 and 2 are candidates; the prefregex rejects line 2.
    assert_eq!((r.processed, r.prefregex_only), (2, 0));
    assert_eq!(r.records.len(), 1);
    let rec = &r.records[0];
    assert_eq!(rec.line, 1);
    let pre = rec.pre.as_ref().unwrap();
    assert_eq!(pre[0].pattern, PREF_ID);
    // The content is read from the line, not copied into the groups.
    assert_eq!(pre[0].groups, [None]);
    assert_eq!(fail_ids(rec), [1]);
    let fail = rec.fail.as_ref().unwrap();
    assert_eq!(fail[0].groups, [Some("x".into()), Some("10.0.0.2".into())]);
}

#[test]
fn lines_matching_only_the_prefregex_are_counted() {
    let s = sets(
        Some(r"sshd\[\d+\]: (?P<content>.+)$"),
        &[r"^user (?P<user>\S+) from (?P<ip4>\S+)"],
        &[],
        false,
    );
    // Both lines are candidates; on the first the content does not start
    // with "user", on the second the prefregex fails.
    let log = b"Dec 31 23:59:31 h sshd[2]: the user x from 10.0.0.2\n\
Dec 31 23:59:32 h cron[3]: user y from 10.0.0.3\n";
    let r = s
        .program()
        .run_chunk(log, NOW, &mut detector(), &mut DateCarry::default())
        .unwrap();
    assert_eq!((r.processed, r.prefregex_only, r.records.len()), (2, 1, 0));
}

#[test]
fn ignoreregexes_first_stop_the_line() {
    let fails = [
        r"a from (?P<ip4>\S+)",
        r"b from (?P<ip4>\S+)",
        r"c from (?P<ip4>\S+)",
        r"d from (?P<ip4>\S+)",
    ];
    let s = sets(None, &fails, &[r"from 10\.0\.0\.9"], true);
    let log = b"Dec 31 23:59:31 h: a from 10.0.0.9\n\
Dec 31 23:59:32 h: b from 10.0.0.8\n";
    let r = s
        .program()
        .run_chunk(log, NOW, &mut detector(), &mut DateCarry::default())
        .unwrap();
    assert_eq!(r.records.len(), 2);
    let ignored = &r.records[0];
    assert_eq!(ignored.pre.as_ref().unwrap()[0].pattern, 5);
    assert!(ignored.fail.is_none(), "the failregexes are not tried");
    let failed = &r.records[1];
    assert!(failed.pre.as_ref().unwrap().is_empty());
    assert_eq!(fail_ids(failed), [2]);
}

#[test]
fn ignoreregexes_after_are_in_the_fail_set() {
    let s = sets(None, &[r"from (?P<ip4>\S+)"], &[r"from 10\.0\.0\.9"], false);
    let log = b"Dec 31 23:59:31 h: a from 10.0.0.9\n";
    let r = s
        .program()
        .run_chunk(log, NOW, &mut detector(), &mut DateCarry::default())
        .unwrap();
    assert_eq!(fail_ids(&r.records[0]), [1, 2]);
    assert!(r.records[0].pre.is_none());
}

#[test]
fn a_line_without_date_takes_the_recent_one() {
    let s = sets(None, &[r"from (?P<ip4>\S+)"], &[], false);
    let log = b"Dec 31 23:59:31 h: a from 10.0.0.1\nno date here from 10.0.0.2\n";
    let mut carry = DateCarry::default();
    let r = s
        .program()
        .run_chunk(log, NOW, &mut detector(), &mut carry)
        .unwrap();
    let rec = &r.records[1];
    assert_eq!(rec.when, Some(NOW - 29.0));
    assert!(rec.no_date);
    assert_eq!(
        rec.pieces(),
        ("", "Dec 31 23:59:31", "no date here from 10.0.0.2")
    );
    // Too old to carry: no time at all.
    let mut carry = DateCarry {
        last_date: Some(NOW - 61.0),
        last_time_text: "old".into(),
    };
    let r = s
        .program()
        .run_chunk(b"no date from 10.0.0.3\n", NOW, &mut detector(), &mut carry)
        .unwrap();
    assert_eq!(r.records[0].when, None);
    assert!(r.records[0].no_date);
    assert_eq!(r.records[0].pieces().1, "");
}

#[test]
fn comments_are_skipped_and_crlf_is_stripped() {
    let s = sets(None, &[r"from (?P<ip4>\S+)$"], &[], false);
    let log = b"# x from 10.0.0.1\r\nDec 31 23:59:31 h: from 10.0.0.2\r\n";
    let r = s
        .program()
        .run_chunk(log, NOW, &mut detector(), &mut DateCarry::default())
        .unwrap();
    assert_eq!((r.lines, r.processed, r.records.len()), (2, 1, 1));
    assert_eq!(r.records[0].text, "Dec 31 23:59:31 h: from 10.0.0.2");
    assert_eq!(
        r.records[0].fail.as_ref().unwrap()[0].groups,
        [Some("10.0.0.2".into())]
    );
}

#[test]
fn a_date_fail2ban_cannot_convert_is_an_error_record() {
    let s = sets(None, &[r"from (?P<ip4>\S+)"], &[], false);
    let mut detector =
        DateDetector::with_zone(Some("^%b %d %H:%M:%S %Exz"), None, NOW, LocalZone::utc()).unwrap();
    let log = b"Dec 31 23:59:31 XYZ h: from 10.0.0.2\n";
    let r = s
        .program()
        .run_chunk(log, NOW, &mut detector, &mut DateCarry::default())
        .unwrap();
    assert_eq!(r.records.len(), 1);
    let rec = &r.records[0];
    // Either fail2ban aborts on the unknown zone (error) or finds no date.
    assert!(rec.error.is_some() || rec.no_date, "{rec:?}");
}

#[test]
fn a_shared_scan_splits_by_filter() {
    let scan = LineReport {
        matches: vec![
            (0, 0, 3),
            (0, 0, (1 << MULTI_SHIFT) | 2),
            (0, 0, (1 << MULTI_SHIFT) | 1),
            (4, 40, IGNORE_BASE),
        ],
        lines: 5,
        limit_hits: 0,
    };
    let shares = split_scan(&scan, 2);
    assert_eq!(shares[0].matches, [(0, 0, 3), (4, 40, IGNORE_BASE)]);
    assert_eq!(shares[1].matches, [(0, 0, 1), (0, 0, 2)]);
    assert!(shares.iter().all(|s| s.lines == 5));
    assert_eq!(split_id((3 << MULTI_SHIFT) | IGNORE_BASE), (3, IGNORE_BASE));
}

#[test]
fn run_candidates_on_a_shared_scan_equals_run_chunk() {
    let a = sets(None, &[r"from (?P<ip4>\S+)$"], &[], false);
    let b = sets(None, &[r"user (?P<user>\S+) from (?P<ip4>\S+)"], &[], false);
    let log = b"Dec 31 23:59:30 h: from 10.0.0.1\n\
Dec 31 23:59:31 h: user x from 10.0.0.2\n\
Dec 31 23:59:32 h: nothing\n";
    let shared = PatternSet::new(
        &[
            (0, r"from (?P<ip4>\S+)$"),
            ((1 << MULTI_SHIFT), r"user (?P<user>\S+) from (?P<ip4>\S+)"),
        ],
        Engine::Hyperscan,
        false,
    )
    .unwrap();
    let scan = shared.candidate_lines(log).unwrap();
    let shares = split_scan(&scan, 2);
    for (sets, share) in [(&a, &shares[0]), (&b, &shares[1])] {
        let alone = sets
            .program()
            .run_chunk(log, NOW, &mut detector(), &mut DateCarry::default())
            .unwrap();
        let together = sets
            .program()
            .run_candidates(log, share, NOW, &mut detector(), &mut DateCarry::default())
            .unwrap();
        assert_eq!(alone, together);
        assert!(!alone.records.is_empty());
    }
}

/// The exact stage takes the finder's candidates unconfirmed: a false
/// candidate (here a back-reference Hyperscan cannot hold) costs one more
/// processed line, never a different record.
#[test]
fn unconfirmed_candidates_give_the_records_confirmed_ones_give() {
    let s = sets(
        None,
        &[r"user (?P<u>\w+) is (?P=u) from (?P<ip4>\S+)"],
        &[],
        false,
    );
    let log = b"Dec 31 23:59:30 h: user ab is ab from 10.0.0.1\n\
Dec 31 23:59:31 h: user ab is cd from 10.0.0.2\n\
Dec 31 23:59:32 h: nothing\n";
    let loose = s.scan.candidate_lines(log).unwrap();
    let confirmed = s.scan.matching_lines(log).unwrap();
    assert_eq!(loose.matches.len(), 2);
    assert_eq!(confirmed.matches.len(), 1);
    let run = |scan: &LineReport| {
        s.program()
            .run_candidates(log, scan, NOW, &mut detector(), &mut DateCarry::default())
            .unwrap()
    };
    let (from_loose, from_confirmed) = (run(&loose), run(&confirmed));
    assert_eq!(from_loose.records, from_confirmed.records);
    assert_eq!(from_loose.records.len(), 1);
    assert_eq!((from_loose.processed, from_confirmed.processed), (2, 1));
}

#[test]
fn skipped_lines_are_comments_and_empty_lines() {
    assert_eq!(count_skipped(b"a\n#c\n\n\r\nb\n"), 3);
    assert_eq!(count_skipped(b"a\n#c"), 1);
    assert_eq!(count_skipped(b"a\n"), 0);
    assert_eq!(count_skipped(b"\n"), 1);
    assert_eq!(count_skipped(b" #not\n"), 0);
    assert_eq!(count_skipped(b""), 1);
    assert_eq!(count_skipped(b"#a\n\r\r\n\r x\n#"), 3);
    // (runs of empty lines overlap as pairs)
    assert_eq!(count_skipped(b"a\n\n\n\nb"), 3);
}

/// `count_skipped` as its doc states it, line by line.
fn skipped_line_by_line(data: &[u8]) -> usize {
    let body = data.strip_suffix(b"\n").unwrap_or(data);
    body.split(|&b| b == b'\n')
        .filter(|line| line.first() == Some(&b'#') || line.iter().all(|&b| b == b'\r'))
        .count()
}

proptest::proptest! {
    #[test]
    fn count_skipped_counts_line_by_line(data in proptest::collection::vec(
        proptest::sample::select(b"#\n\r a".to_vec()), 0..40,
    )) {
        proptest::prop_assert_eq!(count_skipped(&data), skipped_line_by_line(&data));
    }
}

#[test]
fn every_line_is_a_candidate_for_every_failregex() {
    let all = every_line(b"a\nbb\nc", 2);
    assert_eq!(all.lines, 3);
    assert_eq!(
        all.matches,
        vec![
            (0, 0, 0),
            (0, 0, 1),
            (1, 2, 0),
            (1, 2, 1),
            (2, 5, 0),
            (2, 5, 1)
        ]
    );
}

/// The chunk of [`dates_ahead_give_the_records_the_run_gives`]: dated lines,
/// a line taking over the recent date, a comment, a CRLF line, invalid
/// UTF-8, an invalid date and a line with no match.
const DATED_LOG: &[u8] = b"Dec 31 23:59:31 h: a from 10.0.0.1\n\
no date here from 10.0.0.2\n\
# Dec 31 23:59:32 comment from 10.0.0.3\n\
Dec 31 23:59:33 h: b from 10.0.0.4\r\n\
Dec 31 23:59:34 h: \xff from 10.0.0.5\n\
Feb 30 23:59:35 h: c from 10.0.0.6\n\
Dec 31 23:59:36 h: nothing here\n";

#[test]
fn dates_ahead_give_the_records_the_run_gives() {
    let s = sets(None, &[r"from (?P<ip4>\S+)"], &[], false);
    let program = s.program();
    let scan = s.scan.candidate_lines(DATED_LOG).unwrap();
    let start = DateCarry {
        last_date: Some(NOW - 30.0),
        last_time_text: "before".into(),
    };

    let (mut inline_detector, mut inline_carry) = (detector(), start.clone());
    let mut inline = Vec::new();
    let inline_report = program
        .run_candidates_into(
            DATED_LOG,
            &scan,
            NOW,
            &mut inline_detector,
            &mut inline_carry,
            &mut inline,
        )
        .unwrap();

    let (mut ahead_detector, mut ahead_carry) = (detector(), start);
    let cuts = program.dates_ahead(
        &program.lines(DATED_LOG, &scan),
        NOW,
        &mut ahead_detector,
        &mut ahead_carry,
    );
    let mut ahead = Vec::new();
    let ahead_report = program
        .run_ahead_into(
            &program.lines(DATED_LOG, &scan),
            &cuts,
            EvaluatedLines::default(),
            &mut ahead,
        )
        .unwrap();

    assert_eq!(inline.len(), 5, "{inline:#?}");
    assert_eq!(ahead, inline);
    assert_eq!(ahead_report, inline_report);
    assert_eq!(ahead_carry, inline_carry);
    // The carried line, as the run makes it.
    assert_eq!(inline[1].pieces().1, "Dec 31 23:59:31");
    assert!(inline[1].no_date);
    // Both detectors go on alike.
    let next = b"Dec 31 23:59:50 h: d from 10.0.0.7\n";
    assert_eq!(
        inline_detector.find("Dec 31 23:59:50 h: d", NOW),
        ahead_detector.find("Dec 31 23:59:50 h: d", NOW)
    );
    let scan = s.scan.candidate_lines(next).unwrap();
    let cuts = program.dates_ahead(
        &program.lines(next, &scan),
        NOW,
        &mut ahead_detector,
        &mut ahead_carry,
    );
    assert_eq!(cuts.len(), 1);
    assert_eq!(cuts[0].last_date, Some(NOW - 10.0));
}

#[test]
fn dates_ahead_of_another_chunk_are_refused() {
    let s = sets(None, &[r"from (?P<ip4>\S+)"], &[], false);
    let program = s.program();
    let scan = s.scan.candidate_lines(DATED_LOG).unwrap();
    let cuts = program.dates_ahead(
        &program.lines(DATED_LOG, &scan),
        NOW,
        &mut detector(),
        &mut DateCarry::default(),
    );
    let other = b"Dec 31 23:59:31 h: x\nDec 31 23:59:31 h: a from 10.0.0.1\n";
    let other_scan = s.scan.candidate_lines(other).unwrap();
    let err = program
        .run_ahead_into(
            &program.lines(other, &other_scan),
            &cuts,
            EvaluatedLines::default(),
            &mut Vec::new(),
        )
        .unwrap_err();
    assert!(err.to_string().contains("dates found ahead"), "{err}");
}

#[test]
fn dates_ahead_cover_every_line_when_the_scan_hit_its_limit() {
    let s = sets(None, &[r"from (?P<ip4>\S+)"], &[], false);
    let program = s.program();
    let limited = LineReport {
        lines: 0,
        limit_hits: 1,
        ..LineReport::default()
    };
    // every line but the comment has its date step
    let cuts = program.dates_ahead(
        &program.lines(DATED_LOG, &limited),
        NOW,
        &mut detector(),
        &mut DateCarry::default(),
    );
    assert_eq!(
        cuts.iter().map(|c| c.line).collect::<Vec<_>>(),
        [0, 1, 3, 4, 5, 6]
    );
    let report = program
        .run_ahead_into(
            &program.lines(DATED_LOG, &limited),
            &cuts,
            EvaluatedLines::default(),
            &mut Vec::new(),
        )
        .unwrap();
    assert!(report.scan_limit_hit);
    assert_eq!(report.processed, 6);
}

/// Regexes evaluated ahead, for any number of the lines, give the run the
/// records and counts it gives when it evaluates them itself: with a
/// prefregex and its content, several failregexes, an ignoreregex checked
/// first or last, carried, invalid and undecodable dates.
#[test]
fn lines_evaluated_ahead_give_the_records_the_run_gives() {
    for ignore_first in [false, true] {
        let s = sets(
            Some(r"^ ?h: (?P<content>.+)$"),
            &[r"^\S+ from (?P<ip4>\S+)$", r"from (?P<ip4>10\.0\.0\.[15])"],
            &[r"from 10\.0\.0\.4"],
            ignore_first,
        );
        let program = s.program();
        let scan = s.scan.candidate_lines(DATED_LOG).unwrap();
        let mut carry = DateCarry::default();
        let cuts = program.dates_ahead(
            &program.lines(DATED_LOG, &scan),
            NOW,
            &mut detector(),
            &mut carry,
        );
        let mut expected = Vec::new();
        let expected_report = program
            .run_ahead_into(
                &program.lines(DATED_LOG, &scan),
                &cuts,
                EvaluatedLines::default(),
                &mut expected,
            )
            .unwrap();
        assert!(expected.len() >= 3, "{expected:#?}");
        for count in 0..=cuts.len() + 1 {
            let evaluated = program
                .evaluate_ahead(&program.lines(DATED_LOG, &scan), &cuts, count)
                .unwrap();
            assert_eq!(evaluated.len(), count.min(cuts.len()));
            let mut got = Vec::new();
            let report = program
                .run_ahead_into(&program.lines(DATED_LOG, &scan), &cuts, evaluated, &mut got)
                .unwrap();
            assert_eq!(got, expected, "ignore first: {ignore_first}, {count} ahead");
            assert_eq!(
                report, expected_report,
                "ignore first: {ignore_first}, {count} ahead"
            );
        }
        // Line after line, from where an earlier call stopped, until told
        // to stop: the same lines as one call.
        let all = program
            .evaluate_ahead(&program.lines(DATED_LOG, &scan), &cuts, cuts.len())
            .unwrap();
        let mut pieces = program
            .evaluate_ahead(&program.lines(DATED_LOG, &scan), &cuts, 1)
            .unwrap();
        let more = |skip: usize, pieces: &mut EvaluatedLines| {
            let lines = program.lines(DATED_LOG, &scan);
            program
                .evaluate_lines_ahead(&lines, &cuts, skip, pieces, |_| false)
                .unwrap();
        };
        for skip in 1..all.len() {
            more(skip, &mut pieces);
        }
        assert_eq!(pieces, all);
        more(all.len(), &mut pieces);
        assert_eq!(pieces, all, "nothing after the last line");
    }
}
