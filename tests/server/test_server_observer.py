"""Ban-time increment, ban expiry and the observer (fake clock, real SQLite, real wheel)."""

from __future__ import annotations

import threading

import pytest

from hyperban.server.bantime import (
    DEFAULT_FORMULA,
    BanTimeIncrement,
    FormulaError,
    calc_ban_time,
    compile_formula,
)
from hyperban.server.clock import Clock
from hyperban.server.database import Database
from hyperban.server.expiry import BanExpiry
from hyperban.server.observer import Observer
from hyperban.server.ticket import BanTicket

T0 = 1_700_000_000


# -- bantime.py ------------------------------------------------------------------------


def test_default_formula_doubles_with_factor_and_maxtime() -> None:
    s = BanTimeIncrement(increment=True)
    assert [s.calc(600, c) for c in range(4)] == [600, 1200, 2400, 4800]
    assert s.calc(1, 25) == 1 << 20  # exponent capped at 20
    s = BanTimeIncrement.from_options({"bantime.factor": "3", "bantime.maxtime": "1h"})
    assert [s.calc(100, c) for c in range(4)] == [300, 600, 1200, 2400]
    assert s.calc(600, 5) == 3600
    assert compile_formula(DEFAULT_FORMULA)(10, 2, 1) == 40


def test_custom_formula_and_factor_expression() -> None:
    s = BanTimeIncrement.from_options(
        {
            "factor": "2.0 / 2.885385",
            "formula": "ban.Time * math.exp(float(ban.Count+1)*banFactor)/math.exp(1*banFactor)",
        }
    )
    import math

    f = 2.0 / 2.885385
    for c in range(5):
        expected = max(600, 600 * math.exp(float(c + 1) * f) / math.exp(1 * f))
        assert s.calc(600, c) == pytest.approx(expected)
    # formula result never below the base ban time (fail2ban's max(ban.Time, ...))
    assert BanTimeIncrement(formula=compile_formula("ban.Time / 2")).calc(600, 3) == 600


def test_multipliers_and_rndtime() -> None:
    s = BanTimeIncrement.from_options({"multipliers": "1 5 30 60", "factor": "2"})
    assert [s.calc(60, c) for c in range(6)] == [120, 600, 3600, 7200, 7200, 7200]
    s = BanTimeIncrement.from_options({"multipliers": "1 2", "maxtime": 100, "rndtime": "10"})
    assert calc_ban_time(s, 60, 1, rand=lambda: 0.5) == 105
    assert calc_ban_time(s, 60, 0, rand=lambda: 0.0) == 60


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "ban.__class__",
        "open('/etc/passwd')",
        "x + 1",
        "'a'",
        "[1, 2]",
        "lambda: 1",
        "math.__dict__",
        "ban.Time(",
        "",
    ],
)
def test_rejected_formulas(text: str) -> None:
    with pytest.raises(FormulaError):
        compile_formula(text)


def test_runaway_formula_and_bad_options() -> None:
    with pytest.raises(FormulaError):
        compile_formula("2 ** 10 ** 10")(1, 1, 1)
    with pytest.raises(FormulaError):
        compile_formula("1 << 100000")(1, 1, 1)
    with pytest.raises(FormulaError):
        BanTimeIncrement.from_options({"factor": "ban.Time"})
    with pytest.raises(ValueError):
        BanTimeIncrement.from_options({"multipliers": "1 x"})
    with pytest.raises(ValueError):
        BanTimeIncrement.from_options({"bantime.frobnicate": "1"})


def test_increment_for_needs_previous_ban() -> None:
    s = BanTimeIncrement(increment=True)
    assert s.increment_for(600, 0) == 600
    assert s.increment_for(600, 2) == 2400
    assert s.increment_for(-1, 2) == -1
    assert BanTimeIncrement().increment_for(600, 2) == 600


# -- expiry.py ---------------------------------------------------------------------


def _ticket(ip: str, t: float, bantime: float | None = None) -> BanTicket:
    tk = BanTicket(ip, t)
    if bantime is not None:
        tk.setBanTime(bantime)
    return tk


def test_expiry_exact_deadline_once_and_permanent() -> None:
    ex = BanExpiry()
    assert ex.schedule("ssh", _ticket("1.2.3.4", T0, 600))
    assert not ex.schedule("ssh", _ticket("5.6.7.8", T0, -1))
    assert ex.schedule("web", _ticket("1.2.3.4", T0, 60))
    assert ex.next_deadline() == T0 + 60
    assert ex.due(T0 + 59.999) == []
    assert ex.due(T0 + 60) == [("web", "1.2.3.4")]
    assert ex.due(T0 + 60) == []
    assert ex.due(T0 + 599) == []
    assert ex.due(T0 + 600) == [("ssh", "1.2.3.4")]
    assert ex.due(T0 + 10**9) == []
    assert ex.next_deadline() is None and len(ex) == 0


def test_expiry_cancel_and_reschedule() -> None:
    ex = BanExpiry()
    tk = _ticket("1.2.3.4", T0, 600)
    ex.schedule("ssh", tk)
    assert ("ssh", "1.2.3.4") in ex
    tk.setBanTime(1200)
    ex.schedule("ssh", tk)  # moves the timer
    assert ex.due(T0 + 600) == []
    assert ex.cancel("ssh", "1.2.3.4")
    assert not ex.cancel("ssh", "1.2.3.4")
    assert ex.due(T0 + 1200) == []
    # a permanent prolongation removes the timer
    tk2 = _ticket("9.9.9.9", T0, 60)
    ex.schedule("ssh", tk2)
    tk2.setBanTime(-1)
    assert not ex.schedule("ssh", tk2)
    assert ex.due(T0 + 10**6) == [] and ex.next_deadline() is None


# -- observer.py -------------------------------------------------------------------


class Recorder:
    def __init__(self, bantime: float = 600) -> None:
        self.bantime = bantime
        self.unbans: list[tuple[str, str, float]] = []
        self.done = threading.Event()

    def __call__(self, jail: str, ticket: BanTicket) -> None:
        self.unbans.append((jail, ticket.getID(), ticket.getEndOfBanTime(self.bantime)))
        self.done.set()


@pytest.fixture
def clk() -> Clock:
    return Clock(frozen_at=T0)


@pytest.fixture
def db(tmp_path, clk: Clock):  # type: ignore[no-untyped-def]
    database = Database(tmp_path / "hyperban.sqlite3", clock=clk)
    yield database
    database.close()


def _ban(obs: Observer, jail: str, ip: str, now: float) -> BanTicket:
    tk = BanTicket(ip, now)
    tk.incrBanCount()  # as BanManager.addBanTicket does
    obs.ban_found(jail, tk)
    assert obs.run_once(now)
    return tk


def test_observer_increment_sequence_factor_maxtime(db: Database, clk: Clock) -> None:
    rec = Recorder(100)
    prolonged: list[str] = []
    obs = Observer(db, rec, clock=clk, on_prolong=lambda j, t: prolonged.append(t.getID()))
    obs.add_jail("ssh", 100, {"bantime.increment": "true", "bantime.factor": "2",
                              "bantime.maxtime": "1000"})  # fmt: skip
    times = []
    now = float(T0)
    for _ in range(6):
        tk = _ban(obs, "ssh", "10.0.0.1", now)
        times.append(tk.getBanTime(100))
        end = now + tk.getBanTime(100)
        obs.run_once(end - 1)
        assert rec.unbans == [] or rec.unbans[-1][2] < end
        obs.run_once(end)
        assert rec.unbans[-1] == ("ssh", "10.0.0.1", end)
        now = end + 10
    # first ban: jail ban time; then 100 * 2**count * factor, capped by maxtime
    assert times == [100, 400, 800, 1000, 1000, 1000]
    assert [row[0] for row in db.getBan("10.0.0.1", "ssh")] == [6]
    assert prolonged == ["10.0.0.1"] * 5
    assert len(rec.unbans) == 6


def test_observer_default_sequence_and_overalljails(db: Database, clk: Clock) -> None:
    rec = Recorder()
    obs = Observer(db, rec, clock=clk)
    obs.add_jail("ssh", 600, {"increment": "on"})
    obs.add_jail("web", 600, {"increment": "on", "overalljails": "true"})
    obs.add_jail("mail", 600, {"increment": "on"})
    assert _ban(obs, "ssh", "1.1.1.1", T0).getBanTime() is None  # first: jail default
    assert _ban(obs, "ssh", "1.1.1.1", T0 + 1).getBanTime() == 1200
    assert _ban(obs, "ssh", "1.1.1.1", T0 + 2).getBanTime() == 2400
    # overall jails: 3 earlier bans elsewhere -> 600 * 2**3
    assert _ban(obs, "web", "1.1.1.1", T0 + 3).getBanTime() == 4800
    # per jail: never banned in mail
    assert _ban(obs, "mail", "1.1.1.1", T0 + 4).getBanTime() is None


def test_observer_multipliers(db: Database, clk: Clock) -> None:
    obs = Observer(db, Recorder(), clock=clk)
    obs.add_jail("ssh", 60, {"increment": "true", "multipliers": "1 5 30"})
    got = [_ban(obs, "ssh", "2.2.2.2", T0 + i).getBanTime(60) for i in range(5)]
    assert got == [60, 300, 1800, 1800, 1800]


def test_observer_without_increment_records_bans(db: Database, clk: Clock) -> None:
    obs = Observer(db, Recorder(), clock=clk)
    obs.add_jail("ssh", 600)
    _ban(obs, "ssh", "3.3.3.3", T0)
    tk = _ban(obs, "ssh", "3.3.3.3", T0 + 1000)
    assert tk.getBanTime() is None and tk.getBanCount() == 1
    assert len(db.getBans("ssh")) == 2


def test_observer_permanent_never_expires(db: Database, clk: Clock) -> None:
    rec = Recorder()
    obs = Observer(db, rec, clock=clk)
    obs.add_jail("ssh", -1, {"increment": "true"})
    _ban(obs, "ssh", "4.4.4.4", T0)
    tk = _ban(obs, "ssh", "4.4.4.4", T0 + 1)
    assert tk.getBanTime(-1) == -1
    assert obs.expiry.next_deadline() is None
    obs.run_once(T0 + 10**9)
    assert rec.unbans == []
    assert obs.next_wakeup(T0 + 10**9) == T0 + 10**9 + Observer.PURGE_INTERVAL


def test_observer_clock_backwards_no_loss_no_double(db: Database, clk: Clock) -> None:
    rec = Recorder()
    obs = Observer(db, rec, clock=clk)
    obs.add_jail("ssh", 600)
    _ban(obs, "ssh", "5.5.5.5", T0)
    _ban(obs, "ssh", "6.6.6.6", T0 + 100)
    obs.run_once(T0 + 599)
    obs.run_once(T0 - 5000)  # clock jumps back
    assert rec.unbans == []
    obs.run_once(T0 + 600)
    assert [u[1] for u in rec.unbans] == ["5.5.5.5"]
    obs.run_once(T0 - 5000)  # back again, after an unban
    obs.run_once(T0 + 600)
    assert [u[1] for u in rec.unbans] == ["5.5.5.5"]
    obs.run_once(T0 + 700)
    obs.run_once(T0 + 10**6)
    assert [u[1] for u in rec.unbans] == ["5.5.5.5", "6.6.6.6"]


def test_observer_restart_restores_remaining_time(tmp_path, clk: Clock) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "f2b.sqlite3"
    db1 = Database(path, clock=clk)
    obs1 = Observer(db1, Recorder(), clock=clk)
    obs1.add_jail("ssh", 600, {"increment": "true"})
    _ban(obs1, "ssh", "7.7.7.7", T0)
    _ban(obs1, "ssh", "7.7.7.7", T0 + 10)  # 1200 s, ends T0 + 1210
    _ban(obs1, "ssh", "8.8.8.8", T0 + 20)  # 600 s, ends T0 + 620
    db1.close()

    clk.frozen(T0 + 300)  # restart 300 s later
    db2 = Database(path, clock=clk)
    rec = Recorder()
    obs2 = Observer(db2, rec, clock=clk)
    obs2.add_jail("ssh", 600, {"increment": "true"})
    restored = obs2.restore()
    assert sorted(t.getID() for _, t in restored) == ["7.7.7.7", "8.8.8.8"]
    assert all(t.restored for _, t in restored)
    assert obs2.expiry.next_deadline() == T0 + 620
    obs2.run_once(T0 + 619)
    assert rec.unbans == []
    obs2.run_once(T0 + 620)
    assert [u[1] for u in rec.unbans] == ["8.8.8.8"]
    obs2.run_once(T0 + 1209)
    assert len(rec.unbans) == 1
    obs2.run_once(T0 + 1210)
    assert [u[1] for u in rec.unbans] == ["8.8.8.8", "7.7.7.7"]
    # a restored ticket posted as a ban is not recorded again
    n = len(db2.getBans("ssh"))
    obs2.ban_found("ssh", restored[0][1])
    obs2.run_once(T0 + 1300)
    assert len(db2.getBans("ssh")) == n
    # after the restart the count continues: third ban of 7.7.7.7 -> 2400
    assert _ban(obs2, "ssh", "7.7.7.7", T0 + 2000).getBanTime() == 2400
    db2.close()


def test_observer_hourly_purge(db: Database, clk: Clock) -> None:
    calls: list[float] = []
    real_purge = db.purge
    db.purge = lambda: (calls.append(clk.time()), real_purge())  # type: ignore[method-assign]
    obs = Observer(db, Recorder(), clock=clk)
    obs.run_once(T0)
    obs.run_once(T0 + 3599)
    assert calls == []
    clk.frozen(T0 + 3600)
    obs.run_once(T0 + 3600)
    obs.run_once(T0 + 3601)
    assert calls == [T0 + 3600]
    assert obs.next_wakeup(T0 + 3601) == T0 + 7200


def test_observer_stop_drops_later_events(db: Database, clk: Clock) -> None:
    obs = Observer(db, Recorder(), clock=clk)
    obs.add_jail("ssh", 600)
    obs.stop()
    obs.ban_found("ssh", BanTicket("9.9.9.9", T0))
    assert obs.run_once(T0) is False
    assert db.getBans("ssh") == []


def test_observer_thread_unbans_and_stops(db: Database, clk: Clock) -> None:
    rec = Recorder()
    obs = Observer(db, rec, clock=clk)
    obs.add_jail("ssh", 600)
    obs.start()
    try:
        obs.ban_found("ssh", BanTicket("10.1.1.1", T0))
        clk.step(600)  # fake time: the ban is now over
        obs.wake()
        assert rec.done.wait(10)
        assert [u[1] for u in rec.unbans] == ["10.1.1.1"]
    finally:
        obs.stop()
        assert obs.join(10)
    assert not obs.is_alive


def test_bans_found_records_and_times_every_ban_of_a_tick(db: Database, clk: Clock) -> None:
    rec = Recorder(600)
    obs = Observer(db, rec, clock=clk)
    obs.add_jail("ssh", 600)
    tickets = [BanTicket(f"192.0.2.{i}", T0) for i in range(5)]
    obs.bans_found("ssh", tickets)
    obs.bans_found("ssh", [])
    assert obs.run_once(T0)
    assert sorted(str(t.getID()) for t in db.getCurrentBans(jail="ssh", fromtime=T0)) == sorted(
        str(t.getID()) for t in tickets
    )
    obs.run_once(T0 + 600)
    assert sorted(ip for _, ip, _ in rec.unbans) == sorted(t.getID() for t in tickets)


def test_bans_found_wakes_a_sleeping_observer(db: Database, clk: Clock) -> None:
    rec = Recorder(1)
    obs = Observer(db, rec, clock=clk)
    obs.add_jail("ssh", 1)
    obs.start()  # asleep: nothing to do for the next minute
    try:
        clk.step(2)  # bans of 1 s from T0 are over: the thread unbans them once woken
        obs.bans_found("ssh", [BanTicket("192.0.2.1", T0), BanTicket("192.0.2.2", T0)])
        for _ in range(500):
            if len(rec.unbans) == 2:
                break
            threading.Event().wait(0.01)
    finally:
        obs.stop()
        obs.join(5)
    assert sorted(ip for _, ip, _ in rec.unbans) == ["192.0.2.1", "192.0.2.2"]
