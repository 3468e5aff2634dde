"""Which failure ids a jail never bans: ``ignoreip``, ``ignoreself``, ``ignorecommand``.

fail2ban's rules (``Filter._inIgnoreIPList``), in its order:

1. with ``ignorecache`` set, a cached verdict for the cache key (a tag template such as
   ``<ip>`` or ``<F-USER>@<ip>``) wins;
2. ``ignoreself``: the addresses of ``localhost`` and of this host's names;
3. ``ignoreip``: single addresses (a set look-up), subnets (``10.0.0.0/8``, also in mask
   form ``10.0.0.0/255.0.0.0``) and host names (resolved when checked, cached by the
   resolver);
4. ``ignorecommand``: a command run with the ticket's tags; exit 0 means ignore, 1 means
   do not, anything else is an error (logged, not ignored).

Ids are compared as fail2ban's address objects compare them: ``::ffff:1.2.3.4`` is the IPv4
address ``1.2.3.4``, ``2001:DB8::1`` equals ``2001:db8::1``; an id that is not an address
(a user name from ``<F-ID>``) matches only the same text.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from hyperban.config.options import extract_options, parse_time
from hyperban.filter.dns import DEFAULT_RESOLVER, Address, ExpiringCache, Resolver

__all__ = ["IgnoreCache", "IgnoreList", "parse_ignorecache"]

log = logging.getLogger(__name__)

# (template, tags) -> the template with the tags substituted (shell-safe where it matters).
TagRenderer = Callable[[str, Mapping[str, Any]], str]
# Runs an ignorecommand already rendered; returns its exit status (None: could not run).
CommandRunner = Callable[[str], "int | None"]


class IgnoreCache:
    """``ignorecache``: verdicts by a key rendered from the ticket's tags."""

    def __init__(self, key: str, max_count: int = 100, max_time: float = 300.0) -> None:
        self.key = key
        self.max_count = max_count
        self.max_time = max_time
        self._cache = ExpiringCache(max_count=max_count, max_time=max_time)

    def get(self, key: str) -> bool | None:
        value = self._cache.get(key)
        return None if value is None else bool(value)

    def set(self, key: str, verdict: bool) -> None:
        self._cache.set(key, verdict)

    def describe(self) -> list[object]:
        """As fail2ban's ``get <jail> ignorecache``: ``[key, max-count, max-time]``."""
        return [self.key, self.max_count, self.max_time]


def parse_ignorecache(value: str | None) -> IgnoreCache | None:
    """``key="<ip>", max-count=100, max-time=5m`` → an :class:`IgnoreCache` (None if empty).

    Raises ``ValueError`` naming the value when it is malformed.
    """
    if not value or not value.strip():
        return None
    try:
        _, options = extract_options(f"cache[{value}]")
        key = options["key"]
        max_count = int(options.get("max-count", 100))
        max_time = parse_time(options.get("max-time", "300"))
    except (KeyError, ValueError) as exc:
        raise ValueError(f"invalid ignorecache {value!r}: {exc}") from None
    return IgnoreCache(key, max_count, max_time)


def self_addresses(resolver: Resolver = DEFAULT_RESOLVER) -> set[Address]:
    """The addresses ``ignoreself`` covers: those of localhost and of this host's names."""
    names = {"localhost", socket.gethostname(), socket.getfqdn()} - {""}
    found: set[Address] = set()
    for name in names:
        try:
            found.update(resolver.text_to_ips(name, "yes"))
        except Exception as exc:  # a broken resolver must not stop the jail
            log.warning("Retrieving own IPs of %s failed: %s", name, exc)
    # A host without a working resolver still has its loopback addresses.
    found.update((Address("127.0.0.1"), Address("::1")))
    return found


class IgnoreList:
    """The ignore rules of one jail."""

    def __init__(
        self,
        jail_name: str,
        *,
        resolver: Resolver = DEFAULT_RESOLVER,
        render: TagRenderer | None = None,
        run_command: CommandRunner | None = None,
    ) -> None:
        self.jail_name = jail_name
        self.ignore_self = True
        self.command: str | None = None
        self.cache: IgnoreCache | None = None
        self._singles: dict[Address, str] = {}
        self._networks: list[tuple[Address, str]] = []
        self._resolver = resolver
        self._render = render
        self._run_command = run_command
        self._self_ips: set[Address] | None = None

    # -- configuration --------------------------------------------------------------

    def add(self, text: str) -> None:
        """Add one ``ignoreip`` entry (address, subnet or host name).

        Raises ``ValueError`` naming the entry when it is neither (e.g. ``10.0.0.0/99``).
        """
        text = text.strip()
        if not text:
            return
        try:
            entry = Address(text)
        except ValueError as exc:
            raise ValueError(f"invalid ignoreip entry {text!r}: {exc}") from None
        if entry in self._singles or any(entry == net for net, _ in self._networks):
            log.debug("[%s] ignore %r: already in the ignore list", self.jail_name, text)
            return
        if entry.is_single:
            self._singles[entry] = text
        else:
            # a subnet, or a name resolved when checked (fail2ban keeps both in one list)
            self._networks.append((entry, text))

    def add_many(self, entries: Iterable[str]) -> None:
        for text in entries:
            for word in text.split():
                self.add(word)

    def remove(self, text: str | None = None) -> None:
        """Remove one entry (as written or in canonical form); None clears the list."""
        if text is None:
            self._singles.clear()
            self._networks.clear()
            return
        entry = Address(text.strip())
        if entry in self._singles:
            del self._singles[entry]
            return
        for i, (net, _) in enumerate(self._networks):
            if net == entry:
                del self._networks[i]
                return
        raise ValueError(f"{text!r} is not in the ignore list of {self.jail_name}")

    def entries(self) -> list[str]:
        """The entries in canonical form, as ``get <jail> ignoreip`` lists them: subnets
        and names first, then single addresses (fail2ban keeps them in a list and a set)."""
        return [str(n) for n, _ in self._networks] + [str(a) for a in self._singles]

    # -- the check ----------------------------------------------------------------

    @property
    def needs_tags(self) -> bool:
        """Whether :meth:`is_ignored` reads a ticket's tags (``ignorecommand``,
        ``ignorecache``): callers build them only then."""
        return self.cache is not None or bool(self.command)

    def is_ignored(
        self,
        fid: Any,
        tags: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None,
    ) -> bool:
        """True if failures of ``fid`` must not count (``tags``: the ticket's tags for
        ``ignorecommand``/``ignorecache``, at least ``ip``; or a function that builds
        them, called only if a rule needs them)."""
        ip = fid if isinstance(fid, Address) else Address(str(fid))
        if not self.needs_tags:  # the usual case: no rule reads tags, nothing to cache
            verdict, source = self._decide(ip, _no_tags)
            if verdict:
                log.info("[%s] Ignore %s by %s", self.jail_name, ip, source)
            return verdict
        if tags is None:
            tags = {"ip": str(ip)}
        resolved: list[Mapping[str, Any]] = []

        def get_tags() -> Mapping[str, Any]:
            if not resolved:
                resolved.append(tags() if callable(tags) else tags)  # type: ignore[arg-type]
            return resolved[0]

        key: str | None = None
        if self.cache is not None:
            key = self._render_tags(self.cache.key, get_tags())
            cached = self.cache.get(key)
            if cached is not None:
                return cached
        verdict, source = self._decide(ip, get_tags)
        if verdict:
            log.info("[%s] Ignore %s by %s", self.jail_name, ip, source)
        if self.cache is not None and key is not None and source != "ip":
            # fail2ban caches everything but the plain set look-up (already O(1))
            self.cache.set(key, verdict)
        return verdict

    def _decide(self, ip: Address, tags: Callable[[], Mapping[str, Any]]) -> tuple[bool, str]:
        if self.ignore_self and ip in self._own_addresses():
            return True, "ignoreself rule"
        if ip in self._singles:
            return True, "ip"
        for net, text in self._networks:
            if self._in_network(ip, net, text):
                return True, "ip" if net.is_valid and not net.is_raw else "dns"
        if self.command:
            return self._command_says_ignore(tags()), "command"
        return False, ""

    def _in_network(self, ip: Address, net: Address, text: str) -> bool:
        if not net.is_valid or net.is_raw:
            return ip in self._resolver.name_to_ips(text)
        return ip.is_in(net)

    def _own_addresses(self) -> set[Address]:
        if self._self_ips is None:
            self._self_ips = self_addresses(self._resolver)
        return self._self_ips

    def _render_tags(self, template: str, tags: Mapping[str, Any]) -> str:
        if self._render is not None:
            return self._render(template, tags)
        # Without a renderer only the plain <ip> tag is known (cache keys, no shell).
        return template.replace("<ip>", str(tags.get("ip", "")))

    def _command_says_ignore(self, tags: Mapping[str, Any]) -> bool:
        assert self.command is not None
        if self._run_command is None or self._render is None:
            log.error("[%s] ignorecommand set but no command runner", self.jail_name)
            return False
        command = self._render(self.command, tags)
        status = self._run_command(command)
        if status == 0:
            return True
        if status != 1:
            log.error(
                "[%s] ignorecommand %r failed (status %s): not ignoring",
                self.jail_name,
                command,
                status,
            )
        return False


def _no_tags() -> Mapping[str, Any]:
    raise AssertionError("no ignore rule reads tags without ignorecommand or ignorecache")
