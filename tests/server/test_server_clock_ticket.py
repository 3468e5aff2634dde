from __future__ import annotations

import pytest

from hyperban.server import BanTicket, Clock, FailTicket, Ticket
from hyperban.server.clock import clock as shared_clock

T0 = 1_700_000_000.0


def test_clock_frozen_and_step() -> None:
    c = Clock()
    assert not c.is_frozen
    c.frozen(100.0)
    assert c.time() == 100.0 and c() == 100.0
    assert c.step(5) == 105.0
    assert c.time() == 105.0
    with c.frozen(1.0):
        assert c.time() == 1.0
        c.step(1)
        assert c.time() == 2.0
    assert c.time() == 105.0  # restored
    c.unfreeze()
    assert not c.is_frozen
    with pytest.raises(RuntimeError):
        c.step(1)


def test_clock_helpers() -> None:
    c = Clock(T0)
    assert c.gmtime().tm_year == 2023
    assert c.now().timestamp() == pytest.approx(T0)
    assert c.time2str(T0, "%Y") == "2023"


def test_ticket_defaults_use_clock(fake_clock: Clock) -> None:
    t = Ticket("1.2.3.4")
    assert t.getTime() == fake_clock.time()
    assert t.getID() == "1.2.3.4" == t.getIP()
    assert t.getAttempt() == 0
    assert t.getMatches() == []
    assert t.getBanTime() is None and t.getBanTime(600) == 600
    assert t.getBanCount() == 0
    assert not t.restored and not t.banned


def test_ticket_ban_time_and_timeout() -> None:
    t = Ticket("1.2.3.4", T0)
    assert t.getEndOfBanTime(600) == T0 + 600
    assert not t.isTimedOut(T0 + 600, 600)  # strictly after the end
    assert t.isTimedOut(T0 + 601, 600)
    t.setBanTime(10)
    assert t.isTimedOut(T0 + 11, 600)
    t.setBanTime(-1)
    assert t.getEndOfBanTime(600) == Ticket.MAX_TIME
    assert not t.isTimedOut(T0 + 10**9, 600)
    with pytest.raises(ValueError):
        Ticket("x", T0).isTimedOut(T0)


def test_ticket_ban_count_flags_data() -> None:
    t = Ticket("1.2.3.4", T0, ["a", ("b", "c")], data={"F-USER": "root", "none": None})
    t.setBanCount(3)
    t.setBanCount(2)
    assert t.getBanCount() == 3
    t.setBanCount(1, always=True)
    t.incrBanCount()
    assert t.getBanCount() == 2
    t.restored = True
    t.banned = True
    assert t.restored and t.banned
    t.restored = False
    assert not t.restored and t.banned
    assert t.getMatches() == ["a", "bc"]
    assert t.getData("F-USER") == "root"
    assert "none" not in t.getData()
    assert t.getData("missing", 7) == 7
    assert t.getData(lambda k: k.startswith("F-")) == {"F-USER": "root"}
    assert t.getData(["failures", "F-USER"]) == {"failures": 0, "F-USER": "root"}
    t.setData("ip", "5.6.7.8", "F-USER", None)
    assert t.getIP() == "5.6.7.8" and t.getID() == "1.2.3.4"
    assert "F-USER" not in t.getData()
    t.setData(port=22)
    assert t.getData("port") == 22
    t.setData({"only": 1, "gone": None})
    assert t.getData() == {"only": 1}
    t.setMatches(None)
    assert t.getMatches() == []


def test_ticket_equality_and_copy() -> None:
    a = Ticket("1.2.3.4", T0, ["x"])
    b = Ticket("1.2.3.4", T0 + 0.001, ["x"])
    assert a == b
    assert a != Ticket("1.2.3.5", T0, ["x"])
    a.setBanTime(30)
    a.incrBanCount()
    c = BanTicket(ticket=a)
    assert c.getBanTime() == 30 and c.getBanCount() == 1 and c.getTime() == T0
    c.setData("k", 1)
    assert a.getData("k") is None  # data copied, not shared


def test_failticket_retry_and_inc() -> None:
    f = FailTicket("1.2.3.4", T0, ["l1"])
    assert f.getRetry() == 0 and f.getAttempt() == 0
    f.setRetry(1)
    assert f.getRetry() == 1 and f.getAttempt() == 1
    f.inc(["l2"], attempt=1, count=1)
    assert f.getRetry() == 2 and f.getAttempt() == 2
    assert f.getMatches() == ["l1", "l2"]
    f.setRetry(0)
    assert f.getAttempt() == 0 and f.getMatches() == []
    assert FailTicket("x", T0, data={"failures": 4}).getRetry() == 4


def test_failticket_adjust_time() -> None:
    f = FailTicket("1.2.3.4", T0)
    f.setRetry(4)
    f.adjustTime(T0 + 100, 600)  # within findtime: only moves last time
    assert f.getRetry() == 4 and f.getTime() == T0 + 100
    f.adjustTime(T0 + 1200, 600)  # first failure out of window: rate estimate 4/1200*600
    assert f.getRetry() == 2 and f.getTime() == T0 + 1200
    f.adjustTime(T0, 600)  # older time: ignored
    assert f.getTime() == T0 + 1200


def test_wrap_keeps_identity() -> None:
    t = Ticket("1.2.3.4", T0)
    w = FailTicket.wrap(t)
    assert w is t and isinstance(t, FailTicket)
    b = BanTicket.wrap(t)
    assert b is t and isinstance(t, BanTicket)


def test_shared_clock_not_frozen_by_default() -> None:
    assert not shared_clock.is_frozen


@pytest.mark.parametrize(
    "t", [T0, T0 + 0.5, T0 + 0.9999994, T0 + 0.9999996, T0 + 1, -1.5, 0.0, 86399.9999999]
)
def test_time2str_cache_gives_datetimes_text(t: float) -> None:
    import datetime

    expected = datetime.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M:%S")
    Clock.time2str(t - 0.25)  # a neighbour in the cache, possibly the same second
    assert Clock.time2str(t) == expected
    assert Clock.time2str(t) == expected  # now from the cache


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"user": "root", "ip": None, "matches": [("a", "b", "c")]},
        {"failures": 3, "user": None},
    ],
)
def test_failure_ticket_shortcut_equals_constructor(data: dict[str, object]) -> None:
    generic = FailTicket("192.0.2.1", T0, data={**data, "matches": ["line"]})
    quick = FailTicket.of_failure("192.0.2.1", T0, data, ["line"])
    for name in Ticket.__slots__:
        assert getattr(quick, name) == getattr(generic, name), name
    assert list(quick.getData()) == list(generic.getData())  # same order (database JSON)
