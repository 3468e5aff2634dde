"""The actions thread's ticks: producers notify only an empty queue, yet no queued ban
waits for a wake-up that never comes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from hyperban.actions.base import ActionBase
from hyperban.server import BanTicket, Clock
from hyperban.server.jailactions import JailActions

T0 = 1_700_000_000.0


class BatchRecorder(ActionBase):
    """Records each ban_many call: its addresses and when it ran."""

    def __init__(self) -> None:
        super().__init__(None, "recorder")
        self.batches: list[tuple[float, list[str]]] = []

    def ban_many(self, infos: Sequence[Any]) -> list[bool]:
        self.batches.append((time.monotonic(), [info["ip"] for info in infos]))
        return [True] * len(infos)


def _actions() -> tuple[JailActions, BatchRecorder]:
    actions = JailActions("sshd", make_info=lambda t: {"ip": str(t.getID())}, clock=Clock(T0))
    recorder = BatchRecorder()
    actions.add(recorder)
    return actions, recorder


def _ban(ip: str) -> BanTicket:
    return BanTicket(ip, T0)


def _until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def test_no_queued_ban_is_left_waiting() -> None:
    actions, recorder = _actions()
    actions.start()
    count = 2000

    def produce(offset: int) -> None:
        for i in range(offset, count, 4):
            actions.put_bans([_ban(f"10.0.{i >> 8}.{i & 255}")])

    producers = [threading.Thread(target=produce, args=(k,)) for k in range(4)]
    try:
        for producer in producers:
            producer.start()
        for producer in producers:
            producer.join()
        # every ban is applied by the thread itself, without stop()'s final tick
        assert _until(lambda: actions.ban_manager.size() == count)
    finally:
        actions.stop()
    assert sum(len(ips) for _, ips in recorder.batches) == count
