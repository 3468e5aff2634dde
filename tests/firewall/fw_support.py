"""What the firewall tests share: the ``pair`` fixture, the probe port, a jail stand-in,
the definitions of the actions under test.

Not a conftest.py: other test folders import ``from conftest``, and with one more
conftest.py module around they may get ours when pytest runs the folders together.
A test module imports ``pair_fixture``; tests then ask for ``pair``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from netns import NetnsPair, skip_unless_netns

from hyperban.config.actions import native_action, read_action

__all__ = ["PORT", "STOCK", "FakeJail", "action_definition", "host_ruleset", "pair_fixture"]

PORT = 2222  # the listener the probes connect to
STOCK = "/etc/fail2ban"  # Debian's fail2ban configuration

# Resolved at import: tests put a wrapper named "nft" (into the namespace) first in PATH.
HOST_NFT = shutil.which("nft")


def host_ruleset() -> str | None:
    """The host's nftables ruleset (iptables-nft rules included); None without nft."""
    if HOST_NFT is None:
        return None
    return subprocess.run([HOST_NFT, "list", "ruleset"], capture_output=True, text=True).stdout


class FakeJail:
    """What an action reads from its jail: the name."""

    def __init__(self, name: str) -> None:
        self.name = name


@pytest.fixture(name="pair")
def pair_fixture() -> Iterator[NetnsPair]:
    """Fresh namespaces (and so a fresh, empty firewall) for each test.

    It also checks that the test left the host's own ruleset as it found it.
    """
    skip_unless_netns()
    before = host_ruleset()
    with NetnsPair() as p:
        p.listen(PORT)
        yield p
    assert host_ruleset() == before, "the host's firewall changed during a firewall test"


def action_definition(kind: str) -> Any:
    """The sshd jail's action ``kind`` on the probe port: a native one, or a stock
    ``action.d`` file (skipped when Debian's fail2ban is not installed)."""
    if kind.startswith("hyperban-"):
        return native_action(STOCK, kind, "sshd", {"port": str(PORT)})
    if not os.path.exists(f"{STOCK}/action.d/{kind}.conf"):
        pytest.skip(f"{STOCK}/action.d/{kind}.conf not installed (Debian package fail2ban)")
    return read_action(f"{kind}[port={PORT}, protocol=tcp]", STOCK, jail_name="sshd")
