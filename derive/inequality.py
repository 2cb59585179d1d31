"""Proving inequality steps: ``expr >= 0`` on the symbols' domain.

Methods, each reported by name in ``InequalityProof.how``:

1. *identically zero*: the difference normalizes to 0;
2. *sign by assumptions*: SymPy's assumptions decide the sign after the positive parametrization
   of bounded symbols (e.g. a sum of squares over positive denominators);
3. *nonnegative terms split off*: the terms of a sum that are nonnegative by (2) are dropped and
   the rest is proved by (4) or (5) (a + b >= 0 when a >= 0 and b >= 0);
4. *convexity*: h is convex in one variable u on its interval (h'' >= 0 there, by (2)) and has a
   critical point c in the interval; a convex function's critical point is its global minimum, so
   h >= h(c), and h(c) >= 0 is proved recursively (fewer variables);
5. *unique critical point*: h' = N/D with N a polynomial in u and D of constant sign on the
   interval, N has exactly one root c in the interval and h''(c) > 0.  A differentiable function
   on an interval whose only critical point is a strict local minimum attains its global minimum
   there (any lower value would force a local maximum, a second critical point), so again
   h >= h(c), proved recursively;
6. *all critical points*: when h' = N/D has several roots in the interval, all of them explicit,
   h >= 0 follows from h >= 0 at each of them and at both ends (limits) of the interval;
7. *monotone*: h' >= 0 on the interval (by (2)) and the limit of h at the interval's left end is
   >= 0 (or h' <= 0 and the limit at the right end is >= 0): then h >= 0 on the whole interval,
   e.g. -ln(1 - x) - x >= 0 on (0, 1).

(4)/(5) give Gibbs' inequality x - 1 - ln x >= 0, weighted Jensen for ln, KL >= 0 between
Gaussians or finite distributions, and "the stationary point of the KL is its minimum".  Anything
else is left to numeric evidence, labelled as such by the checker.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from derive.budget import run_limited
from derive.symbols import TABLE, SymbolTable
from derive.zero import is_zero

MAX_DEPTH = 4


@dataclass
class InequalityProof:
    proved: bool
    how: str


def prove_nonnegative(expr: sp.Expr, table: SymbolTable = TABLE, budget: float = 2.0) -> InequalityProof:
    """Try to prove ``expr >= 0`` for every admissible value of its symbols; the prover runs in a
    worker limited to ``budget`` seconds of CPU time (derive.budget)."""
    expr = table.expand_definitions(sp.sympify(expr))
    outcome = run_limited(lambda: _prove(expr, table, MAX_DEPTH, frozenset()), budget)
    if outcome.ok and outcome.value is not None:
        return InequalityProof(True, outcome.value)
    zero, _ = is_zero(expr, table, budget)   # the full simplifier
    if zero:
        return InequalityProof(True, "the difference is identically 0")
    return InequalityProof(False, f"sign not decided symbolically within {budget:g} s of CPU time "
                                  "(tried: sign by assumptions, convexity, unique critical point, "
                                  "monotonicity)")


# -- sign by assumptions ----------------------------------------------------------------------
def _positive_form(expr: sp.Expr, table: SymbolTable) -> sp.Expr:
    return expr.xreplace(table.positive_parametrization(expr.free_symbols))


def _sign_known(expr: sp.Expr, table: SymbolTable, want: str = "nonnegative", quick: bool = False) -> bool:
    """True when SymPy's assumptions decide ``expr`` is nonnegative (or positive / nonzero)."""
    positive = _positive_form(expr, table)
    if getattr(positive, f"is_{want}"):
        return True
    if quick:
        return False
    factored = sp.factor(sp.together(positive))
    forms = [factored]
    if positive.has(sp.log):
        forms.append(sp.expand_log(positive, force=False))
    if any(getattr(form, f"is_{want}") for form in forms):
        return True
    if want in ("nonnegative", "positive"):
        # N / D with N of the wanted sign and D >= 0: the sign holds wherever the quotient is
        # defined (D != 0), which is where every step is checked
        numerator, denominator = sp.fraction(factored)
        return denominator != 1 and bool(getattr(numerator, f"is_{want}")) \
            and bool(denominator.is_nonnegative)
    return False


# -- the recursive prover -----------------------------------------------------------------------
def _prove(expr: sp.Expr, table: SymbolTable, depth: int, fixed: frozenset) -> str | None:
    if _cheap_zero(expr, table):
        return "identically 0"
    if _sign_known(expr, table):
        return "sign decided by SymPy's assumptions on the domain"
    if depth <= 0:
        return None
    candidates = _candidates(expr, table, fixed)
    for method in (_minimize, _monotone):
        for variable in candidates:
            how = method(expr, variable, table, depth, fixed)
            if how is not None:
                return how
    if expr.is_Add:
        terms = sp.Add.make_args(expr)
        known = [term for term in terms if _sign_known(term, table, quick=True)]
        if known and len(known) < len(terms):
            rest = sp.Add(*[term for term in terms if term not in known])
            inner = _prove(rest, table, depth - 1, fixed)
            if inner is not None:
                return f"nonnegative terms split off; the rest: {inner}"
    return None


def _cheap_zero(expr: sp.Expr, table: SymbolTable) -> bool:
    """Normal forms only (no simplify, no nested timer: the caller's budget stays in force).
    Log expansion on the positive parametrization only for small expressions (it is slow)."""
    if expr == 0 or sp.cancel(sp.together(expr)) == 0:
        return True
    if not expr.has(sp.log) or sp.count_ops(expr) > 40:
        return False
    positive = _positive_form(expr, table)
    return sp.cancel(sp.together(sp.expand(sp.expand_log(positive, force=False)))) == 0


def _monotone(expr, variable, table, depth, fixed) -> str | None:
    first = sp.diff(expr, variable)
    if first == 0 or not first.is_rational_function(variable):
        return None
    domain = table.domain(variable)
    for sign, end, side, word in ((1, domain.lo, "+", "increasing"), (-1, domain.hi, "-", "decreasing")):
        if end is None or not _sign_known(sign * first, table):
            continue
        try:
            boundary = sp.limit(expr, variable, sp.nsimplify(end), side)
        except (NotImplementedError, ValueError, TypeError):
            continue
        if boundary.has(sp.nan, sp.zoo) or boundary.has(sp.Limit):
            continue
        inner = _prove(sp.simplify(boundary), table, depth - 1, fixed | {variable})
        if inner is not None:
            return (f"{word} in {variable.name} (first derivative {'>=' if sign > 0 else '<='} 0) "
                    f"from its limit at {variable.name} -> {end:g}{side}: {inner}")
    return None


def _candidates(expr: sp.Expr, table: SymbolTable, fixed: frozenset):
    symbols = sorted((s for s in expr.free_symbols if isinstance(s, sp.Symbol) and s not in fixed),
                     key=lambda s: s.name)
    # ordered symbols (sigma_min < sigma_max) are parametrized jointly; leave them to the sign test
    ordered = {s for pair in table.orderings for s in pair}
    return [s for s in symbols if s not in ordered and not table.domain(s).integer]


def _in_interval(value: sp.Expr, variable: sp.Symbol, table: SymbolTable) -> bool:
    domain = table.domain(variable)
    if not value.is_real and value.is_real is not None:
        return False
    if value.has(sp.I) or value.has(sp.zoo, sp.oo, sp.nan):
        return False
    checks = []
    if domain.lo is not None:
        checks.append(value - domain.lo if domain.lo_open else value - domain.lo)
    if domain.hi is not None:
        checks.append(domain.hi - value)
    for gap in checks:
        if not _sign_known(gap, table, "positive"):
            return False
    return True


def _outside(value: sp.Expr, variable: sp.Symbol, table: SymbolTable) -> bool:
    """True when ``value`` is provably not a point of the variable's interval."""
    if value.has(sp.zoo, sp.oo, sp.nan):
        return True
    imaginary = sp.im(value)
    if imaginary != 0 and _sign_known(imaginary, table, "nonzero"):
        return True
    if value.is_real is False:
        return True
    domain = table.domain(variable)
    if domain.lo is not None and _sign_known(domain.lo - value, table,
                                             "nonnegative" if domain.lo_open else "positive"):
        return True
    if domain.hi is not None and _sign_known(value - domain.hi, table,
                                             "nonnegative" if domain.hi_open else "positive"):
        return True
    return False


def _minimize(expr, variable, table, depth, fixed) -> str | None:
    first = sp.diff(expr, variable)
    if first == 0 or not first.is_rational_function(variable):
        return None     # the critical points would not be the roots of a polynomial
    numerator, denominator = sp.fraction(sp.factor(sp.together(first)))
    second = sp.diff(first, variable)
    name = variable.name
    # (4) convexity: h'' >= 0 on the interval, and any critical point in the interval
    convex = _sign_known(second, table)
    roots = _roots(numerator, variable)
    if roots is None:
        return None
    inside = [root for root in roots if _in_interval(root, variable, table)]
    if not inside:
        return None
    undecided = [r for r in roots if r not in inside and not _outside(r, variable, table)]
    if not (_sign_known(denominator, table, "positive") or _sign_known(-denominator, table, "positive")):
        return None
    if convex:
        root = inside[0]
        method = f"convex in {name} (second derivative >= 0), critical point {name} = {root}"
    else:
        if undecided:
            return None
        if len(set(inside)) != 1:
            return _critical_values(expr, variable, sorted(set(inside), key=sp.default_sort_key),
                                    table, depth, fixed)
        # (5) the only critical point, a strict local minimum
        root = inside[0]
        curvature = second.subs(variable, root)
        if not _sign_known(sp.simplify(curvature), table, "positive"):
            return None
        method = f"only critical point {name} = {root} on the domain, a strict minimum"
    minimum = sp.simplify(expr.subs(variable, root))
    inner = _prove(minimum, table, depth - 1, fixed | {variable})
    if inner is None:
        return None
    return f"{method}; minimum value: {inner}"


def _critical_values(expr, variable, points, table, depth, fixed) -> str | None:
    """(7) every critical point in the interval is known: h >= 0 when h is >= 0 at each of them
    and its limits at both ends of the interval are >= 0 (the infimum of a differentiable function
    on an open interval is a critical value or an end limit)."""
    domain = table.domain(variable)
    ends = [(sp.nsimplify(domain.lo) if domain.lo is not None else -sp.oo, "+"),
            (sp.nsimplify(domain.hi) if domain.hi is not None else sp.oo, "-")]
    for end, side in ends:
        try:
            value = sp.limit(expr, variable, end, side)
        except (NotImplementedError, ValueError, TypeError):
            return None
        if value == sp.oo:
            continue
        if value.has(sp.nan, sp.zoo, sp.Limit) or value == -sp.oo:
            return None
        if _prove(sp.simplify(value), table, depth - 1, fixed | {variable}) is None:
            return None
    for point in points:
        if _prove(sp.simplify(expr.subs(variable, point)), table, depth - 1,
                  fixed | {variable}) is None:
            return None
    names = ", ".join(str(p) for p in points)
    return (f"critical points {variable.name} = {names} and both ends of the domain: every candidate "
            "for the minimum is >= 0")


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
