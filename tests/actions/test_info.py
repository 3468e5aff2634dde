"""ActionInfo: lazy values and the database-merged ones."""

from __future__ import annotations

from pathlib import Path

from action_helpers import FakeJail, info_for

from hyperban.server.database import Database
from hyperban.server.ticket import BanTicket


def test_keys_and_lazy_merge(tmp_path: Path) -> None:
    db = Database(str(tmp_path / "db.sqlite3"))
    for jail, line in (("sshd", "old"), ("web", "other"), ("sshd", "new")):
        db.addJail(jail)
        ticket = BanTicket("192.0.2.5", 1_700_000_000.0, matches=[line], data={"failures": 2})
        db.addBan(jail, ticket)
    info = info_for("192.0.2.5", jail=FakeJail("sshd", db), matches=["now"], user="bob")
    assert "ipmatches" not in info._computed  # nothing computed before use
    assert info["F-USER"] == "bob" and info["family"] == "inet4"
    assert info["ip-rev"] == "5.2.0.192."
    assert info["matches"] == "now"
    assert sorted(info["ipjailmatches"].split("\n")) == ["new", "old"]
    assert sorted(info["ipmatches"].split("\n")) == ["new", "old", "other"]
    assert info["ipfailures"] == 6 and info["ipjailfailures"] == 4
    info["extra"] = 1
    info.reset()
    assert "extra" not in info
    db.close()
