"""Hostile values through real command actions: nothing runs that the template did not
write, and every command receives exactly the value (NUL removed, see shell_quote).

Each ban carries 54 values (50 ``F-Vn`` captures, ``F-USER``, ``matches``, ``fid``/``ip``).
The action's ``actionban`` writes every value in every quoting context: the command sees
it as an argument of ``printf '%s\\000'`` (or as here-document text) and appends it to one
file per context, which the test reads back.  Payloads try to create files in a canary
directory (absolute paths, and relative redirections from a working directory that is the
canary directory); it must stay empty.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator

import pytest
from action_helpers import FakeJail, make_definition
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hyperban.actions.command import CommandAction
from hyperban.actions.info import ActionInfo
from hyperban.actions.shell_quote import clean_value
from hyperban.server.ticket import BanTicket

CANARY = tempfile.mkdtemp(prefix="hyperban-canary-")
OUT = tempfile.mkdtemp(prefix="hyperban-out-")
SEP = "SEP" + uuid.uuid4().hex
N_CAPTURES = 50
TAGS = [f"F-V{i}" for i in range(N_CAPTURES)] + ["F-USER", "matches", "fid", "ip"]

# context name -> (line(s) of the template with {tags} for the list, per-tag form)
_P = "printf '%s\\000'"
CONTEXTS: dict[str, tuple[str, str]] = {
    "unq": (f"{_P} {{tags}} >> {OUT}/unq", "<{t}>"),
    "sq": (f"{_P} {{tags}} >> {OUT}/sq", "'a<{t}>b'"),
    "dq": (f"{_P} {{tags}} >> {OUT}/dq", '"a<{t}>b"'),
    "esc": (f"{_P} {{tags}} >> {OUT}/esc", "\\<{t}>"),
    "escdq": (f"{_P} {{tags}} >> {OUT}/escdq", '"\\<{t}>"'),
    "sub": (f': "$({_P} {{tags}} >> {OUT}/sub)"', '"<{t}>"'),
    "subunq": (f": $({_P} {{tags}} >> {OUT}/subunq)", "<{t}>"),
    "bq": (f": `{_P} {{tags}} >> {OUT}/bq`", "<{t}>"),
    "bqsq": (f": `{_P} {{tags}} >> {OUT}/bqsq`", "'a<{t}>b'"),
    "bqdq": (f": `{_P} {{tags}} >> {OUT}/bqdq`", '"a<{t}>b"'),
    "dqbq": (f': "`{_P} {{tags}} >> {OUT}/dqbq`"', "<{t}>"),
    "dqbqsq": (f': "`{_P} {{tags}} >> {OUT}/dqbqsq`"', "'a<{t}>b'"),
    "dqbqdq": (f': "`{_P} {{tags}} >> {OUT}/dqbqdq`"', '"a<{t}>b"'),
    "dqbqedq": (f': "`{_P} {{tags}} >> {OUT}/dqbqedq`"', '\\"a<{t}>b\\"'),
    "bqbq": (f": `: \\`{_P} {{tags}} >> {OUT}/bqbq\\``", "<{t}>"),
    "hd": (f"cat >> {OUT}/hd <<EOF\n{{tags}}\nEOF", "<{t}>\n" + SEP),
    "hdtab": (f"cat >> {OUT}/hdtab <<-EOF\n{{tags}}\n\tEOF", "\ta<{t}>\n\t" + SEP),
    "hdbq": (f"cat > /dev/null <<EOF\n`{_P} {{tags}} >> {OUT}/hdbq`\nEOF", '"<{t}>"'),
    "comment": (f"true {OUT}/comment # {{tags}}", "<{t}>"),
}
# What each context must have received, from the value.
EXPECT = {
    "sq": lambda v: "a" + v + "b",
    "dq": lambda v: "a" + v + "b",
    "bqsq": lambda v: "a" + v + "b",
    "bqdq": lambda v: "a" + v + "b",
    "dqbqsq": lambda v: "a" + v + "b",
    "dqbqdq": lambda v: "a" + v + "b",
    "dqbqedq": lambda v: "a" + v + "b",
    "esc": lambda v: "\\" + v,
    "escdq": lambda v: "\\" + v,
    "hdtab": lambda v: "a" + v,
}


def _template() -> str:
    lines = []
    for ctx, (line, form) in CONTEXTS.items():
        joiner = "\n" if ctx in ("hd", "hdtab") else " "
        lines.append(line.replace("{tags}", joiner.join(form.format(t=t) for t in TAGS)))
    return "\n".join(lines)


TEMPLATE = _template()

_C = f"{CANARY}/pwned"
HAND_VALUES = [
    f"$(touch {_C}1)",
    f"`touch {_C}2`",
    f"; touch {_C}3;",
    f"' ; touch {_C}4 ; '",
    f'" ; touch {_C}5 ; "',
    f"\\'; touch {_C}6; \\'",
    f'\\"; touch {_C}7; \\"',
    f"\\`touch {_C}8\\`",
    f"\\$(touch {_C}9)",
    f"| touch {_C}10",
    f"& touch {_C}11 &",
    f"\ntouch {_C}12\n",
    f"\nEOF\ntouch {_C}13\ncat <<EOF\n",
    f"EOF\ntouch {_C}14",
    f"\tEOF\ntouch {_C}15",
    f"${{x:=$(touch {_C}16)}}",
    f"$((`touch {_C}17`))",
    f"<(touch {_C}18)",
    "> pwned19",
    "pwned20 >",
    f"'\"`$(touch {_C}21)`\"'",
    f'"`touch {_C}22`"',
    f"{{a,b}}$(touch {_C}23)",
    "\\",
    "\\\\",
    "'",
    '"',
    "`",
    "$",
    "*",
    "~root",
    "{a,b}",
    "{a..c}",
    "$HOME",
    "${HOME}",
    "$'\\n'",
    "",
    " ",
    "\n",
    "\r\n",
    "a\x00b",
    "\x00",
    "\x01\x02\x1b[31m",
    "\udcff\udc80 undecodable",
    "\ud800 lone surrogate",
    "héllo wörld ☃ 𝄞",
    "\u2028\u2029\x85",
    "# not a comment",
    "#",
    "x" * 20000,
    ("'\"$`\\\n" * 500),
    "-n",
    "--",
    "%s%n%d",
    "${u+}",
    "EOF",
    SEP[:10],
]

_FRAGMENTS = [
    "'",
    '"',
    "`",
    "$",
    "(",
    ")",
    "{",
    "}",
    ";",
    "|",
    "&",
    "\n",
    "\\",
    "*",
    "?",
    "[",
    "]",
    "~",
    "#",
    "<",
    ">",
    "!",
    " ",
    "\t",
    "\r",
    "\x00",
    "=",
    "EOF",
    "\nEOF\n",
    "\n\tEOF\n",
    f"touch {_C}h",
    f"$(touch {_C}h)",
    f"`touch {_C}h`",
    ">pwnedh",
    "${u+}",
    "$((",
    "))",
    "a",
    "1.2.3.4",
    "::1",
    "é",
    "\udcff",
    "\ud800",
    "☃",
]
VALUES = st.one_of(
    st.lists(st.sampled_from(_FRAGMENTS), max_size=12).map("".join),
    st.text(max_size=30),
    st.sampled_from(HAND_VALUES),
)


@pytest.fixture(scope="module", autouse=True)
def _dirs() -> Iterator[None]:
    cwd = os.getcwd()
    os.chdir(CANARY)  # relative redirections of a payload land in the canary
    try:
        yield
    finally:
        os.chdir(cwd)
        shutil.rmtree(CANARY, ignore_errors=True)
        shutil.rmtree(OUT, ignore_errors=True)


def _ban(shell: str, values: list[str]) -> None:
    """Ban one ticket carrying ``values`` and check every context's output."""
    assert len(values) == len(TAGS) - 1  # fid and ip share a value
    data = {f"v{i}": v for i, v in enumerate(values[:N_CAPTURES])}
    data["user"] = values[N_CAPTURES]
    ticket = BanTicket(values[N_CAPTURES + 2], 1.0, matches=[values[N_CAPTURES + 1]], data=data)
    expected_values = [*values, values[N_CAPTURES + 2]]  # <fid>, then <ip>
    action = CommandAction(FakeJail(), make_definition({"actionban": TEMPLATE}), shell=shell)
    for name in os.listdir(OUT):
        os.unlink(os.path.join(OUT, name))
    assert action.ban(ActionInfo(ticket, FakeJail())) is True
    assert os.listdir(CANARY) == [], "a payload ran a command"
    # bash (not dash) brace-expands "{a,b}" inside "`...`" even where the inner command
    # quotes it (a bash parsing quirk): that can split an argument, never run a command.
    bash_braces = shell.endswith("bash") and any("{" in v for v in values)
    for ctx in CONTEXTS:
        if ctx == "comment" or (bash_braces and ctx.startswith("dqbq")):
            continue
        with open(os.path.join(OUT, ctx), "rb") as fh:
            got = fh.read()
        if ctx in ("hd", "hdtab"):
            parts = got.split(("\n" + SEP + "\n").encode())
            assert parts[-1] == b""
        else:
            parts = got.split(b"\x00")
            assert parts[-1] == b"", ctx
        parts = parts[:-1]
        assert len(parts) == len(TAGS), ctx
        expect = EXPECT.get(ctx, lambda v: v)
        for tag, value, part in zip(TAGS, expected_values, parts, strict=True):
            want = expect(clean_value(value)).encode("utf-8", "surrogateescape")
            assert part == want, (ctx, tag, value)


@pytest.mark.parametrize("shell", ["/bin/sh", "/bin/bash"])
def test_hand_values(shell: str) -> None:
    per_ban = len(TAGS) - 1
    values = list(HAND_VALUES)
    while len(values) % per_ban:
        values.append(values[len(values) % len(HAND_VALUES)][::-1])
    for i in range(0, len(values), per_ban):
        _ban(shell, values[i : i + per_ban])
        # Shift, so each value also meets the other tags (F-USER, matches, fid).
        _ban(shell, values[i : i + per_ban][::-1])


_PER_BAN = len(TAGS) - 1


@settings(
    max_examples=190,  # x 53 values: 10,070 hostile values through /bin/sh
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(VALUES, min_size=_PER_BAN, max_size=_PER_BAN))
def test_generated_values_sh(values: list[str]) -> None:
    _ban("/bin/sh", values)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(VALUES, min_size=_PER_BAN, max_size=_PER_BAN))
def test_generated_values_bash(values: list[str]) -> None:
    _ban("/bin/bash", values)
