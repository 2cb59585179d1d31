"""Display of log-density expressions as SymPy objects, for derive.latex.printer.to_latex."""
from __future__ import annotations

import sympy as sp

from diffproof.derive.logdensity.tree import (E, KL, Density, IProd, ISum, Lin, Log, LogE, LogInt, Mass, Prod,
                                    Ratio, t)

class Shown(sp.Symbol):
    """A symbol printed as its own LaTeX (a density such as q(x_t | x_{t-1}))."""

    def _latex(self, printer) -> str:
        return self.name


class Expect(sp.Function):
    nargs = 2

    def _latex(self, printer) -> str:
        return (rf"\mathbb{{E}}_{{{printer._print(self.args[0])}}}"
                rf"\left[{printer._print(self.args[1])}\right]")


class IntegralOf(sp.Function):
    nargs = 3

    def _latex(self, printer) -> str:
        return (rf"\int {printer._print(self.args[0])} \left({printer._print(self.args[1])}\right)"
                rf" \, d{printer._print(self.args[2])}")


class KLDiv(sp.Function):
    nargs = 2

    def _latex(self, printer) -> str:
        return (rf"D_{{\mathrm{{KL}}}}\left({printer._print(self.args[0])} \parallel "
                rf"{printer._print(self.args[1])}\right)")


class LogOf(sp.Function):
    """log of a product, kept unexpanded for display."""

    nargs = 1

    def _latex(self, printer) -> str:
        return rf"\log {printer._print(self.args[0])}" if isinstance(self.args[0], Shown) else \
            rf"\log\left({printer._print(self.args[0])}\right)"


def _vars_latex(items) -> str:
    return ", ".join(v.latex() for v in items)


def to_sympy(node) -> sp.Expr:
    """A displayable SymPy expression (not a residual: steps using it set symbolic=False)."""
    if isinstance(node, Density):
        return Shown(node.latex())
    if isinstance(node, Prod):
        return sp.Mul(*[to_sympy(f) for f in node.factors], evaluate=False)
    if isinstance(node, Ratio):
        return sp.Mul(to_sympy(node.num), sp.Pow(to_sympy(node.den), -1, evaluate=False),
                      evaluate=False)
    if isinstance(node, IProd):
        return sp.Product(to_sympy(node.body), (t, node.lo, node.hi))
    if isinstance(node, Log):
        return LogOf(to_sympy(node.arg))
    if isinstance(node, Lin):
        return sp.Add(*[c * to_sympy(n) if c != 1 else to_sympy(n) for c, n in node.terms],
                      evaluate=False)
    if isinstance(node, ISum):
        return sp.Sum(to_sympy(node.body), (t, node.lo, node.hi))
    if isinstance(node, E):
        if node.integral:
            return IntegralOf(to_sympy(node.measure), to_sympy(node.body),
                              Shown(_vars_latex(node.measure.out)))
        return Expect(to_sympy(node.measure), to_sympy(node.body))
    if isinstance(node, Mass):
        return sp.Mul(to_sympy(node.body), IntegralOf(to_sympy(node.measure), sp.Integer(1),
                                                      Shown(_vars_latex(node.measure.out))),
                      evaluate=False)
    if isinstance(node, KL):
        return KLDiv(to_sympy(node.q), to_sympy(node.p))
    if isinstance(node, LogE):
        return LogOf(Expect(to_sympy(node.measure), to_sympy(node.arg)))
    if isinstance(node, LogInt):
        return LogOf(IntegralOf(to_sympy(node.arg), sp.Integer(1), Shown(_vars_latex(node.over))))
    raise TypeError(f"cannot display {type(node).__name__}")
