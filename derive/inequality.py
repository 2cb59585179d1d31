"""Proving inequality steps: ``expr >= 0`` on the symbols' domain.

Methods, each reported by name: (1) the expression is identically zero; (2) SymPy's assumptions
decide the sign after the positive parametrization of bounded symbols (a sum of positive terms).
Anything else is left to numeric evidence, labelled as such.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from derive.symbols import TABLE, SymbolTable
from derive.zero import Timeout, is_zero, time_limit


@dataclass
class InequalityProof:
    proved: bool
    how: str


def prove_nonnegative(expr: sp.Expr, table: SymbolTable = TABLE, budget: float = 2.0) -> InequalityProof:
    expr = table.expand_definitions(sp.sympify(expr))
    zero, _ = is_zero(expr, table, budget)
    if zero:
        return InequalityProof(True, "the difference is identically 0")
    positive = expr.xreplace(table.positive_parametrization(expr.free_symbols))
    try:
        with time_limit(budget):
            for form in (positive, sp.factor(sp.together(positive))):
                if form.is_nonnegative:
                    return InequalityProof(True, "sign decided by SymPy's assumptions on the domain")
    except Timeout:
        return InequalityProof(False, f"sign analysis exceeded its {budget:g} s budget")
    return InequalityProof(False, "sign not decided symbolically")
