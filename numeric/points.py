"""Random-point evaluation of identities at high precision, and counterexample search.

A residual is evaluated with mpmath at 50 significant digits.  A point violates the target only
when the residual keeps the same nonzero value (or negative value, for an inequality) as the
precision grows: round-off shrinks with precision, a real discrepancy does not, however small it
is next to the two sides (``e^{-100} = 0`` fails).  The sides' magnitude only routes the check: a
residual below 10^-(dps - GUARD) of it is first re-evaluated at dps + 10 digits, a larger one goes
straight to confirmation at 100 and 200 digits.

Points satisfy every declared assumption: each symbol's domain (integers stay integers), the
orderings ``a < b`` of the table, through their transitive closure and including symbols the
claim does not mention, and the bounds declared on defined symbols (``abar_t < 1/2`` with
abar_t = alpha_t abar_{t-1}), evaluated exactly through their definitions.  The symbols linked to the claim's by orderings get values too (bounds
are propagated, then values picked), and a reported counterexample names them.

Values are drawn across scales: log-uniform over 1e-6 .. 1e6 (either sign for real symbols) from
unbounded domains, integers up to 10^6 (small ones first), uniform and near both ends in bounded
domains.  The search tries simple rational values first (so a refutation reads ``alpha_t = 1/2,
abar_{t-1} = 1/3``), then lets Hypothesis draw points and shrink a failing one.
"""
from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Sequence

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef
from hypothesis import HealthCheck, assume, find, settings, strategies as st
from hypothesis.errors import NoSuchExample, Unsatisfiable

from derive.codegen import safe_lambdify
from derive.domains import exact_number, mp_number
from derive.symbols import TABLE, SymbolTable

DPS = 50
CONFIRM_DPS = 100
GUARD = 5            # digits of the working precision not trusted against the sides' magnitude
PROBE_DIGITS = 10    # a small residual is re-evaluated with this many more digits first
STABLE = mpmath.mpf("1e-6")   # relative agreement of a residual at two precisions
DECADES = 6          # unbounded domains are sampled over 10^-6 .. 10^6
INTEGER_TOP = 10 ** 6
SMALL_INTEGERS = 12  # integers lo .. lo + 12 are simple values of an integer domain
SUM_CAP = 60         # integer symbols bounding a Sum/Product stay below this (evaluation cost)
COMPLETIONS = 64     # completions of a point tried against the bounds on defined symbols
CHOICES = 4          # simple values per symbol in those completions


@dataclass
class Residual:
    """What is evaluated: a residual that must vanish (``kind='zero'``) or be >= 0 (``'nonneg'``),
    with the two sides kept for reporting and for the scale of the tolerance.  ``definitions``
    are the extra definitions expanded into it (a claim's ``% assume: y = ...``): a declared
    bound on such a symbol constrains the points (:meth:`SymbolTable.derived_bounds`)."""

    residual: sp.Expr
    lhs: sp.Expr
    rhs: sp.Expr
    kind: str = "zero"
    definitions: dict | None = None

    def symbols(self) -> list[sp.Symbol]:
        free = self.residual.free_symbols | self.lhs.free_symbols | self.rhs.free_symbols
        return sorted((s for s in free if isinstance(s, sp.Symbol)), key=lambda s: s.name)


def natural_conditions(expr: sp.Expr) -> list[tuple[sp.Expr, bool]]:
    """Where ``expr`` is real: (c, strict) pairs meaning c >= 0 (c > 0 when strict), one for every
    radicand and base of a non-integer power (> 0 under a negative exponent) and every log
    argument (> 0) with a symbol in it."""
    conditions = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Pow) and not node.exp.is_integer and not node.base.is_number:
            conditions.append((node.base, bool(node.exp.is_negative)))
        elif isinstance(node, sp.log) and not node.args[0].is_number:
            conditions.append((node.args[0], True))
    return conditions


def natural_domain(target: Residual) -> Residual:
    """``target`` with its residual made undefined (NaN) outside the natural domain of both sides
    (:func:`natural_conditions`), every other field kept: no point there is evaluated, so none is
    a counterexample.  The same object when no condition applies."""
    conditions = natural_conditions(target.lhs) + natural_conditions(target.rhs)
    guard = sp.And(*[(c > 0) if strict else (c >= 0) for c, strict in dict.fromkeys(conditions)])
    if guard is sp.true:
        return target
    return replace(target, residual=sp.Piecewise((target.residual, guard), (sp.nan, True)))


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


def _finite(value) -> bool:
    return value is not None and mpmath.isfinite(value)


def _stable(a, b) -> bool:
    """Two evaluations of one nonzero quantity that agree: not round-off."""
    return a != 0 and b != 0 and abs(a - b) <= STABLE * abs(b)


class _Uncertain(Exception):
    """The round-off of a node cannot be bounded (a branch or jump within its error)."""


_RELATIONS = {">": lambda d: d > 0, ">=": lambda d: d >= 0, "<": lambda d: d < 0,
              "<=": lambda d: d <= 0, "==": lambda d: d == 0, "!=": lambda d: d != 0}


class _RoundOff:
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
            return error if _finite(value) and mpmath.isfinite(error) else mpmath.inf

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
                if not _finite(moved):
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


class Evaluator:
    """Evaluates a :class:`Residual` at points and decides whether it is violated there."""

    def __init__(self, target: Residual):
        self.target = target
        self.symbols = target.symbols()
        self.residual = _Compiled(target.residual, self.symbols)
        self.lhs = _Compiled(target.lhs, self.symbols)
        self.rhs = _Compiled(target.rhs, self.symbols)
        self.roundoff = _RoundOff(target.residual, self.symbols)

    def _witnesses(self, point, dps: int):
        """The quantities that must vanish at this point: the residual (``zero``), or its
        negative part and imaginary part (``nonneg``); None where undefined."""
        r = self.residual(point, dps)
        if not _finite(r):
            return None
        if self.target.kind == "zero":
            return (r,)
        return (min(mpmath.re(r), 0), mpmath.im(r))

    def _scale(self, point) -> mpmath.mpf:
        sides = [abs(v) for v in (self.lhs(point, DPS), self.rhs(point, DPS)) if _finite(v)]
        return max(sides) if sides else mpmath.mpf(0)

    def _real_sides(self, point, dps: int) -> bool:
        """Both sides finite and real at ``dps`` digits: a counterexample compares real numbers
        (sqrt(x^3) and x sqrt(x) differ at x = -1, where neither is real)."""
        return all(_finite(v) and mpmath.im(v) == 0
                   for v in (self.lhs(point, dps), self.rhs(point, dps)))

    def violated(self, point) -> bool:
        """True when the point violates the target: both sides real (at every precision used) and
        a nonzero witness at 50 digits that keeps its value (to 1e-6 relative) between two of the
        precisions 50/60, 100 and 200 digits, the later one at least 100, and exceeds there
        10^GUARD times the round-off bound of the residual (:class:`_RoundOff`).  A residual
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
        return _finite(self.residual(point, DPS)) and self._real_sides(point, DPS)

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


# ------------------------------------------------------------------------------------------------
# the feasible region: domains and orderings, propagated through their transitive closure
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Interval:
    """``lo < x < hi`` (bounds optional, openness per end), exact; integer intervals are closed."""

    lo: Fraction | None = None
    hi: Fraction | None = None
    lo_open: bool = True
    hi_open: bool = True
    integer: bool = False

    def normal(self) -> "Interval":
        if not self.integer:
            return self
        lo = hi = None
        if self.lo is not None:
            lo = math.floor(self.lo) + 1 if self.lo_open else math.ceil(self.lo)
        if self.hi is not None:
            hi = math.ceil(self.hi) - 1 if self.hi_open else math.floor(self.hi)
        return Interval(None if lo is None else Fraction(lo), None if hi is None else Fraction(hi),
                        False, False, True)

    def empty(self) -> bool:
        if self.lo is None or self.hi is None:
            return False
        return self.lo > self.hi or (self.lo == self.hi and (self.lo_open or self.hi_open))

    def contains(self, value) -> bool:
        if self.integer and Fraction(value).denominator != 1:
            return False
        if self.lo is not None and (value < self.lo or (self.lo_open and value == self.lo)):
            return False
        if self.hi is not None and (value > self.hi or (self.hi_open and value == self.hi)):
            return False
        return True

    def above(self, value, strict: bool = True) -> "Interval":
        """Intersected with ``x > value`` (``>=`` when not strict)."""
        if self.lo is not None and (self.lo > value or (self.lo == value and self.lo_open)):
            return self
        return replace(self, lo=Fraction(value), lo_open=strict).normal()

    def below(self, value, strict: bool = True) -> "Interval":
        if self.hi is not None and (self.hi < value or (self.hi == value and self.hi_open)):
            return self
        return replace(self, hi=Fraction(value), hi_open=strict).normal()

    def at(self, value) -> "Interval":
        return Interval(Fraction(value), Fraction(value), False, False, self.integer)


def symbol_interval(symbol: sp.Symbol, table: SymbolTable) -> Interval:
    """A symbol's domain as an exact interval (an integer SymPy symbol is sampled as one)."""
    domain = table.domain(symbol)
    integer = bool(domain.integer or symbol.is_integer)
    interval = Interval(None if domain.lo is None else Fraction(domain.lo),
                        None if domain.hi is None else Fraction(domain.hi),
                        domain.lo_open, domain.hi_open, integer).normal()
    # the SymPy assumptions the symbolic side may have used hold at every point too
    if symbol.is_positive or symbol.is_nonnegative:
        interval = interval.above(0, bool(symbol.is_positive))
    if symbol.is_negative or symbol.is_nonpositive:
        interval = interval.below(0, bool(symbol.is_negative))
    return interval


class Region:
    """The assumptions that bear on a set of symbols: their domains, plus the symbols tied to them
    by orderings (transitively) with theirs, and the declared bounds on defined symbols
    (``SymbolTable.derived_bounds``: abar_t < 1/2 bounds alpha_t abar_{t-1}) with the symbols
    of their definitions; every other ordering and domain of the table must be satisfiable too,
    or the region is empty (no counterexample can satisfy the assumptions).  ``definitions``:
    the extra definitions expanded into the claim (a claim's ``% assume: y = ...``)."""

    def __init__(self, symbols: Sequence[sp.Symbol], table: SymbolTable = TABLE,
                 caps: dict | None = None, definitions: dict | None = None):
        self.table = table
        self.symbols = list(symbols)
        defined = {**table.definitions, **(definitions or {})}
        edges = [(lo, hi) for lo, hi in table.orderings if lo not in defined and hi not in defined]
        involved = set(table.linked_symbols(self.symbols, definitions)) | set(self.symbols)
        self.derived = [bound for bound in table.derived_bounds(definitions)
                        if bound.value.free_symbols & involved]
        self.extra = sorted(involved - set(self.symbols), key=lambda s: s.name)
        self.edges = [(lo, hi) for lo, hi in edges if lo in involved]
        self.order = _topological(sorted(involved, key=lambda s: s.name), self.edges)
        self.base: dict | None = None
        if self.order is not None and _elsewhere_feasible(table, edges, involved):
            base = {s: symbol_interval(s, table) for s in involved}
            capped = dict(base)
            for symbol, cap in (caps or {}).items():
                if symbol in capped:
                    capped[symbol] = capped[symbol].above(-cap, False).below(cap, False)
            # the caps only bound evaluation cost: dropped when the assumptions exclude them
            self.base = _propagate(capped, self.edges) or _propagate(base, self.edges)

    @property
    def feasible(self) -> bool:
        return self.base is not None

    def fix(self, bounds: dict, symbol, value) -> dict | None:
        """The bounds with ``symbol = value``, propagated; None if that leaves no feasible point."""
        if not bounds[symbol].contains(value):
            return None
        fixed = dict(bounds)
        fixed[symbol] = bounds[symbol].at(value)
        return _propagate(fixed, self.edges)

    def admits(self, point: dict) -> bool:
        """Whether every symbol of the region has a value in ``point`` and all of them satisfy the
        domains, orderings and derived bounds (the check a reported counterexample passes)."""
        if self.base is None:
            return False
        symbols = self.symbols + self.extra
        if any(s not in point or not self.base[s].contains(point[s]) for s in symbols):
            return False
        return all(point[lo] < point[hi] for lo, hi in self.edges) and self.derived_hold(point)

    def derived_hold(self, point: dict) -> bool:
        """The declared bounds on defined symbols hold at ``point`` (exactly)."""
        return all(bound.holds(point) for bound in self.derived)

    def extend(self, point: dict) -> dict | None:
        """The point completed with simple values for the other linked symbols, or None when the
        claim's values admit no such completion.  With derived bounds, up to COMPLETIONS
        combinations of simple values are tried for the other symbols."""
        if self.base is None:
            return None
        bounds = self.base
        for symbol in self.symbols:
            bounds = self.fix(bounds, symbol, point[symbol])
            if bounds is None:
                return None
        rest = [s for s in self.order if s not in point]
        tries = COMPLETIONS if self.derived else 1
        for out in itertools.islice(self._completions(dict(point), bounds, rest), tries):
            if self.derived_hold(out):
                return out
        return None

    def _completions(self, point: dict, bounds: dict, rest: list):
        """Completions of ``point`` with values for the symbols ``rest`` (in an order compatible
        with the orderings), simplest first: each symbol takes one of its first simple values
        inside the bounds the values so far leave."""
        if not rest:
            yield point
            return
        symbol, later = rest[0], rest[1:]
        values = [v for v in self._simple(symbol) if bounds[symbol].contains(v)][:CHOICES]
        for value in values or [_pick(bounds[symbol], ())]:
            fixed = self.fix(bounds, symbol, value)
            if fixed is not None:
                yield from self._completions({**point, symbol: value}, fixed, later)

    def _simple(self, symbol) -> list[Fraction]:
        return simple_values(symbol, self.table)


def complete(point: dict, table: SymbolTable = TABLE, definitions: dict | None = None) -> dict | None:
    """``point`` extended with values for every symbol the assumptions tie to its symbols, so that
    all the table's assumptions hold (derived bounds included); None when no such extension was
    found (then the point is no counterexample)."""
    return Region(list(point), table, definitions=definitions).extend(point)


def _topological(symbols, edges):
    """The symbols ordered so that every ``lo < hi`` has lo first; None on a cycle."""
    after = {s: [] for s in symbols}
    count = {s: 0 for s in symbols}
    for lo, hi in edges:
        after[lo].append(hi)
        count[hi] += 1
    ready = [s for s in symbols if count[s] == 0]
    out = []
    while ready:
        symbol = ready.pop(0)
        out.append(symbol)
        for hi in after[symbol]:
            count[hi] -= 1
            if count[hi] == 0:
                ready.append(hi)
    return out if len(out) == len(symbols) else None


def _propagate(bounds: dict, edges) -> dict | None:
    """Bounds implied by ``lo < hi`` for every edge (to a fixpoint: the transitive closure);
    None when some interval is empty."""
    bounds = dict(bounds)
    for _ in range(len(bounds) + 2):
        changed = False
        for lo, hi in edges:
            a, b = bounds[lo], bounds[hi]
            if a.lo is not None:
                new = b.above(a.lo, True)
                if new != b:
                    bounds[hi], changed = new, True
            if b.hi is not None:
                new = bounds[lo].below(bounds[hi].hi, True)
                if new != bounds[lo]:
                    bounds[lo], changed = new, True
        if any(iv.empty() for iv in bounds.values()):
            return None
        if not changed:
            return bounds
    return None   # still tightening: a cycle (unreachable after _topological)


def _elsewhere_feasible(table: SymbolTable, edges, involved) -> bool:
    """Every domain of the table non-empty and the orderings not touching ``involved``
    satisfiable (an inconsistent assumption set has no counterexample)."""
    symbols = {spec.symbol for spec in table}
    others = [(lo, hi) for lo, hi in edges if lo not in involved and hi not in involved]
    symbols |= {s for edge in others for s in edge}
    bounds = {s: symbol_interval(s, table) for s in symbols}
    if any(iv.empty() for iv in bounds.values()):
        return False
    rest = sorted((s for s in symbols if s not in involved), key=lambda s: s.name)
    return _topological(rest, others) is not None and _propagate(bounds, others) is not None


def _pick(interval: Interval, simple: Sequence[Fraction]) -> Fraction:
    """A simple value inside a non-empty interval: one of ``simple``, else a canonical rational."""
    for value in simple:
        if interval.contains(value):
            return value
    lo, hi = interval.lo, interval.hi
    if interval.integer:         # closed after normal()
        return lo if lo is not None else (hi if hi is not None else Fraction(0))
    if lo is not None and hi is not None:
        return (lo + hi) / 2
    if lo is not None:
        return Fraction(math.floor(lo) + 1)
    if hi is not None:
        return Fraction(math.ceil(hi) - 1)
    return Fraction(0)


# ------------------------------------------------------------------------------------------------
# simple points
# ------------------------------------------------------------------------------------------------
def simple_values(symbol: sp.Symbol, table: SymbolTable = TABLE) -> list[Fraction]:
    """The domain's simple values (integers only for an integer symbol), then values across
    scales: small integers for an integer domain, powers of ten for unbounded ones."""
    interval = symbol_interval(symbol, table)
    values = [Fraction(v) for v in table.domain(symbol).simple]
    if interval.integer:
        start = interval.lo if interval.lo is not None else (
            interval.hi - SMALL_INTEGERS if interval.hi is not None else Fraction(-2))
        values += [start + k for k in range(SMALL_INTEGERS + 1)]
        values += [Fraction(100), Fraction(-100)]   # larger ones are drawn (a Sum costs n terms)
    elif interval.lo is None or interval.hi is None:
        values += [Fraction(10), Fraction(1, 10), Fraction(100), Fraction(1, 100),
                   Fraction(10 ** 6), Fraction(1, 10 ** 6)]
        values += [-v for v in values]
    else:
        values += [Fraction(1, 2) * (interval.lo + interval.hi)]
    out: list[Fraction] = []
    for value in values:
        if interval.contains(value) and value not in out:
            out.append(value)
    return out or [_pick(interval, ())]


def simple_points(symbols: Sequence[sp.Symbol], table: SymbolTable = TABLE, limit: int = 400,
                  caps: dict | None = None, definitions: dict | None = None):
    """Points made of simple values, simplest first, satisfying every assumption; each point also
    gives values to the other symbols the assumptions tie to these (see :class:`Region`)."""
    region = Region(symbols, table, caps, definitions)
    if not region.feasible:
        return
    choices = []
    for symbol in symbols:
        base = region.base[symbol]
        choices.append([v for v in simple_values(symbol, table) if base.contains(v)]
                       or [_pick(base, ())])
    combos = itertools.product(*[range(len(c)) for c in choices])
    ranked = sorted(itertools.islice(combos, 20000), key=lambda idx: (sum(idx), idx))
    produced = 0
    for idx in ranked:
        point = region.extend({s: choices[i][k] for i, (s, k) in enumerate(zip(symbols, idx))})
        if point is not None:
            yield point
            produced += 1
            if produced >= limit:
                return


# ------------------------------------------------------------------------------------------------
# random points
# ------------------------------------------------------------------------------------------------
def _offset(u: float) -> Fraction:
    return Fraction(10.0 ** u)


_STEPS = 2 ** 20


def _uniform(a: float, b: float):
    """Floats in [a, b]: Hypothesis' own (which favour the ends and round numbers) or evenly
    spread ones, so that every part of the range is drawn."""
    even = st.integers(0, _STEPS).map(lambda k: a + (b - a) * k / _STEPS)
    return st.one_of(st.floats(a, b), even)


def _scaled(interval: Interval):
    """A strategy for values of a non-empty interval across scales (see the module docstring)."""
    lo, hi = interval.lo, interval.hi
    if interval.integer:
        if lo is not None and hi is not None:
            width = int(hi - lo)
            parts = [st.integers(int(lo), int(min(hi, lo + 20))),
                     st.integers(int(max(lo, hi - 20)), int(hi))]
            if width > 40:
                parts.append(_uniform(0, math.log10(width)).map(
                    lambda u: int(lo) + min(width, int(10 ** u))))
                parts.append(_uniform(0, math.log10(width)).map(
                    lambda u: int(hi) - min(width, int(10 ** u))))
            return st.one_of(parts).map(Fraction)
        top = math.log10(INTEGER_TOP)
        if lo is not None:
            return st.one_of(st.integers(int(lo), int(lo) + 20),
                             _uniform(0, top).map(lambda u: int(lo) + int(10 ** u))).map(Fraction)
        if hi is not None:
            return st.one_of(st.integers(int(hi) - 20, int(hi)),
                             _uniform(0, top).map(lambda u: int(hi) - int(10 ** u))).map(Fraction)
        return st.one_of(st.integers(-20, 20),
                         st.tuples(st.booleans(), _uniform(0, top)).map(
                             lambda p: (-1 if p[0] else 1) * int(10 ** p[1]))).map(Fraction)
    logs = _uniform(-DECADES, DECADES)
    if lo is not None and hi is not None:
        width = hi - lo
        top = math.log10(width)       # offsets from either end: log-uniform up to the width
        fraction = _uniform(0, 1).map(lambda f: lo + width * Fraction(f))
        near = _uniform(min(top, 0) - DECADES, top).map(_offset)
        parts = [fraction, near.map(lambda d: lo + d), near.map(lambda d: hi - d)]
    elif lo is not None:
        parts = [logs.map(lambda u: lo + _offset(u))]
    elif hi is not None:
        parts = [logs.map(lambda u: hi - _offset(u))]
    else:
        parts = [st.tuples(st.booleans(), logs).map(lambda p: (-1 if p[0] else 1) * _offset(p[1]))]
    for end, closed in ((lo, not interval.lo_open), (hi, not interval.hi_open)):
        if end is not None and closed:
            parts.append(st.just(end))
    return st.one_of(parts).map(lambda value: _plain(value, interval))


def _plain(value: Fraction, interval: Interval):
    """A drawn value rounded to a float (a shorter report) when that stays inside the interval."""
    as_float = float(value)
    return as_float if interval.contains(as_float) else value


def point_strategy(symbols: Sequence[sp.Symbol], table: SymbolTable = TABLE,
                   caps: dict | None = None, definitions: dict | None = None):
    """A Hypothesis strategy for points satisfying every assumption, extended like
    :func:`simple_points`; simple values are tried (and shrunk to) first.  Symbols are drawn in
    an order compatible with the orderings, each inside the bounds the values drawn so far and
    the transitive closure imply; a point violating a bound on a defined symbol is rejected."""
    region = Region(symbols, table, caps, definitions)
    if not region.feasible:
        return st.nothing()
    simple = {s: simple_values(s, table) for s in region.order}

    @st.composite
    def points(draw):
        bounds = region.base
        point = {}
        for symbol in region.order:
            interval = bounds[symbol]
            inside = [v for v in simple[symbol] if interval.contains(v)]
            drawn = _scaled(interval)
            value = draw(st.one_of(st.sampled_from(inside), drawn) if inside else drawn)
            if not interval.contains(value):
                value = _pick(interval, inside)   # a draw rounded onto a bound
            bounds = region.fix(bounds, symbol, value)
            assume(bounds is not None)
            point[symbol] = value
        assume(region.derived_hold(point))
        return point

    return points()


def sum_caps(target: Residual) -> dict:
    """Integer symbols bounding a Sum or Product: evaluating it costs one term per unit."""
    caps = {}
    for expr in (target.residual, target.lhs, target.rhs):
        for node in sp.preorder_traversal(expr):
            if isinstance(node, (sp.Sum, sp.Product)):
                for limit in node.limits:
                    for bound in limit[1:]:
                        for symbol in getattr(bound, "free_symbols", ()):
                            caps[symbol] = SUM_CAP
    return caps


def search(target: Residual, table: SymbolTable = TABLE, seed: int = 0,
           max_examples: int = 100, simple_limit: int = 60) -> tuple[dict | None, int]:
    """Look for a point violating the target.

    Returns (counterexample report or None, number of points at which the residual could be
    evaluated).  Points where it is undefined (a pole, an unevaluable term) do not count, so a
    caller can tell "vanished at n points" from "could not be evaluated".  Every point satisfies
    all the assumptions of ``table`` (bounds on defined symbols included, also on the target's
    own ``definitions``); the report names the values of the other symbols the assumptions tie
    to the target's.
    """
    evaluator = Evaluator(target)
    symbols = evaluator.symbols
    caps = sum_caps(target)
    evaluated = 0
    for point in simple_points(symbols, table, simple_limit, caps, target.definitions):
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
        found = find(point_strategy(symbols, table, caps, target.definitions), violated,
                     settings=settings(max_examples=max_examples, database=None, deadline=None,
                                       suppress_health_check=list(HealthCheck)),
                     random=random.Random(seed))
    except (NoSuchExample, Unsatisfiable):
        return None, evaluated + counter["n"]
    return evaluator.report(found), evaluated + counter["n"]
