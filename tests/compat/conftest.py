"""Makes the corpus reader (``corpus.py``) importable by the compat tests and
runs them in fail2ban's test time zone (``test_zone``)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from corpus import TEST_TZ  # noqa: E402


@pytest.fixture
def test_zone():
    """fail2ban's test zone for the duration of one test."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = TEST_TZ
    time.tzset()
    yield
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()
