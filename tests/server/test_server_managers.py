from __future__ import annotations

import threading

import pytest

from hyperban.server import (
    BanManager,
    BanTicket,
    Clock,
    FailManager,
    FailManagerEmpty,
    FailTicket,
    Ticket,
)

T0 = 1_700_000_000.0


def fail(fm: FailManager, ip: str, t: float, line: str = "x") -> int:
    return fm.addFailure(FailTicket(ip, t, [line]))


# -- FailManager -------------------------------------------------------------------------


def test_toban_at_maxretry_within_findtime() -> None:
    fm = FailManager(maxRetry=3, maxTime=600)
    assert fail(fm, "1.1.1.1", T0) == 1
    assert fail(fm, "1.1.1.1", T0 + 10) == 2
    with pytest.raises(FailManagerEmpty):
        fm.toBan()
    assert fail(fm, "1.1.1.1", T0 + 20) == 3
    ticket = fm.toBan("1.1.1.1")
    assert ticket.getID() == "1.1.1.1"
    assert ticket.getRetry() == 3 and ticket.getAttempt() == 3
    assert ticket.getTime() == T0 + 20
    # count restarts: the id is gone from the fail list
    assert fm.size() == 0
    assert fail(fm, "1.1.1.1", T0 + 30) == 1
    assert fm.getFailTotal() == 4


def test_take_over_keeps_counting_where_the_old_one_was() -> None:
    old = FailManager(maxRetry=3, maxTime=600)
    fail(old, "1.1.1.1", T0)
    fail(old, "1.1.1.1", T0 + 10)
    new = FailManager(maxRetry=3, maxTime=600)  # a reload's new jail
    new.take_over(old)
    assert (new.size(), new.getFailTotal()) == (1, 2)
    assert fail(new, "1.1.1.1", T0 + 20) == 3  # the third failure bans, as before
    assert new.toBan("1.1.1.1").getRetry() == 3
    assert old.size() == 1  # (the old one is left as it was)


def test_toban_returns_any_qualifying_id() -> None:
    fm = FailManager(maxRetry=2, maxTime=600)
    for t in (0, 1):
        fail(fm, "1.1.1.1", T0 + t)
    fail(fm, "2.2.2.2", T0)
    # unknown fid: all ids are examined
    assert fm.toBan("9.9.9.9").getID() == "1.1.1.1"
    # known fid below maxretry: only it is examined
    fail(fm, "3.3.3.3", T0)
    fail(fm, "3.3.3.3", T0 + 1)
    with pytest.raises(FailManagerEmpty):
        fm.toBan("2.2.2.2")
    assert fm.toBan().getID() == "3.3.3.3"
    assert fm.getFailCount() == (1, 1)


def test_failures_outside_findtime_do_not_count() -> None:
    fm = FailManager(maxRetry=3, maxTime=600)
    fail(fm, "1.1.1.1", T0)
    fail(fm, "1.1.1.1", T0 + 100)
    fm.cleanup(T0 + 700)  # last failure at T0+100 is exactly findtime old
    assert fm.size() == 0
    assert fail(fm, "1.1.1.1", T0 + 700) == 1
    with pytest.raises(FailManagerEmpty):
        fm.toBan()


def test_cleanup_keeps_recent() -> None:
    fm = FailManager(maxRetry=3, maxTime=600)
    fail(fm, "1.1.1.1", T0)
    fail(fm, "2.2.2.2", T0 + 500)
    fm.cleanup(T0 + 600)
    assert "1.1.1.1" not in fm and "2.2.2.2" in fm


def test_rate_estimate_when_first_failure_is_old() -> None:
    fm = FailManager(maxRetry=3, maxTime=600)
    fail(fm, "1.1.1.1", T0)
    fail(fm, "1.1.1.1", T0 + 100)
    # first failure 1200s before: retry 2 -> round(2/1200*600) = 1, then +1
    assert fail(fm, "1.1.1.1", T0 + 1200) == 2


def test_maxmatches() -> None:
    fm = FailManager(maxRetry=10, maxTime=600, maxMatches=2)
    for i in range(5):
        fail(fm, "1.1.1.1", T0 + i, f"line{i}")
    t = fm.getTicket("1.1.1.1")
    assert t is not None
    assert t.getMatches() == ["line3", "line4"]
    assert t.getAttempt() == 5
    fm.maxMatches = 0
    fail(fm, "1.1.1.1", T0 + 9, "line9")
    assert t.getMatches() == []


def test_same_ticket_object_and_count() -> None:
    fm = FailManager(maxRetry=5, maxTime=600)
    t = FailTicket("1.1.1.1", T0, ["a"])
    assert fm.addFailure(t) == 1
    assert fm.addFailure(t) == 2  # same object: +1 attempt, matches not duplicated
    assert t.getMatches() == ["a"]
    assert fm.addFailure(FailTicket("1.1.1.1", T0 + 1, ["b"]), count=3) == 5
    assert t.getAttempt() == 3


def test_plain_ticket_is_wrapped_and_banticket_ignored() -> None:
    fm = FailManager()
    plain = Ticket("1.1.1.1", T0)
    assert fm.addFailure(plain) == 1
    assert isinstance(plain, FailTicket)
    bt = BanTicket("2.2.2.2", T0)
    fm.addFailure(bt)
    assert "2.2.2.2" not in fm
    assert fm.addFailure(FailTicket("3.3.3.3", T0), observed=True) == 0
    assert "3.3.3.3" not in fm
    fm.delFailure("1.1.1.1")
    fm.delFailure("nope")
    assert fm.size() == 0


def test_failmanager_thread_safe() -> None:
    fm = FailManager(maxRetry=10**9, maxTime=600)

    def worker(n: int) -> None:
        for i in range(500):
            fm.addFailure(FailTicket(f"10.0.0.{i % 7}", T0 + i % 50, [f"{n}-{i}"]))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert fm.getFailTotal() == 4000
    assert fm.getFailCount() == (7, 4000)


# -- BanManager --------------------------------------------------------------------------


def ban(ip: str, t: float, bantime: int | None = None) -> BanTicket:
    b = BanTicket(ip, t)
    if bantime is not None:
        b.setBanTime(bantime)
    return b


def test_ban_unban_lifecycle_fake_time() -> None:
    clk = Clock(T0)
    bm = BanManager(banTime=600, clock=clk)
    t1 = ban("1.1.1.1", clk.time())
    assert bm.addBanTicket(t1)
    assert t1.getBanCount() == 1
    clk.step(100)
    assert bm.addBanTicket(ban("2.2.2.2", clk.time(), 60))
    assert bm.size() == 2 and bm.getBanTotal() == 2
    assert set(bm.getBanList()) == {"1.1.1.1", "2.2.2.2"}
    assert bm.getBanList(ordered=True) == ["2.2.2.2", "1.1.1.1"]
    assert bm.unBanExpired() == []
    clk.step(60)  # now T0+160: end of 2.2.2.2's ban, not after it
    assert bm.unBanExpired() == []
    clk.step(1)
    assert [t.getID() for t in bm.unBanExpired()] == ["2.2.2.2"]
    assert bm.getBanList() == ["1.1.1.1"]
    assert bm.unBanList(T0 + 600) == []
    assert [t.getID() for t in bm.unBanList(T0 + 601)] == ["1.1.1.1"]
    assert bm.size() == 0 and bm.getBanTotal() == 2


def test_permanent_ban_never_expires() -> None:
    bm = BanManager(banTime=600, clock=Clock(T0))
    assert bm.addBanTicket(ban("1.1.1.1", T0, -1))
    assert bm.addBanTicket(ban("2.2.2.2", T0))
    assert [t.getID() for t in bm.unBanList(T0 + 10**6)] == ["2.2.2.2"]
    assert bm.unBanList(T0 + 10**10) == []
    assert bm.getBanList() == ["1.1.1.1"]
    # jail default permanent
    bm2 = BanManager(banTime=-1, clock=Clock(T0))
    assert bm2.addBanTicket(ban("3.3.3.3", T0))
    assert bm2.unBanList(T0 + 10**10) == []


def test_add_expired_and_already_banned_prolong() -> None:
    clk = Clock(T0)
    bm = BanManager(banTime=600, clock=clk)
    reason: dict[str, object] = {}
    assert not bm.addBanTicket(ban("9.9.9.9", T0 - 1000), reason)
    assert reason == {"expired": 1}
    old = ban("1.1.1.1", T0)
    assert bm.addBanTicket(old)
    # same end of ban -> not prolonged
    reason = {}
    assert not bm.addBanTicket(ban("1.1.1.1", T0), reason)
    assert reason == {"ticket": old} and old.getBanTime() is None
    # later start: new bantime + delay between starts
    reason = {}
    assert not bm.addBanTicket(ban("1.1.1.1", T0 + 100, 600), reason)
    assert reason["prolong"] == 1 and old.getBanTime() == 700
    assert old.getEndOfBanTime(600) == T0 + 700
    # shorter ban -> nothing changes
    assert not bm.addBanTicket(ban("1.1.1.1", T0 + 100, 10))
    assert old.getBanTime() == 700
    # permanent
    assert not bm.addBanTicket(ban("1.1.1.1", T0 + 200, -1))
    assert old.getBanTime() == -1
    assert bm.getBanTotal() == 1 and old.getBanCount() == 1
    assert bm.unBanList(T0 + 10**8) == []


def test_get_remove_flush() -> None:
    bm = BanManager(clock=Clock(T0))
    t = ban("1.1.1.1", T0)
    bm.addBanTicket(t)
    bm.addBanTicket(ban("2.2.2.2", T0))
    assert bm.getTicket("1.1.1.1") is t and "1.1.1.1" in bm
    assert bm.inBanList(t)
    assert bm.getTicketByID("1.1.1.1") is t
    assert bm.getTicketByID("1.1.1.1") is None
    assert bm.size() == 1
    assert [x.getID() for x in bm] == ["2.2.2.2"]
    lines = bm.getBanList(ordered=True, withTime=True)
    assert lines[0].startswith("2.2.2.2 \t") and " + 600 = " in lines[0]
    assert [x.getID() for x in bm.flushBanList()] == ["2.2.2.2"]
    assert bm.size() == 0


def test_unban_maxcount() -> None:
    bm = BanManager(banTime=10, clock=Clock(T0))
    for i in range(5):
        bm.addBanTicket(ban(f"1.1.1.{i}", T0))
    assert len(bm.unBanList(T0 + 11, maxCount=2)) == 2
    assert len(bm.unBanList(T0 + 11)) == 3
    assert bm.size() == 0


def test_unban_after_remove_of_earliest() -> None:
    bm = BanManager(banTime=600, clock=Clock(T0))
    bm.addBanTicket(ban("1.1.1.1", T0, 10))
    bm.addBanTicket(ban("2.2.2.2", T0, 100))
    bm.getTicketByID("1.1.1.1")
    assert bm.unBanList(T0 + 50) == []
    assert [t.getID() for t in bm.unBanList(T0 + 101)] == ["2.2.2.2"]
