"""The ini layer (includes, .local/.d merging, KNOWN/, conditional sections,
interpolation) must give fail2ban's raw and interpolated value for every option of
every configuration file."""

from __future__ import annotations

import glob
import os
import random
from typing import Any

import pytest
from config_oracle import ETC, needs_oracle, run_oracle

from hyperban.config import ConfigError, ConfigLoader
from hyperban.config.ini import DEFAULT_SECTION, Config

pytestmark = needs_oracle


def _names(basedir: str) -> list[str]:
    names = ["jail", "fail2ban"]
    names += sorted(
        os.path.basename(p)[: -len(".conf")]
        for p in glob.glob(os.path.join(basedir, "paths-*.conf"))
    )
    for sub in ("filter.d", "action.d"):
        names += sorted(
            f"{sub}/{os.path.basename(p)[: -len('.conf')]}"
            for p in glob.glob(os.path.join(basedir, sub, "*.conf"))
        )
    return names


def _dump(cfg: Config) -> dict[str, Any]:
    result: dict[str, Any] = {"sections": list(cfg.sections), "values": {}, "raw": {}}
    for sec in [DEFAULT_SECTION, *cfg.sections]:
        names = sorted(cfg.defaults) if sec == DEFAULT_SECTION else sorted(cfg.options(sec))
        values: dict[str, Any] = {}
        raws: dict[str, Any] = {}
        for opt in names:
            raws[opt] = cfg.get(sec, opt, raw=True)
            try:
                values[opt] = cfg.get(sec, opt)
            except ConfigError as exc:
                values[opt] = {"error": type(exc).__name__}
        result["values"][sec] = values
        result["raw"][sec] = raws
    return result


def _normalize_errors(dump: dict[str, Any]) -> dict[str, Any]:
    for values in dump["values"].values():
        for opt, value in values.items():
            if isinstance(value, dict) and value["error"].startswith("Interpolation"):
                values[opt] = {"error": "InterpolationError"}
    return dump


def _check(basedir: str, names: list[str]) -> int:
    answers = run_oracle([{"kind": "ini", "basedir": basedir, "name": n} for n in names])
    loader = ConfigLoader()
    checked = 0
    for name, answer in zip(names, answers, strict=True):
        if "error" in answer:
            # fail2ban refuses the file; so must we, with a ConfigError.
            with pytest.raises(ConfigError):
                loader.read(basedir, name)
            checked += 1
            continue
        cfg = loader.read(basedir, name)
        if answer["ok"] is None:
            assert cfg is None, name
            continue
        assert cfg is not None, name
        assert _dump(cfg) == _normalize_errors(answer["ok"]), name
        checked += 1
    return checked


def test_every_stock_config_file() -> None:
    names = _names(ETC)
    assert _check(ETC, names) == len(names)


def test_sample_tree_files(sample_tree: str) -> None:
    names = _names(sample_tree)
    assert _check(sample_tree, names) == len(names)


def test_fail2ban_test_config_files(f2b_test_config: str) -> None:
    names = _names(f2b_test_config)
    assert _check(f2b_test_config, names) == len(names)


@pytest.mark.parametrize(
    "files",
    [
        pytest.param(
            {
                "t.conf": "[DEFAULT]\nb = a\nzz = the%(__name__)s\n\n[section]\ny = 4%(b)s\n"
                "e = 5${b}\nz = %(__name__)s\n\n[section2]\nz = 3%(__name__)s\n"
            },
            id="name-interpolation",
        ),
        pytest.param(
            {
                "t.conf": '[DEFAULT]\na = def-a\nb = def-b,a:`%(a)s`\nc = def-c,b:"%(b)s"\n'
                'd = def-d-b:"%(known/b)s"\n\n[jail]\na = jail-a-%(test/a)s\n'
                "b = jail-b-%(test/b)s\ny = %(test/y)s\n\n[test]\na = test-a-%(default/a)s\n"
                "b = test-b-%(known/b)s\nx = %(test/x)s\ny = %(jail/y)s\n"
            },
            id="section-targeted",
        ),
        pytest.param(
            {
                "t.conf": "[s]\nA = 1\nb = %(A)s%(a)s %%(a)s 100%%\nc = %(Known/a)s\n"
                "d = %(s/A)s\ne = %(S/a)s\nf = %(nosuch/a)s\ng = %(default/zz)s\n"
                "h = 50% off\ni = %(missing)s\nj = %(j)s\n",
                "t.local": "[s]\na = 2%(known/a)s\n",
            },
            id="case-and-errors",
        ),
        pytest.param(
            {
                "t.conf": "[INCLUDES]\nbefore = inc/b.conf\n   inc/missing.conf\nafter = a.conf\n"
                "[DEFAULT]\nx = conf\n[s]\nv = %(x)s %(known/v)s\n",
                "inc/b.conf": "[INCLUDES]\nafter = ../a.conf\n[s]\nv = b\n[DEFAULT]\nx = b\n",
                "inc/b.local": "[s]\nv = b-local(%(known/v)s)\n",
                "a.conf": "[s]\nv = a(%(known/v)s)\nw = a\n",
                "a.local": "[s]\nw = a-local\n",
                "t.local": "[s]\nv = local(%(known/v)s)\n"
                "[Init?family=inet6]\nk = 6\n[Init]\nk = 4\n",
                "t.d/01.conf": "[s]\nv = d1(%(known/v)s)\n",
                "t.d/02.local": "[s]\nv = d2(%(known/v)s)\n[Init]\nk = d2\n",
            },
            id="includes-and-known-chain",
        ),
        pytest.param(
            {
                "t.conf": "[INCLUDES]\nbefore = t.conf\n[s]\nv = 1\n",
            },
            id="self-include",
        ),
        pytest.param(
            {
                "t.conf": "[s]\n"
                "multi = first\n"
                "   second ; comment\n"
                "\n"
                "   # comment line inside\n"
                "   third # kept\n"
                "\n"
                "\n"
                "after: colon;value\n"
                "tab =\tvalue\t\n"
                "empty =\n"
                "   continued\n"
                "key with spaces = 1\n"
                "[Definition]\n"
                "x = y = z\n"
                "[INCLUDES]\n"
                "other = 1\n"
            },
            id="continuations-and-comments",
        ),
        pytest.param(
            {"t.conf": "[s]\r\na = 1\r\n\tcont\r\nb = x\xa0;c\r\n\xa0\xa0d = 2\rc = 3\r\n"},
            id="crlf-tabs-nbsp",
        ),
        pytest.param({"t.conf": "\ufeff[s]\na = 1\n"}, id="bom"),
        pytest.param({"t.conf": "[s]\na = 1\n[s]\n"}, id="duplicate-section"),
        pytest.param({"t.conf": "[s] trailing\n[a]b]\nx=1\n[]\n"}, id="odd-headers"),
    ],
)
def test_dialect_cases(write_files: Any, files: dict[str, str]) -> None:
    basedir = write_files(files)
    assert _check(basedir, ["t"]) == 1


def _random_ini(rng: random.Random, index: int) -> str:
    """A pseudo-random file in the dialect, with the odd malformed line."""
    names = ["a", "b", "Opt", "x_y", "known/a", "__name__", "c-d", "e.f"]
    values = [
        "1",
        "",
        "v w",
        "%(a)s",
        "%(b)s-%(Opt)s",
        "%(known/a)s",
        "%(default/a)s",
        "%(s1/a)s",
        "%(__name__)s",
        "100%%",
        "x ; comment",
        "y;no-comment",
        "z # hash",
        "<a>",
        "%(nope)s",
        "%(s2/b)s/%(a)s",
        "a=b",
        "q: r",
    ]
    sections = ["DEFAULT", "s1", "s2", "Init", "Init?family=inet6", "INCLUDES", "Definition"]
    lines: list[str] = []
    for _ in range(rng.randint(1, 4)):
        sect = rng.choice(sections)
        lines.append(rng.choice(["[{}]", "[{}]", " [{}] ; c", "[{}]  "]).format(sect))
        used: set[str] = set()
        for _ in range(rng.randint(0, 5)):
            roll = rng.random()
            if roll < 0.08:
                lines.append(rng.choice(["# comment", "; comment", "   # indented comment"]))
            elif roll < 0.16:
                lines.append(rng.choice(["", "   ", "\t"]))
            elif roll < 0.26:
                lines.append(rng.choice(["  ", "\t", "    "]) + rng.choice(values))
            elif roll < 0.28:
                lines.append(rng.choice(["bad line", "  = x", "[ unclosed"]))
            elif sect == "INCLUDES":
                key = rng.choice(["before", "after"])
                if key in used:
                    continue
                used.add(key)
                lines.append(f"{key} = f{rng.randint(0, 3)}.conf")
            else:
                key = rng.choice(names)
                if key.lower() in used:
                    continue
                used.add(key.lower())
                lines.append(f"{key}{rng.choice([' = ', '=', ': ', ' :'])}{rng.choice(values)}")
        # keep sections unique within a file most of the time
        if rng.random() < 0.9 and sect != "DEFAULT":
            sections.remove(sect)
    del index
    return "\n".join(lines) + rng.choice(["\n", "", "\n\n"])


def _random_trees(count: int) -> list[dict[str, str]]:
    rng = random.Random(4242)
    trees = []
    for i in range(count):
        files = {"t.conf": _random_ini(rng, i)}
        for extra in ("t.local", "f0.conf", "f1.conf", "f1.local", "t.d/1.conf", "f2.conf"):
            if rng.random() < 0.4:
                files[extra] = _random_ini(rng, i)
        trees.append(files)
    return trees


def test_random_files(tmp_path_factory: pytest.TempPathFactory) -> None:
    trees = _random_trees(300)
    dirs = []
    for i, files in enumerate(trees):
        root = tmp_path_factory.mktemp(f"rnd{i}")
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8")
        dirs.append(str(root))
    run_oracle([{"kind": "ini", "basedir": d, "name": "t"} for d in dirs])
    outcomes = {"read": 0, "refused": 0}
    for d in dirs:
        answer = run_oracle([{"kind": "ini", "basedir": d, "name": "t"}])[0]
        outcomes["refused" if "error" in answer else "read"] += 1
        _check(d, ["t"])
    assert outcomes["read"] > 100 and outcomes["refused"] > 20
