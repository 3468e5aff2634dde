"""The whole ban lifecycle of a jail in fake time: real sshd filter, real SQLite, real wheel.

failures → ban → end of ban → ban again with an increased ban time → a known offender
re-banned after fewer failures → restart from the database mid-ban → purge; plus the
ignore list, IPv4-mapped IPv6 ids, clock jumps and failing actions.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from hyperban.actions.base import ActionBase
from hyperban.config import read_filter
from hyperban.filter import Filter
from hyperban.server.bantime import BanTimeIncrement
from hyperban.server.clock import Clock
from hyperban.server.database import Database
from hyperban.server.ignore import IgnoreList
from hyperban.server.jail import IgnoredAddressError, Jail
from hyperban.server.observer import Observer
from hyperban.server.ticket import Ticket

ETC = Path("/etc/fail2ban")
pytestmark = pytest.mark.skipif(
    not (ETC / "filter.d" / "sshd.conf").exists(), reason="Debian's fail2ban is not installed"
)

T0 = float(calendar.timegm((2026, 11, 26, 12, 0, 0)))
JAIL = "sshd"


class RecordingAction(ActionBase):
    """A Python action (as action.d/*.py would define) that keeps what it was asked."""

    def __init__(self, jail: Any, name: str, fail: bool = False) -> None:
        super().__init__(jail, name)
        self.calls: list[tuple[str, str, Any]] = []
        self.fail = fail

    def ban(self, aInfo: Any) -> bool:
        self.calls.append(("ban", aInfo["ip"], aInfo["bantime"]))
        return not self.fail

    def reban(self, aInfo: Any) -> bool:
        self.calls.append(("reban", aInfo["ip"], aInfo["bantime"]))
        return not self.fail

    def unban(self, aInfo: Any) -> bool:
        self.calls.append(("unban", aInfo["ip"], aInfo["bantime"]))
        return True

    def prolong(self, aInfo: Any) -> None:
        self.calls.append(("prolong", aInfo["ip"], aInfo["bantime"]))

    def extend(self, aInfo: Any) -> None:
        self.calls.append(("extend", aInfo["ip"], aInfo["bantime"]))

    def kinds(self, ip: str) -> list[str]:
        return [kind for kind, addr, _ in self.calls if addr == ip]


def _info(jail: Jail) -> Any:
    def make(ticket: Ticket) -> dict[str, Any]:
        return {"ip": str(ticket.getID()), "bantime": ticket.getBanTime(jail.bantime)}

    return make


class Host:
    """A server with one sshd jail, stepped by hand."""

    def __init__(
        self,
        db_path: Path,
        clock: Clock,
        *,
        increment: bool = True,
        ignoreip: Sequence[str] = (),
        action_fails: bool = False,
    ) -> None:
        self.clock = clock
        self._pid = 1000
        self.db = Database(str(db_path), clock=clock)
        self.observer = Observer(
            self.db,
            unban=lambda _jail, t: self.jail.actions.put_unban(t),
            on_prolong=lambda _jail, t: self.jail.actions.prolong(t),
            clock=clock,
        )
        definition = read_filter("sshd", str(ETC))
        flt = Filter.from_definition(
            definition, clock=clock.time, check_find_time=True, raw_host=False
        )
        ignore = IgnoreList(JAIL)
        ignore.ignore_self = False
        ignore.add_many(ignoreip)
        self.jail: Jail = None  # type: ignore[assignment]
        self.jail = Jail(
            JAIL,
            flt,
            clock=clock,
            make_info=lambda t: _info(self.jail)(t),
            observer=self.observer,
            database=self.db,
            maxretry=3,
            findtime=600,
            bantime=600,
            increment=BanTimeIncrement(increment=increment),
            ignore=ignore,
        )
        self.action = RecordingAction(self.jail, "recording", fail=action_fails)
        self.jail.actions.add(self.action)

    def failures(self, ip: str, count: int, user: str = "root") -> int:
        stamp = Clock.time2str(self.clock.time(), "%Y-%m-%dT%H:%M:%S+00:00")
        # one sshd process per connection: sshd's filter keys sessions by pid
        self._pid += 1
        line = (
            f"{stamp} host sshd[{self._pid}]: Failed password for {user} from {ip} port 22 ssh2\n"
        )
        return self.jail.feed(line.encode() * count)

    def tick(self) -> None:
        """Everything the threads would do at the current time, in data-flow order."""
        now = self.clock.time()
        self.jail.actions.run_once(now)
        self.observer.run_once(now)
        self.jail.actions.run_once(now)
        self.observer.run_once(now)

    def close(self) -> None:
        self.db.close()


@pytest.fixture
def clock() -> Iterator[Clock]:
    yield Clock(frozen_at=T0)


def test_failures_ban_expire_increment_restart_purge(tmp_path: Path, clock: Clock) -> None:
    db_path = tmp_path / "state.sqlite3"
    host = Host(db_path, clock)
    host.jail.start()
    ip = "192.0.2.1"

    # two failures: below maxretry, nothing happens
    assert host.failures(ip, 2) == 2
    host.tick()
    assert host.action.calls == []
    assert host.jail.status()["currently_failed"] == 1

    # the third reaches maxretry: banned, recorded in the database, end of ban scheduled
    host.failures(ip, 1)
    host.tick()
    assert host.action.calls == [("ban", ip, 600)]
    assert host.jail.banned() == [ip]
    assert host.db.getBan(ip, JAIL)[0][0] == 1  # ban count 1
    assert host.observer.next_wakeup(clock.time()) == T0 + 600

    # not a second earlier than its end...
    clock.step(599)
    host.tick()
    assert host.action.kinds(ip) == ["ban"]
    # ...and exactly once at its end
    clock.step(1)
    host.tick()
    host.tick()
    assert host.action.kinds(ip) == ["ban", "unban"]
    assert host.jail.banned() == []

    # banned once before: a single new failure counts 2 (fail2ban's known-offender
    # re-count), so two failures ban again, and for twice as long (600 * 2^1)
    host.failures(ip, 1)
    host.tick()
    assert host.action.kinds(ip) == ["ban", "unban"]
    host.failures(ip, 1)
    host.tick()
    assert host.action.kinds(ip)[:3] == ["ban", "unban", "ban"]
    assert "prolong" in host.action.kinds(ip)  # ban time grew after the ban was applied
    ticket = host.jail.actions.ban_manager.getTicket(ip)
    assert ticket is not None and ticket.getBanTime() == 1200
    assert ticket.getBanCount() == 2
    second_ban_end = clock.time() + 1200

    # crash mid-ban (no stop: the firewall state is lost with the process), restart
    clock.step(400)
    host.close()
    restarted = Host(db_path, clock)
    assert restarted.jail.start() == 1
    assert restarted.action.calls == [("reban", ip, 1200)]
    assert restarted.observer.next_wakeup(clock.time()) == second_ban_end
    clock.step(799)
    restarted.tick()
    assert restarted.action.kinds(ip) == ["reban"]
    clock.step(1)
    restarted.tick()
    assert restarted.action.kinds(ip) == ["reban", "unban"]

    # purge: bans older than dbpurgeage (1 day) leave the database within the hour
    assert restarted.db.getBans(jail=JAIL)
    clock.step(86400 + 3600)
    restarted.tick()
    assert restarted.db.getBans(jail=JAIL) == []
    restarted.jail.stop()
    restarted.close()


def test_ignoreip_never_bans(tmp_path: Path, clock: Clock) -> None:
    host = Host(tmp_path / "db", clock, ignoreip=["192.0.2.0/24", "2001:db8::1", "198.51.100.7"])
    host.jail.start()
    for ip in ("192.0.2.9", "::ffff:192.0.2.10", "2001:DB8::1", "198.51.100.7"):
        assert host.failures(ip, 10) == 0
    host.tick()
    assert host.action.calls == []
    assert host.db.getBans(jail=JAIL) == []
    with pytest.raises(IgnoredAddressError):
        host.jail.ban_ips(["192.0.2.200"])
    # an address outside every rule is banned as usual
    host.failures("198.51.100.8", 3)
    host.tick()
    assert host.jail.banned() == ["198.51.100.8"]
    host.jail.stop()
    host.close()


def test_ipv4_mapped_ipv6_counts_as_ipv4(tmp_path: Path, clock: Clock) -> None:
    host = Host(tmp_path / "db", clock)
    host.jail.start()
    host.failures("192.0.2.7", 2)
    host.failures("::ffff:192.0.2.7", 1)
    host.failures("2001:db8::7", 3)
    host.tick()
    assert sorted(host.jail.banned()) == ["192.0.2.7", "2001:db8::7"]
    host.jail.stop()
    host.close()


def test_clock_jumps_neither_lose_nor_double_a_ban(tmp_path: Path, clock: Clock) -> None:
    host = Host(tmp_path / "db", clock)
    host.jail.start()
    host.failures("192.0.2.3", 3)
    host.tick()
    assert host.action.kinds("192.0.2.3") == ["ban"]
    clock.step(-3600)  # backwards: the ban does not end early, nothing is re-applied
    host.tick()
    assert host.action.kinds("192.0.2.3") == ["ban"]
    clock.step(3600 + 7200)  # far forwards past the end: exactly one unban
    host.tick()
    host.tick()
    assert host.action.kinds("192.0.2.3") == ["ban", "unban"]
    host.jail.stop()
    host.close()


def test_failed_action_keeps_the_ban_and_retries(tmp_path: Path, clock: Clock) -> None:
    host = Host(tmp_path / "db", clock, action_fails=True)
    host.jail.start()
    host.failures("192.0.2.4", 3)
    host.tick()
    assert host.action.kinds("192.0.2.4") == ["ban"]
    assert host.jail.banned() == ["192.0.2.4"]  # kept although the firewall refused
    assert host.db.getBan("192.0.2.4", JAIL)  # and recorded
    host.action.fail = False
    clock.step(5)
    host.tick()
    assert host.action.kinds("192.0.2.4") == ["ban", "ban"]  # retried, now applied
    clock.step(60)
    host.tick()
    assert host.action.kinds("192.0.2.4") == ["ban", "ban"]  # no further retries
    host.jail.stop()
    host.close()


def test_manual_ban_and_unban(tmp_path: Path, clock: Clock) -> None:
    host = Host(tmp_path / "db", clock)
    host.jail.start()
    assert host.jail.ban_ips(["203.0.113.5", "2001:db8::5"]) == 2
    host.tick()
    assert sorted(host.jail.banned()) == ["2001:db8::5", "203.0.113.5"]
    assert host.jail.ban_ips(["203.0.113.5"]) == 0  # already banned
    assert [str(i) for i in host.jail.unban_ips(["203.0.113.5", "203.0.113.6"])] == ["203.0.113.5"]
    host.tick()
    assert host.jail.banned() == ["2001:db8::5"]
    # a manual unban also leaves the database: no restore at restart
    assert host.db.getCurrentBans(jail=JAIL, ip="203.0.113.5") == []
    host.jail.stop()
    assert host.action.kinds("2001:db8::5")[-1] == "unban"  # stop lifts the rest
    host.close()


def test_attempt_counts_its_failures_and_bans_at_maxretry(tmp_path: Path, clock: Clock) -> None:
    # (maxretry 3; 203.0.113.0/24 is ignored, and fail2ban's addAttempt counts anyway)
    host = Host(tmp_path / "db", clock, ignoreip=["203.0.113.0/24"])
    host.jail.start()
    assert host.jail.add_attempt("192.0.2.8", []) == 1
    host.tick()
    assert host.jail.status()["currently_failed"] == 1 and host.jail.banned() == []
    # one attempt with two failure texts counts two: 3 in all, banned
    assert host.jail.add_attempt("192.0.2.8", ["first line", "second line"]) == 1
    host.tick()
    assert host.jail.banned() == ["192.0.2.8"]
    ticket = host.jail.actions.ban_manager.getTicket("192.0.2.8")
    assert ticket is not None and ticket.getMatches() == ["first line", "second line"]
    assert host.jail.add_attempt("203.0.113.7", ["a", "b", "c"]) == 1
    host.tick()
    assert "203.0.113.7" in host.jail.banned()
    with pytest.raises(ValueError, match="not a valid address"):
        host.jail.add_attempt("no address", [])
    assert host.jail.status()["total_failed"] == 3  # one per attempt, as fail2ban counts
    host.jail.stop()
    host.close()


def test_permanent_ban_never_ends_and_survives_restart(tmp_path: Path, clock: Clock) -> None:
    db_path = tmp_path / "db"
    host = Host(db_path, clock, increment=False)
    host.jail.bantime = -1
    host.jail.start()
    host.failures("192.0.2.99", 3)
    host.tick()
    assert host.action.calls == [("ban", "192.0.2.99", -1)]
    assert host.observer.next_wakeup(clock.time()) is None or (
        host.observer.next_wakeup(clock.time()) > clock.time() + 3000
    )  # only the hourly purge is timed: no end of ban
    clock.step(10 * 365 * 86400)
    host.tick()
    assert host.action.kinds("192.0.2.99") == ["ban"]
    host.close()
    restarted = Host(db_path, clock, increment=False)
    restarted.jail.bantime = -1
    assert restarted.jail.start() == 1
    assert restarted.jail.banned() == ["192.0.2.99"]
    restarted.jail.stop()
    restarted.close()


def test_failures_of_a_banned_address_extend_its_ban_once(tmp_path: Path, clock: Clock) -> None:
    """fail2ban's "already banned": the ban list's ticket ends later and no action runs
    then; at the old end the unban is re-timed and the actions hear ``extend`` once."""
    host = Host(tmp_path / "state.sqlite3", clock, increment=False)
    host.jail.start()
    ip = "192.0.2.9"
    host.failures(ip, 3)
    host.tick()
    assert host.action.kinds(ip) == ["ban"]

    clock.step(100)  # a flood of failures from the banned address
    for _ in range(5):
        host.failures(ip, 3)
        host.tick()
    assert host.action.kinds(ip) == ["ban"]
    ticket = host.jail.actions.ban_manager.getTicket(ip)
    assert ticket is not None and ticket.getEndOfBanTime(600) == T0 + 100 + 600

    clock.step(500)  # the first ban's end: re-timed, not lifted
    host.tick()
    assert host.action.kinds(ip) == ["ban", "extend"]
    assert host.jail.banned() == [ip]
    clock.step(99)
    host.tick()
    assert host.action.kinds(ip) == ["ban", "extend"]
    clock.step(1)  # the later end
    host.tick()
    assert host.action.kinds(ip) == ["ban", "extend", "unban"]
    assert host.jail.banned() == []
    host.close()
