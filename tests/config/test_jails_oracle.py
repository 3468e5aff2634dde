"""Jails must read exactly as the installed fail2ban reads them (JailsReader)."""

from __future__ import annotations

import glob
import os
import shutil

import pytest
from config_oracle import ETC, needs_oracle, run_oracle
from normalize import my_jail, oracle_jail

from hyperban.config import ConfigError, read_jails

pytestmark = needs_oracle


def _compare(basedir: str, force_enable: bool) -> list[str]:
    answer = run_oracle([{"kind": "jails", "basedir": basedir, "force_enable": force_enable}])[0]
    if "error" in answer:
        # fail2ban gives up on the whole configuration; so must we.
        with pytest.raises(ConfigError):
            read_jails(basedir, force_enable=force_enable)
        return []
    expected = [oracle_jail(item) for item in answer["ok"]]
    mine = [my_jail(j) for j in read_jails(basedir, force_enable=force_enable)]
    assert [j["name"] for j in mine] == [j["name"] for j in expected]
    for got, want in zip(mine, expected, strict=True):
        assert got == want, got["name"]
    return [j["name"] for j in mine]


@pytest.mark.parametrize("force_enable", [True, False], ids=["all-jails", "enabled-only"])
def test_stock_jails(force_enable: bool) -> None:
    names = _compare(ETC, force_enable)
    if force_enable:
        assert len(names) > 80 and "sshd" in names and "recidive" in names
    else:
        assert "sshd" in names  # enabled by Debian's jail.d/defaults-debian.conf


@pytest.mark.parametrize("force_enable", [True, False], ids=["all-jails", "enabled-only"])
def test_sample_tree_jails(sample_tree: str, force_enable: bool) -> None:
    names = _compare(sample_tree, force_enable)
    assert "alpha" in names


@pytest.mark.parametrize("force_enable", [True, False], ids=["all-jails", "enabled-only"])
def test_fail2ban_test_config_jails(f2b_test_config: str, force_enable: bool) -> None:
    names = _compare(f2b_test_config, force_enable)
    assert "test-known-interp" in names
    if force_enable:
        assert "sshd-override-flt-opts" in names and "checklogtype_init" in names


@pytest.mark.parametrize("force_enable", [True, False], ids=["all-jails", "enabled-only"])
def test_fail2ban_test_config_missing_includes(
    f2b_test_config_unresolved: str, force_enable: bool
) -> None:
    _compare(f2b_test_config_unresolved, force_enable)


@pytest.fixture(scope="module")
def every_action_tree(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A copy of /etc/fail2ban whose jail.local adds one jail per stock action, and
    overrides a few stock jails (systemd backend, other banactions, mail actions)."""
    root = tmp_path_factory.mktemp("etc-every-action") / "fail2ban"
    shutil.copytree(ETC, root, symlinks=True)
    lines = [
        "[DEFAULT]",
        "banaction = nftables-multiport",
        "",
        "[sshd]",
        "enabled = true",
        "backend = systemd",
        "action = %(action_mwl)s",
        "",
        "[recidive]",
        "action = %(action_xarf)s",
        "",
        "[dovecot]",
        "filter = dovecot[mode=aggressive]",
        "backend = systemd[journalflags=1]",
        "",
        "[nginx-http-auth]",
        "banaction = %(banaction_allports)s",
        "bantime = 1d 12h",
        "ignoreip = 10.0.0.1 10.0.0.0/24,::1",
        "",
    ]
    for path in sorted(glob.glob(os.path.join(ETC, "action.d", "*.conf"))):
        action = os.path.basename(path)[: -len(".conf")]
        if action.endswith("-common"):
            continue
        lines += [
            f"[act-{action}]",
            "enabled = true",
            "filter = sshd",
            "logpath = /var/log/auth.log",
            f'action = {action}[name=act-{action}, port="22,2222", protocol=tcp]',
            "",
        ]
    lines += ["[act-smtp-py]", "enabled = true", "filter = sshd", "action = smtp.py[host=h]", ""]
    (root / "jail.local").write_text("\n".join(lines), encoding="utf-8")
    return str(root)


def test_every_stock_action_in_a_jail(every_action_tree: str) -> None:
    names = _compare(every_action_tree, False)
    assert "act-iptables-multiport" in names and "act-smtp-py" in names
