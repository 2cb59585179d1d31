"""Random-point evaluation of identities at high precision, and counterexample search.

A residual is evaluated with mpmath at 50 significant digits.  The search for a counterexample
tries simple rational values from each symbol's domain first (so a refutation reads
``alpha_t = 1/2, abar_{t-1} = 1/3``), then lets Hypothesis draw points from the domains and shrink
a failing one.  Every candidate is confirmed at 100 digits before it is reported, so round-off
never produces a false refutation.
"""
from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef
from hypothesis import HealthCheck, find, settings, strategies as st
from hypothesis.errors import NoSuchExample, Unsatisfiable

from derive.symbols import TABLE, SymbolTable
from derive.codegen import safe_lambdify

DPS = 50
CONFIRM_DPS = 100


@dataclass
class Residual:
    """What is evaluated: a residual that must vanish (``kind='zero'``) or be >= 0 (``'nonneg'``),
    with the two sides kept for reporting and for the scale of the tolerance."""

    residual: sp.Expr
    lhs: sp.Expr
    rhs: sp.Expr
    kind: str = "zero"

    def symbols(self) -> list[sp.Symbol]:
        free = self.residual.free_symbols | self.lhs.free_symbols | self.rhs.free_symbols
        return sorted((s for s in free if isinstance(s, sp.Symbol)), key=lambda s: s.name)


class _Compiled:
    def __init__(self, expr: sp.Expr, symbols: Sequence[sp.Symbol]):
        self.expr, self.symbols = expr, list(symbols)
        self.valueless = expr.has(AppliedUndef)   # an unknown function has no numeric value
        try:
            self.fn = safe_lambdify(self.symbols, expr, modules="mpmath")
        except Exception:  # noqa: BLE001 - fall back to SymPy's own evaluation
            self.fn = None

    def __call__(self, point: dict[sp.Symbol, object], dps: int):
        if self.valueless:
            return None
        with mpmath.workdps(dps):
            args = [_to_mp(point[s]) for s in self.symbols]
            try:
                if self.fn is not None:
                    value = self.fn(*args)
                else:
                    value = self.expr.evalf(dps, subs={s: _exact(point[s]) for s in self.symbols})
                    value = mpmath.mpmathify(complex(value)) if not value.is_real else mpmath.mpf(str(value))
                return mpmath.mpmathify(value)
            except Exception:  # noqa: BLE001 - undefined here (pole, unknown function, ...)
                return None


def _exact(value) -> sp.Rational:
    """The exact rational value of a point's coordinate (a Fraction or a binary float)."""
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    return sp.Rational(*Fraction(value).as_integer_ratio())


def _to_mp(value):
    if isinstance(value, Fraction):
        return mpmath.mpf(value.numerator) / value.denominator
    return mpmath.mpf(value)


def _finite(value) -> bool:
    return value is not None and mpmath.isfinite(value)


class Evaluator:
    """Evaluates a :class:`Residual` at points and decides whether it is violated there."""

    def __init__(self, target: Residual):
        self.target = target
        self.symbols = target.symbols()
        self.residual = _Compiled(target.residual, self.symbols)
        self.lhs = _Compiled(target.lhs, self.symbols)
        self.rhs = _Compiled(target.rhs, self.symbols)

    def _violation(self, point, dps: int):
        r = self.residual(point, dps)
        if not _finite(r):
            return None
        l, rr = self.lhs(point, dps), self.rhs(point, dps)
        scale = 1 + (abs(l) if _finite(l) else 0) + (abs(rr) if _finite(rr) else 0)
        tolerance = mpmath.mpf(10) ** (-(dps - 15)) * scale
        if self.target.kind == "zero":
            return abs(r) > tolerance, r
        if abs(mpmath.im(r)) > tolerance:
            return True, r
        return mpmath.re(r) < -tolerance, r

    def violated(self, point) -> bool:
        """True when the point violates the target at 50 digits and again at 100 and 200 digits
        with a stable value (a residual that shrinks with precision is round-off, not a violation)."""
        first = self._violation(point, DPS)
        if first is None or not first[0]:
            return False
        previous = first[1]
        for dps in (CONFIRM_DPS, 2 * CONFIRM_DPS):
            confirmed = self._violation(point, dps)
            if confirmed is None or not confirmed[0]:
                return False
            value = confirmed[1]
            if abs(value - previous) > mpmath.mpf("1e-6") * abs(value):
                previous = value
                continue
            return True
        return False

    def defined(self, point) -> bool:
        return _finite(self.residual(point, DPS))

    def report(self, point) -> dict[str, object]:
        out: dict[str, object] = {}
        for symbol in self.symbols:
            value = point[symbol]
            out[symbol.name] = str(value) if isinstance(value, Fraction) else float(value)
        for name, compiled in (("lhs", self.lhs), ("rhs", self.rhs)):
            value = compiled(point, DPS)
            out[name] = _number(value)
        out["residual"] = _number(self.residual(point, DPS))
        return out


def _number(value):
    if value is None:
        return None
    if abs(mpmath.im(value)) > 0:
        return str(mpmath.nstr(value, 12))
    return float(mpmath.re(value))


def _admissible(point: dict, table: SymbolTable) -> bool:
    for lo, hi in table.orderings:
        if lo in point and hi in point and not point[lo] < point[hi]:
            return False
    return True


def simple_points(symbols: Sequence[sp.Symbol], table: SymbolTable = TABLE, limit: int = 400):
    """Points made of each domain's simple values, simplest first, respecting orderings."""
    choices = []
    for symbol in symbols:
        simple = table.domain(symbol).simple or (Fraction(1, 2),)
        choices.append(list(simple))
    combos = itertools.product(*[range(len(c)) for c in choices])
    ranked = sorted(itertools.islice(combos, 20000), key=lambda idx: (sum(idx), idx))
    produced = 0
    for idx in ranked:
        point = {s: choices[i][k] for i, (s, k) in enumerate(zip(symbols, idx))}
        if _admissible(point, table):
            yield point
            produced += 1
            if produced >= limit:
                return


def point_strategy(symbols: Sequence[sp.Symbol], table: SymbolTable = TABLE):
    """A Hypothesis strategy for admissible points; simple values are tried (and shrunk to) first."""
    parts = {}
    for symbol in symbols:
        domain = table.domain(symbol)
        simple = st.sampled_from(domain.simple) if domain.simple else st.nothing()
        if domain.integer:
            drawn = st.integers(int(domain.sample_lo), int(domain.sample_hi)).map(Fraction)
        else:
            drawn = st.floats(domain.sample_lo, domain.sample_hi, allow_nan=False,
                              allow_infinity=False).filter(domain.contains)
        parts[symbol] = st.one_of(simple, drawn)
    return st.fixed_dictionaries(parts).filter(lambda p: _admissible(p, table))


def search(target: Residual, table: SymbolTable = TABLE, seed: int = 0,
           max_examples: int = 100, simple_limit: int = 60) -> tuple[dict | None, int]:
    """Look for a point violating the target.

    Returns (counterexample report or None, number of points at which the residual could be
    evaluated).  Points where it is undefined (a pole, an unevaluable term) do not count, so a
    caller can tell "vanished at n points" from "could not be evaluated".
    """
    evaluator = Evaluator(target)
    symbols = evaluator.symbols
    evaluated = 0
    for point in simple_points(symbols, table, simple_limit):
        if not evaluator.defined(point):
            continue
        evaluated += 1
        if evaluator.violated(point):
            return evaluator.report(point), evaluated
    if not symbols or max_examples <= 0:
        return None, evaluated
    counter = {"n": 0}

    def violated(point):
        if not evaluator.defined(point):
            return False
        counter["n"] += 1
        return evaluator.violated(point)

    try:
        found = find(point_strategy(symbols, table), violated,
                     settings=settings(max_examples=max_examples, database=None, deadline=None,
                                       suppress_health_check=list(HealthCheck)),
                     random=random.Random(seed))
    except (NoSuchExample, Unsatisfiable):
        return None, evaluated + counter["n"]
    return evaluator.report(found), evaluated + counter["n"]
