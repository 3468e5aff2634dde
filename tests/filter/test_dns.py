"""Failure ids (Address) against fail2ban's IPAddr, and usedns resolution."""

from __future__ import annotations

import pickle

import pytest

from hyperban.filter.dns import (
    CIDR_RAW,
    CIDR_UNSPEC,
    FAM_IPV4,
    FAM_IPV6,
    Address,
    ExpiringCache,
    Resolver,
    normalize_usedns,
)

TEXTS = [
    "192.0.2.1",
    "192.0.2.1/24",
    "192.0.2.1/255.255.255.0",
    "010.1.2.3",
    "999.1.1.1",
    "2001:DB8::1",
    "2001:db8:0:0:0:0:0:1",
    "::ffff:192.0.2.7",
    "[2001:db8::5]",
    "fe80::/10",
    "2001:db8::1/64",
    "example.com",
    "",
    "1.2.3.4/0",
    "1.2.3.4/33",
    "::",
    "::1",
    "1.2.3",
]
CIDRS = [CIDR_UNSPEC, CIDR_RAW, FAM_IPV4, FAM_IPV6, 24, 0]


def test_address_text_and_validity_match_fail2ban(f2b):
    cases = [[t, c] for t in TEXTS for c in CIDRS]
    theirs = f2b(
        "from fail2ban.server.ipdns import IPAddr\n"
        "result = []\n"
        "for t, c in data:\n"
        "    try:\n"
        "        ip = IPAddr(t, c)\n"
        "        result.append([str(ip), ip.isValid, ip.isSingle])\n"
        "    except Exception as e:\n"
        "        result.append(['error'])\n",
        cases,
    )
    ours = []
    for t, c in cases:
        try:
            a = Address(t, c)
            ours.append([str(a), a.is_valid, a.is_single])
        except ValueError:
            ours.append(["error"])
    assert ours == theirs


def test_address_equality_matches_fail2ban(f2b):
    pairs = [[a, b] for a in TEXTS[:12] for b in TEXTS[:12]]
    theirs = f2b(
        "from fail2ban.server.ipdns import IPAddr\n"
        "result = []\n"
        "for a, b in data:\n"
        "    try: result.append(IPAddr(a) == b)\n"
        "    except Exception: result.append(None)\n",
        pairs,
    )
    ours = []
    for a, b in pairs:
        try:
            ours.append(Address(a) == b)
        except ValueError:
            ours.append(None)
    assert ours == theirs
    assert Address("x", CIDR_RAW) == "x"


def test_resolver_modes():
    calls = []

    def lookup(name):
        calls.append(name)
        return {"good.example": ["192.0.2.9", "2001:db8::9", "192.0.2.9"]}.get(name, [])

    r = Resolver(lookup)
    assert [str(a) for a in r.text_to_ips("good.example", "yes")] == ["192.0.2.9", "2001:db8::9"]
    assert [str(a) for a in r.text_to_ips("good.example", "warn")] == ["192.0.2.9", "2001:db8::9"]
    assert calls == ["good.example"]  # cached
    assert r.text_to_ips("good.example", "no") == []
    assert [str(a) for a in r.text_to_ips("192.0.2.3", "no")] == ["192.0.2.3"]
    assert r.text_to_ips("bad.example", "yes") == []


def test_usedns_values():
    assert normalize_usedns(True) == "yes"
    assert normalize_usedns("WARN") == "warn"
    assert normalize_usedns("bogus") == "no"


def test_expiring_cache():
    now = [0.0]
    c = ExpiringCache(max_count=2, max_time=10, clock=lambda: now[0])
    c.set("a", 1)
    c.set("b", 2)
    c.set("c", 3)  # evicts "a" (FIFO)
    assert c.get("a") is None and c.get("b") == 2 and c.get("c") == 3
    now[0] = 11
    assert c.get("b") is None


@pytest.mark.parametrize("text", ["192.0.2.1", "2001:db8::1", "host"])
def test_address_cache(text):
    assert Address.of(text) is Address.of(text)


@pytest.mark.parametrize("text", ["192.0.2.1", "2001:db8::1", "10.0.0.0/8", "host"])
def test_address_hash_is_cached_but_not_pickled(text):
    address = Address(text)
    assert hash(address) == hash(str(address)) == hash(address)  # the cached value
    copy = pickle.loads(pickle.dumps(address))
    # str hashes differ between processes: the copy hashes its text again
    assert copy._hash is None
    assert copy == address and hash(copy) == hash(address) and str(copy) == str(address)
    assert {address: 1}[copy] == 1
