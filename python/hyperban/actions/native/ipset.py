"""``banaction = hyperban-ipset`` (and the fallback of ``hyperban-nftables`` without nft).

Bans are entries of two ipsets (``hb-<jail>-4``/``-6``, ``hash:ip`` with per-entry
timeouts) matched by one iptables/ip6tables rule per protocol in ``chain`` (INPUT).
A batch is one ``ipset restore`` run.  ``ipset restore`` is not a transaction -- it
stops at the first bad line, keeping the lines before -- but every line here is
idempotent (``add -exist`` re-times an entry, ``del -exist`` ignores a missing one), so
bisecting a refused batch (see :mod:`.isolate`) applies each good line once more, harmlessly.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from .common import Operation, SetAction
from .errors import NativeActionError
from .items import BanItem
from .names import safe_name
from .ports import parse_match
from .runner import run, split_command

__all__ = ["IpsetAction"]

log = logging.getLogger(__name__)

# The kernel caps ipset timeouts at 2,147,483 s (~24.8 days), silently.  A capped ban
# would end early, so longer bans get no timeout and are lifted by the daemon's unban.
IPSET_MAX_TIMEOUT = 2_147_483
_BLOCKTYPES = {"drop": "DROP", "reject": "REJECT"}


class IpsetAction(SetAction):
    """A jail's bans as ipset entries, matched by iptables rules with ``-m set``."""

    max_timeout = IPSET_MAX_TIMEOUT

    def __init__(
        self, jail: Any, name: str, params: Mapping[str, str], *, allports: bool = False
    ) -> None:
        super().__init__(jail, name, params)
        p = self.params
        self.ipset = split_command(p.get("ipset", "ipset"))
        self.iptables = {
            4: split_command(p.get("iptables", "iptables -w")),
            6: split_command(p.get("ip6tables", "ip6tables -w")),
        }
        key = safe_name(p.get("name") or getattr(jail, "name", name), limit=26)
        self.sets = {4: f"hb-{key}-4", 6: f"hb-{key}-6"}
        chain = p.get("chain", "INPUT")
        # The stock jail.conf passes chain="<known/chain>" when no action file defines it.
        self.chain = "INPUT" if "<" in chain else safe_name(chain)
        self.match = parse_match(p, allports=allports)
        blocktype = p.get("blocktype", "DROP")
        self.blocktype = _BLOCKTYPES.get(blocktype.strip().lower(), blocktype).split()
        self.maxelem = int(p.get("maxelem", "1048576"))

    def _restore(self, lines: list[str]) -> bool:
        result = run([*self.ipset, "restore"], "\n".join(lines) + "\n")
        if not result.ok:
            log.debug("%s: ipset restore refused: %s", self.name, result.stderr)
        return result.ok

    def _rules(self, version: int) -> list[list[str]]:
        target = ["-m", "set", "--match-set", self.sets[version], "src", "-j", *self.blocktype]
        return [[*match, *target] for match in self.match.iptables_rules()]

    def start(self) -> None:
        created = self._restore(
            [
                f"create {self.sets[v]} hash:ip family {fam} timeout 0 maxelem {self.maxelem} "
                "-exist"
                for v, fam in ((4, "inet"), (6, "inet6"))
            ]
        )
        if not created:
            raise NativeActionError(f"{self.name}: cannot create the ipsets {self.sets}")
        for version in (4, 6):
            for rule in self._rules(version):
                tool = self.iptables[version]
                if run([*tool, "-C", self.chain, *rule]).ok:
                    continue  # already there: start is idempotent
                added = run([*tool, "-I", self.chain, "1", *rule])
                if not added.ok:
                    raise NativeActionError(f"{self.name}: {tool[0]} refused: {added.stderr}")

    def stop(self) -> None:
        for version in (4, 6):
            for rule in self._rules(version):
                while run([*self.iptables[version], "-D", self.chain, *rule]).ok:
                    pass  # a rule inserted twice by hand goes too
        for name in self.sets.values():
            run([*self.ipset, "destroy", name])

    def flush(self) -> bool:
        return self._restore([f"flush {name}" for name in self.sets.values()])

    def _apply(self, op: Operation, items: Sequence[BanItem]) -> bool:
        if op != "unban":  # ipset restore is no transaction: "replace" never flushes here
            lines = [
                f"add {self.sets[i.version]} {i.ip} timeout {i.timeout or 0} -exist" for i in items
            ]
        else:
            lines = [f"del {self.sets[i.version]} {i.ip} -exist" for i in items]
        return self._restore(lines)

    def _healthy(self) -> bool:
        return all(run([*self.ipset, "-t", "list", name]).ok for name in self.sets.values())
