"""Run-time tag substitution in action commands, in fail2ban's two stages.

1. **Configuration stage** (fail2ban's ``replaceTag``): ``<name>`` tags naming the action's
   parameters and commands are replaced, recursively, by their values as written -- they
   are the configuration's own shell text and are not escaped.  With an address family,
   ``name?family=inet6`` parameters win over ``name``.  ``<br>`` (newline), ``<sp>``
   (space), ``<fq-hostname>`` and ``<sh-hostname>`` (this host's names) are filled in when
   no parameter has that name.  ``<matches>``, ``<ipmatches>``, ``<ipjailmatches>`` and
   ``<bantime>`` are never parameters here: they always come from the ban.
2. **Ban stage** (fail2ban's ``replaceDynamicTags``): tags naming a key of ``aInfo``
   (``<ip>``, ``<family>``, ``<fid>``, ``<matches>``...) and capture tags ``<F-NAME>`` are
   replaced, once, without recursion, by values written for their shell context (see
   :mod:`.shell_quote`).  A capture the ticket does not have becomes empty; other unknown
   tags stay as written.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from ..config.tags import TAG_RE, substitute_recursive_tags
from .info import data_key_of_tag
from .shell_quote import substitute

__all__ = ["CAPTURE_TAG_RE", "MAX_TAG_REPLACE_COUNT", "render", "resolve_config_tags"]

# fail2ban: <F-NAME> with an upper-case name.
CAPTURE_TAG_RE = re.compile(r"F-([A-Z0-9_\-]+)")
MAX_TAG_REPLACE_COUNT = 25
# Values that only the ban can give (never taken from the parameters).
_BAN_ONLY = frozenset({"matches", "ipmatches", "ipjailmatches", "bantime"})


@lru_cache(maxsize=2)
def _hostname(fqdn: bool) -> str:
    name = socket.getfqdn() if fqdn else socket.gethostname().split(".")[0]
    return name or socket.gethostname()


_EXTRA_TAGS = {
    "br": lambda: "\n",
    "sp": lambda: " ",
    "fq-hostname": lambda: _hostname(True),
    "sh-hostname": lambda: _hostname(False),
}


def resolve_config_tags(template: str, properties: Mapping[str, str], family: str = "") -> str:
    """Stage 1: the template with the configuration's tags replaced.

    Raises :class:`hyperban.config.errors.TagSubstitutionError` (a ``ValueError``) on
    self-referencing definitions.
    """
    if "<" not in template:
        return template
    conditional = f"family={family}" if family else ""
    props = {k: v for k, v in properties.items() if k.split("?", 1)[0] not in _BAN_ONLY}
    resolved = substitute_recursive_tags(props, conditional=conditional, ignore=_BAN_ONLY)

    def value_of(match: re.Match[str]) -> str:
        tag = match.group(1)
        value = resolved.get(f"{tag}?{conditional}") if conditional else None
        if value is None:
            value = resolved.get(tag)
        if value is None:
            extra = _EXTRA_TAGS.get(tag)
            return extra() if extra else match.group(0)
        return str(value)

    query = template
    for _ in range(MAX_TAG_REPLACE_COUNT + 1):
        value = TAG_RE.sub(value_of, query)
        if value == query or "<" not in value:
            return value
        query = value
    raise ValueError(
        f"unexpected too long replacement interpolation, possible self referencing "
        f"definitions in query: {template}"
    )


def render(template: str, info: Mapping[str, Any]) -> str:
    """Stage 2: the ban's values, each written for its shell context."""
    if "<" not in template:
        return template
    data = info.get("F-*") if "F-*" in info else None

    def is_tag(name: str) -> bool:
        return name in info or name in _EXTRA_TAGS or bool(CAPTURE_TAG_RE.fullmatch(name))

    def value_of(name: str) -> str:
        if name in info:
            value = info[name]
        elif name in _EXTRA_TAGS:
            value = _EXTRA_TAGS[name]()
        else:
            key = data_key_of_tag(name[2:])
            value = data.get(key) if isinstance(data, Mapping) else None
        return "" if value is None else _text(value)

    return substitute(template, value_of, is_tag)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    if isinstance(value, (list, tuple)):
        return "".join(_text(v) for v in value)
    return str(value)
