"""Fixtures for the log backend tests (helpers are in logwatch_util)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from logwatch_util import WAIT

from hyperban.logwatch import LogHub


@pytest.fixture(params=["polling", "inotify"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_hub(backend: str) -> Iterator[Callable[..., LogHub]]:
    """Builds hubs with short intervals; stops them all at the end."""
    hubs: list[LogHub] = []

    def make(**kw: object) -> LogHub:
        opts: dict[str, object] = {
            "backend": backend,
            "poll_interval": 0.02,
            "rotate_grace": 0.3,
            "retry_interval": 0.05,
            "flush_interval": 0.05,
        }
        opts.update(kw)
        hub = LogHub(**opts)  # type: ignore[arg-type]
        hubs.append(hub)
        return hub

    yield make
    for hub in hubs:
        hub.stop(timeout=WAIT)
