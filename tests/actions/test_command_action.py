"""CommandAction with real shell commands and stock fail2ban action files."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest
from action_helpers import FakeJail, info_for, make_definition

from hyperban.actions import ActionError, CommandAction, build_actions
from hyperban.actions.python_action import PythonActionError
from hyperban.config import read_action

STOCK = "/etc/fail2ban"
needs_stock = pytest.mark.skipif(
    not os.path.isdir(f"{STOCK}/action.d"), reason="Debian's fail2ban is not installed"
)


def _action(tmp_path: Path, **commands: str) -> CommandAction:
    names = ("params", "norestored", "actionstart_on_demand", "actionrepair_on_unban")
    flags = {k: commands.pop(k) for k in names if k in commands}
    return CommandAction(FakeJail(), make_definition(commands, **flags))


@needs_stock
def test_stock_dummy(tmp_path: Path) -> None:
    target = tmp_path / "dummy"
    definition = read_action(f"dummy[target={target}]", STOCK, jail_name="sshd")
    action = CommandAction(FakeJail("sshd"), definition)
    action.start()
    assert action.ban(info_for("192.0.2.7")) is True
    assert action.ban(info_for("2001:db8::1")) is True
    assert action.unban(info_for("192.0.2.7")) is True
    assert action.flush() is True
    action.stop()
    assert not target.exists()  # actionstop removes it


@needs_stock
def test_stock_hostsdeny_families(tmp_path: Path) -> None:
    target = tmp_path / "hosts.deny"
    definition = read_action(f"hostsdeny[file={target}]", STOCK, jail_name="sshd")
    action = CommandAction(FakeJail("sshd"), definition)
    action.start()
    assert action.ban(info_for("192.0.2.7")) and action.ban(info_for("2001:db8::1"))
    assert target.read_text() == "ALL: 192.0.2.7\nALL: [2001:db8::1]\n"
    assert action.unban(info_for("2001:db8::1"))
    assert target.read_text() == "ALL: 192.0.2.7\n"


@needs_stock
def test_stock_sendmail_whois_lines(tmp_path: Path) -> None:
    record = tmp_path / "mail"
    sendmail = tmp_path / "sendmail"
    sendmail.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" > {record}.args\ncat > {record}\n')
    sendmail.chmod(sendmail.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "auth.log"
    hostile = "x'; touch " + str(tmp_path / "pwned") + "; '$(id)"
    log.write_text(f"sshd: Invalid user {hostile} from 192.0.2.9\nother line\n")
    definition = read_action(
        f'sendmail-whois-lines[mailcmd="{sendmail} -f <sender> <dest>", logpath={log}]',
        STOCK,
        jail_name="sshd",
    )
    assert definition.norestored is True
    action = CommandAction(FakeJail("sshd"), definition)
    assert action.ban(info_for("192.0.2.9", failures=3, matches=[hostile])) is True
    body = record.read_text()
    assert "banned 192.0.2.9" in body and "after\n3 attempts" in body
    assert f"Invalid user {hostile} from 192.0.2.9" in body  # grep of the log
    assert (tmp_path / "mail.args").read_text() == "-f fail2ban root\n"
    assert not (tmp_path / "pwned").exists()
    # norestored: a restored ban sends no mail.
    record.unlink()
    assert action.reban(info_for("192.0.2.9", restored=True)) is True
    assert not record.exists()


def test_timeout_kills_group(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    marker = tmp_path / "late"
    action = _action(
        tmp_path,
        actionban=f"sleep 30 & sleep 30; touch {marker}",
        params={"timeout": "0.5"},
    )
    with caplog.at_level(logging.ERROR):
        assert action.ban(info_for()) is False
    assert "timed out after 0.5 seconds" in caplog.text
    assert not marker.exists()


def test_missing_binary_is_reported(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    action = _action(tmp_path, actionban="hyperban-no-such-binary <ip>")
    with caplog.at_level(logging.ERROR):
        assert action.ban(info_for()) is False
    assert "returned 127" in caplog.text and "command not found" in caplog.text


def test_stdout_stderr_logged_on_failure(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    action = _action(tmp_path, actionban="echo out-line; echo err-line >&2; exit 3")
    with caplog.at_level(logging.ERROR):
        assert action.ban(info_for()) is False
    assert "stdout: 'out-line'" in caplog.text and "stderr: 'err-line'" in caplog.text
    assert "returned 3" in caplog.text


def test_check_and_repair_then_retry(tmp_path: Path) -> None:
    ok = tmp_path / "ok"
    log = tmp_path / "log"
    action = _action(
        tmp_path,
        actionstart=f"echo start >> {log}",
        actioncheck=f"echo check >> {log}; test -e {ok}",
        actionrepair=f"echo repair >> {log}; touch {ok}",
        actionban=f"echo ban-<ip> >> {log}; test -e {ok}",
    )
    action.start()
    assert action.ban(info_for("192.0.2.1")) is True
    assert log.read_text().split() == [
        "start", "ban-192.0.2.1", "check", "repair", "check", "ban-192.0.2.1"
    ]  # fmt: skip


def test_check_without_repair_restarts(tmp_path: Path) -> None:
    ok = tmp_path / "ok"
    log = tmp_path / "log"
    action = _action(
        tmp_path,
        actionstart=f"echo start >> {log}; touch {ok}",
        actionstop=f"echo stop >> {log}; rm -f {ok}",
        actioncheck=f"test -e {ok}",
        actionban=f"echo ban >> {log}; test -e {ok}",
    )
    action.start()
    ok.unlink()  # the environment breaks
    assert action.ban(info_for()) is True
    assert log.read_text().split() == ["start", "ban", "stop", "start", "ban"]


def test_unban_not_repaired_without_option(tmp_path: Path) -> None:
    log = tmp_path / "log"
    action = _action(
        tmp_path,
        actioncheck="false",
        actionrepair=f"echo repair >> {log}",
        actionban="true",
        actionunban="false",
    )
    action.start()
    assert action.ban(info_for()) is True
    assert action.unban(info_for()) is False
    assert not log.exists()


def test_start_on_demand_per_family(tmp_path: Path) -> None:
    log = tmp_path / "log"
    action = CommandAction(
        FakeJail(),
        make_definition(
            {
                "actionstart": f"echo start-<fam> >> {log}",
                "actionban": f"echo ban-<fam>-<ip> >> {log}",
                "actionstop": f"echo stop-<fam> >> {log}",
            },
            {"fam": "v4", "fam?family=inet6": "v6"},
        ),
    )
    assert action.start_on_demand is True
    action.start()
    assert not log.exists()
    assert action.ban(info_for("192.0.2.1")) and action.ban(info_for("192.0.2.2"))
    assert action.ban(info_for("2001:db8::1"))
    action.stop()
    assert log.read_text().split() == [
        "start-v4", "ban-v4-192.0.2.1", "ban-v4-192.0.2.2",
        "start-v6", "ban-v6-2001:db8::1", "stop-v4", "stop-v6",
    ]  # fmt: skip


def test_start_failure_raises_and_on_demand_ban_fails(tmp_path: Path) -> None:
    with pytest.raises(ActionError):
        _action(tmp_path, actionstart="exit 1", actionban="true").start()
    on_demand = _action(
        tmp_path, actionstart="exit 1", actionban="true", actionstart_on_demand=True
    )
    assert on_demand.ban(info_for()) is False


def test_norestored_skips_restored(tmp_path: Path) -> None:
    log = tmp_path / "log"
    action = _action(tmp_path, actionban=f"echo <ip> >> {log}", norestored=True)
    assert action.restore_many([info_for("192.0.2.1", restored=True)]) == [True]
    assert not log.exists()
    assert action.ban_many([info_for("192.0.2.2")]) == [True]
    assert log.read_text() == "192.0.2.2\n"


def test_flush_without_command_asks_for_unbans(tmp_path: Path) -> None:
    assert _action(tmp_path, actionban="true").flush() is False


def test_runtime_tags(tmp_path: Path) -> None:
    out = tmp_path / "out"
    action = _action(
        tmp_path,
        actionban=(
            f"printf '%s|' <ip> <family> <fid> <failures> <bantime> <bancount> <F-USER> "
            f"<F-MISSING> <restored> '<name>' <timeout> x<sp>y '<unknown-tag>' > {out}<br>"
            f"echo $((<bantime> + 1)) >> {out}"
        ),
        params={"timeout": "1m"},
    )
    assert action.ban(info_for("192.0.2.1", failures=4, user="bob")) is True
    assert out.read_text() == (
        "192.0.2.1|inet4|192.0.2.1|4|600|0|bob||0|test|60|x|y|<unknown-tag>|601\n"
    )


def test_unsafe_template_refused(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    marker = tmp_path / "ran"
    action = _action(tmp_path, actionban=f"touch {marker}; echo ${{x:-<F-USER>}}")
    with caplog.at_level(logging.ERROR):
        assert action.ban(info_for(user="u")) is False
    assert "inside ${...}" in caplog.text
    assert not marker.exists()


def test_arithmetic_refuses_text(tmp_path: Path) -> None:
    action = _action(tmp_path, actionban="echo $((<F-N> + 1))")
    assert action.ban(info_for(n="2")) is True
    assert action.ban(info_for(n="a[$(id)]")) is False


def test_long_script_runs_from_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    action = _action(tmp_path, actionban=f"printf %s <matches> > {out}")
    big = "y'" * 200_000
    assert action.ban(info_for(matches=[big])) is True
    assert out.read_text() == big


def test_python_action_with_shim(tmp_path: Path) -> None:
    (tmp_path / "action.d").mkdir()
    (tmp_path / "action.d" / "rec.py").write_text(
        "from fail2ban.server.actions import ActionBase\n"
        "class Action(ActionBase):\n"
        "    def __init__(self, jail, name, out):\n"
        "        super().__init__(jail, name)\n"
        "        self.out = out\n"
        "    def ban(self, aInfo):\n"
        "        open(self.out, 'a').write('%s %s %s\\n' % (self._jail.name, aInfo['ip'],"
        " aInfo['F-USER']))\n"
    )
    out = tmp_path / "out"
    definition = read_action(f"rec.py[out={out}]", str(tmp_path), jail_name="web")
    (action,) = build_actions(FakeJail("web"), [definition])
    assert action.ban_many([info_for("192.0.2.3", user="eve")]) == [True]
    assert out.read_text() == "web 192.0.2.3 eve\n"
    import sys

    assert "fail2ban.server.actions" not in sys.modules  # the shim is gone


def test_python_action_errors_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "action.d").mkdir()
    bad = tmp_path / "action.d" / "bad.py"
    bad.write_text("import hyperban_no_such_module\n")
    definition = read_action("bad.py", str(tmp_path))
    with pytest.raises(PythonActionError, match=str(bad)):
        build_actions(FakeJail(), [definition])


@needs_stock
def test_stock_smtp_py_loads() -> None:
    definition = read_action("smtp.py[dest=root]", STOCK, jail_name="sshd")
    (action,) = build_actions(FakeJail("sshd"), [definition])
    assert action.name == "smtp" and hasattr(action, "ban")


def test_native_definitions_create_themselves() -> None:
    class Native:
        def create(self, jail: object) -> str:
            return f"native for {jail}"

    assert build_actions("j", [Native()]) == ["native for j"]
