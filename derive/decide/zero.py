"""Deciding symbolically whether an expression is identically zero on the symbols' domain.

Cheap normal forms first (cancel, together, radsimp, powsimp on a positive parametrization of the
bounded symbols), then ``simplify``, each in a worker limited to ``budget`` seconds of CPU time
(derive.decide.budget).  Returns True (proved zero), False (proved non-zero: a constant non-zero
value) or None (undecided).  Never hangs, and the answer does not depend on the machine's load.
"""
from __future__ import annotations

from functools import partial

import sympy as sp

from diffproof.derive.decide.budget import CPU, ERROR, InternalError, run_limited
from diffproof.derive.symbols import TABLE, SymbolTable


def _split_radicals(expr: sp.Expr) -> sp.Expr:
    """Factor the base of every fractional power so SymPy splits it into positive factors."""
    def rewrite(node):
        if node.is_Pow and node.exp.is_Rational and not node.exp.is_Integer:
            return sp.Pow(sp.factor(sp.together(node.base)), node.exp)
        return node
    return expr.replace(lambda n: n.is_Pow and n.exp.is_Rational and not n.exp.is_Integer, rewrite)


def _cheap_forms(expr: sp.Expr):
    yield sp.cancel(sp.together(expr))
    yield sp.radsimp(sp.together(expr))
    yield sp.cancel(sp.together(sp.powsimp(sp.expand(_split_radicals(expr)))))
    logs = sp.expand_log(expr, force=False)
    yield sp.cancel(sp.together(sp.expand(_split_radicals(logs))))


def _is_zero_form(form: sp.Expr) -> bool | None:
    if form == 0:
        return True
    if form.is_number:
        value = form.evalf(30)
        # a concrete number only (gamma(zoo) and the like stay unevaluated: no verdict)
        if value.is_Number and value.is_finite and abs(value) > 1e-25:
            return False
    return None


def _cheap_answer(expr: sp.Expr, positive: sp.Expr) -> bool | None:
    for candidate in (expr, positive):
        for form in _cheap_forms(candidate):
            answer = _is_zero_form(form)
            if answer is not None:
                return answer
    return None


def _simplified_answer(positive):
    return _is_zero_form(sp.simplify(positive))


def is_zero(expr: sp.Expr, table: SymbolTable = TABLE, budget: float = 2.0) -> tuple[bool | None, str]:
    """Decide expr == 0 for all admissible values. Returns (answer, how)."""
    expr = sp.sympify(expr)
    if expr == 0:
        return True, "trivial"
    expr = table.expand_definitions(expr)
    if hasattr(expr, "doit"):
        expr = expr.doit()
    positive = expr.xreplace(table.positive_parametrization(expr.free_symbols))
    # module-level functions with their arguments: the portable worker pickles its tasks
    stages = (("normal form", partial(_cheap_answer, expr, positive),
               f"the normal forms exceeded the {budget:g} s CPU budget"),
              ("simplify", partial(_simplified_answer, positive),
               f"symbolic simplification exceeded its {budget:g} s CPU budget"))
    for how, work, overrun in stages:
        outcome = run_limited(work, budget, persistent=True)
        if outcome.ok and outcome.value is not None:
            return outcome.value, how
        if outcome.kind == CPU:
            return None, overrun
        if outcome.kind == ERROR and not outcome.library:
            raise InternalError(outcome.message, outcome.trace)
        if not outcome.ok:
            return None, f"SymPy could not normalize the residual ({outcome.message or outcome.kind})"
    return None, "no normal form or simplify reduced the residual to 0"
