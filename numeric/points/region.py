"""The feasible region of a point: each symbol's domain as an exact interval, the orderings of the
table propagated through their transitive closure (symbols the claim does not mention included),
and the declared bounds on defined symbols; simple values inside it.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Sequence

import sympy as sp

from diffproof.derive.symbols import TABLE, SymbolTable

SMALL_INTEGERS = 12  # integers lo .. lo + 12 are simple values of an integer domain
COMPLETIONS = 64     # completions of a point tried against the bounds on defined symbols
CHOICES = 4          # simple values per symbol in those completions


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
        for value in values or [pick(bounds[symbol], ())]:
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


def pick(interval: Interval, simple: Sequence[Fraction]) -> Fraction:
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
    return out or [pick(interval, ())]
