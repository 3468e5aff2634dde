"""A private, real ``systemd-journald`` for the journal backend tests.

journald runs in its own mount namespace (``unshare -m``) with tmpfs on ``/run/systemd``
and ``/run/log``, so the host's journal (if any) is neither read nor written.  Other
processes join it with ``nsenter -m -t PID``; this process reads its journal files
through ``/proc/PID/root/run/log/journal`` (the namespace's view of the directory).

Entries are written by Debian's python3-systemd under ``/usr/bin/python3``, in a
process renamed (``prctl(PR_SET_NAME)``) to ``sshd`` or another name: journald records
that as ``_COMM``.  journald reads ``_COMM`` (and ``_PID``'s other metadata) from
``/proc/PID`` when it processes a message, so a writer that exits right after sending
-- like ``logger --journald`` -- sometimes gets entries without ``_COMM``, which a
``_COMM=sshd`` match then never sees.  The writer therefore stays until journald has
stored all its entries with its ``_COMM``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["SYSTEM_PYTHON", "Entry", "PrivateJournald", "fail2ban_journal_pos", "unavailable"]

JOURNALD = "/lib/systemd/systemd-journald"
SYSTEM_PYTHON = "/usr/bin/python3"
WAIT = 30.0

#: One entry to write: FIELD -> value, or (FIELD, value) pairs (a field may repeat).
Entry = Mapping[str, str | bytes] | Sequence[tuple[str, str | bytes]]

# Rate limiting off (a burst of thousands from one source would be dropped otherwise);
# volatile storage on the namespace's tmpfs.
_JOURNALD_CONF = "[Journal]\nStorage=volatile\nRateLimitIntervalSec=0\nRateLimitBurst=0\n"

_START = (
    "set -e; "
    "mount -t tmpfs tmpfs /run/systemd; mkdir -p /run/systemd/journal; "
    "mount -t tmpfs tmpfs /run/log; "
    'mount --bind "$1" /etc/systemd/journald.conf; '
    f"exec {JOURNALD}"
)

# Runs under /usr/bin/python3 (which has python-systemd): renames itself to ``comm``
# and sends the JSON list of entries read on stdin; a value {"hex": ".."} is raw bytes.
_WRITER = r"""
import ctypes, json, os, sys, time
from systemd import journal
comm = sys.argv[1].encode()
ctypes.CDLL(None, use_errno=True).prctl(15, ctypes.c_char_p(comm), 0, 0, 0)
assert open("/proc/self/comm", "rb").read().strip() == comm
entries = json.load(sys.stdin)
for entry in entries:
    fields = []
    for key, value in entry:
        raw = bytes.fromhex(value["hex"]) if isinstance(value, dict) else value.encode()
        fields.append(key.encode() + b"=" + raw)
    journal.sendv(*fields)
deadline = time.monotonic() + float(sys.argv[2])
while True:
    reader = journal.Reader(path="/run/log/journal")
    reader.add_match("_PID=%d" % os.getpid())
    stored = sum(1 for e in reader if e.get("_COMM") == comm.decode())
    reader.close()
    if stored >= len(entries):
        break
    if time.monotonic() > deadline:
        sys.exit("journald stored %d of %d entries with _COMM" % (stored, len(entries)))
    time.sleep(0.01)
"""

# Formats journal entries with fail2ban's own FilterSystemd.formatJournalEntry.
_F2B_FORMAT = r"""
import json, sys, warnings
warnings.simplefilter("ignore")
from systemd import journal
from fail2ban.server.filtersystemd import FilterSystemd

class Filter:  # what formatJournalEntry uses of its FilterSystemd
    jailName = "oracle"
    getJrnEntTime = FilterSystemd.getJrnEntTime
    def getLogEncoding(self):
        return "UTF-8"

reader = journal.Reader(path=sys.argv[1], converters={"__CURSOR": lambda x: x})
for word in sys.argv[2:]:
    reader.add_match(word)
reader.seek_head()
out = []
for entry in reader:
    (_, date, line), tm = FilterSystemd.formatJournalEntry(Filter(), entry)
    out.append([entry["__CURSOR"], date + line, tm])
json.dump(out, sys.stdout)
"""


def unavailable() -> str | None:
    """Why a private journald cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root to unshare a mount namespace for a private journald"
    for tool in ("unshare", "nsenter", "mount"):
        if shutil.which(tool) is None:
            return f"{tool} (util-linux) not installed"
    if not os.access(JOURNALD, os.X_OK):
        return f"{JOURNALD} not installed (Debian package systemd)"
    if not os.path.isfile("/etc/systemd/journald.conf"):
        return "/etc/systemd/journald.conf missing (Debian package systemd)"
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import systemd.journal"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        return f"{SYSTEM_PYTHON} cannot import systemd.journal (Debian package python3-systemd)"
    try:
        from hyperban.logwatch.backends import BackendUnavailable
        from hyperban.logwatch.journal import load_journal

        load_journal()
    except BackendUnavailable as e:
        return str(e)
    probe = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "true"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        return f"unshare -m fails: {probe.stderr.decode(errors='replace').strip()}"
    return None


class PrivateJournald:
    """One journald in its own mount namespace; :meth:`stop` ends it (and the namespace)."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def root(self) -> Path:
        """This namespace's ``/`` as seen from outside it."""
        return Path(f"/proc/{self.pid}/root")

    @property
    def journal_dir(self) -> Path:
        return self.root / "run/log/journal"

    def start(self) -> PrivateJournald:
        conf = self.tmp / "journald.conf"
        conf.write_text(_JOURNALD_CONF)
        with open(self.tmp / "journald.out", "wb") as out:
            # unshare and sh exec: the pid is journald's.
            self.proc = subprocess.Popen(
                ["unshare", "-m", "--propagation", "private", "sh", "-c", _START, "sh", str(conf)],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        socket = self.root / "run/systemd/journal/socket"
        deadline = time.monotonic() + WAIT
        while not (socket.exists() and any(self.journal_dir.glob("*/system.journal"))):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                out_text = (self.tmp / "journald.out").read_text(errors="replace")
                raise RuntimeError(f"private journald did not start: {out_text}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(WAIT)

    def nsenter(self, *cmd: str) -> list[str]:
        """``cmd`` run in the journald's mount namespace."""
        return ["nsenter", "-m", "-t", str(self.pid), *cmd]

    def send(self, entries: Sequence[Entry], comm: str = "sshd") -> None:
        """Write ``entries`` (FIELD -> value, or (FIELD, value) pairs when a field
        repeats) from one process named ``comm``, in order."""
        payload = [
            [
                [k, {"hex": v.hex()} if isinstance(v, bytes) else v]
                for k, v in (e.items() if isinstance(e, Mapping) else e)
            ]
            for e in entries
        ]
        # Returns once journald has stored them all (see the module's doc).
        subprocess.run(
            self.nsenter(SYSTEM_PYTHON, "-c", _WRITER, comm, str(WAIT * 2)),
            input=json.dumps(payload).encode(),
            check=True,
            timeout=WAIT * 4,
        )

    def fail2ban_format(self, *matches: str) -> list[tuple[str, str, float]]:
        """(cursor, line, time) of every entry matching ``matches``, formatted by
        fail2ban's FilterSystemd, read from the journal files as they are now."""
        out = subprocess.run(
            [SYSTEM_PYTHON, "-c", _F2B_FORMAT, str(self.journal_dir), *matches],
            capture_output=True,
            check=True,
            timeout=WAIT * 4,
        )
        return [(c, line, float(t)) for c, line, t in json.loads(out.stdout)]

    def count(self, *matches: str) -> int:
        """Entries matching ``matches`` visible in the journal files now."""
        script = (
            "import sys\nfrom systemd import journal\n"
            "r = journal.Reader(path=sys.argv[1])\n"
            "[r.add_match(m) for m in sys.argv[2:]]\n"
            "print(sum(1 for _ in r))\n"
        )
        out = subprocess.run(
            [SYSTEM_PYTHON, "-c", script, str(self.journal_dir), *matches],
            capture_output=True,
            check=True,
            timeout=WAIT,
        )
        return int(out.stdout)


def fail2ban_journal_pos(dbfile: Path, jail: str) -> float | None:
    """The journal position fail2ban's own Fail2BanDb reads from (a copy of) ``dbfile``."""
    copy = dbfile.with_name(dbfile.name + ".f2b-copy")
    shutil.copy(dbfile, copy)
    script = (
        "import sys, warnings\nwarnings.simplefilter('ignore')\n"
        "from fail2ban.server.database import Fail2BanDb\n"
        "class Jail:\n    name = sys.argv[2]\n"
        "print(repr(Fail2BanDb(sys.argv[1]).getJournalPos(Jail(), 'systemd-journal')))\n"
    )
    out = subprocess.run(
        [SYSTEM_PYTHON, "-c", script, str(copy), jail],
        capture_output=True,
        check=True,
        text=True,
        timeout=WAIT,
    )
    value = out.stdout.strip().splitlines()[-1]
    return None if value == "None" else float(value)


if __name__ == "__main__":  # manual check: start one, print its pid, stop on Enter
    jd = PrivateJournald(Path(sys.argv[1])).start()
    print(jd.pid, flush=True)
    try:
        sys.stdin.readline()
    finally:
        jd.stop()
