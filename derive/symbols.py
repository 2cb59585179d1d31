"""The symbol table: every symbol diffproof reads and writes, with its assumptions and LaTeX name.

One place defines, for each symbol, the SymPy object (with the SymPy assumptions it carries), the
LaTeX name papers use (``\\bar{\\alpha}_{t-1}``), its domain (used to draw random points and to
state side conditions), and a *positive parametrization* used by the symbolic checker: a symbol in
(0, 1) is rewritten as 1/(1 + p) with p > 0, so that every radicand such as 1 - alpha_t becomes an
expression SymPy knows to be positive.  Defined symbols (alphabar_t = alpha_t alphabar_{t-1},
beta_t = 1 - alpha_t) are eliminated before checking.  See shared/notation.md.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Iterable

import sympy as sp


@dataclass(frozen=True)
class Domain:
    """An interval of the real line, ``lo < x < hi`` (bounds optional, openness per end).

    ``sample_lo``/``sample_hi`` bound the region random points are drawn from when the interval is
    unbounded; ``simple`` lists the simple values a counterexample search tries first.
    """

    lo: float | None = None
    hi: float | None = None
    lo_open: bool = True
    hi_open: bool = True
    sample_lo: float = -3.0
    sample_hi: float = 3.0
    simple: tuple[Fraction, ...] = ()
    integer: bool = False

    def contains(self, value: float) -> bool:
        if self.lo is not None and (value < self.lo or (self.lo_open and value == self.lo)):
            return False
        if self.hi is not None and (value > self.hi or (self.hi_open and value == self.hi)):
            return False
        return True

    def describe(self, name: str) -> str:
        left = "" if self.lo is None else f"{self.lo:g} {'<' if self.lo_open else '<='} "
        right = "" if self.hi is None else f" {'<' if self.hi_open else '<='} {self.hi:g}"
        if not left and not right:
            return f"{name} real"
        return f"{left}{name}{right}"

    def latex(self, name: str) -> str:
        lt = {True: "<", False: r"\le"}
        if self.lo is None and self.hi is None:
            return name + r" \in \mathbb{R}"
        left = "" if self.lo is None else f"{self.lo:g} {lt[self.lo_open]} "
        right = "" if self.hi is None else f" {lt[self.hi_open]} {self.hi:g}"
        return f"{left}{name}{right}"


F = Fraction
REAL = Domain(simple=(F(0), F(1), F(-1), F(2), F(1, 2), F(-2), F(3)))
POSITIVE = Domain(lo=0.0, sample_lo=0.05, sample_hi=5.0,
                  simple=(F(1), F(2), F(1, 2), F(3), F(1, 3), F(4)))
UNIT = Domain(lo=0.0, hi=1.0, sample_lo=1e-6, sample_hi=1 - 1e-6,
              simple=(F(1, 2), F(1, 3), F(2, 3), F(1, 4), F(3, 4), F(1, 5), F(4, 5)))
TIME = Domain(lo=0.0, hi=1.0, hi_open=False, sample_lo=1e-3, sample_hi=1.0,
              simple=(F(1, 2), F(1), F(1, 4), F(3, 4), F(1, 3)))
STEPS = Domain(lo=1.0, lo_open=False, sample_lo=1, sample_hi=50, integer=True,
               simple=(F(2), F(3), F(5), F(10)))


@dataclass(frozen=True)
class SymbolSpec:
    """Everything diffproof knows about one symbol."""

    key: str
    symbol: sp.Symbol
    latex: str
    meaning: str
    domain: Domain
    positive_form: Callable[[sp.Symbol], sp.Expr] | None = None

    @property
    def assumption_text(self) -> str:
        return self.domain.describe(self.key)


@dataclass
class SymbolTable:
    """Symbols, their definitions (``abar_t := alpha_t abar_{t-1}``) and ordering constraints."""

    specs: dict[str, SymbolSpec] = field(default_factory=dict)
    definitions: dict[sp.Symbol, sp.Expr] = field(default_factory=dict)
    # constraints between symbols, e.g. sigma_min < sigma_max: (smaller, larger)
    orderings: list[tuple[sp.Symbol, sp.Symbol]] = field(default_factory=list)

    def add(self, key: str, latex: str, meaning: str, domain: Domain = REAL,
            name: str | None = None) -> sp.Symbol:
        if key in self.specs:
            raise ValueError(f"symbol {key!r} defined twice")
        assumptions: dict[str, bool] = {"real": True}
        if domain.integer:
            assumptions["integer"] = True
        if domain.lo is not None and domain.lo >= 0:
            assumptions["positive" if (domain.lo > 0 or domain.lo_open) else "nonnegative"] = True
        symbol = sp.Symbol(name or key, **assumptions)
        positive_form = None
        if domain.lo == 0 and domain.hi == 1 and domain.lo_open and domain.hi_open:
            positive_form = _unit_interval_form
        self.specs[key] = SymbolSpec(key, symbol, latex, meaning, domain, positive_form)
        return symbol

    def define(self, symbol: sp.Symbol, value: sp.Expr) -> None:
        self.definitions[symbol] = value

    def order(self, smaller: sp.Symbol, larger: sp.Symbol) -> None:
        self.orderings.append((smaller, larger))

    # -- look-ups ---------------------------------------------------------------------------
    def __getitem__(self, key: str) -> sp.Symbol:
        return self.specs[key].symbol

    def spec(self, symbol: sp.Symbol) -> SymbolSpec | None:
        for spec in self.specs.values():
            if spec.symbol == symbol:
                return spec
        return None

    def domain(self, symbol: sp.Symbol) -> Domain:
        spec = self.spec(symbol)
        if spec is not None:
            return spec.domain
        if symbol.is_positive:
            return POSITIVE
        return REAL

    def latex_names(self) -> dict[sp.Symbol, str]:
        return {spec.symbol: spec.latex for spec in self.specs.values()}

    def __iter__(self):
        return iter(self.specs.values())

    # -- rewriting ----------------------------------------------------------------------------
    def expand_definitions(self, expr: sp.Expr, extra: dict | None = None) -> sp.Expr:
        """Substitute definitions (and ``extra`` ones) until no defined symbol is left."""
        defs = dict(self.definitions)
        if extra:
            defs.update(extra)
        for _ in range(10):
            new = expr.xreplace(defs) if hasattr(expr, "xreplace") else expr
            if new == expr:
                return new
            expr = new
        return expr

    def positive_parametrization(self, symbols: Iterable[sp.Symbol]) -> dict[sp.Symbol, sp.Expr]:
        """A substitution that writes each bounded or ordered symbol with positive parameters.

        0 < a < 1 becomes a = 1/(1 + p); an ordering lo < hi becomes hi = lo (1 + r) when lo is
        positive, hi = lo + r otherwise.  All new parameters p, r are positive symbols.
        """
        symbols = set(symbols)
        subs: dict[sp.Symbol, sp.Expr] = {}
        for spec in self.specs.values():
            if spec.symbol in symbols and spec.positive_form is not None:
                subs[spec.symbol] = spec.positive_form(spec.symbol)
        for lo, hi in self.orderings:
            if lo in symbols and hi in symbols and hi not in subs:
                r = sp.Dummy(f"r_{hi.name}", positive=True)
                subs[hi] = lo * (1 + r) if lo.is_positive else lo + r
        return subs


def _unit_interval_form(symbol: sp.Symbol) -> sp.Expr:
    return 1 / (1 + sp.Dummy(f"p_{symbol.name}", positive=True))


# ------------------------------------------------------------------------------------------------
# The standard table: the notation of shared/notation.md.
# ------------------------------------------------------------------------------------------------
TABLE = SymbolTable()
_add = TABLE.add

# discrete-time forward process (Luo, DDPM)
alpha_t = _add("alpha_t", r"\alpha_t", "forward coefficient at step t", UNIT)
abar_t = _add("abar_t", r"\bar{\alpha}_t", "cumulative product prod_{i<=t} alpha_i", UNIT)
abar_tm1 = _add("abar_tm1", r"\bar{\alpha}_{t-1}", "cumulative product up to t-1", UNIT)
beta_t = _add("beta_t", r"\beta_t", "DDPM noise level 1 - alpha_t", UNIT)
betatilde_t = _add("betatilde_t", r"\tilde{\beta}_t", "DDPM posterior variance", POSITIVE)
TABLE.define(abar_t, alpha_t * abar_tm1)
TABLE.define(beta_t, 1 - alpha_t)
TABLE.define(betatilde_t, (1 - abar_tm1) * beta_t / (1 - abar_t))

# variables (one coordinate of an isotropic Gaussian)
x = _add("x", r"\boldsymbol{x}", "a data point or variable")
x_0 = _add("x_0", r"\boldsymbol{x}_0", "data")
x_t = _add("x_t", r"\boldsymbol{x}_t", "latent at step t")
x_tm1 = _add("x_tm1", r"\boldsymbol{x}_{t-1}", "latent at step t-1")
x_tm2 = _add("x_tm2", r"\boldsymbol{x}_{t-2}", "latent at step t-2")
x_tp1 = _add("x_tp1", r"\boldsymbol{x}_{t+1}", "latent at step t+1")
z = _add("z", r"\boldsymbol{z}", "latent variable, or standard normal noise")
eps = _add("eps", r"\boldsymbol{\epsilon}", "standard normal noise")
eps_0 = _add("eps_0", r"\boldsymbol{\epsilon}_0", "the total noise in x_t given x_0")
eps_1 = _add("eps_1", r"\boldsymbol{\epsilon}_{1}", "independent standard normal noise")
eps_2 = _add("eps_2", r"\boldsymbol{\epsilon}_{2}", "independent standard normal noise")

# model predictions
xhat = _add("xhat", r"\hat{\boldsymbol{x}}_\theta(\boldsymbol{x}_t, t)", "x0-prediction")
epshat = _add("epshat", r"\hat{\boldsymbol{\epsilon}}_\theta(\boldsymbol{x}_t, t)",
              "noise prediction")
s_theta = _add("s_theta", r"\boldsymbol{s}_\theta(\boldsymbol{x}_t, t)", "score prediction")
score = _add("score", r"\nabla_{\boldsymbol{x}_t} \log p(\boldsymbol{x}_t)", "the marginal score")
mu_theta = _add("mu_theta", r"\boldsymbol{\mu}_\theta", "model mean")

# generic Gaussian parameters
mu = _add("mu", r"\mu", "a mean")
mu_1 = _add("mu_1", r"\mu_1", "mean of the first Gaussian")
mu_2 = _add("mu_2", r"\mu_2", "mean of the second Gaussian")
sigma = _add("sigma", r"\sigma", "a standard deviation", POSITIVE)
v = _add("v", r"v", "a variance", POSITIVE)
v_1 = _add("v_1", r"v_1", "variance of the first Gaussian", POSITIVE)
v_2 = _add("v_2", r"v_2", "variance of the second Gaussian", POSITIVE)
a = _add("a", r"a", "a coefficient")
b = _add("b", r"b", "an offset")
m = _add("m", r"m", "data mean (Gaussian data x_0 ~ N(m, s^2))")
s = _add("s", r"s", "data standard deviation", POSITIVE)
c = _add("c", r"c", "Langevin step size", POSITIVE)
omega = _add("omega", r"\omega", "negative log-SNR")

# continuous time (Song et al., seed 002)
t = _add("t", r"t", "time", TIME)
xi = _add("xi", r"\xi", "integration variable", TIME)
sigma_min = _add("sigma_min", r"\sigma_{\min}", "smallest VE noise scale", POSITIVE)
sigma_max = _add("sigma_max", r"\sigma_{\max}", "largest VE noise scale", POSITIVE)
beta_min = _add("beta_min", r"\beta_{\min}", "VP beta at t = 0", POSITIVE)
beta_max = _add("beta_max", r"\beta_{\max}", "VP beta at t = 1", POSITIVE)
dt = _add("dt", r"\Delta t", "time step", POSITIVE)
T = _add("T", r"T", "number of diffusion steps", STEPS)
TABLE.order(sigma_min, sigma_max)
TABLE.order(beta_min, beta_max)

__all__ = ["Domain", "SymbolSpec", "SymbolTable", "TABLE", "REAL", "POSITIVE", "UNIT", "TIME",
           "STEPS"] + [k for k in TABLE.specs]

# loss weighting (torch module twin, derive/losses.py)
lam = _add("lam", r"\lambda(t)", "weighting of the denoising score-matching loss", POSITIVE)
__all__.append("lam")

# seed 000 (likelihood, Gibbs, Jensen) and the score side of seed 001; generic linear-SDE moments
x_1 = _add("x_1", r"x_1", "training data point 1", name="x_1")
x_2 = _add("x_2", r"x_2", "training data point 2", name="x_2")
x_3 = _add("x_3", r"x_3", "training data point 3", name="x_3")
p_1 = _add("p_1", r"p_1", "probability of the first outcome under p", UNIT)
q_1 = _add("q_1", r"q_1", "probability of the first outcome under q", UNIT)
w = _add("w", r"w", "a convex-combination weight", UNIT)
r_1 = _add("r_1", r"r_1", "a positive point (Jensen)", POSITIVE)
r_2 = _add("r_2", r"r_2", "a positive point (Jensen)", POSITIVE)
u = _add("u", r"u", "the argument of Gibbs' inequality", POSITIVE)
Z_theta = _add("Z_theta", r"Z_\theta", "normalizer of an energy-based model", POSITIVE)
theta_0 = _add("theta_0", r"\theta_0", "score-model coefficient of 1")
theta_1 = _add("theta_1", r"\theta_1", "score-model coefficient of x")
theta_2 = _add("theta_2", r"\theta_2", "score-model coefficient of x^2")
f_t = _add("f_t", r"f(t)", "drift coefficient of a linear SDE at time t")
g_t = _add("g_t", r"g(t)", "diffusion coefficient of a linear SDE at time t", POSITIVE)
S_t = _add("S_t", r"s(t)", "mean scale exp(int_0^t f) of a linear SDE", POSITIVE)
V_t = _add("V_t", r"\mathrm{Var}\,x(t)", "marginal variance of a linear SDE", POSITIVE)
__all__ += ["x_1", "x_2", "x_3", "p_1", "q_1", "w", "r_1", "r_2", "u", "Z_theta", "theta_0",
            "theta_1", "theta_2", "f_t", "g_t", "S_t", "V_t"]

# the forward coefficient one step earlier (Luo Eqs. 63-68 unroll x_t two steps back)
alpha_tm1 = _add("alpha_tm1", r"\alpha_{t-1}", "forward coefficient at step t-1", UNIT)

# Luo 2022 Eqs. 111-114: SNR(t) = exp(-omega(t)), omega the negative log-SNR
TABLE.define(omega, sp.log((1 - abar_t) / abar_t))
