"""The independent probe: before a proof is accepted, the expression is evaluated at 50 digits on
a grid of the domain, near both ends of each interval and near every real root of every
denominator, log argument and radicand, independently of the prover.
"""
from __future__ import annotations

import itertools
import random
from fractions import Fraction
from functools import partial

import mpmath
import sympy as sp

from diffproof.derive.decide.inequality.refute import confirmed_point
from diffproof.derive.decide.inequality.sign import admissible, domain_of, singular_bases, tied
from diffproof.derive.decide.inequality.values import (TooLarge, compile_mp, exactly_zero, stably_negative,
                                             symbols_of, value_at)
from diffproof.derive.domains import Domain

MAX_GRID = 800
MAX_NEAR = 1500
_OFFSETS = tuple(Fraction(1, 10 ** k) for k in (1, 2, 3, 4, 6, 9, 12, 20))


def probe(expr, table, strict) -> tuple[str, dict | None, dict | None]:
    """Evaluate ``expr`` at the probe points (:func:`_probe_points`), independently of the prover.
    Returns (kind, first bad point, counterexample): kind is ok, undefined, negative, zero
    (strict: an exact 0) or unevaluable; the counterexample is a bad point of the declared
    domain (a guessed domain's points reject a proof but refute nothing)."""
    symbols = symbols_of(expr)
    compiled = compile_mp(expr, symbols)
    if compiled is None:
        return "unevaluable", None, None
    # a point gives every symbol tied to expr's by an ordering a value, so that it is consistent
    # (a < b < c: a = 2, c = 1 is no point, though it respects each ordering it mentions)
    worst: tuple[str, dict | None] = ("ok", None)
    exact_tries = completions = 5
    for point in _probe_points(expr, tied(symbols, table), table, strict):
        try:
            value = value_at(compiled, symbols, point)
            kind = None
            if value is None:
                kind = "undefined"
            elif value < 0 and stably_negative(compiled, symbols, point):
                kind = "negative"
            elif strict and abs(value) < mpmath.mpf(10) ** -40 and exact_tries > 0:
                exact_tries -= 1
                kind = "zero" if exactly_zero(expr, point) else None
        except TooLarge:
            continue
        if kind is None:
            continue
        if kind != "undefined" and admissible(point, table):
            return kind, point, point
        if kind != "undefined" and completions > 0 and \
                set(table.linked_symbols(point)) - set(point):
            # a bound on a defined symbol ties other symbols to the point: give them values
            completions -= 1
            found = confirmed_point(expr, table, point, kind == "zero")
            if found is not None:
                return kind, found[0], found[0]
        if worst[0] == "ok" or (worst[0] == "undefined" and kind != "undefined"):
            worst = (kind, point)
    return worst[0], worst[1], None


def _axis(domain: Domain) -> list[Fraction]:
    """Probe values of one symbol: a grid, points near each end, the domain's simple values."""
    if domain.integer:
        values = [Fraction(n) for n in (*range(-3, 11), 20, 50, 100, 1000)]
    else:
        lo = None if domain.lo is None else Fraction(domain.lo)
        hi = None if domain.hi is None else Fraction(domain.hi)
        steps = [Fraction(k, 4) for k in range(1, 13)] + [Fraction(10 ** k) for k in range(1, 5)]
        near = list(_OFFSETS)
        if lo is not None and hi is not None:
            width = hi - lo
            values = [lo + width * k / 16 for k in range(1, 16)]
            values += [lo + width * o for o in near] + [hi - width * o for o in near]
        elif lo is not None:
            values = [lo + o for o in near + steps]
        elif hi is not None:
            values = [hi - o for o in near + steps]
        else:
            values = [Fraction(0)] + [sign * o for o in near[:5] + steps for sign in (1, -1)]
        values += [e for e in (lo, hi) if e is not None]     # kept below only if closed
    values += list(domain.simple)
    return sorted(v for v in set(values) if domain.contains(v))


def _probe_points(expr, symbols, table, strict=False):
    """A grid over the domain (every axis value for one symbol; for several, a product of coarse
    axes sampled down to MAX_GRID points plus each full axis through the grid's middle); for a
    strict inequality the exact real roots of the expression (:func:`_exact_roots`); then points
    near every real root of every singular base (:func:`_near_roots`)."""
    if not symbols:
        yield {}
        return
    axes = {s: _axis(domain_of(s, table)) for s in symbols}
    ok = partial(admissible, table=table, domain=domain_of)
    if len(symbols) == 1:
        grid = [{symbols[0]: v} for v in _simplest(axes[symbols[0]])]
    else:   # simplest values first, so that a counterexample reads w = 2/3 rather than 1 - 10^-12
        coarse = [_simplest(set(_simplest(axes[s])[:10] + axes[s][:2] + axes[s][-2:]))
                  for s in symbols]
        ranks = itertools.product(*[range(len(c)) for c in coarse])
        if _size(coarse) > MAX_GRID:
            rng, n = random.Random(0), len(symbols)
            ranks = [(0,) * n] + [tuple(int(i == j) for i in range(n)) for j in range(n)] + \
                [tuple(rng.randrange(len(c)) for c in coarse) for _ in range(MAX_GRID)]
        grid = [{s: c[i] for s, c, i in zip(symbols, coarse, index)}
                for index in sorted(ranks, key=sum)]
        middle = {s: c[0] for s, c in zip(symbols, coarse)}
        grid += [{**middle, s: v} for s in symbols for v in axes[s]]
    grid = [p for p in grid if ok(p)]
    yield from grid
    starts = grid[:: max(1, len(grid) // 6)][:6]
    if strict:
        yield from (p for p in _exact_roots(expr, symbols, starts) if ok(p))
    near = (p for singular in singular_bases(expr)
            for p in _near_roots(singular, symbols, axes, starts) if ok(p))
    yield from itertools.islice(near, MAX_NEAR)


def _exact_roots(expr, symbols, starts):
    """Points where ``expr`` is exactly 0 along one symbol, the others fixed at a few grid points:
    the exact real roots (radicals or CRootOf) of its numerator when that is a polynomial of
    degree 1 to 12 in the symbol.  A strict inequality fails there, though no rational point
    shows it: (x^3 - 2)^2 > 0 at x = 2^(1/3)."""
    for symbol in symbols:
        seen = set()
        for start in starts:
            fixed = {s: sp.Rational(v.numerator, v.denominator) for s, v in start.items()
                     if s != symbol and isinstance(v, Fraction)}
            key = tuple(sorted((s.name, v) for s, v in fixed.items()))
            if key in seen:
                continue
            seen.add(key)
            numerator = sp.numer(sp.together(expr.xreplace(fixed)))
            if numerator.free_symbols != {symbol} or not numerator.is_polynomial(symbol):
                continue
            for root in _exact_real_roots(numerator, symbol):
                yield {**start, symbol: root}


def _exact_real_roots(numerator, symbol) -> list:
    """The real roots of a polynomial of degree 1 to 12, exactly: CRootOf or radicals over the
    rationals, radicals (degree <= 4) over algebraic coefficients; [] when neither applies."""
    try:
        poly = sp.Poly(numerator, symbol)
        if not 1 <= poly.degree() <= 12:
            return []
        if poly.domain.is_ZZ or poly.domain.is_QQ:
            return poly.real_roots()
        if poly.degree() > 4:
            return []
        return [r for r in sp.roots(poly, multiple=True) if r.is_real is True]
    except (sp.PolynomialError, sp.DomainError, NotImplementedError):
        return []


def _simplest(values) -> list[Fraction]:
    return sorted(values, key=lambda v: (v.denominator, abs(v.numerator), v < 0))


def _size(lists) -> int:
    size = 1
    for values in lists:
        size *= len(values)
    return size


def _near_roots(base, symbols, axes, starts):
    """Points at and next to the real roots of ``base`` in each of its symbols, the others fixed
    at a few grid points: exact rational roots, numeric roots of a polynomial numerator, and
    bisected sign changes along the symbol's axis otherwise."""
    compiled = compile_mp(base, symbols)
    for symbol in sorted(base.free_symbols & set(symbols), key=lambda s: s.name):
        for start in starts:
            fixed = {s: sp.Rational(v.numerator, v.denominator) for s, v in start.items()
                     if s != symbol}
            for root in _real_roots(base.xreplace(fixed), symbol, compiled, symbols, start, axes):
                scale = max(Fraction(1), abs(root))
                for offset in (0,) + _OFFSETS[1:]:
                    for value in {root - offset * scale, root + offset * scale}:
                        yield {**start, symbol: value}


def _real_roots(univariate, symbol, compiled, symbols, start, axes) -> list[Fraction]:
    numerator = sp.numer(sp.together(univariate))
    if numerator.free_symbols == {symbol} and numerator.is_polynomial(symbol):
        try:
            poly = sp.Poly(numerator, symbol)
            if poly.degree() > 12:
                raise sp.PolynomialError("degree")
            # ground_roots may hold irrational roots (x_0 = -sqrt(abar_t) eps at a rational
            # abar_t): the rational ones are kept exactly, the rest come from nroots below
            exact = [Fraction(int(r.p), int(r.q)) for r in poly.ground_roots() if r.is_Rational]
            numeric = [Fraction(str(r)) for r in poly.nroots(n=30) if r.is_real]
            return exact + numeric
        except (sp.PolynomialError, sp.DomainError, mpmath.libmp.NoConvergence, ValueError):
            pass
    if compiled is None:
        return []
    roots, axis = [], axes[symbol]

    def sign_at(value):
        try:
            found = value_at(compiled, symbols, {**start, symbol: value})
        except TooLarge:
            return None
        return None if found is None else found > 0

    for left, right in zip(axis, axis[1:]):
        a, b = sign_at(left), sign_at(right)
        if a is None or b is None or a == b:
            continue
        for _ in range(80):
            middle = (left + right) / 2
            if sign_at(middle) == a:
                left = middle
            else:
                right = middle
        roots.append(left)
    return roots
