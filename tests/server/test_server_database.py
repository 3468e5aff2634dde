from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import textwrap
from pathlib import Path

import pytest

from hyperban.server import (
    SCHEMA_VERSION,
    BanTicket,
    Clock,
    Database,
    DatabaseError,
    FailTicket,
    Observer,
    first_line_hash,
)

T0 = 1_700_000_000.0
SYSTEM_PYTHON = "/usr/bin/python3"
FAIL2BAN_PKG = "/usr/lib/python3/dist-packages/fail2ban"

needs_fail2ban = pytest.mark.skipif(
    not (os.path.exists(SYSTEM_PYTHON) and os.path.isdir(FAIL2BAN_PKG)),
    reason="Debian's fail2ban is not installed",
)


@pytest.fixture
def clk() -> Clock:
    return Clock(T0)


@pytest.fixture
def db(tmp_path: Path, clk: Clock) -> Database:
    d = Database(tmp_path / "hyperban.sqlite3", purgeage=86400, clock=clk)
    d.addJail("sshd")
    return d


def schema(path: Path) -> dict[str, list[tuple[str, str, int, object, int]]]:
    con = sqlite3.connect(path)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {
            t: [(r[1], r[2], r[3], r[4], r[5]) for r in con.execute(f"PRAGMA table_info({t})")]
            for t in tables
        }
    finally:
        con.close()


def test_new_database_schema(tmp_path: Path, db: Database) -> None:
    s = schema(tmp_path / "hyperban.sqlite3")
    assert set(s) == {"fail2banDb", "jails", "logs", "bans", "bips"}
    assert [c[:2] for c in s["bips"]] == [
        ("ip", "TEXT"),
        ("jail", "TEXT"),
        ("timeofban", "INTEGER"),
        ("bantime", "INTEGER"),
        ("bancount", "INTEGER"),
        ("data", "JSON"),
    ]
    assert db.journal_mode == "wal"
    con = sqlite3.connect(tmp_path / "hyperban.sqlite3")
    assert con.execute("SELECT version FROM fail2banDb").fetchall() == [(SCHEMA_VERSION,)]
    con.close()


@needs_fail2ban
def test_schema_identical_to_fail2ban(tmp_path: Path, db: Database) -> None:
    theirs = tmp_path / "f2b.sqlite3"
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, "/usr/lib/python3/dist-packages")
        from fail2ban.server.database import Fail2BanDb
        Fail2BanDb({str(theirs)!r}).close()
        """
    )
    subprocess.run([SYSTEM_PYTHON, "-c", script], check=True, capture_output=True)
    assert schema(theirs) == schema(tmp_path / "hyperban.sqlite3")

    def indexes(p: Path) -> set[tuple[str, str]]:
        con = sqlite3.connect(p)
        rows = con.execute(
            "SELECT name, tbl_name FROM sqlite_master WHERE type='index' AND sql IS NOT NULL"
        ).fetchall()
        con.close()
        return set(rows)

    assert indexes(theirs) == indexes(tmp_path / "hyperban.sqlite3")


def test_jails(db: Database) -> None:
    db.addJail("nginx")
    assert db.getJailNames() == {"sshd", "nginx"}
    db.delJail("nginx")
    assert db.getJailNames(enabled=True) == {"sshd"}
    assert db.getJailNames(enabled=False) == {"nginx"}
    db.addJail("nginx")
    assert db.getJailNames(enabled=True) == {"sshd", "nginx"}
    db.delAllJails()
    assert db.getJailNames(enabled=True) == set()


def test_log_positions(tmp_path: Path, db: Database) -> None:
    log = tmp_path / "auth.log"
    log.write_bytes(b"first line\nsecond\n")
    h = first_line_hash(log)
    # fail2ban 1.x under Python 3 stores SHA-1 in the "firstlinemd5" column
    assert h == hashlib.sha1(b"first line\n").hexdigest()
    assert db.addLog("sshd", str(log), 0, h) is None  # unknown yet
    db.updateLog("sshd", str(log), 18, h)
    assert db.addLog("sshd", str(log), 0, h) == 18
    assert db.addLog("sshd", str(log)) == 18  # no hash: position as stored
    assert db.getLogPos("sshd", str(log)) == (h, 18)
    assert db.getLogPaths() == {str(log)} == db.getLogPaths("sshd")
    # rotated file: other first line -> position not reused
    log.write_bytes(b"another first\n")
    assert db.addLog("sshd", str(log), 0, first_line_hash(log)) is None
    # incomplete first line has no hash
    part = tmp_path / "partial.log"
    part.write_bytes(b"no newline")
    assert first_line_hash(part) == ""
    # update of an unknown log inserts it
    db.updateLog("sshd", "/var/log/other", 5, "abc")
    assert db.getLogPos("sshd", "/var/log/other") == ("abc", 5)


def test_ban_round_trip(db: Database, clk: Clock) -> None:
    t = BanTicket("1.2.3.4", T0 - 100, ["line 1", "line 2"], data={"F-USER": "root"})
    t.setAttempt(2)
    t.setBanTime(600)
    t.incrBanCount()
    db.addBan("sshd", t)
    db.addBan("sshd", BanTicket("5.6.7.8", T0 - 50))  # jail default ban time
    cur = db.getCurrentBans(jail="sshd")
    assert [x.getID() for x in cur] == ["1.2.3.4", "5.6.7.8"]
    r = cur[0]
    assert isinstance(r, FailTicket)
    assert r.restored
    assert r.getTime() == T0 - 100
    assert r.getBanTime() == 600 and r.getBanCount() == 1
    assert r.getMatches() == ["line 1", "line 2"]
    assert r.getData("F-USER") == "root" and r.getAttempt() == 2
    # remaining time preserved: ends at T0 + 500
    assert r.getEndOfBanTime() == T0 + 500
    assert cur[1].getBanTime() == 600 and cur[1].getBanCount() == 0
    hist = db.getBans(jail="sshd", ip="1.2.3.4")
    assert len(hist) == 1 and hist[0].getTime() == T0 - 100
    assert db.getBan("1.2.3.4", "sshd") == [(1, int(T0 - 100), 600)]
    db.delBan("sshd", "1.2.3.4")
    assert [x.getID() for x in db.getCurrentBans()] == ["5.6.7.8"]
    db.delBan("sshd")
    assert db.getCurrentBans() == []
    assert db.getBans() == []


def test_restore_only_bans_in_force(db: Database, clk: Clock) -> None:
    for ip, start, bantime in [
        ("10.0.0.1", T0 - 1000, 600),  # ended at T0-400
        ("10.0.0.2", T0 - 500, 600),  # 100 s left
        ("10.0.0.3", T0 - 10**6, -1),  # permanent
        ("10.0.0.4", T0 - 600, 600),  # ends exactly now -> over
    ]:
        b = BanTicket(ip, start)
        b.setBanTime(bantime)
        db.addBan("sshd", b)
    cur = {t.getID(): t for t in db.getCurrentBans(jail="sshd")}
    assert set(cur) == {"10.0.0.2", "10.0.0.3"}
    assert cur["10.0.0.2"].getEndOfBanTime() - clk.time() == 100
    assert cur["10.0.0.3"].getBanTime() == -1
    assert not cur["10.0.0.3"].isTimedOut(clk.time() + 10**9)
    # capped by the jail's maximum ban time: permanent becomes 3600 and is long over
    capped = db.getCurrentBans(jail="sshd", maxBanTime=3600)
    assert [t.getID() for t in capped] == ["10.0.0.2"]
    clk.step(101)
    assert [t.getID() for t in db.getCurrentBans(jail="sshd")] == ["10.0.0.3"]
    one = db.getCurrentBans(ip="10.0.0.3")
    assert len(one) == 1 and one[0].getID() == "10.0.0.3"


def test_maxmatches_stored(tmp_path: Path, clk: Clock) -> None:
    d = Database(tmp_path / "m.sqlite3", maxmatches=2, clock=clk)
    d.addJail("j")
    d.addBan("j", BanTicket("1.1.1.1", T0, ["a", "b", "c"]))
    assert d.getCurrentBans()[0].getMatches() == ["b", "c"]
    assert d.getCurrentBans(maxmatches=1)[0].getMatches() == ["c"]
    d.maxMatches = 0
    d.addBan("j", BanTicket("2.2.2.2", T0, ["a"]))
    assert d.getCurrentBans(ip="2.2.2.2", maxmatches=5)[0].getMatches() == []
    d.close()


def test_purge(db: Database, clk: Clock) -> None:
    old = BanTicket("1.1.1.1", T0 - 2 * 86400)
    old.setBanTime(600)
    db.addBan("sshd", old)
    perm = BanTicket("2.2.2.2", T0 - 2 * 86400)
    perm.setBanTime(-1)
    db.addBan("sshd", perm)
    db.addBan("sshd", BanTicket("3.3.3.3", T0 - 10))
    db.addJail("gone")
    db.delJail("gone")
    db.purge()
    # bans history older than purgeage is removed
    assert {t.getID() for t in db.getBans()} == {"3.3.3.3"}
    # bips: long-expired removed, permanent kept
    assert db.getBan("1.1.1.1") == []
    assert {t.getID() for t in db.getCurrentBans()} == {"2.2.2.2", "3.3.3.3"}
    assert db.getJailNames() == {"sshd"}


def test_purgeage_string(tmp_path: Path) -> None:
    d = Database(tmp_path / "p.sqlite3", purgeage="1d")
    assert d.purgeage == 86400
    d.close()


def test_reopen_keeps_data(tmp_path: Path, clk: Clock) -> None:
    path = tmp_path / "r.sqlite3"
    with Database(path, clock=clk) as d:
        d.addJail("sshd")
        d.addBan("sshd", BanTicket("1.1.1.1", T0))
    with Database(path, clock=clk) as d:
        assert [t.getID() for t in d.getCurrentBans(jail="sshd")] == ["1.1.1.1"]


@needs_fail2ban
def test_open_database_created_by_fail2ban(tmp_path: Path, clk: Clock) -> None:
    path = tmp_path / "fail2ban.sqlite3"
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, "/usr/lib/python3/dist-packages")
        from fail2ban.server.database import Fail2BanDb
        from fail2ban.server.ticket import FailTicket

        class Actions:
            def getBanTime(self):
                return 600

        class Jail:
            name = "sshd"
            actions = Actions()

        db = Fail2BanDb({str(path)!r})
        db.addJail(Jail())
        t = FailTicket("192.0.2.7", {T0 - 100!r}, ["Failed password for root"])
        t.setAttempt(3)
        t.setData("F-USER", "root")
        t.setBanTime(3600)
        t.incrBanCount()
        db.addBan(Jail(), t)
        db.updateLog(Jail(), type("C", (), dict(
            getFileName=lambda s: "/var/log/auth.log",
            getPos=lambda s: 1234,
            getHash=lambda s: "d41d8cd98f00b204e9800998ecf8427e"))())
        db.close()
        """
    )
    subprocess.run([SYSTEM_PYTHON, "-c", script], check=True, capture_output=True)
    d = Database(path, clock=clk)
    assert d.getJailNames() == {"sshd"}
    (t,) = d.getCurrentBans(jail="sshd")
    assert t.getID() == "192.0.2.7"
    assert t.getTime() == T0 - 100
    assert t.getBanTime() == 3600 and t.getBanCount() == 1
    assert t.getEndOfBanTime() == T0 + 3500
    assert t.getMatches() == ["Failed password for root"]
    assert t.getAttempt() == 3 and t.getData("F-USER") == "root"
    assert d.addLog("sshd", "/var/log/auth.log", 0, "d41d8cd98f00b204e9800998ecf8427e") == 1234
    # we can write into it too
    d.addBan("sshd", BanTicket("198.51.100.1", T0))
    assert len(d.getCurrentBans()) == 2
    d.close()


@needs_fail2ban
def test_fail2ban_reads_our_database(tmp_path: Path, db: Database) -> None:
    t = BanTicket("203.0.113.5", T0 - 10, ["bad"], data={"F-USER": "x"})
    t.setBanTime(600)
    t.setAttempt(2)
    db.addBan("sshd", t)
    db.close()
    script = textwrap.dedent(
        f"""
        import json, sys
        sys.path.insert(0, "/usr/lib/python3/dist-packages")
        from fail2ban.server.database import Fail2BanDb

        class Jail:
            name = "sshd"

        db = Fail2BanDb({str(db.filename)!r})
        out = [(str(t.getID()), t.getTime(), t.getBanTime(), t.getMatches(), t.getData("F-USER"))
               for t in db.getCurrentBans(jail=Jail(), fromtime={T0!r}, correctBanTime=False)]
        print(json.dumps(out))
        """
    )
    res = subprocess.run([SYSTEM_PYTHON, "-c", script], check=True, capture_output=True, text=True)
    assert json.loads(res.stdout) == [["203.0.113.5", T0 - 10, 600, ["bad"], "x"]]


def test_random_bytes_refused(tmp_path: Path) -> None:
    path = tmp_path / "fail2ban.sqlite3"
    junk = os.urandom(4096)
    path.write_bytes(junk)
    with pytest.raises(DatabaseError, match=r"fail2ban\.sqlite3.*not a SQLite database") as e:
        Database(path)
    assert e.value.filename == str(path)
    assert path.read_bytes() == junk


def test_corrupt_sqlite_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.sqlite3"
    with Database(path) as d:
        d.addJail("sshd")
    data = bytearray(path.read_bytes())
    data[16:] = os.urandom(len(data) - 16)  # keep the magic, garble the rest
    path.write_bytes(bytes(data))
    before = path.read_bytes()
    with pytest.raises(DatabaseError, match=r"broken\.sqlite3"):
        Database(path)
    assert path.read_bytes() == before


def test_foreign_sqlite_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT)")
    con.execute("INSERT INTO users(name) VALUES ('alice')")
    con.commit()
    con.close()
    before = path.read_bytes()
    with pytest.raises(DatabaseError, match=r"other\.db.*no table fail2banDb"):
        Database(path)
    assert path.read_bytes() == before
    assert schema(path).keys() == {"users"}


def test_unsupported_version_refused(tmp_path: Path) -> None:
    path = tmp_path / "v2.sqlite3"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE fail2banDb(version INTEGER)")
    con.execute("INSERT INTO fail2banDb VALUES (2)")
    con.commit()
    con.close()
    with pytest.raises(DatabaseError, match="version 2"):
        Database(path)


def test_directory_refused(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="not a regular file"):
        Database(tmp_path)


def test_empty_file_initialised(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite3"
    path.write_bytes(b"")
    with Database(path) as d:
        assert d.getJailNames() == set()
    assert "bips" in schema(path)


def test_batch_is_one_transaction(tmp_path: Path, db: Database, clk: Clock) -> None:
    db.addJail("j")
    other = sqlite3.connect(str(tmp_path / "hyperban.sqlite3"))
    with db.batch():
        for i in range(3):
            db.addBan("j", BanTicket(f"192.0.2.{i}", clk.time()))
        # another connection sees nothing until the block ends
        assert other.execute("SELECT count(*) FROM bans").fetchone()[0] == 0
    assert other.execute("SELECT count(*) FROM bans").fetchone()[0] == 3
    other.close()


def test_observer_records_a_burst_of_bans_in_one_batch(db: Database, clk: Clock) -> None:
    unbans: list[str] = []
    obs = Observer(db, lambda _j, t: unbans.append(str(t.getID())), clock=clk)
    obs.add_jail("j", 600)
    for i in range(200):
        obs.ban_found("j", BanTicket(f"198.51.100.{i}", clk.time()))
    obs.run_once(clk.time())
    assert len(db.getCurrentBans(jail="j", fromtime=clk.time())) == 200
    obs.run_once(clk.time() + 600)
    assert len(unbans) == 200
