"""What the set-based native actions share: one batch -> one transaction per chunk.

A subclass says how to apply a list of :class:`BanItem` to its sets (``_apply``) and how
to tell whether its sets are there at all (``_healthy``); this class turns aInfo
mappings into checked items, removes duplicates (a second delete of one element in one
nft transaction fails it) and maps the per-item outcome back to the caller's order.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from ..base import ActionBase, ActionInfo, call_listed, no_attribute
from .isolate import apply_isolating
from .items import MAX_TIMEOUT, BanItem, parse_item

__all__ = ["Operation", "SetAction"]

# ban/unban: safe whatever the sets hold.  add: plain add, for items known to be absent.
# replace: empty the sets and add, in one transaction (see restore_many).
Operation = Literal["ban", "unban", "add", "replace"]

# Elements per transaction.  nft takes 100k elements in ~0.3 s; bigger batches only
# grow nft's memory, and a chunk is also the unit a failure is bisected in.
DEFAULT_CHUNK = 100_000
# Seconds a kernel element outlives its ban (see items.parse_item).
DEFAULT_GRACE = 60

log = logging.getLogger(__name__)

# What ``set JAIL action ACT METHOD`` may call (fail2ban's names).
NATIVE_METHODS = ("ban", "consistencyCheck", "flush", "reban", "start", "stop", "unban")


class SetAction(ActionBase):
    """Bans held as elements of per-family kernel sets; batches applied as transactions."""

    # The longest element timeout the firewall takes; longer bans get none.
    max_timeout = MAX_TIMEOUT

    def __init__(self, jail: Any, name: str, params: Mapping[str, str]) -> None:
        super().__init__(jail, name)
        self.params = dict(params)
        self.grace = max(0, int(self.params.get("timeout_grace", DEFAULT_GRACE)))
        self.chunk = int(self.params.get("chunk", DEFAULT_CHUNK))
        # True from start() until the first batch: the sets hold nothing of this run.
        self._fresh = False

    # -- what subclasses provide ------------------------------------------------------

    def _apply(self, op: Operation, items: Sequence[BanItem]) -> bool:
        """Apply ``op`` to every item in one transaction; False if it was refused."""
        raise NotImplementedError

    def _healthy(self) -> bool:
        """Whether our sets exist (a refused batch is then worth bisecting)."""
        raise NotImplementedError

    # -- fail2ban's single entry points -----------------------------------------------

    def ban(self, aInfo: ActionInfo) -> bool:
        return self.ban_many([aInfo])[0]

    def unban(self, aInfo: ActionInfo) -> bool:
        return self.unban_many([aInfo])[0]

    def reban(self, aInfo: ActionInfo) -> bool:
        return self.ban_many([aInfo])[0]

    def prolong(self, aInfo: ActionInfo) -> bool:  # a ban re-times the element
        return self.ban_many([aInfo])[0]

    def extend(self, aInfo: ActionInfo) -> bool:
        # The element's kernel timeout still holds the grace period past the old
        # end: re-time it to the new end before that runs out.
        return self.ban_many([aInfo])[0]

    # -- batches ----------------------------------------------------------------------

    def ban_many(self, infos: Sequence[ActionInfo]) -> list[bool]:
        self._fresh = False
        return self._batch("ban", infos)

    def unban_many(self, infos: Sequence[ActionInfo]) -> list[bool]:
        self._fresh = False
        return self._batch("unban", infos)

    def reban_many(self, infos: Sequence[ActionInfo]) -> list[bool]:
        return self.ban_many(infos)

    def consistency_check(self) -> bool:
        """Our chain and sets still there; if someone removed them (``nft flush ruleset``,
        a firewall reload), set them up again and raise :attr:`ban_epoch` so the bans
        they held are applied again as their addresses fail anew."""
        if self._healthy():
            return True
        log.error("%s: our chain or sets are gone; setting them up again", self.name)
        self.ban_epoch += 1
        try:
            self.start()
        except Exception as exc:  # the jail keeps running; the next check tries again
            log.critical("%s: unable to restore the firewall: %s", self.name, exc)
            return False
        return self._healthy()

    # -- run-time inspection (get/set JAIL action...) ---------------------------------

    def property_names(self) -> list[str]:
        return sorted({*self.params, "actname", "banEpoch"})

    def method_names(self) -> list[str]:
        return list(NATIVE_METHODS)

    def get_property(self, name: str) -> Any:
        if name == "actname":
            return self.name
        if name == "banEpoch":
            return self.ban_epoch
        if name in self.params:
            return self.params[name]
        raise no_attribute(self, name)

    def set_property(self, name: str, value: str) -> None:
        # Table, chain and set names are fixed when the action starts: changed under
        # it, unbans would miss the elements already added.
        raise ValueError(
            f"{self.name}: a native action's properties cannot change while it runs; "
            "edit the configuration and reload the jail"
        )

    def call_method(self, name: str, kwargs: Mapping[str, Any]) -> Any:
        return call_listed(self, name, NATIVE_METHODS, kwargs)

    def restore_many(self, infos: Sequence[ActionInfo]) -> list[bool]:
        """Restore the database's bans; right after start(), they replace the sets' content.

        The first batch after start() may find elements a crashed run left behind.  It
        empties the sets and adds the bans in one transaction (no moment without the
        bans), so each element is added once instead of add/delete/add: 3x less work for
        nft at start.  If that transaction is refused, every item goes the safe way.
        """
        if not self._fresh:
            return self._batch("ban", infos)
        self._fresh = False
        mode: list[Operation] = ["replace"]

        def apply(part: Sequence[BanItem]) -> bool:
            if mode[0] == "replace":
                done = self._apply("replace", part)
                mode[0] = "add" if done else "ban"  # later chunks: the sets were emptied
                if done:
                    return True
            return self._apply(mode[0], part)

        return self._batch("ban", infos, apply)

    def _batch(
        self,
        op: Operation,
        infos: Sequence[ActionInfo],
        apply: Callable[[Sequence[BanItem]], bool] | None = None,
    ) -> list[bool]:
        results = [False] * len(infos)
        # (family, address) -> positions in infos; the last item of an address wins.
        positions: dict[tuple[int, str], list[int]] = {}
        unique: dict[tuple[int, str], BanItem] = {}
        now = time.time()
        grace, max_timeout = self.grace, self.max_timeout
        for i, info in enumerate(infos):
            item = parse_item(info, grace=grace, max_timeout=max_timeout, now=now)
            if item is None:
                log.error("%s: cannot %s %r: not an IP address", self.name, op, info.get("ip"))
                continue
            key = (item.version, item.ip)
            positions.setdefault(key, []).append(i)
            unique[key] = item
        if not unique:
            return results
        keys = list(unique)
        flags = apply_isolating(
            [unique[k] for k in keys],
            apply or (lambda part: self._apply(op, part)),
            self._healthy,
            chunk=self.chunk,
        )
        for key, ok in zip(keys, flags, strict=True):
            if not ok:
                log.error("%s: %s of %s failed", self.name, op, key[1])
            for i in positions[key]:
                results[i] = ok
        return results
