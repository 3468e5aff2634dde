"""Reads fail2ban's filter test corpus: sample logs with ``# failJSON:`` lines.

A sample log ``tests/files/logs/NAME`` holds log lines for filter ``NAME``,
each (usually) preceded by a ``# failJSON: {...}`` line telling what the
filter must find on it.  Other directives:

* ``# filterOptions: {...}`` or ``[{...}, ...]`` — from here on, run the lines
  through the filter with each of these option sets (a *variant*; keys
  ``test.*`` are test controls, not filter options: ``test.condition`` a
  Python expression on ``name`` that disables the block when false,
  ``test.prefix-line`` a prefix for journal lines, ``test.filter-name``);
* ``# fileOptions: {...}`` — options merged into every later variant;
* ``# addFILE: "NAME"`` — also read ``logs/NAME`` after this file.

A variant's filter keeps its state (multi-line buffers, ``F-MLFID``
sessions) over all of its lines, in file order.  Non-comment lines without a
``failJSON`` must not match.  This module turns that into a list of
:class:`Variant` objects, one per distinct option set of a filter.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field

import pytest

F2B_TESTS = "/usr/lib/python3/dist-packages/fail2ban/tests"
LOGS_DIR = os.path.join(F2B_TESTS, "files", "logs")
TEST_CONFIG_DIR = os.path.join(F2B_TESTS, "config")
CONFIG_DIR = "/etc/fail2ban"


def fail2ban_installed() -> bool:
    """Debian's fail2ban package has installed its filters in CONFIG_DIR."""
    return os.path.isdir(os.path.join(CONFIG_DIR, "filter.d"))


#: Skips a module's tests where Debian's fail2ban package is not installed.
needs_fail2ban = pytest.mark.skipif(
    not fail2ban_installed(), reason="Debian's fail2ban package is not installed"
)
#: fail2ban's test "now": 2005-08-14 12:00:00 CEST.
TEST_NOW = 1124013600
#: The zone fail2ban's test suite runs in (Europe/Zurich rules).
TEST_TZ = "CET-01CEST-02,M3.5.0,M10.5.0"
TEST_NOW_STR = "2005-08-14T10:00:00"

_DIRECTIVE = re.compile(r"^#+ ?(failJSON|(?:file|filter)Options|addFILE):(.+)$")


@dataclass
class Entry:
    """One log line to run through a variant's filter."""

    file: str
    lineno: int
    line: str
    expect: dict[str, object]
    opts: dict[str, object]


@dataclass
class Variant:
    filter: str
    basedir: str
    key: str  # unique name: filter name + str(options)
    options: dict[str, str]  # filter options (no test.* keys)
    entries: list[Entry] = field(default_factory=list)

    @property
    def journal(self) -> bool:
        return self.options.get("logtype") == "journal"


_TEST_TREE: str | None = None


def test_filter_tree() -> str:
    """A config tree holding fail2ban's ``zzz-*`` test filters, runnable.

    Their ``before = ../../../../../../../config/filter.d/common.conf`` points
    into fail2ban's source tree, which the Debian package does not have (so
    fail2ban's own test of them errors out there).  The copies made here
    include the stock ``common.conf`` instead; nothing else changes.
    """
    global _TEST_TREE
    if _TEST_TREE is None:
        root = tempfile.mkdtemp(prefix="hyperban-f2b-test-filters-")
        target = os.path.join(root, "filter.d")
        os.makedirs(target)
        shutil.copy(os.path.join(CONFIG_DIR, "filter.d", "common.conf"), target)
        source = os.path.join(TEST_CONFIG_DIR, "filter.d")
        for fname in os.listdir(source):
            if fname.startswith("zzz-") and fname.endswith(".conf"):
                with open(os.path.join(source, fname), encoding="utf-8") as fh:
                    text = fh.read()
                text = re.sub(r"(?m)^(before\s*=\s*).*common\.conf\s*$", r"\1common.conf", text)
                with open(os.path.join(target, fname), "w", encoding="utf-8") as fh:
                    fh.write(text)
        atexit.register(shutil.rmtree, root, True)
        _TEST_TREE = root
    return _TEST_TREE


def filters_with_samples() -> list[tuple[str, str]]:
    """``(filter name, config dir)`` of every filter that has a sample log:
    Debian's stock filters, then fail2ban's own test filters (``zzz-*``, from
    :func:`test_filter_tree`)."""
    found: list[tuple[str, str]] = []
    for basedir, accept in (
        (CONFIG_DIR, lambda f: f.endswith(".conf") and not f.endswith("common.conf")),
        (TEST_CONFIG_DIR, lambda f: f.startswith("zzz-") and f.endswith(".conf")),
    ):
        directory = os.path.join(basedir, "filter.d")
        if not os.path.isdir(directory):
            continue
        for fname in sorted(os.listdir(directory)):
            name = fname.rpartition(".")[0]
            if (
                accept(fname)
                and not name.startswith(".")
                and os.path.isfile(os.path.join(LOGS_DIR, name))
            ):
                found.append((name, basedir if basedir == CONFIG_DIR else test_filter_tree()))
    return found


def _read_lines(path: str) -> list[str]:
    with open(path, "rb") as fh:
        data = fh.read()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    out = []
    for raw in lines:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("utf-8", "replace")
        out.append(text.rstrip("\r\n"))
    return out


def _condition(expression: str, name: str, opts: dict[str, object]) -> bool:
    return bool(eval(expression, {"__builtins__": {}}, {"name": name, "opts": opts}))


def read_variants(name: str, basedir: str) -> list[Variant]:
    """Every variant of filter ``name`` with the lines it must process."""
    variants: dict[str, Variant] = {}
    filenames = [name]
    common: dict[str, object] = {}
    current: list[tuple[str, dict[str, object]]] | None = None
    index = 0

    def variant(key: str, options: dict[str, object]) -> Variant:
        found = variants.get(key)
        if found is None:
            found = variants[key] = Variant(
                name, basedir, key, {k: str(v) for k, v in options.items()}
            )
        return found

    while index < len(filenames):
        filename = filenames[index]
        index += 1
        lines = _read_lines(os.path.join(LOGS_DIR, filename))
        ignore_block = False
        position = 0
        while position < len(lines):
            line = lines[position]
            lineno = position + 1
            position += 1
            directive = _DIRECTIVE.match(line)
            if directive:
                kind, payload = directive.groups()
                data = json.loads(payload)
                if kind == "fileOptions":
                    common = data
                    continue
                if kind == "filterOptions":
                    current = []
                    ignore_block = False
                    for one in data if isinstance(data, list) else [data]:
                        opts = {**common, **one} if common else one
                        if opts.get("test.condition"):
                            ignore_block = not _condition(opts["test.condition"], name, opts)
                        if not ignore_block:
                            options = {k: v for k, v in opts.items() if not k.startswith("test.")}
                            key = opts.get("test.filter-name") or (str(options) if options else "")
                            key = name + str(key)
                            variant(key, options)
                            current.append((key, opts))
                    continue
                if kind == "addFILE":
                    filenames.append(data)
                    continue
                expect = data
                if position >= len(lines):
                    break
                line = lines[position]
                lineno = position + 1
                position += 1
            elif ignore_block or line.startswith("#") or not line.strip():
                continue
            else:
                expect = {}
            if ignore_block:
                continue
            if not current:
                variant(name, {})
                current = [(name, {})]
            for key, opts in current:
                variants[key].entries.append(Entry(filename, lineno, line, expect, opts))
    return list(variants.values())


def all_variants(*, journal: bool = True) -> list[Variant]:
    """Every variant of every filter with a sample log, in
    :func:`filters_with_samples` order; none where Debian's fail2ban is not
    installed. ``journal=False`` leaves out the variants that read the
    systemd journal (a file-based run cannot give them their lines)."""
    if not fail2ban_installed():
        return []
    return [
        variant
        for name, basedir in filters_with_samples()
        for variant in read_variants(name, basedir)
        if journal or not variant.journal
    ]
