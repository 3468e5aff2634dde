"""Bans/s into a real nft set: hyperban's batched native action against fail2ban's way.

Everything runs inside a throw-away network namespace (as root); the host's firewall is
never touched.  Three figures, measured side by side in one run:

* **ban rate** -- hyperban-nftables ``ban_many`` in batches of ``--batch`` (one jail
  tick's worth) against the stock ``nftables-multiport`` action run as fail2ban runs it:
  one ``actionban`` shell command (one ``nft`` process) per ban;
* **restore at start** -- hyperban ``restore_many`` of ``--restore`` bans (one
  transaction per 100k), against the stock action, which restores by running
  ``actionban`` once per ban: that one is timed on ``--stock-bans`` bans and
  extrapolated linearly to ``--restore`` (labelled so).

The stock action runs through ``hyperban.actions.loader.build_actions`` when that
exists; otherwise its resolved ``actionban`` template runs per ban through ``sh -c``.

    python3 benches/bench_firewall.py [--bans 20000] [--restore 100000] [--stock-bans 300]
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

# netns.py (tests/firewall) imports veth.py (tests): both directories go on the path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "firewall"))

from netns import NetnsPair, netns_unavailable  # from tests/firewall, put on the path above

from hyperban.actions.native import NftablesAction
from hyperban.config.actions import ActionDefinition, read_action

STOCK = "/etc/fail2ban"


class _Jail:
    name = "bench"


def infos(count: int, first: int = 0) -> list[dict[str, Any]]:
    """``count`` distinct IPv4 bans of one hour starting now (from 100.64.0.0 up)."""
    now = time.time()
    base = int(ipaddress.IPv4Address("100.64.0.0")) + first
    ips = (str(ipaddress.IPv4Address(base + i)) for i in range(count))
    return [{"ip": ip, "family": "inet4", "bantime": 3600, "time": now} for ip in ips]


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# -- the stock action, fail2ban's way -----------------------------------------------------


def _resolve(template: str, params: Mapping[str, str], ip: str) -> str:
    """Substitute ``<tag>``s as fail2ban does for a simple ban (enough for nftables.conf)."""
    values = {**params, "ip": ip}
    for _ in range(10):  # tags refer to tags (addr_set = addr-set-<name>)
        new = template
        for key, value in values.items():
            new = new.replace(f"<{key}>", value)
        if new == template:
            break
        template = new
    return template


class ShellStockAction:
    """Fallback when the command-action loader is absent: run templates via ``sh -c``."""

    def __init__(self, definition: ActionDefinition) -> None:
        self.params = definition.params_for_family("inet4")
        self.commands = definition.commands

    def _sh(self, name: str, ip: str = "") -> None:
        subprocess.run(["sh", "-c", _resolve(self.commands[name], self.params, ip)], check=True)

    def start(self) -> None:
        self._sh("actionstart")

    def stop(self) -> None:
        self._sh("actionstop")

    def ban(self, info: Mapping[str, Any]) -> None:
        self._sh("actionban", str(info["ip"]))


def stock_action(definition: ActionDefinition) -> Any:
    try:
        from hyperban.actions.loader import build_actions
    except ImportError:
        print("(hyperban.actions.loader absent: stock actionban run through sh -c)")
        return ShellStockAction(definition)
    (action,) = build_actions(_Jail(), [definition])
    return action


# -- the measurements ---------------------------------------------------------------------


def native_rates(pair: NetnsPair, bans: int, batch: int, restore: int) -> tuple[float, float]:
    """(bans/s with ban_many in batches, seconds to restore ``restore`` bans)."""
    act = NftablesAction(_Jail(), "hyperban-nftables", {"port": "22"})
    act.start()
    work = infos(bans)
    chunks = [work[i : i + batch] for i in range(0, len(work), batch)]

    def ban_all() -> None:
        for part in chunks:
            assert all(act.ban_many(part))

    ban_seconds = timed(ban_all)
    assert act.flush()
    act.stop()
    act.start()  # a daemon start: empty set, then the database's bans
    restored = infos(restore, first=1 << 20)
    restore_seconds = timed(lambda: all(act.restore_many(restored)) or sys.exit("restore failed"))
    count = pair.run(pair.server, "nft", "list", "set", "inet", "hyperban", "bench-v4").count(",")
    assert count + 1 == restore, f"restored {count + 1} of {restore}"
    act.stop()
    return bans / ban_seconds, restore_seconds


def stock_rate(bans: int) -> float:
    """Bans/s of the stock nftables-multiport, one actionban command per ban."""
    definition = read_action("nftables-multiport[port=22, protocol=tcp]", STOCK, jail_name="bench")
    assert isinstance(definition, ActionDefinition)
    act = stock_action(definition)
    act.start()
    work = infos(bans, first=1 << 21)
    seconds = timed(lambda: [act.ban(info) for info in work])
    act.stop()
    return bans / seconds


def host_ruleset() -> str:
    return subprocess.run(["nft", "list", "ruleset"], capture_output=True, text=True).stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bans", type=int, default=20_000, help="native bans timed")
    parser.add_argument("--batch", type=int, default=1_000, help="bans per ban_many call")
    parser.add_argument("--restore", type=int, default=100_000, help="bans restored at start")
    parser.add_argument("--stock-bans", type=int, default=300, help="stock bans timed")
    args = parser.parse_args()
    reason = netns_unavailable()
    if reason:
        sys.exit(f"cannot run: {reason}")
    host_before = host_ruleset()
    with NetnsPair(tag=f"{os.getpid() % 10000}b") as pair:
        # Both actions start their nft processes from this thread, which is in the
        # namespace: no wrapper in between, so per-process costs are what fail2ban pays.
        with pair.inside(pair.server):
            native_bans, native_restore = native_rates(pair, args.bans, args.batch, args.restore)
            stock_bans = stock_rate(args.stock_bans)
    if host_ruleset() != host_before:
        sys.exit("the host's nftables ruleset changed: an action ran outside the namespace")
    stock_restore = args.restore / stock_bans
    print(f"{'':34} {'hyperban-nftables':>18} {'nftables-multiport':>19} {'ratio':>7}")
    print(
        f"{'bans/s (batch ' + str(args.batch) + ' vs 1 per cmd)':34} "
        f"{native_bans:>18,.0f} {stock_bans:>19,.0f} {native_bans / stock_bans:>6.0f}x"
    )
    print(
        f"{'restore ' + format(args.restore, ',') + ' bans, s':34} {native_restore:>18.2f} "
        f"{stock_restore:>18.0f}* {stock_restore / native_restore:>6.0f}x"
    )
    print(f"* extrapolated from {args.stock_bans:,} stock bans at {stock_bans:,.0f}/s")


if __name__ == "__main__":
    main()
