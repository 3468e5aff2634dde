"""Ban-time increment (fail2ban's ``bantime.*`` jail options), as pure functions.

Same results as fail2ban 1.0.2's ``ObserverThread.calcBanTime``:

* with ``bantime.multipliers`` (``"1 2 4 8"``):
  ``ban.Time * banFactor * multipliers[min(ban.Count, len - 1)]``;
* otherwise ``max(ban.Time, <bantime.formula>)``, the default formula being
  ``ban.Time * (1<<(ban.Count if ban.Count<20 else 20)) * banFactor``;
* then capped by ``bantime.maxtime`` and increased by ``random() * bantime.rndtime``.

Formulas are never given to :func:`eval`: they are parsed with :mod:`ast` and only a
whitelist is accepted -- numbers, ``ban.Time``, ``ban.Count``, ``banFactor``, arithmetic,
shifts, bit operations, comparisons, ``x if c else y``, ``and``/``or``/``not``, the
functions and constants of :mod:`math` (``math.exp(...)``, ``math.pi``) and ``max``,
``min``, ``abs``, ``int``, ``float``, ``round``.  Anything else raises
:class:`FormulaError` when the formula is compiled (i.e. when the jail is configured).
"""

from __future__ import annotations

import ast
import math
import operator
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DEFAULT_FORMULA",
    "BanTimeIncrement",
    "Formula",
    "FormulaError",
    "calc_ban_time",
    "compile_formula",
]

#: fail2ban's default ``bantime.formula``.
DEFAULT_FORMULA = "ban.Time * (1<<(ban.Count if ban.Count<20 else 20)) * banFactor"

# limits against formulas that would take forever / exhaust memory (``2**10**10``)
_MAX_SHIFT = 1024
_MAX_INT_EXPONENT = 1024

Number = int | float
_Env = tuple[Number, int, Number]  # (ban.Time, ban.Count, banFactor)
_Node = Callable[[_Env], Any]


class FormulaError(ValueError):
    """A ``bantime.formula``/``bantime.factor`` that is invalid or not allowed."""


def _shift(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def run(a: Any, b: Any) -> Any:
        if isinstance(b, int) and b > _MAX_SHIFT:
            raise FormulaError(f"shift by {b} is too large (max {_MAX_SHIFT})")
        return op(a, b)

    return run


def _pow(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int) and abs(b) > _MAX_INT_EXPONENT:
        raise FormulaError(f"exponent {b} is too large (max {_MAX_INT_EXPONENT})")
    return operator.pow(a, b)


_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: _pow,
    ast.LShift: _shift(operator.lshift),
    ast.RShift: _shift(operator.rshift),
    ast.BitOr: operator.or_,
    ast.BitAnd: operator.and_,
    ast.BitXor: operator.xor,
}
_UNOPS: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
    ast.Not: operator.not_,
    ast.Invert: operator.invert,
}
_CMPOPS: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_BUILTINS: dict[str, Callable[..., Any]] = {
    "max": max,
    "min": min,
    "abs": abs,
    "int": int,
    "float": float,
    "round": round,
}
_MATH_FUNCS: dict[str, Callable[..., Any]] = {
    name: getattr(math, name)
    for name in (
        "ceil", "floor", "trunc", "fabs", "sqrt", "exp", "expm1", "log", "log2", "log10",
        "log1p", "pow", "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh",
        "tanh", "hypot", "fmod", "copysign", "degrees", "radians",
    )
}  # fmt: skip
_MATH_CONSTS: dict[str, float] = {name: getattr(math, name) for name in ("pi", "e", "tau")}
_VARIABLES = "ban.Time, ban.Count, banFactor"


class _Compiler:
    """Turns a whitelisted expression AST into nested closures (validated once)."""

    def __init__(self, text: str, allow_vars: bool) -> None:
        self.text = text
        self.allow_vars = allow_vars

    def fail(self, what: str) -> FormulaError:
        allowed = f"variables {_VARIABLES}, " if self.allow_vars else ""
        return FormulaError(
            f"{what} is not allowed in {self.text!r} (allowed: {allowed}numbers, "
            "arithmetic, comparisons, 'x if c else y', math.* and max/min/abs/int/float/round)"
        )

    def build(self, node: ast.AST) -> _Node:
        if isinstance(node, ast.Expression):
            return self.build(node.body)
        if isinstance(node, ast.Constant):
            value = node.value
            if not isinstance(value, (int, float)):  # bool is an int
                raise self.fail(f"constant {value!r}")
            return lambda env, value=value: value
        if isinstance(node, ast.Name):
            if node.id == "banFactor" and self.allow_vars:
                return lambda env: env[2]
            if node.id in ("True", "False"):  # pragma: no cover - parsed as Constant
                return lambda env, v=node.id == "True": v
            raise self.fail(f"name {node.id!r}")
        if isinstance(node, ast.Attribute):
            base = node.value
            if isinstance(base, ast.Name) and base.id == "ban" and self.allow_vars:
                if node.attr == "Time":
                    return lambda env: env[0]
                if node.attr == "Count":
                    return lambda env: env[1]
            if isinstance(base, ast.Name) and base.id == "math" and node.attr in _MATH_CONSTS:
                return lambda env, v=_MATH_CONSTS[node.attr]: v
            raise self.fail(f"attribute {ast.unparse(node)!r}")
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            op2 = _BINOPS[type(node.op)]
            left, right = self.build(node.left), self.build(node.right)
            return lambda env: op2(left(env), right(env))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNOPS:
            op1 = _UNOPS[type(node.op)]
            operand = self.build(node.operand)
            return lambda env: op1(operand(env))
        if isinstance(node, ast.Compare) and all(type(o) in _CMPOPS for o in node.ops):
            first = self.build(node.left)
            rest = [
                (_CMPOPS[type(o)], self.build(c))
                for o, c in zip(node.ops, node.comparators, strict=True)
            ]

            def compare(env: _Env) -> bool:
                a = first(env)
                for cmp, nxt in rest:
                    b = nxt(env)
                    if not cmp(a, b):
                        return False
                    a = b
                return True

            return compare
        if isinstance(node, ast.BoolOp):
            values = [self.build(v) for v in node.values]
            is_and = isinstance(node.op, ast.And)

            def boolop(env: _Env) -> Any:
                result: Any = None
                for v in values:
                    result = v(env)
                    if bool(result) != is_and:
                        return result
                return result

            return boolop
        if isinstance(node, ast.IfExp):
            test, body, orelse = (
                self.build(node.test),
                self.build(node.body),
                self.build(node.orelse),
            )
            return lambda env: body(env) if test(env) else orelse(env)
        if isinstance(node, ast.Call):
            func = self._function(node.func)
            if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
                raise self.fail("keyword or starred arguments")
            args = [self.build(a) for a in node.args]
            return lambda env: func(*(a(env) for a in args))
        raise self.fail(f"{type(node).__name__} ({ast.unparse(node)!r})")

    def _function(self, node: ast.AST) -> Callable[..., Any]:
        if isinstance(node, ast.Name) and node.id in _BUILTINS:
            return _BUILTINS[node.id]
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "math"
            and node.attr in _MATH_FUNCS
        ):
            return _MATH_FUNCS[node.attr]
        raise self.fail(f"call of {ast.unparse(node)!r}")


def _compile(text: str, allow_vars: bool) -> _Node:
    if not isinstance(text, str) or not text.strip():
        raise FormulaError(f"empty formula {text!r}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise FormulaError(f"invalid formula {text!r}: {e.msg}") from None
    return _Compiler(text, allow_vars).build(tree)


@dataclass(frozen=True)
class Formula:
    """A compiled ``bantime.formula``; call it with ``(ban_time, ban_count, ban_factor)``."""

    text: str
    _fn: _Node = field(repr=False, compare=False)

    def __call__(self, ban_time: Number, ban_count: int, ban_factor: Number = 1) -> Number:
        try:
            result = self._fn((ban_time, ban_count, ban_factor))
        except FormulaError:
            raise
        except (ArithmeticError, TypeError, ValueError) as e:
            raise FormulaError(f"formula {self.text!r} failed: {e}") from e
        if isinstance(result, bool) or not isinstance(result, (int, float)):
            raise FormulaError(f"formula {self.text!r} gave {result!r}, not a number")
        return result


def compile_formula(text: str) -> Formula:
    """Validate and compile a ``bantime.formula`` (raises :class:`FormulaError`)."""
    return Formula(text, _compile(text, allow_vars=True))


def eval_factor(text: str | int | float) -> Number:
    """Value of ``bantime.factor`` (a constant expression such as ``"2.0 / 2.885385"``)."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return text
    value = Formula(str(text), _compile(str(text), allow_vars=False))(0, 0, 1)
    return value


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on", "y", "t"):
        return True
    if text in ("0", "false", "no", "off", "n", "f", ""):
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _parse_multipliers(value: Any) -> tuple[int, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        parts: list[Any] = value.split()
    else:
        parts = list(value)
    try:
        return tuple(int(p) for p in parts)
    except (TypeError, ValueError):
        raise ValueError(f"bantime.multipliers must be integers: {value!r}") from None


def _parse_seconds(value: Any) -> float | None:
    if value is None or value == "":
        return None
    from ..config.options import parse_time

    return parse_time(value)


_DEFAULT = compile_formula(DEFAULT_FORMULA)


@dataclass(frozen=True)
class BanTimeIncrement:
    """The ``bantime.*`` settings of a jail.

    ``formula`` is ignored when ``multipliers`` are given (as in fail2ban);
    ``maxtime``/``rndtime`` are seconds (``None``: not set).
    """

    increment: bool = False
    factor: Number = 1
    formula: Formula = _DEFAULT
    multipliers: tuple[int, ...] = ()
    maxtime: float | None = None
    rndtime: float | None = None
    overalljails: bool = False
    #: The options given (config or ``set``), as fail2ban's ``getBanTimeExtra`` answers
    #: them: ``increment`` a bool, ``maxtime``/``rndtime`` seconds, the others as
    #: written; options never given are absent (``get`` answers None).
    given: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> BanTimeIncrement:
        """Build from jail options, keys with or without the ``bantime.`` prefix, values
        as found in jail.conf (strings) or already typed.  Empty strings mean "not set"."""
        opts: dict[str, Any] = {}
        for key, value in options.items():
            name = key[len("bantime.") :] if key.startswith("bantime.") else key
            if value is None or value == "":
                continue
            opts[name] = value
        unknown = set(opts) - {
            "increment", "factor", "formula", "multipliers", "maxtime", "rndtime",
            "overalljails",
        }  # fmt: skip
        if unknown:
            raise ValueError(f"unknown bantime option(s): {', '.join(sorted(unknown))}")
        formula = opts.get("formula")
        given: dict[str, Any] = {}
        for name, value in opts.items():
            if name == "increment":
                given[name] = _parse_bool(value)
            elif name in ("maxtime", "rndtime"):
                given[name] = int(_parse_seconds(value) or 0)
            else:
                given[name] = value if isinstance(value, str) else str(value)
        return cls(
            increment=_parse_bool(opts.get("increment", False)),
            factor=eval_factor(opts.get("factor", 1)),
            formula=(
                formula
                if isinstance(formula, Formula)
                else compile_formula(formula)
                if formula is not None
                else _DEFAULT
            ),
            multipliers=_parse_multipliers(opts.get("multipliers")),
            maxtime=_parse_seconds(opts.get("maxtime")),
            rndtime=_parse_seconds(opts.get("rndtime")),
            overalljails=_parse_bool(opts.get("overalljails", False)),
            given=given,
        )

    @property
    def max_ban_time(self) -> float | None:
        """``maxtime`` when increment is on (fail2ban's ``getMaxBanTime``), else None."""
        return self.maxtime if self.increment else None

    def calc(
        self, ban_time: Number, ban_count: int, rand: Callable[[], float] | None = None
    ) -> Number:
        return calc_ban_time(self, ban_time, ban_count, rand)

    def increment_for(
        self, ban_time: Number, db_ban_count: int, rand: Callable[[], float] | None = None
    ) -> Number:
        """Ban time of a new ban given the ban count recorded in the database (0: never
        banned): unchanged unless increment is on, the ban is not permanent and the id was
        banned before (fail2ban's ``incrBanTime``)."""
        if self.increment and ban_time > 0 and db_ban_count > 0:
            return calc_ban_time(self, ban_time, db_ban_count, rand)
        return ban_time


def calc_ban_time(
    settings: BanTimeIncrement,
    ban_time: Number,
    ban_count: int,
    rand: Callable[[], float] | None = None,
) -> Number:
    """fail2ban's ``calcBanTime``: multipliers or formula, ``maxtime`` cap, ``rndtime``.

    ``rand`` returns a float in [0, 1) (default :func:`random.random`); only used with
    ``rndtime``.
    """
    mult = settings.multipliers
    if mult:
        value: Number = (
            ban_time * settings.factor * mult[ban_count if ban_count < len(mult) else -1]
        )
    else:
        value = max(ban_time, settings.formula(ban_time, ban_count, settings.factor))
    if settings.maxtime is not None:
        value = min(value, settings.maxtime)
    if settings.rndtime is not None:
        value = value + (rand or random.random)() * settings.rndtime
    return value
