"""Malformed configurations: every error is a ConfigError naming the file and line."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

import pytest
from config_oracle import HAVE_ORACLE, run_oracle

from hyperban.config import (
    ConfigError,
    ConfigLoader,
    InterpolationError,
    OptionSyntaxError,
    TagSubstitutionError,
    extract_options,
    read_filter,
    read_jail,
    read_jails,
    read_server_config,
)

Write = Callable[[dict[str, str]], str]

_MINIMAL_JAIL = "[DEFAULT]\nfilter = f\naction =\n[j]\nenabled = true\n"
_MINIMAL_FILTER = "[Definition]\nfailregex = ^x <HOST>$\n"


def _assert_located(err: ConfigError, path: str, line: int) -> None:
    assert err.file == path
    assert err.line == line
    assert str(err).startswith(f"{path}:{line}: ")


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("x = 1\n[s]\n", 1, "no section headers"),
        ("# c\n\n[s]\na = 1\nthis line is bad\nb = 2\n", 5, "this line is bad"),
        ("[s]\na = 1\n[t]\n[s]\nb = 2\n", 4, "section 's' already exists"),
        ("[s]\na = 1\nA = 2\n", 3, "option 'a' in section 's' already exists"),
        ("[DEFAULT]\na = 1\n[s]\n[DEFAULT]\na = 2\n", 5, "option 'a'"),
        ("[s]\n= value\n", 2, "cannot parse line"),
        ("\n  [s]\nnot indented continuation\n", 3, "cannot parse line"),
    ],
    ids=[
        "no-header",
        "bad-line",
        "dup-section",
        "dup-option",
        "dup-default",
        "no-name",
        "bad-continuation",
    ],
)
def test_parse_errors_name_file_and_line(
    write_files: Write, text: str, line: int, fragment: str
) -> None:
    basedir = write_files({"jail.conf": _MINIMAL_JAIL, "jail.local": text})
    with pytest.raises(ConfigError) as info:
        read_jails(basedir)
    _assert_located(info.value, os.path.join(basedir, "jail.local"), line)
    assert fragment in str(info.value)
    if HAVE_ORACLE:  # fail2ban refuses these files too
        answer = run_oracle([{"kind": "jails", "basedir": basedir, "force_enable": False}])[0]
        assert "error" in answer


def test_parse_error_in_included_filter(write_files: Write) -> None:
    basedir = write_files(
        {
            "jail.conf": _MINIMAL_JAIL,
            "filter.d/f.conf": "[INCLUDES]\nbefore = base.conf\n" + _MINIMAL_FILTER,
            "filter.d/base.conf": "[Definition]\n\n\n  [oops\nbroken\n",
        }
    )
    with pytest.raises(ConfigError) as info:
        read_jails(basedir)
    _assert_located(info.value, os.path.join(basedir, "filter.d", "base.conf"), 4)


def test_missing_interpolation_names_the_definition(write_files: Write) -> None:
    basedir = write_files(
        {"filter.d/f.conf": "[Definition]\nprefregex = ^\nfailregex = ^%(nope)s <HOST>$\n"}
    )
    with pytest.raises(InterpolationError) as info:
        read_filter("f", basedir)
    _assert_located(info.value, os.path.join(basedir, "filter.d", "f.conf"), 3)
    assert "nope" in str(info.value)


def test_nested_interpolation_error_points_at_the_inner_value(write_files: Write) -> None:
    basedir = write_files(
        {
            "jail.conf": _MINIMAL_JAIL.replace("[j]", "[j]\nbantime = %(base)s"),
            "jail.local": "[DEFAULT]\nbase = %(undefined_thing)s\n",
            "filter.d/f.conf": _MINIMAL_FILTER,
        }
    )
    with pytest.raises(InterpolationError) as info:
        read_jails(basedir)
    _assert_located(info.value, os.path.join(basedir, "jail.local"), 2)


def test_bad_percent_and_recursion(write_files: Write) -> None:
    basedir = write_files(
        {
            "jail.conf": _MINIMAL_JAIL + "ignorecommand = 50% off\n",
            "filter.d/f.conf": _MINIMAL_FILTER,
        }
    )
    with pytest.raises(InterpolationError) as info:
        read_jails(basedir)
    _assert_located(info.value, os.path.join(basedir, "jail.conf"), 6)

    basedir2 = write_files(
        {"jail.conf": _MINIMAL_JAIL + "ignorecommand = %(a)s\na = %(b)s\nb = x%(a)s\n"}
    )
    with pytest.raises(InterpolationError, match="recursion limit") as info:
        read_jails(basedir2)
    assert info.value.file == os.path.join(basedir2, "jail.conf")
    assert info.value.line in (6, 7, 8)


def test_self_referencing_tags(write_files: Write) -> None:
    basedir = write_files(
        {
            "filter.d/f.conf": "[Definition]\nfailregex = ^<sweet> <HOST>$\n\n"
            "[Init]\nhoneypot = <sweet>\nsweet = x<honeypot>\n"
        }
    )
    with pytest.raises(TagSubstitutionError) as info:
        read_filter("f", basedir)
    assert info.value.file == os.path.join(basedir, "filter.d", "f.conf")
    assert info.value.line in (2, 5, 6)
    with pytest.raises(TagSubstitutionError):
        read_filter("f[honeypot=<honeypot>]", basedir)


def test_undecodable_file_is_skipped_with_an_error(
    write_files: Write, caplog: pytest.LogCaptureFixture
) -> None:
    basedir = write_files({"jail.conf": _MINIMAL_JAIL, "filter.d/f.conf": _MINIMAL_FILTER})
    bad = os.path.join(basedir, "jail.local")
    with open(bad, "wb") as fh:
        fh.write(b"[j]\nenabled = false\n# \xff\xfe broken\n")
    with caplog.at_level(logging.ERROR, logger="hyperban.config"):
        jails = read_jails(basedir)
    assert [j.name for j in jails] == ["j"]  # the .local (which disables j) was skipped
    assert any(f"{bad}:3:" in r.getMessage() for r in caplog.records)


def test_missing_include_is_skipped_silently(
    write_files: Write, caplog: pytest.LogCaptureFixture
) -> None:
    basedir = write_files(
        {
            "jail.conf": "[INCLUDES]\nbefore = nothere.conf\nafter = /no/such/dir/x.conf\n"
            + _MINIMAL_JAIL,
            "filter.d/f.conf": _MINIMAL_FILTER,
        }
    )
    with caplog.at_level(logging.DEBUG, logger="hyperban.config"):
        jails = read_jails(basedir)
    assert [j.name for j in jails] == ["j"]
    # fail2ban says nothing at all about it; we only leave a debug message.
    about = [r for r in caplog.records if "nothere" in r.getMessage() or "x.conf" in r.getMessage()]
    assert about and all(r.levelno == logging.DEBUG for r in about)


def test_missing_basedir_and_names() -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        read_jails("/nonexistent/fail2ban/dir")
    with pytest.raises(ConfigError, match="Unable to read the filter"):
        read_filter("no-such-filter-anywhere")
    with pytest.raises(ConfigError, match="was not found"):
        read_jail("no-such-jail", loader=ConfigLoader())


def test_bad_loglevel_names_its_line(write_files: Write) -> None:
    basedir = write_files({"fail2ban.conf": "[Definition]\nlogtarget = STDOUT\nloglevel = LOUD\n"})
    with pytest.raises(ConfigError) as info:
        read_server_config(basedir)
    _assert_located(info.value, os.path.join(basedir, "fail2ban.conf"), 3)


def test_bad_allowipv6_names_its_line(write_files: Write) -> None:
    basedir = write_files({"fail2ban.conf": "[Definition]\nallowipv6 = maybe\n"})
    with pytest.raises(ConfigError, match="allowipv6 must be auto, yes or no") as info:
        read_server_config(basedir)
    _assert_located(info.value, os.path.join(basedir, "fail2ban.conf"), 2)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("mail-how[", "unexpected option syntax"),
        ("mail[a='x, y, z', b=x, y, z]", "expected option, wrong syntax at 17:  y, z"),
        ('mail[a="x"y]', "unexpected syntax at 5 after option 'a': y"),
        ("[a=b]", "unexpected option syntax"),
    ],
)
def test_option_syntax_errors(spec: str, message: str) -> None:
    with pytest.raises(OptionSyntaxError) as info:
        extract_options(spec)
    assert str(info.value) == message
    assert isinstance(info.value, ValueError) and isinstance(info.value, ConfigError)


def test_broken_jail_references_do_not_stop_other_jails(write_files: Write) -> None:
    basedir = write_files(
        {
            "jail.conf": "[DEFAULT]\naction =\n"
            "[ok]\nenabled = true\nfilter = f\n"
            "[nofilter]\nenabled = true\nfilter = missing\n"
            "[badfilter]\nenabled = true\nfilter = f[x\n"
            '[badaction]\nenabled = true\nfilter = f\naction = a[x="1"y]\n'
            "[noaction]\nenabled = true\nfilter = f\naction = missing-action\n",
            "filter.d/f.conf": _MINIMAL_FILTER,
        }
    )
    jails = {j.name: j for j in read_jails(basedir)}
    assert jails["ok"].error is None
    assert jails["nofilter"].error == "Unable to read the filter 'missing'"
    assert jails["badfilter"].error == "Invalid filter definition 'f[x': unexpected option syntax"
    assert jails["badaction"].error == (
        "Invalid action definition 'a[x=\"1\"y]': unexpected syntax at 5 after option 'x': y"
    )
    assert jails["noaction"].error == "Unable to read action 'missing-action'"


def test_include_loop_through_local_sibling(write_files: Write) -> None:
    # f.local includes f.conf, whose .local sibling is f.local again: fail2ban recurses
    # until Python's recursion limit; we stop with a located ConfigError.
    basedir = write_files(
        {
            "t.conf": "[INCLUDES]\nbefore = f.conf\n[s]\na = 1\n",
            "f.conf": "[s]\nb = 1\n",
            "f.local": "[INCLUDES]\nafter = f.conf\n",
        }
    )
    with pytest.raises(ConfigError, match="include loop") as info:
        ConfigLoader().read(basedir, "t")
    _assert_located(info.value, os.path.join(basedir, "f.local"), 2)
    if HAVE_ORACLE:
        answer = run_oracle([{"kind": "ini", "basedir": basedir, "name": "t"}])[0]
        assert answer.get("error", "").startswith("RecursionError")


def test_exponential_tag_growth_is_stopped(write_files: Write) -> None:
    basedir = write_files(
        {"filter.d/f.conf": "[Definition]\nfailregex = <a>\n[Init]\na = <b><b>\nb = <a><a>\n"}
    )
    with pytest.raises(TagSubstitutionError):
        read_filter("f", basedir)
