"""Planted errors: the typical slips of diffusion-model algebra, applied to a step's expression.

Each mutation returns a new expression or None when it does not apply.  Whether a mutant is a real
error (and not an equivalent rewriting) is decided by an oracle independent of the checker: SymPy's
own evalf at seeded random points of the domain.
"""
from __future__ import annotations

import random

import sympy as sp

from diffproof.derive.symbols import TABLE, abar_t, abar_tm1

HALF = sp.Rational(1, 2)


def swap_abar(expr):
    swapped = expr.xreplace({abar_t: abar_tm1, abar_tm1: abar_t})
    return None if swapped == expr else swapped


def _first(expr, predicate):
    for node in sp.preorder_traversal(expr):
        if predicate(node):
            return node
    return None


def drop_sqrt(expr):
    node = _first(expr, lambda n: n.is_Pow and n.exp in (HALF, -HALF))
    if node is None:
        return None
    return expr.xreplace({node: node.base if node.exp == HALF else 1 / node.base})


def flip_sign(expr):
    node = _first(expr, lambda n: n.is_Add and len(n.args) >= 2)
    if node is None:
        return None if expr == 0 else -expr
    last = node.args[-1]
    return expr.xreplace({node: node - 2 * last})


def square(expr):
    node = _first(expr, lambda n: n.is_Add and n != expr) or _first(expr, lambda n: n.is_Add)
    if node is None:
        node = _first(expr, lambda n: n.is_Symbol and TABLE.spec(n) is not None)
    if node is None:
        return None
    return expr.xreplace({node: node ** 2})


MUTATIONS = {"swap abar_t/abar_{t-1}": swap_abar, "drop a square root": drop_sqrt,
             "flip a sign": flip_sign, "square instead of not": square}


def _value(expr, point, dps=60):
    # evalf with subs, not exact substitution: (sigma_max/sigma_min)**(2 t) at rationals of
    # denominator 10**6 made SymPy take exact roots of huge integers (minutes per point)
    value = sp.sympify(expr).evalf(dps, subs=point)
    return complex(value) if value.is_number else None


def relation_violated(lhs, rhs, relation, wrt, point, definitions=None) -> bool:
    """Independent oracle: evaluate the relation at one point with SymPy's evalf."""
    defs = definitions or {}
    left = TABLE.expand_definitions(sp.sympify(lhs), defs).doit()
    right = TABLE.expand_definitions(sp.sympify(rhs), defs).doit()
    if relation == "propto":
        ratio = sp.log(left) - sp.log(right)
        values = [_value(sp.diff(ratio, v), point) for v in wrt]
        return any(v is not None and abs(v) > 1e-30 for v in values)
    l, r = _value(left, point), _value(right, point)
    if l is None or r is None:
        return False
    scale = 1 + abs(l) + abs(r)
    if relation == "=":
        return abs(l - r) > 1e-40 * scale
    difference = (l - r) if relation == ">=" else (r - l)
    return difference.real < -1e-40 * scale


def random_points(symbols, seed=0, count=6):
    rng = random.Random(seed)
    points = []
    while len(points) < count:
        point = {}
        for symbol in symbols:
            domain = TABLE.domain(symbol)
            lo, hi = max(domain.sample_lo, 0.05) if domain.lo == 0 else domain.sample_lo, domain.sample_hi
            if domain.hi == 1:
                hi = min(hi, 0.95)
            lo_q, hi_q = sp.Rational(str(lo)), sp.Rational(str(hi))
            point[symbol] = sp.Rational(rng.randint(1, 10 ** 6), 10 ** 6) * (hi_q - lo_q) + lo_q
        if all(point.get(lo, 0) < point.get(hi, 1) for lo, hi in TABLE.orderings):
            points.append(point)
    return points


def is_real_error(lhs, mutant, relation, wrt, definitions=None) -> bool:
    free = set()
    for e in (lhs, mutant):
        free |= TABLE.expand_definitions(sp.sympify(e), definitions or {}).free_symbols
    symbols = sorted((s for s in free if isinstance(s, sp.Symbol)), key=lambda s: s.name)
    return any(relation_violated(lhs, mutant, relation, wrt, p, definitions)
               for p in random_points(symbols, count=3))
