"""A first-order bound on the round-off of evaluating an expression at a given precision
(:class:`RoundOff`): a residual far above it is a real discrepancy even where its digits agree at
every precision only because terms cancelled exactly.
"""
from __future__ import annotations

from typing import Sequence

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef

from diffproof.derive.codegen import safe_lambdify
from diffproof.derive.domains import exact_number, mp_number

GUARD = 5            # digits of the working precision not trusted against the sides' magnitude
PROBE_DIGITS = 10    # a small residual is re-evaluated with this many more digits first


def finite(value) -> bool:
    return value is not None and mpmath.isfinite(value)


class _Uncertain(Exception):
    """The round-off of a node cannot be bounded (a branch or jump within its error)."""


_RELATIONS = {">": lambda d: d > 0, ">=": lambda d: d >= 0, "<": lambda d: d < 0,
              "<=": lambda d: d <= 0, "==": lambda d: d == 0, "!=": lambda d: d != 0}


class RoundOff:
    """A first-order bound on the error of evaluating an expression at ``dps`` digits (running
    error analysis over the tree): a sum carries its terms' errors plus one rounding, a product
    each factor's error times the other factors, any other function the variation of its value
    over each argument's error interval (so a jump inside it makes the error as large as the
    jump), a Piecewise the error of its branch when every condition is decided beyond the
    error; Sums, Integrals and the like are trusted to 1000 units of the last place.  A value
    that exceeds this bound 10^GUARD times is nonzero even when its digits agree at 100 and 200
    digits only because terms cancelled exactly (``(e^x - 1)(e^x + 1) - e^{2x} = -1`` at
    x = 10^6)."""

    def __init__(self, expr: sp.Expr, symbols: Sequence[sp.Symbol]):
        self.expr, self.symbols = expr, list(symbols)
        self._compiled: dict = {}

    def bound(self, point, dps: int):
        """The error bound of the value at ``dps`` digits; inf when it cannot be bounded."""
        eps = mpmath.mpf(10) ** -dps
        with mpmath.workdps(dps + PROBE_DIGITS):
            try:
                value, error = self._walk(self.expr, point, eps, {})
            except Exception:  # noqa: BLE001 - _Uncertain, or a node that cannot be evaluated
                return mpmath.inf
            return error if finite(value) and mpmath.isfinite(error) else mpmath.inf

    def _walk(self, node, point, eps, memo):
        if node in memo:
            return memo[node]
        if isinstance(node, sp.Symbol):
            value = mp_number(point[node])
            exact = exact_number(point[node]).is_integer or isinstance(point[node], float)
            out = value, (0 if exact else abs(value) * eps)
        elif node.is_Integer:
            out = mpmath.mpf(int(node)), 0
        elif isinstance(node, sp.Add):
            parts = [self._walk(a, point, eps, memo) for a in node.args]
            value = mpmath.fsum(v for v, _ in parts)
            out = value, sum(e for _, e in parts) + abs(value) * eps
        elif isinstance(node, sp.Mul):
            parts = [self._walk(a, point, eps, memo) for a in node.args]
            value = mpmath.fprod(v for v, _ in parts)
            error = abs(value) * eps
            for i, (_, e) in enumerate(parts):
                if e:
                    error += e * abs(mpmath.fprod(v for j, (v, _) in enumerate(parts) if j != i))
            out = value, error
        elif isinstance(node, sp.Piecewise):
            out = None
            for expr, condition in node.args:
                if self._truth(condition, point, eps, memo):
                    out = self._walk(expr, point, eps, memo)
                    break
            if out is None:
                raise _Uncertain("no branch")
        elif isinstance(node, sp.Pow):
            out = self._vary(mpmath.power, node.args, point, eps, memo)
        elif isinstance(node, (sp.Function, sp.Min, sp.Max)) and not node.has(AppliedUndef):
            key = (node.func, len(node.args))
            if key not in self._compiled:
                dummies = [sp.Dummy(real=True) for _ in node.args]
                self._compiled[key] = safe_lambdify(dummies, node.func(*dummies), modules="mpmath")
            out = self._vary(self._compiled[key], node.args, point, eps, memo)
        else:       # a number, constant, Sum, Integral, ...: mpmath's own accuracy
            if node not in self._compiled:
                self._compiled[node] = safe_lambdify(self.symbols, node, modules="mpmath")
            args = [mp_number(point[s]) for s in self.symbols]
            value = mpmath.mpmathify(self._compiled[node](*args))
            out = value, abs(value) * eps * 1000
        memo[node] = out
        return out

    def _vary(self, function, args, point, eps, memo):
        parts = [self._walk(a, point, eps, memo) for a in args]
        values = [v for v, _ in parts]
        value = mpmath.mpmathify(function(*values))
        error = abs(value) * eps * 10
        for i, (v, e) in enumerate(parts):
            if not e:
                continue
            for shift in (e, -e):
                moved = mpmath.mpmathify(function(*values[:i], v + shift, *values[i + 1:]))
                if not finite(moved):
                    raise _Uncertain("not finite within the error")
                error += abs(moved - value)
        return value, error

    def _truth(self, condition, point, eps, memo) -> bool:
        if condition in (sp.true, True):
            return True
        if condition in (sp.false, False):
            return False
        if isinstance(condition, (sp.And, sp.Or, sp.Not)):
            values = [self._truth(c, point, eps, memo) for c in condition.args]
            if isinstance(condition, sp.Not):
                return not values[0]
            return all(values) if isinstance(condition, sp.And) else any(values)
        if isinstance(condition, sp.core.relational.Relational) and condition.rel_op in _RELATIONS:
            (left, e_left), (right, e_right) = (self._walk(side, point, eps, memo)
                                                for side in condition.args)
            difference, error = left - right, e_left + e_right
            if mpmath.im(difference) != 0 or (error and abs(difference) <= 10 ** GUARD * error):
                raise _Uncertain("a condition within round-off")
            return _RELATIONS[condition.rel_op](mpmath.re(difference))
        raise _Uncertain("an unknown condition")
