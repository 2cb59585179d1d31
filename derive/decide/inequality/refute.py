"""Confirming a refutation the prover found: its point completed with simple values for the
symbols it leaves free, checked against every declared assumption, and confirmed at high
precision (or, for a strict inequality's 0, at the exact point).
"""
from __future__ import annotations

import itertools
from fractions import Fraction

import sympy as sp

from diffproof.derive.decide.inequality.sign import admissible
from diffproof.derive.decide.inequality.values import (TooLarge, compile_mp, exactly_zero, near_zero,
                                             stably_negative, symbols_of)
from diffproof.derive.domains import exact_number


def confirmed_point(expr, table, partial_point: dict, zero: bool) -> tuple[dict, bool] | None:
    """The prover's point, completed with simple values for the symbols it left free (and those
    the assumptions tie to them), checked to satisfy every declared assumption and confirmed:
    made rational, negative at 50, 100 and 200 digits with a stable value; or (``zero``: the
    value there was shown to be exactly 0, which refutes a strict inequality) at the exact point,
    rational or not (x = sqrt(2)), 0 by simplification and to 50 and 100 digits.  Returns
    (point, whether it is the prover's exact point)."""
    symbols = symbols_of(expr)
    compiled = compile_mp(expr, symbols)
    if compiled is None:
        return None
    missing = [s for s in table.linked_symbols(symbols) if s not in partial_point]
    simple = [[v for v in (table.domain(s).simple or (Fraction(1, 2),))][:3] for s in missing]
    for values in itertools.islice(itertools.product(*simple), 27):
        point = _resolve(partial_point, dict(zip(missing, values)))
        if point is None:
            continue
        candidates = [(_fractions(point), False)] if zero else _rationals(point)
        for candidate, approximate in candidates:
            try:
                if admissible(candidate, table) and (
                        _exact_zero_at(expr, compiled, symbols, candidate) if zero else
                        stably_negative(compiled, symbols, candidate)):
                    return candidate, not approximate
            except TooLarge:
                continue
    return None


def _exact_zero_at(expr, compiled, symbols, point: dict) -> bool:
    """0 at an exact point of real numbers: by simplification and to 50 and 100 digits."""
    exact = [exact_number(v) for v in point.values()]
    real = all(v.is_extended_real is True and v.is_finite is True for v in exact)
    return real and near_zero(compiled, symbols, point) and exactly_zero(expr, point)


def _resolve(partial_point: dict, fill: dict) -> dict | None:
    values = {s: sp.sympify(v) for s, v in {**fill, **partial_point}.items()}
    for _ in range(len(values) + 1):
        values = {s: v.xreplace(values) for s, v in values.items()}
        if all(v.is_number for v in values.values()):
            return values
    return None


def _fractions(point: dict) -> dict:
    """The point with its rational coordinates as Fractions (the others stay SymPy numbers)."""
    return {s: Fraction(int(v.p), int(v.q)) if v.is_Rational else v for s, v in point.items()}


def _rationals(point: dict):
    """Rational versions of a point: exact, or (irrational coordinates) approximations with
    denominators up to 10^3, 10^6, 10^12 and a 60-digit one."""
    exact = {s: Fraction(int(v.p), int(v.q)) for s, v in point.items() if v.is_Rational}
    if len(exact) == len(point):
        yield exact, False
        return
    if not all(v.is_real for v in point.values()):
        return
    fine = {s: Fraction(str(sp.N(v, 60))) for s, v in point.items()}
    for limit in (10 ** 3, 10 ** 6, 10 ** 12, None):
        yield {s: (v if limit is None or s in exact else v.limit_denominator(limit))
               for s, v in fine.items()}, True
