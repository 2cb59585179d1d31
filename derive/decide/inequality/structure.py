"""Positivity by the structure of an expression, where SymPy's assumptions alone do not decide it.

:func:`positive` proves ``expr > 0`` on the whole domain by these rules, each sound on its own and
named in the returned argument:

- *assumptions*: SymPy's assumptions on the positive parametrization decide it
  (:func:`.sign.sign_known`);
- *product*: every factor is positive, or negative (its negation positive), and an even number of
  them negative;
- *power*: a positive base to a real power (the exponent defined on the whole domain);
- *affine in a bounded variable*: expr = a + b w with a, b free of w, and w in an interval with
  both ends finite; expr is positive at both ends (recursively), and an affine function on a
  segment lies between its values at the ends, so it is positive on the whole interval;
- *monotone in an ordered variable*: for an ordering lo < hi of the table, expr is 0 at hi = lo
  (identically, by normal forms), it is defined and continuous for hi >= lo, and its derivative in
  hi is positive for every hi > lo; by the mean value theorem expr(hi) = expr(hi) - expr(lo) > 0.
  sigma_max^(1/rho) - sigma_min^(1/rho) > 0 for sigma_min < sigma_max: its derivative in
  sigma_max is sigma_max^(1/rho - 1)/rho > 0.

Every rule reads signs only from expressions proved defined on the domain (:func:`.sign.defined`);
anything else is None (not proved), never a wrong "positive".
"""
from __future__ import annotations

import sympy as sp

from diffproof.derive.decide.inequality.sign import defined, domain_of, sign_known
from diffproof.derive.symbols import SymbolTable

MAX_DEPTH = 4


def positive(expr: sp.Expr, table: SymbolTable, depth: int = MAX_DEPTH) -> str | None:
    """An argument that ``expr > 0`` at every point of the domain, or None."""
    if depth < 0:
        return None
    if isinstance(expr, sp.Mul):
        return _product(expr, table, depth)
    if isinstance(expr, sp.Pow) and expr.exp.is_real and defined(expr.exp, table):
        # a positive base (defined, by the recursion) to a real exponent defined everywhere
        inner = positive(expr.base, table, depth - 1)
        if inner:
            return f"positive base to a real power ({inner})"
    if not defined(expr, table):
        return None
    if sign_known(expr, table, "positive"):
        return f"{expr} > 0 by assumptions"
    return _affine(expr, table, depth) or _ordered(expr, table, depth)


def _product(expr: sp.Expr, table: SymbolTable, depth: int) -> str | None:
    """Every factor positive or negative (each defined, by the recursion), an even number of
    them negative."""
    if sign_known(expr, table, "positive"):
        return f"{expr} > 0 by assumptions"
    parts, negative = [], 0
    for factor in expr.args:
        part = positive(factor, table, depth - 1)
        if part is None:
            part = positive(-factor, table, depth - 1)
            if part is None:
                return None
            negative += 1
            part = f"{factor} < 0: {part}"
        parts.append(part)
    if negative % 2:
        return None
    return "product of factors of known sign (" + \
        (f"{negative} negative" if negative else "all positive") + "): " + "; ".join(parts)


def _affine(expr: sp.Expr, table: SymbolTable, depth: int) -> str | None:
    for variable in sorted(expr.free_symbols, key=lambda s: s.name):
        domain = domain_of(variable, table)
        if domain.lo is None or domain.hi is None:
            continue
        slope = sp.diff(expr, variable)
        if slope == 0 or slope.has(variable):
            continue
        ends = (sp.nsimplify(domain.lo), sp.nsimplify(domain.hi))
        parts = [positive(sp.factor(expr.xreplace({variable: end})), table, depth - 1)
                 for end in ends]
        if all(parts):
            return (f"affine in {variable.name} on [{ends[0]}, {ends[1]}], positive at both "
                    f"ends ({'; '.join(parts)})")
    return None


def _ordered(expr: sp.Expr, table: SymbolTable, depth: int) -> str | None:
    for lo, hi in table.orderings:
        if hi not in expr.free_symbols:
            continue
        at_tie = expr.xreplace({hi: lo})
        if sp.cancel(sp.together(sp.powsimp(at_tie))) != 0 or not defined(at_tie, table):
            continue
        if sum(hi in pair for pair in table.orderings) != 1:
            continue            # other bounds on hi: the segment from lo to hi might leave them
        rate = sp.diff(expr, hi)
        # sign_known parametrizes hi = lo (1 + r) (or lo + r), r > 0: the rate for every hi > lo
        known = sign_known(rate, table, "positive")
        if known:
            return (f"0 at {hi.name} = {lo.name} and increasing in {hi.name} (derivative "
                    f"{rate} > 0 for {hi.name} > {lo.name})")
    return None
