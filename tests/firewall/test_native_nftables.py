"""hyperban-nftables against a real kernel, inside a throw-away network namespace."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

import pytest
from fw_support import PORT, FakeJail, pair_fixture  # noqa: F401 -- the fixture
from netns import NetnsPair, nft_in

from hyperban.actions.native import NativeActionError, NftablesAction, create_native_action


def ban(ip: str, bantime: float = 600, start: float | None = None) -> dict[str, Any]:
    family = "inet6" if ":" in ip else "inet4"
    return {"ip": ip, "family": family, "bantime": bantime, "time": start or time.time()}


def action(pair: NetnsPair, jail: str = "sshd", kind: str = "hyperban-nftables",
           **params: str) -> Any:  # fmt: skip
    with pair.inside(pair.server):
        act = create_native_action(kind, FakeJail(jail), kind, {"port": str(PORT), **params})
    assert isinstance(act, NftablesAction)
    return act


def elements(pair: NetnsPair, set_name: str) -> str:
    return nft_in(pair, "list", "set", "inet", "hyperban", set_name)


#: How element batches reach the kernel: ``auto`` sends them over netlink
#: (nft_netlink), ``library`` as nft script text through libnftables.
ROUTES = pytest.mark.parametrize("route", ["auto", "library"])


def routed(pair: NetnsPair, route: str, **params: str) -> Any:
    act = action(pair, nftables_backend=route, **params)
    assert (act.elements is not None) == (route == "auto")
    return act


@ROUTES
@pytest.mark.parametrize("kind", ["hyperban-nftables", "hyperban-nftables-allports"])
@pytest.mark.parametrize("family", [4, 6])
def test_banned_address_is_dropped_then_flows_after_unban(
    pair: NetnsPair, kind: str, family: int, route: str
) -> None:
    act = action(pair, kind=kind, nftables_backend=route)
    client = pair.client_v4 if family == 4 else pair.client_v6
    server = pair.server_v4 if family == 4 else pair.server_v6
    with pair.inside(pair.server):
        act.start()
        assert pair.can_connect(server)
        assert act.ban_many([ban(client)]) == [True]
        assert not pair.can_connect(server)
        assert act.unban_many([ban(client)]) == [True]
        assert pair.can_connect(server)


def test_ports_rule_leaves_other_ports_open(pair: NetnsPair) -> None:
    act = action(pair, port="1")  # the jail guards port 1, not the listener's port
    with pair.inside(pair.server):
        act.start()
        act.ban(ban(pair.client_v4))
    assert pair.can_connect(pair.server_v4)
    assert "tcp dport 1 drop" in nft_in(pair, "list", "chain", "inet", "hyperban", "jail-sshd")


@ROUTES
def test_batch_of_bans_is_one_transaction(
    pair: NetnsPair, monkeypatch: pytest.MonkeyPatch, route: str
) -> None:
    act = routed(pair, route)
    calls: list[str] = []
    real_script = act.nft_exec.script

    def counting_script(text: str) -> Any:
        calls.append(text)
        return real_script(text)

    def transactions() -> int:
        return len(calls) + (act.elements.transactions if act.elements else 0)

    monkeypatch.setattr(act.nft_exec, "script", counting_script)
    # 2500 addresses per family: more than one netlink message's worth of elements
    v4 = [f"10.9.{i // 250}.{i % 250 + 1}" for i in range(2500)]
    v6 = [f"2001:db8::{i + 1:x}" for i in range(2500)]
    with pair.inside(pair.server):
        act.start()
        calls.clear()
        before = transactions()
        assert act.ban_many([ban(ip) for ip in v4 + v6]) == [True] * 5000
        assert transactions() == before + 1  # one transaction
        assert elements(pair, "sshd-v4").count(" timeout ") == 2500
        assert elements(pair, "sshd-v6").count(" timeout ") == 2500
        before = transactions()
        assert act.unban_many([ban(ip) for ip in v4 + v6]) == [True] * 5000
        assert transactions() == before + 1
    assert "elements" not in elements(pair, "sshd-v4") + elements(pair, "sshd-v6")


@ROUTES
def test_restore_at_start_sets_remaining_time_and_permanent(pair: NetnsPair, route: str) -> None:
    act = routed(pair, route, timeout_grace="0")
    now = time.time()
    restored = [
        ban(pair.client_v4, bantime=3600, start=now - 600),  # 3000 s left
        ban("10.9.0.7", bantime=-1, start=now - 10**6),  # permanent
        ban(pair.client_v6, bantime=86400, start=now),
    ]
    with pair.inside(pair.server):
        act.start()
        assert act.restore_many(restored) == [True, True, True]
        act.ban(ban("10.9.9.9"))  # a ban the database no longer has (a crashed run's)
        # A restart restores again over what is there: still one rule pair, and the
        # restored bans replace the sets' content in one transaction.
        act.start()
        assert act.restore_many(restored) == [True, True, True]
        assert "10.9.9.9" not in elements(pair, "sshd-v4")
        # Later batches keep what is there.
        assert act.restore_many([ban("10.9.9.8")]) == [True]
    v4 = elements(pair, "sshd-v4")
    assert f"{pair.client_v4} timeout 50m" in v4  # 3000 s, nft prints 50m
    assert "10.9.0.7," in v4 or "10.9.0.7 }" in v4  # no timeout
    assert f"{pair.client_v6} timeout 1d" in elements(pair, "sshd-v6")
    chain = nft_in(pair, "list", "chain", "inet", "hyperban", "jail-sshd")
    assert chain.count("saddr @") == 2
    assert not pair.can_connect(pair.server_v4)
    assert not pair.can_connect(pair.server_v6)


def test_failing_transaction_isolates_the_bad_item(pair: NetnsPair) -> None:
    # nft's own parser refuses the bad item; the kernel would take it over netlink
    act = routed(pair, "library")
    # Let a timeout through that nft refuses ("value too large"): a real refused batch.
    act.max_timeout = 10**12
    good = [ban(f"10.9.1.{i}") for i in range(1, 10)]
    bad = ban("10.9.2.1", bantime=3_000_000_000)
    batch = [*good[:4], bad, *good[4:]]
    with pair.inside(pair.server):
        act.start()
        assert act.ban_many(batch) == [True] * 4 + [False] + [True] * 5
    listed = elements(pair, "sshd-v4")
    assert all(info["ip"] in listed for info in good)
    assert "10.9.2.1" not in listed


def test_invalid_address_fails_alone_without_reaching_nft(pair: NetnsPair) -> None:
    act = action(pair)
    with pair.inside(pair.server):
        act.start()
        result = act.ban_many([ban("10.9.3.1"), ban("example.com"), ban("10.9.3.999")])
    assert result == [True, False, False]


@ROUTES
def test_unban_of_an_element_the_kernel_already_expired(pair: NetnsPair, route: str) -> None:
    act = routed(pair, route)
    with pair.inside(pair.server):
        act.start()
        act.ban(ban("10.9.4.1"))
        # The kernel timed it out (or someone removed it): our unban must still succeed.
        nft_in(pair, "delete", "element", "inet", "hyperban", "sshd-v4", "{ 10.9.4.1 }")
        assert act.unban_many([ban("10.9.4.1"), ban("10.9.4.2")]) == [True, True]


@ROUTES
def test_prolong_retimes_an_existing_element(pair: NetnsPair, route: str) -> None:
    act = routed(pair, route, timeout_grace="0")
    now = time.time()
    with pair.inside(pair.server):
        act.start()
        act.ban(ban("10.9.5.1", bantime=600, start=now))
        assert act.prolong(ban("10.9.5.1", bantime=7200, start=now))
        # a repeat offender's later end (JailActions calls extend at the old end)
        act.ban(ban("10.9.5.2", bantime=600, start=now))
        assert act.extend(ban("10.9.5.2", bantime=3600, start=now))
    assert "10.9.5.1 timeout 2h" in elements(pair, "sshd-v4")
    assert "10.9.5.2 timeout 1h" in elements(pair, "sshd-v4")


def test_stop_removes_only_ours(pair: NetnsPair) -> None:
    nft_in(pair, "add", "table", "inet", "filter")
    nft_in(pair, "add", "set", "inet", "filter", "keep", "{ type ipv4_addr; }")
    sshd, web = action(pair, "sshd"), action(pair, "web")
    with pair.inside(pair.server):
        sshd.start()
        web.start()
        web.ban(ban(pair.client_v4))
        sshd.stop()
        ruleset = nft_in(pair, "list", "ruleset")
        assert "jail-sshd" not in ruleset and "sshd-v4" not in ruleset
        assert "jail-web" in ruleset and "table inet filter" in ruleset
        sshd.stop()  # twice is fine
        assert web.flush() is True
        assert pair.can_connect(pair.server_v4)
        web.stop()
    ruleset = nft_in(pair, "list", "ruleset")
    assert "hyperban" not in ruleset
    assert "set keep" in ruleset


def test_netlink_batch_refused_by_the_kernel_fails_whole(pair: NetnsPair) -> None:
    """A batch the kernel refuses changes nothing, and every item reports failure."""
    act = routed(pair, "auto")
    with pair.inside(pair.server):
        act.start()
        assert act.ban_many([ban("10.9.6.1")]) == [True]
        # someone removed our table: the sets are gone, so the batch fails with ENOENT
        nft_in(pair, "delete", "table", "inet", "hyperban")
        assert act.ban_many([ban("10.9.6.2"), ban("2001:db8::62")]) == [False, False]
        result = act.elements.apply([("add", "sshd-v4", [(bytes([10, 9, 6, 3]), 60)])])
        assert not result.ok
        assert "No such file or directory" in result.stderr
        # start() makes the table again, and bans go through once more
        act.start()
        assert act.ban_many([ban("10.9.6.4")]) == [True]
    listed = elements(pair, "sshd-v4")
    assert "10.9.6.4" in listed and "10.9.6.2" not in listed


def test_netlink_follows_the_calling_threads_namespace(pair: NetnsPair) -> None:
    """The socket is per network namespace, like the libnftables context."""
    # a table name of our own: nothing on the host may hold it
    act = routed(pair, "auto", table=f"hbtest{os.getpid()}")
    with pair.inside(pair.server):
        act.start()
        assert act.ban_many([ban("10.9.7.1")]) == [True]
    # from the host's namespace the table does not exist: refused, host untouched
    assert act.ban_many([ban("10.9.7.2")]) == [False]
    with pair.inside(pair.server):
        assert act.ban_many([ban("10.9.7.3")]) == [True]
    listed = nft_in(pair, "list", "set", "inet", act.table, "sshd-v4")
    assert "10.9.7.1" in listed and "10.9.7.3" in listed and "10.9.7.2" not in listed


_UNPRIVILEGED_BATCH = """
import os, sys, time
from hyperban.actions.native.nft_netlink import NetlinkSetElements
os.setgid(65534)
os.setuid(65534)  # nobody: no CAP_NET_ADMIN, so nothing can change
elements = NetlinkSetElements("hbtest-unprivileged", timeout=20.0)
start = time.monotonic()
result = elements.apply([("add", "s", [(bytes([10, 9, 8, 1]), 60)])])
print(result.ok, round(time.monotonic() - start, 1), result.stderr)
"""


def test_netlink_batch_without_privilege_is_refused_at_once() -> None:
    """The kernel refuses the batch as a whole (EPERM on its begin marker): the answer
    comes at once, not after the socket's timeout."""
    if os.geteuid() != 0:
        pytest.skip("needs root to become an unprivileged user")
    proc = subprocess.run(
        [sys.executable, "-c", _UNPRIVILEGED_BATCH], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    ok, seconds, reason = proc.stdout.strip().split(" ", 2)
    assert ok == "False" and float(seconds) < 10
    assert reason == "Error: Could not process rule: Operation not permitted"


def test_missing_nft_is_a_clear_error(pair: NetnsPair) -> None:
    act = NftablesAction(FakeJail("sshd"), "x", {"nftables": "/nonexistent/nft"})
    with pytest.raises(NativeActionError, match=r"not found.*nftables"):
        act.start()


def test_native_definition_from_a_jail_config(tmp_path: Any, pair: NetnsPair) -> None:
    """banaction = hyperban-nftables in a stock jail.conf, without any action.d file."""
    import shutil

    from hyperban.config import read_jail

    conf = tmp_path / "fail2ban"
    shutil.copytree("/etc/fail2ban", conf)
    (conf / "jail.local").write_text("[sshd]\nenabled = true\nbanaction = hyperban-nftables\n")
    jail = read_jail("sshd", str(conf))
    assert jail is not None and jail.error is None
    (definition,) = jail.actions
    assert definition.action == "hyperban-nftables"
    with pair.inside(pair.server):
        act = definition.create(FakeJail("sshd"))  # type: ignore[union-attr]
        act.start()
        act.ban(ban(pair.client_v4))
    assert "tcp dport 22 drop" in nft_in(pair, "list", "chain", "inet", "hyperban", "jail-sshd")
