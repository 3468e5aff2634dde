"""``set JAIL idle on|off`` on the daemon: an idle jail reads no log, a log path added
meanwhile waits for it too, and back from idle it reads every line written meanwhile
(the side-by-side test with fail2ban-server is in test_client_oracle.py)."""

from __future__ import annotations

import time
from pathlib import Path

from daemon_util import Daemon, wait_until, write_config
from side_by_side import syslog_stamp


def _failure(ip: str, n: int) -> str:
    return f"{syslog_stamp()} host sshd[{n}]: Failed password for root from {ip} port 2{n} ssh2\n"


def test_idle_jail_reads_nothing_then_everything(tmp_path: Path) -> None:
    log, extra = tmp_path / "auth.log", tmp_path / "auth2.log"
    log.touch()
    extra.touch()
    daemon = Daemon(write_config(tmp_path / "etc", log, maxretry=1)).start()

    def banned() -> set[str]:
        return set(daemon.banned())

    try:
        assert daemon.client("set", "sshd", "idle", "on").stdout == "True\n"
        assert daemon.client("get", "sshd", "idle").stdout == "True\n"
        with open(log, "a") as fh:
            fh.write(_failure("192.0.2.1", 1))
        # a log added while idle is not read either
        daemon.client("set", "sshd", "addlogpath", str(extra))
        with open(extra, "a") as fh:
            fh.write(_failure("192.0.2.2", 2))
        time.sleep(1.0)  # several reads of the log hub
        assert banned() == set()
        assert daemon.client("set", "sshd", "idle", "off").stdout == "False\n"
        both = {"192.0.2.1", "192.0.2.2"}
        wait_until(lambda: banned() == both, what="the lines written while idle")
        with open(log, "a") as fh:
            fh.write(_failure("192.0.2.3", 3))
        wait_until(lambda: "192.0.2.3" in banned(), what="a line written after")
    finally:
        assert daemon.stop() == 0
