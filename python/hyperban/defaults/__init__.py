"""hyperban's bundled default configuration: what runs when no config dir is given.

``default_config_dir()`` is a directory in fail2ban's layout, written for hyperban (none
of it comes from fail2ban), that :func:`hyperban.config.read_jails`,
:func:`~hyperban.config.read_server_config` and :func:`~hyperban.config.read_filter`
read like ``/etc/fail2ban``:

* ``fail2ban.conf``: log to stderr at INFO, socket and pid file under ``/run/hyperban``,
  SQLite database under ``/var/lib/hyperban``;
* ``jail.conf``: one enabled ``sshd`` jail on ``/var/log/auth.log``;
* ``filter.d/sshd.conf``: our single-line filter for OpenSSH's failure messages;
* ``action.d/log-only.conf``: a ban action that changes nothing (see below).

**Ban action selection.**  ``jail.conf`` sets ``banaction = log-only`` so the bundled
config always reads and runs, firewall or not.  Where nftables is usable, the daemon (or
the operator) picks the native action by setting ``banaction`` to :data:`NFTABLES` in a
``jail.local`` or ``jail.d/*.local`` of the config dir in use;
:func:`write_config_with_banaction` makes such a dir from the bundled one.  Deciding
whether nftables is usable is the daemon's job, not this package's.

**Missing auth log.**  A fresh Debian 12+ without rsyslog logs sshd only to the journal,
so ``/var/log/auth.log`` may not exist.  The jail still points there: it is where every
Debian/Ubuntu with a syslog daemon writes sshd's lines, and hyperban creates nothing in
``/var/log``; the daemon logs the missing file and retries.  Journal-only hosts set
``backend = systemd`` for ``[sshd]`` in ``jail.local`` (the filter carries a
``journalmatch``); RHEL-like hosts set ``logpath = /var/log/secure``.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

__all__ = [
    "BANACTIONS",
    "LOG_ONLY",
    "NFTABLES",
    "default_config_dir",
    "write_config_with_banaction",
]

#: The ban action that only logs; usable everywhere (the bundled default).
LOG_ONLY = "log-only"
#: hyperban's native nftables action; needs ``nft`` and CAP_NET_ADMIN.
NFTABLES = "hyperban-nftables"
#: Every value the bundled ``jail.conf``'s ``banaction`` is meant to take.
BANACTIONS = (NFTABLES, LOG_ONLY)


def default_config_dir() -> Path:
    """The bundled config directory, as a real path on disk.

    Raises :class:`FileNotFoundError` when the package was installed in a form that has
    no files on disk (a zip import), since the config readers need a directory.
    """
    found = resources.files(__package__) / "config"
    path = Path(str(found))
    if not (path / "jail.conf").is_file():
        raise FileNotFoundError(f"hyperban's bundled config is not on disk at {path}")
    return path


def write_config_with_banaction(dest: Path, banaction: str) -> Path:
    """Copy the bundled config to ``dest`` with ``banaction`` set for every jail.

    The choice goes into ``jail.d/banaction.local``, the layer fail2ban's layout reads
    last (after ``jail.local``), so the copied bundled files stay as shipped.  Returns
    ``dest``.
    """
    if banaction not in BANACTIONS:
        raise ValueError(f"unknown banaction {banaction!r}; expected one of {BANACTIONS}")
    shutil.copytree(default_config_dir(), dest, dirs_exist_ok=True)
    overlay = dest / "jail.d" / "banaction.local"
    overlay.parent.mkdir(exist_ok=True)
    overlay.write_text(f"[DEFAULT]\nbanaction = {banaction}\n", encoding="utf-8")
    return dest
