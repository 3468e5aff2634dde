"""The daemon config for the sshd lab reads as intended: the bundled jail on the lab's
log, the chosen ban action, state under the test's dir."""

from __future__ import annotations

from pathlib import Path

from lab_config import write_daemon_config

from hyperban.config import read_jails, read_server_config
from hyperban.defaults import NFTABLES, default_config_dir


def test_daemon_config_points_the_bundled_jail_at_the_lab(tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    config = write_daemon_config(tmp_path / "config", log, maxretry=2, bantime="1h")
    (sshd,) = read_jails(str(config))
    assert sshd.logpath == [str(log)]
    assert sshd.settings["maxretry"] == 2 and sshd.settings["bantime"] == "1h"
    assert [name for name, _ in sshd.action_specs] == [NFTABLES]
    # The filter is the shipped one, byte for byte.
    assert sshd.filter is not None
    shipped = (default_config_dir() / "filter.d" / "sshd.conf").read_bytes()
    assert Path(sshd.filter.file).read_bytes() == shipped
    server = read_server_config(str(config))
    state = tmp_path / "config" / "state"
    assert server.socket == str(state / "hyperban.sock")
    assert server.dbfile == str(state / "hyperban.sqlite3")
    assert server.loglevel == "DEBUG"
