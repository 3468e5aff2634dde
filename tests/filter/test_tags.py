"""Tag expansion (<HOST>, <F-…>, <SKIPLINES>, …) against fail2ban's own."""

from __future__ import annotations

import glob
import re

import pytest

from hyperban.filter.regex import FailRegex, Regex, RegexError
from hyperban.filter.tags import expand_tags, localize_global_flags

SAMPLES = [
    "^Failed password for <F-USER>.*</F-USER> from <HOST> port <F-PORT/>",
    "<ADDR> <IP4> <IP6> <DNS> <CIDR> <SUBNET> <F-ID/> <F-IP4/> <F-IP6/> <F-ADDR/>",
    "<F-ID>\\S+</F-ID> <F-PORT>\\d+</F-PORT> <F-ALT_USER1>x</F-ALT_USER1>",
    "</F-USER> stray close, <UNKNOWN> tag, <F-lower>x</F-lower>",
    "a<SKIPLINES>b<SKIPLINES>c",
    "<F-MLFID>x</F-MLFID> <F-NOFAIL><F-MLFFORGET>y</F-MLFFORGET></F-NOFAIL>",
    "((?i)foo) (?:(?i)bar) \\((?i)not\\)",
]


def _stock_regexes() -> list[str]:
    found = []
    for path in sorted(glob.glob("/etc/fail2ban/filter.d/*.conf")):
        with open(path, encoding="utf-8", errors="replace") as fh:
            found += re.findall(r"<[^<>\s]+>", fh.read())
    return sorted(set(found))


@pytest.mark.parametrize("usedns", ["yes", "warn", "no", "raw"])
def test_expansion_matches_fail2ban(f2b, usedns):
    regexes = SAMPLES + _stock_regexes()
    theirs = f2b(
        "from fail2ban.server.failregex import Regex\n"
        "result = [Regex._resolveHostTag(r, useDns=data['usedns']) for r in data['regexes']]",
        {"usedns": usedns, "regexes": regexes},
    )
    assert [expand_tags(r, usedns) for r in regexes] == theirs


def test_global_flags_become_local(f2b):
    cases = ["((?i)foo)", "(?:(?i)bar)x", "\\((?i)x)", "a((?s)b)c"]
    theirs = f2b(
        "from fail2ban.server.failregex import R_GLOB2LOCFLAGS as R\n"
        "result = [R[0].sub(R[1], c) for c in data]",
        cases,
    )
    assert [localize_global_flags(c) for c in cases] == theirs


def test_regex_groups_alt_and_tuple():
    r = Regex("<F-ALT_USER>a+</F-ALT_USER> <F-USER>b*</F-USER> <F-TUPLE_ID>c</F-TUPLE_ID>")
    found = r.compiled.search("aa  c")
    groups = r.groups(found.groupdict())
    assert groups["user"] == "aa"
    assert groups["fid"] == (None, "c")


def test_failregex_needs_an_id():
    with pytest.raises(RegexError, match="No failure-id group"):
        FailRegex("no id here")
    FailRegex("no id here", prefregex=Regex("^(?P<mlfid>x)"))
    with pytest.raises(RegexError, match="empty regex"):
        Regex("   ")
    with pytest.raises(RegexError, match="Unable to compile"):
        Regex("(<HOST>")
