"""Persistent state in SQLite, file-compatible with fail2ban 1.0.2 (schema version 4).

Tables (same columns, types and indexes as fail2ban):

* ``fail2banDb(version)`` -- schema version (4);
* ``jails(name, enabled)``;
* ``logs(jail, path, firstlinemd5, lastfilepos)`` -- position reached in each log file and
  the hash of its first line (to notice rotation), see :func:`first_line_hash`;
* ``bans(jail, ip, timeofban, bantime, bancount, data)`` -- every ban (history);
* ``bips(ip, jail, timeofban, bantime, bancount, data)`` -- last ban per (ip, jail).

``data`` holds the ticket's data fields as UTF-8 JSON (stored as a BLOB like fail2ban does).
A database created by fail2ban can be opened, and fail2ban can open ours.  A file that is
not a SQLite database, or is one without fail2ban's tables, raises :class:`DatabaseError`
and is left untouched.  Jails are given by name.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from .clock import Clock
from .clock import clock as default_clock
from .ticket import FailTicket, Ticket

__all__ = ["SCHEMA_VERSION", "Database", "DatabaseError", "first_line_hash"]

SCHEMA_VERSION = 4

_SQLITE_MAGIC = b"SQLite format 3\x00"

_TABLES: dict[str, tuple[str, ...]] = {
    "fail2banDb": ("CREATE TABLE IF NOT EXISTS fail2banDb(version INTEGER)",),
    "jails": (
        "CREATE TABLE IF NOT EXISTS jails("
        "name TEXT NOT NULL UNIQUE, "
        "enabled INTEGER NOT NULL DEFAULT 1"
        ")",
        "CREATE INDEX IF NOT EXISTS jails_name ON jails(name)",
    ),
    "logs": (
        "CREATE TABLE IF NOT EXISTS logs("
        "jail TEXT NOT NULL, "
        "path TEXT, "
        "firstlinemd5 TEXT, "
        "lastfilepos INTEGER DEFAULT 0, "
        "FOREIGN KEY(jail) REFERENCES jails(name) ON DELETE CASCADE, "
        "UNIQUE(jail, path),"
        "UNIQUE(jail, path, firstlinemd5)"
        ")",
        "CREATE INDEX IF NOT EXISTS logs_path ON logs(path)",
        "CREATE INDEX IF NOT EXISTS logs_jail_path ON logs(jail, path)",
    ),
    "bans": (
        "CREATE TABLE IF NOT EXISTS bans("
        "jail TEXT NOT NULL, "
        "ip TEXT, "
        "timeofban INTEGER NOT NULL, "
        "bantime INTEGER NOT NULL, "
        "bancount INTEGER NOT NULL default 1, "
        "data JSON, "
        "FOREIGN KEY(jail) REFERENCES jails(name) "
        ")",
        "CREATE INDEX IF NOT EXISTS bans_jail_timeofban_ip ON bans(jail, timeofban)",
        "CREATE INDEX IF NOT EXISTS bans_jail_ip ON bans(jail, ip)",
        "CREATE INDEX IF NOT EXISTS bans_ip ON bans(ip)",
    ),
    "bips": (
        "CREATE TABLE IF NOT EXISTS bips("
        "ip TEXT NOT NULL, "
        "jail TEXT NOT NULL, "
        "timeofban INTEGER NOT NULL, "
        "bantime INTEGER NOT NULL, "
        "bancount INTEGER NOT NULL default 1, "
        "data JSON, "
        "PRIMARY KEY(ip, jail), "
        "FOREIGN KEY(jail) REFERENCES jails(name) "
        ")",
        "CREATE INDEX IF NOT EXISTS bips_timeofban ON bips(timeofban)",
        "CREATE INDEX IF NOT EXISTS bips_ip ON bips(ip)",
    ),
}

_COLUMNS: dict[str, frozenset[str]] = {
    "fail2banDb": frozenset({"version"}),
    "jails": frozenset({"name", "enabled"}),
    "logs": frozenset({"jail", "path", "firstlinemd5", "lastfilepos"}),
    "bans": frozenset({"jail", "ip", "timeofban", "bantime", "bancount", "data"}),
    "bips": frozenset({"ip", "jail", "timeofban", "bantime", "bancount", "data"}),
}


class DatabaseError(Exception):
    """The database file cannot be used (not SQLite, not fail2ban's schema, I/O error)."""

    def __init__(self, filename: str, message: str) -> None:
        super().__init__(f"{filename}: {message}")
        self.filename = filename


def line_hash(line: bytes) -> str:
    """The hash of a log's first line (raw bytes, newline included) that positions are
    stored with (``logs.firstlinemd5``); ``""`` for ``b""``.

    Despite the column's name it is SHA-1, as fail2ban 1.x stores it under Python 3: its
    MD5 probe hashes a ``str``, which fails there, and it falls back to SHA-1.  The same
    hash lets hyperban resume from the positions in a database fail2ban wrote."""
    return hashlib.sha1(line, usedforsecurity=False).hexdigest() if line else ""


def names_first_line(stored: str | None, line: bytes) -> bool:
    """Whether a stored hash is the hash of ``line``: SHA-1 (fail2ban's, ours), or the
    MD5 hyperban stored before it hashed as fail2ban does."""
    if not stored or not line:
        return False
    if len(stored) == 32:
        return stored == hashlib.md5(line, usedforsecurity=False).hexdigest()
    return stored == line_hash(line)


def first_line_hash(path: str | os.PathLike[str]) -> str:
    """:func:`line_hash` of the file's first line, ``""`` while that line is not
    complete."""
    with open(path, "rb") as fh:
        line = fh.readline()
    if line == line.rstrip(b"\r\n"):
        return ""
    return line_hash(line)


def _json_default(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return list(value)
    return str(value)


def _encode_data(data: dict[str, Any]) -> bytes:
    try:
        return json.dumps(data, ensure_ascii=False, default=_json_default).encode(
            "utf-8", "replace"
        )
    except (TypeError, ValueError):
        return b"{}"


def _decode_data(raw: bytes | str | None) -> dict[str, Any]:
    if raw is None:
        return {}
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class Database:
    """fail2ban-compatible persistent database.

    ``purgeage``: bans older than this many seconds are removed by :meth:`purge`
    (``dbpurgeage``); ``outdatedfactor``: a ``bips`` row is purged only once its ban has been
    over for ``outdatedfactor`` times its ban time; ``maxmatches``: matches stored per ban
    (``dbmaxmatches``).
    """

    def __init__(
        self,
        filename: str | os.PathLike[str],
        purgeage: float | str = 24 * 60 * 60,
        outdatedfactor: int = 3,
        maxmatches: int = 10,
        clock: Clock | None = None,
    ) -> None:
        self._filename = os.fspath(filename)
        self._clock = clock if clock is not None else default_clock
        self._lock = threading.RLock()
        self._batching = False  # inside batch(): writes join its transaction
        self.purgeage = purgeage
        self._outdatedfactor = outdatedfactor
        self.maxMatches = maxmatches
        self._db = self._connect()

    # -- opening ----------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        name = self._filename
        in_memory = name == ":memory:" or name.startswith("file:")
        if not in_memory and os.path.exists(name):
            if not os.path.isfile(name):
                raise DatabaseError(name, "not a regular file")
            try:
                with open(name, "rb") as fh:
                    header = fh.read(len(_SQLITE_MAGIC))
            except OSError as e:
                raise DatabaseError(name, f"cannot read: {e.strerror}") from e
            if header and header != _SQLITE_MAGIC:
                raise DatabaseError(name, "not a SQLite database (refusing to touch it)")
        try:
            db = sqlite3.connect(name, check_same_thread=False, isolation_level=None)
        except sqlite3.Error as e:
            raise DatabaseError(name, f"cannot open database: {e}") from e
        try:
            self._check_schema(db)
            db.execute("PRAGMA foreign_keys = ON")
            if not in_memory:
                db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA temp_store = MEMORY")
        except DatabaseError:
            db.close()
            raise
        except sqlite3.Error as e:
            db.close()
            raise DatabaseError(name, f"unusable SQLite database: {e}") from e
        return db

    def _check_schema(self, db: sqlite3.Connection) -> None:
        """Create the schema in an empty database; validate an existing one."""
        name = self._filename
        try:
            rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        except sqlite3.DatabaseError as e:
            raise DatabaseError(name, f"not a valid SQLite database: {e}") from e
        tables = {r[0] for r in rows}
        if not tables:
            self._create(db)
            return
        if "fail2banDb" not in tables:
            raise DatabaseError(
                name,
                "SQLite database without fail2ban schema (no table fail2banDb); "
                f"tables: {', '.join(sorted(tables))}",
            )
        row = db.execute("SELECT version FROM fail2banDb LIMIT 1").fetchone()
        version = row[0] if row else None
        if version != SCHEMA_VERSION:
            raise DatabaseError(
                name,
                f"unsupported fail2ban database schema version {version!r} "
                f"(expected {SCHEMA_VERSION}); open it once with fail2ban >= 0.11 to upgrade",
            )
        for table, columns in _COLUMNS.items():
            if table not in tables:
                continue
            have = {r[1] for r in db.execute(f"PRAGMA table_info({table})")}
            missing = columns - have
            if missing:
                raise DatabaseError(
                    name, f"table {table} lacks column(s) {', '.join(sorted(missing))}"
                )
        if not tables.issuperset(_COLUMNS):
            # version 4 but some tables missing: create them (as fail2ban's repair does)
            self._create(db)

    @staticmethod
    def _create(db: sqlite3.Connection) -> None:
        db.execute("BEGIN")
        try:
            for statements in _TABLES.values():
                for sql in statements:
                    db.execute(sql)
            db.execute(
                "INSERT INTO fail2banDb(version) "
                "SELECT ? WHERE NOT EXISTS (SELECT 1 FROM fail2banDb LIMIT 1)",
                (SCHEMA_VERSION,),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- properties -------------------------------------------------------------------

    @property
    def filename(self) -> str:
        return self._filename

    @property
    def purgeage(self) -> float:
        return self._purgeage

    @purgeage.setter
    def purgeage(self, value: float | str) -> None:
        if isinstance(value, str):
            from ..config.options import parse_time

            value = parse_time(value)
        self._purgeage = float(value)

    @property
    def journal_mode(self) -> str:
        with self._lock:
            return str(self._db.execute("PRAGMA journal_mode").fetchone()[0])

    # -- helpers ----------------------------------------------------------------------

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Group every write made inside the block into one transaction (one fsync for a
        burst of bans instead of one per ban).  Other threads wait for the block."""
        with self._lock:
            if self._batching:
                yield
                return
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as e:
                raise DatabaseError(self._filename, str(e)) from e
            self._batching = True
            try:
                yield
            finally:
                self._batching = False
                try:
                    self._db.execute("COMMIT")
                except sqlite3.Error as e:
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    raise DatabaseError(self._filename, str(e)) from e

    def _write(self, statements: Iterable[tuple[str, tuple[Any, ...]]]) -> list[int]:
        """Run statements in one transaction; returns their row counts."""
        with self._lock:
            counts: list[int] = []
            if self._batching:  # part of the enclosing batch's transaction
                try:
                    for sql, args in statements:
                        counts.append(self._db.execute(sql, args).rowcount)
                except sqlite3.Error as e:
                    raise DatabaseError(self._filename, str(e)) from e
                return counts
            try:
                self._db.execute("BEGIN IMMEDIATE")
                for sql, args in statements:
                    counts.append(self._db.execute(sql, args).rowcount)
                self._db.execute("COMMIT")
            except sqlite3.Error as e:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise DatabaseError(self._filename, str(e)) from e
            return counts

    def _read(self, sql: str, args: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, tuple(args)).fetchall()
            except sqlite3.Error as e:
                raise DatabaseError(self._filename, str(e)) from e

    # -- jails ------------------------------------------------------------------------

    def addJail(self, jail: str) -> None:
        """Add ``jail`` (or re-enable it)."""
        self._write(
            [
                ("INSERT OR IGNORE INTO jails(name, enabled) VALUES(?, 1)", (jail,)),
                ("UPDATE jails SET enabled = 1 WHERE name = ? AND enabled != 1", (jail,)),
            ]
        )

    def delJail(self, jail: str) -> None:
        """Disable ``jail``; :meth:`purge` deletes it once it has no bans left."""
        self._write([("UPDATE jails SET enabled = 0 WHERE name = ?", (jail,))])

    def delAllJails(self) -> None:
        self._write([("UPDATE jails SET enabled = 0", ())])

    def getJailNames(self, enabled: bool | None = None) -> set[str]:
        if enabled is None:
            rows = self._read("SELECT name FROM jails")
        else:
            rows = self._read("SELECT name FROM jails WHERE enabled = ?", (int(enabled),))
        return {r[0] for r in rows}

    # -- logs -------------------------------------------------------------------------

    def addLog(self, jail: str, path: str, pos: int = 0, hash: str | None = None) -> int | None:
        """Register log ``path`` of ``jail``.

        Returns the stored last position when the log is known and its first-line hash
        still matches ``hash`` (or ``hash`` is None); otherwise None (new or rotated file).
        """
        with self._lock:
            row = self._read(
                "SELECT firstlinemd5, lastfilepos FROM logs WHERE jail = ? AND path = ?",
                (jail, path),
            )
            stored_hash, last_pos = row[0] if row else (None, None)
            if stored_hash is None and (pos or hash is not None):
                self._write(
                    [
                        (
                            "INSERT OR REPLACE INTO logs(jail, path, firstlinemd5, lastfilepos) "
                            "VALUES(?, ?, ?, ?)",
                            (jail, path, hash, pos),
                        )
                    ]
                )
            if hash is not None and hash != stored_hash:
                return None
            return last_pos

    def updateLog(self, jail: str, path: str, pos: float, hash: str | None) -> None:
        """Store the position reached in ``path`` and the hash of its first line
        (a byte offset for a file; a time in seconds, a float, for the journal)."""
        with self._lock:
            (updated,) = self._write(
                [
                    (
                        "UPDATE logs SET firstlinemd5 = ?, lastfilepos = ? "
                        "WHERE jail = ? AND path = ?",
                        (hash, pos, jail, path),
                    )
                ]
            )
            if not updated:
                self._write(
                    [
                        (
                            "INSERT OR REPLACE INTO logs(jail, path, firstlinemd5, lastfilepos) "
                            "VALUES(?, ?, ?, ?)",
                            (jail, path, hash, pos),
                        )
                    ]
                )

    def getLogPos(self, jail: str, path: str) -> tuple[str | None, int] | None:
        """(first-line hash, last position) stored for ``path``, or None."""
        rows = self._read(
            "SELECT firstlinemd5, lastfilepos FROM logs WHERE jail = ? AND path = ?",
            (jail, path),
        )
        return (rows[0][0], rows[0][1]) if rows else None

    def getLogPaths(self, jail: str | None = None) -> set[str]:
        if jail is None:
            rows = self._read("SELECT path FROM logs")
        else:
            rows = self._read("SELECT path FROM logs WHERE jail = ?", (jail,))
        return {r[0] for r in rows}

    # -- bans -------------------------------------------------------------------------

    def addBan(self, jail: str, ticket: Ticket, defaultBanTime: int = 600) -> None:
        """Record the ban of ``ticket`` in ``jail`` (``bans`` history and ``bips``).

        The ticket's own ban time is stored, or ``defaultBanTime`` (the jail's) if unset.
        At most ``maxMatches`` matches are kept (none if 0).
        """
        ip = str(ticket.getID())
        data = dict(ticket.getData())
        matches = data.get("matches")
        if self.maxMatches:
            if matches and len(matches) > self.maxMatches:
                data["matches"] = matches[-self.maxMatches :]
        elif matches is not None:
            del data["matches"]
        bantime = ticket.getBanTime(defaultBanTime)
        values = (round(ticket.getTime()), bantime, ticket.getBanCount(), _encode_data(data))
        self._write(
            [
                (
                    "INSERT INTO bans(jail, ip, timeofban, bantime, bancount, data) "
                    "VALUES(?, ?, ?, ?, ?, ?)",
                    (jail, ip, *values),
                ),
                (
                    "INSERT OR REPLACE INTO bips(ip, jail, timeofban, bantime, bancount, data) "
                    "VALUES(?, ?, ?, ?, ?, ?)",
                    (ip, jail, *values),
                ),
            ]
        )

    def delBan(self, jail: str | None, *ips: Any) -> None:
        """Delete the bans of ``ips`` in ``jail`` (all bans of the jail if none given;
        ``jail`` None: in every jail)."""
        where, args = ("jail = ?", (jail,)) if jail is not None else ("1", ())
        if not ips:
            self._write(
                [
                    (f"DELETE FROM bips WHERE {where}", args),
                    (f"DELETE FROM bans WHERE {where}", args),
                ]
            )
            return
        statements: list[tuple[str, tuple[Any, ...]]] = []
        for ip in ips:
            statements.append((f"DELETE FROM bips WHERE {where} AND ip = ?", (*args, str(ip))))
            statements.append((f"DELETE FROM bans WHERE {where} AND ip = ?", (*args, str(ip))))
        self._write(statements)

    def getBans(
        self, jail: str | None = None, bantime: float | None = None, ip: Any = None
    ) -> list[FailTicket]:
        """Ban history (``bans``), newest first per ip; ``bantime`` >= 0 keeps only bans
        started less than ``bantime`` seconds ago."""
        sql = "SELECT ip, timeofban, data FROM bans WHERE 1"
        args: list[Any] = []
        if jail is not None:
            sql += " AND jail = ?"
            args.append(jail)
        if bantime is not None and bantime >= 0:
            sql += " AND timeofban > ?"
            args.append(self._clock.time() - bantime)
        if ip is not None:
            sql += " AND ip = ?"
            args.append(str(ip))
        sql += " ORDER BY ip, timeofban DESC"
        tickets = []
        for banip, timeofban, raw in self._read(sql, args):
            ticket = FailTicket(banip, timeofban)
            ticket.setData(_decode_data(raw))
            tickets.append(ticket)
        return tickets

    def getBan(
        self,
        ip: Any,
        jail: str | None = None,
        forbantime: float | None = None,
        overalljails: bool = False,
        fromtime: float | None = None,
    ) -> list[tuple[int, int, int]]:
        """``(bancount, timeofban, bantime)`` rows of ``ip`` from ``bips`` (for bantime
        increment); summed over jails with ``overalljails``."""
        if overalljails:
            sql = "SELECT sum(bancount), max(timeofban), sum(bantime) FROM bips WHERE ip = ?"
        else:
            sql = "SELECT bancount, timeofban, bantime FROM bips WHERE ip = ?"
        args: list[Any] = [str(ip)]
        if not overalljails and jail is not None:
            sql += " AND jail = ?"
            args.append(jail)
        if forbantime is not None:
            sql += " AND timeofban > ?"
            args.append(self._clock.time() - forbantime)
        if fromtime is not None:
            sql += " AND timeofban > ?"
            args.append(fromtime)
        if overalljails or jail is None:
            sql += " GROUP BY ip ORDER BY timeofban DESC LIMIT 1"
        return [tuple(r) for r in self._read(sql, args)]  # type: ignore[misc]

    def getCurrentBans(
        self,
        jail: str | None = None,
        ip: Any = None,
        forbantime: float | None = None,
        fromtime: float | None = None,
        maxBanTime: int | None = None,
        defaultBanTime: int | None = None,
        maxmatches: int | None = None,
    ) -> list[FailTicket]:
        """Bans still in force at ``fromtime`` (default: now), from ``bips``.

        Each ticket keeps its original start (``timeofban``) and ban time, so its end of ban
        and remaining time are unchanged by the restart; it is flagged ``restored``.
        ``maxBanTime`` (>= 0: the jail's maximum ban time) caps longer and permanent ban
        times; bans that end by ``fromtime`` after capping are skipped.  ``bantime = -2``
        (unknown, legacy) becomes ``defaultBanTime`` (else ``maxBanTime``, else 600).
        ``forbantime`` (not None/-1) keeps only bans started within that many seconds.
        """
        now = self._clock.time() if fromtime is None else fromtime
        args: list[Any] = []
        if jail is not None:
            sql = "SELECT ip, timeofban, bantime, bancount, data FROM bips WHERE jail = ?"
            args.append(jail)
        else:
            sql = "SELECT ip, max(timeofban), bantime, bancount, data FROM bips WHERE 1"
        if ip is not None:
            sql += " AND ip = ?"
            args.append(str(ip))
        sql += " AND (timeofban + bantime > ? OR bantime <= -1)"
        args.append(now)
        if forbantime not in (None, -1):
            assert forbantime is not None
            sql += " AND timeofban > ?"
            args.append(now - forbantime)
        if ip is None:
            sql += " GROUP BY ip ORDER BY ip, timeofban DESC"
        else:
            sql += " ORDER BY timeofban DESC LIMIT 1"
        if maxmatches is None:
            maxmatches = self.maxMatches
        cap = maxBanTime if maxBanTime is not None and maxBanTime >= 0 else None
        tickets: list[FailTicket] = []
        for banip, timeofban, bantime, bancount, raw in self._read(sql, args):
            if banip is None or banip == "":
                continue
            if bantime == -2:
                bantime = defaultBanTime if defaultBanTime is not None else (cap or 600)
            elif cap is not None and (bantime == -1 or bantime > cap):
                bantime = cap
            if bantime != -1 and timeofban + bantime <= now:
                continue
            ticket = FailTicket(banip, timeofban, data=_decode_data(raw))
            if maxmatches:
                matches = ticket.getMatches()
                if matches and len(matches) > maxmatches:
                    ticket.setMatches(matches[-maxmatches:])
            else:
                ticket.setMatches(None)
            ticket.setBanTime(bantime)
            ticket.setBanCount(bancount)
            ticket.restored = True
            tickets.append(ticket)
        return tickets

    # -- maintenance ------------------------------------------------------------------

    def purge(self) -> None:
        """Delete bans older than ``purgeage``, long-expired ``bips`` rows (never permanent
        ones) and disabled jails without bans."""
        now = self._clock.time()
        limit = now - self._purgeage
        self._write(
            [
                ("DELETE FROM bans WHERE timeofban < ?", (limit,)),
                (
                    "DELETE FROM bips WHERE timeofban < ? AND bantime != -1 "
                    "AND (timeofban + (bantime * ?)) < ?",
                    (int(now) - self._purgeage, self._outdatedfactor, int(now) - self._purgeage),
                ),
                (
                    "DELETE FROM jails WHERE enabled = 0 "
                    "AND NOT EXISTS(SELECT * FROM bans WHERE jail = jails.name) "
                    "AND NOT EXISTS(SELECT * FROM bips WHERE jail = jails.name)",
                    (),
                ),
            ]
        )
