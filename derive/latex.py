"""LaTeX rendering with the symbol table's names (``\\bar{\\alpha}_{t-1}``, ``\\boldsymbol{x}_t``)."""
from __future__ import annotations

import sympy as sp

from derive.symbols import TABLE, SymbolTable

RELATION_LATEX = {"=": "=", "propto": r"\propto", ">=": r"\geq", "<=": r"\leq"}


def to_latex(expr, table: SymbolTable = TABLE) -> str:
    """LaTeX of a SymPy expression in the field's notation."""
    if expr is None:
        return ""
    return sp.latex(expr, symbol_names=table.latex_names())


def derivation_display(derivation, table: SymbolTable = TABLE) -> str:
    """The chain as an ``aligned`` display, one step per line (used by ``_repr_latex_``)."""
    lines = []
    previous = derivation.start
    first = True
    for _, lhs, step in derivation.links():
        relation = RELATION_LATEX[step.relation]
        text = step.justification.replace("_", r"\_")
        body = to_latex(step.expr) if step.expr is not None else r"\text{(checked by simulation)}"
        if step.lhs is not None or first:
            left = to_latex(lhs if lhs is not None else previous)
        else:
            left = ""
        lines.append(f"{left} &{relation} {body} && \\text{{{text}}}")
        first = False
        previous = step.expr if step.expr is not None else previous
    return "$$\\begin{aligned}" + r" \\ ".join(lines) + "\\end{aligned}$$"
