"""Pseudo-random filters and jail trees (fixed seeds) read like fail2ban reads them:
same set-up steps, same jails, and failure exactly where fail2ban fails."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from config_oracle import needs_oracle, run_oracle
from fuzz_tags_gen import random_filter, random_jail_tree
from normalize import my_filter_steps, my_jail, oracle_jail

from hyperban.config import ConfigError, ConfigLoader, read_jails
from hyperban.config.filters import FilterReader

pytestmark = needs_oracle


def _write(root: Path, files: dict[str, str]) -> str:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return str(root)


def test_random_filters(tmp_path: Path) -> None:
    rng = random.Random(7001)
    cases = []
    for i in range(300):
        files, params = random_filter(rng)
        cases.append((_write(tmp_path / f"f{i}", files), params))
    answers = run_oracle(
        [{"kind": "filter", "basedir": d, "name": "f", "opts": p, "jail": "jail"} for d, p in cases]
    )
    compared = 0
    for (basedir, params), answer in zip(cases, answers, strict=True):
        reader = FilterReader(ConfigLoader(), basedir, "f", "jail", dict(params))
        assert reader.read()
        if "error" in answer:
            with pytest.raises(ConfigError):
                reader.get_options({})
                reader.stream()
            continue
        reader.get_options({})
        assert my_filter_steps(reader.stream()[0]) == answer["ok"], (basedir, params)
        compared += 1
    assert compared > 150


def test_random_jail_trees(tmp_path: Path) -> None:
    rng = random.Random(7002)
    dirs = [_write(tmp_path / f"j{i}", random_jail_tree(rng)) for i in range(200)]
    answers = run_oracle([{"kind": "jails", "basedir": d, "force_enable": True} for d in dirs])
    compared = 0
    for basedir, answer in zip(dirs, answers, strict=True):
        if "error" in answer:
            with pytest.raises(ConfigError):
                read_jails(basedir, force_enable=True)
            continue
        expected = [oracle_jail(item) for item in answer["ok"]]
        assert [my_jail(j) for j in read_jails(basedir, force_enable=True)] == expected, basedir
        compared += 1
    assert compared > 100
