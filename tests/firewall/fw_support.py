"""What the firewall tests share: the ``pair`` fixture, the probe port, a jail stand-in.

Not a conftest.py: other test folders import ``from conftest``, and with one more
conftest.py module around they may get ours when pytest runs the folders together.
A test module imports ``pair_fixture``; tests then ask for ``pair``.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import pytest
from netns import NetnsPair, skip_unless_netns

__all__ = ["PORT", "FakeJail", "host_ruleset", "pair_fixture"]

PORT = 2222  # the listener the probes connect to

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
