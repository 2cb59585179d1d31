"""Evaluating a :class:`~numeric.points.residual.Residual` at a point with 50 significant digits,
and deciding whether the point violates it: a nonzero (or negative) value that keeps its value
as the precision grows to 100 and 200 digits and exceeds the round-off bound
(:class:`~numeric.points.roundoff.RoundOff`); both sides must be real there.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Sequence

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef

from diffproof.derive.codegen import safe_lambdify
from diffproof.derive.domains import exact_number, mp_number
from diffproof.numeric.points.residual import Residual
from diffproof.numeric.points.roundoff import GUARD, PROBE_DIGITS, RoundOff, finite

DPS = 50
CONFIRM_DPS = 100
STABLE = mpmath.mpf("1e-6")   # relative agreement of a residual at two precisions


class _Compiled:
    def __init__(self, expr: sp.Expr, symbols: Sequence[sp.Symbol]):
        self.expr, self.symbols = expr, list(symbols)
        self.valueless = expr.has(AppliedUndef)   # an unknown function has no numeric value
        self._last: tuple | None = None
        try:
            self.fn = safe_lambdify(self.symbols, expr, modules="mpmath")
        except Exception:  # noqa: BLE001 - fall back to SymPy's own evaluation
            self.fn = None

    def __call__(self, point: dict[sp.Symbol, object], dps: int):
        if self.valueless:
            return None
        key = (dps, tuple(point[s] for s in self.symbols))
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        value = self._evaluate(point, dps)
        self._last = (key, value)
        return value

    def _evaluate(self, point, dps: int):
        with mpmath.workdps(dps):
            args = [mp_number(point[s]) for s in self.symbols]
            try:
                if self.fn is not None:
                    return mpmath.mpmathify(self.fn(*args))
                value = self.expr.evalf(dps, subs={s: exact_number(point[s]) for s in self.symbols})
                re, im = value.as_real_imag()   # keep every digit (no detour through float)
                return mpmath.mpc(mpmath.mpf(str(sp.Float(re, dps))),
                                  mpmath.mpf(str(sp.Float(im, dps)))) if im != 0 else \
                    mpmath.mpf(str(sp.Float(re, dps)))
            except Exception:  # noqa: BLE001 - undefined here (pole, unknown function, ...)
                return None


def _stable(a, b) -> bool:
    """Two evaluations of one nonzero quantity that agree: not round-off."""
    return a != 0 and b != 0 and abs(a - b) <= STABLE * abs(b)


class Evaluator:
    """Evaluates a :class:`Residual` at points and decides whether it is violated there."""

    def __init__(self, target: Residual):
        self.target = target
        self.symbols = target.symbols()
        self.residual = _Compiled(target.residual, self.symbols)
        self.lhs = _Compiled(target.lhs, self.symbols)
        self.rhs = _Compiled(target.rhs, self.symbols)
        self.roundoff = RoundOff(target.residual, self.symbols)

    def _witnesses(self, point, dps: int):
        """The quantities that must vanish at this point: the residual (``zero``), or its
        negative part and imaginary part (``nonneg``); None where undefined."""
        r = self.residual(point, dps)
        if not finite(r):
            return None
        if self.target.kind == "zero":
            return (r,)
        return (min(mpmath.re(r), 0), mpmath.im(r))

    def _scale(self, point) -> mpmath.mpf:
        sides = [abs(v) for v in (self.lhs(point, DPS), self.rhs(point, DPS)) if finite(v)]
        return max(sides) if sides else mpmath.mpf(0)

    def _real_sides(self, point, dps: int) -> bool:
        """Both sides finite and real at ``dps`` digits: a counterexample compares real numbers
        (sqrt(x^3) and x sqrt(x) differ at x = -1, where neither is real)."""
        return all(finite(v) and mpmath.im(v) == 0
                   for v in (self.lhs(point, dps), self.rhs(point, dps)))

    def violated(self, point) -> bool:
        """True when the point violates the target: both sides real (at every precision used) and
        a nonzero witness at 50 digits that keeps its value (to 1e-6 relative) between two of the
        precisions 50/60, 100 and 200 digits, the later one at least 100, and exceeds there
        10^GUARD times the round-off bound of the residual (:class:`RoundOff`).  A residual
        that shrinks with precision is round-off."""
        first = self._witnesses(point, DPS)
        if first is None or not any(w != 0 for w in first) or not self._real_sides(point, DPS):
            return False
        tolerance = mpmath.mpf(10) ** (GUARD - DPS) * self._scale(point)
        previous = first
        if all(abs(w) <= tolerance for w in first):
            # small next to the sides: round-off unless it survives 10 more digits
            probe = self._witnesses(point, DPS + PROBE_DIGITS)
            if probe is None or not any(_stable(a, b) for a, b in zip(first, probe)):
                return False
            previous = probe
        for dps in (CONFIRM_DPS, 2 * CONFIRM_DPS):
            current = self._witnesses(point, dps)
            if current is None or not self._real_sides(point, dps):
                return False
            stable = [b for a, b in zip(previous, current) if _stable(a, b)]
            if stable:
                limit = mpmath.mpf(10) ** GUARD * self.roundoff.bound(point, dps)
                if any(abs(w) > limit for w in stable):
                    return True
            previous = current
        return False

    def defined(self, point) -> bool:
        """The residual is finite and both sides are real here (the point counts as evaluated)."""
        return finite(self.residual(point, DPS)) and self._real_sides(point, DPS)

    def report(self, point) -> dict[str, object]:
        """The point (the claim's symbols, then the other symbols the assumptions tie to them),
        the two sides and the residual."""
        out: dict[str, object] = {}
        mine = set(self.symbols)
        extra = sorted((s for s in point if s not in mine), key=lambda s: s.name)
        for symbol in list(self.symbols) + extra:
            value = point[symbol]
            out[symbol.name] = str(value) if isinstance(value, Fraction) else float(value)
        for name, compiled in (("lhs", self.lhs), ("rhs", self.rhs)):
            out[name] = _number(compiled(point, DPS))
        out["residual"] = _number(self.residual(point, DPS))
        return out


def _number(value):
    if value is None:
        return None
    if abs(mpmath.im(value)) > 0:
        return str(mpmath.nstr(value, 12))
    return float(mpmath.re(value))
