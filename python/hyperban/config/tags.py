"""Recursive ``<tag>`` substitution among definition options (read-time).

fail2ban lets filter and action definitions refer to each other's options as ``<name>``
(and to other sections as ``<section/name>``, to overridden values as ``<known/name>``).
When a filter or action is read, every option value gets the tags that name other known
options replaced, recursively, until nothing more can be replaced.  Tags that name no
known option (``<HOST>``, ``<ip>``, ``<F-USER>``, ``<matches>``...) are left in place for
the later stages.  A tag that ends up referring to itself is an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from .errors import TagSubstitutionError
from .ini import Origin

__all__ = ["MAX_TAG_REPLACE_COUNT", "MAX_VALUE_LENGTH", "TAG_RE", "substitute_recursive_tags"]

# How many times one tag may be replaced within one value (guards against recursion
# through chains of tags that grow).
MAX_TAG_REPLACE_COUNT = 25
# Longest value substitution may produce (tags referring to each other several times
# can otherwise grow a value exponentially).
MAX_VALUE_LENGTH = 16 * 1024 * 1024

# A tag: '<', a name without blanks or angle brackets, '>'.
TAG_RE = re.compile(r"<([^ <>]+)>")


def substitute_recursive_tags(
    tags: Mapping[str, str | None],
    *,
    conditional: str = "",
    ignore: Iterable[str] = (),
    lookup: Callable[[str], str | None] | None = None,
    origin_of: Callable[[str], Origin | None] | None = None,
) -> dict[str, str | None]:
    """Replace ``<tag>`` references between the values of ``tags``.

    ``ignore`` names tags that are neither substituted in nor expanded themselves.
    ``conditional`` (e.g. ``"family=inet6"``) prefers ``tag?conditional`` values.
    ``lookup`` resolves names not in ``tags`` (e.g. other options of the definition
    file); returning None leaves the tag in place.  ``origin_of`` only serves to say
    where a failing definition was written.

    Returns a new dict in the same key order; ``tags`` itself is not modified.
    """
    result: dict[str, str | None] = dict(tags)
    skip = set(ignore)
    finished: set[str] = set()
    counts_of: dict[str, dict[str, int]] = {}
    search = TAG_RE.search

    while True:
        again = False
        for tag in list(result):
            if tag in skip or tag in finished:
                continue
            raw = result[tag]
            original = value = str(raw)
            counts = counts_of.get(tag, {})
            match = search(value)
            while match:
                ref = match.group(1)
                if ref in skip:
                    match = search(value, match.end())
                    continue
                if ref == tag or counts.get(ref, 1) > MAX_TAG_REPLACE_COUNT:
                    origin = origin_of(tag) if origin_of else None
                    raise TagSubstitutionError(
                        f"properties contain self referencing definitions and cannot be "
                        f"resolved, fail tag: {tag}, found: {ref} in {counts}, value: {value}",
                        origin.file if origin else None,
                        origin.line if origin else None,
                    )
                replacement: str | None = None
                if conditional:
                    replacement = result.get(f"{ref}?{conditional}")
                if replacement is None:
                    replacement = result.get(ref)
                    if replacement is None and lookup is not None:
                        replacement = lookup(ref)
                if replacement is None:
                    match = search(value, match.end())
                    continue
                value = value.replace(f"<{ref}>", str(replacement))
                if len(value) > MAX_VALUE_LENGTH:
                    # fail2ban would go on until memory runs out.
                    origin = origin_of(tag) if origin_of else None
                    raise TagSubstitutionError(
                        f"substituting tags in {tag!r} grows it beyond {MAX_VALUE_LENGTH} "
                        f"characters (recursive definitions through <{ref}>?)",
                        origin.file if origin else None,
                        origin.line if origin else None,
                    )
                counts[ref] = counts.get(ref, 0) + 1
                match = search(value, match.start())
            if value != original:
                if search(value):
                    counts_of[tag] = counts
                    again = True
                result[tag] = value
            if "<" not in value:
                finished.add(tag)
        if not again:
            return result
