"""Two fresh network namespaces joined by a veth pair: the set-up that the firewall
tests (``firewall/netns.py``) and the end-to-end sshd lab (``e2e/sshd_netns.py``) share.

Both ends of the pair are born inside their namespaces, so nothing is left in the
host's; deleting a namespace removes its end, its addresses and its whole firewall.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

__all__ = ["End", "delete_namespaces", "ip", "join_namespaces"]


@dataclass(frozen=True)
class End:
    """One side of the pair: its namespace, its device name (at most 15 characters)
    and its addresses (a /24 and a /64 are assumed)."""

    ns: str
    dev: str
    v4: str
    v6: str


def ip(*argv: str) -> None:
    """Run ``ip argv`` in the host's namespace; a failure raises with ip's message."""
    proc = subprocess.run(["ip", *argv], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"ip {' '.join(argv)} failed: {proc.stderr.strip()}")


def join_namespaces(a: End, b: End) -> None:
    """Create both namespaces and the veth pair between them, addressed and up."""
    ip("netns", "add", a.ns)
    ip("netns", "add", b.ns)
    ip("link", "add", a.dev, "netns", a.ns, "type", "veth",
       "peer", "name", b.dev, "netns", b.ns)  # fmt: skip
    for end in (a, b):
        ip("-n", end.ns, "link", "set", "lo", "up")
        ip("-n", end.ns, "addr", "add", f"{end.v4}/24", "dev", end.dev)
        # nodad: the address is usable at once, not after duplicate address detection.
        ip("-n", end.ns, "-6", "addr", "add", f"{end.v6}/64", "dev", end.dev, "nodad")
        ip("-n", end.ns, "link", "set", end.dev, "up")


def delete_namespaces(*names: str) -> None:
    """Delete the namespaces that exist among ``names`` (missing ones are fine)."""
    for ns in names:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
