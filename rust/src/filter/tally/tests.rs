use std::sync::Arc;

use super::*;
use crate::filter::fields::{intern, keys, CutLine, Fields, Value};
use crate::filter::finish::{CIDR_UNSPEC, FAM_IPV6};
use crate::filter::{DateParts, FailureId, FoundFailure};

fn failure(regex: usize, id: FailureId, fields: &[(&str, Value)]) -> FoundFailure {
    let mut data = Fields::new();
    for (k, v) in fields {
        data.set(intern(k), v.clone());
    }
    FoundFailure {
        regex,
        when: Some(1794694400.0),
        nofail: data.truthy(keys::NOFAIL),
        data,
        id,
    }
}

fn raw(text: &str) -> FailureId {
    FailureId::Raw {
        text: text.into(),
        cidr: CIDR_UNSPEC,
    }
}

fn outcome(line: usize, failures: Vec<FoundFailure>, ignored_by: Vec<usize>) -> LineOutcome {
    LineOutcome {
        line,
        tuple_line: Arc::new(CutLine {
            text: format!("line {line}"),
            parts: DateParts::Whole,
        }),
        failures,
        ignored_by,
        prefregex_matched: true,
        error: None,
        invalid_date: false,
        far_from_now: false,
        no_date_match: false,
        no_id_group: Vec::new(),
    }
}

fn listing() -> Tally {
    Tally::new(
        2,
        1,
        TallySettings {
            list_matched: true,
            keep_ignored: Some(1),
        },
    )
}

#[test]
fn a_matched_line_is_counted_and_recorded_as_python_writes_it() {
    let mut tally = listing();
    let f = failure(
        1,
        raw("192.0.2.7"),
        &[
            ("user", Value::Str("root".into())),
            ("gone", Value::None),
            ("matches", Value::Lines(Vec::new())),
            (
                "users",
                Value::Users(vec![Value::Str("b".into()), Value::Str("a".into())]),
            ),
            ("tuple_x", Value::Tuple(vec![Some("x".into()), None])),
            ("ip", Value::Addr("2001:db8::1".into(), FAM_IPV6)),
            // (no group name holds a quote; a key that did is escaped)
            ("odd\"key", Value::Int(1)),
        ],
    );
    let left = tally.take_chunk(vec![outcome(3, vec![f], vec![])], 10);
    assert!(left.is_empty());
    assert_eq!((tally.matched, tally.ignored, tally.prefregex), (1, 0, 1));
    assert_eq!(tally.fail_hits, [0, 1]);
    assert_eq!(tally.not_missed, [3]);
    assert_eq!(
        tally.matched_lines.iter().collect::<Vec<_>>(),
        [(3, "line 3")]
    );
    assert_eq!(
        tally.matches_json(&[]),
        r#"{"line": 4, "id": "192.0.2.7", "time": 1794694400.0, "fields": {"user": "root", "users": ["a", "b"], "tuple_x": ["x", null], "ip": "2001:db8::1", "odd\"key": 1}}"#
    );
}

#[test]
fn ignored_lines_are_counted_and_the_first_ones_kept() {
    let mut tally = listing();
    let nofail = failure(0, raw("192.0.2.7"), &[("nofail", Value::Str("1".into()))]);
    let vetoed = failure(1, raw("192.0.2.8"), &[]);
    let left = tally.take_chunk(
        vec![
            outcome(0, vec![nofail], vec![]),
            outcome(1, vec![vetoed], vec![0]),
        ],
        2,
    );
    assert!(left.is_empty());
    assert_eq!((tally.matched, tally.ignored), (0, 2));
    assert_eq!(
        (tally.fail_hits.clone(), tally.ignore_hits.clone()),
        (vec![1, 1], vec![1])
    );
    assert_eq!(tally.not_missed, [0, 1]);
    assert_eq!(
        tally.ignored_lines.iter().collect::<Vec<_>>(),
        [(0, "line 0")]
    );
    assert_eq!(tally.matches_json(&[]), "");
}

#[test]
fn lines_that_need_python_are_given_back_untouched() {
    let mut tally = listing();
    let dns = failure(
        0,
        FailureId::Dns {
            text: "host".into(),
        },
        &[],
    );
    let upper = failure(0, raw("2001:DB8::1"), &[]);
    let mut warned = outcome(2, vec![failure(0, raw("192.0.2.1"), &[])], vec![]);
    warned.far_from_now = true;
    let left = tally.take_chunk(
        vec![
            outcome(0, vec![dns], vec![]),
            outcome(1, vec![upper], vec![]),
            warned,
        ],
        3,
    );
    assert_eq!(left.iter().map(|o| o.line).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!((tally.matched, tally.ignored, tally.prefregex), (0, 0, 0));
    assert_eq!(tally.fail_hits, [0, 0]);
    assert!(tally.not_missed.is_empty() && tally.matches_json(&[]).is_empty());
}

#[test]
fn an_id_only_python_can_print_is_counted_here_when_nothing_is_listed() {
    let mut tally = Tally::new(
        1,
        0,
        TallySettings {
            list_matched: false,
            keep_ignored: Some(0),
        },
    );
    let upper = failure(0, raw("2001:DB8::1"), &[]);
    assert!(tally
        .take_chunk(vec![outcome(0, vec![upper], vec![])], 1)
        .is_empty());
    assert_eq!((tally.matched, tally.record_count()), (1, 0));
    assert!(tally.matched_lines.is_empty());
}

#[test]
fn lines_are_numbered_across_chunks_and_merged_with_the_callers() {
    let mut tally = listing();
    tally.take_chunk(
        vec![outcome(1, vec![failure(0, raw("192.0.2.1"), &[])], vec![])],
        5,
    );
    tally.take_chunk(
        vec![outcome(0, vec![failure(0, raw("192.0.2.2"), &[])], vec![])],
        5,
    );
    assert_eq!(tally.not_missed, [1, 5]);
    // the caller accounted lines 0, 3 and 7 itself
    let others: Vec<(u64, String)> = [0, 3, 7].iter().map(|&n| (n, format!("P{n}"))).collect();
    let merged = tally.matches_json(&others);
    let order: Vec<&str> = merged
        .split(", ")
        .filter_map(|part| part.strip_prefix("P").or(part.strip_prefix("{\"line\": ")))
        .map(|s| &s[..1])
        .collect();
    assert_eq!(order, ["0", "2", "3", "6", "7"]);
}

#[test]
fn merge_by_line_keeps_each_sides_order() {
    let a = [(1, "a1"), (1, "a1b"), (4, "a4")];
    let b = [(0, "b0"), (2, "b2"), (5, "b5")];
    let merged: Vec<&str> = merge_by_line(a, b).map(|(_, s)| s).collect();
    assert_eq!(merged, ["b0", "a1", "a1b", "b2", "a4", "b5"]);
}
