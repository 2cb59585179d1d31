"""The recursive prover: methods 1-7 of :mod:`derive.decide.inequality` (identically zero, sign by
assumptions, nonnegative terms split off, convexity, a unique critical point, all critical points,
monotone from an end), each recursing on fewer variables up to ``MAX_DEPTH``.

A value the prover computes exactly at a point of the domain that is negative (or 0, strict)
raises :class:`Refuted` with the point; a bound of h (an end limit, part of a sum) that is
negative only refutes the method.
"""
from __future__ import annotations

import sympy as sp

from diffproof.derive.decide.inequality.sign import (defined, domain_of, in_interval, outside, positive_form,
                                           sign_known)
from diffproof.derive.decide.inequality.structure import positive
from diffproof.derive.symbols import SymbolTable

MAX_DEPTH = 4


class Refuted(Exception):
    """The prover computed the value at a point of the domain exactly: negative, or 0 (``zero``)
    when strict.  The point's values may depend on symbols it leaves free."""

    def __init__(self, point: dict, zero: bool):
        super().__init__("refuted")
        self.point, self.zero = point, zero

    def at(self, variable: sp.Symbol, value: sp.Expr) -> "Refuted":
        values = dict(self.point)
        values[variable] = value.xreplace(values)
        return Refuted(values, self.zero)


def prove(expr: sp.Expr, table: SymbolTable, depth: int, fixed: frozenset,
          strict: bool = False) -> str | None:
    """A proof that ``expr >= 0`` (> 0 if strict) on the domain, or None; raises Refuted when a
    value it meets at a point of the domain is negative (or 0, strict)."""
    if not expr.free_symbols:
        if expr.is_negative or (strict and expr.is_zero):
            raise Refuted({}, zero=not expr.is_negative)
    if not defined(expr, table):
        return None
    if _cheap_zero(expr, table):
        if strict:
            raise Refuted({}, zero=True)
        return "identically 0"
    if sign_known(expr, table, "positive" if strict else "nonnegative"):
        return "sign decided by SymPy's assumptions on the domain"
    structure = positive(expr, table)
    if structure is not None:
        return f"positive by structure: {structure}"
    if depth <= 0:
        return None
    candidates = _candidates(expr, table, fixed)
    for method in (_minimize, _monotone):
        for variable in candidates:
            how = method(expr, variable, table, depth, fixed, strict)
            if how is not None:
                return how
    if expr.is_Add:
        terms = sp.Add.make_args(expr)
        known = [term for term in terms if sign_known(term, table, quick=True)]
        if known and len(known) < len(terms):
            rest = sp.Add(*[term for term in terms if term not in known])
            inner = _bound(rest, table, depth - 1, fixed, strict)
            if inner is not None:
                return f"nonnegative terms split off; the rest: {inner}"
    return None


def _bound(expr, table, depth, fixed, strict) -> str | None:
    """``prove`` for a bound of h (an end limit, part of a sum), not a value of h at a point: a
    negative result refutes the method, not the claim."""
    try:
        return prove(expr, table, depth, fixed, strict)
    except Refuted:
        return None


def _at_point(expr, variable, point, table, depth, fixed, strict) -> str | None:
    """``prove`` for h at ``variable = point`` (a point of the interval for every value of the
    other symbols): a refutation there is a refutation of h."""
    try:
        return prove(sp.simplify(expr.subs(variable, point)), table, depth, fixed | {variable},
                     strict)
    except Refuted as refuted:
        raise refuted.at(variable, point) from None


def _cheap_zero(expr: sp.Expr, table: SymbolTable) -> bool:
    """Normal forms only (no simplify, no nested timer: the caller's budget stays in force).
    Log expansion on the positive parametrization only for small expressions (it is slow)."""
    if expr == 0 or sp.cancel(sp.together(expr)) == 0:
        return True
    if not expr.has(sp.log) or sp.count_ops(expr) > 40:
        return False
    positive = positive_form(expr, table)
    return sp.cancel(sp.together(sp.expand(sp.expand_log(positive, force=False)))) == 0


def _monotone(expr, variable, table, depth, fixed, strict) -> str | None:
    first = sp.diff(expr, variable)
    if first == 0 or not first.is_rational_function(variable):
        return None
    domain = domain_of(variable, table)
    for sign, end, is_open, side, word in ((1, domain.lo, domain.lo_open, "+", "increasing"),
                                           (-1, domain.hi, domain.hi_open, "-", "decreasing")):
        if end is None or not sign_known(sign * first, table):
            continue
        try:
            boundary = sp.limit(expr, variable, sp.nsimplify(end), side)
        except (NotImplementedError, ValueError, TypeError):
            continue
        if boundary.has(sp.nan, sp.zoo) or boundary.has(sp.Limit):
            continue
        # strictly monotone from an open end: h > its limit there, so the limit may be 0
        rising = is_open and sign_known(sign * first, table, "positive")
        inner = _bound(sp.simplify(boundary), table, depth - 1, fixed | {variable},
                       strict and not rising)
        if inner is not None:
            return (f"{word} in {variable.name} (first derivative {'>=' if sign > 0 else '<='} 0) "
                    f"from its limit at {variable.name} -> {sp.nsimplify(end)}{side}: {inner}")
    return None


def _candidates(expr: sp.Expr, table: SymbolTable, fixed: frozenset):
    symbols = sorted((s for s in expr.free_symbols if isinstance(s, sp.Symbol) and s not in fixed),
                     key=lambda s: s.name)
    # ordered symbols (sigma_min < sigma_max) are parametrized jointly; leave them to the sign test
    ordered = {s for pair in table.orderings for s in pair}
    return [s for s in symbols if s not in ordered and not domain_of(s, table).integer]


def _minimize(expr, variable, table, depth, fixed, strict) -> str | None:
    first = sp.diff(expr, variable)
    if first == 0 or not first.is_rational_function(variable) or not defined(first, table):
        return None     # the critical points would not be the roots of a polynomial
    numerator, denominator = sp.fraction(sp.factor(sp.together(first)))
    second = sp.diff(first, variable)
    name = variable.name
    # (4) convexity: h'' >= 0 on the interval, and any critical point in the interval
    convex = sign_known(second, table)
    roots = _roots(numerator, variable)
    if roots is None:
        return None
    inside = [root for root in roots if in_interval(root, variable, table)]
    if not inside:
        return None
    undecided = [r for r in roots if r not in inside and not outside(r, variable, table)]
    if not (sign_known(denominator, table, "positive") or sign_known(-denominator, table, "positive")):
        return None
    if convex:
        root = inside[0]
        method = f"convex in {name} (second derivative >= 0), critical point {name} = {root}"
    else:
        if undecided:
            return None
        if len(set(inside)) != 1:
            return _critical_values(expr, variable, sorted(set(inside), key=sp.default_sort_key),
                                    table, depth, fixed, strict)
        # (5) the only critical point, a strict local minimum
        root = inside[0]
        curvature = second.subs(variable, root)
        if not sign_known(sp.simplify(curvature), table, "positive"):
            return None
        method = f"only critical point {name} = {root} on the domain, a strict minimum"
    inner = _at_point(expr, variable, root, table, depth - 1, fixed, strict)
    if inner is None:
        return None
    return f"{method}; minimum value: {inner}"


def _critical_values(expr, variable, points, table, depth, fixed, strict) -> str | None:
    """(6) every critical point in the interval is known: h >= 0 when h is >= 0 at each of them
    and its limits at both ends of the interval are >= 0 (the infimum of a differentiable function
    on an open interval is a critical value or an end limit).  Strict: h > 0 at the critical points
    and at closed ends; an open end's limit may be 0 (it is not attained)."""
    domain = domain_of(variable, table)
    ends = [(sp.nsimplify(domain.lo) if domain.lo is not None else -sp.oo, "+",
             domain.lo is None or domain.lo_open),
            (sp.nsimplify(domain.hi) if domain.hi is not None else sp.oo, "-",
             domain.hi is None or domain.hi_open)]
    for end, side, is_open in ends:
        try:
            value = sp.limit(expr, variable, end, side)
        except (NotImplementedError, ValueError, TypeError):
            return None
        if value == sp.oo:
            continue
        if value.has(sp.nan, sp.zoo, sp.Limit) or value == -sp.oo:
            return None
        if _bound(sp.simplify(value), table, depth - 1, fixed | {variable},
                  strict and not is_open) is None:
            return None
    for point in points:
        if _at_point(expr, variable, point, table, depth - 1, fixed, strict) is None:
            return None
    names = ", ".join(str(p) for p in points)
    return (f"critical points {variable.name} = {names} and both ends of the domain: every candidate "
            f"for the minimum is {'>' if strict else '>='} 0")


def _roots(numerator: sp.Expr, variable: sp.Symbol) -> list[sp.Expr] | None:
    """All roots of a polynomial numerator in ``variable`` (with multiplicity), or None."""
    if not numerator.has(variable):
        return []
    try:
        poly = sp.Poly(numerator, variable)
    except sp.PolynomialError:
        return None
    if poly.degree() > 4:
        return None
    found = sp.roots(poly, multiple=True)
    if len(found) != poly.degree():
        return None
    return [sp.simplify(r) for r in found]
