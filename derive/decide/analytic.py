"""Which expressions are analytic in given symbols, so that one nonzero value means "nonzero
almost everywhere".

An expression built from the symbols by +, *, integer powers, powers of a positive constant base,
and the entire or meromorphic functions exp, sin, cos, tan, sinh, cosh, tanh and erf extends to a
function holomorphic on the complex plane minus a countable closed set, which is connected.  By
the identity theorem such a function that is zero on an interval is zero everywhere, so if it is
nonzero at one real point, its zeros are nowhere dense: every interval contains a point where it is
nonzero.  Square roots, fractional powers, logarithms, absolute values, Min/Max, Piecewise and
unevaluated integrals are excluded (their real values are not the restriction of one such
function: ``sqrt(h**2) - h`` is zero for h > 0 and not for h < 0).
"""
from __future__ import annotations

import sympy as sp

ANALYTIC_FUNCTIONS = (sp.exp, sp.sin, sp.cos, sp.tan, sp.sinh, sp.cosh, sp.tanh, sp.erf)


def analytic_in(expr: sp.Expr, symbols) -> bool:
    """Whether expr is built from ``symbols`` only by the operations listed in the module doc."""
    symbols = set(symbols)
    if not (expr.free_symbols & symbols):
        return True
    if isinstance(expr, sp.Symbol):
        return True
    if isinstance(expr, (sp.Add, sp.Mul)):
        return all(analytic_in(arg, symbols) for arg in expr.args)
    if isinstance(expr, sp.Pow):
        base, exponent = expr.args
        if exponent.free_symbols & symbols:
            return not (base.free_symbols & symbols) and bool(base.is_positive)
        return bool(exponent.is_integer) and analytic_in(base, symbols)
    if isinstance(expr, ANALYTIC_FUNCTIONS):
        return analytic_in(expr.args[0], symbols)
    return False
