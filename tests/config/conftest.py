"""Shared helpers for the config reader tests: the fail2ban oracle and sample trees."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

# The tests import the installed package; only this folder's helpers
# (sample_tree, the oracle script) come from here.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from sample_tree import write_sample_tree  # noqa: E402

ETC = "/etc/fail2ban"
DEBIAN_PYTHON = "/usr/bin/python3"
F2B_PACKAGE = "/usr/lib/python3/dist-packages/fail2ban"
F2B_TEST_CONFIG = os.path.join(F2B_PACKAGE, "tests", "config")
F2B_SAMPLE_LOGS = os.path.join(F2B_PACKAGE, "tests", "files", "logs")
ORACLE = str(Path(__file__).with_name("f2b_oracle.py"))


def _oracle_available() -> bool:
    if not (os.path.exists(DEBIAN_PYTHON) and os.path.isdir(ETC)):
        return False
    probe = subprocess.run(
        [DEBIAN_PYTHON, "-c", "import fail2ban.client.jailsreader"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


HAVE_ORACLE = _oracle_available()
needs_oracle = pytest.mark.skipif(
    not HAVE_ORACLE, reason="Debian's fail2ban (python3-fail2ban, /etc/fail2ban) is not installed"
)

_cache: dict[str, Any] = {}


def run_oracle(requests: list[dict[str, Any]]) -> list[Any]:
    """Answers of the installed fail2ban to ``requests`` (cached, one process per batch)."""
    keys = [json.dumps(r, sort_keys=True) for r in requests]
    todo = [r for r, k in zip(requests, keys, strict=True) if k not in _cache]
    if todo:
        proc = subprocess.run(
            [DEBIAN_PYTHON, ORACLE],
            input=json.dumps(todo),
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        if proc.returncode != 0:
            raise RuntimeError(f"oracle failed: {proc.stderr[-4000:]}")
        for req, answer in zip(todo, json.loads(proc.stdout), strict=True):
            _cache[json.dumps(req, sort_keys=True)] = answer
    return [_cache[k] for k in keys]


def oracle_ok(request: dict[str, Any]) -> Any:
    """The oracle's result for one request; fails the test if fail2ban raised."""
    answer = run_oracle([request])[0]
    if "error" in answer:
        pytest.fail(f"fail2ban failed on {request}: {answer['error']}")
    return answer["ok"]


@pytest.fixture(scope="session")
def sample_tree(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A hand-written configuration tree exercising the dialect's corner cases."""
    root = tmp_path_factory.mktemp("f2b-sample")
    write_sample_tree(root)
    return str(root)


@pytest.fixture(scope="session")
def f2b_test_config(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A copy of fail2ban's own imperfect test configuration.

    Its filters include ``common.conf`` through relative paths into fail2ban's source
    tree; the copy is placed so that those paths reach a copy of the stock one.
    """
    top = tmp_path_factory.mktemp("f2b-testcfg")
    root = top / "l1" / "l2" / "l3" / "l4" / "l5" / "l6" / "config"
    shutil.copytree(F2B_TEST_CONFIG, root)
    for base in (top / "l1" / "l2" / "l3" / "l4", top / "l1"):
        (base / "config" / "filter.d").mkdir(parents=True)
        shutil.copy(os.path.join(ETC, "filter.d", "common.conf"), base / "config" / "filter.d")
    return str(root)


@pytest.fixture(scope="session")
def f2b_test_config_unresolved(tmp_path_factory: pytest.TempPathFactory) -> str:
    """fail2ban's test configuration whose includes of common.conf lead nowhere."""
    root = tmp_path_factory.mktemp("f2b-testcfg-bare") / "config"
    shutil.copytree(F2B_TEST_CONFIG, root)
    return str(root)


@pytest.fixture
def write_files(tmp_path: Path) -> Callable[[dict[str, str]], str]:
    """Write ``{relative path: text}`` into a fresh directory; return its path."""

    def write(files: dict[str, str]) -> str:
        for rel, text in files.items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return str(tmp_path)

    return write
