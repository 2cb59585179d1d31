"""Points satisfying every assumption: simple points (simple values, simplest first) and a
Hypothesis strategy drawing values across scales, each symbol inside the bounds the values drawn
so far leave (see :class:`~numeric.points.region.Region`).
"""
from __future__ import annotations

import itertools
import math
from fractions import Fraction
from typing import Sequence

import sympy as sp
from hypothesis import assume, strategies as st

from diffproof.derive.symbols import TABLE, SymbolTable
from diffproof.numeric.points.region import Interval, Region, pick, simple_values

DECADES = 6          # unbounded domains are sampled over 10^-6 .. 10^6
INTEGER_TOP = 10 ** 6


COMBINATIONS = 20000    # simple points come from the first 20000 index tuples (in product order)


def simplest_first(sizes: Sequence[int], cap: int = COMBINATIONS):
    """The first ``cap`` index tuples of ``itertools.product(*map(range, sizes))``, by increasing
    index sum, ties in product order: ``sorted(islice(product, cap), key=(sum, tuple))``,
    generated lazily (a search usually stops after a few points)."""
    count = len(sizes)
    place = [math.prod(sizes[i + 1:]) for i in range(count)]     # the tuple's rank in the product
    room = [sum(size - 1 for size in sizes[i:]) for i in range(count + 1)]

    def with_sum(position: int, left: int, rank: int, prefix: tuple):
        if position == count:
            yield prefix
            return
        # the rest can hold at most room[position + 1]: smaller values cannot reach ``left``
        for value in range(max(0, left - room[position + 1]), min(sizes[position] - 1, left) + 1):
            if rank + value * place[position] >= cap:
                return
            yield from with_sum(position + 1, left - value, rank + value * place[position],
                                prefix + (value,))

    for total in range(room[0] + 1):
        yield from with_sum(0, total, 0, ())


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
                       or [pick(base, ())])
    produced = 0
    for idx in simplest_first([len(c) for c in choices]):
        point = region.extend({s: choices[i][k] for i, (s, k) in enumerate(zip(symbols, idx))})
        if point is not None:
            yield point
            produced += 1
            if produced >= limit:
                return


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
    if lo is not None and lo == hi:
        return st.just(lo)            # a closed interval of one point (x >= 1/2 and x <= 1/2)
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
                value = pick(interval, inside)   # a draw rounded onto a bound
            bounds = region.fix(bounds, symbol, value)
            assume(bounds is not None)
            point[symbol] = value
        assume(region.derived_hold(point))
        return point

    return points()
