"""No line lost or doubled while a writer rotates the log over and over.

The result is a line-multiset equality, never a timing.  The only synchronisation is
the one logrotate cannot skip either: before rotating again, the writer waits until
the reader has opened the current file (a file created and rotated away before anyone
opened it cannot be followed by any tailer).  Everything else races freely: writes
land in the old file after the rename, lines are written in two halves, the reader
polls or reacts to inotify while the writer works.
"""

from __future__ import annotations

import os
import random
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from logwatch_util import WAIT, Collector, wait_until

from hyperban.logwatch import LogHub

MakeHub = Callable[..., LogHub]


def writer(path: Path, hub: LogHub, rotations: int, how: str, seed: int) -> list[bytes]:
    rnd = random.Random(seed)
    written: list[bytes] = []
    n = 0

    def line() -> bytes:
        nonlocal n
        n += 1
        written.append(b"line %d %s" % (n, b"x" * rnd.randrange(0, 200)))
        return written[-1] + b"\n"

    for r in range(rotations):
        with open(path, "ab", buffering=0) as fh:
            ino = os.fstat(fh.fileno()).st_ino
            for _ in range(rnd.randrange(1, 50)):
                data = line()
                if rnd.random() < 0.2:  # a line arriving in two writes
                    cut = rnd.randrange(1, len(data))
                    fh.write(data[:cut])
                    fh.write(data[cut:])
                else:
                    fh.write(data)

            def opened(ino: int = ino) -> bool:
                tail = hub.tail_of(str(path))
                return tail is not None and tail.inode is not None and tail.inode[1] == ino

            assert wait_until(opened)
            if how == "rename":
                os.rename(path, f"{path}.{r}")
            else:
                os.unlink(path)
            for _ in range(rnd.randrange(0, 10)):  # the daemon has not reopened yet
                fh.write(line())
    return written


@pytest.mark.parametrize("how", ["rename", "unlink"])
def test_rotation_stress(tmp_path: Path, make_hub: MakeHub, how: str) -> None:
    log = tmp_path / "busy.log"
    # A long grace: the old file is drained until stop, whatever the scheduling.
    hub, got = make_hub(rotate_grace=3600.0), Collector()
    hub.subscribe("j", str(log), got)
    hub.start()
    result: list[list[bytes]] = []
    t = threading.Thread(target=lambda: result.append(writer(log, hub, 40, how, 1)))
    t.start()
    t.join(WAIT * 6)
    assert result, "writer failed"
    written = result[0]
    wait_until(lambda: len(got.lines()) >= len(written))
    hub.stop()
    received = got.lines()
    assert len(received) == len(written)
    assert sorted(received) == sorted(written)
