"""Candidate patterns: printing, relaxation, composition with the prefregex."""

from __future__ import annotations

import random
import re

import pytest

from hyperban.filter.candidate import candidate_pattern, relaxed_pattern, unparse
from hyperban.filter.tags import expand_tags
from hyperban.matcher import compile_patterns

PATTERNS = [
    r"^Failed (?P<user>\S+) from <HOST>( port \d+)?\s*$",
    r"(?i)a(?P<x>b)\s+(?<=:):[^\n]x{2,}?(?(x)y|z)\A\b[a-z\]\-^]",
    r"(?P<a>\d+)-(?P=a)|(?:ab){2,5}?c*+d?",
    r"^\[\]LOGIN (?:foo|bar)+ \s$",
    r"caf\u00e9 \t\x00 [\u0100-\u0200] (?s:.)(?-i:X)",
]
SUBJECTS = [
    "Failed bob from 192.0.2.1 port 22",
    "Failed bob from host.example",
    "aB :: xxx y",
    "12-12",
    "abababccd",
    "[]LOGIN foo  ",
    "café \t\x00 ą \n X",
    "",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_unparse_round_trip(pattern):
    pattern = expand_tags(pattern)
    printed = unparse(pattern)
    a, b = re.compile(pattern), re.compile(printed)
    for s in SUBJECTS + [x + "\n" for x in SUBJECTS]:
        ma, mb = a.search(s), b.search(s)
        assert (ma and (ma.span(), ma.groupdict())) == (mb and (mb.span(), mb.groupdict()))


def test_relax_drops_anchors_and_newline_needs():
    r = relaxed_pattern(r"^foo\s+bar\s$")
    assert re.search(r, "x foo bar")  # no anchors, final \s optional
    assert re.search(r, "x foobar")  # \s+ became \s*
    assert not re.search(r, "x foo baz")


def test_relax_brackets_and_junctions():
    p = relaxed_pattern(expand_tags(r"^<HOST> - \S+ \[\] \"GET"))
    assert re.search(p, '1.2.3.4 - u [10/Oct] "GET')
    p = relaxed_pattern(r"audit\(:\d+\): -  WARN", junctions=True)
    assert re.search(p, "audit(1373330717.000:61747): - 2014-01-13T05:02:22 WARN")
    assert not re.search(relaxed_pattern(r"audit\(:\d+\)"), "audit(1373330717.000:61747)")


def test_relax_flattens_nested_repeats_but_keeps_references():
    p = relaxed_pattern(r"^(?:\[(?:[^\]\"]*|\"[^\"]*\")*\])+\s+x(?P<g>a)(?P=g)")
    assert "(?:[^\\]" not in p
    assert re.search(p, "[a][b] xaa") and not re.search(p, "[a][b] xab")


def test_candidate_composes_prefregex_prefix():
    pref = r"^(?P<mlfid>\S+ sshd\[\d+\]: )(?:error: )?(?P<content>.+)$"
    cand = candidate_pattern(r"^Invalid user (?P<user>\S+) from (?P<ip4>\S+)", pref)
    assert re.search(cand, "Jan 1 00:00:00 host sshd[1]: Invalid user a from 1.2.3.4")
    assert not re.search(cand, "Jan 1 00:00:00 host cron[1]: Invalid user a from 1.2.3.4")
    # a prefix that can match nothing is left out
    assert candidate_pattern(r"^x(?P<fid>\d)", r"^\s*(?P<content>.+)$").startswith("(?:x")


def test_relax_is_a_superset_on_random_lines():
    rng = random.Random(7)
    alphabet = "ab []()-:\t.0123456789x\n"
    patterns = [r"^a\s+b$", r"\[\]\s*x", r"^(?:ab|a\()+\d\s$", r"-\s\]$", r"a\n?b"]
    for pattern in patterns:
        exact = re.compile(pattern)
        relaxed = re.compile(relaxed_pattern(pattern))
        for _ in range(3000):
            line = "".join(rng.choice(alphabet[:-1]) for _ in range(rng.randint(0, 12)))
            if exact.search(line + "\n"):
                assert relaxed.search(line), (pattern, line)


SSHD_LIKE_PREF = r"^(?P<mlfid>\S+ sshd\[\d+\]: )?(?:error: )?(?P<content>.+)$"


def test_candidate_keeps_the_line_end_where_the_text_ends_with_the_line():
    fail = expand_tags(r"^Disconnected from <HOST>(?: port \d+)?\s*$")
    cand = candidate_pattern(fail, SSHD_LIKE_PREF)
    assert cand.endswith("$")
    assert re.search(cand, "h sshd[1]: Disconnected from 192.0.2.1 port 22")
    assert re.search(cand, "h sshd[1]: Disconnected from 192.0.2.1  ")
    # <HOST> takes "user" as a host name; what follows it does not fit
    assert not re.search(cand, "h sshd[1]: Disconnected from user alice 192.0.2.1 port 22")
    # and without a prefregex, the failregex's text is the line's
    assert candidate_pattern(fail).endswith("$")
    # the scans hold the anchor as the line's end too
    lines = [
        "h sshd[1]: Disconnected from user alice 192.0.2.1 port 22",
        "h sshd[1]: Disconnected from 192.0.2.1 port 22",
    ]
    data = "".join(line + "\n" for line in lines).encode()
    for engine in ("hyperscan", "regex"):
        found, count, _ = compile_patterns([(0, cand)], engine).candidate_lines(data)
        assert [line for line, _, _ in found] == [1], engine
        assert count == 2


def test_candidate_leaves_the_line_end_out_where_the_text_may_end_earlier():
    fail = expand_tags(r"^Disconnected from <HOST>\s*$")
    # dates may be cut from the middle (or the end) of lines
    assert not candidate_pattern(fail, SSHD_LIKE_PREF, junctions=True).endswith("$")
    # the content stops before the line's end
    pref = r"^(?P<mlfid>\S+ sshd\[\d+\]: )(?P<content>.+) \[preauth\]$"
    assert not candidate_pattern(fail, pref).endswith("$")
    # a prefregex without a top-level content group
    assert not candidate_pattern(fail, r"^\S+ (?:(?P<content>.+)|x)$").endswith("$")
    # multi-line texts
    assert not candidate_pattern(fail, multiline=True).endswith("$")
    # a failregex whose end is not anchored, or anchored inside a branch only
    assert not candidate_pattern(r"^Disconnected from \S+", SSHD_LIKE_PREF).endswith("$")
    assert not candidate_pattern(r"^x(?:a$|b)", SSHD_LIKE_PREF).endswith("$")


@pytest.mark.parametrize(
    "failregex",
    [r"^a\s+b$", r"b\s$", r"(?:a|b )\s*$", r"(?s)a.$", r"b\s\Z", r"(?m)ab$", r"^(?:ab)+\d?\s*\Z"],
)
def test_candidate_with_its_line_end_is_a_superset_on_random_lines(failregex):
    # the exact two steps as the filter takes them: the prefregex on the line
    # and its "\n", then the failregex on the content and its "\n"
    rng = random.Random(11)
    pref, fail = re.compile(SSHD_LIKE_PREF), re.compile(failregex)
    cand = re.compile(candidate_pattern(failregex, SSHD_LIKE_PREF))
    alphabet = "ab \t0123456789"
    matched = 0
    for _ in range(3000):
        head = rng.choice(["", "h sshd[1]: ", "h sshd[1]: error: "])
        line = head + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
        found = pref.search(line + "\n")
        if found and fail.search(found.group("content") + "\n"):
            assert cand.search(line), (failregex, line)
            matched += 1
    assert matched  # (the lines drawn do reach the failregex)
