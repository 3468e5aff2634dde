"""Small value syntaxes of fail2ban configs.

* ``name[key=value, key2="v, with comma"][key3='x']`` specifications of filters, actions
  and backends (:func:`extract_options`) and lists of them (:func:`split_with_options`);
* time spans such as ``10m``, ``1h 30m``, ``1d12h``, ``-1`` (:func:`parse_time`);
* booleans (:func:`as_bool`) and word lists (:func:`split_words`).
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable

from .errors import OptionSyntaxError

__all__ = [
    "as_bool",
    "extract_options",
    "parse_time",
    "split_with_options",
    "split_words",
]


def _is_param_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_-."


def _params_error(body: str, pos: int, after: str | None) -> OptionSyntaxError:
    snippet = body[pos : pos + 25]
    if after is None:
        return OptionSyntaxError(f"expected option, wrong syntax at {pos}: {snippet}")
    return OptionSyntaxError(f"unexpected syntax at {pos} after option {after!r}: {snippet}")


def _parse_params(body: str) -> dict[str, str]:
    """Parse ``k=v, k2="v2"][k3='v3'`` (the text between the outer brackets)."""
    params: dict[str, str] = {}
    n = len(body)
    pos = 0
    while True:
        start = pos
        while start < n and body[start].isspace():
            start += 1
        end = start
        while end < n and _is_param_char(body[end]):
            end += 1
        if end > start and end < n and body[end] == "=":
            key = body[start:end]
            vstart = end + 1
            quote = body[vstart] if vstart < n else ""
            close = body.find(quote, vstart + 1) if quote in ('"', "'") else -1
            if close != -1:
                value = body[vstart + 1 : close]
                stop = close + 1
            else:
                stop = vstart
                while stop < n and body[stop] not in ",]":
                    stop += 1
                value = body[vstart:stop]
            params[key.strip()] = value.strip()
            # What may follow a value: ',' or '][' (a new group) or the end.
            if stop == n or (stop == n - 1 and body[stop] == "\n"):
                pos = stop
                continue
            if body[stop] == ",":
                pos = stop + 1
                continue
            if body[stop] == "]":
                nxt = stop + 1
                while nxt < n and body[nxt].isspace():
                    nxt += 1
                if nxt < n and body[nxt] == "[":
                    pos = nxt + 1
                    continue
            raise _params_error(body, stop, key)
        # No "key=" here: only an optional trailing comma and blanks may remain.
        tail = body[pos + 1 :] if body[pos : pos + 1] == "," else body[pos:]
        if not tail.strip():
            return params
        raise _params_error(body, pos, None)


def extract_options(spec: str) -> tuple[str, dict[str, str]]:
    """Split ``name[k=v, ...]`` into the name and its parameters.

    Values may be double- or single-quoted (then they may contain ``,`` and ``]``);
    unquoted values end at ``,`` or ``]``; keys and values are stripped; groups may be
    chained as ``name[a=1][b=2]``; an empty ``name[]`` is allowed.  Raises
    :class:`OptionSyntaxError` (a ``ValueError``) on malformed input, with fail2ban's
    messages.
    """
    bracket = spec.find("[")
    if bracket == -1:
        if not spec:
            raise OptionSyntaxError("unexpected option syntax")
        return spec, {}
    tail = spec[bracket:].rstrip()
    if bracket == 0 or len(tail) < 2 or not tail.endswith("]"):
        raise OptionSyntaxError("unexpected option syntax")
    name = spec[:bracket]
    body = tail[1:-1]
    if not body:
        return name, {}
    return name, _parse_params(body)


# A list of specifications, separated by blanks or new lines, where a specification's
# bracketed parameters may themselves contain blanks and new lines.
_PARAM_KEY = r"[\w.-]+"
_PARAM_VALUE = r"""(?:"[^"]*"|'[^']*'|[^,\]]*)"""
_PARAM_ITEM = rf"{_PARAM_KEY}={_PARAM_VALUE}\s*(?:,|\]\s*\[)?\s*"
_PARAM_GROUP = rf"\s*\[\s*(?:{_PARAM_ITEM})*\]"
_SPEC_ITEM = re.compile(rf"(?:[^\[\s]+(?:{_PARAM_GROUP})?\s*|\S+)(?=\s|\Z)", re.DOTALL)


def split_with_options(value: str) -> list[str]:
    """Split a multi-spec value such as a jail's ``action`` into single specifications.

    Items are returned unstripped (they may carry trailing blanks); callers strip them.
    """
    return [m.group(0) for m in _SPEC_ITEM.finditer(value)]


def as_bool(value: object) -> bool:
    """fail2ban's boolean: ``1``, ``on``, ``true``, ``yes`` (any case) are true."""
    if not isinstance(value, str):
        return bool(value)
    return value.lower() in ("1", "on", "true", "yes")


def split_words(value: str | None) -> list[str]:
    """Split on commas, spaces and new lines, dropping empty items (e.g. ``ignoreip``)."""
    if not value:
        return []
    return [w.strip() for w in re.split(r"[ ,\n]+", value) if w.strip()]


# -- time spans -------------------------------------------------------------------------

_MONTH = (365 * 3 + 366) * 24 * 60 * 60 / 4 / 12
_YEAR = (365 * 3 + 366) * 24 * 60 * 60 / 4
# (spellings in the order they are tried, seconds); units are replaced in this order.
_UNITS: tuple[tuple[tuple[str, ...], int | float], ...] = (
    (("days", "day", "da", "dd", "d"), 24 * 60 * 60),
    (("weeks", "week", "wee", "we", "ww", "w"), 7 * 24 * 60 * 60),
    (("months", "month", "mon", "mo"), _MONTH),
    (("years", "year", "yea", "ye", "yy", "y"), _YEAR),
    (("seconds", "second", "sec", "se", "ss", "s"), 1),
    (("minutes", "minute", "min", "mi", "mm", "m"), 60),
    (("hours", "hour", "hou", "ho", "hh", "h"), 60 * 60),
)
_UNIT_RES = tuple(
    (re.compile(r"(?<=[\d\s])(?:" + "|".join(spellings) + r")\b", re.IGNORECASE), f"*{secs}")
    for spellings, secs in _UNITS
)
_LETTER_DIGIT = re.compile(r"(?<=[a-z])(\d)", re.IGNORECASE)
_DIGIT_BLANK_DIGIT = re.compile(r"(\d)\s+(\d)")

_BINOPS: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNOPS: dict[type[ast.unaryop], Callable[[float], float]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}


def _evaluate(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return node.value
        raise ValueError(f"not a number: {node.value!r}")
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNOPS:
        return _UNOPS[type(node.op)](_evaluate(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left = _evaluate(node.left)
        right = _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and (abs(right) > 64 or abs(left) > 1e6):
            raise ValueError("exponent too large")
        return _BINOPS[type(node.op)](left, right)
    raise ValueError(f"unsupported expression element {type(node).__name__}")


def parse_time(value: str | float) -> float:
    """Seconds in a fail2ban time span (``MyTime.str2seconds`` semantics).

    Units (case-insensitive, may follow the number directly or after blanks):
    ``s``/``sec``/``second(s)``, ``m``/``min``/``minute(s)``, ``h``/``hour(s)``,
    ``d``/``day(s)``, ``w``/``week(s)``, ``mo``/``mon``/``month(s)`` (a twelfth of a mean
    year), ``y``/``year(s)`` (365.25 days).  Groups separated by blanks add up
    (``1h 30m``); arithmetic is allowed (``1h+30m``, ``1y-6mo``, ``2*3d``); ``-1`` means
    forever for ban times.  Raises ``ValueError`` for anything else.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return float(time_span_value(value))


def time_span_value(value: str) -> int | float:
    """:func:`parse_time`'s value as fail2ban computes it: an ``int`` unless a
    fraction takes part (``1.5m``, or a month or year, whose lengths are fractional);
    what ``fail2ban-client --str2sec`` prints."""
    if not isinstance(value, str):
        raise ValueError(f"not a time span: {value!r}")
    expr = _LETTER_DIGIT.sub(r" \1", value)
    for pattern, replacement in _UNIT_RES:
        expr = pattern.sub(replacement, expr)
    expr = _DIGIT_BLANK_DIGIT.sub(r"\1+\2", expr)
    try:
        tree = ast.parse(expr.strip(" \t"), mode="eval")
        result = _evaluate(tree)
    except (SyntaxError, ValueError, TypeError, ZeroDivisionError, OverflowError) as exc:
        raise ValueError(f"invalid time span {value!r}: {exc}") from None
    return result  # type: ignore[no-any-return]
