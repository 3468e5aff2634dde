"""Ban-state figures of issue 4, measured in one run on this machine.

1. **A million concurrent bans**: µs per ban to add (ban list + timer wheel), µs per
   ban to expire (wheel pop + ban list removal), and resident memory per ban (RSS delta,
   which also counts what the Rust wheel allocates -- tracemalloc would not see it).
2. **Unban lateness**: the observer thread on the real clock, with the million bans
   resident, unbanning ``--late-bans`` bans whose ends are spread over a few seconds;
   lateness = time the unban callback ran - end of ban (p50/p99/max).
3. **Jail intake**: a generated auth.log with 50% attack lines through a real sshd jail
   (Debian's filter, fail manager, ban side): lines/s and failures/s, with no resident
   bans and with the million bans resident, side by side -- their ratio shows whether
   ban state slows log intake.

Run: ``python benches/bench_ban_lifecycle.py [--bans 1000000] [--lines 200000]``.
Only ratios measured side by side are meaningful on a shared machine.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import threading
import time
from pathlib import Path

from hyperban.actions.base import ActionBase
from hyperban.bench.genlog import generate
from hyperban.config import read_filter
from hyperban.filter import Filter
from hyperban.filter.dns import Address
from hyperban.server.clock import Clock
from hyperban.server.ignore import IgnoreList
from hyperban.server.jail import Jail
from hyperban.server.observer import Observer
from hyperban.server.ticket import BanTicket, Ticket

START = 1_700_000_000.0
RATE = 50.0  # generated log lines per second (the jail's clock ends with the log)


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def address(i: int) -> Address:
    return Address(f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}")


def make_jail(clock: Clock, observer: Observer | None) -> Jail:
    definition = read_filter("sshd", "/etc/fail2ban")
    flt = Filter.from_definition(definition, clock=clock.time, check_find_time=True)
    ignore = IgnoreList("sshd")
    ignore.ignore_self = False
    jail: Jail = Jail(
        "sshd",
        flt,
        clock=clock,
        make_info=lambda t: {"ip": str(t.getID())},
        observer=observer,
        maxretry=5,
        findtime=600,
        bantime=3600,
        ignore=ignore,
    )
    jail.actions.add(ActionBase(jail, "noop"))
    return jail


def resident_bans(jail: Jail, observer: Observer, count: int, now: float) -> tuple[float, int]:
    """Add ``count`` bans ending 1-2 h from ``now``; returns (µs per ban, RSS bytes)."""
    gc.collect()
    before = rss_bytes()
    bm = jail.actions.ban_manager
    schedule = observer.expiry.schedule
    t0 = time.perf_counter()
    for i in range(count):
        ticket = BanTicket(address(i), now - 60)
        ticket.setBanTime(3660 + (i % 3600))
        bm.addBanTicket(ticket, now=now)
        schedule("sshd", ticket)
    elapsed = time.perf_counter() - t0
    gc.collect()
    return elapsed / count * 1e6, rss_bytes() - before


def expire_all(jail: Jail, observer: Observer, count: int) -> float:
    """Expire every resident ban through the wheel; µs per ban."""
    bm = jail.actions.ban_manager
    t0 = time.perf_counter()
    due = observer.expiry.pop_due(START + 10 * 86400)
    for _jail, ticket in due:
        bm.delBanTicket(ticket.getID())
    elapsed = time.perf_counter() - t0
    assert len(due) == count, (len(due), count)
    return elapsed / count * 1e6


def lateness(resident: int, late_bans: int, spread: float) -> list[float]:
    clock = Clock()
    lates: list[float] = []
    done = threading.Event()

    def unban(_jail: str, ticket: Ticket) -> None:
        lates.append(time.time() - ticket.getEndOfBanTime(3600))
        if len(lates) == late_bans:
            done.set()

    observer = Observer(None, unban, clock=clock)
    observer.add_jail("sshd", 3600)
    now = clock.time()
    for i in range(resident):  # far-future bans the wheel must step over
        ticket = BanTicket(address(i), now)
        ticket.setBanTime(7200 + i % 3600)
        observer.expiry.schedule("sshd", ticket)
    observer.start()
    now = clock.time()
    for i in range(late_bans):
        ticket = BanTicket(Address(f"192.168.{i >> 8 & 255}.{i & 255}"), now)
        ticket.setBanTime(1.0 + spread * i / late_bans)
        observer.prolong("sshd", ticket)  # schedules the end, like a new ban
    done.wait(spread + 30)
    observer.stop()
    observer.join(5)
    return lates


def intake(lines: list[str], resident: int) -> tuple[float, int]:
    """(seconds, failures) to feed ``lines`` to a fresh jail holding ``resident`` bans."""
    end = START + len(lines) / RATE
    clock = Clock(frozen_at=end)
    observer = Observer(None, lambda _j, _t: None, clock=clock)
    jail = make_jail(clock, observer)
    if resident:
        resident_bans(jail, observer, resident, end)
    data = "".join(line + "\n" for line in lines).encode()
    chunk = 1 << 20
    gc.collect()
    t0 = time.perf_counter()
    failures = 0
    start = 0
    while start < len(data):
        stop = data.find(b"\n", min(start + chunk, len(data) - 1)) + 1 or len(data)
        failures += jail.feed(data[start:stop])
        jail.actions.run_once(end)
        start = stop
    return time.perf_counter() - t0, failures


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bans", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--late-bans", type=int, default=10_000)
    parser.add_argument("--spread", type=float, default=5.0, help="seconds over which bans end")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # no "Ban ..." lines in the figures
    if not Path("/etc/fail2ban/filter.d/sshd.conf").exists():
        parser.error("needs Debian's fail2ban (its sshd filter)")

    clock = Clock(frozen_at=START)
    observer = Observer(None, lambda _j, _t: None, clock=clock)
    jail = make_jail(clock, observer)
    add_us, rss = resident_bans(jail, observer, args.bans, START)
    expire_us = expire_all(jail, observer, args.bans)
    print(f"{args.bans:,} concurrent bans (ban list + timer wheel, Python API):")
    print(f"  add      {add_us:6.2f} us/ban")
    print(f"  expire   {expire_us:6.2f} us/ban")
    print(f"  memory   {rss / args.bans:6.0f} B/ban (RSS delta)")
    del jail, observer
    gc.collect()

    lates = lateness(args.bans, args.late_bans, args.spread)
    print(
        f"unban lateness, {len(lates):,} bans ending over {args.spread:g} s "
        f"with {args.bans:,} resident:"
    )
    print(
        f"  p50 {pct(lates, 0.5) * 1e3:.1f} ms  p99 {pct(lates, 0.99) * 1e3:.1f} ms  "
        f"max {max(lates) * 1e3:.1f} ms  (early: {sum(1 for x in lates if x < 0)})"
    )

    lines = list(generate("auth", args.lines, 0.5, seed=7, start=START, rate=RATE))
    # interleaved and best of two each, so warm-up and load drift hit both sides alike
    runs = [intake(lines, n) for n in (0, args.bans, args.bans, 0)]
    empty_s, empty_f = min(runs[0], runs[3])
    full_s, full_f = min(runs[1], runs[2])
    assert len({f for _, f in runs}) == 1, runs  # same failures with and without bans
    print(f"jail intake, auth.log {args.lines:,} lines, 50% attack, sshd jail:")
    print(
        f"  no resident bans   {args.lines / empty_s:10,.0f} lines/s "
        f"{empty_f / empty_s:10,.0f} failures/s"
    )
    print(
        f"  {args.bans:,} resident  {args.lines / full_s:10,.0f} lines/s "
        f"{full_f / full_s:10,.0f} failures/s"
    )
    print(f"  ratio (with/without resident bans) {empty_s / full_s:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
