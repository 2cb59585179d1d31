"""The expression tree of the log-density algebra: variables, densities, products, logs, sums,
expectations, KL divergences, and the chain model giving each variable its position."""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

t = sp.Symbol("t", integer=True, positive=True)      # the summation index of every sum and product
T = sp.Symbol("T", integer=True, positive=True)      # the number of steps (the top position)


class RuleGap(ValueError):
    """No stated rule carries the expression further (names the side condition that failed)."""


@dataclass(frozen=True)
class Var:
    """A variable x_index (``index=None`` for the unindexed x or z of a VAE)."""

    name: str
    index: sp.Expr | int | None = None

    def latex(self) -> str:
        base = rf"\boldsymbol{{{self.name}}}"
        return base if self.index is None else f"{base}_{{{sp.latex(sp.sympify(self.index))}}}"


@dataclass(frozen=True)
class Span:
    """The block x_{lo:hi}."""

    name: str
    lo: sp.Expr | int
    hi: sp.Expr | int

    def latex(self) -> str:
        return rf"\boldsymbol{{{self.name}}}_{{{sp.latex(sp.sympify(self.lo))}:{sp.latex(sp.sympify(self.hi))}}}"


@dataclass(frozen=True)
class Density:
    """kind "q" (encoder / forward process) or "p" (generative model); ``label`` is for display."""

    kind: str
    out: tuple
    given: tuple = ()
    label: str = ""

    def latex(self) -> str:
        label = self.label or self.kind
        body = ", ".join(v.latex() for v in self.out)
        if self.given:
            body += r" \mid " + ", ".join(v.latex() for v in self.given)
        return f"{label}({body})"


@dataclass(frozen=True)
class Prod:
    factors: tuple


@dataclass(frozen=True)
class Ratio:
    num: object
    den: object


@dataclass(frozen=True)
class IProd:
    """prod_{t=lo}^{hi} body."""

    body: object
    lo: sp.Expr | int
    hi: sp.Expr | int


@dataclass(frozen=True)
class Log:
    arg: object


@dataclass(frozen=True)
class Lin:
    """sum_i coeff_i * node_i."""

    terms: tuple


@dataclass(frozen=True)
class ISum:
    """sum_{t=lo}^{hi} body."""

    body: object
    lo: sp.Expr | int
    hi: sp.Expr | int


@dataclass(frozen=True)
class E:
    """E_{measure}[body]; ``integral=True`` displays it as int measure (body) dz."""

    measure: Density
    body: object
    integral: bool = False


@dataclass(frozen=True)
class Mass:
    """body * int measure dz (the 'multiply by 1' of Luo Eq. 9)."""

    body: object
    measure: Density


@dataclass(frozen=True)
class KL:
    q: Density
    p: Density


@dataclass(frozen=True)
class LogE:
    """log E_{measure}[arg], arg a density expression (Jensen route)."""

    measure: Density
    arg: object


@dataclass(frozen=True)
class LogInt:
    """log int arg d(over)."""

    arg: object
    over: tuple


def add(*nodes) -> Lin:
    return Lin(tuple((sp.Integer(1), n) for n in nodes))


def sub(a, b) -> Lin:
    return Lin(((sp.Integer(1), a), (sp.Integer(-1), b)))


def lin(*pairs) -> Lin:
    return Lin(tuple((sp.sympify(c), n) for c, n in pairs))


# ----------------------------------------------------------------------------------------------
# the model: positions of variables
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChainModel:
    """Positions: the data variable ``data`` is 0, latents 1..top (unindexed latent: 1)."""

    data: str = "x"
    top: sp.Expr | int = T

    def position(self, var: Var) -> sp.Expr:
        if var.index is None:
            return sp.Integer(0) if var.name == self.data else sp.Integer(1)
        return sp.sympify(var.index)

    def positions(self, items) -> list[sp.Expr]:
        found: list[sp.Expr] = []
        for item in items:
            if isinstance(item, Span):
                found.append(("span", sp.sympify(item.lo), sp.sympify(item.hi)))
            else:
                found.append(self.position(item))
        return found


VDM = ChainModel("x", T)
VAE = ChainModel("x", 1)
