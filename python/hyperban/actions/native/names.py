"""Firewall object names derived from a jail name.

Jail names may hold characters a firewall tool does not take in a name (or that a script
would read as syntax).  Those are replaced, and a short checksum of the original keeps two
jails whose names only differ there apart.  ipset names are limited to 31 characters.
"""

from __future__ import annotations

import re
import zlib

__all__ = ["safe_name"]

_BAD = re.compile(r"[^A-Za-z0-9_-]")


def safe_name(name: str, *, limit: int = 64) -> str:
    """``name`` if it is a plain identifier within ``limit``, else a safe look-alike."""
    clean = _BAD.sub("_", name)
    if clean[:1].isalpha() and clean == name and len(clean) <= limit:
        return clean
    tag = f"{zlib.crc32(name.encode()):08x}"[:6]
    head = clean if clean[:1].isalpha() else "j" + clean
    return f"{head[: limit - len(tag) - 1]}-{tag}"
