"""Fixtures for the config reader tests (helpers live in :mod:`config_oracle`)."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from config_oracle import ETC, F2B_TEST_CONFIG  # noqa: E402
from sample_tree import write_sample_tree  # noqa: E402


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
