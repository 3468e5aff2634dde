"""Reloads on an in-process :class:`~hyperban.daemon.server.Server` (no control
socket): what a reload keeps, seen from the inside."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from daemon_util import write_config

from hyperban.daemon.server import Server, ServerOptions, StartupError


@pytest.fixture
def server(tmp_path: Path) -> object:
    log_path = tmp_path / "auth.log"
    log_path.write_text("")
    confdir = write_config(tmp_path / "etc", log_path)
    srv = Server(ServerOptions(confdir=str(confdir)))
    srv.prepare()
    srv.start(control=False)
    yield srv
    srv.shutdown()


def _observer_callback_owner(srv: Server, name: str) -> object:
    assert srv.observer is not None
    callback = srv.observer.jail(name).on_failure
    return getattr(callback, "__self__", None)


def test_a_kept_jail_keeps_its_observer_registration(server: Server) -> None:
    jail = server.jails["sshd"].jail
    server.reload_jails()
    assert server.jails["sshd"].jail is jail
    assert _observer_callback_owner(server, "sshd") is jail


def test_a_reload_that_fails_to_build_leaves_the_running_jail_registered(
    server: Server,
) -> None:
    """Building the new sshd jail registers its name with the observer before its
    action fails to load; the running jail must get its registration back."""
    jail = server.jails["sshd"].jail
    confdir = Path(server.options.confdir)
    local = confdir / "jail.d" / "test.local"
    # (a native action's parameters are checked when the action is made, after
    # the jail object: the failure comes after the registration)
    local.write_text(local.read_text() + 'action = hyperban-nftables[blocktype="reject;"]\n')
    with pytest.raises(StartupError):
        server.reload_jails()
    assert server.jails["sshd"].jail is jail
    assert _observer_callback_owner(server, "sshd") is jail


def test_jails_on_one_log_share_a_scan_again_after_one_of_them_changes(
    server: Server, tmp_path: Path
) -> None:
    """sshd-b joins sshd on the same log (a new jail); then sshd-b's filter changes
    (taken on in place, which leaves the scan group) while sshd is kept: the two
    share one scan again."""
    confdir = Path(server.options.confdir)
    log_path = server.jails["sshd"].logpaths[0].split(" ")[0]
    second = confdir / "jail.d" / "second.local"
    second.write_text(
        f"[sshd-b]\nenabled = true\nfilter = sshd\nport = ssh\nlogpath = {log_path}\nmaxretry = 5\n"
    )
    server.reload_jails()
    feeds = server._feeds
    group = feeds["sshd"].scan_group
    assert group is not None and feeds["sshd-b"].scan_group is group
    kept = server.jails["sshd"].jail
    changed = server.jails["sshd-b"].jail
    second.write_text(second.read_text() + "ignoreregex = ^nothing$\n")
    server.reload_jails()
    assert server.jails["sshd"].jail is kept
    assert server.jails["sshd-b"].jail is changed
    assert [r.source for r in changed.filter.ignoreregex] == ["^nothing$"]
    group = feeds["sshd"].scan_group
    assert group is not None and feeds["sshd-b"].scan_group is group
    assert {f.jail.name for f in group.feeds} == {"sshd", "sshd-b"}


def test_jails_on_one_log_share_a_scan_again_after_run_time_changes(server: Server) -> None:
    """A jail leaves its scan group when a command changes its filter, its encoding or
    makes it idle; once the change is made (back from idle) it shares the scan again."""
    confdir = Path(server.options.confdir)
    log_path = server.jails["sshd"].logpaths[0].split(" ")[0]
    (confdir / "jail.d" / "second.local").write_text(
        f"[sshd-b]\nenabled = true\nfilter = sshd\nport = ssh\nlogpath = {log_path}\n"
    )
    server.reload_jails()
    feeds = server._feeds

    def shared() -> bool:
        group = feeds["sshd"].scan_group
        return group is not None and feeds["sshd-b"].scan_group is group

    assert shared()
    server.set_jail_param("sshd", "idle", True)
    assert feeds["sshd"].scan_group is None and feeds["sshd-b"].scan_group is None
    server.set_jail_param("sshd", "idle", False)
    assert shared()
    server.add_fail_regex("sshd", r"^knock from <HOST>$")
    assert shared()
    group = feeds["sshd"].scan_group
    assert group is not None and server.jails["sshd"].jail.filter in group.multi.filters
    server.set_jail_param("sshd-b", "logencoding", "latin-1")  # another encoding: alone
    assert feeds["sshd"].scan_group is None and feeds["sshd-b"].scan_group is None
    server.set_jail_param("sshd", "logencoding", "latin-1")
    assert shared()


def test_leaving_a_scan_group_waits_for_a_delivery_in_progress(server: Server) -> None:
    """A jail that stops leaves its scan group only between deliveries: leaving
    in the middle of one lost that chunk for the other members."""
    confdir = Path(server.options.confdir)
    log_path = server.jails["sshd"].logpaths[0].split(" ")[0]
    (confdir / "jail.d" / "second.local").write_text(
        f"[sshd-b]\nenabled = true\nfilter = sshd\nport = ssh\nlogpath = {log_path}\n"
    )
    server.reload_jails()
    feeds = dict(server._feeds)
    group = feeds["sshd"].scan_group
    assert group is not None and feeds["sshd-b"].scan_group is group
    assert server.hub is not None
    stopped = threading.Event()

    def stop() -> None:
        server.stop_jail("sshd-b")
        stopped.set()

    with server.hub.paused():  # as the hub's thread holds it while it delivers
        worker = threading.Thread(target=stop)
        worker.start()
        assert not stopped.wait(0.5)
        assert feeds["sshd"].scan_group is group and group.feeds
    worker.join(10)
    assert stopped.is_set()
    assert feeds["sshd"].scan_group is None and "sshd-b" not in server.jails


def test_a_changed_filter_is_taken_on_in_place_and_changed_actions_restart(
    server: Server,
) -> None:
    confdir = Path(server.options.confdir)
    local = confdir / "jail.d" / "test.local"
    jail = server.jails["sshd"].jail
    old_filter = jail.filter
    local.write_text(local.read_text() + "ignoreregex = from 192\\.0\\.2\\.50$\n")
    server.reload_jails()
    assert server.jails["sshd"].jail is jail
    assert jail.filter is not old_filter
    assert [r.source for r in jail.filter.ignoreregex] == [r"from 192\.0\.2\.50$"]
    # a different ban action is not taken on in place: the jail restarts
    local.write_text(local.read_text() + "banaction = hyperban-nftables\n")
    server.reload_jails()
    assert server.jails["sshd"].jail is not jail
