"""Deciding an identity between integrals with generic functions (``sp.Function`` with no
formula), as functions of one end of integration, by the fundamental theorem of calculus.

F(s) = G(s) for every s of an interval I that contains s_0 when

1. d/ds (F - G) is identically 0: SymPy differentiates an integral in an end by the Leibniz rule
   (d/ds int_a^{g(s)} f(v) dv = f(g(s)) g'(s), the fundamental theorem of calculus and the chain
   rule, for a continuous integrand), and the result is reduced by normal forms, the generic
   functions and their derivatives taken as independent symbols;
2. F(s_0) - G(s_0) is identically 0 (at s_0 the integrals have equal ends).

F - G is then differentiable on I with derivative 0, so constant (the mean value theorem), and 0
at s_0.  The generic functions are assumed continuously differentiable and the integrands
continuous on the ranges integrated over: the conditions of the derivation state it.

A claim whose derivative residual does not vanish is refuted when an *instance* violates it: each
generic function of one argument is replaced by c exp(-a) (c = 2, 3, ... in the order of the
functions' names: positive, smooth and strictly decreasing, as an SNR schedule is) and both sides
are integrated at 30 digits at s = the interval's far end; a difference far above the quadrature's
accuracy is a counterexample to the claim for every function.  Otherwise the verdict is undecided.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import sympy as sp
from sympy.core.function import AppliedUndef

from diffproof.derive.verdict import FAILS, HOLDS, UNDECIDED, Evidence, Verdict


@dataclass(frozen=True)
class IntegralEvidence(Evidence):
    """The argument of an integral identity: the variable, the point where both sides agree, and
    (a refutation) the instance of the generic functions."""

    variable: str | None = None
    start: str | None = None
    instance: str | None = None


def _zero(expr: sp.Expr) -> bool:
    expr = sp.sympify(expr).doit()
    if expr == 0:
        return True
    return sp.cancel(sp.together(sp.expand(expr))) == 0


def instance(expr: sp.Expr) -> dict:
    """The replacement of every generic function of ``expr`` by c exp(-a), c = 2, 3, ..."""
    functions = sorted({f.func for f in expr.atoms(AppliedUndef)}, key=lambda f: f.__name__)
    a = sp.Dummy("a")
    return {f: sp.Lambda(a, (k + 2) * sp.exp(-a)) for k, f in enumerate(functions)}


def equal_by_derivative(left: sp.Expr, right: sp.Expr, variable: sp.Symbol, start: sp.Expr,
                        end: sp.Expr) -> tuple[bool | None, str, dict | None]:
    """(True, argument, None) when the two steps above prove left = right on [start, end];
    (False, why, counterexample) when an instance refutes it; else (None, why, None)."""
    residual = sp.sympify(left) - sp.sympify(right)
    start, end = sp.sympify(start), sp.sympify(end)
    if variable not in residual.free_symbols:
        return None, f"the sides do not depend on {variable}", None
    rate = sp.diff(residual, variable)
    if _zero(rate) and _zero(residual.subs(variable, start)):
        return True, (f"fundamental theorem of calculus: d/d{variable} (lhs - rhs) = 0 by the "
                      f"Leibniz rule and the chain rule, and lhs = rhs at {variable} = {start}"), None
    functions = instance(residual)
    concrete = residual
    for function, value in functions.items():
        concrete = concrete.replace(function, value)
    concrete = concrete.subs(variable, end).doit()
    value = sp.N(concrete, 30)
    if value.is_number and value.is_real and abs(value) > sp.Float("1e-15"):
        shown = ", ".join(f"{f.__name__}(a) = {g.expr.subs(g.variables[0], sp.Symbol('a'))}"
                          for f, g in functions.items())
        return False, f"the instance {shown} violates it at {variable} = {end}", {
            variable.name: float(end) if end.is_number else str(end),
            "instance": shown, "residual": float(value)}
    return None, ("the derivative of lhs - rhs does not reduce to 0, and the instance does not "
                  "refute it"), None


@dataclass
class IntegralIdentityCheck:
    """A step ``left = right`` for every ``variable`` in [start, end], decided by
    :func:`equal_by_derivative` (method "symbolic": the argument is a proof)."""

    left: sp.Expr
    right: sp.Expr
    variable: sp.Symbol
    start: sp.Expr
    end: sp.Expr
    name: str = "symbolic"

    def run(self, seed: int) -> Verdict:
        started = time.perf_counter()
        answer, how, counterexample = equal_by_derivative(self.left, self.right, self.variable,
                                                          self.start, self.end)
        evidence = IntegralEvidence(variable=self.variable.name, start=str(self.start))
        elapsed = time.perf_counter() - started
        if answer:
            return Verdict(HOLDS, "symbolic", seconds=elapsed, how=how, evidence=evidence)
        if answer is False:
            return Verdict(FAILS, "numeric", seconds=elapsed, reason=how,
                           counterexample=counterexample,
                           evidence=IntegralEvidence(variable=self.variable.name,
                                                     instance=counterexample["instance"]))
        return Verdict(UNDECIDED, "symbolic", seconds=elapsed, reason=how, evidence=evidence)


__all__ = ["IntegralEvidence", "IntegralIdentityCheck", "equal_by_derivative", "instance"]
