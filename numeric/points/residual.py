"""What the numeric side evaluates: a :class:`Residual` (a residual that must vanish or be >= 0,
with its two sides), and the natural domain of both sides, outside which no point counts.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import sympy as sp


@dataclass
class Residual:
    """What is evaluated: a residual that must vanish (``kind='zero'``) or be >= 0 (``'nonneg'``),
    with the two sides kept for reporting and for the scale of the tolerance.  ``definitions``
    are the extra definitions expanded into it (a claim's ``% assume: y = ...``): a declared
    bound on such a symbol constrains the points (:meth:`SymbolTable.derived_bounds`)."""

    residual: sp.Expr
    lhs: sp.Expr
    rhs: sp.Expr
    kind: str = "zero"
    definitions: dict | None = None

    def symbols(self) -> list[sp.Symbol]:
        free = self.residual.free_symbols | self.lhs.free_symbols | self.rhs.free_symbols
        return sorted((s for s in free if isinstance(s, sp.Symbol)), key=lambda s: s.name)


def natural_conditions(expr: sp.Expr) -> list[tuple[sp.Expr, bool]]:
    """Where ``expr`` is real: (c, strict) pairs meaning c >= 0 (c > 0 when strict), one for every
    radicand and base of a non-integer power (> 0 under a negative exponent) and every log
    argument (> 0) with a symbol in it."""
    conditions = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Pow) and not node.exp.is_integer and not node.base.is_number:
            conditions.append((node.base, bool(node.exp.is_negative)))
        elif isinstance(node, sp.log) and not node.args[0].is_number:
            conditions.append((node.args[0], True))
    return conditions


def natural_domain(target: Residual) -> Residual:
    """``target`` with its residual made undefined (NaN) outside the natural domain of both sides
    (:func:`natural_conditions`), every other field kept: no point there is evaluated, so none is
    a counterexample.  The same object when no condition applies."""
    conditions = natural_conditions(target.lhs) + natural_conditions(target.rhs)
    guard = sp.And(*[(c > 0) if strict else (c >= 0) for c, strict in dict.fromkeys(conditions)])
    if guard is sp.true:
        return target
    return replace(target, residual=sp.Piecewise((target.residual, guard), (sp.nan, True)))
