"""``name[k=v]`` parsing, spec-list splitting and time spans against fail2ban, on
hand-picked inputs plus a few thousand pseudo-random ones (fixed seed)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from config_oracle import needs_oracle, oracle_ok, run_oracle

from hyperban.config import OptionSyntaxError, extract_options, parse_time, split_with_options
from hyperban.server.clock import seconds_text

pytestmark = needs_oracle

_HAND_SPECS = [
    "mail-whois[name=SSH]",
    "mail.who_is",
    "mail.who_is[a=cat,b=dog]",
    "mail--ho_is",
    "mail[a=',']",
    "mail[a=b, ]",
    "mail-how[",
    'mail[a="test with interim (wrong) "" quotes"]',
    "mail[a='test with interim (wrong) '' quotes']",
    "mail[a='x, y, z', b=x, y, z]",
    "mail['s']",
    "abc[]",
    'option[opt01=abc,opt02="123",opt03="with=okay?",opt04="andwith,okay...",'
    'opt05="how about spaces",opt06="single\'in\'double",opt07=\'double"in"single\','
    "  opt08= leave some space, opt09=one for luck, opt10=, opt11=]",
    'option[opt01=abc][opt02="123"][opt03="with=okay?"]',
    'sshd[mode=aggressive, logtype="journal"]',
    "a[x=1] ",
    "a[x=1]b",
    "a [x=1]",
    'a[x="1"\n]',
    'a[x="1",\n y=2]',
    "a[x=1]]",
    "[x=1]",
    "",
    " ",
    'a[x="y][z"]',
    "a[x='y\nz']",
    "a[x=1,,y=2]",
    "a[ x = 1 ]",
    "a[x=1][ ]",
    "a[x==1]",
    "a[é=ü]",
]

_HAND_LISTS = [
    "a b",
    "a\nb",
    "a\tb",
    "a[x=y] b",
    "a[x=y][z=z] b",
    'a[x="y][z"] b',
    'a[x="y z"] b',
    'a[x="y\tz"] b',
    'a[x="y\nz"] b',
    "a[x=1]b c",
    "a[x=1]]  c",
    "  leading\n\n  trailing  ",
    'iptables-multiport[port="ssh", protocol="tcp", chain="<known/chain>"]\n'
    'sendmail-whois-lines[sender="f@x", dest="root", logpath="/var/log/a.log\n/var/log/b.log",'
    ' chain="<known/chain>"]',
    "act[a=1,\n   b=2]\nother",
    'a[x="1"2] b',
    "[x] y",
    "a[x=1 y=2] z",
]

_HAND_TIMES = [
    "10m",
    "1h",
    "1d",
    "1w",
    "-1",
    "600",
    "1d12h",
    "1h 30m",
    "0d 1h 30m",
    "1hour+30min",
    "1year-6mo",
    "6 months",
    "1 2 3",
    "1mo",
    "1month",
    "2 weeks",
    "1y",
    "3 yy",
    "7dd",
    "1M",
    "1H",
    "10 min 5 sec",
    "1.5h",
    "(1+2)*3m",
    "1e3",
    "abc",
    "",
    "1d x",
    "5 s",
    "1ss",
    "2hh",
    "3mm",
    "4ww",
    "1da",
    "1wee",
    "1yea",
    "1sec",
    "1hou",
    "1mon",
    "0x10",
    "10//3",
    "7/2",
    "-5m",
    "+5m",
    "2**3",
    "1days",
    "1 day",
    "1m1s",
    "1s1m",
]


def _random_specs(rng: random.Random, count: int) -> list[str]:
    atoms = [
        "a",
        "b",
        "x1",
        "é",
        "[",
        "]",
        "=",
        ",",
        '"',
        "'",
        " ",
        "\n",
        "\t",
        "-",
        ".",
        "_",
        "][",
        "k=v",
        'k="v, w"',
        "k='v]'",
        "<known/x>",
        "%",
    ]
    out = []
    for _ in range(count):
        if rng.random() < 0.5:
            # mostly well-formed: name[k=v, k2="..."]
            parts = []
            for i in range(rng.randint(0, 4)):
                val = rng.choice(["1", "v w", "", "a,b", "x]y", "q'q", 'q"q', " s ", "n\nl"])
                quote = rng.choice(["", '"', "'"])
                parts.append(f"k{i}={quote}{val}{quote}")
            sep = rng.choice([",", ", ", "][", ",\n "])
            tail = rng.choice(["", " ", "\n", "x", "]"])
            out.append(rng.choice(["act", "a-b.c", "n"]) + "[" + sep.join(parts) + "]" + tail)
        else:
            out.append("".join(rng.choice(atoms) for _ in range(rng.randint(0, 10))))
    return out


def _random_lists(rng: random.Random, count: int) -> list[str]:
    specs = _random_specs(rng, count * 3)
    return [
        rng.choice([" ", "\n", "\n  ", "\t", "  "]).join(specs[i * 3 : i * 3 + rng.randint(1, 3)])
        for i in range(count)
    ]


def _random_times(rng: random.Random, count: int) -> list[str]:
    atoms = [
        "1",
        "10",
        "0",
        "5",
        "d",
        "h",
        "m",
        "s",
        "w",
        "mo",
        "y",
        "min",
        "sec",
        "hour",
        "days",
        " ",
        "  ",
        "+",
        "-",
        "*",
        "(",
        ")",
        "dd",
        "mm",
        "yy",
        ".5",
        "3",
    ]
    units = [
        "",
        "s",
        "sec",
        "m",
        "min",
        "minutes",
        "h",
        "hours",
        "d",
        "day",
        "days",
        "w",
        "wee",
        "mo",
        "mon",
        "month",
        "y",
        "year",
        "ss",
        "mm",
        "hh",
        "dd",
        "ww",
        "yy",
        "M",
        "H",
        "D",
    ]
    out = []
    for _ in range(count):
        if rng.random() < 0.6:
            groups = [
                rng.choice(["1", "2", "10", "0", "1.5", "36"])
                + rng.choice(["", " "])
                + rng.choice(units)
                for _ in range(rng.randint(1, 3))
            ]
            out.append(rng.choice([" ", "+", "-", "", "  "]).join(groups))
        else:
            out.append("".join(rng.choice(atoms) for _ in range(rng.randint(1, 6))))
    return out


_RNG = random.Random(20240601)
SPECS = _HAND_SPECS + _random_specs(_RNG, 2500)
LISTS = _HAND_LISTS + _random_lists(_RNG, 1500)
TIMES = _HAND_TIMES + _random_times(_RNG, 2500)


def _mine_extract(value: str) -> dict[str, Any]:
    try:
        name, opts = extract_options(value)
    except OptionSyntaxError as exc:
        return {"error": f"ValueError: {exc}"}
    return {"ok": [name, opts]}


def test_extract_options_matches_fail2ban() -> None:
    expected = run_oracle([{"kind": "extract", "values": SPECS}])[0]["ok"]
    mismatches = [
        (v, e, _mine_extract(v))
        for v, e in zip(SPECS, expected, strict=True)
        if _mine_extract(v) != e
    ]
    assert mismatches == []
    assert sum(1 for e in expected if "ok" in e) > 500  # both outcomes well represented
    assert sum(1 for e in expected if "error" in e) > 500


def test_split_with_options_matches_fail2ban() -> None:
    expected = run_oracle([{"kind": "split", "values": LISTS}])[0]["ok"]
    mismatches = [
        (v, e, split_with_options(v))
        for v, e in zip(LISTS, expected, strict=True)
        if split_with_options(v) != e
    ]
    assert mismatches == []


def _mine_time(value: str) -> dict[str, Any]:
    try:
        return {"ok": parse_time(value)}
    except ValueError:
        return {"error": True}


def test_parse_time_matches_fail2ban() -> None:
    expected = run_oracle([{"kind": "time", "values": TIMES}])[0]["ok"]
    mismatches = []
    for value, want in zip(TIMES, expected, strict=True):
        got = _mine_time(value)
        if ("ok" in want) != ("ok" in got) or ("ok" in want and want["ok"] != got["ok"]):
            mismatches.append((value, want, got))
    assert mismatches == []
    assert sum(1 for e in expected if "ok" in e) > 500


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("10m", 600),
        ("1h", 3600),
        ("1d", 86400),
        ("1w", 604800),
        ("-1", -1),
        ("1d12h", 129600),
        ("1h 30m", 5400),
        ("1hour+30min", 5400),
        ("600", 600),
        ("1year-6mo", 15778800),
        ("1mo", 2629800),
        ("1y", 31557600),
        (90, 90),
    ],
)
def test_parse_time_examples(text: str | int, seconds: float) -> None:
    assert parse_time(text) == seconds


@pytest.mark.parametrize("text", ["abc", "", "1d x", "__import__('os')", "1 2 3", "2**999"])
def test_parse_time_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_time(text)


@needs_oracle
def test_durations_print_as_fail2ban_prints_them() -> None:
    """The ban times in log lines ("Increase Ban ... (2 # 1h -> ...)"): fail2ban's
    rounding to three units at most, on every boundary and on random values."""
    rng = random.Random(7)
    edges = [0, 1, 59, 60, 61, 61.5, 120, 3594, 3595, 3599, 3600, 3605, 7199, 86399, 86400]
    edges += [86400 * 2 + 3599, 604799, 604800, 86400 * 365.5, 86400 * 368, 86400 * 390]
    values = edges + [rng.uniform(0, 4e8) for _ in range(3000)]
    values += [rng.randint(0, 200_000) for _ in range(3000)] + [
        rng.uniform(0, 4000) for _ in range(500)
    ]
    expected = oracle_ok({"kind": "duration", "values": values})
    assert [seconds_text(v) for v in values] == expected
