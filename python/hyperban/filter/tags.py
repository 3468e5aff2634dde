"""fail2ban's regex tags (``<HOST>``, ``<F-USER>…</F-USER>``, ``<SKIPLINES>``, …).

A failregex, ignoreregex or prefregex in a filter file is written with tags
that fail2ban replaces by regular expressions before compiling.  The groups
they introduce have fixed names that the failure logic reads back:

* ``ip4``, ``ip6``, ``dns`` — the address forms of ``<HOST>`` and friends;
* ``cidr`` — a prefix length (``<CIDR>``, ``<SUBNET>``);
* ``fid`` — the failure id (``<F-ID>``, also ``<F-ID/>``), ``fport``
  (``<F-PORT/>``);
* any ``<F-NAME>…</F-NAME>`` becomes the group ``name`` (lower-cased; ``id``
  and ``port`` map to ``fid``/``fport``);
* ``skiplinesN`` — the lines skipped by the N-th ``<SKIPLINES>``.

``<HOST>`` accepts host names only when DNS use is allowed
(``usedns`` other than ``no``).  Unknown tags are left as written, and so is a
closing ``</F-NAME>`` that was never opened.
"""

from __future__ import annotations

import re

__all__ = [
    "ADDR_RE",
    "CIDR_RE",
    "DNS_RE",
    "FAILURE_ID_GROUPS",
    "HOST_RE",
    "IP4_GROUP_RE",
    "IP4_RE",
    "IP6_GROUP_RE",
    "IP6_RE",
    "SUBNET_RE",
    "expand_tags",
    "localize_global_flags",
]

#: A dotted quad, loosely (octet range is checked when the address is parsed).
IP4_RE = r"(?:\d{1,3}\.){3}\d{1,3}"
#: An IPv6 address in any of its abbreviated spellings.
IP6_RE = r"(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|(?<=:):)"

# The group-carrying forms.  An IPv4 address may come IPv4-mapped (::ffff:a.b.c.d).
IP4_GROUP_RE = r"(?:::f{4,6}:)?(?P<ip4>" + IP4_RE + ")"
IP6_GROUP_RE = "(?P<ip6>" + IP6_RE + ")"
DNS_RE = r"(?P<dns>[\w\-.^_]*\w)"
CIDR_RE = r"(?P<cidr>\d+)"
ADDR_RE = r"\[?(?:" + IP4_GROUP_RE + "|" + IP6_GROUP_RE + r")\]?"
HOST_RE = "(?:" + ADDR_RE + "|" + DNS_RE + ")"
SUBNET_RE = r"\[?(?:" + IP4_GROUP_RE + "|" + IP6_GROUP_RE + ")(?:/" + CIDR_RE + r")?\]?"

# Tags with a fixed replacement (``<X>`` and the self-closing ``<F-X/>``).
_FIXED: dict[str, str] = {}
for _names, _regex in (
    (("IP4", "F-IP4/"), IP4_GROUP_RE),
    (("IP6", "F-IP6/"), IP6_GROUP_RE),
    (("ADDR", "F-ADDR/"), ADDR_RE),
    (("CIDR", "F-CIDR/"), CIDR_RE),
    (("SUBNET", "F-SUBNET/"), SUBNET_RE),
    (("DNS", "F-DNS/"), DNS_RE),
    (("F-ID/",), r"(?P<fid>\S+)"),
    (("F-PORT/",), r"(?P<fport>\w+)"),
):
    for _name in _names:
        _FIXED[_name] = _regex

#: Groups that identify a failure, in the order they are looked up.
FAILURE_ID_GROUPS = ("fid", "ip4", "ip6", "dns")

# Group-name aliases of ``<F-NAME>`` tags.
_GROUP_ALIASES = {"id": "fid", "port": "fport"}

_TAG = re.compile(r"</?[\w\-]+/?>")
_CUSTOM = re.compile(r"(/?)F-([A-Z0-9_\-]+)")
# ``((?i)x)`` / ``(?:(?i)x)`` -> ``(?i:x)``: Python 3.11 refuses global flags
# that are not at the very start of a pattern.
_GLOBAL_FLAG_GROUP = re.compile(r"(?<!\\)\((?:\?:)?(\(\?[a-z]+)\)")


def group_name(tag_name: str) -> str:
    """The regex group name of an ``<F-NAME>`` tag (``USER`` -> ``user``)."""
    lowered = tag_name.lower()
    return _GROUP_ALIASES.get(lowered, lowered)


def expand_tags(regex: str, usedns: str = "yes") -> str:
    """Replace fail2ban's tags in ``regex`` by regular expressions."""
    opened: set[str] = set()
    skiplines = 0

    def replace(found: re.Match[str]) -> str:
        nonlocal skiplines
        tag = found.group()
        name = tag[1:-1]
        if name == "HOST":
            return ADDR_RE if usedns == "no" else HOST_RE
        if name == "SKIPLINES":
            index = skiplines
            skiplines += 1
            return rf"\n(?P<skiplines{index}>(?:(?:.*\n)*?))"
        fixed = _FIXED.get(name)
        if fixed is not None:
            return fixed
        custom = _CUSTOM.fullmatch(name)
        if custom is None:
            return tag
        closing, custom_name = custom.groups()
        if closing:
            return ")" if custom_name in opened else tag
        opened.add(custom_name)
        return f"(?P<{group_name(custom_name)}>"

    return _TAG.sub(replace, regex)


def localize_global_flags(regex: str) -> str:
    """Turn a parenthesised global flag (``((?i)x)``) into a local one (``(?i:x)``)."""
    return _GLOBAL_FLAG_GROUP.sub(r"\1:", regex)
