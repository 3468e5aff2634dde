"""``banaction = hyperban-nftables`` / ``hyperban-nftables-allports``: bans in nft sets.

Layout, all in one table of ours (``table inet hyperban``, ``table = ...`` to rename)::

    table inet hyperban {
        set sshd-v4 { type ipv4_addr; flags timeout; }
        set sshd-v6 { type ipv6_addr; flags timeout; }
        chain jail-sshd {
            type filter hook input priority -10; policy accept;
            ip saddr @sshd-v4 tcp dport { 22 } drop
            ip6 saddr @sshd-v6 tcp dport { 22 } drop
        }
    }

Each jail has its own base chain, so starting or stopping a jail never edits another
jail's rules (no rule handles to look up), and the table goes when its last jail stops.
Priority -10 runs before a filter chain at the usual priority 0 (and before fail2ban's
stock ``f2b-table`` at -1); ``chain_priority``/``chain_hook``/``blocktype`` change that.

Every batch is one nft transaction (in-process through libnftables where it loads, else
one ``nft -f -``; see :mod:`.nft_exec`).  With the default ``nftables_backend = auto``
and the plain ``nft`` command, the element batches of bans, unbans and restores skip
nft's script parser and ruleset cache and go to the kernel as the same nf_tables batch
over netlink (:mod:`.nft_netlink`); the table, chain and sets are still made by nft.

nft 1.0.6 has no ``destroy``, and deleting an element that is not there (e.g. the kernel
timed it out) fails the transaction, so each delete is preceded by an ``add`` of the same
element in the same transaction:

* unban = ``add {a}; delete {a}`` -- succeeds whether or not ``a`` is still in the set;
* ban   = ``add {a}; delete {a}; add {a timeout T}`` -- sets the timeout even when ``a``
  is already there (older kernels keep an existing element's timeout on ``add``).

Restoring right after start empties the sets and adds every ban in one transaction
(see :meth:`SetAction.restore_many`).

Element timeouts are the remaining ban time plus a grace (``timeout_grace``, 60 s): the
daemon's unban lifts the ban on time, the kernel timeout only matters if the daemon is
gone.  Permanent bans (bantime -1) have no timeout.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from .common import Operation, SetAction
from .errors import NativeActionError
from .items import BanItem
from .names import safe_name
from .nft_exec import LibNftables, nft_executor
from .nft_netlink import ElementOp, NetlinkSetElements, netlink_available
from .ports import parse_match

__all__ = ["NftablesAction"]

log = logging.getLogger(__name__)

# Jails of one process share the table: deciding "last one out deletes it" is serialised.
_TABLE_LOCK = threading.Lock()


#: One step of a batch: ``(verb, set name, items, with their timeouts)``; a ``flush``
#: step has no items.
_Step = tuple[Literal["add", "delete", "flush"], str, list[BanItem], bool]


class NftablesAction(SetAction):
    """A jail's bans as elements of two nft sets, matched by the jail's own chain."""

    def __init__(
        self, jail: Any, name: str, params: Mapping[str, str], *, allports: bool = False
    ) -> None:
        super().__init__(jail, name, params)
        p = self.params
        # one in-process libnftables context where possible (see nft_exec)
        backend = p.get("nftables_backend", "auto")
        self.nft_exec = nft_executor(p.get("nftables", "nft"), backend)
        self.table = safe_name(p.get("table", "hyperban"))
        # element batches straight over netlink where nft itself would run in-process
        self.elements: NetlinkSetElements | None = None
        if backend == "auto" and isinstance(self.nft_exec, LibNftables) and netlink_available():
            self.elements = NetlinkSetElements(self.table)
        key = safe_name(p.get("name") or getattr(jail, "name", name))
        self.chain = f"jail-{key}"
        self.sets = {4: f"{key}-v4", 6: f"{key}-v6"}
        self.match = parse_match(p, allports=allports)
        self.hook = safe_name(p.get("chain_hook", "input"))
        self.priority = int(p.get("chain_priority", "-10"))
        self.blocktype = p.get("blocktype", "drop")
        if any(c in self.blocktype for c in ";{}\n#"):
            raise NativeActionError(f"bad blocktype {self.blocktype!r}")

    # -- nft ----------------------------------------------------------------------------

    def _nft(self, script: str) -> bool:
        result = self.nft_exec.script(script)
        if not result.ok:
            log.debug("%s: nft refused the transaction: %s", self.name, result.stderr)
        return result.ok

    def _where(self) -> str:
        return f"inet {self.table}"

    def _structure(self) -> list[str]:
        """The idempotent ``add`` lines for the table, our chain and our sets."""
        t = self._where()
        return [
            f"add table {t}",
            f"add chain {t} {self.chain} {{ type filter hook {self.hook} "
            f"priority {self.priority}; policy accept; }}",
            f"add set {t} {self.sets[4]} {{ type ipv4_addr; flags timeout; }}",
            f"add set {t} {self.sets[6]} {{ type ipv6_addr; flags timeout; }}",
        ]

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        t = self._where()
        lines = [*self._structure(), f"flush chain {t} {self.chain}"]  # rules: exactly ours
        for match in self.match.nft_rules():
            for version, family in ((4, "ip"), (6, "ip6")):
                rule = f"{family} saddr @{self.sets[version]} {match} {self.blocktype}"
                lines.append(f"add rule {t} {self.chain} {' '.join(rule.split())}")
        result = self.nft_exec.script("\n".join(lines) + "\n")
        if not result.ok:
            raise NativeActionError(f"{self.name}: cannot set up nftables: {result.stderr}")
        self._fresh = True

    def stop(self) -> None:
        t = self._where()
        # add-then-delete: stopping twice (or after someone removed our chain) succeeds.
        script = [
            *self._structure(),
            f"delete chain {t} {self.chain}",
            f"delete set {t} {self.sets[4]}",
            f"delete set {t} {self.sets[6]}",
        ]
        with _TABLE_LOCK:
            result = self.nft_exec.script("\n".join(script) + "\n")
            if not result.ok:
                raise NativeActionError(f"{self.name}: cannot remove our chain: {result.stderr}")
            self._drop_table_if_empty()

    def _drop_table_if_empty(self) -> None:
        listing = self.nft_exec.command("list", "table", "inet", self.table, terse=True)
        if not listing.ok:
            return  # already gone
        lines = (line.strip() for line in listing.stdout.splitlines())
        if any(line.startswith(("chain ", "set ", "map ")) for line in lines):
            return  # another jail still uses it
        self.nft_exec.command("delete", "table", "inet", self.table)

    def flush(self) -> bool:
        t = self._where()
        return self._nft(f"flush set {t} {self.sets[4]}\nflush set {t} {self.sets[6]}\n")

    # -- batches (see SetAction) --------------------------------------------------------

    def _plan(self, op: Operation, items: Sequence[BanItem]) -> list[_Step]:
        """The steps of one batch, in order, whatever carries them to the kernel."""
        steps: list[_Step] = []
        for version in (4, 6):
            name = self.sets[version]
            if op == "replace":
                steps.append(("flush", name, [], False))  # both families, even if no item
            mine = [item for item in items if item.version == version]
            if not mine:
                continue
            if op in ("ban", "unban"):  # the add makes the delete safe (module docstring)
                steps.append(("add", name, mine, False))
                steps.append(("delete", name, mine, False))
            if op != "unban":
                steps.append(("add", name, mine, True))
        return steps

    def _apply(self, op: Operation, items: Sequence[BanItem]) -> bool:
        steps = self._plan(op, items)
        if self.elements is not None:
            return self._apply_netlink(steps)
        t = self._where()
        lines: list[str] = []
        for verb, name, mine, timed in steps:
            if verb == "flush":
                lines.append(f"flush set {t} {name}")
                continue
            listed = ", ".join(_element(item) if timed else item.ip for item in mine)
            lines.append(f"{verb} element {t} {name} {{ {listed} }}")
        return self._nft("\n".join(lines) + "\n")

    def _apply_netlink(self, steps: list[_Step]) -> bool:
        """The steps as one netlink batch (each address packed once)."""
        assert self.elements is not None
        keys: dict[str, list[bytes]] = {}
        ops: list[ElementOp] = []
        for verb, name, mine, timed in steps:
            if verb == "flush":
                ops.append(("flush", name, ()))
                continue
            if name not in keys:
                family = socket.AF_INET if mine[0].version == 4 else socket.AF_INET6
                keys[name] = [socket.inet_pton(family, item.ip) for item in mine]
            timeouts = (item.timeout if timed else None for item in mine)
            ops.append((verb, name, list(zip(keys[name], timeouts, strict=True))))
        result = self.elements.apply(ops)
        if not result.ok:
            log.debug("%s: the kernel refused the batch: %s", self.name, result.stderr)
        return result.ok

    def _healthy(self) -> bool:
        return self.nft_exec.command("list", "chain", "inet", self.table, self.chain).ok


def _element(item: BanItem) -> str:
    return item.ip if item.timeout is None else f"{item.ip} timeout {item.timeout}s"
