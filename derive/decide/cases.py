"""Deciding that an expression with Min/Max is identically zero, by a case split on which
argument is the extreme one.

For each Min/Max node the residual takes, at a point, the value of one of its arguments.  A
*case* chooses one argument per node; on the case's open region (the chosen argument strictly
below, for Max above, every other argument of its node) the residual equals the *case residual*,
the expression with each node replaced by its chosen argument.  The residual is identically 0
when

1. every case is either *empty* or has an identically zero case residual (the zero test of
   :mod:`derive.decide.zero`'s normal forms, on the whole domain: no case condition is used);
   a case is empty when two of its conditions d_1 > 0 and d_2 > 0 are contradictory, d_1/d_2
   being provably negative on the domain, or one condition d > 0 has d provably <= 0
   (:func:`derive.decide.inequality.sign.sign_known`): min(SNR, gamma) = SNR together with
   min(1, gamma/SNR) = gamma/SNR needs gamma - SNR > 0 and 1 - gamma/SNR > 0, whose ratio is
   -SNR < 0;
2. the residual is continuous on the domain: every argument of every node and every case
   residual is provably defined and continuous there (``sign.defined``).  At a tie the active
   cases all take the residual's value, so the residual is continuous too;
3. the ties have empty interior: for each node, each difference of two arguments is analytic
   (:mod:`derive.decide.analytic`) and nonzero at one exact point of the domain, so its zeros are
   nowhere dense.  The residual is 0 off the ties, hence, by continuity, everywhere.

Any other outcome is "undecided" (None): the procedure never says "nonzero".
"""
from __future__ import annotations

import itertools
from functools import partial

import sympy as sp

from diffproof.derive.decide.analytic import analytic_in
from diffproof.derive.decide.budget import ERROR, InternalError, run_limited
from diffproof.derive.decide.inequality.sign import clear_cache, defined, positive_form, sign_known
from diffproof.derive.symbols import SymbolTable

MAX_CASES = 64


def extremes(expr: sp.Expr) -> list[sp.Expr]:
    """The Min/Max nodes of ``expr``, innermost first."""
    nodes = [n for n in sp.postorder_traversal(expr) if isinstance(n, (sp.Min, sp.Max))]
    return list(dict.fromkeys(nodes))


def _conditions(node: sp.Expr, chosen: sp.Expr) -> list[sp.Expr]:
    """The differences that are > 0 where ``chosen`` is strictly the extreme argument."""
    others = [a for a in node.args if a != chosen]
    if isinstance(node, sp.Min):
        return [other - chosen for other in others]
    return [chosen - other for other in others]


def _empty(conditions: list[sp.Expr], table: SymbolTable) -> bool:
    """Whether the conditions d > 0 provably exclude each other on the domain."""
    for d in conditions:
        if sign_known(-d, table, "nonnegative"):
            return True
    for first, second in itertools.combinations(conditions, 2):
        ratio = sp.cancel(sp.together(first / second))
        if sign_known(-ratio, table, "positive") and defined(ratio, table):
            return True
    return False


def _cheap_zero(expr: sp.Expr, positive: sp.Expr) -> bool:
    for candidate in (expr, positive):
        if candidate == 0 or sp.cancel(sp.together(candidate)) == 0:
            return True
        if sp.cancel(sp.together(sp.radsimp(sp.together(candidate)))) == 0:
            return True
    return False


def _ties_nowhere_dense(nodes, table: SymbolTable) -> bool:
    """Every difference of two arguments of a node is analytic and nonzero at an exact point."""
    for node in nodes:
        for a, b in itertools.combinations(node.args, 2):
            difference = a - b
            symbols = difference.free_symbols
            if not symbols or not analytic_in(difference, symbols):
                return False
            if not _nonzero_somewhere(difference, table):
                return False
    return True


def _nonzero_somewhere(expr: sp.Expr, table: SymbolTable) -> bool:
    """expr evaluates exactly to a nonzero number at a rational point of the domain: written in
    the positive parametrization of its bounded and ordered symbols (every positive value of the
    parameters is a point of the domain, sigma_min < sigma_max included), at parameter values
    the table admits."""
    form = positive_form(expr, table)
    symbols = sorted(form.free_symbols, key=lambda s: s.name)
    for shift in range(4):
        point = {s: sp.Rational(2 + shift + k % 3, 3) for k, s in enumerate(symbols)}
        if not table.admits(point):
            continue                # the identity theorem needs a point of the (convex) domain
        value = sp.nsimplify(sp.cancel(sp.together(form.xreplace(point))))
        if value.is_number and value.is_zero is False:
            return True
    return False


def zero_by_cases(expr: sp.Expr, table: SymbolTable) -> tuple[bool | None, str]:
    """(True, how) when the case split proves ``expr`` identically 0; else (None, why)."""
    clear_cache()
    nodes = extremes(expr)
    if not nodes:
        return None, "no Min/Max to split on"
    if sp.cancel(sp.together(expr)) == 0:
        return True, "normal form"              # the same Min/Max on both sides: no split needed
    if any(n.has(sp.Min, sp.Max) for node in nodes for n in node.args):
        return None, "nested Min/Max are not split"
    choices = [node.args for node in nodes]
    total = 1
    for args in choices:
        total *= len(args)
    if total > MAX_CASES:
        return None, f"{total} cases, more than {MAX_CASES}"
    if not all(defined(arg, table) for node in nodes for arg in node.args):
        return None, "an argument of a Min/Max is not provably continuous on the domain"
    zero = empty = 0
    for picked in itertools.product(*choices):
        case = expr.xreplace(dict(zip(nodes, picked)))
        if not defined(case, table):
            return None, f"the case residual {case} is not provably continuous on the domain"
        positive = case.xreplace(table.positive_parametrization(case.free_symbols))
        if _cheap_zero(case, positive):
            zero += 1
            continue
        conditions = [d for node, arg in zip(nodes, picked) for d in _conditions(node, arg)]
        if _empty(conditions, table):
            empty += 1
            continue
        return None, f"a case ({', '.join(f'{n} = {a}' for n, a in zip(nodes, picked))}) " \
                     "is neither empty nor identically 0"
    if not _ties_nowhere_dense(nodes, table):
        return None, "the ties between Min/Max arguments are not shown to have empty interior"
    return True, (f"case split on {len(nodes)} Min/Max ({total} cases: {zero} identically 0, "
                  f"{empty} empty by contradictory conditions; continuous across the ties)")


def _limited_answer(expr, table):
    return zero_by_cases(expr, table)


def decide_by_cases(expr: sp.Expr, table: SymbolTable, budget: float = 2.0) -> tuple[bool | None, str]:
    """:func:`zero_by_cases` on ``expr`` with its definitions expanded, in a worker limited to
    ``budget`` CPU seconds (derive.decide.budget); an overrun or a SymPy failure is undecided."""
    expr = table.expand_definitions(sp.sympify(expr))
    if not expr.has(sp.Min, sp.Max):
        return None, "no Min/Max to split on"
    outcome = run_limited(partial(_limited_answer, expr, table), budget)
    if outcome.ok:
        return outcome.value
    if outcome.kind == ERROR and not outcome.library:
        raise InternalError(outcome.message, outcome.trace)
    return None, f"the case split on Min/Max {outcome.describe()}"
