"""Microseconds per ``hyperban._core.TimerWheel`` operation through the Python API.

Every benchmark runs against a wheel holding 1M concurrent keys and times a
batch of operations issued from a plain Python loop (the cost a caller really
pays: the call, argument conversion and the Rust work). Each result records
``extra_info["us_per_op"]`` (mean batch time / batch size) and
``extra_info["ops"]``.

Run explicitly (``benches/`` is outside pytest's ``testpaths``)::

    pytest benches/bench_timer_wheel.py --benchmark-only \\
        --benchmark-columns=mean,stddev,rounds

Only correctness is asserted; wall-clock figures never are.
"""

from __future__ import annotations

import random

import pytest

pytest.importorskip("pytest_benchmark")
_core = pytest.importorskip("hyperban._core")
TimerWheel = getattr(_core, "TimerWheel", None)
if TimerWheel is None:
    pytest.skip("hyperban._core was built without TimerWheel", allow_module_level=True)

N = 1_000_000  # concurrent keys
BATCH = 100_000  # operations timed per round
BASE = 1_700_000_000.0  # epoch seconds of the benchmark's "now"
ROUNDS = 3


def _key(i: int) -> str:
    return f"sshd\0{10 + i // 16_777_216}.{i // 65_536 % 256}.{i // 256 % 256}.{i % 256}"


@pytest.fixture(scope="module")
def keys() -> list[str]:
    # N resident keys followed by BATCH spare ones.
    return [_key(i) for i in range(N + BATCH)]


@pytest.fixture(scope="module")
def deadlines() -> list[float]:
    # Ban deadlines spread over an hour, one minute to one hour ahead.
    rng = random.Random(42)
    return [BASE + rng.uniform(60.0, 3600.0) for _ in range(N + BATCH)]


@pytest.fixture(scope="module")
def wheel(keys: list[str], deadlines: list[float]) -> TimerWheel:
    w = TimerWheel()
    assert w.advance(BASE) == []
    schedule = w.schedule
    for key, deadline in zip(keys[:N], deadlines[:N], strict=True):
        schedule(key, deadline)
    assert len(w) == N
    return w


def _record(benchmark, ops: int) -> None:
    benchmark.extra_info["ops"] = ops
    # No stats under --benchmark-disable (each body then runs once, as a test).
    if benchmark.stats is not None:
        benchmark.extra_info["us_per_op"] = benchmark.stats.stats.mean / ops * 1e6


def test_schedule_new_key(benchmark, wheel, keys, deadlines):
    spare = keys[N:]
    spare_deadlines = deadlines[N:]

    def setup():
        # Untimed: bring the wheel back to exactly the N resident keys.
        for key in spare:
            wheel.cancel(key)

    def run():
        schedule = wheel.schedule
        for key, deadline in zip(spare, spare_deadlines, strict=True):
            schedule(key, deadline)

    benchmark.pedantic(run, setup=setup, rounds=ROUNDS, iterations=1)
    _record(benchmark, BATCH)
    assert len(wheel) == N + BATCH
    setup()


def test_reschedule_existing_key(benchmark, wheel, keys, deadlines):
    batch = keys[:BATCH]
    rng = random.Random(7)
    moved = [BASE + rng.uniform(60.0, 3600.0) for _ in batch]

    def run():
        schedule = wheel.schedule
        for key, deadline in zip(batch, moved, strict=True):
            schedule(key, deadline)

    benchmark.pedantic(run, rounds=ROUNDS, iterations=1)
    _record(benchmark, BATCH)
    assert len(wheel) == N


def test_cancel(benchmark, wheel, keys, deadlines):
    rng = random.Random(11)
    picks = rng.sample(range(N), BATCH)
    batch = [keys[i] for i in picks]
    batch_deadlines = [deadlines[i] for i in picks]

    def setup():
        # Untimed: put the cancelled keys back so that N are resident.
        for key, deadline in zip(batch, batch_deadlines, strict=True):
            wheel.schedule(key, deadline)

    def run():
        cancel = wheel.cancel
        for key in batch:
            cancel(key)

    benchmark.pedantic(run, setup=setup, rounds=ROUNDS, iterations=1)
    _record(benchmark, BATCH)
    assert len(wheel) == N - BATCH
    assert batch[0] not in wheel
    setup()


def test_advance_per_expired_key(benchmark, wheel, keys):
    # Each round expires BATCH fresh keys due within one second, while the N
    # resident keys (due a minute or more later) stay.
    spare = keys[N:]
    window = iter(range(1, 1 + ROUNDS))

    def setup():
        start = BASE + next(window) * 0.1
        step = 0.01 / BATCH
        schedule = wheel.schedule
        for i, key in enumerate(spare):
            schedule(key, start + i * step)
        return (start + 0.01,), {}

    result: list[list[str]] = []

    def run(now: float):
        result.append(wheel.advance(now))

    benchmark.pedantic(run, setup=setup, rounds=ROUNDS, iterations=1)
    _record(benchmark, BATCH)
    assert result
    assert all(len(fired) == BATCH for fired in result)
    assert len(wheel) == N


def test_observer_loop(benchmark, wheel, keys):
    # What the observer thread does per expiry: next_deadline(), sleep (not
    # here), advance(that deadline). One expired key per iteration.
    spare = keys[N : N + BATCH // 10]
    window = iter(range(1, 1 + ROUNDS))

    def setup():
        start = BASE + 0.5 + next(window) * 0.1
        step = 0.01 / len(spare)
        for i, key in enumerate(spare):
            wheel.schedule(key, start + i * step)

    fired: list[int] = []

    def run():
        next_deadline = wheel.next_deadline
        advance = wheel.advance
        count = 0
        for _ in range(len(spare)):
            count += len(advance(next_deadline()))
        fired.append(count)

    benchmark.pedantic(run, setup=setup, rounds=ROUNDS, iterations=1)
    _record(benchmark, len(spare))
    assert fired
    assert all(count == len(spare) for count in fired)
    assert len(wheel) == N
