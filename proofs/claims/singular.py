"""A step that divides by zero where the assumptions put it (docs/claims.md 'Zero terminal SNR').

Recovering x_0 from a noise prediction, x_0 = (x_t - sqrt(1 - abar_t) eps)/sqrt(abar_t), divides
by sqrt(abar_t), which is 0 where the signal-to-noise ratio is 0: at the last step of a
zero-terminal-SNR schedule, abar_T = 0 (Lin et al. 2023, Sec. 3; the catalog's
``zero-snr-v-prediction`` states the same singularity for the path).  At such a point the formula
is no number, so neither a proof (which divides by it) nor a numeric refutation (NaN, or a point
just beside it) says anything there: the step is ``undecided``, naming the denominator, the point
and what would decide it.

Two cases are found, before any reading or check:

- a denominator that the assumptions' definitions make 0 (``\\bar\\alpha_T = 0`` and the claim at
  T, ``\\sqrt{\\bar\\alpha_T}`` in a denominator);
- a denominator in a schedule member at another index (``\\sqrt{\\bar\\alpha_t}``) that is 0 when
  that member is the one the assumptions set to 0 (``\\bar\\alpha_T = 0``): the claim for every t
  includes t = T, unless the assumptions order the indices strictly apart (``t < T``).
"""
from __future__ import annotations

import sympy as sp

from diffproof.derive.families import index_text, member_of_key
from diffproof.derive.latex.printer import to_latex


def _denominators(expr) -> list[sp.Expr]:
    """The denominators of ``expr``: b for 1/b, sqrt(b) for b^(-1/2), outermost first."""
    if not isinstance(expr, sp.Basic):
        return []
    out = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Pow) and node.exp.is_negative:
            written = node.base ** (-node.exp)
            if written not in out:
                out.append(written)
    return out


def _is_zero(expr: sp.Expr) -> bool:
    """0 by SymPy's evaluation or after expanding (cheap: run on every denominator of a step)."""
    if expr.is_zero:
        return True
    try:
        return sp.expand(expr) == 0
    except Exception:  # noqa: BLE001 - SymPy cannot expand it: not shown to be 0
        return False


def _abar_member(symbol: sp.Symbol, table) -> tuple | None:
    spec = table.spec(symbol)
    if spec is None:
        return None
    found = member_of_key(spec.key)
    return found if found is not None and found[0] == "abar" else None


def _strictly_apart(chain_a: tuple, chain_b: tuple, table) -> bool:
    """The assumptions order the two index letters strictly (t < T), transitively."""
    if len(chain_a) != 1 or len(chain_b) != 1 or chain_a[0][1] != 1 or chain_b[0][1] != 1:
        return False
    a, b = chain_a[0][0], chain_b[0][0]
    above: dict = {}
    for lo, hi in table.orderings:
        above.setdefault(lo.name, set()).add((hi.name, (lo, hi) not in table.weak))
    for start, goal in ((a, b), (b, a)):
        todo, seen = [(start, False)], set()
        while todo:
            node, strict = todo.pop()
            if (node, strict) in seen:
                continue
            seen.add((node, strict))
            if node == goal and strict:
                return True
            todo += [(hi, strict or link) for hi, link in above.get(node, ())]
    return False


def _user_expanded(expr: sp.Expr, definitions: dict) -> sp.Expr:
    for _ in range(10):
        new = expr.xreplace(definitions)
        if new == expr:
            break
        expr = new
    return expr


def singular_division(lhs, rhs, assumptions) -> str | None:
    """Why the step divides by zero where the assumptions allow it, or None."""
    table = assumptions.table
    zeros = [(symbol, found) for symbol, value in assumptions.definitions.items()
             if isinstance(symbol, sp.Symbol) and value == 0
             and (found := _abar_member(symbol, table)) is not None]
    for side in (lhs, rhs):
        for base in _denominators(side):
            if _is_zero(assumptions.expand(base)):
                where = ", ".join(f"{to_latex(s)} = 0" for s, _ in zeros) or \
                    "by the assumptions' definitions"
                return _reason(base, where, zeros)
            user = _user_expanded(base, assumptions.definitions)
            for symbol in sorted(user.free_symbols, key=str):
                found = _abar_member(symbol, table)
                if found is None:
                    continue
                for zero, (_, chain, offset) in zeros:
                    if zero == symbol or found[1] == chain or \
                            _strictly_apart(found[1], chain, table):
                        continue
                    if _is_zero(user.xreplace({symbol: 0})):
                        at = f"{index_text(found[1], found[2])} = {index_text(chain, offset)}"
                        return _reason(base, f"{to_latex(zero)} = 0 by the assumptions, so at "
                                             f"{at}, which no order the assumptions state excludes",
                                       zeros, index=(found, chain, offset))
    return None


def _reason(base: sp.Expr, where: str, zeros, index=None) -> str:
    snr = bool(zeros)
    head = ("undefined at SNR = 0 (x0 from eps is undefined there, Lin et al. 2023, Sec. 3): "
            if snr else "the step divides by zero: ")
    decide = ("what would decide it: the claim where the SNR is positive"
              + (f" (state the order, % assume: {index_text(index[0][1], index[0][2])} < "
                 f"{index_text(index[1], index[2])})" if index is not None else "")
              + ", or a form without the division (from a v-prediction, x_0 = "
                "\\sqrt{\\bar\\alpha_t} x_t - \\sqrt{1-\\bar\\alpha_t} v, defined at SNR = 0; "
                "Lin et al. 2023, Sec. 3)") if snr else \
        "what would decide it: the claim where the denominator is not 0"
    return (f"{head}{to_latex(base)} = 0 divides ({where}); the formula is no number there, "
            f"neither true nor refuted by one; {decide}")


__all__ = ["singular_division"]
