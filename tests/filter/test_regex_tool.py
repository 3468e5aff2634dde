"""``python -m hyperban regex``: options, output, errors."""

from __future__ import annotations

import io
import json
import os
import platform
import subprocess
import sys
from contextlib import redirect_stdout

import pytest

from hyperban.__main__ import main as hyperban_main
from hyperban.cli.heap import keep_heap_top

SSHD_LOG = "/usr/lib/python3/dist-packages/fail2ban/tests/files/logs/sshd"
needs_stock = pytest.mark.skipif(
    not os.path.exists("/etc/fail2ban/filter.d/sshd.conf"), reason="needs Debian's fail2ban"
)


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = hyperban_main(["regex", *args])
    return code, out.getvalue()


def test_dispatch_and_usage():
    # Without a command, --help is the daemon's (argparse exits with 0).
    try:
        code = hyperban_main(["--help"])
    except SystemExit as e:
        code = e.code
    assert code in (0, None)
    assert hyperban_main(["no-such-command"]) == 2


def test_regex_string_on_a_file(tmp_path):
    log = tmp_path / "a.log"
    log.write_bytes(
        b"# a comment\n\n2023-11-14 10:00:00 Failed from 192.0.2.1\n"
        b"2023-11-14 10:00:01 fine\n\xff\xfe garbage \x00\n"
        b"2023-11-14 10:00:02 Failed from 192.0.2.2\nincomplete last line Failed from 192.0.2.3"
    )
    code, out = run("--json", "--print-all-matched", str(log), "Failed from <HOST>")
    assert code == 0
    data = json.loads(out)
    assert (data["lines"], data["matched"], data["ignored"], data["missed"]) == (4, 2, 0, 2)
    assert data["failregex_hits"] == [2]
    assert [(m["line"], m["id"]) for m in data["matches"]] == [(3, "192.0.2.1"), (6, "192.0.2.2")]
    assert set(data) >= {"seconds", "lines_per_second", "failregex_hits", "matches"}


def test_report_lists_missed_lines(tmp_path):
    log = tmp_path / "b.log"
    log.write_text("2023-11-14 10:00:00 Failed from 192.0.2.1\n2023-11-14 10:00:01 other\n")
    code, out = run(str(log), "Failed from <HOST>", "from 192\\.0\\.2\\.9")
    assert code == 0
    assert "Lines: 2 lines, 0 ignored, 1 matched, 1 missed" in out
    assert "|- Missed line(s):\n|  2023-11-14 10:00:01 other\n`-" in out
    assert "Ignoreregex: 0 total" in out


def test_single_line_and_out_formats():
    line = "2023-11-14 10:00:00 Failed for bob from 192.0.2.1"
    regex = "Failed for <F-USER>\\S+</F-USER> from <HOST>"
    assert run("-o", "id", line, regex) == (0, "192.0.2.1\n")
    assert run("-o", "user", line, regex) == (0, "bob\n")
    assert run("-o", "<ip>:<F-USER>", line, regex) == (0, "192.0.2.1:bob\n")
    assert run("-o", "msg", line, regex) == (0, line + "\n")


def test_errors(tmp_path):
    code, out = run(str(tmp_path), "x <HOST>")
    assert code == 255 and "not a regular file" in out
    code, out = run("line", "no id group")
    assert code == 255 and "No failure-id group" in out
    conf = tmp_path / "filter.d"
    conf.mkdir()
    (conf / "bad.conf").write_text("[Definition]\nfailregex = ^x <HOST>\nthis is not ini\n")
    code, out = run("-c", str(tmp_path), "line", "bad")
    assert code == 255 and f"{conf / 'bad.conf'}:3" in out
    (conf / "bad2.conf").write_text("[Definition]\nfailregex = ^x (<HOST>\n")
    code, out = run("-c", str(tmp_path), "line", "bad2")
    assert code == 255 and f"{conf / 'bad2.conf'}:2" in out


@needs_stock
def test_bench_runs_every_engine():
    code, out = run("--bench", "--json", SSHD_LOG, "sshd")
    rows = json.loads(out.strip().splitlines()[-1])["bench"]
    assert code == 0 and [r["engine"] for r in rows] == ["hyperscan", "regex", "python"]
    assert len({(r["matched"], r["ignored"], r["missed"]) for r in rows}) == 1


@needs_stock
def test_exact_mode_and_filter_options():
    fast = json.loads(run("--json", SSHD_LOG, "sshd[mode=aggressive]")[1])
    exact = json.loads(run("--json", "--exact", SSHD_LOG, "sshd[mode=aggressive]")[1])
    for key in ("lines", "matched", "ignored", "missed", "failregex_hits"):
        assert fast[key] == exact[key]


def test_module_entry_point(tmp_path):
    log = tmp_path / "c.log"
    log.write_text("2023-11-14 10:00:00 Failed from 192.0.2.1\n")
    done = subprocess.run(
        [sys.executable, "-m", "hyperban", "regex", "--json", str(log), "Failed from <HOST>"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout)["matched"] == 1


@needs_stock
@pytest.mark.parametrize(
    "options",
    [
        [],
        ["--print-all-ignored", "--print-all-missed"],
        ["--print-no-ignored", "--print-all-matched"],
        ["--json", "--print-all-matched"],
    ],
)
def test_counted_quiet_lines_and_pipeline_change_nothing(tmp_path, monkeypatch, options):
    """The quiet lines counted in bulk (all but the ignored lines the report
    may still list) and the Rust stage of the next chunk run on a worker
    thread give the output of reporting every line, chunk after chunk."""
    from hyperban.bench.genlog import write_log
    from hyperban.cli import regex_tool

    log = tmp_path / "auth.log"
    write_log(str(log), "auth", 3000, 0.3, seed=7)
    args = [*options, "--chunk-size", "4096", str(log), "sshd"]

    def output() -> str:
        code, out = run(*args)
        assert code == 0
        if "--json" in options:
            data = json.loads(out)
            del data["seconds"], data["lines_per_second"]
            return json.dumps(data)
        return "\n".join(x for x in out.splitlines() if not x.startswith("[processed in"))

    fast = output()
    monkeypatch.setattr(regex_tool.RegexTool, "_quiet_keep", lambda *a: None)
    monkeypatch.setattr(
        regex_tool,
        "_pipelined",
        lambda chunks, stage, arg, *_: ((stage(c, arg(c)), c, n, t) for c, n, t in chunks),
    )
    assert output() == fast
    assert "ignored" in fast


@needs_stock
def test_the_main_thread_evaluates_until_the_worker_takes_the_chunk(tmp_path, monkeypatch):
    """After handing a chunk to the worker, the main thread evaluates its
    lines until the worker's stage starts (``Filter.evaluate_meanwhile``);
    the output does not depend on how far it got: here once all of every
    chunk (no stage runs before the next chunk is handed over), once none
    (each stage runs before the main thread gets to it)."""
    from hyperban.bench.genlog import write_log
    from hyperban.cli import regex_tool

    log = tmp_path / "auth.log"
    write_log(str(log), "auth", 3000, 0.3, seed=7)
    args = ["--json", "--print-all-matched", "--chunk-size", "4096", str(log), "sshd"]
    ahead: list[int] = []

    def main_first(chunks, stage, arg, meanwhile):
        for c, n, t in chunks:
            made = arg(c)
            meanwhile(c, made)
            ahead.append(made[1].evaluated)
            yield stage(c, made), c, n, t

    def worker_first(chunks, stage, arg, meanwhile):
        for c, n, t in chunks:
            made = arg(c)
            run = stage(c, made)
            meanwhile(c, made)
            ahead.append(made[1].evaluated)
            yield run, c, n, t

    def output() -> dict[str, object]:
        code, out = run(*args)
        assert code == 0
        data = json.loads(out)
        del data["seconds"], data["lines_per_second"]
        return data

    expected = output()
    assert expected["matches"]
    for pipeline in (main_first, worker_first):
        ahead.clear()
        monkeypatch.setattr(regex_tool, "_pipelined", pipeline)
        assert output() == expected, pipeline.__name__
        assert len(ahead) > 2
        if pipeline is main_first:
            assert all(n > 0 for n in ahead), ahead
        else:
            assert ahead == [0] * len(ahead)


@needs_stock
def test_rust_tally_and_python_share_the_lines():
    # Most lines are accounted in Rust (ToolTally); a line whose record only
    # Python can write (here the id "192.030.0.6", which glibc does not take for
    # an address) is accounted in Python.
    # tests/compat/test_regex_tool_tally.py checks that the reports are the same.
    from hyperban.cli import regex_tool

    args = ["--json", "--print-all-matched", "--usedns", "no", SSHD_LOG, "sshd"]
    opts = regex_tool.build_parser().parse_args(args)
    tool = regex_tool.RegexTool(opts, io.StringIO(), io.StringIO())
    tool.read_regex(opts.regex, "fail")
    stats = tool.process(tool.make_filter(opts.engine), True)
    assert stats.tally is not None
    matched, ignored, *_ = stats.tally.counts()
    assert matched > 50 and ignored > 0
    assert len(stats.matches) >= 1  # the records Python wrote
    assert stats.matched == matched + len({m["line"] for m in stats.matches})
    records = json.loads(f"[{stats.matches_json()}]")
    assert [r["line"] for r in records] == sorted(r["line"] for r in records)
    assert len(records) == stats.tally.counts()[0] + len(stats.matches)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_the_tool_keeps_the_heap_top_on_glibc():
    # (what it is worth is measured in hyperban.cli.heap's docstring; here:
    # that glibc takes the setting, for which mallopt returns 1)
    assert keep_heap_top() is True
