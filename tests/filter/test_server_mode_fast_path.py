"""The server's ``check_find_time`` mode on the Rust fast path gives the failures the
exact per-line path gives (ids and times), both while reading a backlog
(``in_operation`` off: old failures dropped) and in operation (far dates count as now);
also as a jail runs it, without the lines that give no failure (the Rust stage then
skips the ends of sessions nobody failed in)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hyperban.bench.genlog import generate
from hyperban.config import read_filter
from hyperban.filter import Filter

ETC = "/etc/fail2ban"
START = 1_700_000_000.0
pytestmark = pytest.mark.skipif(
    not Path(ETC, "filter.d", "sshd.conf").exists(), reason="Debian's fail2ban is not installed"
)


def _failures(
    one_pass: bool, in_operation: bool, now: float, data: bytes, quiet_lines: bool = True
) -> list[tuple]:
    flt = Filter.from_definition(
        read_filter("sshd", ETC),
        check_find_time=True,
        find_time=600,
        clock=lambda: now,
        one_pass=one_pass,
    )
    assert (flt.program is not None) == one_pass
    flt.in_operation = in_operation
    flt.report_quiet_lines = quiet_lines
    out = []
    step = 1 << 14
    start = 0
    while start < len(data):  # several chunks: state carried between them
        stop = data.find(b"\n", min(start + step, len(data) - 1)) + 1 or len(data)
        for line in flt.process_chunk(data[start:stop], 0).results:
            out += [(f.id, f.time, line.line) for f in line.found]
        start = stop
    return out


@pytest.mark.parametrize("in_operation", [False, True])
@pytest.mark.parametrize("attack", [0.05, 0.5])
def test_fast_path_matches_exact_path_in_server_mode(in_operation: bool, attack: float) -> None:
    lines = list(generate("auth", 4000, attack, seed=3, start=START, rate=2.0))
    data = "".join(line + "\n" for line in lines).encode()
    # "now" in the middle of the log: older lines are beyond findtime, later ones
    # are in the future (more than 60 s away from now)
    now = START + 1000
    fast = _failures(True, in_operation, now, data)
    exact = _failures(False, in_operation, now, data)
    assert fast == exact
    assert _failures(True, in_operation, now, data, quiet_lines=False) == exact
    assert fast  # the workload does produce failures
    if not in_operation:
        assert all(t >= now - 600 for _, t, _ in fast)
    else:
        assert any(t == now for _, t, _ in fast)
