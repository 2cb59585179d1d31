"""Domains of symbols: intervals of the real line with their sampling ranges and simple values,
the SymPy assumptions a domain gives its symbols, the positive parametrizations of the unit
intervals, and exact membership of a number in a domain.

The standard domains (REAL, POSITIVE, UNIT, UNIT_CLOSED, TIME, STEPS) are those of the symbol table
(:mod:`derive.symbols`); a :class:`DerivedBound` is a declared domain restated in free symbols.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

import mpmath
import sympy as sp


@dataclass(frozen=True)
class Domain:
    """An interval of the real line, ``lo < x < hi`` (bounds optional, openness per end).

    ``sample_lo``/``sample_hi`` bound the region random points are drawn from when the interval is
    unbounded; ``simple`` lists the simple values a counterexample search tries first.
    """

    lo: float | Fraction | None = None    # exact (a Fraction) when an assumption states a rational
    hi: float | Fraction | None = None
    lo_open: bool = True
    hi_open: bool = True
    sample_lo: float = -3.0
    sample_hi: float = 3.0
    simple: tuple[Fraction, ...] = ()
    integer: bool = False

    def contains(self, value) -> bool:
        """Exact membership of a number: an int, Fraction, float or SymPy number (sqrt(2),
        CRootOf; a SymPy rational is compared as a Fraction, since SymPy does not count
        Integer(0) and the float bound 0.0 as equal)."""
        if isinstance(value, sp.Basic):
            if value.is_Rational:
                value = Fraction(int(value.p), int(value.q))
            else:
                return self._contains_irrational(value)
        if self.lo is not None and (value < self.lo or (self.lo_open and value == self.lo)):
            return False
        if self.hi is not None and (value > self.hi or (self.hi_open and value == self.hi)):
            return False
        return True

    def _contains_irrational(self, value: sp.Expr) -> bool:
        """Membership of a real SymPy number that is not rational (it never equals a bound that
        is rational; float bounds are binary rationals)."""
        if value.is_extended_real is not True:
            return False
        for bound, below in ((self.lo, True), (self.hi, False)):
            if bound is None:
                continue
            exact = sp.Rational(Fraction(bound).numerator, Fraction(bound).denominator)
            difference = value - exact
            if difference == 0 or difference.equals(0):
                return False
            outside = difference.is_negative if below else difference.is_positive
            if outside is None:
                outside = bool((value < exact) if below else (value > exact))
            if outside:
                return False
        return True

    def describe(self, name: str) -> str:
        left = "" if self.lo is None else f"{_shown(self.lo)} {'<' if self.lo_open else '<='} "
        right = "" if self.hi is None else f" {'<' if self.hi_open else '<='} {_shown(self.hi)}"
        if not left and not right:
            return f"{name} real"
        return f"{left}{name}{right}"

    def latex(self, name: str) -> str:
        lt = {True: "<", False: r"\le"}
        if self.lo is None and self.hi is None:
            return name + r" \in \mathbb{R}"
        left = "" if self.lo is None else f"{_shown(self.lo, latex=True)} {lt[self.lo_open]} "
        right = "" if self.hi is None else f" {lt[self.hi_open]} {_shown(self.hi, latex=True)}"
        return f"{left}{name}{right}"

    @property
    def interval(self) -> tuple:
        """(lo, hi, lo_open, hi_open): the interval alone, without sampling ranges or simple
        values."""
        return self.lo, self.hi, self.lo_open, self.hi_open

    @property
    def assumptions(self) -> dict[str, bool]:
        """The SymPy assumptions of a symbol ranging over this domain: real; integer for an integer
        domain; positive when it lies in (0, oo) and nonnegative in [0, oo).  The one place they
        are derived from a domain."""
        assumptions = {"real": True}
        if self.integer:
            assumptions["integer"] = True
        if self.lo is not None and self.lo >= 0:
            assumptions["positive" if (self.lo > 0 or self.lo_open) else "nonnegative"] = True
        return assumptions


F = Fraction
REAL = Domain(simple=(F(0), F(1), F(-1), F(2), F(1, 2), F(-2), F(3)))
POSITIVE = Domain(lo=0.0, sample_lo=0.05, sample_hi=5.0,
                  simple=(F(1), F(2), F(1, 2), F(3), F(1, 3), F(4)))
UNIT = Domain(lo=0.0, hi=1.0, sample_lo=1e-6, sample_hi=1 - 1e-6,
              simple=(F(1, 2), F(1, 3), F(2, 3), F(1, 4), F(3, 4), F(1, 5), F(4, 5)))
# (0, 1]: a cumulative product whose index may be 0 (alphabar_0 = 1, the empty product)
UNIT_CLOSED = Domain(lo=0.0, hi=1.0, hi_open=False, sample_lo=1e-6, sample_hi=1.0,
                     simple=(F(1, 2), F(1, 3), F(1), F(2, 3), F(1, 4), F(3, 4), F(1, 5)))
TIME = Domain(lo=0.0, hi=1.0, hi_open=False, sample_lo=1e-3, sample_hi=1.0,
              simple=(F(1, 2), F(1), F(1, 4), F(3, 4), F(1, 3)))
STEPS = Domain(lo=1.0, lo_open=False, sample_lo=1, sample_hi=50, integer=True,
               simple=(F(2), F(3), F(5), F(10)))


# -- positive parametrizations ---------------------------------------------------------------------
def unit_interval_form(symbol: sp.Symbol) -> sp.Expr:
    """0 < a < 1 as a = 1/(1 + p), p > 0."""
    return 1 / (1 + sp.Dummy(f"p_{symbol.name}", positive=True))


def unit_closed_form(symbol: sp.Symbol) -> sp.Expr:
    """0 < a <= 1 as a = 1/(1 + p), p >= 0."""
    return 1 / (1 + sp.Dummy(f"p_{symbol.name}", nonnegative=True))


def positive_form_of(domain: Domain) -> Callable[[sp.Symbol], sp.Expr] | None:
    """The positive parametrization of a symbol of ``domain``: 1/(1 + p) with p > 0 on the open
    unit interval, p >= 0 on UNIT_CLOSED itself (a cumulative product that may be the empty
    product; other (0, 1] domains such as TIME are not parametrized), none otherwise."""
    if domain is UNIT_CLOSED:
        return unit_closed_form
    if domain.interval == (0, 1, True, True):
        return unit_interval_form
    return None


# -- exact numbers ---------------------------------------------------------------------------------
def _shown(bound, latex: bool = False) -> str:
    """A bound as written: an exact fraction as p/q (\\frac{p}{q} in LaTeX), a float with %g."""
    if isinstance(bound, Fraction) and bound.denominator != 1:
        return (rf"\frac{{{bound.numerator}}}{{{bound.denominator}}}" if latex else str(bound))
    return f"{float(bound):g}" if isinstance(bound, Fraction) else f"{bound:g}"


def exact_number(value) -> sp.Expr:
    """The exact SymPy number of a coordinate: a Fraction, int, binary float or SymPy number."""
    if isinstance(value, sp.Basic):
        return value
    if isinstance(value, float):
        return sp.Rational(*value.as_integer_ratio())
    value = Fraction(value)
    return sp.Rational(value.numerator, value.denominator)


def mp_number(value):
    """A coordinate as an mpmath number at the working precision (10 guard digits for a SymPy
    number such as sqrt(2))."""
    if isinstance(value, sp.Basic):
        return mpmath.mpf(value.evalf(mpmath.mp.dps + 10))
    if isinstance(value, Fraction):
        return mpmath.mpf(value.numerator) / value.denominator
    return mpmath.mpf(value)


def exactly_in(value: sp.Expr, domain: Domain) -> bool:
    """Whether a SymPy number provably lies in the interval of ``domain`` (its float bounds read
    exactly); False when it is not real or SymPy cannot decide."""
    if value.is_extended_real is not True or value.is_finite is not True:
        return False
    checks = []
    if domain.lo is not None:
        lo = exact_number(domain.lo)
        checks.append(sp.Gt(value, lo) if domain.lo_open else sp.Ge(value, lo))
    if domain.hi is not None:
        hi = exact_number(domain.hi)
        checks.append(sp.Lt(value, hi) if domain.hi_open else sp.Le(value, hi))
    return all(check is sp.true for check in checks)


# -- a declared domain in free symbols -------------------------------------------------------------
@dataclass(frozen=True)
class DerivedBound:
    """A declared assumption in free symbols: ``value`` lies in ``domain`` (``text`` states it as
    declared)."""

    text: str
    value: sp.Expr
    domain: Domain

    def holds(self, point: dict) -> bool:
        """True when every symbol of ``value`` has a value in ``point`` (exact: rationals, binary
        floats, SymPy numbers) and the value provably lies in the domain."""
        if not self.value.free_symbols <= set(point):
            return False
        value = self.value.xreplace({s: exact_number(point[s]) for s in self.value.free_symbols})
        return exactly_in(value, self.domain)
