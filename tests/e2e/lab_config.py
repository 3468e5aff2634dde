"""A config dir for running the daemon against the sshd lab: the bundled default config,
pointed at the lab's log, with its state (socket, pid file, database) in a test dir."""

from __future__ import annotations

from pathlib import Path

from hyperban.defaults import NFTABLES, write_config_with_banaction

__all__ = ["write_daemon_config"]


def write_daemon_config(
    dest: Path,
    log_path: Path,
    *,
    banaction: str = NFTABLES,
    maxretry: int = 3,
    findtime: str = "10m",
    bantime: str = "10m",
    state_dir: Path | None = None,
) -> Path:
    """Write the config dir at ``dest`` and return it (pass it as ``-c``).

    Only ``.local`` layers are added on top of the bundled files, so the test runs the
    shipped ``jail.conf``/``filter.d/sshd.conf`` themselves.  The socket, pid file and
    database go to ``state_dir`` (default ``dest/state``) instead of /run and /var/lib.
    """
    write_config_with_banaction(dest, banaction)
    state = state_dir or dest / "state"
    state.mkdir(parents=True, exist_ok=True)
    (dest / "fail2ban.local").write_text(
        "[Definition]\n"
        "loglevel = DEBUG\n"
        f"socket = {state / 'hyperban.sock'}\n"
        f"pidfile = {state / 'hyperban.pid'}\n"
        f"dbfile = {state / 'hyperban.sqlite3'}\n",
        encoding="utf-8",
    )
    (dest / "jail.d" / "lab.local").write_text(
        "[sshd]\n"
        f"logpath = {log_path}\n"
        f"maxretry = {maxretry}\n"
        f"findtime = {findtime}\n"
        f"bantime = {bantime}\n",
        encoding="utf-8",
    )
    return dest
